/// What kp-sim needs to serve one version of a CustomResourceDefinition, read from its stored JSON.
struct CRDInfo: Sendable {
    var name: String
    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var listKind: String
    var namespaced: Bool
    var shortNames: [String]
    var categories: [String]
    var schema: JSONValue?
    var statusSubresource: Bool
    var established: Bool

    var resource: GroupResource { GroupResource(group: self.group, resource: self.plural) }

    /// Every served version of a stored CRD.
    static func versions(of crd: JSONValue) -> [CRDInfo] {
        guard let spec = crd["spec"], let group = spec["group"]?.stringValue,
            let names = spec["names"], let plural = names["plural"]?.stringValue, let kind = names["kind"]?.stringValue
        else { return [] }
        let established = (crd["status"]?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
        }
        return (spec["versions"]?.arrayValue ?? []).compactMap { version in
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue != false else { return nil }
            return CRDInfo(
                name: crd["metadata"]?["name"]?.stringValue ?? "", group: group, version: name, plural: plural,
                singular: names["singular"]?.stringValue ?? kind.lowercased(), kind: kind,
                listKind: names["listKind"]?.stringValue ?? kind + "List",
                namespaced: spec["scope"]?.stringValue != "Cluster",
                shortNames: (names["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                categories: (names["categories"]?.arrayValue ?? []).compactMap(\.stringValue),
                schema: version["schema"]?["openAPIV3Schema"],
                statusSubresource: version["subresources"]?["status"] != nil, established: established)
        }
    }
}
