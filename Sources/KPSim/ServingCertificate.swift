import Foundation
import KPCore
import NIOSSL

/// The TLS identity kp-sim serves with: given files, or a self-signed certificate in `--cert-dir`.
///
/// Like kube-apiserver, when no `--tls-cert-file` is given kp-sim writes `apiserver.crt` and
/// `apiserver.key` into `--cert-dir` (creating it) and reuses them if both already exist. The
/// certificate is self-signed with `basicConstraints: CA:TRUE`, `keyCertSign`, `serverAuth` and
/// SANs `localhost`, `127.0.0.1` and `::1`, so clients can pass the same file as their CA
/// (`kubectl --certificate-authority`, `curl --cacert`) and verify normally. The pair is made by the
/// `openssl` program (`openssl req -x509`), one process at start-up.
public struct ServingCertificate: Sendable {
    /// PEM of the certificate.
    public var certificatePEM: String
    /// PEM of the private key.
    public var privateKeyPEM: String
    /// Path of the certificate file clients can use as their CA file.
    public var certificatePath: String

    /// Loads the configured files or creates/reuses the self-signed pair in `certDir`.
    ///
    /// - Parameter openssl: the openssl program that makes a new pair; nil when it is not installed.
    /// - Throws: ``SimConfigurationError`` naming the file or directory that could not be read or
    ///   written, or openssl and the fix when a pair is needed and openssl is missing or fails.
    public static func prepare(
        _ configuration: SimConfiguration, openssl: String? = ExecutableSearch.find("openssl")
    ) async throws(SimConfigurationError) -> ServingCertificate {
        if let certFile = configuration.tlsCertFile, let keyFile = configuration.tlsPrivateKeyFile {
            return ServingCertificate(
                certificatePEM: try read(certFile, flag: "--tls-cert-file"),
                privateKeyPEM: try read(keyFile, flag: "--tls-private-key-file"), certificatePath: certFile)
        }
        let directory = configuration.certDir
        let certPath = (directory as NSString).appendingPathComponent("apiserver.crt")
        let keyPath = (directory as NSString).appendingPathComponent("apiserver.key")
        let manager = FileManager.default
        if manager.fileExists(atPath: certPath), manager.fileExists(atPath: keyPath),
            let cert = try? String(contentsOfFile: certPath, encoding: .utf8),
            let key = try? String(contentsOfFile: keyPath, encoding: .utf8),
            (try? NIOSSLCertificate(bytes: Array(cert.utf8), format: .pem)) != nil
        {
            return ServingCertificate(certificatePEM: cert, privateKeyPEM: key, certificatePath: certPath)
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SimConfigurationError(
                "--cert-dir \(directory): cannot create it (\(TokenAuthenticator.reason(error))); pass a writable directory"
            )
        }
        try await generate(certPath: certPath, keyPath: keyPath, directory: directory, openssl: openssl)
        return ServingCertificate(
            certificatePEM: try read(certPath, flag: "--cert-dir"),
            privateKeyPEM: try read(keyPath, flag: "--cert-dir"),
            certificatePath: certPath)
    }

    /// Writes a fresh self-signed P-256 certificate (one year) to `certPath` and its key (PKCS#8
    /// PEM, mode 0600) to `keyPath` with `openssl req -x509`.
    static func generate(
        certPath: String, keyPath: String, directory: String, openssl: String?
    ) async throws(SimConfigurationError) {
        let fix = "install openssl (Debian: apt-get install openssl) or pass --tls-cert-file/--tls-private-key-file"
        guard let openssl else {
            throw SimConfigurationError(
                "--cert-dir \(directory): openssl is not on PATH, and kp-sim makes its self-signed certificate with it; \(fix)"
            )
        }
        // Fresh files: openssl creates the key file with mode 0600 but keeps an existing file's mode.
        unlink(certPath)
        unlink(keyPath)
        let arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365",
            "-subj", "/O=kp-sim/CN=kp-sim@\(Int(Date().timeIntervalSince1970))",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-addext", "extendedKeyUsage=serverAuth",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-keyout", keyPath, "-out", certPath,
        ]
        let failure = await runToEnd(openssl, arguments)
        chmod(keyPath, 0o600)
        if let failure {
            unlink(certPath)  // nothing half-made for the next start to reuse
            unlink(keyPath)
            throw SimConfigurationError(
                "--cert-dir \(directory): \(openssl) req could not make a self-signed certificate (\(failure)); \(fix)")
        }
    }

    /// Runs `executable` to its end on a Dispatch thread, so the cooperative pool never waits on it:
    /// nil on exit 0, else how it failed (its status and the first line of its standard error).
    ///
    /// Foundation's `Process` rather than kp-launch's `ChildProcess`: KPSim imports no tool library,
    /// and this runs one short openssl at start-up, never per request.
    static func runToEnd(_ executable: String, _ arguments: [String]) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let errors = Pipe()
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                process.standardError = errors
                do {
                    try process.run()
                } catch {
                    continuation.resume(returning: "cannot start it: \(TokenAuthenticator.reason(error))")
                    return
                }
                let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                let status = process.terminationStatus
                guard process.terminationReason != .exit || status != 0 else {
                    continuation.resume(returning: nil)
                    return
                }
                let how = process.terminationReason == .exit ? "exit \(status)" : "signal \(status)"
                let line =
                    said.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { !$0.isEmpty } ?? "no message"
                continuation.resume(returning: "\(how): \(line)")
            }
        }
    }

    static func read(_ path: String, flag: String) throws(SimConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SimConfigurationError(
                "\(flag) \(path): cannot read it (\(TokenAuthenticator.reason(error))); pass a readable PEM file")
        }
    }

    /// NIOSSL server configuration offering h2 and http/1.1 via ALPN.
    func tlsConfiguration() throws(SimConfigurationError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(self.certificatePEM.utf8)).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(key))
            configuration.applicationProtocols = ["h2", "http/1.1"]
            return configuration
        } catch {
            throw SimConfigurationError(
                "kp-sim: cannot load the serving certificate/key (\(self.certificatePath)): \(error)")
        }
    }
}

