/// Why an ``HTTPClient`` could not be created: an input file, a setting, or libcurl itself.
///
/// Its `description` is one line naming the input and the fix, fit to print as a tool's error.
/// It never contains the token, only the path of the file that holds it.
public struct HTTPClientSetupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The token file could not be read, or holds no usable token.
        case tokenFile(path: String, reason: String)
        /// The CA bundle could not be read.
        case caFile(path: String, reason: String)
        /// A configuration value is out of range.
        case setting(name: String, reason: String)
        /// libcurl failed to set up (global init, handle creation, an option this libcurl lacks).
        case libcurl(function: String, code: Int, message: String)
    }

    public var kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .tokenFile(let path, let reason):
            return "token file \(path): \(reason) (check --token-file, or the token file named by the endpoint record)"
        case .caFile(let path, let reason):
            return "CA file \(path): \(reason) (check --ca-file, or the CA file named by the endpoint record)"
        case .setting(let name, let reason):
            return "HTTP client setting \(name): \(reason)"
        case .libcurl(let function, let code, let message):
            return
                "libcurl set-up failed: \(function) returned \(code) (\(message)); is libcurl4-openssl (≥ 7.85) installed?"
        }
    }
}
