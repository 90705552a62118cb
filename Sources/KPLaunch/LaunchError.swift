import KPCore

/// A kp-launch failure: one line for the user and the exit code it deserves (docs/cli.md).
public struct LaunchError: ExitCodeError, Equatable {
    /// The one line printed after `kp-launch: error: `.
    public var message: String
    /// The process exit code.
    public var exitCode: KPExitCode

    /// Creates an error with `message` and `exitCode`.
    public init(_ message: String, exitCode: KPExitCode) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// Flags or environment variables that contradict each other (exit 2).
    public static func conflict(_ message: String) -> LaunchError { LaunchError(message, exitCode: .badInput) }
    /// A flag, file or port that cannot be used (exit 2).
    public static func badInput(_ message: String) -> LaunchError { LaunchError(message, exitCode: .badInput) }
    /// A required external tool is missing (exit 14).
    public static func missingTool(_ message: String) -> LaunchError { LaunchError(message, exitCode: .missingTool) }
    /// etcd is unreachable or failed (exit 13).
    public static func etcd(_ message: String) -> LaunchError { LaunchError(message, exitCode: .etcdFailed) }
    /// The target exited before or while being supervised (exit 10).
    public static func targetCrashed(_ message: String) -> LaunchError {
        LaunchError(message, exitCode: .targetCrashed)
    }
    /// The target never became ready (exit 11).
    public static func unreachable(_ message: String) -> LaunchError {
        LaunchError(message, exitCode: .targetUnreachable)
    }
    /// Any other failure (exit 1).
    public static func failure(_ message: String) -> LaunchError { LaunchError(message, exitCode: .failure) }
}
