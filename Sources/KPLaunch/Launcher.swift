import Foundation
import KPCore
import KPRecords
import Logging

/// `kp-launch up`: brings a target up, publishes how to reach it, supervises it, and stops exactly
/// what it started.
///
/// Steps: resolve the mode (never falling back to another), refuse a run dir that is already up,
/// pick and pre-flight the port, write the run's secrets, run the mode's pre-flight, write
/// `launch.pid`, start the target, wait for `/readyz`, write `endpoint.json` (atomically) and the
/// endpoint record on stdout, write `kubeconfig`; then wait for the target or etcd to die
/// (exit 10/13, with an `error` record on stdout), or for SIGTERM/SIGINT or `kp-launch down`
/// (exit 143/130, or 0 for `down`). Every exit path stops what was started and deletes the secrets.
public final class Launcher: @unchecked Sendable {
    /// The user's settings.
    public let configuration: LaunchConfiguration
    private let makeTransport: TransportFactory
    private let logger: Logger
    private let records: JSONLWriter
    /// SIGINT/SIGTERM, installed by the executable (kp-launch passes KPCLI's `SignalWatcher`); nil: none.
    private let stopSignals: (any StopSignalSource)?

    /// Creates a launcher; `records` receives the endpoint record (and an error record on a crash);
    /// a signal from `stopSignals` stops the run as `kp-launch down` does (exit 130/143).
    public init(
        configuration: LaunchConfiguration, makeTransport: @escaping TransportFactory = defaultTransportFactory,
        records: JSONLWriter = .stdout, logger: Logger = Logger(label: "kp-launch"),
        stopSignals: (any StopSignalSource)? = nil
    ) {
        self.configuration = configuration
        self.stopSignals = stopSignals
        self.makeTransport = makeTransport
        self.records = records
        self.logger = logger
    }

    /// The runner for `mode`. Docker mode comes from ``DockerMode/provider``; without it, one line saying so.
    public static func makeRunner(
        mode: LaunchMode, configuration: LaunchConfiguration,
        makeTransport: @escaping TransportFactory = defaultTransportFactory
    ) throws -> any TargetRunner {
        switch mode {
        case .sim, .local:
            return ProcessTargetRunner(mode: mode, configuration: configuration, makeTransport: makeTransport)
        case .url: return try URLTargetRunner(configuration: configuration)
        case .docker:
            guard let provider = DockerMode.provider else {
                throw LaunchError.missingTool(
                    "docker mode (the default when no target is given) is not in this build: run a local apiserver with APISERVER_BIN=/path/to/apiserver (or APISERVER_DIR=checkout) and ETCD_ENDPOINTS, use --apiserver-url, or try the emulator with --sim / make demo"
                )
            }
            return try provider.makeRunner(configuration: configuration)
        }
    }

