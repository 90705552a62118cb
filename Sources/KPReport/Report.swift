import Foundation
import KPCore
import KPRecords
import KPRunModel

/// kp-report's fold of one run directory: every analysis, and the three files it writes.
///
/// Build it with ``init(directory:)`` (reads the directory) or ``init(data:directory:)`` (from
/// records already in memory), then ``write(to:)``. The output depends only on the directory's
/// content: no clock, no host facts, sorted keys, fixed decimals, so re-running on the same
/// directory gives byte-identical files.
public struct Report: Sendable {
    /// The files kp-report writes (plus the CL2 PerfData files of ``perfDataFiles``).
    public static let outputFiles = RunLayout.reportFiles

    public var data: RunData
    public var phases: PhaseAnalysis
    public var bootstrap: BootstrapAnalysis
    public var load: LoadAnalysis?
    /// The API-call latency SLO checks of a run with a load phase (nil without one).
    public var slo: APICallSLO?
    public var sizing: SizingAdvice
    public var profiles: ProfileListing
    /// Samples, profiles and load operations the run did not get.
    public var gaps: MeasurementGaps
    /// Data problems from reading plus those found while folding, sorted.
    public var problems: [DataProblem]
    /// Absolute budgets to hold the run's figures against (`kp-report DIR --budgets FILE`); set
    /// before writing. Their verdicts: ``budgetResults``.
    public var budgets: Budgets?

    /// Reads and folds `directory`.
    public init(directory: String) {
        self.init(data: RunData.load(directory: directory), directory: directory)
    }

    /// Folds already-loaded records; `directory` is where `pprof/` files are looked up.
    public init(data: RunData, directory: String) {
        self.data = data
        phases = PhaseAnalysis(data: data)
        bootstrap = BootstrapAnalysis(data: data)
        load = data.loadFinal.map { LoadAnalysis(final: $0, data: data) }
        slo = load.map(APICallSLO.init(load:))
        sizing = SizingAdvice(phases: phases, data: data)
        profiles = ProfileListing(data: data, directory: directory)
        gaps = MeasurementGaps(data: data, profiles: profiles)
        var all = data.problems
        for file in data.missingFiles where Self.isExpected(file, data: data) {
            all.append(DataProblem(location: file, message: "missing", affects: RunData.sections(for: file)))
        }
        if let load { all += load.problems }
        problems = all.sorted()
    }

    /// Whether a missing input file is a problem for this run: the run model's files for its scenario
    /// (a run without run_meta is taken for a bootstrap run); the series is optional (only the peak
    /// figures need it, and the sizing table says so).
    static func isExpected(_ file: String, data: RunData) -> Bool {
        if file == RunLayout.timeseries { return false }
        let scenario = data.runMeta.flatMap { Scenario.named($0.scenario) } ?? Scenario.named("bootstrap")!
        let stepFiles = Set(Scenario.all.flatMap { $0.recordFiles() })
        return !stepFiles.contains(file) || scenario.recordFiles().contains(file)
    }

    /// True when the figures describe kp-sim rather than a kplane apiserver.
    public var isEmulator: Bool {
        data.endpoint?.emulator ?? (data.runMeta?.flags["target"] == "kp-sim")
    }

    /// Why the run is incomplete, one clause each; empty for a complete run.
    public var incompleteReasons: [String] {
        var out: [String] = []
        if let end = data.runEnd {
            if end.status != "complete" {
                var s = "the run ended \(end.status) in phase \(end.phase)"
                // An incomplete run's reason is the list of missing measurements, given below one by one.
                if let r = end.reason, end.status != "incomplete" { s += ": \(r)" }
                s += " (exit code \(end.exitCode))"
                out.append(s)
            }
        } else {
            out.append("meta.jsonl has no run_end record: the run was cut off or is still running")
        }
        if !phases.missingPhases.isEmpty {
            out.append("no sample for phase " + phases.missingPhases.joined(separator: ", "))
        }
        out += gaps.missingMeasurements
        return out + unfinishedReasons
    }

