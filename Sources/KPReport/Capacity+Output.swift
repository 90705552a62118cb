import Foundation
import KPStats

/// capacity.json: the shard's `spec.capacity` and the class estimates named as kplane's sharding
/// design names them (`maxControlPlanes`, `cpuLimit`, `memoryLimit`; `cpuEstimate`, `memEstimate`,
/// `requestRateEstimate`), with the numbers behind them and the capacity chart's data.
public struct CapacityFile: Codable, Sendable, Equatable {
    public struct ShardCapacitySpec: Codable, Sendable, Equatable {
        public var maxControlPlanes: Int?
        public var cpuLimit: String?
        public var memoryLimit: String?
    }
    /// `{"spec": {"capacity": …}}`, as in a ControlPlaneShard.
    public struct Shard: Codable, Sendable, Equatable {
        public struct Spec: Codable, Sendable, Equatable { public var capacity: ShardCapacitySpec }
        public var spec: Spec
    }
    public struct Estimates: Codable, Sendable, Equatable {
        /// Quantities: cores (`0.0012`, `5m`), bytes (`2049Ki`), requests/s.
        public var cpuEstimate: String?
        public var memEstimate: String?
        public var requestRateEstimate: String?
        /// The same in cores, bytes and requests/s, with 95 % intervals (upper bound: conservative).
        public var cpuCores: Capacity.Interval?
        public var memBytes: Capacity.Interval?
        public var requestRate: Capacity.Interval?
        public var source: String
    }
    public struct Cost: Codable, Sendable, Equatable {
        public var resource: String
        public var unit: String
        public var marginal: Capacity.Interval
        public var fixed: Capacity.Interval?
        public var rSquared: Double?
        public var linear: String?
        public var runs: Int?
    }
    public struct Answer: Codable, Sendable, Equatable {
        public var utilisation: Double
        public var controlPlanes: Int
        public var binding: String
        /// Per resource: the VCPs it allows (absent: it allows the whole search range).
        public var byResource: [String: Int]
        public var extrapolated: Bool
        /// The conservative use at controlPlanes, as quantities (cpu, memory) and requests/s.
        public var cpu: String?
        public var memory: String?
        public var requestRate: Double?
    }
    public struct PodField: Codable, Sendable, Equatable {
        public var value: String
        public var low: String?
        public var high: String?
    }
    public struct Pod: Codable, Sendable, Equatable {
        public var controlPlanes: Int
        public var extrapolated: Bool
        /// `resources.requests.memory` … `resources.limits.cpu`.
        public var fields: [String: PodField]
    }
    /// The capacity chart's curves: at each N, the conservative and the fitted use.
    public struct Chart: Codable, Sendable, Equatable {
        public var n: [Double]
        public var memoryUpper: [Double]?
        public var memoryFit: [Double]?
        public var cpuUpper: [Double]?
        public var cpuFit: [Double]?
        /// The sweep's runs: (N, RSS bytes, CPU cores) at steady.
        public var measuredN: [Double]
        public var measuredMemory: [Double?]
        public var measuredCPU: [Double?]
        public var memoryLimitBytes: Double?
        public var cpuLimitCores: Double?
    }

    public var kind = "capacity"
    /// This file's schema version (docs/records.md, "capacity.json").
    public var v = 1
    public var sweep: String
    public var loaded: String?
    public var emulator: Bool
    public var measuredControlPlanes: [Int]
    public var shard: Shard
    public var targetUtilisation: Double
    public var hardStop: Double
    public var mix: [String: Double]
    public var estimates: [String: Estimates]
    public var costs: [Cost]
    public var hotCosts: [Cost]
    public var atTarget: Answer
    public var atHardStop: Answer
    /// The shard's spec.capacity with maxControlPlanes set to the VCPs that fit at the target.
    public var recommended: Shard
    public var pod: Pod?
    public var chart: Chart

    /// capacity.json in `directory`, nil when absent or unreadable.
    public static func read(directory: String) -> CapacityFile? {
        guard
            let data = FileManager.default.contents(
                atPath: (directory as NSString).appendingPathComponent("capacity.json"))
        else { return nil }
        return try? JSONDecoder().decode(CapacityFile.self, from: data)
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of strings and finite numbers cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }
}

