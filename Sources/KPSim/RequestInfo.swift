/// What a Kubernetes API path addresses, parsed like upstream's `RequestInfoFactory`.
struct RequestInfo: Sendable {
    enum Discovery: Sendable {
        case apiVersions
        case coreResources
        case groupList
        case group(String)
        case groupResources(String, String)
    }

    var discovery: Discovery?
    var verb = ""
    var group = ""
    var version = ""
    var namespace = ""
    var resource = ""
    var name = ""
    var subresource = ""

    var isResource: Bool { !self.resource.isEmpty }

    /// Upstream's metrics verb (LIST, GET, WATCH, POST, PUT, PATCH, DELETE, DELETECOLLECTION).
    var metricsVerb: String {
        switch self.verb {
        case "create": return "POST"
        case "update": return "PUT"
        default: return self.verb.uppercased()
        }
    }

    var scope: String {
        if !self.name.isEmpty { return "resource" }
        if !self.namespace.isEmpty { return "namespace" }
        return "cluster"
    }

    /// Parses `path` (already stripped of the cluster prefix); nil for paths outside /api and /apis.
    static func parse(method: String, path: String, watch: Bool) -> RequestInfo? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let prefix = parts.first, prefix == "api" || prefix == "apis" else { return nil }
        var info = RequestInfo()
        var rest: ArraySlice<String>
        if prefix == "api" {
            if parts.count == 1 {
                info.discovery = .apiVersions
                return info
            }
            info.version = parts[1]
            if parts.count == 2 {
                info.discovery = .coreResources
                return info
            }
            rest = parts[2...]
        } else {
            if parts.count == 1 {
                info.discovery = .groupList
                return info
            }
            info.group = parts[1]
            if parts.count == 2 {
                info.discovery = .group(parts[1])
                return info
            }
            info.version = parts[2]
            if parts.count == 3 {
                info.discovery = .groupResources(parts[1], parts[2])
                return info
            }
            rest = parts[3...]
        }
        var current = Array(rest)
        if current.first == "namespaces", current.count > 1 {
            info.namespace = current[1]
            if current.count > 2 && !["status", "finalize"].contains(current[2]) {
                current = Array(current[2...])
            }
        }
        info.resource = current[0]
        if current.count > 1 { info.name = current[1] }
        if current.count > 2 { info.subresource = current[2] }
        if info.resource == "namespaces" { info.namespace = "" }
        switch method {
        case "GET", "HEAD": info.verb = info.name.isEmpty ? (watch ? "watch" : "list") : "get"
        case "POST": info.verb = "create"
        case "PUT": info.verb = "update"
        case "PATCH": info.verb = "patch"
        case "DELETE": info.verb = info.name.isEmpty ? "deletecollection" : "delete"
        default: info.verb = method.lowercased()
        }
        return info
    }
}
