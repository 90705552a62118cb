import Dispatch
import Foundation
import KPCore

/// Turns SIGINT and SIGTERM into a flag and callbacks, so a tool can stop cleanly and still
/// write what it measured.
///
/// The default action of both signals is disabled while a watcher exists; a second signal of
/// the same kind after the first does not kill the process either: the tool decides.
public final class SignalWatcher: StopSignalSource, @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var handlers: [@Sendable (Int32) -> Void] = []
    private var _received: Int32?

    public static let shared = SignalWatcher()

    private init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in self?.fire(sig) }
            src.resume()
            sources.append(src)
        }
    }

    /// Starts watching (idempotent). Call early in `run()`.
    public static func install() { _ = shared }

    /// The first signal received, if any.
    public var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return _received
    }

    /// The exit code a tool should use after stopping for `received` (130 or 143).
    public var exitCode: KPExitCode? {
        switch received {
        case SIGINT: .interrupted
        case SIGTERM: .terminated
        default: nil
        }
    }

    /// Calls `handler` on the first signal (immediately if one already arrived).
    public func onSignal(_ handler: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        if let r = _received {
            lock.unlock()
            handler(r)
            return
        }
        handlers.append(handler)
        lock.unlock()
    }

    private func fire(_ sig: Int32) {
        lock.lock()
        if _received != nil {
            lock.unlock()
            return
        }
        _received = sig
        let hs = handlers
        handlers = []
        lock.unlock()
        for h in hs { h(sig) }
    }
}
