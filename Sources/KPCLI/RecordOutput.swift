import Foundation
import KPCore
import KPRecords
import Synchronization

/// A tool's record stream on stdout: one `write(2)` per record as it happens (``JSONLWriter``),
/// each record whole or not at all, and the first write failure (a closed pipe, a full disk)
/// reported once on stderr as `<tool>: error: cannot write <file>: <reason>` rather than once per record.
/// A record that could not be written is a lost measurement: ``ToolMain`` then ends a tool that
/// would have exited 0 with exit 1 (``lostRecords``).
public final class RecordOutput: Sendable {
    private let tool: String
    private let failed = Mutex(false)
    private static let lost = Mutex(false)

    /// True once any record of this process could not be written.
    public static var lostRecords: Bool { lost.withLock { $0 } }

    public init(tool: String) { self.tool = tool }

    public func write<R: KPRecord>(_ record: R) {
        do { try JSONLWriter.stdout.write(record) } catch { report(error) }
    }

    public func write(_ record: Record) {
        do { try JSONLWriter.stdout.write(record) } catch { report(error) }
    }

    private func report(_ error: any Error) {
        Self.lost.withLock { $0 = true }
        let first = failed.withLock { f in
            defer { f = true }
            return !f
        }
        if first { StandardError.write("\(tool): error: \(error)\n") }
    }
}
