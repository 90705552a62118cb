import Foundation
import KPRecords
import Testing

@testable import KPRun

#if canImport(Glibc)
    import Glibc
#endif

/// A ``ProcessSupervisor`` that starts no process. Each spawn is answered by `answer`, which writes
/// what the tool would write through the outputs the orchestrator wired (``emit(_:from:)``,
/// ``say(_:from:)``) and says whether the tool exits at once or keeps running; exits, signals and
/// kp-launch's records are posted as the real supervisor's threads post them.
///
/// Waits with a deadline sleep until it in real time (the orchestrator's settle and sampling waits
/// are wall-clock waits). A wait without a deadline that nothing posted can end is a scripting
/// mistake: after `hangLimit` it is recorded as an issue and every running process is ended (137),
/// so the test ends instead of hanging.
final class FakeSupervisor: ProcessSupervisor, @unchecked Sendable {
    /// One spawn as the orchestrator asked for it.
    struct Spawn: Sendable {
        var pid: pid_t
        var path: String
        var args: [String]
        var stdout: SupervisorOutput
        var stderr: SupervisorOutput
        var environment: [String: String]?

        /// The tool's file name (`kp-scrape`).
        var tool: String { (path as NSString).lastPathComponent }

        /// The argument after `flag`, if the flag is given.
        func value(_ flag: String) -> String? {
            guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
            return args[i + 1]
        }
    }

    /// How a spawned tool goes on: it exits with a code at once, or runs until something posts its exit
    /// (another tool's answer, ``post(exit:of:)``, or ``stop(_:grace:)``).
    enum Reply {
        case exit(Int32)
        case running
    }

    /// Answers each spawn (called on the orchestrator's thread, outside the lock).
    var answer: (Spawn) -> Reply = { _ in .exit(0) }
    /// The exit status a running process posts when it is stopped (a tool ending on SIGTERM).
    var stopStatus: Int32 = 143
    var hangLimit: Duration = .seconds(10)

    private let cond = NSCondition()
    private var exits: [pid_t: Int32] = [:]
    private var signalReceived: Int32?
    private var launchErrors: [String] = []
    private var endpoint: EndpointRecord?
    private var errorLines: [pid_t: String] = [:]
    private var capturedText: [pid_t: String] = [:]
    private var spawnLog: [Spawn] = []
    private var stopLog: [pid_t] = []
    private var nextPid: pid_t = 1000

    private func locked<T>(_ body: () -> T) -> T {
        cond.lock()
        defer { cond.unlock() }
        return body()
    }

    /// Every spawn, in order.
    var spawns: [Spawn] { locked { spawnLog } }
    /// The pids ``stop(_:grace:)`` was called for while they ran, in order.
    var stops: [pid_t] { locked { stopLog } }
    /// The spawned processes that have not exited.
    var running: [Spawn] { locked { spawnLog.filter { exits[$0.pid] == nil } } }

    // MARK: - posting (what the real supervisor's reader and waitpid threads and signal sources post)

    func post(exit code: Int32, of pid: pid_t) {
        locked {
            if exits[pid] == nil { exits[pid] = code }
            cond.broadcast()
        }
    }

    func post(signal sig: Int32) {
        locked {
            if signalReceived == nil { signalReceived = sig }
            cond.broadcast()
        }
    }

    /// Writes `record` as one line to what the spawn's stdout was wired to; kp-launch's records
    /// (`.launchRecords`) are also decoded as the real supervisor does (endpoint, error messages).
    func emit(_ record: Record, from spawn: Spawn) {
        let line: Data
        do { line = try RecordCodec.encode(record) + Data("\n".utf8) } catch {
            Issue.record("cannot encode \(record.kind): \(error)")
            return
        }
        if let path = spawn.stdout.path { Self.append(line, to: path) }
        locked {
            switch spawn.stdout {
            case .launchRecords:
                switch record {
                case .endpoint(let e): endpoint = e
                case .error(let e): launchErrors.append(e.message)
                default: break
                }
            case .capture: capturedText[spawn.pid, default: ""] += String(decoding: line, as: UTF8.self)
            default: break
            }
            cond.broadcast()
        }
    }

