/// Where a library hears SIGINT/SIGTERM without installing signal handlers itself: the executable
/// installs them (KPCLI's `SignalWatcher` is one) and hands the source to the library.
public protocol StopSignalSource: AnyObject, Sendable {
    /// Calls `handler` once, on the first stop signal (at once if one already arrived).
    func onSignal(_ handler: @escaping @Sendable (Int32) -> Void)
}

extension StopSignalSource {
    /// Runs `work` in a task that the first stop signal cancels: its result, and whether a signal came.
    public func cancelling<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> (
        value: T, stopped: Bool
    ) {
        let task = Task { await work() }
        onSignal { _ in task.cancel() }
        return (await task.value, task.isCancelled)
    }
}

/// How a tool's run ended without throwing: it did its work, or a stop signal ended it early (the
/// records written so far stand).
public enum ToolOutcome: Sendable, Equatable {
    case completed
    case stopped
}
