import Foundation
import KPCore
import KPRecords

/// The run history: one row per folded run, in Apache Otava's CSV layout (docs/reports.md, "Run
/// history"; the columns: docs/records.md, "history.csv").
///
/// A row is a time column, attribute columns (who made the run, on what, where) and one column per
/// figure. Otava reads the time column and the attributes named in its config as they are and every
/// metric column as a number, so a row only has the figures its run measured and ``HistoryCheck``
/// hands Otava one scenario, N and branch at a time, with the figures every one of those rows has.
public struct HistoryRow: Sendable, Equatable {
    /// The attribute columns, in file order: `time` first (Otava's `time_column`), then the run's key
    /// and provenance. Every figure column comes after them.
    public static let attributeColumns = [
        "time", "run_id", "run", "commit", "branch", "kp_bench_commit", "target", "target_version", "target_commit",
        "scenario", "clusters", "host", "run_dir",
    ]

    /// Attribute column → value (every column of ``attributeColumns``; empty when unknown).
    public var attributes: [String: String]
    /// Figure key (``Report/figures``' key) → value.
    public var figures: [String: Double]
    /// Figure keys in the order the run reports them (new columns are added to the file in this order).
    public var figureOrder: [String]

    public init(attributes: [String: String], figures: [String: Double], figureOrder: [String]? = nil) {
        self.attributes = attributes
        self.figures = figures
        self.figureOrder = figureOrder ?? figures.keys.sorted()
    }

    public subscript(_ column: String) -> String { attributes[column] ?? "" }
    public var runID: String { self["run_id"] }
    public var scenario: String { self["scenario"] }
    public var clusters: String { self["clusters"] }
    public var branch: String { self["branch"] }
    public var commit: String { self["commit"] }

    /// The figures a history row keeps: the headline's (the seed's row and the scenario's own), per-VCP
    /// open fds, and each load op's (read, write) response p50 and p99 and achieved rate. The other per-phase figures
    /// of ``Report/figures`` stay in the run's own files: a history column is a figure someone gates on.
    public static func keeps(_ key: String, headline: Set<String>) -> Bool {
        if headline.contains(key) || key == "per_vcp.open_fds" { return true }
        // load.<op>.<figure> of a top-level op (read, write), not of its parts (write.get …).
        let parts = key.split(separator: ".")
        guard parts.count == 3, parts[0] == "load" else { return false }
        return ["response_p50_ms", "response_p99_ms", "achieved_rps"].contains(String(parts[2]))
    }
}

/// Why a run gives no history row, or a history cannot be read or written.
public struct HistoryError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension HistoryRow {
    /// The row of the run in `directory` (folded again from its records, as `kp-report fold` does).
    /// `relativeTo` is the folder of the history file: `run_dir` is stored relative to it, so a history
    /// committed beside results/ links to the runs in any checkout. A run that is not complete gives no
    /// row (its figures would be partial): the error says why.
    public static func make(runDirectory directory: String, branch: String, relativeTo base: String)
        throws(HistoryError)
        -> HistoryRow
    {
        guard FileManager.default.fileExists(atPath: directory + "/" + "meta.jsonl") else {
            throw HistoryError("\(directory): not a run directory (no meta.jsonl); give a folder kp-run wrote")
        }
        let report = Report(directory: directory)
        guard let meta = report.data.runMeta else {
            throw HistoryError("\(directory): meta.jsonl has no run_meta record, so the run has no time or name")
        }
        let result = report.result(exitCodeNames: [:])
        guard result.status == "complete" else {
            let why = result.reasons.first.map { ": \($0)" } ?? ""
            throw HistoryError(
                "\(directory): the run is \(result.status)\(why); only complete runs go into the history")
        }
        let headline = Set((report.seedRowFigures + report.headlineFigures).map(\.spec.key))
        var figures: [String: Double] = [:]
        var order: [String] = []
        for f in report.figures where keeps(f.spec.key, headline: headline) && f.value.isFinite {
            if figures[f.spec.key] == nil { order.append(f.spec.key) }
            figures[f.spec.key] = f.value
        }
        let v = result.versions
        let targetCommit = v.targetCommit ?? ""
        var attributes: [String: String] = [
            "time": meta.startedAt,
            "run_id": "\(meta.run)@\(meta.startedAt)",
            "run": meta.run,
            // The build a change point names: the target's commit when known, else kp-bench's (kp-sim
            // is part of kp-bench, so on the emulator kp-bench's commit is the build under test).
            "commit": targetCommit.isEmpty ? (v.kpBenchCommit ?? "") : targetCommit,
            "branch": branch,
            "kp_bench_commit": v.kpBenchCommit ?? "",
            "target": v.target ?? meta.flags["target"] ?? "",
            "target_version": v.targetVersion ?? "",
            "target_commit": targetCommit,
            "scenario": meta.scenario,
            "clusters": meta.flags["clusters"] ?? "",
            "host": meta.host.hostname,
            "run_dir": HistoryFile.relativePath(of: directory, from: base),
        ]
        for c in attributeColumns where attributes[c] == nil { attributes[c] = "" }
        return HistoryRow(attributes: attributes, figures: figures, figureOrder: order)
    }
}

