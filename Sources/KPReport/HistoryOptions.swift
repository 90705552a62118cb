import ArgumentParser
import Foundation
import KPCLI

/// Where the history is: a CSV file, or a PostgreSQL table (`kp-report history`'s shared flags).
public struct HistoryStoreOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "The history CSV (Otava's layout); created with its header if missing.", valueName: "file"))
    public var history: String?

    @Option(
        help: ArgumentHelp(
            "A postgresql:// URL: keep the history in a PostgreSQL table instead (psql; a password belongs in PGPASSWORD or ~/.pgpass).",
            valueName: "url"))
    public var dsn: String?

    @Option(help: ArgumentHelp("The PostgreSQL table (with --dsn).", valueName: "name"))
    public var table: String = HistoryPostgres.defaultTable

    public init() {}

    public func validate() throws {
        guard (history == nil) != (dsn == nil) else {
            throw ValidationError(
                "give the history as --history FILE.csv or as --dsn postgresql://… (one of them)")
        }
        _ = try postgres
        if let history, history.isEmpty { throw ValidationError("--history is empty: give a CSV file path") }
    }

    /// The PostgreSQL store --dsn and --table name, nil for a CSV history.
    public var postgres: HistoryPostgres? {
        get throws {
            guard let dsn else { return nil }
            do { return try HistoryPostgres(dsn: dsn, table: table) } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// The folder run_dir paths are relative to: the history file's, else the current directory.
    var base: String {
        history.map { ($0 as NSString).deletingLastPathComponent } ?? FileManager.default.currentDirectoryPath
    }

    /// The history's rows (a failure: one line, exit 1).
    public func read() throws -> HistoryTable {
        do {
            if let pg = try postgres { return try pg.read() }
            guard let history else { throw HistoryError("give the history as --history FILE.csv or --dsn") }
            return try HistoryFile.read(history)
        } catch let e as HistoryError { throw ToolFailure(e.description) }
    }
}

/// The analysis flags `kp-report history check` and `show` share.
public struct HistoryAnalysisOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "Otava's config: the kp-bench template with each figure's direction.", valueName: "file"))
    public var config: String = "history/otava.yaml"

    @Option(help: ArgumentHelp("The Otava program.", valueName: "path"))
    public var otava: String = "otava"

    public init() {}

    /// Otava's config, read (bad input: one line, exit 2).
    public func readConfig() throws -> HistoryOtavaConfig {
        do { return try HistoryOtavaConfig(path: config) } catch { throw ValidationError(error.description) }
    }
}

/// `kp-report history add`'s flags.
public struct HistoryAddOptions: ParsableArguments, Sendable {
    @OptionGroup public var store: HistoryStoreOptions

    @Option(
        help: ArgumentHelp(
            "The branch the runs measured (Otava's branch column; default: $BRANCH, else empty).",
            valueName: "name"))
    public var branch: String?

    @Argument(help: ArgumentHelp("Run directories kp-run wrote.", valueName: "run-dir"))
    public var runDirs: [String] = []

    public init() {}

    public func validate() throws {
        guard !runDirs.isEmpty else {
            throw ValidationError(
                "give at least one run directory: kp-report history add --history FILE out/<run>")
        }
    }

    /// The checks that read the disk: every run directory exists.
    public func checkInputs() throws {
        for d in runDirs where !PathKind.isDirectory(d) {
            throw ValidationError("run directory '\(d)' does not exist: pass out/<run> as written by kp-run")
        }
    }
}

/// `kp-report history check`'s flags.
public struct HistoryCheckOptions: ParsableArguments, Sendable {
    @OptionGroup public var store: HistoryStoreOptions
    @OptionGroup public var analysis: HistoryAnalysisOptions

    @Option(help: ArgumentHelp("Smallest change, in %, that gates.", valueName: "percent"))
    public var minChange: Double = 5

    @Option(help: ArgumentHelp("Gate only on change points in a series' last N runs.", valueName: "n"))
    public var last: Int = 10

    public init() {}

    public func validate() throws {
        guard minChange >= 0 && minChange.isFinite else {
            throw ValidationError("--min-change must be 0 or more (got \(minChange))")
        }
        guard last >= 1 else { throw ValidationError("--last must be 1 or more (got \(last))") }
    }
}

