import KPCore

extension Report {
    /// The budget verdict in one line: `BROKEN (exit 7): …`, `held with warnings: …` or `HELD: …`.
    public var budgetsVerdict: String {
        let results = budgetResults
        let errors = results.broken(.error)
        let warnings = results.broken(.warning)
        let counts =
            "\(results.count) budget\(results.count == 1 ? "" : "s"), \(results.filter { $0.verdict == .held }.count) held, "
            + "\(errors.count + warnings.count) broken (\(errors.count) error, \(warnings.count) warning), "
            + "\(results.filter { $0.verdict == .unmeasured }.count) not measured"
        if !errors.isEmpty { return "BROKEN (exit \(KPExitCode.budgetBroken.rawValue)): \(counts)" }
        if !warnings.isEmpty { return "HELD with warnings: \(counts)" }
        return "HELD: \(counts)"
    }

    /// result.json's `budgets`: nil without budgets.
    var resultBudgets: [ResultFile.Budget]? {
        guard budgets != nil else { return nil }
        func r6(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
        return budgetResults.map {
            .init(
                figure: $0.spec.key, pattern: $0.entry.pattern, bound: $0.entry.bound.rawValue, limit: $0.entry.limit,
                measured: $0.measured.map(r6), unit: $0.spec.unit, severity: $0.entry.severity.rawValue,
                verdict: $0.verdict.rawValue)
        }
    }

    /// summary.md's "Budgets" section (docs/reports.md): one row per budget and figure.
    var budgetsSection: String {
        var text = "## Budgets\n\n"
        text +=
            "Absolute limits from the budgets file, held against this run's figures: a broken `error` budget makes kp-report (and kp-run) exit \(KPExitCode.budgetBroken.rawValue); a broken `warning` budget is reported only. "
        text += "junit.xml lists each as a test case.\n\n"
        text += "**\(budgetsVerdict)**.\n\n"
        var t = MarkdownTable(
            ["figure", "limit", "measured", "severity", "verdict"], rightAligned: [false, true, true, false, false])
        for b in budgetResults {
            t.add([
                b.spec.key, b.limitText, b.measured.map { b.spec.format($0) } ?? Format.missing,
                b.entry.severity.rawValue,
                b.verdict == .broken ? "**broken**" : (b.verdict == .held ? "held" : "not measured"),
            ])
        }
        return text + t.text
    }
}