extension Capacity {
    func quantity(_ unit: String, _ v: Double?) -> String? {
        guard let v, v.isFinite else { return nil }
        switch unit {
        case "bytes": return Quantity.memory(v)
        case "cores": return Quantity.cpu(v)
        default: return Format.trimmed(v)
        }
    }

    /// The figure as capacity.md prints it: bytes in KiB/MiB, cores in millicores.
    func text(_ unit: String, _ v: Double?, perVCP: Bool) -> String {
        guard let v, v.isFinite else { return Format.missing }
        switch unit {
        case "bytes": return perVCP ? Format.fixed(v / 1024, 1) + " KiB" : Format.bytes(v)
        case "cores": return Format.fixed(v * 1000, perVCP ? 3 : 1) + "m"
        case "req/s": return Format.fixed(v, 2) + "/s"
        default: return Format.fixed(v, perVCP ? 3 : 1)
        }
    }

    func intervalText(_ unit: String, _ i: Interval?, perVCP: Bool) -> String {
        guard let i, let lo = i.low, let hi = i.high else { return "— (no interval)" }
        return "\(text(unit, lo, perVCP: perVCP)) … \(text(unit, hi, perVCP: perVCP))"
    }

    func limitsText(_ a: Answer) -> [String] {
        bounded.map { r in
            let n = a.byResource.first { $0.resource == r.name }?.controlPlanes
            return n.map { Format.count($0) } ?? "> \(Format.count(shard.maxControlPlanes ?? Self.searchLimit))"
        }
    }