/// Checks that a service-account key file is a PEM RSA or ECDSA key, private or public (kp-sim
/// does not issue SA tokens).
///
/// Private keys are loaded with NIOSSL. NIOSSL has no parser for PEM public keys, so for those the
/// check is structural and written here: the PEM armour, a base64 body that is one DER SEQUENCE,
/// and the algorithm (from the label, or for PKCS#8/SPKI from the algorithm OID at the DER's head).
enum ServiceAccountKey {
    static func check(_ path: String, flag: String) throws(SimConfigurationError) {
        let text = try ServingCertificate.read(path, flag: flag)
        let bad = SimConfigurationError(
            "\(flag) \(path): not a PEM RSA or ECDSA key; pass e.g. the PKCS#1 key from 'openssl genrsa -traditional 2048'"
        )
        guard let block = PEMKeyBlock(text), block.isOneSequence, block.algorithm != nil else { throw bad }
        if block.label.hasSuffix("PRIVATE KEY"), (try? NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)) == nil {
            throw bad
        }
    }
}

/// The first PEM block of a text whose label ends in `KEY` (`-----BEGIN RSA PRIVATE KEY-----` …), decoded.
struct PEMKeyBlock {
    /// Key algorithms a service-account key may use.
    enum Algorithm { case rsa, ecdsa }

    /// The label between `-----BEGIN ` and `-----`.
    var label: String
    /// The base64 body, decoded.
    var der: [UInt8]

    /// nil without such a block, or when its body is not plain base64 (e.g. an encrypted key's headers).
    init?(_ text: String) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard
            let begin = lines.firstIndex(where: {
                $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("KEY-----") && $0.count > 16
            })
        else { return nil }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----"),
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined())
        else { return nil }
        self.label = label
        self.der = Array(der)
    }

    /// Whether the body is exactly one DER SEQUENCE: tag 0x30 and a definite length covering the rest.
    var isOneSequence: Bool {
        guard self.der.count >= 2, self.der[0] == 0x30 else { return false }
        let first = Int(self.der[1])
        if first < 0x80 { return self.der.count == 2 + first }
        let count = first & 0x7f
        guard (1...4).contains(count), self.der.count > 2 + count else { return false }
        let length = self.der[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
        return self.der.count == 2 + count + length
    }

    /// RSA or ECDSA by the label; for `PRIVATE KEY` (PKCS#8) and `PUBLIC KEY` (SPKI), by the algorithm
    /// OID, which sits within the DER's first bytes; nil for any other key.
    var algorithm: Algorithm? {
        switch self.label {
        case "RSA PRIVATE KEY", "RSA PUBLIC KEY": return .rsa
        case "EC PRIVATE KEY": return .ecdsa
        case "PRIVATE KEY", "PUBLIC KEY":
            let head = self.der.prefix(32)
            // OBJECT IDENTIFIER rsaEncryption (1.2.840.113549.1.1.1) and id-ecPublicKey (1.2.840.10045.2.1).
            if head.firstRange(of: [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]) != nil {
                return .rsa
            }
            if head.firstRange(of: [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]) != nil { return .ecdsa }
            return nil
        default: return nil
        }
    }
}
