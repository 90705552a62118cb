import KPRecords
import KPRunModel
import KPStats

/// One figure of a run's headline: a row of summary.md's scenario table under `## Headline`, and an
/// entry of result.json's `headline`.
public struct HeadlineFigure: Sendable, Equatable {
    /// Key, title and unit; the key is ``Report/figures``' key for the same value (compare, sweep, thresholds).
    public var spec: FigureSpec
    public var value: Double
    /// The value as summary.md prints it.
    public var text: String
    /// What the value is measured from, e.g. `(post-load − steady) / 20 hot VCPs`.
    public var basis: String
    /// What the value is held against, in its unit: the target rate of an achieved rate.
    public var target: Double?
}

/// What the load phases cost each VCP that got load: (sample after the last load − sample before the
/// first load) / hot N. Dividing by all N instead would spread the cost of the hot clusters over
/// clusters that got none.
public struct HotVCPLoadCost: Sendable, Equatable {
    /// The phase of the sample before the first load (`steady`; `post-warm` in scenario snapshot).
    public var before: String
    /// The phase of the sample after the last load (`post-load`).
    public var after: String
    /// The clusters that got load.
    public var hotVCPs: Int
    /// Per figure (heap in-use, heap alloc, RSS, goroutines, open fds) present in both samples.
    public var perHotVCP: [ResourceFigure: Double]

    /// The cost of one figure per hot VCP, nil when a sample lacks it.
    public func value(_ figure: ResourceFigure) -> Double? { perHotVCP[figure] }

    /// `(after − before) / hotVCPs` for every figure both samples have; nil unless hotVCPs > 0.
    public static func compute(
        before: (phase: String, sample: SampleRecord), after: (phase: String, sample: SampleRecord), hotVCPs: Int
    ) -> HotVCPLoadCost? {
        guard hotVCPs > 0 else { return nil }
        let figures: [ResourceFigure] = [.heapInuse, .heapAlloc, .rss, .goroutines, .openFds]
        var values: [ResourceFigure: Double] = [:]
        for f in figures {
            guard let a = f.value(in: before.sample), let b = f.value(in: after.sample) else { continue }
            values[f] = (b - a) / Double(hotVCPs)
        }
        return HotVCPLoadCost(before: before.phase, after: after.phase, hotVCPs: hotVCPs, perHotVCP: values)
    }
}

extension Report {
    /// The run's scenario in the run model (``KPRunModel/Scenario/all``); a run without run_meta (or with
    /// a name the model lacks) is taken for the seed's phases, with a load when it has load records, as
    /// ``PhaseAnalysis/expectedPhases(scenario:hasLoad:)`` takes it.
    var scenarioModel: Scenario {
        if let s = data.runMeta.flatMap({ Scenario.named($0.scenario, flags: $0.flags) }) { return s }
        return Scenario.named(data.loadFinal != nil ? "mixed-hot" : "bootstrap")!
    }

    // MARK: - Hot clusters and seed

    /// The clusters that got load, by name: the clusters of load_final's `per_cluster` rows (every
    /// shard's); nil without them.
    public var hotClusters: [String]? {
        guard let f = data.loadFinal else { return nil }
        let names = Set(f.perCluster.map(\.cluster))
        return names.isEmpty ? nil : names.sorted()
    }

    /// How many clusters got load, and from what: kp-load's `hot_clusters_total` setting (every shard's
    /// hot list), else the clusters of the `per_cluster` rows.
    public var hotVCPs: (count: Int, source: String)? {
        if let n = data.loadFinal?.settings["hot_clusters_total"].flatMap(Int.init), n > 0 {
            return (n, "kp-load's hot_clusters_total")
        }
        if let h = hotClusters { return (h.count, "load_final per_cluster") }
        return nil
    }

    /// The seed that chose the hot clusters: kp-load's `seed` setting (the run seed kp-run passes to
    /// every kp-load of the run), else run_meta's `seed` flag.
    public var loadSeed: String? {
        data.loadFinal?.settings["seed"] ?? data.runMeta?.flags["seed"]
    }

