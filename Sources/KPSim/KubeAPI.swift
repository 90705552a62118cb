import Foundation

/// A resource kp-sim serves in a VCP: a built-in type or one version of an Established CRD.
struct ResourceType: Sendable {
    var resource: GroupResource
    var version: String
    var kind: String
    var listKind: String
    var namespaced: Bool
    var schema: JSONValue?
    var statusSubresource: Bool
    var isCustom: Bool
    var singular: String
    var shortNames: [String] = []
    var categories: [String] = []

    var apiVersion: String { self.resource.group.isEmpty ? self.version : "\(self.resource.group)/\(self.version)" }
    /// Kind as error messages name it (`CustomResourceDefinition.apiextensions.k8s.io`).
    var qualifiedKind: String { self.resource.group.isEmpty ? self.kind : "\(self.kind).\(self.resource.group)" }

    static let namespaces = ResourceType(
        resource: .namespaces, version: "v1", kind: "Namespace", listKind: "NamespaceList", namespaced: false,
        statusSubresource: true, isCustom: false, singular: "namespace", shortNames: ["ns"])
    static let configmaps = ResourceType(
        resource: .configmaps, version: "v1", kind: "ConfigMap", listKind: "ConfigMapList", namespaced: true,
        statusSubresource: false, isCustom: false, singular: "configmap", shortNames: ["cm"])
    static let crds = ResourceType(
        resource: .crds, version: "v1", kind: "CustomResourceDefinition", listKind: "CustomResourceDefinitionList",
        namespaced: false, statusSubresource: true, isCustom: false, singular: "customresourcedefinition",
        shortNames: ["crd", "crds"], categories: ["api-extensions"])

    init(
        resource: GroupResource, version: String, kind: String, listKind: String, namespaced: Bool,
        schema: JSONValue? = nil,
        statusSubresource: Bool, isCustom: Bool, singular: String, shortNames: [String] = [], categories: [String] = []
    ) {
        self.resource = resource
        self.version = version
        self.kind = kind
        self.listKind = listKind
        self.namespaced = namespaced
        self.schema = schema
        self.statusSubresource = statusSubresource
        self.isCustom = isCustom
        self.singular = singular
        self.shortNames = shortNames
        self.categories = categories
    }

    init(crd info: CRDInfo) {
        self.init(
            resource: info.resource, version: info.version, kind: info.kind, listKind: info.listKind,
            namespaced: info.namespaced,
            schema: info.schema, statusSubresource: info.statusSubresource, isCustom: true, singular: info.singular,
            shortNames: info.shortNames, categories: info.categories)
    }
}

/// One API request inside a VCP, after routing and authentication.
struct APIRequest: Sendable {
    var cluster: String
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: [UInt8]
}

/// The Kubernetes API subset kp-sim serves for every VCP: discovery, namespaces, configmaps,
/// CustomResourceDefinitions and custom resources, with real JSON shapes and semantics.
struct KubeAPI: Sendable {
    let context: SimContext

