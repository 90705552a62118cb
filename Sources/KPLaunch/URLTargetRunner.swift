import Foundation

/// url mode: the apiserver already runs somewhere; kp-launch starts nothing, only checks the
/// credentials, waits for `/readyz` and writes the endpoint record and kubeconfig.
///
/// The server, CA and token come from `--apiserver-url` with `--token-file` and `--ca-file` (or
/// `--insecure-skip-tls-verify`), or from the current context of `--kubeconfig`; flags win over
/// the kubeconfig. A token or CA given inline in the kubeconfig is written to a 0600 file in the
/// run's `target/` directory (deleted when the run stops), so records only ever name files.
public final class URLTargetRunner: TargetRunner, @unchecked Sendable {
    public let mode = LaunchMode.url

    /// The server root URL, without a trailing slash.
    public let url: String
    private let tokenFile: String?
    private let inlineToken: String?
    private let caFile: String?
    private let caData: Data?
    private let insecure: Bool
    private let lock = NSLock()
    private var written: [String] = []

    /// Checks the url-mode settings; throws one line (exit 2) for a missing or unreadable input.
    public init(configuration c: LaunchConfiguration) throws {
        let fromKubeconfig = try c.kubeconfig.map { try Kubeconfig.resolveCurrentContext(path: $0) }
        guard let rawURL = c.apiserverURL ?? fromKubeconfig?.server else {
            throw LaunchError.badInput(
                "url mode needs --apiserver-url/APISERVER_URL (or a --kubeconfig whose current context names a server)")
        }
        guard rawURL.hasPrefix("https://") || rawURL.hasPrefix("http://"), URL(string: rawURL)?.host != nil else {
            throw LaunchError.badInput(
                "--apiserver-url '\(rawURL)' is not an http(s) URL: write it as https://HOST:PORT")
        }
        var trimmed = rawURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        url = trimmed

        if let path = c.tokenFile {
            guard Self.isReadableFile(path) else {
                throw LaunchError.badInput(
                    "--token-file/TOKEN_FILE \(path) is not a readable file: check the path and its permissions")
            }
            tokenFile = path
            inlineToken = nil
        } else if let path = fromKubeconfig?.tokenFile {
            guard Self.isReadableFile(path) else {
                throw LaunchError.badInput(
                    "tokenFile \(path) named by --kubeconfig \(c.kubeconfig ?? "") is not a readable file: check the path"
                )
            }
            tokenFile = path
            inlineToken = nil
        } else if let token = fromKubeconfig?.token, !token.isEmpty {
            tokenFile = nil
            inlineToken = token
        } else {
            throw LaunchError.badInput(
                c.kubeconfig != nil
                    ? "--kubeconfig \(c.kubeconfig!): the current context's user has no token or tokenFile; kp-bench authenticates with a bearer token, so pass --token-file"
                    : "url mode needs --token-file/TOKEN_FILE (a file holding the bearer token) or --kubeconfig")
        }

        insecure = c.insecureSkipTLSVerify || (c.caFile == nil && (fromKubeconfig?.insecureSkipTLSVerify ?? false))
        if let path = c.caFile ?? (c.insecureSkipTLSVerify ? nil : fromKubeconfig?.caFile) {
            guard Self.isReadableFile(path) else {
                throw LaunchError.badInput(
                    "--ca-file/CA_FILE \(path) is not a readable file: check the path, or pass --insecure-skip-tls-verify explicitly"
                )
            }
            caFile = path
            caData = nil
        } else if !insecure, let b64 = fromKubeconfig?.caData {
            guard let data = Data(base64Encoded: b64.filter { !$0.isWhitespace }) else {
                throw LaunchError.badInput(
                    "--kubeconfig \(c.kubeconfig ?? ""): certificate-authority-data is not base64")
            }
            caFile = nil
            caData = data
        } else {
            caFile = nil
            caData = nil
        }
        if url.hasPrefix("https://"), !insecure, caFile == nil, caData == nil {
            throw LaunchError.badInput(
                "url mode needs --ca-file/CA_FILE (the PEM bundle that verifies \(url)) or, explicitly, --insecure-skip-tls-verify"
            )
        }
    }

    public func preflight(_ context: TargetLaunchContext) async throws {}

    public func start(_ context: TargetLaunchContext) async throws -> StartedTarget {
        let files = context.files
        var token = tokenFile
        var ca = caFile
        if inlineToken != nil || caData != nil {
            try RunSecrets.makeDirectory(files.targetDir, mode: 0o700)
        }
        if let inlineToken {
            try RunSecrets.writePrivate(files.tokenFile, Data((inlineToken + "\n").utf8))
            lock.withLock { written.append(files.tokenFile) }
            token = files.tokenFile
        }
        if let caData {
            try RunSecrets.writePrivate(files.urlCAFile, caData)
            lock.withLock { written.append(files.urlCAFile) }
            ca = files.urlCAFile
        }
        context.logger.info("url mode: nothing to launch; using \(url)")
        return StartedTarget(
            url: url, caFile: insecure ? nil : ca, insecureSkipTLSVerify: insecure, tokenFile: token ?? "")
    }

    public func supervise() async -> TargetFailure? { nil }

    public func stop() async {
        let paths = lock.withLock { () -> [String] in
            defer { written = [] }
            return written
        }
        RunSecrets.remove(paths)
    }

    static func isReadableFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
            && FileManager.default.isReadableFile(atPath: path)
    }
}