    /// The hot list for the Run table: at most `shown` names, then "… (k more)".
    static func abbreviatedList(_ names: [String], total: Int, shown: Int = 5) -> String {
        let head = names.prefix(shown).joined(separator: ", ")
        let more = total - min(names.count, shown)
        return more > 0 ? head + ", … (\(more) more)" : head
    }

    /// Run-table rows of a run with load: the hot clusters (how many of N, the first names) and the seed.
    var loadRunRows: [[String]] {
        guard scenarioModel.drivesLoad || data.loadFinal != nil else { return [] }
        var rows: [[String]] = []
        if let hot = hotVCPs {
            var s = Format.count(hot.count)
            if let n = phases.vcps { s += " of \(Format.count(n))" }
            if let names = hotClusters { s += ": " + Self.abbreviatedList(names, total: hot.count) }
            rows.append(["hot clusters", s])
        } else if data.kneeResult != nil {
            rows.append(["hot clusters", "\(Format.missing) (a knee search writes knee_step records, not load_final)"])
        } else {
            rows.append(["hot clusters", "\(Format.missing) (no load_final per_cluster rows)"])
        }
        rows.append(["load seed", loadSeed.map { "\($0) (chose the hot clusters)" } ?? Format.missing])
        return rows
    }

    // MARK: - What a sample comes after

    /// The scenario's steps before `phase`'s sample that change what it measures beyond the bootstrap:
    /// "warm pass", "load" (or "2 loads"), "teardown"; empty when there are none (or no such sample).
    func stepsBefore(_ phase: String) -> [String] {
        let steps = scenarioModel.steps
        guard
            let at = steps.firstIndex(where: {
                if case .sample(let p, _) = $0 { return p == phase }
                if case .load(let l) = $0 { return l.sampleDuring == phase }
                return false
            })
        else { return [] }
        var warm = 0
        var loads = 0
        var teardown = 0
        var restart = 0
        for step in steps[..<at] {
            switch step {
            case .snapshotWarm: warm += 1
            case .load: loads += 1
            case .teardown: teardown += 1
            case .restart: restart += 1
            default: break
            }
        }
        var out: [String] = []
        if warm > 0 { out.append("warm pass") }
        if loads > 0 { out.append(loads == 1 ? "load" : "\(loads) loads") }
        if teardown > 0 { out.append("teardown") }
        if restart > 0 { out.append("restart") }
        return out
    }

    /// " (after warm pass + load)" for a sample taken after such steps; "" otherwise.
    func afterText(_ phase: String) -> String {
        let before = stepsBefore(phase)
        return before.isEmpty ? "" : " (after " + before.joined(separator: " + ") + ")"
    }

    /// `phase`, with the steps before it that change what it measures: "steady, after warm pass + load".
    func phaseLabel(_ phase: String) -> String {
        let before = stepsBefore(phase)
        return before.isEmpty ? phase : phase + ", after " + before.joined(separator: " + ")
    }

    // MARK: - Loads

    /// The load_final records of one of the scenario's loads (its file prefix): watch-fanout's load
    /// without watchers is `nowatch-load*.jsonl`, every other load `load*.jsonl`.
    func loadFinals(_ load: Scenario.Load) -> [LoadFinalRecord] {
        if load.filePrefix == RunLayout.nowatchLoadPrefix { return data.nowatchLoadFinals }
        return data.loadFinal.map { [$0] } ?? []
    }

    /// What the scenario's load `l` runs beside the reads and writes, for labels: "with watchers",
    /// "without watchers" (when another load of the scenario has them), "with snapshot reads"; "" for none.
    func loadQualifier(_ l: Scenario.Load) -> String {
        if l.watchers { return " with watchers" }
        if scenarioModel.watches { return " without watchers" }
        if l.snapshotReads { return " with snapshot reads" }
        return ""
    }

