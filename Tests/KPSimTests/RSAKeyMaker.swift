import _CryptoExtras

/// Makes an RSA-2048 PEM key for `--service-account-key-file` (the harness uses PKCS#1; kp-sim accepts both).
enum _RSAKeyMaker {
    static func make() throws -> String {
        try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
    }
}
