import Foundation

/// history.html (`kp-report history show`): one trend chart per figure and series over commits.
///
/// Built on ``HTMLPage`` and ``SVGChart`` like report.html: each run is a point linked to its
/// report.html, the median of each commit's runs is a line, and each change point Otava found is a
/// dashed marker at the commit where the figure shifted. Commits are in the order their first run
/// appears (oldest left).
public struct HistoryPage: Sendable {
    public var table: HistoryTable
    /// Otava's change points, nil when Otava was not run (the page says so).
    public var outcome: HistoryCheck.Outcome?
    public var config: HistoryOtavaConfig
    /// Why there are no change points, when ``outcome`` is nil.
    public var noCheck: String?
    /// Turns a row into the link of its run's report.html (nil: no link).
    public var link: @Sendable (HistoryRow) -> String?

    public init(
        table: HistoryTable, outcome: HistoryCheck.Outcome?, config: HistoryOtavaConfig, noCheck: String? = nil,
        link: @escaping @Sendable (HistoryRow) -> String?
    ) {
        self.table = table
        self.outcome = outcome
        self.config = config
        self.noCheck = noCheck
        self.link = link
    }

    /// The commits of `rows` in order of first appearance (an empty commit is its run's id).
    static func commits(_ rows: [HistoryRow]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for r in rows {
            let c = key(r)
            if seen.insert(c).inserted { out.append(c) }
        }
        return out
    }

    static func key(_ r: HistoryRow) -> String { r.commit.isEmpty ? r.runID : r.commit }