    /// The headline's clusters cell after N: each load with its duration, e.g. " + 2.0m load", or
    /// " + 2.0m load without watchers + 2.0m load with watchers".
    var loadsClustersText: String {
        let loads = scenarioModel.loads
        var out = ""
        for l in loads {
            let finals = loadFinals(l)
            guard let start = finals.map(\.startNs).min(), let end = finals.map(\.endNs).max(), end > start else {
                continue
            }
            out += " + \(Format.fixed(Double(end - start) / 60e9, 1))m load" + loadQualifier(l)
        }
        return out
    }

    /// The load the run's `load` (load.jsonl) is, when the scenario runs more than one: " (load with watchers)".
    var mainLoadLabel: String {
        let loads = scenarioModel.loads
        guard loads.count > 1, let main = loads.first(where: { $0.filePrefix == RunLayout.loadPrefix }) else {
            return ""
        }
        return " (load" + loadQualifier(main) + ")"
    }

    /// The samples around the scenario's loads: the last sample step before the first load and the
    /// first sample step after the last one (steady and post-load; post-warm and post-load in snapshot).
    var loadBracketPhases: (before: String, after: String)? {
        let steps = scenarioModel.steps
        func isLoad(_ s: Scenario.Step) -> Bool { if case .load = s { true } else { false } }
        func phase(_ s: Scenario.Step) -> String? { if case .sample(let p, _) = s { p } else { nil } }
        guard let first = steps.firstIndex(where: isLoad), let last = steps.lastIndex(where: isLoad),
            let before = steps[..<first].reversed().lazy.compactMap(phase).first,
            let after = steps[(last + 1)...].lazy.compactMap(phase).first
        else { return nil }
        return (before, after)
    }

    /// The load cost per hot VCP; nil without a load, its two samples, or the hot count.
    public var hotVCPLoadCost: HotVCPLoadCost? {
        guard data.loadFinal != nil, let b = loadBracketPhases, let before = phases.row(b.before),
            let after = phases.row(b.after), after.sample.tNs > before.sample.tNs, let hot = hotVCPs
        else { return nil }
        return HotVCPLoadCost.compute(
            before: (b.before, before.sample), after: (b.after, after.sample), hotVCPs: hot.count)
    }

    /// The Per VCP table's note on its last column: " Per hot VCP: (post-load − steady) / 20, the VCPs
    /// that got load (…)."; "" without a load cost.
    var hotVCPNote: String {
        guard let c = hotVCPLoadCost else { return "" }
        return
            " Per hot VCP: (\(c.after) − \(c.before)) / \(Format.count(c.hotVCPs)), the VCPs that got load (\(hotVCPs?.source ?? "?")): what the load cost each of them."
    }

    /// Figures for comparisons: the load cost per hot VCP (`load.per_hot_vcp.*`), the read + write
    /// error % and total achieved rate, fleet-bootstrap's time to all members Ready, and restart's times
    /// and first-request p99.
    public var headlineOnlyFigures: [FigureValue] {
        var out = FigureList()
        for f in headlineFigures
        where f.spec.key.hasPrefix("load.per_hot_vcp.") || f.spec.key.hasPrefix("restart.")
            || ["load.error_percent", "load.achieved_rps", "fleet.ready_seconds"].contains(f.spec.key)
        {
            out.add(f.spec.key, f.spec.title, f.spec.unit, f.value, f.spec.polarity)
            if f.spec.key == "load.achieved_rps" { out.add("load.target_rps", "target rate", "ops/s", f.target) }
        }
        return out.values
    }

    // MARK: - The scenario's headline figures

