import Foundation
import KPCore

/// The one set-up of a kp-sim under test: a work dir with the contract's credentials and the
/// contract's flag set (§1.1). KPSimTests' in-process servers, KPLoadTests' `SimServer` and
/// ``SimProcess`` all start from here.
public enum SimFixture {
    /// The bearer token the smoke tests use (contract §1.1: `smoketoken`, in group system:masters).
    public static let token = "smoketoken"

    /// An RSA-2048 PKCS#1 PEM key for `--service-account-*-key-file`, made once per test process by
    /// `openssl genrsa -traditional` (empty when openssl is missing: kp-sim then refuses the key file).
    public static let serviceAccountKeyPEM: String = {
        guard let openssl = ExecutableSearch.find("openssl"),
            let result = try? BuiltTools.run(openssl, ["genrsa", "-traditional", "2048"]), result.status == 0
        else { return "" }
        return String(decoding: result.stdout, as: UTF8.self)
    }()

    /// A fresh temp dir `<tmp>/<prefix>-<uuid>` holding `tokens.csv` (0600), `token` and `sa.key` (0600).
    public static func makeWorkDir(prefix: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try write("\(token),admin,admin,system:masters\n", to: dir + "/tokens.csv", mode: 0o600)
        try write(token + "\n", to: dir + "/token", mode: 0o600)
        try write(serviceAccountKeyPEM, to: dir + "/sa.key", mode: 0o600)
        return dir
    }

    /// The smoke tests' flag set of contract §1.1 without `--etcd-servers` (kp-sim then keeps objects
    /// in memory), on a free loopback port, with the files of ``makeWorkDir(prefix:)``; then `extra`.
    public static func contractArguments(dir: String, extra: [String] = []) -> [String] {
        [
            "--cert-dir=\(dir)/certs", "--secure-port=0", "--bind-address=127.0.0.1",
            "--enable-aggregator-routing=true", "--authorization-mode=RBAC", "--anonymous-auth=true",
            "--token-auth-file=\(dir)/tokens.csv", "--allow-privileged=true",
            "--service-cluster-ip-range=10.0.0.0/24", "--service-cidr-sharing-mode=shared",
            "--kubernetes-service-mode=shared", "--service-account-issuer=test",
            "--api-audiences=test,https://kubernetes.default.svc",
            "--service-account-signing-key-file=\(dir)/sa.key", "--service-account-key-file=\(dir)/sa.key",
        ] + extra
    }

    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }
}
