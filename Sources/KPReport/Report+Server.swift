import KPStats

extension Report {
    /// summary.md's "Server-side view" (under Load): per-verb quantiles from the server's histogram,
    /// stated as its buckets allow, the client's service time beside them, and what the server
    /// counted in the window beside what the records say sent it (docs/reports.md).
    func serverSection(_ l: LoadAnalysis) -> String {
        var text = "\n### Server-side view\n\n"
        let v = l.server
        guard let before = v.before, let after = v.after else {
            return text + (v.note ?? "Not available.") + "\n"
        }
        text += "From `\(LoadAnalysis.serverMetric)` between the \(before.phase) sample and the \(after.phase) sample"
        text += " (\(Format.seconds(after.tNs - before.tNs)) apart"
        if let a = v.accounting {
            text +=
                "; the load phase started \(Format.seconds(a.leadNs)) after the first and ended \(Format.seconds(a.tailNs)) before the second"
        }
        text += "), summed by verb over everything the server served in between. "
        text +=
            "A quantile is only known to the bucket it falls in: `≤ 5 ms` is anywhere in the first bucket, `> 60 s` beyond the highest bound, "
            + "and inside any other bucket its range, with Prometheus' histogram_quantile estimate (even spread within the bucket) marked `interpolated`.\n\n"
        if let note = v.note { text += note + ".\n\n" }
        guard !v.verbs.isEmpty else { return text + "No requests recorded between the two samples.\n" }
        var t = MarkdownTable(
            ["verb", "requests", "server p50", "server p99"], rightAligned: [false, true, false, false])
        for verb in v.verbs {
            t.add([
                verb.verb, Format.count(verb.requests), Format.bucketQuantile(verb.p50),
                Format.bucketQuantile(verb.p99),
            ])
        }
        text += t.text
        let c = Self.clientServerTable(l)
        if !c.rows.isEmpty {
            text +=
                "\nClient service time beside the server's view (the server's figures cover every request of the verb in the window, below):\n\n"
                + c.text
        }
        if let a = v.accounting { text += accountingText(a, load: l) }
        return text
    }

    /// A client op beside the server verb it maps to: the client's service time and the server's
    /// quantiles of every request of the verb in the window.
    struct ClientServerPair {
        var op: String
        var client: LatencyHistogram?
        var verb: String
        /// nil when the server recorded no request of the verb in the window.
        var server: LoadAnalysis.ServerVerb?
    }

    /// The client ops the load ran, each with its server verb (read and write.get → GET,
    /// write.update → PUT); summary.md's and report.html's client-beside-server tables.
    static func clientServerPairs(_ l: LoadAnalysis) -> [ClientServerPair] {
        let mapping: [(String, String)] = [("read", "GET"), ("write.get", "GET"), ("write.update", "PUT")]
        return mapping.compactMap { op, verb in
            guard let o = l.ops.first(where: { $0.op == op }) else { return nil }
            return ClientServerPair(
                op: op, client: o.service, verb: verb, server: l.server.verbs.first { $0.verb == verb })
        }
    }

    /// Client beside server: each client op's service time with the server's quantiles of its verb
    /// (summary.md's table, which report.html shows beside the latency spectra too).
    static func clientServerTable(_ l: LoadAnalysis) -> MarkdownTable {
        var c = MarkdownTable(
            ["client op", "client p50", "client p99", "server verb", "server p50", "server p99"],
            rightAligned: [false, true, true, false, false, false])
        for p in clientServerPairs(l) {
            c.add([
                p.op, Format.latency(p.client?.percentile(50).map(Double.init)),
                Format.latency(p.client?.percentile(99).map(Double.init)),
                p.verb, Format.bucketQuantile(p.server?.p50), Format.bucketQuantile(p.server?.p99),
            ])
        }
        return c
    }

