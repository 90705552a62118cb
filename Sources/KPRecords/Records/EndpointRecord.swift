/// What `kp-launch` prints once its target answers `/readyz`: how to reach and identify the target.
///
/// Never holds the token itself: only the path of a 0600 file that does.
public struct EndpointRecord: KPRecord {
    public static let kind = RecordKind.endpoint
    public var kind: RecordKind = .endpoint
    public var v: Int = Schema.currentVersion
    /// Base URL of the server root, e.g. `https://127.0.0.1:6443` (no `/clusters/...` suffix).
    public var url: String
    /// PEM CA bundle that verifies the serving certificate; nil only with `insecure_skip_tls_verify`.
    public var caFile: String?
    /// Path of a file whose content is the bearer token (mode 0600).
    public var tokenFile: String
    /// True when TLS verification was explicitly switched off.
    public var insecureSkipTLSVerify: Bool
    /// The name the serving certificate is verified against when it is not the URL's host (docker
    /// mode: `localhost`, the name the apiserver's self-signed certificate carries, while the URL is
    /// `https://127.0.0.1:6443`); absent when the certificate names the URL's host.
    public var tlsServerName: String?
    /// How the target was started: `sim`, `local`, `url` or `docker`.
    public var mode: String
    /// `kp-sim` when the target is the bundled emulator, else `kplane-apiserver` (or `unknown`).
    public var target: String
    /// True when the target identified itself as kp-sim (its numbers describe the emulator, not kplane).
    public var emulator: Bool
    /// `gitVersion` from the target's `/version`.
    public var targetVersion: String?
    /// The commit the target binary was built from (local mode with `--apiserver-dir`: the checkout's
    /// HEAD at the build); absent when unknown.
    public var targetCommit: String?
    /// Process id of the target (sim/local modes).
    public var pid: Int32?
    /// Process id of the `kp-launch` supervisor that owns the target (signal it to stop the run).
    public var launcherPid: Int32?
    /// Container name or id (docker mode).
    public var container: String?
    /// Image reference and resolved digest (docker mode).
    public var image: String?
    public var imageDigest: String?
    public var composeProject: String?
    /// etcd client URLs the target uses, and the run's unique key prefix.
    public var etcdEndpoints: String?
    public var etcdPrefix: String?
    /// Whether kp-launch started a throw-away etcd for this run.
    public var etcdManaged: Bool?
    /// Run directory and the files kp-launch wrote there.
    public var runDir: String?
    public var kubeconfig: String?
    public var logFiles: [String]?
    /// The target's argument vector (contains file paths, never secrets).
    public var targetArgs: [String]?
    /// CLOCK_MONOTONIC ns when the launch began and when `/readyz` first answered 200.
    public var launchedNs: Int64
    public var readyNs: Int64?
    /// Wall-clock start, RFC 3339.
    public var startedAt: String

    enum CodingKeys: String, CodingKey {
        case kind, v, url, mode, target, emulator, pid, container, image
        case caFile = "ca_file"
        case tokenFile = "token_file"
        case insecureSkipTLSVerify = "insecure_skip_tls_verify"
        case tlsServerName = "tls_server_name"
        case targetVersion = "target_version"
        case targetCommit = "target_commit"
        case launcherPid = "launcher_pid"
        case imageDigest = "image_digest"
        case composeProject = "compose_project"
        case etcdEndpoints = "etcd_endpoints"
        case etcdPrefix = "etcd_prefix"
        case etcdManaged = "etcd_managed"
        case runDir = "run_dir"
        case kubeconfig
        case logFiles = "log_files"
        case targetArgs = "target_args"
        case launchedNs = "launched_ns"
        case readyNs = "ready_ns"
        case startedAt = "started_at"
    }

    public init(
        url: String, caFile: String?, tokenFile: String, insecureSkipTLSVerify: Bool = false, mode: String,
        target: String, emulator: Bool, launchedNs: Int64, startedAt: String
    ) {
        self.url = url
        self.caFile = caFile
        self.tokenFile = tokenFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.mode = mode
        self.target = target
        self.emulator = emulator
        self.launchedNs = launchedNs
        self.startedAt = startedAt
    }

    public var record: Record { .endpoint(self) }
}