    /// The scenario's key figures, by what its steps do (``KPRunModel/Scenario``): a load: achieved /
    /// target rate, read and write p99, error %, the load cost per hot VCP; a snapshot warm pass: the
    /// first-warm cost per VCP and the snapshot reads' p99; watchers: delivery p99 and the cost per
    /// watcher; a teardown: the share of the cost returned; a Fleet: the time to all members Ready.
    public var headlineFigures: [HeadlineFigure] {
        var out: [HeadlineFigure] = []
        func add(
            _ key: String, _ title: String, _ unit: String, _ v: Double?, _ text: (Double) -> String, _ basis: String,
            _ p: FigureSpec.Polarity = .lowerIsBetter, target: Double? = nil
        ) {
            guard let v, v.isFinite else { return }
            out.append(
                HeadlineFigure(
                    spec: FigureSpec(key: key, title: title, unit: unit, polarity: p), value: v, text: text(v),
                    basis: basis, target: target))
        }
        func p99Ms(_ h: LatencyHistogram?) -> Double? { h?.percentile(99).map { Double($0) / 1e6 } }
        func ms(_ v: Double) -> String { Format.latency(v * 1e6) }
        func perUnit(_ f: ResourceFigure) -> (Double) -> String {
            f.isBytes ? { Format.mib2($0) } : { Format.fixed($0, 2) }
        }
        let scenario = scenarioModel
        let loadLabel = mainLoadLabel

        if let l = load {
            let target = l.final.targetRps.values.reduce(0, +)
            let achieved = l.final.achievedRps.values.reduce(0, +)
            let byOp = l.final.targetRps.keys.sorted().map {
                "\($0) \(Format.fixed(l.final.achievedRps[$0], 1)) / \(Format.fixed(l.final.targetRps[$0], 1))"
            }.joined(separator: ", ")
            if !l.final.targetRps.isEmpty {
                add(
                    "load.achieved_rps", "achieved / target rate", "ops/s", achieved,
                    { "\(Format.fixed($0, 1)) / \(Format.fixed(target, 1)) ops/s" }, byOp + loadLabel, .higherIsBetter,
                    target: target)
            }
            for op in ["read", "write"] {
                guard let s = l.ops.first(where: { $0.op == op }) else { continue }
                add(
                    "load.\(op).response_p99_ms", "\(op) p99", "ms", p99Ms(s.response), ms,
                    "response time (end − intended start) of \(Format.count(s.count)) \(op)s" + loadLabel)
            }
            let rw = l.ops.filter { $0.op == "read" || $0.op == "write" }
            let count = rw.reduce(Int64(0)) { $0 + $1.count }
            let errors = rw.reduce(Int64(0)) { $0 + $1.errors }
            if count > 0 {
                add(
                    "load.error_percent", "errors", "%", Double(errors) / Double(count) * 100,
                    { Format.fixed($0, 2) + "%" },
                    "\(Format.count(errors)) of \(Format.count(count)) reads + writes failed" + loadLabel)
            }
            if let c = hotVCPLoadCost {
                let loads = scenario.loads.count
                let basis =
                    "(\(c.after) − \(c.before)) / \(Format.count(c.hotVCPs)) hot VCPs"
                    + (loads > 1 ? ", over the \(loads) loads" : "")
                for f in [ResourceFigure.heapInuse, .rss, .goroutines] {
                    add(
                        "load.per_hot_vcp.\(f.rawValue)", "load cost per hot VCP: \(f.title)",
                        f.isBytes ? "bytes/VCP" : "goroutines/VCP", c.value(f), perUnit(f), basis)
                }
            }
        }
        if scenario.steps.contains(.snapshotWarm) {
            let n = snapshotWarmVCPs.map { Format.count($0) } ?? "?"
            for c in snapshotWarmCosts ?? [] {
                add(
                    "snapshot.warm_per_vcp.\(c.figure.rawValue)", "first-warm \(c.figure.title) per VCP",
                    c.figure.isBytes ? "bytes/VCP" : "goroutines/VCP", c.perVCP, perUnit(c.figure),
                    "(post-warm − pre-warm) / \(n) VCPs warmed")
            }
        }
        if scenario.snapshotReads, let f = snapshotLoad {
            let reads = f.warm ? "reads_warm" : "reads"
            add(
                "snapshot.\(reads).response_p99_ms", "snapshot read p99", "ms", p99Ms(f.response), ms,
                "response time of \(Format.count(f.count)) snapshot reads under load"
                    + (f.warm ? " (warm=true)" : ""))
        }
        if scenario.watches, case .success(let w?) = watchAnalysis {
            add(
                "watch.delivery_p99_ms", "watch delivery p99", "ms", p99Ms(w.tally.delivery), ms,
                "from the Update's send, \(Format.count(w.tally.delivery.count)) events on \(Format.count(w.watchers)) watch streams"
            )
            for p in watchPerWatcher(w) ?? [] {
                add(
                    "watch.per_watcher.\(p.figure.rawValue)", "\(p.figure.title) per watcher",
                    p.figure.isBytes ? "bytes/watcher" : "goroutines/watcher", p.perWatcher, perUnit(p.figure),
                    "(load-watch − load) / \(Format.count(w.watchers)) watch streams")
            }
        }
        if scenario.steps.contains(.teardown) {
            for r in teardownReturns ?? [] {
                add(
                    "teardown.returned_percent.\(r.figure.rawValue)", "\(r.figure.title) returned", "%",
                    r.returnedPercent, { Format.percent($0) },
                    "(steady − post-teardown) / (steady − baseline), \(Format.mib2OrCount(r.returnedPerVCP, r.figure)) of \(Format.mib2OrCount(r.costPerVCP, r.figure)) per VCP",
                    .higherIsBetter)
            }
        }
        if scenario.steps.contains(.restart), let f = restartFigures {
            let seconds: (Double) -> String = { Format.fixed($0, 2) + " s" }
            add(
                "restart.ready_seconds", "time to readyz after restart", "s", f.toReadyNs.map { Double($0) / 1e9 },
                seconds, "the restarted target's start → /readyz 200 (restart record)")
            let n = data.firstRequestSummary.map { Format.count($0.clusters) } ?? "?"
            add(
                "restart.all_answered_seconds", "time until all VCPs answered", "s",
                f.allAnsweredNs.map { Double($0) / 1e9 }, seconds,
                "first of the \(n) VCPs' first requests → the last answer (first_request_summary)")
            add(
                "restart.first_request_p99_ms", "first request p99 after restart", "ms",
                f.latency.isEmpty ? nil : p99Ms(f.latency), ms,
                "\(Format.count(f.latency.count)) VCPs' first requests, retries included")
        }
        if scenario.fleetName != nil, let f = data.fleetStatus, let ready = f.readyNs, ready >= f.startNs {
            add(
                "fleet.ready_seconds", "time to all members Ready", "s", Double(ready - f.startNs) / 1e9,
                { Format.fixed($0, 2) + " s" },
                "Fleet create sent → \(Format.count(f.readyReplicas)) of \(Format.count(f.replicas)) members Ready (fleet_status)"
            )
        }
        return out
    }

