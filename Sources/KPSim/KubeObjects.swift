import Foundation

/// Builders for the JSON shapes kube-apiserver returns (objects, lists, discovery documents).
enum KubeObjects {
    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()
    private static let formatterLock = NSLock()

    /// RFC 3339 in UTC with second precision, as Kubernetes `metav1.Time` serializes.
    static func date(_ date: Date) -> String {
        formatterLock.lock()
        defer { formatterLock.unlock() }
        return formatter.string(from: date)
    }

    /// Parses a `metav1.Time` string.
    static func parseDate(_ text: String) -> Date? {
        formatterLock.lock()
        defer { formatterLock.unlock() }
        return formatter.date(from: text)
    }

    static func uid() -> String { UUID().uuidString.lowercased() }

    /// A namespace as the system-namespaces bootstrapper creates it.
    static func namespace(_ name: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": .string(name), "uid": .string(uid()), "creationTimestamp": .string(date(Date())),
                "labels": ["kubernetes.io/metadata.name": .string(name)],
            ],
            "spec": ["finalizers": ["kubernetes"]],
            "status": ["phase": "Active"],
        ]
    }

    static func configMap(namespace: String, name: String, data: JSONValue) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": .string(uid()),
                "creationTimestamp": .string(date(Date())),
            ],
            "data": data,
        ]
    }

    static func list(kind: String, apiVersion: String, resourceVersion: UInt64, items: [JSONValue]) -> JSONValue {
        [
            "kind": .string(kind), "apiVersion": .string(apiVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(items),
        ]
    }

    static func condition(type: String, status: String, reason: String, message: String) -> JSONValue {
        [
            "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastTransitionTime": .string(date(Date())),
        ]
    }

    /// Kubernetes version order: GA > beta > alpha, higher numbers first, then other names alphabetically.
    static func versionOrder(_ lhs: String, _ rhs: String) -> Bool {
        func key(_ version: String) -> (Int, Int, Int, String) {
            let scanner = Array(version)
            guard scanner.first == "v",
                let digitsEnd = scanner.dropFirst().firstIndex(where: { !$0.isNumber }) ?? Optional(scanner.count),
                digitsEnd > 1, let major = Int(String(scanner[1..<digitsEnd]))
            else { return (3, 0, 0, version) }
            let rest = String(scanner[digitsEnd...])
            if rest.isEmpty { return (0, -major, 0, version) }
            for (index, level) in ["beta", "alpha"].enumerated() where rest.hasPrefix(level) {
                if let minor = Int(rest.dropFirst(level.count)) { return (index + 1, -major, -minor, version) }
            }
            return (3, 0, 0, version)
        }
        return key(lhs) < key(rhs)
    }

    /// A human age as kubectl prints it ("5s", "3m", "2h", "4d").
    static func age(since text: String?) -> String {
        guard let text, let date = parseDate(text) else { return "<unknown>" }
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        if seconds < 172_800 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }

    /// RFC 7386 JSON merge patch.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}