    static func short(_ commit: String) -> String {
        commit.range(of: "^[0-9a-f]{13,}$", options: .regularExpression) != nil ? String(commit.prefix(12)) : commit
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The trend chart of `metric` in the series of `rows`.
    func chart(series name: String, rows: [HistoryRow], metric: String, index: Int) -> SVGChart {
        let commits = Self.commits(rows)
        let at = Dictionary(uniqueKeysWithValues: commits.enumerated().map { ($1, Double($0)) })
        let (div, unit) = ChartUnit.scale(Self.unit(metric))
        let direction = config.directions[metric]
        var c = SVGChart(
            id: "history-\(index)", title: "\(name): \(metric)",
            xLabel: "commit (oldest left; \(commits.count) commits, \(rows.count) runs)", yLabel: unit)
        c.width = 580
        c.height = 300
        c.yFromZero = false
        if commits.count <= 12 { c.xCategories = commits.map(Self.short) }
        // Runs of one commit side by side, a little apart, so each stays clickable.
        var perCommit: [String: Int] = [:]
        var counts: [String: Int] = [:]
        for r in rows where r.figures[metric] != nil { counts[Self.key(r), default: 0] += 1 }
        var points: [(x: Double, y: Double)] = []
        var links: [(href: String, title: String)?] = []
        var values: [String: [Double]] = [:]
        for r in rows {
            guard let v = r.figures[metric] else { continue }
            let k = Self.key(r)
            let n = counts[k] ?? 1
            let i = perCommit[k, default: 0]
            perCommit[k] = i + 1
            let off = n > 1 ? (Double(i) / Double(n - 1) - 0.5) * 0.3 : 0
            points.append((at[k]! + off, v / div))
            values[k, default: []].append(v)
            let title = "\(r.runID): \(HistoryCheck.number(v)) (commit \(Self.short(r.commit)))"
            links.append(link(r).map { ($0, title) })
        }
        let medians = commits.compactMap { k in values[k].map { (at[k]!, Self.median($0) / div) } }
        var runs = SVGChart.Series("runs", kind: .points, points: points, color: 0)
        runs.links = links
        var line = SVGChart.Series("median per commit", kind: .line, points: medians, color: 1)
        line.vertices = commits.count <= 40
        c.series = [line, runs]
        let here = (outcome?.changePoints ?? []).filter { $0.series == name && $0.metric == metric }
        for p in here where p.index < rows.count {
            c.markers.append(
                .init(
                    x: at[Self.key(rows[p.index])] ?? 0,
                    label: "\(Format.signed(p.changePercent, 1)) %\(p.worse ? " worse" : " better")"))
        }
        var note = direction.map { $0 < 0 ? "Lower is better." : "Higher is better." } ?? "No direction in the config."
        if let outcome, outcome.series.contains(where: { $0.name == name }) {
            note +=
                here.isEmpty
                ? " No change point."
                : " "
                    + here.map {
                        "Change at \(Self.short($0.commit)): \(HistoryCheck.number($0.meanBefore)) → \(HistoryCheck.number($0.meanAfter)) (\(Format.signed($0.changePercent, 1)) %, p = \(HistoryCheck.pText($0.p)))."
                    }.joined(separator: " ")
        }
        c.note = note + " Each point opens its run's report."
        return c
    }

    /// The unit of a figure key, from its name (the history keeps no units).
    static func unit(_ key: String) -> String {
        if key.hasSuffix("_bytes") {
            if key.hasPrefix("per_vcp.") || key.contains("per_hot_vcp.") || key.contains("warm_per_vcp.") {
                return "bytes/VCP"
            }
            if key.contains("per_watcher.") { return "bytes/watcher" }
            return key.contains("returned_percent") ? "%" : "bytes"
        }
        if key.hasSuffix("_ms") { return "ms" }
        if key.hasSuffix("_seconds") { return "s" }
        if key.hasSuffix("_percent") || key.contains("returned_percent") { return "%" }
        if key.hasSuffix("_rps") { return "ops/s" }
        return "count"
    }

    public var html: String {
        var header = ""
        let allRows = table.rows
        if allRows.contains(where: { $0["target"] == "kp-sim" }) {
            header +=
                "<div class=\"notice\">Runs on kp-sim, the bundled emulator: their figures describe the emulator, not kplane.</div>\n"
        }
        header += "<p>"
        if let outcome {
            let gating = outcome.gating.count
            header +=
                gating == 0
                ? "<span class=\"status ok\">no change point gates</span>"
                : "<span class=\"status bad\">REGRESSION: \(gating) change point(s) gate</span>"
            header += "<span class=\"status warn\">\(outcome.changePoints.count) change point(s)</span>"
        } else {
            header +=
                "<span class=\"status warn\">change points not computed: \(SVGChart.escape(noCheck ?? "Otava not run"))</span>"
        }
        header += "<span class=\"status ok\">\(allRows.count) runs</span></p>\n"
        let check = HistoryCheck(config: config, minChangePercent: 0, lastRuns: 0, otava: "")
        var all = check.series(of: table).series
        // Series too short for Otava still get charts.
        var order: [String] = []
        var groups: [String: [HistoryRow]] = [:]
        for r in allRows {
            let k = "\(r.scenario)-\(r.clusters)" + (r.branch.isEmpty ? "" : "@\(r.branch)")
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(r)
        }
        var sections: [HTMLPage.Section] = []
        var index = 0
        for name in order {
            let rows = all.first(where: { $0.name == name })?.rows ?? HistoryTime.sorted(groups[name]!)
            all.removeAll { $0.name == name }
            let metrics = table.figureColumns.filter { m in rows.contains { $0.figures[m] != nil } }
            var body = "<div class=\"grid2\">\n"
            for m in metrics {
                body += chart(series: name, rows: rows, metric: m, index: index).figure(
                    noData: "no run has this figure")
                index += 1
            }
            body += "</div>\n"
            let id = "s-" + name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
            sections.append(.init(id: id, title: "\(name) (\(rows.count) runs)", body: body))
        }
        if sections.isEmpty {
            sections.append(
                .init(id: "empty", title: "No runs", body: "<p class=\"nodata\">The history has no runs yet.</p>\n"))
        }
        return HTMLPage(title: "kp-bench history", header: header, sections: sections).render()
    }
}