    /// Runs `up` to the end and returns the exit code for a stop by signal or `down`;
    /// throws ``LaunchError`` for pre-flight errors, a target that never got ready, and crashes.
    public func up() async throws -> KPExitCode {
        let launchedNs = MonotonicClock.now()
        let startedAt = WallClock.now()
        let files = RunFiles(runDir: configuration.runDir)
        let mode = try configuration.resolveMode()
        try validateModeSpecificFlags(mode)
        let runner = try Self.makeRunner(mode: mode, configuration: configuration, makeTransport: makeTransport)

        if let pid = RunControl.readPid(files), pid != getpid(), RunControl.isLiveLauncher(pid) {
            throw LaunchError.badInput(
                "a run is already up in \(configuration.runDir) (kp-launch pid \(pid)): stop it with kp-launch down --run-dir \(configuration.runDir), or pick another --run-dir"
            )
        }
        let port = try await choosePort(mode: mode)
        // Directories this launch creates; the empty ones are removed again at the end, so a
        // failed pre-flight leaves the run directory as it found it.
        let createdDirs = [files.runDir, files.logsDir, files.targetDir].filter {
            !FileManager.default.fileExists(atPath: $0)
        }
        try RunSecrets.makeDirectory(files.runDir, mode: 0o755)
        try RunSecrets.makeDirectory(files.logsDir, mode: 0o755)
        unlink(RunControl.downMarker(files))
        let prefix = ContractFlags.etcdPrefix(
            runName: files.runName, unixNanos: Int64(Date().timeIntervalSince1970 * 1e9))
        let context = TargetLaunchContext(
            configuration: configuration, files: files, port: port, etcdPrefix: prefix, logger: logger)

        let state = SupervisorState()
        let wroteSecrets = mode != .url
        func cleanUp() async {
            state.cancelSupervision()
            await runner.stop()
            if wroteSecrets { RunSecrets.remove([files.tokensCSV, files.tokenFile, files.saKey]) }
            if RunControl.readPid(files) == getpid() { unlink(files.pidFile) }
            for dir in createdDirs.reversed() { rmdir(dir) }  // only succeeds when empty
        }
        // Everything up to "ready" runs in a task that a signal cancels. The secrets come after the
        // pre-flight checks, so a missing engine, etcd or Go is said before a missing openssl; a
        // failure from here on is cleaned up by cleanUp().
        let launch = Task { () async throws -> (StartedTarget, ReadinessProbe.Ready) in
            try await runner.preflight(context)
            if wroteSecrets { try await RunSecrets.write(files) }
            try RunControl.writePid(files)
            try Task.checkCancellation()
            let started = try await runner.start(context)
            state.startSupervision { await runner.supervise() }
            let ready = try await ReadinessProbe.wait(
                for: started, timeout: configuration.readyTimeout, makeTransport: makeTransport,
                failure: { state.failure }, logger: logger)
            return (started, ready)
        }
        stopSignals?.onSignal { signal in
            state.end(.signal(signal))
            launch.cancel()
        }

        let started: StartedTarget
        let ready: ReadinessProbe.Ready
        do {
            (started, ready) = try await launch.value
        } catch {
            await cleanUp()
            if let signal = state.signal {
                return stopCode(signal: signal, files: files, during: "start-up")
            }
            if let e = error as? LaunchError,
                e.exitCode == .targetCrashed || e.exitCode == .etcdFailed || e.exitCode == .targetUnreachable
            {
                try? records.write(
                    ErrorRecord(tNs: MonotonicClock.now(), tool: "kp-launch", message: e.message, input: files.logsDir))
            }
            throw error
        }

        var record = EndpointRecord(
            url: started.url, caFile: started.caFile, tokenFile: started.tokenFile,
            insecureSkipTLSVerify: started.insecureSkipTLSVerify, mode: mode.rawValue,
            target: ready.emulator ? "kp-sim" : "kplane-apiserver", emulator: ready.emulator, launchedNs: launchedNs,
            startedAt: startedAt)
        record.tlsServerName = started.tlsServerName
        record.targetVersion = ready.gitVersion
        record.targetCommit = started.targetCommit
        record.pid = started.pid
        record.launcherPid = getpid()
        record.container = started.container
        record.image = started.image
        record.imageDigest = started.imageDigest
        record.composeProject = started.composeProject
        record.etcdEndpoints = started.etcdEndpoints
        record.etcdPrefix = started.etcdPrefix
        record.etcdManaged = mode == .url ? nil : started.etcdManaged
        record.runDir = files.runDir
        record.kubeconfig = files.kubeconfig
        record.logFiles = started.logFiles.isEmpty ? nil : started.logFiles
        record.targetArgs = started.targetArgs
        record.readyNs = ready.readyNs
        do {
            try Self.writeAtomically(
                try Kubeconfig.root(for: record, runName: files.runName).yaml(), to: files.kubeconfig)
            var line = try RecordCodec.encode(record.record)
            line.append(0x0A)
            try Self.writeAtomically(String(decoding: line, as: UTF8.self), to: files.endpointFile)
            try records.writeLine(line)
        } catch {
            await cleanUp()
            throw LaunchError.failure("cannot write the endpoint record or kubeconfig in \(files.runDir): \(error)")
        }
        let readyAfter = Duration.nanoseconds(ready.readyNs - launchedNs)
        logger.info(
            "\(record.target) \(ready.gitVersion ?? "") ready at \(started.url) after \(formatSeconds(readyAfter)); endpoint \(files.endpointFile), kubeconfig \(files.kubeconfig)"
        )
        if ready.emulator {
            logger.notice(
                "the target is kp-sim, the bundled emulator: its numbers describe kp-sim, not the kplane apiserver")
        }

        startStallWatch(state, target: started)
        let restarts = Task {
            await self.serveRestarts(
                runner: runner, context: context, mode: mode, endpoint: record, target: started, state: state)
        }
        let reason = await state.waitForEnd()
        restarts.cancel()
        if case .failure(let failure) = reason {
            // The error record goes out before the (possibly slow) stop, so a watching run script
            // learns of the failure at once and attributes it to the phase it is in.
            let message =
                failure.component == .stalled
                ? "the target stalled during the run: \(failure.message)"
                : "\(failure.component == .target ? "the target" : "etcd") failed during the run: \(failure.message)"
            logger.error("\(message); stopping what was started")
            try? records.write(
                ErrorRecord(tNs: MonotonicClock.now(), tool: "kp-launch", message: message, input: files.logsDir))
            await cleanUp()
            throw LaunchError(message, exitCode: failure.exitCode)
        }
        await cleanUp()
        guard case .signal(let signal) = reason else { return .failure }
        return stopCode(signal: signal, files: files, during: "the run")
    }

