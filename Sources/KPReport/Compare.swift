import Foundation
import KPRunModel
import KPStats

/// Two builds (or two settings) side by side: per figure the A and B medians, the change, the
/// two-sided Mann–Whitney U p-value and a verdict, as benchstat does; optionally gated by
/// ``Thresholds``.
///
/// Each side is a list of run directories (repeat sets already expanded by
/// ``RepeatSet/runDirectories(_:)``). A verdict needs at least ``minRuns`` runs a side (benchstat's
/// rule: with 3 a side the smallest possible p is 0.1, so nothing could ever be called).
public struct Compare: Sendable {
    /// Runs a side below which no figure is called.
    public static let minRuns = 4
    /// The files compare writes.
    public static let outputFiles = ["compare.md", "compare.csv", "compare.html"]

    public enum Verdict: String, Sendable {
        case better
        case worse
        /// Not significant, or every value equal.
        case same = "~"
        case tooFewRuns = "too few valid runs to call"
        /// The figure is absent on one side.
        case missing = "absent on one side"
    }

    /// One figure's comparison.
    public struct Row: Sendable {
        public var spec: FigureSpec
        public var a: [Double]
        public var b: [Double]
        public var aMedian: Double?
        public var bMedian: Double?
        /// (B − A) / |A| × 100; nil when A's median is 0 or a side is empty.
        public var changePercent: Double?
        public var test: MannWhitney.Result?
        public var verdict: Verdict
        /// The polarity used: the thresholds file's, else the figure's.
        public var polarity: FigureSpec.Polarity
        public var limit: Thresholds.Limit?
        /// Significant, worse, and beyond every limit given.
        public var breach: Bool
    }

    public var aRuns: [String]
    public var bRuns: [String]
    public var alpha: Double
    public var thresholds: Thresholds?
    public var rows: [Row] = []
    public var isEmulator: Bool
    /// Each side's runs split into valid and left out; only valid runs are compared.
    public var aMembers: RunSetMembers
    public var bMembers: RunSetMembers
    /// Both sides' runs against the plan: how many of the asked runs ended.
    public var allMembers: RunSetMembers
    /// What the comparison asked for (its runset.json), when kp-run made it.
    public var plan: RunSetPlan?
    /// The comparison's folder, when folded from one.
    public var directory: String?
    /// The scenarios each side ran (from run_meta), in order of first appearance.
    public var aScenarios: [String]
    public var bScenarios: [String]

    /// Reads and folds every run of both sides.
    /// `directory` and `plan`: the comparison's folder and its runset.json, when kp-run made it.
    public init(
        aRuns: [String], bRuns: [String], alpha: Double = 0.05, thresholds: Thresholds? = nil,
        directory: String? = nil, plan: RunSetPlan? = nil
    ) {
        let a = aRuns.map { Report(directory: $0) }
        let b = bRuns.map { Report(directory: $0) }
        self.init(
            aRuns: aRuns, a: a, bRuns: bRuns, b: b, alpha: alpha, thresholds: thresholds, directory: directory,
            plan: plan)
    }

    /// Compares already-folded reports (`aRuns`/`bRuns` name them in the output).
    public init(
        aRuns: [String], a: [Report], bRuns: [String], b: [Report], alpha: Double = 0.05, thresholds: Thresholds? = nil,
        directory: String? = nil, plan: RunSetPlan? = nil
    ) {
        self.aRuns = aRuns
        self.bRuns = bRuns
        self.alpha = alpha
        self.thresholds = thresholds
        self.directory = directory
        self.plan = plan
        isEmulator = (a + b).contains { $0.isEmulator }
        aMembers = RunSetMembers(runs: aRuns, reports: a, directory: directory)
        bMembers = RunSetMembers(runs: bRuns, reports: b, directory: directory)
        allMembers = RunSetMembers(runs: aRuns + bRuns, reports: a + b, directory: directory, plan: plan)
        let a = aMembers.valid.map(\.report)
        let b = bMembers.valid.map(\.report)
        func scenarios(_ reports: [Report]) -> [String] {
            var seen: [String] = []
            for r in reports { if let s = r.data.runMeta?.scenario, !seen.contains(s) { seen.append(s) } }
            return seen
        }
        aScenarios = scenarios(a)
        bScenarios = scenarios(b)
        let ta = FigureTable(a.map(\.figures))
        let tb = FigureTable(b.map(\.figures))
        var specs = ta.specs
        for s in tb.specs where !specs.contains(where: { $0.key == s.key }) { specs.append(s) }
        rows = specs.map { spec in
            Self.row(
                spec: spec, a: ta.values[spec.key] ?? [], b: tb.values[spec.key] ?? [], alpha: alpha,
                limit: thresholds?.limit(for: spec.key))
        }
    }

