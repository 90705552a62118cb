import Foundation
import KPCore
import Logging

/// Runs the target as a local child process: kp-sim (sim mode) or a kplane apiserver binary
/// (local mode), plus a throw-away etcd when local mode is given no etcd endpoints.
///
/// The target gets exactly the contract flag set (``ContractFlags``) and `--bind-address=127.0.0.1`,
/// then `--sim-arg`s (sim mode) and `--apiserver-arg`s. It runs in its own session with its
/// stdout/stderr in `logs/target.*.log`.
public final class ProcessTargetRunner: TargetRunner, @unchecked Sendable {
    public let mode: LaunchMode
    private let configuration: LaunchConfiguration
    private let makeTransport: TransportFactory

    private let lock = NSLock()
    private var executable: String?
    /// The commit an `--apiserver-dir` build came from.
    private var builtCommit: String?
    private var etcdBinary: String?
    private var target: ChildProcess?
    private var etcd: ThrowawayEtcd?
    private var stopped = false
    /// What the last ``start(_:)`` started and with which arguments (``restart(_:)`` starts it again).
    private var started: StartedTarget?
    private var startArgs: [String]?
    /// True while ``restart(_:)`` stops and starts the target: supervision does not count that exit.
    private var restarting = false

    /// A runner for `mode` (`.sim` or `.local`).
    public init(
        mode: LaunchMode, configuration: LaunchConfiguration,
        makeTransport: @escaping TransportFactory = defaultTransportFactory
    ) {
        precondition(mode == .sim || mode == .local, "ProcessTargetRunner runs sim or local mode")
        self.mode = mode
        self.configuration = configuration
        self.makeTransport = makeTransport
    }

    /// The target's name in messages: `kp-sim` or the binary's file name.
    var targetName: String {
        mode == .sim ? "kp-sim" : ((lock.withLock { executable } ?? "apiserver") as NSString).lastPathComponent
    }

    public func preflight(_ context: TargetLaunchContext) async throws {
        let c = configuration
        switch mode {
        case .sim:
            let path = Self.absolute(c.simBin ?? Self.siblingExecutable("kp-sim"))
            try Self.requireExecutable(
                path, flag: c.simBin == nil ? "kp-sim (next to kp-launch)" : "--sim-bin",
                fix: c.simBin == nil ? "build it (swift build --product kp-sim) or pass --sim-bin" : "check the path")
            lock.withLock { executable = path }
        case .local:
            if let bin = c.apiserverBin.map(Self.absolute) {
                try Self.requireExecutable(
                    bin, flag: "--apiserver-bin/APISERVER_BIN",
                    fix: "check the path, or build it (go build -o bin/apiserver ./cmd/apiserver)")
                lock.withLock { executable = bin }
            } else if let dir = c.apiserverDir {
                let built = try await ApiserverBuild.ensureBinary(
                    dir: dir, buildLog: context.files.logsDir + "/build.log", logger: context.logger)
                lock.withLock {
                    executable = built.path
                    builtCommit = built.commit
                }
            } else {
                throw LaunchError.badInput(
                    "local mode needs --apiserver-bin/APISERVER_BIN or --apiserver-dir/APISERVER_DIR")
            }
        default:
            break
        }
        if let endpoints = c.etcdEndpoints {
            try await EtcdHealth.requireHealthy(endpoints, makeTransport: makeTransport)
        } else if mode == .local || c.simEtcd {
            let name = c.etcdBin ?? "etcd"
            guard let found = ChildProcess.findInPath(name) else {
                throw LaunchError.missingTool(
                    c.etcdBin != nil
                        ? "--etcd-bin \(name) is not an executable file: check the path"
                        : "\(mode == .sim ? "--sim-etcd" : "local mode") needs etcd: set ETCD_ENDPOINTS/--etcd-endpoints to a running etcd, or install etcd so kp-launch can start a throw-away one (apt-get install etcd-server)"
                )
            }
            lock.withLock { etcdBinary = found }
        }
    }

    public func start(_ context: TargetLaunchContext) async throws -> StartedTarget {
        guard let executable = lock.withLock({ executable }) else {
            throw LaunchError.failure("internal: start called before preflight")
        }
        let files = context.files
        var etcdURL = configuration.etcdEndpoints
        var managed = false
        var logFiles = [files.targetStdoutLog, files.targetStderrLog]
        if let etcdBinary = lock.withLock({ etcdBinary }) {
            let etcd = try await ThrowawayEtcd.start(
                binary: etcdBinary, logFile: files.etcdLog, timeout: .seconds(30), makeTransport: makeTransport,
                logger: context.logger)
            let keep = lock.withLock { () -> Bool in
                if stopped { return false }
                self.etcd = etcd
                return true
            }
            if !keep {
                await etcd.stop(grace: configuration.stopGrace)
                throw CancellationError()
            }
            etcdURL = etcd.clientURL
            managed = true
            logFiles.append(files.etcdLog)
        }
        let extra = (mode == .sim ? configuration.simArgs : []) + configuration.apiserverArgs
        let args = ContractFlags.arguments(
            etcdServers: etcdURL, etcdPrefix: context.etcdPrefix, certDir: files.certDir, securePort: context.port,
            tokenAuthFile: files.tokensCSV, serviceAccountKeyFile: files.saKey, extra: extra)
        context.logger.info("starting \(targetName): \(executable) \(args.joined(separator: " "))")
        let child = try ChildProcess.spawn(
            executable, args, stdout: .append(files.targetStdoutLog), stderr: .append(files.targetStderrLog))
        let keep = lock.withLock { () -> Bool in
            if stopped { return false }
            target = child
            startArgs = args
            return true
        }
        if !keep {
            await child.stop(grace: configuration.stopGrace)
            throw CancellationError()
        }
        var started = StartedTarget(
            url: "https://127.0.0.1:\(context.port)", caFile: files.servingCert, tokenFile: files.tokenFile,
            pid: child.pid,
            etcdEndpoints: etcdURL, etcdPrefix: context.etcdPrefix, etcdManaged: managed,
            targetArgs: [executable] + args,
            logFiles: logFiles)
        started.targetCommit = lock.withLock { builtCommit }
        lock.withLock { self.started = started }
        return started
    }

