import Foundation

/// The paths kp-launch uses inside a run directory `out/<run>/` (see docs/architecture.md).
///
/// All paths are absolute, so records and kubeconfigs stay valid from any working directory.
/// Secrets (`tokens.csv`, `token`, `sa.key`) live under `target/` with mode 0600 and are deleted
/// when the run is stopped; certificates and logs are kept.
public struct RunFiles: Sendable, Equatable {
    /// The run directory, absolute.
    public var runDir: String

    /// Resolves `runDir` against the current directory.
    public init(runDir: String) {
        let url = URL(
            fileURLWithPath: runDir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        self.runDir = url.standardizedFileURL.path
    }

    /// The run's name: the last path component of the run directory.
    public var runName: String { (runDir as NSString).lastPathComponent }
    /// `target/`: secrets and certificates for the target.
    public var targetDir: String { runDir + "/target" }
    /// `target/certs/`: passed as `--cert-dir`; the target writes `apiserver.crt` there.
    public var certDir: String { targetDir + "/certs" }
    /// `target/certs/apiserver.crt`: the self-signed serving certificate (and its CA) the target writes.
    public var servingCert: String { certDir + "/apiserver.crt" }
    /// `target/tokens.csv` (0600): the static token file, `<token>,admin,admin,system:masters`.
    public var tokensCSV: String { targetDir + "/tokens.csv" }
    /// `target/token` (0600): the bare token, for clients.
    public var tokenFile: String { targetDir + "/token" }
    /// `target/sa.key` (0600): RSA-2048 PKCS#1 PEM, for both service-account flags.
    public var saKey: String { targetDir + "/sa.key" }
    /// `target/ca.crt` (0600): CA data taken from a kubeconfig in url mode.
    public var urlCAFile: String { targetDir + "/ca.crt" }
    /// `logs/`.
    public var logsDir: String { runDir + "/logs" }
    /// `logs/target.stdout.log`.
    public var targetStdoutLog: String { logsDir + "/target.stdout.log" }
    /// `logs/target.stderr.log`.
    public var targetStderrLog: String { logsDir + "/target.stderr.log" }
    /// `logs/etcd.log`: the throw-away etcd's output.
    public var etcdLog: String { logsDir + "/etcd.log" }
    /// `endpoint.json`: the endpoint record.
    public var endpointFile: String { runDir + "/endpoint.json" }
    /// `kubeconfig`: root context, CA path and token file.
    public var kubeconfig: String { runDir + "/kubeconfig" }
    /// `launch.pid`: the supervising kp-launch's pid, while the run is up.
    public var pidFile: String { runDir + "/launch.pid" }

    /// The secret files deleted at the end of a run.
    public var secrets: [String] { [tokensCSV, tokenFile, saKey, urlCAFile] }
}
