import Foundation
import KPRunModel
import KPStats

/// A repeat set: a directory holding `r1 … rn`, each a normal run directory (`make … REPEAT=n`).
///
/// ``runDirectories(_:)`` expands a run or a repeat set to its runs; ``summaryMarkdown`` and
/// ``summaryCSV`` are the set view: median and spread of every figure across the runs.
public struct RepeatSet: Sendable {
    /// The set view's files.
    public static let outputFiles = ["summary.md", "summary.csv"]

    public var directory: String
    /// `r1 … rn` in numeric order, as paths.
    public var runs: [String]
    public var reports: [Report]
    /// The runs split into valid and left out; the set's figures come from the valid ones.
    public var members: RunSetMembers

    /// The `r<number>` run directories under `directory`, in numeric order; empty when it has none.
    public static func members(of directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("r"), let i = Int(name.dropFirst()), i >= 0, "r\(i)" == name else { return nil }
            var isDir: ObjCBool = false
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
            return (i, path)
        }
        return numbered.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// True when `directory` is a repeat set rather than a run: its runset.json says so, or it has
    /// `r<n>` subdirectories and no `meta.jsonl` of its own.
    public static func isRepeatSet(_ directory: String) -> Bool {
        if let plan = try? RunSetPlan.read(from: directory) { return plan.kind == .repeatSet }
        return !members(of: directory).isEmpty
            && !FileManager.default.fileExists(atPath: RunLayout.path(directory, RunLayout.meta))
    }

    /// A run directory as itself, a repeat set as its `r<n>` runs.
    public static func runDirectories(_ directory: String) -> [String] {
        isRepeatSet(directory) ? members(of: directory) : [directory]
    }

    /// Reads and folds every run of the set at `directory`; `plan` (its runset.json) says how many
    /// runs it asked for.
    public init(directory: String, plan: RunSetPlan? = nil) {
        self.directory = directory
        runs = Self.members(of: directory)
        reports = runs.map { Report(directory: $0) }
        members = RunSetMembers(runs: runs, reports: reports, directory: directory, plan: plan)
    }

    /// True when any run describes kp-sim.
    public var isEmulator: Bool { reports.contains { $0.isEmulator } }

    /// The valid runs' figures.
    var table: FigureTable { FigureTable(members.valid.map(\.report.figures)) }

    var runNames: [String] { runs.map { ($0 as NSString).lastPathComponent } }

    /// The set view: one row per figure with the number of runs that have it, the median, min, max
    /// and the spread (max − min) as % of the median.
    public var summaryMarkdown: String {
        var text = ""
        if isEmulator { text += Report.emulatorNotice + "\n\n" }
        let name = (directory as NSString).lastPathComponent
        text += "# kp-bench repeat set: \(name)\n\n"
        text +=
            "\(runs.count) runs (\(runNames.joined(separator: ", "))), \(members.valid.count) valid; each run's own report is in its folder.\n"
        text += members.markdown
        text += "\n## Figures across the valid runs\n\n"
        guard !members.valid.isEmpty else {
            return text + "Too few valid runs: none of the \(runs.count) runs is valid, so no figure is given.\n"
        }
        var t = MarkdownTable(["figure", "runs", "median", "min", "max", "spread"])
        let table = self.table
        for spec in table.specs {
            let v = table.values[spec.key] ?? []
            let med = SampleSummary.median(v)
            t.add([
                spec.title, "\(v.count)", spec.format(med), spec.format(v.min()), spec.format(v.max()), Self.spread(v),
            ])
        }
        text += t.text
        text +=
            "\nSpread is (max − min) / |median| × 100. Only valid runs count; a figure a run lacks is left out of that run's count, never filled in.\n"
        return text
    }

    static func spread(_ v: [Double]) -> String {
        guard let med = SampleSummary.median(v), med != 0, let lo = v.min(), let hi = v.max() else {
            return Format.missing
        }
        return Format.fixed((hi - lo) / abs(med) * 100, 1) + "%"
    }

    /// summary.csv: `figure,title,unit,runs,median,min,max` with raw numbers.
    public var summaryCSV: String {
        var t = CSVTable(["figure", "title", "unit", "runs", "median", "min", "max"])
        let table = self.table
        for spec in table.specs {
            let v = table.values[spec.key] ?? []
            t.add([
                spec.key, spec.title, spec.unit, "\(v.count)", Format.csv(SampleSummary.median(v), 6),
                Format.csv(v.min(), 6), Format.csv(v.max(), 6),
            ])
        }
        return t.text
    }

    /// Writes every run's report into its folder, then summary.md and summary.csv into the set's
    /// folder (or `setViewDirectory`).
    public func write(setViewTo setViewDirectory: String? = nil, exitCodeNames: [Int: String] = [:])
        throws(ReportWriteError)
    {
        for (run, report) in zip(runs, reports) { try report.write(to: run, exitCodeNames: exitCodeNames) }
        let dir = setViewDirectory ?? directory
        try Report.writeAtomically(summaryMarkdown, to: (dir as NSString).appendingPathComponent("summary.md"))
        try Report.writeAtomically(summaryCSV, to: (dir as NSString).appendingPathComponent("summary.csv"))
    }
}