    /// The requests the server counted, who sent them, and why a verb's count differs from kp-load's.
    func accountingText(_ a: ServerRequestAccounting, load l: LoadAnalysis) -> String {
        guard !a.rows.isEmpty else { return "" }
        var text =
            "\nRequests the server counted in the window, by verb and resource (or path, for requests that are not for a resource), and who sent them as far as the run's records tell:\n\n"
        var t = MarkdownTable(
            ["verb", "server requests", "resource or path", "sent by", "in the records"],
            rightAligned: [false, true, false, false, true])
        for r in a.rows {
            t.add([
                r.verb, Format.count(r.requests), "`\(r.target)`", r.sender,
                r.recorded.map { Format.count($0) } ?? Format.missing,
            ])
        }
        text += t.text + "\n"
        let test = ServerRequestAccounting.testResource
        for verb in a.verbs {
            let rows = a.rows.filter { $0.verb == verb }
            let total = a.total(verb)
            var line = "- \(verb): the server counted \(Format.count(total))"
            let loadPhase = a.loadPhase[verb]
            if let p = loadPhase {
                line +=
                    p.count == total
                    ? ", as many as kp-load's load phase sent (\(p.ops))"
                    : ", kp-load's load phase sent \(Format.count(p.count)) (\(p.ops))"
            } else {
                line +=
                    ", none of them in kp-load's load phase: "
                    + rows.map { "`\($0.target)` \(Format.count($0.requests)) from \($0.sender)" }.joined(
                        separator: ", ")
            }
            let others = rows.filter { !$0.isResource }
            if !others.isEmpty {
                line +=
                    "; \(Format.count(others.reduce(0) { $0 + $1.requests })) are not resource requests ("
                    + others.map { "`\($0.target)` \(Format.count($0.requests))" }.joined(separator: ", ")
                    + "), which the API-call SLO leaves out: it checks \(Format.count(a.resourceTotal(verb)))"
            }
            let elsewhere = rows.filter { $0.isResource && $0.target != test }
            if !elsewhere.isEmpty {
                line +=
                    "; other resources: "
                    + elsewhere.map { "`\($0.target)` \(Format.count($0.requests))" }.joined(separator: ", ")
            }
            if let p = loadPhase, let mine = rows.first(where: { $0.isResource && $0.target == test }),
                mine.requests != p.count
            {
                let diff = mine.requests - p.count
                line +=
                    "; `\(test)`: \(Format.count(abs(diff))) \(diff > 0 ? "more" : "fewer") than kp-load's load phase counted"
                // Requests of this verb that got no HTTP answer (timeouts, transport errors): the server
                // may or may not have served them.
                let names = verb == "GET" ? ["read", "write.get"] : ["write.update"]
                let unanswered = l.ops.filter { names.contains($0.op) }.reduce(Int64(0)) { sum, op in
                    sum + op.byStatus.filter { Int($0.key) == nil }.values.reduce(0, +)
                }
                var why: [String] = []
                if diff > 0 {
                    if let o = a.otherLoad, let n = o.byVerb[verb], n > 0 {
                        why.append(
                            "the window holds \(Format.seconds(o.overlapNs)) of kp-load's load phase without watchers (\(o.file)), about \(Format.count(n)) at its average rate"
                        )
                    }
                    if a.leadNs > 1_000_000_000 {
                        why.append("the window opens \(Format.seconds(a.leadNs)) before the load started")
                    }
                    if a.tailNs > 1_000_000_000 {
                        why.append("it closes \(Format.seconds(a.tailNs)) after the load ended")
                    }
                    if a.rows.contains(where: { $0.verb == "POST" && $0.target == test }) {
                        why.append(
                            "a pre-warm create that found its object already there (409) reads and updates it instead")
                    }
                    if unanswered > 0 {
                        why.append(
                            "\(Format.count(unanswered)) requests kp-load got no answer to (timeouts, transport errors) may have been served"
                        )
                    }
                } else if unanswered > 0 {
                    why.append(
                        "\(Format.count(unanswered)) requests kp-load got no answer to (timeouts, transport errors) may never have reached it"
                    )
                }
                line += why.isEmpty ? " (the records do not say why)" : " (likely: " + why.joined(separator: "; ") + ")"
            }
            text += line + ".\n"
        }
        return text
    }
}
