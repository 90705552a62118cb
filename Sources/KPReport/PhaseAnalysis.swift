import KPRecords
import KPRunModel
import KPStats

/// The per-phase resource table, per-VCP costs and deltas, computed from a run's samples.
///
/// One row per phase label, in time order (the seed's order: baseline, post-bootstrap, steady,
/// post-load; kp-run's `launch` sample first when there is one). CPU % of a phase is the average
/// between the previous phase's sample and this one (`Δ process_cpu_seconds_total / Δ wall
/// time`, 100 % = one core), so the baseline covers the warmup (from `launch`), post-bootstrap
/// the bootstrap burst plus the settle, steady the idle wait and post-load the load phase. When
/// there is no previous sample with a CPU figure, the last continuous (`series`) sample taken at
/// least a second earlier (and after the previous phase) is used instead.
public struct PhaseAnalysis: Sendable {
    /// One phase's sample and the figures derived from it.
    public struct Row: Sendable {
        public var phase: String
        public var sample: SampleRecord
        /// ns since the run started (run_meta, else the launch, else the first sample).
        public var elapsedNs: Int64?
        public var cpuPercent: Double?
        /// The interval CPU % is averaged over, and what it starts at (a phase or `series`).
        public var cpuIntervalNs: Int64?
        public var cpuFrom: String?
        /// Why CPU % is absent, when it is.
        public var cpuMissingReason: String?
        /// Further samples of the same phase that were not used.
        public var duplicates: Int
    }

    public var rows: [Row] = []
    /// Phases the scenario should have produced but the samples lack.
    public var missingPhases: [String] = []
    /// VCPs to divide by, and where that number came from.
    public var vcps: Int?
    public var vcpsSource: String
    /// Figures absent from a row: (phase, figure title, reason).
    public var missingFigures: [(phase: String, figure: String, reason: String)] = []

    /// The phases a scenario produces: the run model's samples (``KPRunModel/Scenario/phases``). A
    /// run without run_meta is taken for the seed's phases, with post-load when it has load records.
    public static func expectedPhases(scenario: String?, hasLoad: Bool, flags: [String: String] = [:]) -> [String] {
        if let s = scenario.flatMap({ Scenario.named($0, flags: flags) }) { return s.phases }
        return Scenario.named(hasLoad ? "mixed-hot" : "bootstrap")!.phases
    }

    public init(data: RunData) {
        // The last usable sample of each phase; a sample whose whole scrape failed is kept only
        // when there is nothing better (its figures then show as missing with the reason).
        var byPhase: [String: [SampleRecord]] = [:]
        for s in data.phaseSamples { byPhase[s.phase, default: []].append(s) }
        func pick(_ phase: String) -> SampleRecord {
            let samples = byPhase[phase]!
            return samples.last(where: { $0.error == nil }) ?? samples.last!
        }
        // Time order, which is the seed's phase order in a normal run (kp-run's `launch` sample,
        // when present, comes first; a `pre-load` one between steady and post-load).
        let order = byPhase.keys.sorted { a, b in (pick(a).tNs, a) < (pick(b).tNs, b) }
        let runStart = Self.runStartNs(data)

        var previous: SampleRecord?
        for phase in order {
            let samples = byPhase[phase]!
            let chosen = pick(phase)
            var row = Row(
                phase: phase, sample: chosen, elapsedNs: runStart.map { chosen.tNs - $0 }, cpuPercent: nil,
                cpuIntervalNs: nil, cpuFrom: nil, cpuMissingReason: nil, duplicates: samples.count - 1)
            var from: (SampleRecord, String)?
            if let p = previous, p.cpuSeconds != nil {
                from = (p, p.phase)
            } else if let s = data.seriesSamples.last(where: {
                $0.tNs <= chosen.tNs - 1_000_000_000 && $0.cpuSeconds != nil
                    && (previous == nil || $0.tNs > previous!.tNs)
            }) {
                from = (s, "series")
            }
            if chosen.cpuSeconds == nil {
                row.cpuMissingReason = ResourceFigure.cpuSeconds.missingReason(in: chosen)
            } else if let (f, label) = from {
                row.cpuPercent = PhaseMath.cpuPercent(
                    cpuBefore: f.cpuSeconds, tBeforeNs: f.tNs, cpuAfter: chosen.cpuSeconds, tAfterNs: chosen.tNs)
                row.cpuIntervalNs = chosen.tNs - f.tNs
                row.cpuFrom = label
                if row.cpuPercent == nil {
                    row.cpuMissingReason = "CPU counter went down since \(label) (target restarted?)"
                }
            } else {
                row.cpuMissingReason =
                    previous == nil
                    ? "first sample of the run: no earlier scrape to difference against"
                    : "the previous sample has no CPU figure"
            }
            for figure in ResourceFigure.allCases where figure != .cpuSeconds {
                if let reason = figure.missingReason(in: chosen) {
                    missingFigures.append((phase, figure.title, reason))
                }
            }
            if let reason = row.cpuMissingReason { missingFigures.append((phase, "CPU %", reason)) }
            rows.append(row)
            previous = chosen
        }
        let expected = Self.expectedPhases(
            scenario: data.runMeta?.scenario, hasLoad: data.loadFinal != nil, flags: data.runMeta?.flags ?? [:])
        missingPhases = expected.filter { byPhase[$0] == nil }

        if let s = data.bootstrapSummary {
            vcps = s.ok
            vcpsSource = "bootstrap_summary: \(s.ok) of \(s.clusters) clusters bootstrapped"
        } else if !data.steps.isEmpty {
            let done = BootstrapStepRecord.bootstrappedClusters(data.steps)
            vcps = done.count
            vcpsSource =
                "\(done.count) clusters bootstrapped (discovery ok, no step failed; no bootstrap_summary record)"
        } else if let c = data.runMeta?.flags["clusters"], let n = Int(c) {
            vcps = n
            vcpsSource = "the clusters flag (\(n)); no bootstrap records to confirm how many came up"
        } else {
            vcps = nil
            vcpsSource = "unknown: no bootstrap records and no clusters flag"
        }
    }

    /// When the run started, for elapsed times: run_meta's start, else the launch, else the first sample.
    public static func runStartNs(_ data: RunData) -> Int64? {
        data.runMeta?.startNs ?? data.endpoint?.launchedNs ?? data.phaseSamples.first?.tNs
    }

    /// The row of a phase, if sampled.
    public func row(_ phase: String) -> Row? { rows.first { $0.phase == phase } }

    /// Phases sampled after the baseline, in time order (the per-VCP table's columns).
    public var phasesAfterBaseline: [String] {
        guard let base = rows.firstIndex(where: { $0.phase == "baseline" }) else { return [] }
        return rows[(base + 1)...].map(\.phase)
    }

    /// `(figure at phase − figure at baseline) / VCPs`; nil for the baseline and earlier phases.
    public func perVCP(_ figure: ResourceFigure, phase: String) -> Double? {
        guard let vcps, let base = row("baseline"), let r = row(phase), r.sample.tNs > base.sample.tNs else {
            return nil
        }
        return PhaseMath.perVCP(figure.value(in: r.sample), baseline: figure.value(in: base.sample), vcps: vcps)
    }

    /// `figure at to − figure at from`.
    public func delta(_ figure: ResourceFigure, from: String, to: String) -> Double? {
        guard let a = row(from), let b = row(to) else { return nil }
        return PhaseMath.delta(figure.value(in: a.sample), figure.value(in: b.sample))
    }
}
