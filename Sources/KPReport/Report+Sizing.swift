extension Report {
    /// summary.md's "Sizing a pod": the seed's worked-example table (each observation beside the
    /// recommendation made from it), how each value is derived, and the per-VCP rule of thumb.
    var sizingSection: String {
        var text = "## Sizing a pod\n\n"
        let s = sizing
        func values(_ fields: [String]) -> String {
            let found = fields.compactMap { f in
                s.lines.first { $0.field == "resources." + f }.map { "\(f): \($0.value)" }
            }
            return found.isEmpty ? Format.missing : found.joined(separator: ", ")
        }
        var t = MarkdownTable(["", "observed", "recommendation"], rightAligned: [false, false, false])
        for row in phases.rows where row.phase != "launch" {
            var fields: [String] = []
            if row.phase == s.requestRSSPhase { fields.append("requests.memory") }
            if row.phase == s.requestCPUPhase { fields.append("requests.cpu") }
            t.add([
                Self.sizingLabel(row.phase),
                "RSS \(Format.bytes(row.sample.rssBytes)), CPU \(Format.percent(row.cpuPercent))",
                fields.isEmpty ? Format.missing : values(fields),
            ])
        }
        t.add([
            "peak over the run",
            "RSS \(Format.bytes(s.peakRSS?.value))\(s.peakRSS.map { " (\($0.source))" } ?? ""); "
                + "CPU \(Format.percent(s.peakCPU?.value))\(s.peakCPU.map { " (\($0.source))" } ?? "")",
            values(["limits.memory", "limits.cpu"]),
        ])
        text += t.text + "\nHow each value is derived:\n\n"
        for line in s.lines { text += "- `\(line.field)` = \(line.value): \(line.basis).\n" }
        // A scenario that creates no VCP (observe) knows no N: the peaks above are all it can size from.
        guard scenarioModel.createsVCPs else {
            return text
                + "\nScenario \(scenarioModel.name) creates no VCP, so it gives no per-VCP figures: the peaks above are the observed server's as a whole.\n"
        }
        let heap = phases.perVCP(.heapInuse, phase: "steady")
        let rss = phases.perVCP(.rss, phase: "steady")
        let gor = phases.perVCP(.goroutines, phase: "steady")
        text +=
            "\nPer-VCP rule of thumb at steady: heap ≈ \(Format.mib2(heap)) / VCP, RSS ≈ \(Format.mib2(rss)) / VCP, goroutines ≈ \(Format.fixed(gor, 2)) / VCP.\n"
        text += "\nCPU per VCP: " + cpuPerVCPText + "\n"
        if data.loadFinal == nil && data.kneeResult == nil {
            text +=
                "\nA bootstrap-only run undercounts the steady CPU and heap that real traffic adds: re-measure with mixed-hot at the expected rate before sizing for production.\n"
        }
        return text
    }

    /// The CPU rule of thumb with its arithmetic: idle per VCP, and under load per VCP that got load.
    var cpuPerVCPText: String {
        let s = sizing
        let steady = phases.row("steady")?.cpuPercent
        var parts: [String] = []
        if let idle = s.idleMillicoresPerVCP, let n = phases.vcps, let b = phases.row("baseline")?.cpuPercent {
            parts.append(
                "≈ \(Format.fixed(idle, 2))m / VCP at idle ((steady \(Format.percent(steady)) − baseline \(Format.percent(b))) × 10m / \(Format.count(n)) VCPs)"
            )
        } else {
            parts.append("idle figure not measured (needs the baseline and steady CPU %)")
        }
        if let load = s.loadMillicoresPerHotVCP, let hot = s.hotVCPs {
            let post = phases.row("post-load")?.cpuPercent
            parts.append(
                "under load ≈ \(Format.fixed(load, 1))m per hot VCP ((post-load \(Format.percent(post)) − steady \(Format.percent(steady))) × 10m / \(Format.count(hot)) hot VCPs"
                    + (s.hotVCPRates.map { ", each at \($0)" } ?? "") + ")")
        }
        return parts.joined(separator: "; ") + "."
    }

    /// The sizing table's name for a phase row.
    static func sizingLabel(_ phase: String) -> String {
        switch phase {
        case "baseline": "baseline (post-warmup, 0 VCPs)"
        case "post-bootstrap": "post-bootstrap (cold start)"
        case "steady": "steady (no traffic)"
        case "post-load": "post-load (over the load phase)"
        default: phase
        }
    }
}