    /// Serves `request`; returns the response and the labels to count it under.
    func handle(_ request: APIRequest) async -> (SimResponse, RequestLabels) {
        let watch = ["true", "1"].contains(request.query["watch"] ?? "")
        guard let info = RequestInfo.parse(method: request.method, path: request.path, watch: watch) else {
            return (.error(.pathNotFound), .nonResource(method: request.method, path: request.path))
        }
        var labels = RequestLabels(
            verb: info.metricsVerb, group: info.group, version: info.version, resource: info.resource,
            subresource: info.subresource, scope: info.scope)
        if request.query["dryRun"] != nil { labels.dryRun = "All" }
        if let discovery = info.discovery {
            guard request.method == "GET" else {
                return (
                    .error(.methodNotAllowed(request.method)), .nonResource(method: request.method, path: request.path)
                )
            }
            return (
                self.discovery(discovery, cluster: request.cluster), .nonResource(method: "GET", path: request.path)
            )
        }
        let mutating = !["get", "list", "watch"].contains(info.verb)
        self.context.metrics.inflight(mutating: mutating, delta: 1)
        defer { self.context.metrics.inflight(mutating: mutating, delta: -1) }
        do {
            guard
                let type = self.resolve(
                    cluster: request.cluster, group: info.group, version: info.version, resource: info.resource)
            else {
                throw APIError.pathNotFound
            }
            if type.namespaced && info.namespace.isEmpty && !info.name.isEmpty {
                throw APIError.pathNotFound
            }
            if !type.namespaced && !info.namespace.isEmpty && info.resource != "namespaces" {
                throw APIError.pathNotFound
            }
            if !info.subresource.isEmpty && !(info.subresource == "status" && type.statusSubresource) {
                throw APIError.pathNotFound
            }
            if info.verb == "list" || info.verb == "watch" {
                // A list or watch of a type starts the VCP's informer for it (contract §2.3).
                self.warmInformer(cluster: request.cluster, resource: type.resource)
            }
            let response: SimResponse
            switch info.verb {
            case "get": response = try self.get(request, info, type)
            case "list": response = try self.list(request, info, type)
            case "watch": response = try self.watch(request, info, type)
            case "create": response = try await self.create(request, info, type)
            case "update": response = try await self.update(request, info, type, patch: false)
            case "patch": response = try await self.update(request, info, type, patch: true)
            case "delete": response = try await self.delete(request, info, type)
            default: throw APIError.methodNotAllowed(request.method)
            }
            return (response, labels)
        } catch {
            return (
                .error(error as? APIError ?? APIError(code: 500, reason: "InternalError", message: "\(error)")), labels
            )
        }
    }

    // MARK: - Resolution

    /// The type served at group/version/resource in `cluster`, or nil (404).
    func resolve(cluster: String, group: String, version: String, resource: String) -> ResourceType? {
        switch (group, version, resource) {
        case ("", "v1", "namespaces"): return .namespaces
        case ("", "v1", "configmaps"): return .configmaps
        case ("apiextensions.k8s.io", "v1", "customresourcedefinitions"): return .crds
        default:
            guard !group.isEmpty, group != "apiextensions.k8s.io" else { return nil }
            return self.servedCRDs(cluster: cluster, group: group, version: version)
                .first { $0.plural == resource }
                .map(ResourceType.init(crd:))
        }
    }

    /// The Established CRD versions serving `group`/`version` in `cluster`: in a non-root VCP a lookup
    /// in the shared CRD runtime's serves index (counted in `mc_crd_serves_*`), in root a scan of its CRDs.
    func servedCRDs(cluster: String, group: String, version: String) -> [CRDInfo] {
        guard cluster != self.context.configuration.rootControlPlaneName else {
            return self.establishedCRDs(cluster: cluster).filter { $0.group == group && $0.version == version }
                .sorted { $0.plural < $1.plural }
        }
        let store = self.context.store
        return self.context.crdRuntime.served(cluster: cluster, group: group, version: version) {
            store.all(cluster: cluster, resource: .crds)
        }
    }

    /// Every served version of every Established CRD of `cluster`.
    func establishedCRDs(cluster: String) -> [CRDInfo] {
        self.context.store.all(cluster: cluster, resource: .crds).values
            .flatMap { CRDInfo.versions(of: $0.value) }
            .filter(\.established)
    }

    // MARK: - Reads

    private func wantsTable(_ request: APIRequest) -> Bool {
        (request.headers["accept"] ?? "").contains("as=Table")
    }

    func get(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) throws(APIError) -> SimResponse {
        let key = ObjectKey(namespace: type.namespaced ? info.namespace : "", name: info.name)
        guard let object = self.context.store.get(cluster: request.cluster, resource: type.resource, key: key) else {
            throw APIError.notFound(type.resource, name: info.name)
        }
        if self.wantsTable(request) {
            return .json(200, self.table([object.value], resourceVersion: object.resourceVersion, request: request))
        }
        return .json(200, object.value)
    }

    func selection(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) throws(APIError) -> Selection {
        var selection = Selection(namespace: type.namespaced && !info.namespace.isEmpty ? info.namespace : nil)
        if let fields = request.query["fieldSelector"], !fields.isEmpty {
            for requirement in fields.split(separator: ",") {
                let pair = requirement.replacingOccurrences(of: "==", with: "=").split(separator: "=", maxSplits: 1)
                    .map(String.init)
                guard pair.count == 2 else { throw APIError.badRequest("invalid field selector: \(requirement)") }
                switch pair[0] {
                case "metadata.name": selection.name = pair[1]
                case "metadata.namespace": selection.namespace = pair[1]
                default: throw APIError.badRequest("field label not supported: \(pair[0])")
                }
            }
        }
        selection.labels = try LabelSelector.parse(request.query["labelSelector"])
        return selection
    }