    /// Starts (or starts again, after a restart) the stall watch on `target`, when one is configured.
    private func startStallWatch(_ state: SupervisorState, target: StartedTarget) {
        guard let timeout = configuration.stallTimeout else { return }
        let watch = StallWatch(timeout: timeout)
        let makeTransport = self.makeTransport
        let logger = self.logger
        state.startWatch { await watch.run(target: target, makeTransport: makeTransport, logger: logger) }
    }

    /// Answers `kp-launch restart` requests (``RunControl/restartRequest(_:)``) until cancelled: stops
    /// the stall watch, has the runner restart the target keeping its storage, waits for `/readyz`,
    /// rewrites `endpoint.json` with the new pid, writes the `restart` record on stdout and as the
    /// answer, and starts the stall watch again. A restart that fails ends the run as a target failure;
    /// a mode that cannot restart (url) answers with an `error` record and goes on.
    private func serveRestarts(
        runner: any TargetRunner, context: TargetLaunchContext, mode: LaunchMode, endpoint: EndpointRecord,
        target: StartedTarget, state: SupervisorState
    ) async {
        let files = context.files
        var endpoint = endpoint
        while !Task.isCancelled {
            guard let requestedNs = RunControl.takeRestartRequest(files) else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            let stopNs = MonotonicClock.now()
            let answer = RunControl.restartAnswer(files)
            guard mode != .url else {
                let refusal = ErrorRecord(
                    tNs: stopNs, tool: "kp-launch",
                    message:
                        "url mode cannot restart its target: kp-launch did not start it (restart it yourself, or run the target with --sim, --apiserver-bin or docker mode)",
                    input: files.runDir)
                try? Self.writeAtomically(Self.line(refusal.record), to: answer)
                continue
            }
            logger.info("restart requested: stopping \(endpoint.target) and starting it again with the same storage")
            state.stopWatch()
            var restart = RestartRecord(
                outcome: "ok", mode: mode.rawValue, requestedNs: requestedNs, stopNs: stopNs, stoppedNs: stopNs,
                startedNs: stopNs, readyNs: nil, etcdEndpoints: target.etcdEndpoints, etcdPrefix: target.etcdPrefix)
            do {
                let restarted = try await runner.restart(context)
                restart.stoppedNs = restarted.stoppedNs
                restart.startedNs = restarted.startedNs
                restart.pid = restarted.target.pid
                restart.container = restarted.target.container
                let ready = try await ReadinessProbe.wait(
                    for: restarted.target, timeout: configuration.readyTimeout, makeTransport: makeTransport,
                    failure: { state.failure }, logger: logger)
                restart.readyNs = ready.readyNs
                endpoint.pid = restarted.target.pid
                endpoint.container = restarted.target.container
                try? Self.writeAtomically(Self.line(endpoint.record), to: files.endpointFile)
                logger.info(
                    "restarted: \(endpoint.target) ready again after \(formatSeconds(.nanoseconds(ready.readyNs - restarted.startedNs))) (down \(formatSeconds(.nanoseconds(ready.readyNs - stopNs))))"
                )
            } catch {
                if Task.isCancelled { return }
                restart.outcome = "failed"
                restart.error = (error as? LaunchError)?.message ?? "\(error)"
            }
            try? records.write(restart)
            try? Self.writeAtomically(Self.line(restart.record), to: answer)
            if restart.outcome != "ok" {
                state.end(.failure(TargetFailure(.target, "the restart failed: \(restart.error ?? "?")")))
                return
            }
            startStallWatch(state, target: target)
        }
    }

