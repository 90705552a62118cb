/// The kplane apiserver's launch flag set, as the in-tree smoke test passes it (contract §1.1).
///
/// The same list, in the same order, goes to the real apiserver (local mode), to kp-sim (sim
/// mode) and into the container (docker mode), so every mode runs the server the smoke tests run.
public enum ContractFlags {
    /// The run's unique etcd key prefix: `/registry-kpbench-<run>-<unixnano>`.
    ///
    /// The run name is lower-cased with characters outside `[a-z0-9-]` replaced by `-`, as the
    /// smoke test does with its test name, so the prefix is a clean etcd key.
    public static func etcdPrefix(runName: String, unixNanos: Int64) -> String {
        let cleaned = String(
            runName.lowercased().map { c -> Character in
                (c.isASCII && (c.isLetter || c.isNumber)) || c == "-" ? c : "-"
            })
        return "/registry-kpbench-\(cleaned)-\(unixNanos)"
    }

    /// The flag set, in order, followed by `--bind-address` and `extra`.
    ///
    /// - Parameters:
    ///   - etcdServers: `--etcd-servers`; nil omits the flag (kp-sim then keeps its store in memory).
    ///   - etcdPrefix: `--etcd-prefix`.
    ///   - certDir: `--cert-dir`, where the target writes its self-signed `apiserver.crt`.
    ///   - securePort: `--secure-port`.
    ///   - tokenAuthFile: `--token-auth-file`.
    ///   - serviceAccountKeyFile: both `--service-account-signing-key-file` and `--service-account-key-file`.
    ///   - bindAddress: `--bind-address` (loopback, so the self-signed cert names 127.0.0.1).
    ///   - extra: appended last (`--apiserver-arg`, `--sim-arg`).
    public static func arguments(
        etcdServers: String?, etcdPrefix: String, certDir: String, securePort: Int, tokenAuthFile: String,
        serviceAccountKeyFile: String, bindAddress: String = "127.0.0.1", extra: [String] = []
    ) -> [String] {
        var args: [String] = []
        if let etcdServers { args.append("--etcd-servers=\(etcdServers)") }
        args += [
            "--etcd-prefix=\(etcdPrefix)",
            "--cert-dir=\(certDir)",
            "--secure-port=\(securePort)",
            "--enable-aggregator-routing=true",
            "--authorization-mode=RBAC",
            "--anonymous-auth=true",
            "--token-auth-file=\(tokenAuthFile)",
            "--allow-privileged=true",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--service-cidr-sharing-mode=shared",
            "--kubernetes-service-mode=shared",
            "--service-account-issuer=test",
            "--api-audiences=test,https://kubernetes.default.svc",
            "--service-account-signing-key-file=\(serviceAccountKeyFile)",
            "--service-account-key-file=\(serviceAccountKeyFile)",
            "--v=2",
            "--bind-address=\(bindAddress)",
        ]
        return args + extra
    }
}
