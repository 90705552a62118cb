import Foundation

/// `GET /clusters/<cid>/control-plane/snapshot[?resource=a,b][&includeEmpty=true][&warm=true]` (contract §2.3).
extension KubeAPI {
    /// Every type a VCP serves: namespaces, configmaps, CRDs and each Established CRD's resource.
    func servedTypes(cluster: String) -> [GroupResource] {
        var seen: Set<GroupResource> = [.namespaces, .configmaps, .crds]
        var types: [GroupResource] = [.namespaces, .configmaps, .crds]
        for info in self.establishedCRDs(cluster: cluster) where seen.insert(info.resource).inserted {
            types.append(info.resource)
        }
        return types
    }

    /// A list or watch of `resource` in `cluster` warms its informer (it then lives on).
    func warmInformer(cluster: String, resource: GroupResource) {
        self.context.informers.ensure(cluster: cluster, resource: resource, context: self.context)
    }

    /// Whether a `resource=` filter entry names `type`: its plural (`configmaps`) or plural.group
    /// (`memwidgets.mem-c-001.kplane.dev`).
    static func filter(_ names: Set<String>?, matches type: GroupResource) -> Bool {
        guard let names else { return true }
        if names.contains(type.resource) { return true }
        return !type.group.isEmpty && names.contains("\(type.resource).\(type.group)")
    }

    /// The snapshot of `cluster`: every live informer's items (only non-empty ones unless
    /// `includeEmpty=true`), after `warm=true` started an informer for every served type.
    ///
    /// The body is assembled from the informers' stored JSON bytes instead of re-encoding a tree:
    /// the items are already serialized (that is the informer's cached copy), and a snapshot of a
    /// big VCP should not pay a parse and a re-encode per item.
    func snapshot(cluster: String, method: String, query: [String: String]) -> SimResponse {
        guard method == "GET" else { return .error(.methodNotAllowed(method)) }
        let truthy: (String?) -> Bool = { ["true", "1"].contains($0 ?? "") }
        var names: Set<String>?
        if let text = query["resource"] {
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            if !parts.isEmpty { names = Set(parts) }
        }
        let includeEmpty = truthy(query["includeEmpty"])
        if truthy(query["warm"]) {
            for type in self.servedTypes(cluster: cluster) { self.warmInformer(cluster: cluster, resource: type) }
        }
        let live = self.context.informers.live(cluster: cluster)
        let time = KubeObjects.date(Date())
        var body: [UInt8] = []
        func append(_ text: String) { body.append(contentsOf: text.utf8) }
        func appendString(_ text: String) { body.append(contentsOf: JSONValue.string(text).serialized()) }
        append("{\"cluster\":")
        appendString(cluster)
        append(",\"snapshotTime\":")
        appendString(time)
        append(",\"liveResources\":\(live.count),\"resources\":[")
        var first = true
        for (type, informer) in live.sorted(by: { $0.key < $1.key }) where Self.filter(names, matches: type) {
            let items = informer.items()
            if items.isEmpty && !includeEmpty { continue }
            if !first { append(",") }
            first = false
            append("{\"group\":")
            appendString(type.group)
            append(",\"resource\":")
            appendString(type.resource)
            append(",\"synced\":true,\"itemCount\":\(items.count),\"items\":[")
            for (offset, item) in items.enumerated() {
                if offset > 0 { append(",") }
                body.append(contentsOf: item)
            }
            append("]}")
        }
        append("]}")
        self.context.allocations.transient(CallSite.responseBodies, bytes: body.count)
        return SimResponse(
            status: 200,
            headers: [
                ("content-type", "application/json"), ("x-snapshot-cluster", cluster), ("x-snapshot-time", time),
            ],
            body: .bytes(body))
    }
}