    static func row(spec: FigureSpec, a: [Double], b: [Double], alpha: Double, limit: Thresholds.Limit?) -> Row {
        let am = SampleSummary.median(a)
        let bm = SampleSummary.median(b)
        var change: Double?
        if let am, let bm, am != 0 { change = (bm - am) / abs(am) * 100 }
        let polarity = limit?.polarity ?? spec.polarity
        let test = MannWhitney.test(a, b)
        let verdict: Verdict
        if a.isEmpty || b.isEmpty {
            verdict = .missing
        } else if a.count < minRuns || b.count < minRuns {
            verdict = .tooFewRuns
        } else if let test, test.p < alpha {
            // U counts pairs where A > B: pGreater small → A tends to be larger → B is lower.
            let bHigher = test.pLess < test.pGreater
            verdict = (bHigher == (polarity == .higherIsBetter)) ? .better : .worse
        } else {
            verdict = .same
        }
        var breach = false
        if verdict == .worse, let limit, let am, let bm {
            breach = Thresholds.beyond(limit, a: am, b: bm, polarity: polarity)
        }
        return Row(
            spec: spec, a: a, b: b, aMedian: am, bMedian: bm, changePercent: change, test: test, verdict: verdict,
            polarity: polarity, limit: limit, breach: breach)
    }

    /// Rows whose change is significant, worse and beyond its limit.
    public var breaches: [Row] { rows.filter(\.breach) }

    /// True when a side has fewer than ``minRuns`` valid runs, so nothing is called.
    public var tooFewRuns: Bool { aMembers.valid.count < Self.minRuns || bMembers.valid.count < Self.minRuns }

    /// The comparison's own status: "k of n runs ended" from its plan, and each side's runs left out.
    public var membersMarkdown: String {
        allMembers.endedMarkdown + aMembers.lists(side: "A") + bMembers.lists(side: "B")
    }

    /// What A and B differ in besides the target under test, one line each: run_meta's flags (all
    /// but the target's own, ``RunFlags/targetKeys``, and the scenario, said apart), the host, and
    /// the kp-bench build. Empty when the two sides are like for like.
    public var unlikeSettings: [String] {
        func values(_ m: RunSetMembers, _ f: (Report) -> String) -> [String] {
            Array(Set(m.valid.map { f($0.report) })).sorted()
        }
        func line(_ name: String, _ f: (Report) -> String) -> String? {
            let a = values(aMembers, f)
            let b = values(bMembers, f)
            guard !a.isEmpty, !b.isEmpty, a != b else { return nil }
            return "\(name): A \(a.joined(separator: " / ")), B \(b.joined(separator: " / "))"
        }
        var keys = Set<String>()
        for m in aMembers.valid + bMembers.valid { keys.formUnion(m.report.data.runMeta?.flags.keys ?? [:].keys) }
        keys.subtract(RunFlags.targetKeys)
        keys.remove("scenario")
        var out = keys.sorted().compactMap { k in line("flag \(k)") { $0.data.runMeta?.flags[k] ?? "(unset)" } }
        if let h = line(
            "host",
            { r in
                r.data.runMeta.map {
                    "\($0.host.hostname) (\($0.host.cores) cores, \(Format.bytes(Double($0.host.memoryBytes))))"
                }
                    ?? Format.missing
            })
        {
            out.append(h)
        }
        if let k = line(
            "kp-bench",
            { r in
                (r.data.runMeta?.kpBenchVersion ?? Format.missing)
                    + (r.data.runMeta?.harness.map { ", \($0.text)" } ?? "")
            })
        {
            out.append(k)
        }
        return out
    }

    /// True when runs were asked for that did not end, or a side has runs left out.
    public var isIncomplete: Bool { allMembers.isIncomplete }

    /// One line per breach: `figure: A → B (+x%), p = …, limit …`.
    public var breachLines: [String] {
        breaches.map { r in
            "\(r.spec.key): \(r.spec.format(r.aMedian)) → \(r.spec.format(r.bMedian)) (\(Self.percent(r.changePercent))), "
                + "p = \(Self.pText(r.test?.p)), beyond \(Self.limitText(r.limit!, r.spec)) (\(r.limit!.source))"
        }
    }

    static func percent(_ v: Double?) -> String {
        guard let v else { return Format.missing }
        return (v >= 0 ? "+" : "") + Format.fixed(v, 1) + "%"
    }

    static func pText(_ p: Double?) -> String {
        guard let p else { return Format.missing }
        return p < 0.001 ? "<0.001" : Format.fixed(p, 3)
    }

    static func limitText(_ l: Thresholds.Limit, _ spec: FigureSpec) -> String {
        var parts: [String] = []
        if let r = l.relativePercent { parts.append("\(Format.trimmed(r))%") }
        if let a = l.absolute { parts.append(spec.format(a)) }
        return parts.joined(separator: " and ")
    }