    /// One record as a JSON line with its newline.
    static func line(_ record: Record) -> String {
        ((try? RecordCodec.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "") + "\n"
    }

    /// 0 for `kp-launch down`, else 130/143; removes the down marker.
    private func stopCode(signal: Int32, files: RunFiles, during phase: String) -> KPExitCode {
        let marker = RunControl.downMarker(files)
        let byDown = FileManager.default.fileExists(atPath: marker)
        unlink(marker)
        if byDown {
            logger.info("stopped by kp-launch down during \(phase); secrets removed, logs and certificates kept")
            return .ok
        }
        logger.info(
            "stopped by \(ChildProcess.signalName(signal) ?? "signal \(signal)") during \(phase); secrets removed, logs and certificates kept"
        )
        return signal == SIGINT ? .interrupted : .terminated
    }

    private func choosePort(mode: LaunchMode) async throws -> Int {
        if mode == .url {
            return URL(string: configuration.apiserverURL ?? "")?.port ?? 0
        }
        if mode == .docker {
            // Checked by the docker runner's pre-flight: this project's own compose stack may hold it (it is removed first).
            return try configuration.dockerEndpoint().port
        }
        if let port = configuration.port {
            try await PortProbe.requireFree(port, flag: "--port")
            return port
        }
        return try PortProbe.freeLoopbackPort()
    }

    /// Flags that only make sense in another mode are an error, never silently ignored.
    private func validateModeSpecificFlags(_ mode: LaunchMode) throws {
        let c = configuration
        var foreign: [String] = []
        if mode != .sim {
            if c.simBin != nil { foreign.append("--sim-bin") }
            if !c.simArgs.isEmpty { foreign.append("--sim-arg") }
            if c.simEtcd { foreign.append("--sim-etcd") }
        }
        if mode != .url {
            if c.tokenFile != nil { foreign.append("--token-file/TOKEN_FILE") }
            if c.caFile != nil { foreign.append("--ca-file/CA_FILE") }
            if c.insecureSkipTLSVerify { foreign.append("--insecure-skip-tls-verify") }
        }
        if mode == .url {
            if c.port != nil { foreign.append("--port") }
            if c.etcdEndpoints != nil { foreign.append("--etcd-endpoints/ETCD_ENDPOINTS") }
            if !c.apiserverArgs.isEmpty { foreign.append("--apiserver-arg") }
        }
        if mode != .local && !(mode == .sim && c.simEtcd), c.etcdBin != nil { foreign.append("--etcd-bin") }
        if mode != .docker, c.dockerURL != nil { foreign.append("--apiserver-url (docker mode's base URL)") }
        if !foreign.isEmpty {
            throw LaunchError.conflict(
                "\(foreign.joined(separator: ", ")) cannot be used in \(mode.rawValue) mode: drop \(foreign.count == 1 ? "it, or choose the mode it belongs" : "them, or choose the mode they belong") to"
            )
        }
    }

    /// Writes `text` to a temporary file beside `path` and renames it, so readers never see half a file.
    static func writeAtomically(_ text: String, to path: String) throws {
        do {
            try FileOutput.writeAtomically(text, to: path)
        } catch {
            throw LaunchError.failure("\(error)")
        }
    }
}

/// What ends supervision, shared between the signal handler, the supervision task and `up()`.
final class SupervisorState: @unchecked Sendable {
    enum End: Sendable {
        case signal(Int32)
        case failure(TargetFailure)
    }

    private let lock = NSLock()
    private var ended: End?
    private var waiter: CheckedContinuation<End, Never>?
    private var supervision: Task<Void, Never>?
    private var watch: Task<Void, Never>?

    /// The target failure seen so far, if any.
    var failure: TargetFailure? {
        lock.withLock {
            if case .failure(let f) = ended { return f }
            return nil
        }
    }

    /// The signal that ended the run, if one did.
    var signal: Int32? {
        lock.withLock {
            if case .signal(let s) = ended { return s }
            return nil
        }
    }

    /// Records the first reason to end; later ones are ignored.
    func end(_ reason: End) {
        let w = lock.withLock { () -> CheckedContinuation<End, Never>? in
            if ended != nil { return nil }
            ended = reason
            defer { waiter = nil }
            return waiter
        }
        w?.resume(returning: reason)
    }

    /// Runs `supervise` in a task; a failure it reports ends the run.
    func startSupervision(_ supervise: @escaping @Sendable () async -> TargetFailure?) {
        let task = Task { [self] in
            if let failure = await supervise() { self.end(.failure(failure)) }
        }
        lock.withLock { supervision = task }
    }

    /// Runs a second watcher (the stall watch) whose failure also ends the run.
    func startWatch(_ check: @escaping @Sendable () async -> TargetFailure?) {
        let task = Task { [self] in
            if let failure = await check() { self.end(.failure(failure)) }
        }
        lock.withLock { watch = task }
    }

    /// Stops the stall watch (while a restart takes the target down on purpose).
    func stopWatch() {
        let w = lock.withLock { () -> Task<Void, Never>? in
            defer { watch = nil }
            return watch
        }
        w?.cancel()
    }

    func cancelSupervision() {
        let (s, w) = lock.withLock { (supervision, watch) }
        s?.cancel()
        w?.cancel()
    }

    /// Waits for the first reason to end.
    func waitForEnd() async -> End {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let ended {
                lock.unlock()
                continuation.resume(returning: ended)
                return
            }
            waiter = continuation
            lock.unlock()
        }
    }
}
