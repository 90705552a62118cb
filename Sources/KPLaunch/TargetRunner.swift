import Foundation
import KPCore
import Logging

/// One way of bringing up a target for kp-launch: the bundled kp-sim, a local apiserver binary, an
/// existing URL, or docker compose.
///
/// The launcher (``Launcher``) owns everything that is the same in every mode, in this order:
/// it resolves the run directory and writes the run's secrets (``RunFiles``: `tokens.csv`,
/// `token`, `sa.key`), picks and pre-flights the port, calls ``preflight(_:)`` then
/// ``start(_:)``, waits for `/readyz` (shared), writes `endpoint.json`, `kubeconfig` and
/// `launch.pid`, then races ``supervise()`` against SIGTERM/SIGINT and `kp-launch down`, and
/// finally calls ``stop()`` and deletes the secrets.
///
/// A runner only starts, watches and stops what is particular to its mode. Conformers are
/// classes (they hold the handles of what they started) and must be safe to call from any task.
/// Errors thrown from ``preflight(_:)`` and ``start(_:)`` should be ``KPCore/ExitCodeError``s
/// whose description is the one line the user sees (bad input → 2, missing tool → 14,
/// etcd → 13); anything else exits 1.
public protocol TargetRunner: AnyObject, Sendable {
    /// The mode this runner implements (recorded as the endpoint record's `mode`).
    var mode: LaunchMode { get }

    /// Checks that can fail before anything is started: binaries, tools, etcd reachability.
    ///
    /// Called after the run's files exist and the port is chosen. Must not leave anything running.
    func preflight(_ context: TargetLaunchContext) async throws

    /// Starts the target (and whatever it needs, e.g. a throw-away etcd) and returns how to reach it.
    ///
    /// Returns once the processes/containers exist; readiness is the launcher's job. On a throw,
    /// the launcher still calls ``stop()``, so a partial start must be stoppable.
    func start(_ context: TargetLaunchContext) async throws -> StartedTarget

    /// Returns when something this runner started ends without being asked to.
    ///
    /// Returns nil when there is nothing to watch (url mode) or when the calling task is
    /// cancelled; the launcher cancels it when it stops the run on purpose.
    func supervise() async -> TargetFailure?

    /// Stops exactly what ``start(_:)`` started (SIGTERM, then SIGKILL after the grace period;
    /// or `compose down`) and removes runner-owned temporary data (e.g. an etcd data dir).
    ///
    /// Idempotent; safe after a failed or partial start, and after ``supervise()`` reported a failure.
    func stop() async

    /// Stops the target and starts it again keeping its storage (the same etcd and `--etcd-prefix`, the
    /// same port and secrets; docker: restarts the apiserver container), for `kp-launch restart`.
    /// ``supervise()`` does not count the stop as a failure. Returns once the new target exists, with
    /// the times it stopped and started; readiness is the launcher's job. Modes that do not own their
    /// target throw (the default).
    func restart(_ context: TargetLaunchContext) async throws -> RestartedTarget
}

/// A target that ``TargetRunner/restart(_:)`` stopped and started again.
public struct RestartedTarget: Sendable {
    /// How to reach it now (sim/local: the new pid; docker: the same container).
    public var target: StartedTarget
    /// CLOCK_MONOTONIC ns when the old target had stopped and when the new one was started.
    public var stoppedNs: Int64
    public var startedNs: Int64

    public init(target: StartedTarget, stoppedNs: Int64, startedNs: Int64) {
        self.target = target
        self.stoppedNs = stoppedNs
        self.startedNs = startedNs
    }
}

extension TargetRunner {
    /// Refuses: this mode does not own its target (url mode: a server kp-bench did not start).
    public func restart(_ context: TargetLaunchContext) async throws -> RestartedTarget {
        throw LaunchError.badInput(
            "\(mode.rawValue) mode cannot restart its target: kp-launch did not start it; restart it yourself, or run the target with --sim, --apiserver-bin or docker mode"
        )
    }
}

/// The four ways kp-launch can reach a target.
public enum LaunchMode: String, Sendable, CaseIterable, Codable {
    /// The bundled emulator, kp-sim.
    case sim
    /// A local kplane apiserver binary (given, or built from a checkout).
    case local
    /// An apiserver that is already running; nothing is launched.
    case url
    /// kplanedev/apiserver and etcd containers via docker compose (the seed's default).
    case docker
}

/// Everything a runner needs to start its target, prepared by the launcher.
public struct TargetLaunchContext: Sendable {
    /// The user's settings.
    public var configuration: LaunchConfiguration
    /// The run directory's paths (secrets already written when the runner is called).
    public var files: RunFiles
    /// The host port the target must serve HTTPS on (already checked to be free, except in url mode).
    public var port: Int
    /// The run's unique `--etcd-prefix`, `/registry-kpbench-<run>-<unixnano>`.
    public var etcdPrefix: String
    /// Where runners log progress (stderr).
    public var logger: Logger

