/// Where a library hears SIGINT/SIGTERM without installing signal handlers itself: the executable
/// installs them (KPCLI's `SignalWatcher` is one) and hands the source to the library.
public protocol StopSignalSource: AnyObject, Sendable {
    /// Calls `handler` once, on the first stop signal (at once if one already arrived).
    func onSignal(_ handler: @escaping @Sendable (Int32) -> Void)
}
