/// Exit codes shared by every kp-bench tool and the run script (documented in docs/cli.md).
public enum KPExitCode: Int32, Sendable, CaseIterable {
    /// Everything asked for was done.
    case ok = 0
    /// The run failed: a cluster did not bootstrap, a request failed that had to succeed.
    case failure = 1
    /// Bad input: a flag, a combination of flags, or an input file. Nothing was started.
    case badInput = 2
    /// The run is invalid because the harness itself was the bottleneck (e.g. kp-load fell behind its schedule).
    case generatorLimited = 3
    /// Every phase ran, but measurements are missing (a failed /metrics sample, a missing profile): the report says which.
    case incompleteData = 4
    /// A comparison against a baseline found a regression beyond its threshold.
    case regression = 5
    /// The target saturated: kp-load kept its own schedule, but operations waited on the server
    /// (stream slots, slow answers piling up, timeouts). A server result; the latencies stand.
    case targetSaturated = 6
    /// An absolute budget of severity `error` broke (`--budgets FILE`, docs/reports.md "Budgets"):
    /// the run measured what it set out to, and a figure is beyond the limit the file gives it.
    case budgetBroken = 7
    /// The target process exited or crashed during the run.
    case targetCrashed = 10
    /// The target stopped answering (timeouts, stalls) or became unreachable.
    case targetUnreachable = 11
    /// The target answered, but with errors that made the run fail (4xx/5xx bursts, resets).
    case targetErrors = 12
    /// etcd failed (unreachable at start, or died during the run).
    case etcdFailed = 13
    /// A required external tool is missing (docker, compose v2, go, etcd).
    case missingTool = 14
    /// Hung up: SIGHUP (128 + 1), e.g. the terminal closed under kp-run.
    case hungUp = 129
    /// Interrupted by SIGINT (128 + 2).
    case interrupted = 130
    /// Terminated by SIGTERM (128 + 15).
    case terminated = 143
}

/// An error that knows which exit code it deserves. Its description is the one line the user sees.
public protocol ExitCodeError: Error, CustomStringConvertible {
    var exitCode: KPExitCode { get }
}

/// A plain one-line failure with an exit code.
public struct ToolFailure: ExitCodeError {
    public var message: String
    public var exitCode: KPExitCode
    public init(_ message: String, exitCode: KPExitCode = .failure) {
        self.message = message
        self.exitCode = exitCode
    }
    public var description: String { message }
}

/// Bad input found at run time (e.g. an unreadable file named by a flag): exit 2, one line.
public struct InputError: ExitCodeError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var exitCode: KPExitCode { .badInput }
    public var description: String { message }
}