    func list(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) throws(APIError) -> SimResponse {
        let selection = try self.selection(request, info, type)
        let (items, rv) = self.context.store.list(
            cluster: request.cluster, resource: type.resource, selection: selection)
        if self.wantsTable(request) {
            return .json(200, self.table(items.map(\.value), resourceVersion: rv, request: request))
        }
        return .json(
            200,
            KubeObjects.list(
                kind: type.listKind, apiVersion: type.apiVersion, resourceVersion: rv, items: items.map(\.value)))
    }

    /// A `meta.k8s.io/v1` Table with Name and Age columns, as kubectl's `get` asks for.
    func table(_ objects: [JSONValue], resourceVersion: UInt64, request: APIRequest) -> JSONValue {
        let include = request.query["includeObject"] ?? "Metadata"
        let rows: [JSONValue] = objects.map { object in
            var row: [String: JSONValue] = [
                "cells": [
                    object["metadata"]?["name"] ?? "",
                    .string(KubeObjects.age(since: object["metadata"]?["creationTimestamp"]?.stringValue)),
                ]
            ]
            switch include {
            case "None": break
            case "Object": row["object"] = object
            default:
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? [:],
                ]
            }
            return .object(row)
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": ["resourceVersion": .string(String(resourceVersion))],
            "columnDefinitions": [
                [
                    "name": "Name", "type": "string", "format": "name",
                    "description": "Name must be unique within a namespace.", "priority": 0,
                ],
                [
                    "name": "Age", "type": "string", "format": "",
                    "description":
                        "CreationTimestamp is a timestamp representing the server time when this object was created.",
                    "priority": 0,
                ],
            ],
            "rows": .array(rows),
        ]
    }

    /// Streams watch events as JSON lines until `timeoutSeconds` (default 1800) or the client leaves.
    ///
    /// As upstream's watch cache does: a `resourceVersion` older than the kept history is answered
    /// 200 with one `ERROR` event whose object is a 410 `Expired` Status, then the stream ends (the
    /// client relists); with `allowWatchBookmarks=true` a `BOOKMARK` event (an object of the watched
    /// kind holding only `metadata.resourceVersion`, the store's current version) is sent every
    /// `--sim-watch-bookmark-interval`.
    func watch(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) throws(APIError) -> SimResponse {
        let selection = try self.selection(request, info, type)
        var from: UInt64?
        if let text = request.query["resourceVersion"], !text.isEmpty {
            guard let value = UInt64(text) else { throw APIError.badRequest("invalid resourceVersion: \(text)") }
            from = value
        }
        let timeout = request.query["timeoutSeconds"].flatMap(Double.init) ?? 1800
        @Sendable func line(_ type: String, _ object: JSONValue) -> [UInt8] {
            var line = JSONValue.object(["type": .string(type), "object": object]).serialized()
            line.append(UInt8(ascii: "\n"))
            return line
        }
        let events: AsyncStream<WatchEvent>
        do {
            events = try self.context.store.watch(
                cluster: request.cluster, resource: type.resource, selection: selection, from: from)
        } catch  where error.code == 410 {
            let (output, continuation) = AsyncStream<[UInt8]>.makeStream()
            continuation.yield(line("ERROR", error.status))
            continuation.finish()
            return SimResponse(status: 200, headers: [("content-type", "application/json")], body: .stream(output))
        }
        let (output, continuation) = AsyncStream<[UInt8]>.makeStream()
        let pump = self.context.tasks.spawn(.watchStream) {
            for await event in events {
                continuation.yield(line(event.type, event.object))
            }
            continuation.finish()
        }
        var bookmarkTask: Task<Void, Never>?
        if ["true", "1"].contains(request.query["allowWatchBookmarks"] ?? "") {
            let interval = self.context.configuration.watchBookmarkInterval
            let store = self.context.store
            let (kind, apiVersion) = (type.kind, type.apiVersion)
            bookmarkTask = self.context.tasks.spawn(.watchStream) {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: interval) } catch { return }
                    let bookmark: JSONValue = [
                        "kind": .string(kind), "apiVersion": .string(apiVersion),
                        "metadata": ["resourceVersion": .string(String(store.currentResourceVersion))],
                    ]
                    continuation.yield(line("BOOKMARK", bookmark))
                }
            }
        }
        let bookmarks = bookmarkTask
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int64(max(0, timeout) * 1000)))
            pump.cancel()
            bookmarks?.cancel()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            bookmarks?.cancel()
            timer.cancel()
        }
        return SimResponse(status: 200, headers: [("content-type", "application/json")], body: .stream(output))
    }

    // MARK: - Writes

    func parseBody(_ request: APIRequest) throws(APIError) -> JSONValue {
        let value: JSONValue
        if (request.headers["content-type"] ?? "").hasPrefix("application/vnd.kubernetes.protobuf") {
            // kubectl sends built-in kinds (Namespace, ConfigMap) this way; see KubeProtobuf.
            do {
                return try KubeProtobuf.decode(request.body)
            } catch {
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message:
                        "kp-sim decodes application/vnd.kubernetes.protobuf bodies of v1 Namespace and ConfigMap only; send application/json"
                )
            }
        }
        do {
            value = try JSONValue.parse(request.body)
        } catch {
            throw APIError.badRequest(
                "the body of the request was in an unknown format - accepted media types include: application/json")
        }
        guard case .object = value else { throw APIError.badRequest("the body of the request must be a JSON object") }
        return value
    }

    func checkTypeMeta(_ object: JSONValue, _ type: ResourceType) throws(APIError) {
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != type.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))"
            )
        }
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(type.kind))")
        }
    }

    func create(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) async throws(APIError) -> SimResponse
    {
        guard info.name.isEmpty, info.subresource.isEmpty else { throw APIError.methodNotAllowed("POST") }
        var object = try self.parseBody(request)
        var warnings: [String] = []
        try self.checkTypeMeta(object, type)
        var metadata = object["metadata"]?.objectValue ?? [:]
        if (metadata["name"]?.stringValue ?? "").isEmpty {
            guard let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty else {
                throw APIError.invalid(
                    kind: type.qualifiedKind, group: type.resource.group, name: "",
                    "metadata.name: Required value: name or generateName is required")
            }
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            metadata["name"] = .string(prefix + String((0..<5).map { _ in alphabet.randomElement()! }))
        }
        let name = metadata["name"]!.stringValue!
        if let rv = metadata["resourceVersion"]?.stringValue, !rv.isEmpty {
            throw APIError.badRequest("resourceVersion should not be set on objects to be created")
        }
        var namespace = ""
        if type.namespaced {
            namespace = info.namespace
            if let bodyNamespace = metadata["namespace"]?.stringValue, !bodyNamespace.isEmpty,
                bodyNamespace != namespace
            {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
        } else {
            metadata["namespace"] = nil
        }
        metadata["uid"] = .string(KubeObjects.uid())
        metadata["creationTimestamp"] = .string(KubeObjects.date(Date()))
        metadata["deletionTimestamp"] = nil
        metadata["managedFields"] = nil
        if type.isCustom || type.resource == .crds { metadata["generation"] = 1 }
        object["metadata"] = .object(metadata)
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        if type.isCustom {
            if type.statusSubresource { object["status"] = nil }
            (object, warnings) = try self.prune(object, type, request)
        } else if type.resource == .crds {
            try Self.validateCRD(object)
            object["status"] = ["conditions": [], "acceptedNames": ["plural": "", "kind": ""], "storedVersions": []]
        } else if type.resource == .namespaces {
            var labels = metadata["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            metadata["labels"] = .object(labels)
            object["metadata"] = .object(metadata)
            object["spec"] = ["finalizers": ["kubernetes"]]
            object["status"] = ["phase": "Active"]
        }
        if request.query["dryRun"] != nil {
            return Self.withWarnings(.json(201, object), warnings)
        }
        let finalObject = object
        let stored = try await self.context.store.mutate(
            cluster: request.cluster, resource: type.resource, key: ObjectKey(namespace: namespace, name: name)
        ) { current, read throws(APIError) in
            if current != nil { throw APIError.alreadyExists(type.resource, name: name) }
            if type.namespaced && read(.namespaces, ObjectKey(namespace: "", name: namespace)) == nil {
                throw APIError.notFound(.namespaces, name: namespace)
            }
            return .put(finalObject)
        }
        guard let stored else {
            throw APIError(code: 500, reason: "InternalError", message: "create did not store the object")
        }
        if type.resource == .crds {
            self.scheduleEstablish(cluster: request.cluster, name: name, uid: metadata["uid"]?.stringValue ?? "")
        }
        return Self.withWarnings(.json(201, stored.value), warnings)
    }

    /// PUT (full replacement) or PATCH (JSON merge patch), on the object or its `status` subresource.
    func update(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType, patch: Bool) async throws(APIError)
        -> SimResponse
    {
        guard !info.name.isEmpty else { throw APIError.methodNotAllowed(request.method) }
        let body = try self.parseBody(request)
        if patch {
            let contentType = request.headers["content-type"] ?? ""
            guard contentType.contains("merge-patch+json") else {
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message: "the body of the request was in an unknown format - accepted media types include: "
                        + "application/merge-patch+json, application/strategic-merge-patch+json (applied as a merge patch)"
                )
            }
        } else {
            try self.checkTypeMeta(body, type)
            if let bodyName = body["metadata"]?["name"]?.stringValue, bodyName != info.name {
                throw APIError.badRequest(
                    "the name of the object (\(bodyName)) does not match the name on the URL (\(info.name))")
            }
        }
        let namespace = type.namespaced ? info.namespace : ""
        let statusOnly = info.subresource == "status"
        let stored = try await self.context.store.mutate(
            cluster: request.cluster, resource: type.resource, key: ObjectKey(namespace: namespace, name: info.name)
        ) { current, _ throws(APIError) in
            guard let current else { throw APIError.notFound(type.resource, name: info.name) }
            var proposed = patch ? KubeObjects.mergePatch(current.value, body) : body
            let requestedRV = proposed["metadata"]?["resourceVersion"]?.stringValue ?? ""
            if !requestedRV.isEmpty, requestedRV != String(current.resourceVersion) {
                if patch && body["metadata"]?["resourceVersion"] == nil {
                    // The merge kept the stored version: no precondition was asked for.
                } else {
                    throw APIError.conflict(type.resource, name: info.name)
                }
            }
            if requestedRV.isEmpty && !patch && type.isCustom {
                throw APIError.invalid(
                    kind: type.qualifiedKind, group: type.resource.group, name: info.name,
                    "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update")
            }
            let old = current.value
            if statusOnly {
                var next = old
                next["status"] = proposed["status"]
                if type.isCustom { next = StructuralPruner.prune(object: next, schema: type.schema) }
                return next == old ? .none : .put(next)
            }
            // Server-owned metadata cannot change.
            var metadata = proposed["metadata"]?.objectValue ?? [:]
            let oldMetadata = old["metadata"]?.objectValue ?? [:]
            for field in ["uid", "creationTimestamp", "generation", "namespace", "name", "deletionTimestamp"] {
                metadata[field] = oldMetadata[field]
            }
            metadata["managedFields"] = nil
            proposed["metadata"] = .object(metadata)
            proposed["apiVersion"] = .string(type.apiVersion)
            proposed["kind"] = .string(type.kind)
            if type.statusSubresource { proposed["status"] = old["status"] }
            if type.isCustom { proposed = try self.prune(proposed, type, request).object }
            if type.resource == .crds { try Self.validateCRD(proposed) }
            if type.resource == .namespaces { proposed["spec"] = old["spec"] }
            if type.isCustom || type.resource == .crds {
                var oldBody = old
                var newBody = proposed
                for field in ["metadata", "status"] {
                    oldBody[field] = nil
                    newBody[field] = nil
                }
                if oldBody != newBody {
                    metadata["generation"] = .int((oldMetadata["generation"]?.intValue ?? 1) + 1)
                    proposed["metadata"] = .object(metadata)
                }
            }
            var comparable = proposed
            comparable["metadata"]?["resourceVersion"] = old["metadata"]?["resourceVersion"]
            return comparable == old ? .none : .put(proposed)
        }
        if let stored { return .json(200, stored.value) }
        // No change: return the current object, like upstream's no-op update.
        guard
            let current = self.context.store.get(
                cluster: request.cluster, resource: type.resource,
                key: ObjectKey(namespace: namespace, name: info.name))
        else {
            throw APIError.notFound(type.resource, name: info.name)
        }
        return .json(200, current.value)
    }

    /// Prunes a custom resource and applies `fieldValidation`: Strict fails on dropped fields (400),
    /// Warn returns them as warnings, Ignore (or absent) drops them silently.
    func prune(_ object: JSONValue, _ type: ResourceType, _ request: APIRequest) throws(APIError) -> (
        object: JSONValue, warnings: [String]
    ) {
        let (pruned, dropped) = StructuralPruner.pruneReporting(object: object, schema: type.schema)
        guard !dropped.isEmpty else { return (pruned, []) }
        let unknown = dropped.map { "unknown field \"\($0.dropFirst())\"" }
        switch request.query["fieldValidation"] {
        case "Strict":
            throw APIError.badRequest(
                "\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): strict decoding error: "
                    + unknown.joined(separator: ", "))
        case "Warn":
            return (pruned, unknown)
        default:
            return (pruned, [])
        }
    }

    static func withWarnings(_ response: SimResponse, _ warnings: [String]) -> SimResponse {
        var response = response
        for warning in warnings {
            response.headers.append(("warning", "299 - \"\(warning.replacingOccurrences(of: "\"", with: "\\\""))\""))
        }
        return response
    }

    func delete(_ request: APIRequest, _ info: RequestInfo, _ type: ResourceType) async throws(APIError) -> SimResponse
    {
        guard info.subresource.isEmpty else { throw APIError.methodNotAllowed("DELETE") }
        let namespace = type.namespaced ? info.namespace : ""
        var preconditionUID: String?
        var preconditionRV: String?
        if !request.body.isEmpty, let options = try? JSONValue.parse(request.body) {
            preconditionUID = options["preconditions"]?["uid"]?.stringValue
            preconditionRV = options["preconditions"]?["resourceVersion"]?.stringValue
        }
        let deleted = try await self.context.store.mutate(
            cluster: request.cluster, resource: type.resource, key: ObjectKey(namespace: namespace, name: info.name)
        ) { current, _ throws(APIError) in
            guard let current else { throw APIError.notFound(type.resource, name: info.name) }
            if let uid = preconditionUID, uid != current.value["metadata"]?["uid"]?.stringValue {
                throw APIError.conflict(type.resource, name: info.name)
            }
            if let rv = preconditionRV, rv != String(current.resourceVersion) {
                throw APIError.conflict(type.resource, name: info.name)
            }
            return .delete
        }
        guard let deleted else { throw APIError.notFound(type.resource, name: info.name) }
        if type.resource == .crds {
            // Upstream removes every custom resource of a deleted CRD.
            for info in CRDInfo.versions(of: deleted.value).prefix(1) {
                await self.deleteAll(cluster: request.cluster, resource: info.resource, namespace: nil)
            }
            // --sim-evict-on-delete: the VCP's custom data is gone, so give its per-VCP cost back.
            if self.context.configuration.evictOnDelete
                && self.context.store.all(cluster: request.cluster, resource: .crds).isEmpty
            {
                self.context.informers.evict(cluster: request.cluster)
                self.context.crdRuntime.forget(cluster: request.cluster)
                self.context.registry.evict(request.cluster)
            }
        } else if type.resource == .namespaces {
            for resource in [GroupResource.configmaps]
                + self.establishedCRDs(cluster: request.cluster).filter(\.namespaced).map(\.resource)
            {
                await self.deleteAll(cluster: request.cluster, resource: resource, namespace: info.name)
            }
        }
        return .json(200, deleted.value)
    }

    private func deleteAll(cluster: String, resource: GroupResource, namespace: String?) async {
        let keys = self.context.store.all(cluster: cluster, resource: resource).keys.filter {
            namespace == nil || $0.namespace == namespace
        }
        for key in keys {
            _ = try? await self.context.store.mutate(cluster: cluster, resource: resource, key: key) { current, _ in
                current == nil ? .none : .delete
            }
        }
    }
}
