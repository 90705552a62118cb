import Foundation
import KPRecords

#if canImport(Glibc)
    import Glibc
#endif

/// What kp-run's orchestrator (``RunOrchestrator``, ``RunSeries``) needs of the thing that starts its
/// children and watches them, the signals and kp-launch's records: ``Supervisor`` in kp-run, a
/// scripted stand-in in the tests.
public protocol ProcessSupervisor: AnyObject {
    /// The first stop signal kp-run received (SIGINT, SIGTERM or SIGHUP), if any.
    var signal: Int32? { get }
    /// kp-launch's endpoint record, once the current kp-launch wrote one.
    var endpointRecord: EndpointRecord? { get }
    /// The message of the current kp-launch's last `error` record.
    var lastLaunchError: String? { get }

    /// Starts `path args` with its output wired as asked; `environment` is merged over kp-run's own.
    func spawn(
        _ path: String, _ args: [String], stdout: SupervisorOutput, stderr: SupervisorOutput,
        environment: [String: String]?
    ) throws -> pid_t

    /// Waits until `check` (given the current state) gives an event, or `deadline` passes (then
    /// ``SupervisorEvent/timeout``). Wakes only when something is posted, or once per `tick` when
    /// given (then calls `onTick`, for a countdown line).
    func wait(
        until deadline: ContinuousClock.Instant?, tick: Duration?, onTick: (() -> Void)?,
        _ check: (SupervisorState) -> SupervisorEvent?
    ) -> SupervisorEvent

    /// SIGTERM, then SIGKILL after `grace`; returns the exit status.
    @discardableResult
    func stop(_ pid: pid_t, grace: Duration) -> Int32

    /// Exit status of `pid` if it has ended: the exit code, or 128 + signal.
    func exitStatus(_ pid: pid_t) -> Int32?

    /// The last `<tool>: error: …` line a child wrote to a `.tee` or `.log` stderr (read after it exited).
    func errorLine(_ pid: pid_t) -> String?

    /// What a `.capture` child printed (after it exited).
    func captured(_ pid: pid_t) -> String
}

extension ProcessSupervisor {
    public func spawn(_ path: String, _ args: [String], stdout: SupervisorOutput, stderr: SupervisorOutput) throws
        -> pid_t
    {
        try spawn(path, args, stdout: stdout, stderr: stderr, environment: nil)
    }

    public func wait(until deadline: ContinuousClock.Instant?, _ check: (SupervisorState) -> SupervisorEvent?)
        -> SupervisorEvent
    {
        wait(until: deadline, tick: nil, onTick: nil, check)
    }

    /// SIGTERM, then SIGKILL after 5 s; returns the exit status.
    @discardableResult
    public func stop(_ pid: pid_t) -> Int32 { stop(pid, grace: .seconds(5)) }

    public func waitExit(_ pid: pid_t) -> Int32? { waitExit(pid, ignoringSignals: false) }

    /// Blocks until `pid` exits (or a signal arrives first, unless `ignoringSignals`: then nil).
    public func waitExit(_ pid: pid_t, ignoringSignals: Bool) -> Int32? {
        let e = wait(until: nil, tick: nil, onTick: nil) { s in
            if let code = s.exits[pid] { return .exited(pid, code) }
            if !ignoringSignals, let sig = s.signal { return .signal(sig) }
            return nil
        }
        if case .exited(_, let code) = e { return code }
        return nil
    }
}

/// What woke a wait.
public enum SupervisorEvent: Sendable, Equatable {
    case signal(Int32)
    case exited(pid_t, Int32)
    case launchError(String)
    case endpoint
    case timeout
}

/// What a wait's check sees: the children's exits, the first signal, kp-launch's error messages and
/// endpoint record.
public struct SupervisorState: Sendable {
    public var exits: [pid_t: Int32]
    public var signal: Int32?
    public var launchErrors: [String]
    public var endpoint: EndpointRecord?

    public init(exits: [pid_t: Int32], signal: Int32?, launchErrors: [String], endpoint: EndpointRecord?) {
        self.exits = exits
        self.signal = signal
        self.launchErrors = launchErrors
        self.endpoint = endpoint
    }
}

/// Where a child's stdout or stderr goes.
public enum SupervisorOutput: Sendable, Equatable {
    /// Append to a file.
    case append(String)
    /// Append to a file only, through a pipe (kp-run keeps the tool's error line:
    /// ``ProcessSupervisor/errorLine(_:)``).
    case log(String)
    /// Append to a file and copy to kp-run's stderr.
    case tee(String)
    /// Append to a file and decode each line as a record (kp-launch's stdout).
    case launchRecords(String)
    /// Keep in memory (read with ``ProcessSupervisor/captured(_:)`` after exit).
    case capture
    case inherit

    /// The file the output is appended to, if any.
    public var path: String? {
        switch self {
        case .append(let p), .log(let p), .tee(let p), .launchRecords(let p): p
        case .capture, .inherit: nil
        }
    }
}
