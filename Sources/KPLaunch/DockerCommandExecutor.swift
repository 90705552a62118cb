import Foundation

/// What one `docker …` invocation produced.
public struct DockerCommandResult: Sendable, Equatable {
    /// How the command ended (`.signaled(SIGKILL)` after a timeout).
    public var termination: ChildProcess.Termination
    /// Standard output (empty when it went to a file).
    public var stdout: String
    /// Standard error.
    public var stderr: String
    /// True when the command was killed because it ran past its timeout.
    public var timedOut: Bool

    /// Creates a result.
    public init(termination: ChildProcess.Termination, stdout: String = "", stderr: String = "", timedOut: Bool = false)
    {
        self.termination = termination
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// True for exit status 0.
    public var succeeded: Bool { termination.isSuccess && !timedOut }

    /// The most telling line of the output for a one-line error: the last non-empty line of
    /// stderr (or stdout when stderr is empty), trimmed and cut to 300 characters.
    public var reason: String {
        if timedOut { return "timed out" }
        let pick = { (text: String) in
            text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty }
        }
        let line = pick(stderr) ?? pick(stdout) ?? "\(termination)"
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}

/// Runs the docker CLI. Docker mode talks to the engine only through this, so tests can script it.
///
/// The production conformer is ``ProcessDockerExecutor``; tests use an in-memory script for unit
/// tests, and ``ProcessDockerExecutor`` with a fake `docker` first on PATH for end-to-end tests.
public protocol DockerCommandExecutor: Sendable {
    /// The docker CLI that would run, or nil when there is none (pre-flight: "no docker CLI").
    func locateDocker() -> String?

    /// Runs `docker <arguments>` with `environment` added to kp-launch's own environment.
    ///
    /// - Parameters:
    ///   - arguments: arguments after `docker`.
    ///   - environment: variables added to (or replacing) kp-launch's environment.
    ///   - timeout: the command is killed (SIGKILL to its process group) after this long.
    ///   - outputFile: when set, stdout and stderr are appended to this file instead of captured.
    /// - Throws: ``LaunchError`` when docker cannot be started at all; `CancellationError` when cancelled.
    func run(_ arguments: [String], environment: [String: String], timeout: Duration, outputFile: String?) async throws
        -> DockerCommandResult
}

/// Runs the real `docker` found in PATH as a child process in its own session.
///
/// Built on ``ChildProcess`` (not `Foundation.Process`) so a SIGINT aimed at kp-launch's process
/// group does not reach `docker compose down` while kp-launch is cleaning up, and so a command past
/// its timeout is killed with everything it started.
public struct ProcessDockerExecutor: DockerCommandExecutor {
    /// The CLI's name or path (`docker`).
    public var program: String

    /// Creates an executor for `program`, searched in PATH when it has no `/`.
    public init(program: String = "docker") {
        self.program = program
    }

    public func locateDocker() -> String? {
        ChildProcess.findInPath(program)
    }

    public func run(_ arguments: [String], environment: [String: String], timeout: Duration, outputFile: String?)
        async throws
        -> DockerCommandResult
    {
        guard let docker = locateDocker() else {
            throw LaunchError.missingTool(
                "the docker CLI (\(program)) is no longer in PATH: reinstall Docker or fix PATH")
        }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let tmp = FileManager.default.temporaryDirectory.path
        let tag = "kp-launch-docker-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let outPath = outputFile ?? "\(tmp)/\(tag).out"
        let errPath = outputFile ?? "\(tmp)/\(tag).err"
        defer {
            if outputFile == nil {
                unlink(outPath)
                unlink(errPath)
            }
        }
        let child = try ChildProcess.spawn(
            docker, arguments, stdout: .append(outPath), stderr: .append(errPath), environment: env)
        let (termination, timedOut) = await withTaskCancellationHandler {
            () async -> (ChildProcess.Termination, Bool) in
            if let t = await child.waitForExit(timeout: timeout) { return (t, false) }
            return (await child.stop(grace: .milliseconds(500)), true)
        } onCancel: {
            child.signalGroup(SIGKILL)
        }
        try Task.checkCancellation()
        if outputFile != nil {
            return DockerCommandResult(termination: termination, timedOut: timedOut)
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return DockerCommandResult(
            termination: termination, stdout: read(outPath), stderr: read(errPath), timedOut: timedOut)
    }
}
