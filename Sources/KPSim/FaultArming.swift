import Foundation
import Synchronization

/// When the `--fault-*` faults apply: from start, or from the moment `--fault-arm-file` exists.
///
/// With an arm file every fault stays dormant until the file appears (one `access(2)` per fault
/// decision until then, none after); stall windows and `--fault-crash-after` then count from that
/// moment instead of from start. A harness uses it to make a fault strike in a chosen phase of a
/// run: `scripts/fault-matrix.sh` creates the file when the run enters the phase under test.
final class FaultArming: Sendable {
    private let file: String?
    private let armedAt: Mutex<ContinuousClock.Instant?>

    /// Armed from `started` when there is no file; otherwise dormant until `file` exists.
    init(file: String?, started: ContinuousClock.Instant) {
        self.file = file
        self.armedAt = Mutex(file == nil ? started : nil)
    }

    /// Time since the faults were armed; nil while they are dormant.
    var sinceArmed: Duration? {
        let now = ContinuousClock.now
        if let at = self.armedAt.withLock({ $0 }) { return now - at }
        guard let file = self.file, access(file, F_OK) == 0 else { return nil }
        let at = self.armedAt.withLock { at -> ContinuousClock.Instant in
            if at == nil { at = now }
            return at!
        }
        return now - at
    }

    /// True once the faults apply.
    var isArmed: Bool { self.sinceArmed != nil }

    /// Returns once the faults apply (polls the arm file every 20 ms); throws when cancelled.
    func waitUntilArmed() async throws {
        while !self.isArmed { try await Task.sleep(for: .milliseconds(20)) }
    }
}
