import ArgumentParser
import Foundation
import KPCLI
import KPReport

extension KPReportCommand {
    /// `kp-report history add|check|show`: the run history Apache Otava reads (docs/reports.md, "Run history").
    struct HistoryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Keep a history of runs (CSV or PostgreSQL), find change points with Apache Otava, chart it.",
            discussion: """
                add appends one row per complete run (time, run id, commits, branch, scenario, N, host, \
                headline figures) to a CSV in Otava's layout or, with --dsn, to a PostgreSQL table; the same \
                run twice is one row. check runs Otava over it and exits 5 when a change point worse than \
                --min-change lies in the last --last runs of its series. show writes history.html. The \
                columns: docs/records.md, "history.csv".
                """,
            subcommands: [Add.self, Check.self, Show.self])

        /// Where the history is: a CSV file, or a PostgreSQL table.
        struct Store: ParsableArguments {
            @Option(
                help: ArgumentHelp(
                    "The history CSV (Otava's layout); created with its header if missing.", valueName: "file"))
            var history: String?

            @Option(
                help: ArgumentHelp(
                    "A postgresql:// URL: keep the history in a PostgreSQL table instead (psql; a password belongs in PGPASSWORD or ~/.pgpass).",
                    valueName: "url"))
            var dsn: String?

            @Option(help: ArgumentHelp("The PostgreSQL table (with --dsn).", valueName: "name"))
            var table: String = HistoryPostgres.defaultTable

            func validate() throws {
                guard (history == nil) != (dsn == nil) else {
                    throw ValidationError(
                        "give the history as --history FILE.csv or as --dsn postgresql://… (one of them)")
                }
                if let dsn {
                    do { _ = try HistoryPostgres(dsn: dsn, table: table) } catch {
                        throw ValidationError(error.description)
                    }
                }
                if let history, history.isEmpty { throw ValidationError("--history is empty: give a CSV file path") }
            }

            var postgres: HistoryPostgres? {
                get throws {
                    guard let dsn else { return nil }
                    do { return try HistoryPostgres(dsn: dsn, table: table) } catch {
                        throw ValidationError(error.description)
                    }
                }
            }

            func read() throws -> HistoryTable {
                do {
                    if let pg = try postgres { return try pg.read() }
                    return try HistoryFile.read(history!)
                } catch let e as HistoryError { throw ToolFailure(e.description) }
            }
        }

        /// The analysis options check and show share.
        struct Analysis: ParsableArguments {
            @Option(
                help: ArgumentHelp(
                    "Otava's config: the kp-bench template with each figure's direction.", valueName: "file"))
            var config: String = "history/otava.yaml"

            @Option(help: ArgumentHelp("The Otava program.", valueName: "path"))
            var otava: String = "otava"

            func readConfig() throws -> HistoryOtavaConfig {
                do { return try HistoryOtavaConfig(path: config) } catch { throw ValidationError(error.description) }
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Append one row per complete run to the history (a run already there is left as it is).",
                discussion: """
                    Each RUN_DIR is folded again from its records (as kp-report fold does) for its figures; a \
                    run that is incomplete or failed is not added and exits 1 after the others are. Prints \
                    one line per run: added, or already in the history.
                    """)

            @OptionGroup var store: Store

            @Option(
                help: ArgumentHelp(
                    "The branch the runs measured (Otava's branch column; default: $BRANCH, else empty).",
                    valueName: "name"))
            var branch: String?

            @Argument(help: ArgumentHelp("Run directories kp-run wrote.", valueName: "run-dir"))
            var runDirs: [String] = []

            func validate() throws {
                guard !runDirs.isEmpty else {
                    throw ValidationError(
                        "give at least one run directory: kp-report history add --history FILE out/<run>")
                }
                for d in runDirs {
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                        throw ValidationError(
                            "run directory '\(d)' does not exist: pass out/<run> as written by kp-run")
                    }
                }
            }

            func run() async throws {
                let branch = self.branch ?? ProcessInfo.processInfo.environment["BRANCH"] ?? ""
                let base =
                    store.history.map { ($0 as NSString).deletingLastPathComponent }
                    ?? FileManager.default.currentDirectoryPath
                var rows: [HistoryRow] = []
                var failures: [String] = []
                for d in runDirs {
                    do { rows.append(try HistoryRow.make(runDirectory: d, branch: branch, relativeTo: base)) } catch {
                        failures.append(error.description)
                    }
                }
                let added: Set<String>
                do {
                    if let pg = try store.postgres {
                        added = Set(try pg.append(rows))
                    } else {
                        added = Set(try HistoryFile.append(rows, to: store.history!).map(\.runID))
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
        }

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "check",
                abstract: "Find change points with Apache Otava; exit 5 when one worse than --min-change is recent.",
                discussion: """
                    Otava (E-divisive means with a t-test) runs once over every series of the history: one \
                    per scenario, N and branch, with the figures all of its runs have and their directions \
                    from --config. Prints each change point (series, figure, the commit where it shifted, \
                    mean before → after, change in %, p) and a verdict line. Exit 5 when a change point goes \
                    the wrong way by --min-change % or more and lies in the last --last runs of its series; 0 \
                    otherwise; 1 when Otava or the history cannot be read; 2 on bad input.
                    """)

            @OptionGroup var store: Store
            @OptionGroup var analysis: Analysis

            @Option(help: ArgumentHelp("Smallest change, in %, that gates.", valueName: "percent"))
            var minChange: Double = 5

            @Option(help: ArgumentHelp("Gate only on change points in a series' last N runs.", valueName: "n"))
            var last: Int = 10

            func validate() throws {
                guard minChange >= 0 && minChange.isFinite else {
                    throw ValidationError("--min-change must be 0 or more (got \(minChange))")
                }
                guard last >= 1 else { throw ValidationError("--last must be 1 or more (got \(last))") }
            }

            func run() async throws {
                let config = try analysis.readConfig()
                let table = try store.read()
                let check = HistoryCheck(
                    config: config, minChangePercent: minChange, lastRuns: last,
                    otava: analysis.otava)
                let outcome: HistoryCheck.Outcome
                do { outcome = try check.run(table: table, postgres: try store.postgres) } catch let e as HistoryError {
                    throw ToolFailure(e.description)
                }
                for s in outcome.skipped { StandardError.write("kp-report: history: not analysed: \(s)\n") }
                if !outcome.unconfigured.isEmpty {
                    StandardError.write(
                        "kp-report: history: no direction in \(analysis.config) for \(outcome.unconfigured.joined(separator: ", ")) (not analysed)\n"
                    )
                }
                print(check.lines(outcome).joined(separator: "\n"))
                if !outcome.gating.isEmpty { throw ExitCode(KPExitCode.regression.rawValue) }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show",
                abstract: "Write history.html: a trend chart per figure over commits, change points marked.",
                discussion: """
                    One section per series (scenario, N, branch), one chart per figure: each run a point \
                    that opens its report.html, the median of each commit's runs a line, each change point \
                    Otava finds a dashed marker (without Otava the page says the change points were not \
                    computed). Self-contained, like report.html: no script, nothing fetched.
                    """)

            @OptionGroup var store: Store
            @OptionGroup var analysis: Analysis

            @Option(help: ArgumentHelp("The page to write.", valueName: "file"))
            var out: String = "out/history.html"

            func run() async throws {
                let config = try analysis.readConfig()
                let table = try store.read()
                let check = HistoryCheck(
                    config: config, minChangePercent: 0, lastRuns: Int.max, otava: analysis.otava)
                var outcome: HistoryCheck.Outcome?
                var why: String?
                do { outcome = try check.run(table: table, postgres: try store.postgres) } catch let e as HistoryError {
                    why = e.description
                    StandardError.write("kp-report: warning: change points not computed: \(e.description)\n")
                }
                // run_dir is relative to the history file's folder (or, in PostgreSQL, to where add ran).
                let base =
                    store.history.map { ($0 as NSString).deletingLastPathComponent }
                    ?? FileManager.default.currentDirectoryPath
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
    }
}