    /// Writes `text` (a line without its newline) to what the spawn's stdout was wired to (a
    /// `kp-report check` verdict).
    func write(_ text: String, from spawn: Spawn) {
        let data = Data((text + "\n").utf8)
        if let path = spawn.stdout.path { Self.append(data, to: path) }
        if case .capture = spawn.stdout { locked { capturedText[spawn.pid, default: ""] += text + "\n" } }
    }

    /// Writes one stderr line; a `<tool>: error: …` line on a `.log` or `.tee` stderr is kept as the
    /// real supervisor keeps it (``errorLine(_:)``).
    func say(_ line: String, from spawn: Spawn) {
        if let path = spawn.stderr.path { Self.append(Data((line + "\n").utf8), to: path) }
        switch spawn.stderr {
        case .log, .tee:
            if line.hasPrefix("kp-"), line.contains(": error: ") { locked { errorLines[spawn.pid] = line } }
        default: break
        }
    }

    static func append(_ data: Data, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            Issue.record("cannot open \(path): \(String(cString: strerror(errno)))")
            return
        }
        defer { close(fd) }
        Supervisor.writeAll(fd, data)
    }

    // MARK: - ProcessSupervisor

    var signal: Int32? { locked { signalReceived } }
    var endpointRecord: EndpointRecord? { locked { endpoint } }
    var lastLaunchError: String? { locked { launchErrors.last } }

    func spawn(
        _ path: String, _ args: [String], stdout: SupervisorOutput, stderr: SupervisorOutput,
        environment: [String: String]?
    ) throws -> pid_t {
        let spawn: Spawn = locked {
            if case .launchRecords = stdout {
                // A new kp-launch: its endpoint and errors replace the last one's.
                endpoint = nil
                launchErrors = []
            }
            nextPid += 1
            let s = Spawn(
                pid: nextPid, path: path, args: args, stdout: stdout, stderr: stderr, environment: environment)
            spawnLog.append(s)
            return s
        }
        if case .exit(let code) = answer(spawn) { post(exit: code, of: spawn.pid) }
        return spawn.pid
    }

    func wait(
        until deadline: ContinuousClock.Instant?, tick: Duration?, onTick: (() -> Void)?,
        _ check: (SupervisorState) -> SupervisorEvent?
    ) -> SupervisorEvent {
        cond.lock()
        defer { cond.unlock() }
        let hangAt = ContinuousClock.now + hangLimit
        while true {
            let state = SupervisorState(
                exits: exits, signal: signalReceived, launchErrors: launchErrors, endpoint: endpoint)
            if let e = check(state) { return e }
            let now = ContinuousClock.now
            if let deadline, now >= deadline { return .timeout }
            if deadline == nil, now >= hangAt {
                let left = spawnLog.filter { exits[$0.pid] == nil }
                Issue.record(
                    "a wait without a deadline that nothing can end; running: \(left.map { "\($0.tool) \($0.args)" })")
                for s in left { exits[s.pid] = 137 }
                continue
            }
            cond.wait(for: now.duration(to: deadline ?? hangAt), tick: tick, onTick: onTick)
        }
    }

    func stop(_ pid: pid_t, grace: Duration) -> Int32 {
        locked {
            if let s = exits[pid] { return s }
            stopLog.append(pid)
            exits[pid] = stopStatus
            cond.broadcast()
            return stopStatus
        }
    }

    func exitStatus(_ pid: pid_t) -> Int32? { locked { exits[pid] } }
    func errorLine(_ pid: pid_t) -> String? { locked { errorLines[pid] } }
    func captured(_ pid: pid_t) -> String { locked { capturedText[pid] ?? "" } }
}
