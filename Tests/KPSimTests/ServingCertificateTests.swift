import Foundation
import KPTestSupport
import Testing

@testable import KPSim

/// The serving certificate kp-sim makes with openssl, and which service-account key files it accepts.
@Suite struct ServingCertificateTests {
    /// `openssl` with `arguments` (failing the test when it fails), its stdout.
    @discardableResult
    func openssl(_ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(try Support.tool("/usr/bin/openssl", package: "openssl"), arguments)
        guard result.exitCode == 0 else { throw TestFailure("openssl \(arguments) failed: \(result.stderr)") }
        return result.stdout
    }

    @Test(
        "the self-signed certificate: CA:TRUE, keyCertSign, serverAuth, SANs localhost/127.0.0.1/::1, a 0600 P-256 key")
    func selfSigned() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configuration = try Support.configuration(Support.smokeArguments(dir: dir))
        let certificate = try await ServingCertificate.prepare(configuration)
        #expect(certificate.certificatePath == dir + "/certs/apiserver.crt")
        let extensions = try await self.openssl([
            "x509", "-in", certificate.certificatePath, "-noout",
            "-ext", "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName",
        ])
        for wanted in [
            "Basic Constraints: critical\n    CA:TRUE",
            "Key Usage: critical\n    Digital Signature, Key Encipherment, Certificate Sign",
            "Extended Key Usage: \n    TLS Web Server Authentication",
            "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        ] {
            #expect(extensions.contains(wanted), "\(wanted) not in \(extensions)")
        }
        let keyPath = dir + "/certs/apiserver.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try await self.openssl(["pkey", "-in", keyPath, "-noout", "-text"]).contains("NIST CURVE: P-256"))
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == certificate.privateKeyPEM)
        _ = try certificate.tlsConfiguration()  // NIOSSL loads the pair
        // Issued by itself: verifying it against itself as the only CA succeeds.
        let path = certificate.certificatePath
        #expect(try await self.openssl(["verify", "-CAfile", path, path]) == "\(path): OK\n")
    }

    @Test("without a working openssl, one line naming it and the fix")
    func withoutOpenSSL() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configuration = try Support.configuration(Support.smokeArguments(dir: dir))
        let fix = "install openssl (Debian: apt-get install openssl) or pass --tls-cert-file/--tls-private-key-file"
        let missing = await #expect(throws: SimConfigurationError.self) {
            try await ServingCertificate.prepare(configuration, openssl: nil)
        }
        #expect(
            missing?.message
                == "--cert-dir \(dir)/certs: openssl is not on PATH, and kp-sim makes its self-signed certificate with it; \(fix)"
        )
        let failing = await #expect(throws: SimConfigurationError.self) {
            try await ServingCertificate.prepare(configuration, openssl: "/bin/false")
        }
        #expect(
            failing?.message
                == "--cert-dir \(dir)/certs: /bin/false req could not make a self-signed certificate (exit 1: no message); \(fix)"
        )
        #expect(!FileManager.default.fileExists(atPath: dir + "/certs/apiserver.crt"))
    }

    @Test("service-account keys: PEM RSA and ECDSA keys, private or public, pass; other files fail with one line")
    func serviceAccountKeys() async throws {
        let dir = try Support.makeWorkDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rsa = dir + "/sa.key"  // SimFixture's PKCS#1 RSA-2048 key
        try await self.openssl(["rsa", "-in", rsa, "-pubout", "-out", dir + "/rsa.pub"])
        try await self.openssl(["rsa", "-in", rsa, "-RSAPublicKey_out", "-out", dir + "/rsa1.pub"])
        try await self.openssl(["pkey", "-in", rsa, "-out", dir + "/rsa8.key"])
        try await self.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-out", dir + "/ec.key"])
        try await self.openssl(["pkey", "-in", dir + "/ec.key", "-out", dir + "/ec8.key"])
        try await self.openssl(["pkey", "-in", dir + "/ec.key", "-pubout", "-out", dir + "/ec.pub"])
        try await self.openssl(["genpkey", "-algorithm", "ed25519", "-out", dir + "/ed.key"])
        try await self.openssl(["pkey", "-in", dir + "/ed.key", "-pubout", "-out", dir + "/ed.pub"])
        try await self.openssl([
            "pkey", "-in", dir + "/ec8.key", "-aes256", "-passout", "pass:x", "-out", dir + "/enc.key",
        ])
        try await self.openssl([
            "rsa", "-in", rsa, "-aes256", "-passout", "pass:x", "-traditional", "-out", dir + "/enc1.key",
        ])
        let pem = try String(contentsOfFile: dir + "/rsa.pub", encoding: .utf8)
        try pem.replacingOccurrences(of: "AQAB", with: "").write(
            toFile: dir + "/short.pub", atomically: true, encoding: .utf8)
        try "hello\n".write(toFile: dir + "/text.key", atomically: true, encoding: .utf8)
        let certificate = try await ServingCertificate.prepare(
            try Support.configuration(Support.smokeArguments(dir: dir)))

        // EC PARAMETERS then EC PRIVATE KEY in ec.key: the key block is found after the parameters.
        for good in ["sa.key", "rsa.pub", "rsa1.pub", "rsa8.key", "ec.key", "ec8.key", "ec.pub"] {
            #expect(throws: Never.self, "\(good)") { try ServiceAccountKey.check(dir + "/" + good, flag: "--f") }
        }
        let bad = [
            "ed.key", "ed.pub", "enc.key", "enc1.key", "short.pub", "text.key", "tokens.csv",
            String(certificate.certificatePath.dropFirst(dir.count + 1)),
        ]
        for name in bad {
            let error = #expect(throws: SimConfigurationError.self, "\(name)") {
                try ServiceAccountKey.check(dir + "/" + name, flag: "--f")
            }
            #expect(
                error?.message
                    == "--f \(dir)/\(name): not a PEM RSA or ECDSA key; pass e.g. the PKCS#1 key from 'openssl genrsa -traditional 2048'"
            )
        }
    }
}
