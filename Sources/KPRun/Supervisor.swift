import Dispatch
import Foundation
import KPCore
import KPRecords

#if canImport(Glibc)
    import Glibc
#endif

/// Starts kp-run's children and waits on them without a process per tick.
///
/// Hand-written rather than Foundation's `Process` or swift-subprocess: kp-run needs, in one place,
/// (a) a blocking `waitpid` per child on its own thread feeding one condition variable that also
/// hears signals and kp-launch's records, so a phase sleeps in a single timed wait and wakes on the
/// first event; (b) the children's stdout appended to record files and stderr to logs (or teed to
/// the terminal); (c) `setpriv --pdeathsig TERM` so children die with kp-run even on SIGKILL; and
/// (d) signal dispositions reset in the child (kp-run ignores INT/TERM/HUP to handle them itself).
public final class Supervisor: ProcessSupervisor, @unchecked Sendable {
    private let cond = NSCondition()
    private var exits: [pid_t: Int32] = [:]
    private var signalReceived: Int32?
    private var launchErrors: [String] = []
    private var endpoint: EndpointRecord?
    private var signalSources: [DispatchSourceSignal] = []
    private let deathSig: Bool
    /// Processes started (for the spawn-count figure in tests and the report).
    public private(set) var spawned = 0

    public init() {
        deathSig = FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            _ = Glibc.signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in self?.gotSignal(sig) }
            src.resume()
            signalSources.append(src)
        }
    }

    private func gotSignal(_ sig: Int32) {
        cond.lock()
        if signalReceived == nil { signalReceived = sig }
        cond.broadcast()
        cond.unlock()
    }

    public var signal: Int32? {
        cond.lock()
        defer { cond.unlock() }
        return signalReceived
    }

    public var endpointRecord: EndpointRecord? {
        cond.lock()
        defer { cond.unlock() }
        return endpoint
    }

    public var lastLaunchError: String? {
        cond.lock()
        defer { cond.unlock() }
        return launchErrors.last
    }

    /// Exit status of `pid` if it has ended: the exit code, or 128 + signal.
    public func exitStatus(_ pid: pid_t) -> Int32? {
        cond.lock()
        defer { cond.unlock() }
        return exits[pid]
    }

    // MARK: - waiting

    /// Waits until `check` (run under the lock, with the current state) gives an event, or `deadline` passes.
    /// Wakes only when something is posted (or once per `tick` when given, for a countdown line).
    public func wait(
        until deadline: ContinuousClock.Instant?, tick: Duration?, onTick: (() -> Void)?,
        _ check: (SupervisorState) -> SupervisorEvent?
    ) -> SupervisorEvent {
        cond.lock()
        defer { cond.unlock() }
        while true {
            let state = SupervisorState(
                exits: exits, signal: signalReceived, launchErrors: launchErrors, endpoint: endpoint)
            if let e = check(state) { return e }
            let now = ContinuousClock.now
            if let deadline, now >= deadline { return .timeout }
            cond.wait(for: deadline.map { now.duration(to: $0) } ?? .seconds(3600), tick: tick, onTick: onTick)
        }
    }

    // MARK: - spawning

    /// Every pipe reader of a child (stdout and stderr may both have one).
    private var captures: [pid_t: [CaptureBox]] = [:]
    private final class CaptureBox: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `path args`; the child gets default signal dispositions and an empty mask, and (with
    /// setpriv) SIGTERM when kp-run dies. Its exit is posted by a thread blocked in `waitpid`.
    public func spawn(
        _ path: String, _ args: [String], stdout: SupervisorOutput, stderr: SupervisorOutput,
        environment: [String: String]?
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var closeAfter: [Int32] = []
        var readers: [(Int32, SupervisorOutput)] = []
        defer { for fd in closeAfter { close(fd) } }

        func wire(_ out: SupervisorOutput, to target: Int32) throws {
            switch out {
            case .inherit: return
            case .append(let path):
                let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0 else {
                    throw SpawnError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
                }
                closeAfter.append(fd)
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            case .tee, .log, .launchRecords, .capture:
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0
                else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
                closeAfter.append(fds[1])
                posix_spawn_file_actions_adddup2(&actions, fds[1], target)
                readers.append((fds[0], out))
            }
        }
        do {
            try wire(stdout, to: 1)
            try wire(stderr, to: 2)
        } catch {
            for (fd, _) in readers { close(fd) }
            throw error
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv0 = deathSig ? ["/usr/bin/setpriv", "--pdeathsig", "TERM", "--", path] : [path]
        let argv = argv0 + args
        var env = ProcessInfo.processInfo.environment
        if let environment { env.merge(environment) { _, new in new } }
        let envv = env.map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = envv.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        if case .launchRecords = stdout {
            // A new kp-launch (the next run of a series): its endpoint and errors replace the last one's,
            // whose stdout was drained before its exit was posted.
            cond.lock()
            endpoint = nil
            launchErrors = []
            cond.unlock()
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cArgs, &cEnv)
        guard rc == 0 else {
            for (fd, _) in readers { close(fd) }
            throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        cond.lock()
        spawned += 1
        cond.unlock()
        let child = pid
        for (fd, out) in readers { startReader(fd: fd, output: out, pid: child) }
        let t = Thread { [weak self] in self?.reap(child) }
        t.start()
        return pid
    }

    private func reap(_ pid: pid_t) {
        var status: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
        let code: Int32
        if r < 0 {
            code = 255
        } else if status & 0x7f == 0 {
            code = (status >> 8) & 0xff
        } else {
            code = 128 + (status & 0x7f)
        }
        // The pipes are drained before the exit is posted, so a waiter sees every record the child wrote.
        cond.lock()
        let boxes = captures[pid] ?? []
        cond.unlock()
        for box in boxes { box.done.wait() }
        cond.lock()
        exits[pid] = code
        cond.broadcast()
        cond.unlock()
    }

    private func startReader(fd: Int32, output: SupervisorOutput, pid: pid_t) {
        let file: Int32 =
            switch output {
            case .tee(let path), .log(let path): open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            default: -1
            }
        // kp-launch's records go to their file line by line, each whole or not at all (JSONLWriter);
        // the first failure is said once on stderr.
        var opened: JSONLWriter?
        if case .launchRecords(let path) = output {
            do { opened = try JSONLWriter(appendingTo: path) } catch { Self.reportRecordFailure(error) }
        }
        let launchRecords = opened
        let box = CaptureBox()
        cond.lock()
        captures[pid, default: []].append(box)
        cond.unlock()
        let t = Thread { [weak self] in
            var records = launchRecords
            func append(_ line: Data) {
                do { try records?.writeLine(line) } catch {
                    Self.reportRecordFailure(error)
                    records = nil
                }
            }
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                let chunk = Data(buffer[0..<n])
                switch output {
                case .capture:
                    box.data.append(chunk)
                case .tee, .log:
                    Self.writeAll(file, chunk)
                    if case .tee = output { Self.writeAll(2, chunk) }
                    // The tool's `<tool>: error: …` line, kept here too: its log may be on a full disk.
                    pending.append(chunk)
                    while let nl = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                        pending = Data(pending[(nl + 1)...])
                        if line.hasPrefix("kp-"), line.contains(": error: ") { self?.keepErrorLine(line, pid: pid) }
                    }
                case .launchRecords:
                    pending.append(chunk)
                    while let nl = pending.firstIndex(of: 0x0A) {
                        let line = Data(pending[pending.startIndex...nl])
                        pending = Data(pending[(nl + 1)...])
                        append(line)
                        self?.launchLine(line.dropLast())
                    }
                default: break
                }
            }
            // An unterminated last line (kp-launch killed mid-write) is kept as written: readers report it.
            if case .launchRecords = output, !pending.isEmpty { append(pending) }
            if file >= 0 { close(file) }
            close(fd)
            box.done.signal()
        }
        t.start()
    }

    private static func reportRecordFailure(_ error: any Error) {
        StandardError.write("kp-run: error: \(error)\n")
    }

    private var errorLines: [pid_t: String] = [:]

    private func keepErrorLine(_ line: String, pid: pid_t) {
        cond.lock()
        errorLines[pid] = line
        cond.unlock()
    }

    /// The last `<tool>: error: …` line a child wrote to a `.tee` or `.log` stderr (read after it exited).
    public func errorLine(_ pid: pid_t) -> String? {
        cond.lock()
        defer { cond.unlock() }
        return errorLines[pid]
    }

    private func launchLine(_ line: Data) {
        guard !line.isEmpty, let record = try? RecordCodec.decode(line, location: "kp-launch stdout") else { return }
        cond.lock()
        switch record {
        case .endpoint(let e): endpoint = e
        case .error(let e): launchErrors.append(e.message)
        default: break
        }
        cond.broadcast()
        cond.unlock()
    }

    /// What a `.capture` child printed (after it exited).
    public func captured(_ pid: pid_t) -> String {
        cond.lock()
        let boxes = captures[pid] ?? []
        cond.unlock()
        return boxes.map { String(decoding: $0.data, as: UTF8.self) }.joined()
    }

    static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                off += n
            }
        }
    }

    // MARK: - stopping

    /// SIGTERM, then SIGKILL after `grace`; returns the exit status.
    @discardableResult
    public func stop(_ pid: pid_t, grace: Duration) -> Int32 {
        if let s = exitStatus(pid) { return s }
        kill(pid, SIGTERM)
        if case .exited(_, let s) = wait(until: .now + grace, { $0.exits[pid].map { .exited(pid, $0) } }) { return s }
        kill(pid, SIGKILL)
        if case .exited(_, let s) = wait(until: nil, { $0.exits[pid].map { .exited(pid, $0) } }) { return s }
        return 137
    }
}

extension NSCondition {
    /// One step of a supervisor's wait, with the condition locked: sleeps until signalled, or for
    /// `duration` (or `tick`, when shorter); when the sleep times out, runs `onTick` with the lock
    /// released (a countdown line must not hold the lock).
    public func wait(for duration: Duration, tick: Duration?, onTick: (() -> Void)?) {
        var until = duration
        if let tick, tick < until { until = tick }
        let c = until.components
        let date = Date(timeIntervalSinceNow: Double(c.seconds) + Double(c.attoseconds) / 1e18)
        if !wait(until: date), let onTick {
            unlock()
            onTick()
            lock()
        }
    }
}
