extension Report {
    /// An SLO bound in seconds (`1 s`, `30 s`).
    static func bound(_ seconds: Double) -> String { Format.trimmed(seconds) + " s" }

    /// summary.md's "API-call latency SLO" section (docs/reports.md).
    func sloSection(_ slo: APICallSLO) -> String {
        var text = "## API-call latency SLO\n\n"
        text +=
            "sig-scalability's API-call latency SLO over the load phase: single-object calls (GET, PUT, POST, PATCH, DELETE) p99 ≤ 1 s, LIST p99 ≤ 30 s. "
        text +=
            "Client = kp-load's response time (end − intended start, so queueing counts); server = `\(LoadAnalysis.serverMetric)` resource requests between the two samples around the load. "
        text +=
            "The SLO is defined over 5-minute windows of a live cluster; here it is one window, the whole load phase. "
        text +=
            "A server p99 is only known to its bucket (`≤ 5 ms`: somewhere in the first bucket; `> 60 s`: in the +Inf bucket); it is held when the whole bucket is under the bound.\n\n"
        let missed = slo.count(.missed)
        let inconclusive = slo.count(.inconclusive)
        text +=
            "**\(missed == 0 ? "HELD" : "MISSED")**: \(slo.checks.count) checks, \(slo.count(.held)) held, \(missed) missed, \(inconclusive) inconclusive.\n\n"
        var t = MarkdownTable(
            ["source", "call", "requests", "p99", "SLO", "verdict", "note"],
            rightAligned: [false, false, true, true, true, false, false])
        for c in slo.checks where c.cluster == "all" {
            t.add([
                c.source, c.call, Format.count(c.requests), c.p99Text,
                Self.bound(c.thresholdSeconds), c.verdict.rawValue, c.note ?? "",
            ])
        }
        text += "All clusters:\n\n" + t.text
        let per = slo.checks.filter { $0.cluster != "all" }
        if !per.isEmpty {
            var keys: [(String, String)] = []
            for c in per where !keys.contains(where: { $0 == (c.source, c.call) }) { keys.append((c.source, c.call)) }
            var p = MarkdownTable(
                ["source", "call", "clusters", "held", "missed", "inconclusive", "highest p99", "SLO"],
                rightAligned: [false, false, true, true, true, true, false, true])
            for (source, call) in keys {
                let cs = per.filter { $0.source == source && $0.call == call }
                let worst = cs.max {
                    APICallSLO.Check.isLower($0, $1) || (!APICallSLO.Check.isLower($1, $0) && $0.cluster > $1.cluster)
                }!
                // Server p99s are known to their bucket only: name the clusters that share the highest one.
                let tied = worst.bucket.map { b in cs.filter { $0.bucket?.sameBucket(as: b) == true }.count } ?? 1
                p.add([
                    source, call, Format.count(cs.count), Format.count(cs.filter { $0.verdict == .held }.count),
                    Format.count(cs.filter { $0.verdict == .missed }.count),
                    Format.count(cs.filter { $0.verdict == .inconclusive }.count),
                    "\(worst.p99Text) (\(tied > 1 ? "\(tied) clusters" : worst.cluster))",
                    Self.bound(worst.thresholdSeconds),
                ])
            }
            text +=
                "\nPer hot cluster (each cluster that got load; server figures from the series of the cluster's API group):\n\n"
                + p.text
            let bad = per.filter { $0.verdict != .held }
            if !bad.isEmpty {
                text += "\nNot held:\n\n"
                for c in bad.prefix(30) {
                    text +=
                        "- \(c.cluster) \(c.source) \(c.call): p99 \(c.p99Text) vs \(Self.bound(c.thresholdSeconds)), \(c.verdict.rawValue)\(c.note.map { " (\($0))" } ?? "")\n"
                }
                if bad.count > 30 { text += "- … and \(bad.count - 30) more (result.json lists all)\n" }
            }
        }
        for n in slo.notes { text += "\n\(n).\n" }
        return text
    }
}
