extension KubeAPI {
    /// The legacy (non-aggregated) discovery documents. Served as `application/json`, so clients
    /// that ask for aggregated discovery fall back to these.
    func discovery(_ kind: RequestInfo.Discovery, cluster: String) -> SimResponse {
        switch kind {
        case .apiVersions:
            return .json(
                200,
                [
                    "kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        ["clientCIDR": "0.0.0.0/0", "serverAddress": .string("127.0.0.1:\(self.context.boundPort)")]
                    ],
                ])
        case .coreResources:
            return .json(200, Self.resourceList(groupVersion: "v1", [.namespaces, .configmaps]))
        case .groupList:
            return .json(
                200,
                [
                    "kind": "APIGroupList", "apiVersion": "v1",
                    "groups": .array(self.groups(cluster: cluster).map(\.json)),
                ])
        case .group(let name):
            guard let group = self.groups(cluster: cluster).first(where: { $0.name == name }) else {
                return .error(.pathNotFound)
            }
            var json = group.json
            json["kind"] = "APIGroup"
            json["apiVersion"] = "v1"
            return .json(200, json)
        case .groupResources(let group, let version):
            if group == "apiextensions.k8s.io" {
                guard version == "v1" else { return .error(.pathNotFound) }
                return .json(200, Self.resourceList(groupVersion: "apiextensions.k8s.io/v1", [.crds]))
            }
            let types = self.servedCRDs(cluster: cluster, group: group, version: version).map(ResourceType.init(crd:))
            guard !types.isEmpty else { return .error(.pathNotFound) }
            return .json(200, Self.resourceList(groupVersion: "\(group)/\(version)", types))
        }
    }

    struct Group {
        var name: String
        var versions: [String]

        var json: JSONValue {
            let entries: [JSONValue] = self.versions.map {
                ["groupVersion": .string("\(self.name)/\($0)"), "version": .string($0)]
            }
            return ["name": .string(self.name), "versions": .array(entries), "preferredVersion": entries.first ?? [:]]
        }
    }

    /// apiextensions.k8s.io plus every group with an Established CRD in `cluster`.
    func groups(cluster: String) -> [Group] {
        var byGroup: [String: Set<String>] = [:]
        for crd in self.establishedCRDs(cluster: cluster) { byGroup[crd.group, default: []].insert(crd.version) }
        let custom = byGroup.keys.sorted().map {
            Group(name: $0, versions: byGroup[$0]!.sorted(by: KubeObjects.versionOrder))
        }
        return [Group(name: "apiextensions.k8s.io", versions: ["v1"])] + custom
    }

    static func resourceList(groupVersion: String, _ types: [ResourceType]) -> JSONValue {
        var resources: [JSONValue] = []
        for type in types {
            var entry: [String: JSONValue] = [
                "name": .string(type.resource.resource), "singularName": .string(type.singular),
                "namespaced": .bool(type.namespaced),
                "kind": .string(type.kind),
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            resources.append(.object(entry))
            if type.statusSubresource {
                resources.append([
                    "name": .string("\(type.resource.resource)/status"), "singularName": "",
                    "namespaced": .bool(type.namespaced),
                    "kind": .string(type.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
            "resources": .array(resources),
        ]
    }
}