/// `kp-report history show`'s flags.
public struct HistoryShowOptions: ParsableArguments, Sendable {
    @OptionGroup public var store: HistoryStoreOptions
    @OptionGroup public var analysis: HistoryAnalysisOptions

    @Option(help: ArgumentHelp("The page to write.", valueName: "file"))
    public var out: String = "out/history.html"

    public init() {}
}

/// `kp-report history add|check|show`: the run history Apache Otava reads (docs/reports.md, "Run history").
public enum HistoryTool {
    /// Appends one row per complete run and prints one line per run; a run that could not be
    /// added fails the command (exit 1) after the others are.
    public static func add(_ options: HistoryAddOptions, environment: [String: String]) throws {
        try options.checkInputs()
        let store = options.store
        let branch = options.branch ?? environment["BRANCH"] ?? ""
        var rows: [HistoryRow] = []
        var failures: [String] = []
        for d in options.runDirs {
            do { rows.append(try HistoryRow.make(runDirectory: d, branch: branch, relativeTo: store.base)) } catch {
                failures.append(error.description)
            }
        }
        let added: Set<String>
        do {
            if let pg = try store.postgres {
                added = Set(try pg.append(rows))
            } else if let history = store.history {
                added = Set(try HistoryFile.append(rows, to: history).map(\.runID))
            } else {
                added = []
            }
        } catch let e as HistoryError { throw ToolFailure(e.description) }
        let place = store.history ?? "table \(store.table)"
        for r in rows {
            print(
                added.contains(r.runID)
                    ? "history: added \(r.runID) (\(r.figures.count) figures) to \(place)"
                    : "history: \(r.runID) is already in \(place)")
        }
        if let first = failures.first {
            throw ToolFailure(
                first + (failures.count > 1 ? "; and \(failures.count - 1) more run(s) not added" : ""))
        }
    }

    /// Runs Otava over the history and prints its change points; returns `.regression` (exit 5) when
    /// one gates.
    public static func check(_ options: HistoryCheckOptions) throws -> KPExitCode {
        let config = try options.analysis.readConfig()
        let table = try options.store.read()
        let check = HistoryCheck(
            config: config, minChangePercent: options.minChange, lastRuns: options.last,
            otava: options.analysis.otava)
        let outcome: HistoryCheck.Outcome
        do {
            outcome = try check.run(table: table, postgres: try options.store.postgres)
        } catch let e as HistoryError {
            throw ToolFailure(e.description)
        }
        for s in outcome.skipped { StandardError.write("kp-report: history: not analysed: \(s)\n") }
        if !outcome.unconfigured.isEmpty {
            StandardError.write(
                "kp-report: history: no direction in \(options.analysis.config) for \(outcome.unconfigured.joined(separator: ", ")) (not analysed)\n"
            )
        }
        print(check.lines(outcome).joined(separator: "\n"))
        return outcome.gating.isEmpty ? .ok : .regression
    }

    /// Writes history.html: a trend chart per figure, change points marked when Otava runs.
    public static func show(_ options: HistoryShowOptions) throws {
        let config = try options.analysis.readConfig()
        let table = try options.store.read()
        let check = HistoryCheck(
            config: config, minChangePercent: 0, lastRuns: Int.max, otava: options.analysis.otava)
        var outcome: HistoryCheck.Outcome?
        var why: String?
        do {
            outcome = try check.run(table: table, postgres: try options.store.postgres)
        } catch let e as HistoryError {
            why = e.description
            StandardError.write("kp-report: warning: change points not computed: \(e.description)\n")
        }
        // run_dir is relative to the history file's folder (or, in PostgreSQL, to where add ran).
        let base = options.store.base
        let out = options.out
        let outDir = (out as NSString).deletingLastPathComponent
        let page = HistoryPage(
            table: table, outcome: outcome, config: config, noCheck: why,
            link: { r in
                let dir = r["run_dir"]
                guard !dir.isEmpty else { return nil }
                let abs = dir.hasPrefix("/") ? dir : (base.isEmpty ? dir : base + "/" + dir)
                return HistoryFile.relativePath(of: abs + "/report.html", from: outDir)
            })
        if !outDir.isEmpty {
            try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        }
        do { try FileOutput.writeAtomically(page.html, to: out) } catch {
            throw ToolFailure("\(out): cannot be written (\(error)); check the folder is writable")
        }
        print("history: \(out) (\(table.rows.count) runs)")
    }
}
