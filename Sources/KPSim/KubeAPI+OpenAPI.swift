extension KubeAPI {
    /// `/openapi/v3` and `/openapi/v3/<api/v1 | apis/g/v>`: a minimal OpenAPI v3 document per
    /// group-version. Each resource path carries `x-kubernetes-group-version-kind` and the
    /// `fieldValidation` query parameter, which is what kubectl checks to use server-side field
    /// validation instead of downloading full schemas; CRD schemas are included as components.
    func openAPI(path: String, cluster: String) -> SimResponse {
        var byGroupVersion: [String: [ResourceType]] = [
            "api/v1": [.namespaces, .configmaps],
            "apis/apiextensions.k8s.io/v1": [.crds],
        ]
        for crd in self.establishedCRDs(cluster: cluster) {
            byGroupVersion["apis/\(crd.group)/\(crd.version)", default: []].append(ResourceType(crd: crd))
        }
        if path == "/openapi/v3" || path == "/openapi/v3/" {
            var paths: [String: JSONValue] = [:]
            for (groupVersion, types) in byGroupVersion {
                let hash = Self.fnv1a(Self.document(groupVersion: groupVersion, types: types).serialized())
                paths[groupVersion] = ["serverRelativeURL": .string("/openapi/v3/\(groupVersion)?hash=\(hash)")]
            }
            return .json(200, ["paths": .object(paths)])
        }
        let groupVersion = String(path.dropFirst("/openapi/v3/".count))
        guard let types = byGroupVersion[groupVersion] else { return .error(.pathNotFound) }
        return .json(200, Self.document(groupVersion: groupVersion, types: types.sorted { $0.resource < $1.resource }))
    }

    static func document(groupVersion: String, types: [ResourceType]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [:]
        for type in types {
            let gvk: JSONValue = [
                "group": .string(type.resource.group), "version": .string(type.version), "kind": .string(type.kind),
            ]
            let base = "/" + groupVersion
            let collection =
                type.namespaced
                ? "\(base)/namespaces/{namespace}/\(type.resource.resource)" : "\(base)/\(type.resource.resource)"
            let writeParameters: [JSONValue] = ["dryRun", "fieldManager", "fieldValidation"].map {
                ["name": .string($0), "in": "query", "schema": ["type": "string", "uniqueItems": true]]
            }
            func operation(_ action: String, _ id: String, write: Bool) -> JSONValue {
                [
                    "operationId": .string("\(id)\(type.kind)"), "x-kubernetes-action": .string(action),
                    "x-kubernetes-group-version-kind": gvk, "parameters": .array(write ? writeParameters : []),
                    "responses": ["200": ["description": "OK"]],
                ]
            }
            paths[collection] = [
                "get": operation("list", "list", write: false), "post": operation("post", "create", write: true),
            ]
            paths[collection + "/{name}"] = [
                "get": operation("get", "read", write: false), "put": operation("put", "replace", write: true),
                "patch": operation("patch", "patch", write: true),
                "delete": operation("delete", "delete", write: false),
            ]
            var schema = type.schema ?? ["type": "object"]
            schema["x-kubernetes-group-version-kind"] = [gvk]
            let prefix =
                type.resource.group.isEmpty
                ? "io.k8s.api.core"
                : type.resource.group.split(separator: ".").reversed().joined(separator: ".")
            schemas["\(prefix).\(type.version).\(type.kind)"] = schema
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes (kp-sim)", "version": "v1.34.0"],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
    }

    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16, uppercase: true)
    }
}
