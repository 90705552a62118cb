import Foundation
import KPCore
import _CryptoExtras

/// Writes a run's secrets: a fresh bearer token and a fresh service-account signing key.
///
/// Every file is created with mode 0600 (through `open(2)`, so it is never readable by others,
/// not even for a moment) inside the run's `target/` directory (mode 0700). The token is never
/// returned to callers that print: only its file paths leave this type.
public enum RunSecrets {
    /// The user, uid and group the token maps to: `system:masters` is authorized in every VCP (contract §1.2).
    public static let tokenIdentity = "admin,admin,system:masters"

    /// Creates `target/` (0700) and `target/certs`' parent, then writes `tokens.csv`, `token` and `sa.key`.
    public static func write(_ files: RunFiles) throws {
        try makeDirectory(files.targetDir, mode: 0o700)
        let token = newToken()
        try writePrivate(files.tokensCSV, Data("\(token),\(tokenIdentity)\n".utf8))
        try writePrivate(files.tokenFile, Data("\(token)\n".utf8))
        try writePrivate(files.saKey, Data(try newServiceAccountKeyPEM().utf8))
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

    /// A new RSA-2048 private key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), the form the
    /// smoke test writes and kube-apiserver's `--service-account-*-key-file` flags read.
    public static func newServiceAccountKeyPEM() throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pem = key.pemRepresentation
        if pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") { return pem }
        // Backends that label their PEM differently still give PKCS#1 DER in derRepresentation.
        return pemEncode(key.derRepresentation, label: "RSA PRIVATE KEY")
    }

    /// PEM armour: base64 in 64-character lines between BEGIN/END lines.
    public static func pemEncode(_ der: Data, label: String) -> String {
        let b64 = der.base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = b64.startIndex
        while index < b64.endIndex {
            let end = b64.index(index, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
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