    /// `## Headline`: the seed's cross-N row (scenario, clusters and loads, bootstrap time, heap at
    /// steady, per-VCP heap, RSS and goroutines at steady, idle CPU), its columns saying when the
    /// steady sample comes after a warm pass, load or teardown; then the scenario's own figures
    /// (``headlineFigures``) with what each is measured from.
    var headlineSection: String {
        let after = afterText("steady")
        var t = MarkdownTable([
            "scenario", "clusters", "bootstrap time", "heap @ steady" + after, "per-VCP heap", "per-VCP RSS",
            "per-VCP goroutines", "idle CPU%" + after,
        ])
        let steady = phases.row("steady")
        let clusters = (phases.vcps.map(String.init) ?? Format.missing) + loadsClustersText
        t.add([
            data.runMeta?.scenario ?? Format.missing, clusters, Format.seconds(bootstrap.wallNs),
            Format.bytes(steady?.sample.heapInuseBytes),
            Format.mib2(phases.perVCP(.heapInuse, phase: "steady")), Format.mib2(phases.perVCP(.rss, phase: "steady")),
            Format.fixed(phases.perVCP(.goroutines, phase: "steady"), 2), Format.percent(steady?.cpuPercent),
        ])
        var text =
            "## Headline\n\n" + t.text
            + "\nPer-VCP figures are (steady − baseline) / N with N = \(phases.vcps.map(String.init) ?? "?") (\(phases.vcpsSource)); idle CPU is the steady phase's average."
        if !after.isEmpty {
            text +=
                " The steady sample is taken after the "
                + stepsBefore("steady").joined(separator: " + ")
                + ", so heap @ steady, the per-VCP figures and idle CPU include what those left behind."
        }
        if let c = hotVCPLoadCost {
            text +=
                " The load's cost is divided by the \(Format.count(c.hotVCPs)) VCPs that got load (\(hotVCPs?.source ?? "?")), not by N."
        }
        return text + "\n" + headlineFiguresTable
    }

