import Foundation

/// Bearer-token authentication from kube-apiserver's static token CSV (`--token-auth-file`).
///
/// Format per line: `token,user,uid[,"group1,group2"]`. Tokens are compared whole and never logged.
public struct TokenAuthenticator: Sendable {
    /// An authenticated identity.
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: String
        public var groups: [String]
    }

    private let users: [String: User]

    /// An authenticator that accepts no token.
    public init() { self.users = [:] }

    /// Number of tokens loaded.
    public var count: Int { self.users.count }

    /// Parses the CSV text of a token file.
    ///
    /// - Throws: ``SimConfigurationError`` naming the file and line for a malformed line.
    public init(csv: String, path: String) throws(SimConfigurationError) {
        var users: [String: User] = [:]
        for (number, rawLine) in csv.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = Self.splitCSV(line)
            guard fields.count >= 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw SimConfigurationError(
                    "--token-auth-file \(path): line \(number + 1) is not 'token,user,uid[,\"groups\"]'; fix or remove it"
                )
            }
            let groups = fields.count > 3 ? fields[3].split(separator: ",").map { String($0) } : []
            users[fields[0]] = User(name: fields[1], uid: fields[2], groups: groups)
        }
        self.users = users
    }

    /// Loads a token file.
    ///
    /// - Throws: ``SimConfigurationError`` when the file cannot be read or parsed.
    public static func load(path: String) throws(SimConfigurationError) -> TokenAuthenticator {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SimConfigurationError(
                "--token-auth-file \(path): cannot read it (\(Self.reason(error))); pass a readable token CSV")
        }
        return try TokenAuthenticator(csv: text, path: path)
    }

    /// The user for an `Authorization` header value, or nil when it carries no known bearer token.
    public func authenticate(authorization: String?) -> User? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return self.users[parts[1].trimmingCharacters(in: .whitespaces)]
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: return nsError.localizedDescription
        }
    }

    /// Splits one CSV line, honouring double quotes.
    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if character == "\"" {
                quoted.toggle()
            } else if character == "," && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
