/// How `kp-launch up`'s flags and the seed's environment variables combine.
///
/// An environment variable that is empty counts as unset (make exports the target-selection
/// variables whether or not they were given).
public enum LaunchEnvironment {
    /// The value of `name` in `environment`, nil when absent or empty.
    public static func value(_ name: String, in environment: [String: String]) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// A setting the flag gives and the variable only fills in: the flag wins (`APISERVER_BIN`,
    /// `APISERVER_DIR`, `APISERVER_URL`, `APISERVER_IMAGE`, `COMPOSE_FILE`, `TOKEN_FILE`, `CA_FILE`).
    public static func flagFirst(_ flag: String?, _ name: String, in environment: [String: String]) -> String? {
        flag ?? value(name, in: environment)
    }

    /// etcd's client URLs: `ETCD_ENDPOINTS` wins over `--etcd-endpoints`, as the seed says
    /// ("--etcd-endpoints etcd URL for local mode; ETCD_ENDPOINTS env overrides").
    ///
    /// Returns the URLs and, when the variable replaced a flag that was given, a line saying so for the log.
    public static func etcdEndpoints(flag: String?, environment: [String: String]) -> (
        value: String?, overridden: String?
    ) {
        guard let fromEnv = value("ETCD_ENDPOINTS", in: environment) else { return (flag, nil) }
        guard let flag, flag != fromEnv else { return (fromEnv, nil) }
        return (
            fromEnv,
            "ETCD_ENDPOINTS=\(fromEnv) overrides --etcd-endpoints \(flag) (the seed's rule: the variable wins); unset ETCD_ENDPOINTS to use the flag"
        )
    }
}