    /// capacity.md.
    public var markdown: String {
        var t = ""
        if sweep.isEmulator { t += Report.emulatorNotice + "\n\n" }
        t += "# kp-bench capacity: VCPs per ControlPlaneShard\n\n"
        t +=
            "Sweep: \(sweepDirectory), \(sweep.members.valid.count) valid runs at N = "
            + measuredN.map { Format.trimmed($0) }.joined(separator: ", ") + ".\n"
        if let loadedPath {
            t +=
                "Loaded class: \(loadedPath), \(loadedRuns.count) run(s) with a load phase ("
                + loadedRuns.map { "\(($0.run as NSString).lastPathComponent): \($0.hotVCPs) hot VCPs" }.joined(
                    separator: ", ") + ").\n"
            for (run, reason) in loadedLeftOut { t += "- left out: \(run): \(reason)\n" }
        }
        let spec = [
            shard.maxControlPlanes.map { "maxControlPlanes \($0)" }, shard.cpuLimit.map { "cpuLimit \($0)" },
            shard.memoryLimit.map { "memoryLimit \($0)" },
        ].compactMap { $0 }
        t +=
            "Shard spec.capacity: \(spec.joined(separator: ", ")); target \(Format.trimmed(target * 100))%, hard stop \(Format.trimmed(hardStop * 100))%; "
            + "mix idle \(Format.trimmed(mix.idlePercent))% / hot \(Format.trimmed(mix.hotPercent))%.\n"
        t += "\n## VCPs per shard\n\n"
        let names = bounded.map { $0.name == "cpu" ? "by CPU" : "by memory" }
        let header =
            ["utilisation", "VCPs", "binds first"] + names
            + ["maxControlPlanes", "memory used", "CPU used", "requests/s", "extrapolated"]
        var at = MarkdownTable(header, rightAligned: header.indices.map { ![0, 2, header.count - 1].contains($0) })
        for a in answers {
            at.add(
                [
                    "\(a.label) \(Format.trimmed(a.utilisation * 100))%", Format.count(a.controlPlanes), a.binding,
                ] + limitsText(a) + [
                    shard.maxControlPlanes.map { Format.count($0) } ?? Format.missing,
                    a.memory.map { Format.bytes($0) } ?? Format.missing,
                    a.cpu.map { Format.fixed($0, 2) + " cores" } ?? Format.missing,
                    a.requestRate.map { Format.fixed($0, 1) } ?? Format.missing,
                    a.extrapolated ? "YES (beyond N = \(Format.trimmed(largestMeasured)))" : "no",
                ])
        }
        t += at.text
        t +=
            "\nUse at N = fixed + N × (upper 95 % bound of the marginal cost)"
            + (mix.hotPercent > 0
                ? " + \(Format.trimmed(mix.hotPercent))% × N × (upper 95 % bound of the load cost per hot VCP)" : "")
            + "; beyond the largest N measured (\(Format.trimmed(largestMeasured))) the idle part is at least the upper 95 % prediction bound of the fit. "
            + "Memory is RSS; CPU is the average over the steady phase"
            + (mix.hotPercent > 0 ? " plus the load phase's per hot VCP" : "") + ".\n"
        for a in answers where a.extrapolated {
            t +=
                "\n**EXTRAPOLATED** (\(a.label)): \(Format.count(a.controlPlanes)) VCPs is beyond the largest N measured (\(Format.trimmed(largestMeasured))); the fit is assumed to stay linear there. Sweep up to it to confirm.\n"
        }
        if costs.contains(where: { $0.key == "rss_bytes" || $0.key == "cpu_cores" })
            && costs.allSatisfy({ $0.marginal.high == nil })
        {
            t +=
                "\n**No intervals**: two cluster counts leave no degrees of freedom, so the point estimates are used (not conservative). Sweep 3 or more sizes.\n"
        }
        if mix.hotPercent > 0, let hot = loadedRuns.map(\.hotVCPs).max(), let a = answers.last,
            mix.hotFraction * Double(a.controlPlanes) > Double(hot)
        {
            t +=
                "\nThe load cost per hot VCP was measured with at most \(hot) hot VCPs; \(Format.count(mix.hotFraction * Double(a.controlPlanes))) hot VCPs assume it stays per VCP.\n"
        }
        for n in notes { t += "\n- \(n)\n" }

        t += "\n## Class profiles (per VCP)\n\n"
        var pt = MarkdownTable(
            ["class", "cpuEstimate", "95% CI", "memEstimate", "95% CI", "requestRateEstimate", "95% CI", "from"],
            rightAligned: [false, true, true, true, true, true, true, false])
        for p in profiles {
            pt.add([
                p.name, text("cores", p.cpuEstimate?.value, perVCP: true),
                intervalText("cores", p.cpuEstimate, perVCP: true),
                text("bytes", p.memEstimate?.value, perVCP: true), intervalText("bytes", p.memEstimate, perVCP: true),
                text("req/s", p.requestRateEstimate?.value, perVCP: true),
                intervalText("req/s", p.requestRateEstimate, perVCP: true), p.source,
            ])
        }
        t += pt.text

        t += "\n## Cost per VCP at steady (the sweep's fit)\n\n"
        var ct = MarkdownTable(
            ["resource", "marginal per VCP", "95% CI", "fixed", "95% CI", "R²", "linear in N"],
            rightAligned: [false, true, true, true, true, true, false])
        for c in costs {
            ct.add([
                c.title, text(c.unit, c.marginal.value, perVCP: true), intervalText(c.unit, c.marginal, perVCP: true),
                text(c.unit, c.fixed.value, perVCP: false), intervalText(c.unit, c.fixed, perVCP: false),
                c.fit.rSquared.map { Format.fixed($0, 4) } ?? Format.missing, c.linearity,
            ])
        }
        t += ct.text
        if !hotCosts.isEmpty {
            t += "\n## Load cost per hot VCP (post-load − steady) / hot VCPs\n\n"
            var ht = MarkdownTable(["resource", "per hot VCP", "95% CI", "runs"])
            for h in hotCosts {
                ht.add([
                    h.title, text(h.unit, h.estimate.value, perVCP: true),
                    intervalText(h.unit, h.estimate, perVCP: true), "\(h.perRun.count)",
                ])
            }
            t += ht.text
            t += "\nThe interval is the mean's over the loaded runs (Student t, runs − 1 df); one run gives none.\n"
        }
        if let forN {
            t += "\n## Pod for \(Format.count(forN)) VCPs\n\n"
            if Double(forN) > largestMeasured {
                t +=
                    "**EXTRAPOLATED**: N = \(Format.count(forN)) is beyond the largest N measured (\(Format.trimmed(largestMeasured))); the intervals are 95 % prediction intervals.\n\n"
            }
            var ft = MarkdownTable(
                ["field", "value", "95% interval", "basis"], rightAligned: [false, true, false, false])
            for l in podLines {
                ft.add([
                    l.field, l.value, l.low.flatMap { lo in l.high.map { "\(lo) … \($0)" } } ?? "— (no interval)",
                    l.basis,
                ])
            }
            t += ft.text
            t +=
                "\nThe rules are summary.md's \"Sizing a pod\" (docs/reports.md), applied to the fitted figures at N.\n"
        }
        return t
    }

