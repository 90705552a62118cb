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

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Append one row per complete run to the history (a run already there is left as it is).",
                discussion: """
                    Each RUN_DIR is folded again from its records (as kp-report fold does) for its figures; a \
                    run that is incomplete or failed is not added and exits 1 after the others are. Prints \
                    one line per run: added, or already in the history.
                    """)

            @OptionGroup var options: HistoryAddOptions

            func run() async throws {
                try HistoryTool.add(options, environment: ProcessInfo.processInfo.environment)
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

            @OptionGroup var options: HistoryCheckOptions

            func run() async throws {
                let code = try HistoryTool.check(options)
                if code != .ok { throw ExitCode(code.rawValue) }
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

            @OptionGroup var options: HistoryShowOptions

            func run() async throws {
                try HistoryTool.show(options)
            }
        }
    }
}
