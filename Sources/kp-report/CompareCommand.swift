import ArgumentParser
import KPCLI
import KPReport

extension KPReportCommand {
    /// `kp-report compare A_DIR… -- B_DIR…`: two builds side by side, with significance and an optional gate.
    struct CompareCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare runs of build A with runs of build B: medians, change, Mann–Whitney p, verdict.",
            discussion: """
                Each side is one or more run directories or repeat sets (a folder of r1 … rn runs, as \
                REPEAT=n writes); put the options first, then A's directories, then --, then B's. For every \
                figure of the headline, phases and load tables it prints and writes (compare.md, compare.csv, \
                compare.html with a chart per figure, in --out) the A and B medians, the change in %, the two-sided Mann–Whitney U p-value and a \
                verdict: better / worse when p < --alpha, ~ otherwise, "too few valid runs to call" with fewer \
                than 4 valid runs on a side. Only valid runs are compared: a run that failed, was \
                interrupted, was generator-limited or lost a load shard is listed with its reason and left out. With --thresholds FILE (YAML, see thresholds.example.yaml) it exits 5 when \
                a change is significant, worse and beyond its limit, naming each figure on stderr; otherwise \
                0; it then also writes junit.xml, one test case per figure a threshold covers. Exit 2 on bad input (a missing directory, an empty side, a bad thresholds file).
                """)

        @OptionGroup var options: CompareOptions

        func run() async throws {
            let code = try CompareTool.run(options)
            if code != .ok { throw ExitCode(code.rawValue) }
        }
    }

    /// `kp-report sweep DIR…`: the marginal and fixed cost per VCP, fitted over runs at several N.
    struct SweepCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sweep",
            abstract:
                "Fit every steady-phase resource against N: marginal cost per VCP and fixed cost, with 95% intervals.",
            discussion: """
                Each DIR is a run or a repeat set (r1 … rn); N is each run's clusters flag. Writes sweep.md, \
                sweep.csv and sweep.html (each fit with its 95% band) into --out: per resource the least-squares slope (marginal cost per VCP) and \
                intercept (fixed cost) with 95% confidence intervals (Student t, n−2 df), R², the baseline's \
                range, residuals, and whether the resource looks linear in N. Only valid runs are fitted (a \
                run that failed, was interrupted, was generator-limited or lost a load shard is listed and \
                left out). Exit 2 when a directory is missing or the valid runs do not span two cluster counts.
                """)

        @OptionGroup var options: SweepOptions

        func run() async throws {
            try SweepTool.run(options)
        }
    }
}