    /// The seed's row as figures (keys as in ``Report/figures``): bootstrap time, heap in-use at steady,
    /// per-VCP heap, RSS and goroutines at steady, idle CPU.
    var seedRowFigures: [HeadlineFigure] {
        let n = phases.vcps.map { Format.count($0) } ?? "?"
        var out: [HeadlineFigure] = []
        func add(_ key: String, _ title: String, _ unit: String, _ v: Double?, _ basis: String) {
            guard let v, v.isFinite else { return }
            let spec = FigureSpec(key: key, title: title, unit: unit, polarity: .lowerIsBetter)
            out.append(HeadlineFigure(spec: spec, value: v, text: spec.format(v), basis: basis))
        }
        add(
            "bootstrap.wall_seconds", "bootstrap time", "s", bootstrap.wallNs.map { Double($0) / 1e9 },
            "first request to the last step's end")
        add(
            "steady.heap_inuse_bytes", "heap in-use (\(phaseLabel("steady")))",
            "bytes", phases.row("steady").flatMap { ResourceFigure.heapInuse.value(in: $0.sample) }, "steady sample")
        for f in [ResourceFigure.heapInuse, .rss, .goroutines] {
            add(
                "per_vcp.\(f.rawValue)", "per-VCP \(f.title) (\(phaseLabel("steady")))",
                f.isBytes ? "bytes/VCP" : "goroutines/VCP", phases.perVCP(f, phase: "steady"),
                "(steady − baseline) / \(n) VCPs")
        }
        add(
            "steady.cpu_percent", "idle CPU % (\(phaseLabel("steady")))", "%",
            phases.row("steady")?.cpuPercent, "the steady phase's average")
        return out
    }

    /// result.json's `headline`: the seed's row (``seedRowFigures``) and the scenario's own
    /// (``headlineFigures``), values rounded to 6 decimals.
    var headlineEntries: [ResultFile.HeadlineEntry]? {
        let figures = seedRowFigures + headlineFigures
        guard !figures.isEmpty else { return nil }
        func r6(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
        return figures.map {
            .init(
                key: $0.spec.key, title: $0.spec.title, value: r6($0.value), unit: $0.spec.unit, basis: $0.basis,
                target: $0.target.map(r6))
        }
    }

    /// The scenario table under the seed's row; "" for a scenario without figures of its own (bootstrap).
    var headlineFiguresTable: String {
        let figures = headlineFigures
        guard !figures.isEmpty else { return "" }
        var t = MarkdownTable(["\(scenarioModel.name)", "value", "from"], rightAligned: [false, true, false])
        for f in figures { t.add([f.spec.title, f.text, f.basis]) }
        return "\n" + t.text
    }
}

extension Format {
    /// A per-VCP figure in the seed's form: MiB with two decimals for bytes, else two decimals.
    static func mib2OrCount(_ value: Double, _ figure: ResourceFigure) -> String {
        figure.isBytes ? mib2(value) : fixed(value, 2)
    }
}
