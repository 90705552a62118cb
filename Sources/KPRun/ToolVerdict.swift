import Foundation
import KPRecords

/// A tool's own reason for its exit, as the tool stated it: the message of the last `error` record in
/// its records file, else its last `<tool>: error: …` line on stderr (every tool prints its fatal
/// error as that one line, KPCLI's ToolMain). kp-run passes it on in the tool's words.
public struct ToolVerdict: Sendable {
    /// Where the tool's records and log were before it ran: only what it wrote after counts.
    public struct Mark: Sendable {
        var records: String?
        var recordsOffset: UInt64
        var log: String?
        var logOffset: UInt64
    }

    /// Records the current ends of a tool's records file and log (before starting it).
    public static func mark(records: String?, log: String?) -> Mark {
        Mark(records: records, recordsOffset: size(records), log: log, logOffset: size(log))
    }

    static func size(_ path: String?) -> UInt64 {
        guard let path, let a = try? FileManager.default.attributesOfItem(atPath: path) else { return 0 }
        return (a[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The tool's reason, written since `mark`; nil when it said nothing. `stderrLine` is the error
    /// line kp-run read from the tool's stderr pipe (``ProcessSupervisor/errorLine(_:)``), which stands when
    /// the log itself could not be written.
    public static func reason(tool: String, since mark: Mark, stderrLine: String? = nil) -> String? {
        if let records = mark.records, let text = tail(records, from: mark.recordsOffset) {
            var last: String?
            for line in text.split(separator: "\n") {
                if case .error(let e)? = try? RecordCodec.decode(Data(line.utf8), location: records) {
                    last = e.message
                }
            }
            if let last { return oneLine(last) }
        }
        let prefix = "\(tool): error: "
        if let line = stderrLine, line.hasPrefix(prefix) { return oneLine(String(line.dropFirst(prefix.count))) }
        if let log = mark.log, let text = tail(log, from: mark.logOffset) {
            if let line = text.split(separator: "\n").last(where: { $0.hasPrefix(prefix) }) {
                return oneLine(String(line.dropFirst(prefix.count)))
            }
        }
        return nil
    }

    static func tail(_ path: String, from offset: UInt64) -> String? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        try? h.seek(toOffset: offset)
        guard let data = try? h.readToEnd(), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// One line of at most 800 characters: a reason goes into a terminal line and a run_end record.
    static func oneLine(_ s: String) -> String {
        let flat = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 800 ? String(flat.prefix(799)) + "…" : flat
    }
}
