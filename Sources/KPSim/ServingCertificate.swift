import Crypto
import Foundation
import NIOSSL
import X509
import _CryptoExtras

/// The TLS identity kp-sim serves with: given files, or a self-signed certificate in `--cert-dir`.
///
/// Like kube-apiserver, when no `--tls-cert-file` is given kp-sim writes `apiserver.crt` and
/// `apiserver.key` into `--cert-dir` (creating it) and reuses them if both already exist. The
/// certificate is self-signed with `basicConstraints: CA:TRUE`, `keyCertSign`, `serverAuth` and
/// SANs `localhost`, `127.0.0.1` and `::1`, so clients can pass the same file as their CA
/// (`kubectl --certificate-authority`, `curl --cacert`) and verify normally.
public struct ServingCertificate: Sendable {
    /// PEM of the certificate.
    public var certificatePEM: String
    /// PEM of the private key.
    public var privateKeyPEM: String
    /// Path of the certificate file clients can use as their CA file.
    public var certificatePath: String

    /// Loads the configured files or creates/reuses the self-signed pair in `certDir`.
    ///
    /// - Throws: ``SimConfigurationError`` naming the file or directory that could not be read or written.
    public static func prepare(_ configuration: SimConfiguration) throws(SimConfigurationError) -> ServingCertificate {
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
        let (cert, key) = try generate()
        do {
            try Data(cert.utf8).write(to: URL(fileURLWithPath: certPath))
            try Data(key.utf8).write(to: URL(fileURLWithPath: keyPath))
            chmod(keyPath, 0o600)
        } catch {
            throw SimConfigurationError(
                "--cert-dir \(directory): cannot write apiserver.crt/apiserver.key (\(TokenAuthenticator.reason(error)))"
            )
        }
        return ServingCertificate(certificatePEM: cert, privateKeyPEM: key, certificatePath: certPath)
    }

    /// A fresh self-signed P-256 certificate and key as PEM.
    public static func generate() throws(SimConfigurationError) -> (certificate: String, key: String) {
        do {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("kp-sim")
                CommonName("kp-sim@\(Int(Date().timeIntervalSince1970))")
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectKeyIdentifier(hash: publicKey)
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            }
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key))
            return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
        } catch {
            throw SimConfigurationError("kp-sim: cannot generate a self-signed certificate: \(error)")
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

/// Checks that a service-account key file is a readable PEM key (kp-sim does not issue SA tokens).
enum ServiceAccountKey {
    static func check(_ path: String, flag: String) throws(SimConfigurationError) {
        let text = try ServingCertificate.read(path, flag: flag)
        if (try? _RSA.Signing.PrivateKey(pemRepresentation: text)) != nil { return }
        if (try? _RSA.Signing.PublicKey(pemRepresentation: text)) != nil { return }
        if (try? P256.Signing.PrivateKey(pemRepresentation: text)) != nil { return }
        if (try? P256.Signing.PublicKey(pemRepresentation: text)) != nil { return }
        if (try? P384.Signing.PrivateKey(pemRepresentation: text)) != nil { return }
        if (try? P384.Signing.PublicKey(pemRepresentation: text)) != nil { return }
        throw SimConfigurationError(
            "\(flag) \(path): not a PEM RSA or ECDSA key; pass e.g. the PKCS#1 key from 'openssl genrsa 2048'")
    }
}