    /// The table printed on stdout and in compare.md.
    public var table: MarkdownTable {
        var header = ["figure", "A median", "B median", "change", "p", "n A/B", "verdict"]
        if thresholds != nil { header.append("limit") }
        var t = MarkdownTable(header, rightAligned: header.indices.map { $0 > 0 && $0 < 6 })
        for r in rows {
            var cells = [
                r.spec.title, r.spec.format(r.aMedian), r.spec.format(r.bMedian), Self.percent(r.changePercent),
                Self.pText(r.test?.p), "\(r.a.count)/\(r.b.count)", r.verdict.rawValue,
            ]
            if thresholds != nil {
                cells.append(r.limit.map { (r.breach ? "BEYOND " : "") + Self.limitText($0, r.spec) } ?? "")
            }
            t.add(cells)
        }
        return t
    }

    /// compare.md.
    public var markdown: String {
        var text = ""
        if isEmulator { text += Report.emulatorNotice + "\n\n" }
        text += "# kp-bench compare\n\n"
        let unlike = unlikeSettings
        if !unlike.isEmpty {
            text +=
                "**Not like for like:** besides the target, A and B differ in: " + unlike.joined(separator: "; ")
                + ". A change below may come from these as much as from the build under test.\n\n"
        }
        text += "- A: \(aRuns.count) runs, \(aMembers.valid.count) valid: \(aRuns.joined(separator: ", "))\n"
        text += "- B: \(bRuns.count) runs, \(bMembers.valid.count) valid: \(bRuns.joined(separator: ", "))\n"
        if aScenarios != bScenarios {
            // e.g. bootstrap vs fleet-bootstrap: the same target, two ways to make the VCPs.
            text +=
                "- Scenarios differ: A ran \(aScenarios.joined(separator: ", ")), B ran \(bScenarios.joined(separator: ", ")); "
                + "per-VCP figures compare the two paths on the same target.\n"
        }
        text +=
            "- α = \(Format.trimmed(alpha)); two-sided Mann–Whitney U test per figure; change = (B − A) / |A| of the medians.\n"
        if tooFewRuns {
            text +=
                "\nToo few valid runs to call: a side has fewer than \(Self.minRuns) valid runs, and with 3 a side the smallest possible p is 0.1 "
                + "(benchstat's rule). Repeat the runs (REPEAT=\(Self.minRuns) or more).\n"
        }
        text += membersMarkdown
        if thresholds != nil {
            text += "\n## Gate\n\n"
            if breaches.isEmpty {
                text += "No figure is significantly worse beyond its threshold.\n"
            } else {
                text +=
                    "REGRESSION (exit 5): \(breaches.count) figure(s) significantly worse beyond their threshold:\n\n"
                for line in breachLines { text += "- \(line)\n" }
            }
        }
        text += "\n## Figures\n\n" + table.text
        text +=
            "\nVerdict: better / worse when p < α (by the figure's polarity: lower is better for memory, CPU, time, latency and "
            + "errors, higher for achieved rate), ~ otherwise. p is exact for small samples, normal-approximated (tie- and "
            + "continuity-corrected) above 50 runs a side (25 with ties); — when every value is equal.\n"
        return text
    }

    /// compare.csv: one row per figure, raw numbers.
    public var csv: String {
        var t = CSVTable([
            "figure", "title", "unit", "polarity", "a_runs", "a_median", "a_min", "a_max", "b_runs", "b_median",
            "b_min",
            "b_max", "change_percent", "p_value", "verdict", "limit_relative_percent", "limit_absolute", "beyond_limit",
        ])
        for r in rows {
            t.add([
                r.spec.key, r.spec.title, r.spec.unit, r.polarity.rawValue, "\(r.a.count)", Format.csv(r.aMedian, 6),
                Format.csv(r.a.min(), 6), Format.csv(r.a.max(), 6), "\(r.b.count)", Format.csv(r.bMedian, 6),
                Format.csv(r.b.min(), 6), Format.csv(r.b.max(), 6), Format.csv(r.changePercent, 3),
                Format.csv(r.test?.p, 6),
                r.verdict.rawValue, Format.csv(r.limit?.relativePercent, 3), Format.csv(r.limit?.absolute, 6),
                r.limit == nil ? "" : (r.breach ? "true" : "false"),
            ])
        }
        return t.text
    }

    /// Writes compare.md, compare.csv and compare.html into `directory`, and junit.xml with thresholds.
    public func write(to directory: String) throws(ReportWriteError) {
        try Report.writeAtomically(markdown, to: (directory as NSString).appendingPathComponent("compare.md"))
        try Report.writeAtomically(csv, to: (directory as NSString).appendingPathComponent("compare.csv"))
        try Report.writeAtomically(html, to: (directory as NSString).appendingPathComponent("compare.html"))
        let junitPath = (directory as NSString).appendingPathComponent(RunLayout.junit)
        // With thresholds, one test case per figure they cover; without, no junit.xml (an old one removed).
        if let junit { try Report.writeAtomically(junit.xml, to: junitPath) } else { unlink(junitPath) }
    }
}