    /// Creates a context.
    public init(configuration: LaunchConfiguration, files: RunFiles, port: Int, etcdPrefix: String, logger: Logger) {
        self.configuration = configuration
        self.files = files
        self.port = port
        self.etcdPrefix = etcdPrefix
        self.logger = logger
    }
}

/// A target that has been started (not necessarily ready yet): how to reach and identify it.
///
/// The launcher copies these fields into the endpoint record.
public struct StartedTarget: Sendable {
    /// Server root URL, e.g. `https://127.0.0.1:6443`, no trailing slash.
    public var url: String
    /// PEM file that verifies the serving certificate. The launcher waits for it to appear
    /// (the target writes it) before probing `/readyz`; nil only with ``insecureSkipTLSVerify``.
    public var caFile: String?
    /// TLS verification switched off (only when the user asked for it).
    public var insecureSkipTLSVerify: Bool
    /// The name the serving certificate carries when it is not the URL's host (docker mode:
    /// `localhost`); nil when the certificate names the URL's host.
    public var tlsServerName: String?
    /// File holding the bearer token.
    public var tokenFile: String
    /// Target process id (sim/local).
    public var pid: Int32?
    /// Container name or id (docker).
    public var container: String?
    /// Image reference and its resolved digest (docker).
    public var image: String?
    public var imageDigest: String?
    /// Compose project name (docker).
    public var composeProject: String?
    /// etcd client URLs the target uses.
    public var etcdEndpoints: String?
    /// The `--etcd-prefix` the target was given (nil when it was given none).
    public var etcdPrefix: String?
    /// True when the runner started a throw-away etcd for this run.
    public var etcdManaged: Bool
    /// The target's argument vector: file paths, never secrets.
    public var targetArgs: [String]?
    /// The commit the target binary was built from (`--apiserver-dir` builds), nil when unknown.
    public var targetCommit: String?
    /// Log files the runner writes (target stdout/stderr, etcd).
    public var logFiles: [String]

    /// Creates a started target; optional facts default to absent.
    public init(
        url: String, caFile: String?, insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil,
        tokenFile: String, pid: Int32? = nil,
        container: String? = nil, image: String? = nil, imageDigest: String? = nil, composeProject: String? = nil,
        etcdEndpoints: String? = nil, etcdPrefix: String? = nil, etcdManaged: Bool = false,
        targetArgs: [String]? = nil, logFiles: [String] = []
    ) {
        self.url = url
        self.caFile = caFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.tokenFile = tokenFile
        self.pid = pid
        self.container = container
        self.image = image
        self.imageDigest = imageDigest
        self.composeProject = composeProject
        self.etcdEndpoints = etcdEndpoints
        self.etcdPrefix = etcdPrefix
        self.etcdManaged = etcdManaged
        self.targetArgs = targetArgs
        self.logFiles = logFiles
    }
}

/// Why supervision ended without anyone asking: decides kp-launch's exit code.
public struct TargetFailure: Sendable, Equatable, CustomStringConvertible {
    /// What failed.
    public enum Component: Sendable, Equatable {
        /// The target process/container exited (exit 10, ``KPCore/KPExitCode/targetCrashed``).
        case target
        /// The throw-away etcd (or the etcd container) exited (exit 13, ``KPCore/KPExitCode/etcdFailed``).
        case etcd
        /// The target is alive but stopped answering for the stall timeout (exit 11, ``KPCore/KPExitCode/targetUnreachable``).
        case stalled
    }

    /// What failed.
    public var component: Component
    /// One line: what ended and how, e.g. `kp-sim (pid 123) was killed by signal 9`.
    public var message: String

    /// Creates a failure.
    public init(_ component: Component, _ message: String) {
        self.component = component
        self.message = message
    }

    /// The exit code kp-launch ends with.
    public var exitCode: KPExitCode {
        switch component {
        case .target: .targetCrashed
        case .etcd: .etcdFailed
        case .stalled: .targetUnreachable
        }
    }

    public var description: String { message }
}

/// Creates a runner for a mode implemented in another file without the launcher naming its type.
///
/// Docker mode lives in `Docker*.swift`; it plugs in by conforming ``DockerMode`` to this protocol:
/// `extension DockerMode: TargetRunnerProvider { public static func makeRunner(...) ... }`.
/// Until a build contains that conformance, docker mode fails with one line saying so.
public protocol TargetRunnerProvider {
    /// Builds the runner for `configuration` (validate mode-specific flags here; throw ``KPCore/InputError``).
    static func makeRunner(configuration: LaunchConfiguration) throws -> any TargetRunner
}

/// Namespace that docker mode's `Docker*.swift` conforms to ``TargetRunnerProvider``.
public enum DockerMode {
    /// The provider, when this build contains docker mode.
    public static var provider: (any TargetRunnerProvider.Type)? {
        (DockerMode.self as Any) as? any TargetRunnerProvider.Type
    }
}