    /// A bootstrap or load that did not run to its end: interrupted, a load shard missing, or no
    /// load_final in a scenario with a load phase. Both ``incompleteReasons`` and ``invalidReasons``.
    var unfinishedReasons: [String] {
        var out: [String] = []
        if data.bootstrapSummary?.interrupted == true { out.append("the bootstrap was interrupted") }
        if let f = data.loadFinal, f.interrupted { out.append("the load phase was interrupted") }
        out += data.loadShards.problems
        // A knee search (kp-load --knee-steps) ends in knee_result, not load_final.
        let knee = data.runMeta?.flags["knee-steps"] != nil || !data.kneeSteps.isEmpty
        if data.runMeta.flatMap({ Scenario.named($0.scenario) })?.drivesLoad == true {
            if knee && data.kneeResult == nil {
                out.append("no knee_result record: the knee search did not finish")
            } else if !knee && data.loadFinal == nil {
                out.append("no load_final record: the load phase did not finish")
            }
        }
        return out
    }

    /// Why this run's figures must not enter a set's median, a comparison or a sweep fit, one clause
    /// each; empty when they may. A run is left out when it failed (generator-limited, target errors,
    /// a tool that could not run), was interrupted, never recorded its end, lost a load shard or did
    /// not finish its bootstrap or load. A saturated target and a run missing only some samples or
    /// profiles stay in: what they measured stands, and a missing figure is left out of that figure's
    /// count.
    public var invalidReasons: [String] {
        var out: [String] = []
        if let end = data.runEnd {
            if end.status != "complete" && end.status != "incomplete" {
                out.append(
                    "ended \(end.status) in phase \(end.phase)" + (end.reason.map { ": \($0)" } ?? "")
                        + " (exit code \(end.exitCode))")
            }
        } else {
            out.append("no run_end record: the run was cut off or is still running")
        }
        return out + unfinishedReasons
    }

    /// The files' contents, keyed by file name (result.json without exit-code names).
    public var files: [(name: String, text: String)] { files(exitCodeNames: [:]) }

    /// The files' contents; `exitCodeNames` names the exit codes in result.json.
    public func files(exitCodeNames: [Int: String]) -> [(name: String, text: String)] {
        // Rendered on every core: summary.md (then report.html, which shows its tables), the CSVs,
        // the CL2 files.
        let report = self
        let parts = Parallel.map(3) { i -> [(name: String, text: String)] in
            switch i {
            case 0:
                let summary = report.summaryMarkdown
                return [("summary.md", summary), ("report.html", report.reportHTML(summary: summary))]
            case 1: return [("phases.csv", report.phasesCSV), ("latency.csv", report.latencyCSV)]
            default: return report.perfDataFiles
            }
        }
        var out = [parts[0][0], parts[1][0], parts[1][1], parts[0][1]] + parts[2]
        if let junit { out.append((RunLayout.junit, junit.xml)) }
        var result = result(exitCodeNames: exitCodeNames, files: out.map(\.0))
        result.budgets = resultBudgets
        out.append(("result.json", PerfData.encode(result)))
        return out
    }

    /// The run's figures held against ``budgets`` (empty without budgets).
    public var budgetResults: [BudgetResult] { budgets?.evaluate(figures) ?? [] }

    /// Writes the files into `directory`, each to a temporary file first and then renamed
    /// over the old one, so a reader never sees a half-written report.
    ///
    /// - Throws: ``ReportWriteError`` naming the file that could not be written.
    public func write(to directory: String, exitCodeNames: [Int: String] = [:]) throws(ReportWriteError) {
        let files = files(exitCodeNames: exitCodeNames)
        for (name, text) in files {
            try Self.writeAtomically(text, to: (directory as NSString).appendingPathComponent(name))
        }
        // A junit.xml of an earlier fold (with budgets) is not this fold's.
        if !files.contains(where: { $0.name == RunLayout.junit }) {
            unlink((directory as NSString).appendingPathComponent(RunLayout.junit))
        }
    }

    static func writeAtomically(_ text: String, to path: String) throws(ReportWriteError) {
        do {
            try FileOutput.writeAtomically(text, to: path)
        } catch {
            throw ReportWriteError(path: path, message: error.reason)
        }
    }
}

/// A report file could not be written.
public struct ReportWriteError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String {
        "cannot write \(path): \(message); check that the directory exists and is writable"
    }
}