    /// The chart's N: 0 to beyond the hard stop's answer and the largest measured N.
    var chartN: [Double] {
        let top = Double(max(answers.map(\.controlPlanes).max() ?? 0, Int(largestMeasured), 1)) * 1.15
        return (0...40).map { (top * Double($0) / 40).rounded() }
    }

    /// capacity.json's content.
    public var file: CapacityFile {
        func spec(_ max: Int?) -> CapacityFile.Shard {
            .init(
                spec: .init(
                    capacity: .init(maxControlPlanes: max, cpuLimit: shard.cpuLimit, memoryLimit: shard.memoryLimit)))
        }
        func answer(_ a: Answer) -> CapacityFile.Answer {
            .init(
                utilisation: a.utilisation, controlPlanes: a.controlPlanes, binding: a.binding,
                byResource: Dictionary(
                    uniqueKeysWithValues: a.byResource.compactMap { r in r.controlPlanes.map { (r.resource, $0) } }),
                extrapolated: a.extrapolated, cpu: a.cpu.map { Quantity.cpu($0) },
                memory: a.memory.map { Quantity.memory($0) },
                requestRate: a.requestRate)
        }
        var estimates: [String: CapacityFile.Estimates] = [:]
        for p in profiles {
            estimates[p.name] = .init(
                cpuEstimate: quantity("cores", p.cpuEstimate?.upper),
                memEstimate: quantity("bytes", p.memEstimate?.upper),
                requestRateEstimate: quantity("req/s", p.requestRateEstimate?.upper), cpuCores: p.cpuEstimate,
                memBytes: p.memEstimate, requestRate: p.requestRateEstimate, source: p.source)
        }
        let ns = chartN
        let mem =
            bounded.first { $0.name == "memory" }
            ?? cost("rss_bytes").map { ("memory", $0, hotCost("rss_bytes")?.estimate, 0) }
        let cpu =
            bounded.first { $0.name == "cpu" }
            ?? cost("cpu_cores").map { ("cpu", $0, hotCost("cpu_cores")?.estimate, 0) }
        let runs = sweep.members.valid.compactMap { m in Sweep.n(of: m.report).map { (m.report, $0) } }
        let chart = CapacityFile.Chart(
            n: ns, memoryUpper: mem.map { m in ns.map { conservativeUse(m.cost, hot: m.hot, n: $0) } },
            memoryFit: mem.map { m in ns.map { fittedUse(m.cost, hot: m.hot, n: $0) } },
            cpuUpper: cpu.map { c in ns.map { conservativeUse(c.cost, hot: c.hot, n: $0) } },
            cpuFit: cpu.map { c in ns.map { fittedUse(c.cost, hot: c.hot, n: $0) } },
            measuredN: runs.map(\.1), measuredMemory: runs.map { $0.0.phases.row("steady")?.sample.rssBytes },
            measuredCPU: runs.map { $0.0.phases.row("steady")?.cpuPercent.map { $0 / 100 } },
            memoryLimitBytes: shard.memoryBytes, cpuLimitCores: shard.cpuCores)
        return CapacityFile(
            sweep: sweepDirectory, loaded: loadedPath, emulator: sweep.isEmulator,
            measuredControlPlanes: measuredN.map { Int($0) }, shard: spec(shard.maxControlPlanes),
            targetUtilisation: target, hardStop: hardStop, mix: ["idle": mix.idlePercent, "hot": mix.hotPercent],
            estimates: estimates,
            costs: costs.map {
                .init(
                    resource: $0.key, unit: $0.unit, marginal: $0.marginal, fixed: $0.fixed, rSquared: $0.fit.rSquared,
                    linear: $0.linearity, runs: $0.fit.n)
            },
            hotCosts: hotCosts.map {
                .init(
                    resource: $0.key, unit: $0.unit, marginal: $0.estimate, fixed: nil, rSquared: nil, linear: nil,
                    runs: $0.perRun.count)
            },
            atTarget: answer(answers[0]), atHardStop: answer(answers[1]), recommended: spec(answers[0].controlPlanes),
            pod: forN.map { n in
                .init(
                    controlPlanes: n, extrapolated: Double(n) > largestMeasured,
                    fields: Dictionary(
                        uniqueKeysWithValues: podLines.map {
                            ($0.field, .init(value: $0.value, low: $0.low, high: $0.high))
                        }))
            },
            chart: chart)
    }

