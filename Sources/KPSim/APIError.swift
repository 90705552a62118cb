/// A Kubernetes API error, rendered as a `Status` object.
///
/// Every error kp-sim returns from the API has this shape:
/// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":…,"reason":…,"details":…,"code":…}`.
public struct APIError: Error, Sendable, Equatable {
    /// HTTP status code.
    public var code: Int
    /// Kubernetes `StatusReason` (NotFound, AlreadyExists, Conflict, Invalid, …).
    public var reason: String
    /// Human-readable message.
    public var message: String
    /// Optional `details` (name, group, kind).
    public var details: JSONValue?

    /// Creates an error.
    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    /// The `Status` object.
    public var status: JSONValue {
        var object: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(self.message), "reason": .string(self.reason), "code": .int(Int64(self.code)),
        ]
        if let details = self.details { object["details"] = details }
        return .object(object)
    }

    static func details(name: String, group: String, kind: String) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "kind": .string(kind)]
        if !group.isEmpty { object["group"] = .string(group) }
        return .object(object)
    }

    /// `<resource> "<name>" not found` (404).
    static func notFound(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource.qualified) \"\(name)\" not found",
            details: details(name: name, group: resource.group, kind: resource.resource))
    }

    /// The generic 404 of an unserved path.
    static let pathNotFound = APIError(
        code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])

    static func alreadyExists(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource.qualified) \"\(name)\" already exists",
            details: details(name: name, group: resource.group, kind: resource.resource))
    }

    static func conflict(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(resource.qualified) \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again",
            details: details(name: name, group: resource.group, kind: resource.resource))
    }

    static func invalid(kind: String, group: String, name: String, _ message: String) -> APIError {
        APIError(
            code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(message)",
            details: details(name: name, group: group, kind: kind))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(
            code: 405, reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource (\(method))", details: [:])
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }
}

/// A group and a resource (plural), e.g. `apiextensions.k8s.io` / `customresourcedefinitions`.
public struct GroupResource: Hashable, Sendable, Comparable {
    /// API group; empty for the core group.
    public var group: String
    /// Plural resource name.
    public var resource: String

    /// Creates a group resource.
    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    /// `resource` or `resource.group`, as Kubernetes error messages spell it.
    public var qualified: String { self.group.isEmpty ? self.resource : "\(self.resource).\(self.group)" }

    public static func < (lhs: GroupResource, rhs: GroupResource) -> Bool {
        (lhs.group, lhs.resource) < (rhs.group, rhs.resource)
    }

    static let namespaces = GroupResource(group: "", resource: "namespaces")
    static let configmaps = GroupResource(group: "", resource: "configmaps")
    static let crds = GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")
}
