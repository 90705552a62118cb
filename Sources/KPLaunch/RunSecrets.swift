import Foundation
import KPCore

/// Writes a run's secrets: a fresh bearer token and a fresh service-account signing key.
///
/// Every file is created with mode 0600 (through `open(2)`, so it is never readable by others,
/// not even for a moment) inside the run's `target/` directory (mode 0700). The token is never
/// returned to callers that print: only its file paths leave this type.
public enum RunSecrets {
    /// The user, uid and group the token maps to: `system:masters` is authorized in every VCP (contract §1.2).
    public static let tokenIdentity = "admin,admin,system:masters"

    /// Creates `target/` (0700), then writes `sa.key` (with `openssl`), `tokens.csv` and `token`.
    ///
    /// - Parameter openssl: the openssl program; nil when it is not installed.
    /// - Throws: ``LaunchError`` naming the file, or openssl and how to install it.
    public static func write(_ files: RunFiles, openssl: String? = ExecutableSearch.find("openssl")) async throws {
        try makeDirectory(files.targetDir, mode: 0o700)
        try await writeServiceAccountKey(files.saKey, openssl: openssl)
        let token = newToken()
        try writePrivate(files.tokensCSV, Data("\(token),\(tokenIdentity)\n".utf8))
        try writePrivate(files.tokenFile, Data("\(token)\n".utf8))
    }

    /// 256 random bits as 64 lower-case hex digits, from the system's CSPRNG (`getrandom(2)`).
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = rng.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Writes a new RSA-2048 private key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`) to `path`
    /// (mode 0600): the form the smoke test writes and kube-apiserver's `--service-account-*-key-file`
    /// flags read, made by `openssl genrsa -traditional` (OpenSSL 3), one process per launch.
    ///
    /// - Parameter openssl: the openssl program; nil when it is not installed.
    /// - Throws: ``LaunchError/missingTool(_:)`` without openssl; ``LaunchError/failure(_:)`` with
    ///   openssl's own line when it fails or writes no PKCS#1 key.
    public static func writeServiceAccountKey(_ path: String, openssl: String?) async throws {
        let fix = "install openssl (Debian: apt-get install openssl)"
        guard let openssl else {
            throw LaunchError.missingTool(
                "openssl is not on PATH; kp-launch makes the service-account key \(path) with it: \(fix)")
        }
        // openssl writes into a private temporary file (created 0600 first: openssl keeps an existing
        // file's mode), and the key reaches `path` through ``writePrivate(_:_:)``, so a full or
        // read-only run directory is reported in kp-launch's words ("No space left on device"), not
        // as an empty key.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kp-launch-openssl-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        ).path
        let (keyFile, errors) = (scratch + ".key", scratch + ".err")
        defer {
            unlink(keyFile)
            unlink(errors)
        }
        try writePrivate(keyFile, Data())
        let arguments = ["genrsa", "-traditional", "-out", keyFile, "2048"]
        let (termination, _) = try await ChildProcess.run(openssl, arguments, stderr: .append(errors))
        guard termination.isSuccess else {
            let said = (try? String(contentsOfFile: errors, encoding: .utf8)).flatMap(firstLine) ?? "no message"
            throw LaunchError.failure(
                "\(openssl) genrsa \(termination) (\(said)) making the service-account key \(path): \(fix) (OpenSSL 3)"
            )
        }
        let pem = (try? String(contentsOfFile: keyFile, encoding: .utf8)) ?? ""
        guard pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n") else {
            throw LaunchError.failure(
                "\(openssl) genrsa -traditional gave no PKCS#1 RSA key for \(path): \(fix) (OpenSSL 3)")
        }
        try writePrivate(path, Data(pem.utf8))
    }

    /// The first non-empty line of `text`, trimmed.
    static func firstLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }
    }

    /// Writes `data` to `path` with mode 0600, replacing any earlier file.
    public static func writePrivate(_ path: String, _ data: Data) throws {
        unlink(path)  // a stale file could have other permissions; O_EXCL below then guarantees ours
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LaunchError.badInput(
                "cannot write \(path): \(String(cString: strerror(errno))); check that the run directory is writable")
        }
        defer { close(fd) }
        fchmod(fd, 0o600)  // independent of the umask
        do {
            try FileOutput.writeAll(fd: fd, data)
        } catch {
            throw LaunchError.failure("cannot write \(path): \(error.reason)")
        }
    }

    /// Removes the secret files (kept: certificates and logs). Missing files are fine.
    public static func remove(_ paths: [String]) {
        for path in paths { unlink(path) }
    }

    /// Creates `path` (and parents) and sets `mode` on it.
    static func makeDirectory(_ path: String, mode: mode_t) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LaunchError.badInput("cannot create \(path): \(error.localizedDescription); check --run-dir")
        }
        chmod(path, mode)
    }
}