    /// Stops the target (SIGTERM, SIGKILL after the grace period) and starts the same executable with
    /// the same arguments: the same port, cert dir, secrets, etcd and `--etcd-prefix`. The throw-away
    /// etcd keeps running.
    public func restart(_ context: TargetLaunchContext) async throws -> RestartedTarget {
        let (old, previous, args, executable) = lock.withLock {
            () -> (ChildProcess?, StartedTarget?, [String]?, String?) in
            if target != nil { restarting = true }
            return (target, started, startArgs, self.executable)
        }
        guard let old, var previous, let args, let executable else {
            throw LaunchError.failure("internal: restart called before the target was started")
        }
        defer { lock.withLock { restarting = false } }
        let files = context.files
        let how = await old.stop(grace: configuration.stopGrace)
        let stoppedNs = MonotonicClock.now()
        context.logger.info(
            "restart: \(targetName) (pid \(old.pid)) stopped: it \(how); starting it again with the same flags and storage"
        )
        let child = try ChildProcess.spawn(
            executable, args, stdout: .append(files.targetStdoutLog), stderr: .append(files.targetStderrLog))
        let startedNs = MonotonicClock.now()
        let keep = lock.withLock { () -> Bool in
            if stopped { return false }
            target = child
            previous.pid = child.pid
            started = previous
            return true
        }
        if !keep {
            await child.stop(grace: configuration.stopGrace)
            throw CancellationError()
        }
        return RestartedTarget(target: previous, stoppedNs: stoppedNs, startedNs: startedNs)
    }

    public func supervise() async -> TargetFailure? {
        guard lock.withLock({ self.target }) != nil else { return nil }
        let files = RunFiles(runDir: configuration.runDir)
        while !Task.isCancelled {
            // The target is read each time: a restart replaces it (and its stop is not a failure).
            let (target, etcd, restarting) = lock.withLock { (self.target, self.etcd, self.restarting) }
            // etcd first: when both are gone, etcd's death is the cause (the target exits because etcd went away).
            if let etcd, let t = etcd.process.exitStatus {
                return TargetFailure(.etcd, "the throw-away etcd (pid \(etcd.process.pid)) \(t); see \(files.etcdLog)")
            }
            guard let target else { return nil }
            if !restarting, let t = target.exitStatus {
                let last = Self.lastLine(of: files.targetStderrLog).map { " (last stderr line: \($0))" } ?? ""
                return TargetFailure(
                    .target, "\(targetName) (pid \(target.pid)) \(t)\(last); see \(files.targetStderrLog)")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    public func stop() async {
        let (target, etcd) = lock.withLock { () -> (ChildProcess?, ThrowawayEtcd?) in
            stopped = true
            defer {
                self.target = nil
                self.etcd = nil
            }
            return (self.target, self.etcd)
        }
        if let target {
            let t = await target.stop(grace: configuration.stopGrace)
            Logger(label: "kp-launch").info("stopped \(targetName) (pid \(target.pid)): it \(t)")
        }
        if let etcd {
            let t = await etcd.process.stop(grace: configuration.stopGrace)
            try? FileManager.default.removeItem(atPath: etcd.dataDir)
            Logger(label: "kp-launch").info(
                "stopped the throw-away etcd (pid \(etcd.process.pid)): it \(t); removed \(etcd.dataDir)")
        }
    }

    /// The last non-empty line of a log, shortened, for crash messages.
    static func lastLine(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        else { return nil }
        return line.count > 200 ? String(line.prefix(200)) + "…" : String(line)
    }

    /// `path` made absolute against the working directory, so records stay valid from anywhere.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `name` in the directory of kp-launch's own executable.
    static func siblingExecutable(_ name: String) -> String {
        let own =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        return ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    /// Throws one line (exit 2) unless `path` is a regular file with an execute bit that we may run.
    ///
    /// Checks the mode bits itself: for root, `access(X_OK)` succeeds on any file, even one without x bits.
    static func requireExecutable(_ path: String, flag: String, fix: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw LaunchError.badInput("\(flag) \(path) does not exist: \(fix)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw LaunchError.badInput("\(flag) \(path) is not an executable file: it is a directory; \(fix)")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o111 != 0, access(path, X_OK) == 0 else {
            throw LaunchError.badInput("\(flag) \(path) is not an executable file: chmod +x it, or \(fix)")
        }
    }
}