/// A history as a table: its columns in file order and its rows (the CSV file, or PostgreSQL's
/// table read back as CSV by ``HistoryPostgres``).
public struct HistoryTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [HistoryRow]

    public init(columns: [String] = HistoryRow.attributeColumns, rows: [HistoryRow] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The figure columns, in file order.
    public var figureColumns: [String] { columns.filter { !HistoryRow.attributeColumns.contains($0) } }

    /// Adds `new` rows whose run id the table does not have yet, widening the columns by any figure
    /// they bring; returns the rows added (appending the same run twice adds nothing).
    public mutating func append(_ new: [HistoryRow]) -> [HistoryRow] {
        var seen = Set(rows.map(\.runID))
        var added: [HistoryRow] = []
        for r in new where !seen.contains(r.runID) {
            seen.insert(r.runID)
            for key in r.figureOrder where !columns.contains(key) { columns.append(key) }
            rows.append(r)
            added.append(r)
        }
        return added
    }

    /// The table as CSV (RFC 4180: a field with a comma, quote or line break is quoted; a missing
    /// figure is an empty field). Numbers are written in full (`%.17g`-exact, shortest form).
    public var csv: String {
        var out = HistoryCSV.line(columns)
        for r in rows {
            out += HistoryCSV.line(
                columns.map { c in
                    if HistoryRow.attributeColumns.contains(c) { return r[c] }
                    return r.figures[c].map(HistoryCSV.number) ?? ""
                })
        }
        return out
    }

    /// Reads a history CSV (this layout: `time` and `run_id` columns required).
    public init(csv text: String, source: String) throws(HistoryError) {
        let records = HistoryCSV.parse(text)
        guard let header = records.first, !header.isEmpty, header != [""] else {
            self.init()
            return
        }
        for required in ["time", "run_id"] where !header.contains(required) {
            throw HistoryError(
                "\(source): no '\(required)' column; a kp-bench history starts with the header kp-report history add writes"
            )
        }
        var rows: [HistoryRow] = []
        for (i, fields) in records.dropFirst().enumerated() where !(fields.count == 1 && fields[0].isEmpty) {
            guard fields.count == header.count else {
                throw HistoryError(
                    "\(source): line \(i + 2) has \(fields.count) fields, the header \(header.count); fix or remove that line"
                )
            }
            var attributes: [String: String] = [:]
            var figures: [String: Double] = [:]
            var order: [String] = []
            for (c, v) in zip(header, fields) {
                if HistoryRow.attributeColumns.contains(c) {
                    attributes[c] = v
                } else if !v.isEmpty {
                    guard let d = Double(v), d.isFinite else {
                        throw HistoryError(
                            "\(source): line \(i + 2), column '\(c)': '\(v)' is not a number; fix or remove that line")
                    }
                    figures[c] = d
                    order.append(c)
                }
            }
            rows.append(HistoryRow(attributes: attributes, figures: figures, figureOrder: order))
        }
        self.init(columns: header, rows: rows)
    }
}

/// The CSV history file: read, append, write atomically.
public enum HistoryFile {
    /// Reads `path`; a missing or empty file is an empty history.
    public static func read(_ path: String) throws(HistoryError) -> HistoryTable {
        guard FileManager.default.fileExists(atPath: path) else { return HistoryTable() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HistoryError("\(path): cannot be read; check its permissions")
        }
        return try HistoryTable(csv: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Appends `rows` to the history at `path` (created with its header if missing); returns the rows
    /// added. The whole file is rewritten through a temporary file and a rename, so a reader (or a
    /// crash) never sees half a row, and a new figure column is added to every row's line.
    @discardableResult
    public static func append(_ rows: [HistoryRow], to path: String) throws(HistoryError) -> [HistoryRow] {
        var table = try read(path)
        let added = table.append(rows)
        guard !added.isEmpty || !FileManager.default.fileExists(atPath: path) else { return added }
        do {
            try FileOutput.writeAtomically(table.csv, to: path)
        } catch {
            throw HistoryError("\(path): cannot be written (\(error)); check the folder exists and is writable")
        }
        return added
    }

    /// `path` relative to the folder `base` (both made absolute first): `../results/x` style.
    public static func relativePath(of path: String, from base: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        func parts(_ p: String) -> [String] {
            let abs = p.hasPrefix("/") ? p : cwd + "/" + p
            return URL(fileURLWithPath: abs).standardizedFileURL.path.split(separator: "/").map(String.init)
        }
        let a = parts(path)
        let b = parts(base.isEmpty ? "." : base)
        var common = 0
        while common < a.count && common < b.count && a[common] == b[common] { common += 1 }
        let rel = Array(repeating: "..", count: b.count - common) + a[common...]
        return rel.isEmpty ? "." : rel.joined(separator: "/")
    }
}

/// RFC 4180 CSV, as much as the history needs.
public enum HistoryCSV {
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\n" }

    /// The shortest text that reads back as the same Double.
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Records of `text` (quoted fields may hold commas, quotes and line breaks).
    public static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending {
                pending = nil
                return p
            }
            return chars.next()
        }
        while let ch = next() {
            if quoted {
                if ch == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(ch)
                }
                continue
            }
            switch ch {
            case "\"": quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n":
                fields.append(field)
                records.append(fields)
                fields = []
                field = ""
            case "\r": break
            default: field.append(ch)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(fields)
        }
        return records
    }
}
