import Foundation
import KPRecords
import Synchronization

/// A tool's record stream on stdout: one `write(2)` per record as it happens (``JSONLWriter``),
/// and the first write failure (a closed pipe, a full disk) reported once on stderr as
/// `<tool>: error: …` rather than once per record.
public final class RecordOutput: Sendable {
    private let tool: String
    private let failed = Mutex(false)

    public init(tool: String) { self.tool = tool }

    public func write<R: KPRecord>(_ record: R) {
        do { try JSONLWriter.stdout.write(record) } catch { report(error) }
    }

    public func write(_ record: Record) {
        do { try JSONLWriter.stdout.write(record) } catch { report(error) }
    }

    private func report(_ error: any Error) {
        let first = failed.withLock { f in
            defer { f = true }
            return !f
        }
        if first { FileHandle.standardError.write(Data("\(tool): error: \(error)\n".utf8)) }
    }
}