    /// Writes capacity.md and capacity.json into `directory`; when it holds sweep.html, that page is
    /// written again with the capacity section (``Sweep/write(to:)`` adds it from capacity.json).
    public func write(to directory: String) throws(ReportWriteError) {
        try Report.writeAtomically(markdown, to: (directory as NSString).appendingPathComponent("capacity.md"))
        try Report.writeAtomically(file.json, to: (directory as NSString).appendingPathComponent("capacity.json"))
        let html = (directory as NSString).appendingPathComponent("sweep.html")
        if FileManager.default.fileExists(atPath: html) {
            try Report.writeAtomically(sweep.html(capacity: file), to: html)
        }
    }
}

extension CapacityFile {
    /// sweep.html's capacity section: VCPs against memory and against CPU, the conservative and the
    /// fitted use, the sweep's runs, and the shard's target and hard-stop lines.
    public var htmlSection: HTMLPage.Section {
        func draw(
            _ id: String, _ title: String, unit: String, div: Double, upper: [Double]?, fit: [Double]?, runs: [Double?],
            limit: Double?
        )
            -> String
        {
            guard let upper, let fit else { return "" }
            var c = SVGChart(id: id, title: title, xLabel: "VCPs on the shard", yLabel: unit)
            c.width = 580
            c.height = 320
            c.series = [
                .init(
                    "upper 95%", kind: .line, points: zip(chart.n, upper).map { ($0, $1 / div) },
                    color: 1),
                .init("fit", kind: .line, points: zip(chart.n, fit).map { ($0, $1 / div) }, color: 0, dashed: true),
            ]
            for i in c.series.indices { c.series[i].vertices = false }
            if let limit {
                let x = [chart.n.first ?? 0, chart.n.last ?? 0]
                c.series.append(
                    .init(
                        "\(Format.trimmed(targetUtilisation * 100))%", kind: .line,
                        points: x.map { ($0, limit * targetUtilisation / div) }, color: 2))
                c.series.append(
                    .init(
                        "\(Format.trimmed(hardStop * 100))%", kind: .line,
                        points: x.map { ($0, limit * hardStop / div) }, color: 3))
                c.series[c.series.count - 1].vertices = false
                c.series[c.series.count - 2].vertices = false
            }
            c.series.append(
                .init(
                    "runs", kind: .points,
                    points: zip(chart.measuredN, runs).compactMap { n, v in v.map { (n, $0 / div) } }, color: 4))
            let (t, h) = (atTarget.controlPlanes, atHardStop.controlPlanes)
            c.markers =
                t == h
                ? [.init(x: Double(t), label: "\(Format.count(t)) at both")]
                : [
                    .init(x: Double(t), label: "\(Format.count(t)) at target"),
                    .init(x: Double(h), label: "\(Format.count(h)) at hard stop"),
                ]
            c.note =
                "Lines: the shard's use at N with the mix (idle \(Format.trimmed(mix["idle"] ?? 100))%, hot \(Format.trimmed(mix["hot"] ?? 0))%); upper 95%: fixed + N × the marginal cost's upper bound (prediction bound beyond N = \(measuredControlPlanes.last.map(String.init) ?? "?")); horizontal: the target and hard stop of the limit; points: the sweep's idle runs. Binds first: \(atTarget.binding)."
            return c.figure(noData: "no data")
        }
        var body =
            "<p>From capacity.json (kp-report capacity): \(Format.count(atTarget.controlPlanes)) VCPs at the target, \(Format.count(atHardStop.controlPlanes)) at the hard stop"
            + (atTarget.extrapolated ? " (extrapolated beyond the sweep)" : "") + ".</p>\n<div class=\"grid2\">\n"
        body += draw(
            "capacity-memory", "Memory (RSS) vs VCPs", unit: "GiB", div: 1_073_741_824, upper: chart.memoryUpper,
            fit: chart.memoryFit,
            runs: chart.measuredMemory, limit: chart.memoryLimitBytes)
        body += draw(
            "capacity-cpu", "CPU vs VCPs", unit: "cores", div: 1, upper: chart.cpuUpper, fit: chart.cpuFit,
            runs: chart.measuredCPU,
            limit: chart.cpuLimitCores)
        return HTMLPage.Section(id: "capacity", title: "Capacity on the shard", body: body + "</div>\n")
    }
}
