/// Scenario churn's cycles, as data: which VCPs each cycle deletes and which it creates.
///
/// VCPs are indices into the run's name format (`c-%03d` by default): the bootstrap makes 0..<N;
/// cycle k (1-based) deletes the m oldest live ones, (k−1)·m ..< k·m, and creates m new ones,
/// N + (k−1)·m ..< N + k·m, so N VCPs are live after every cycle and no name is used twice (a deleted
/// VCP's in-memory state, which kplane never evicts (contract §3.1), cannot be reused by a new one).
/// m = ``perCycle``: ceil(N · percent / 100), at least 1, at most N (``Scenario/hotCount(of:percent:)``).
public struct ChurnPlan: Sendable, Equatable {
    public var clusters: Int
    public var percent: Double
    public var cycles: Int

    public static let defaultCycles = 5
    public static let defaultPercent = 20.0
    /// The run_meta flags that carry the plan (kp-run writes them, kp-report reads them back).
    public static let cyclesFlag = "churn-cycles"
    public static let percentFlag = "churn-percent"

    public init(clusters: Int, percent: Double, cycles: Int) {
        self.clusters = clusters
        self.percent = percent
        self.cycles = cycles
    }

    /// VCPs deleted, and created, per cycle.
    public var perCycle: Int { Scenario.hotCount(of: clusters, percent: percent) }

    /// Name indices cycle `k` (1-based) deletes: the oldest live VCPs.
    public func deleted(cycle k: Int) -> Range<Int> { (k - 1) * perCycle..<k * perCycle }
    /// Name indices cycle `k` (1-based) creates: the next unused ones.
    public func created(cycle k: Int) -> Range<Int> { clusters + (k - 1) * perCycle..<clusters + k * perCycle }
    /// How many names the whole run uses (the bootstrap's and every cycle's new ones).
    public var namesUsed: Int { clusters + cycles * perCycle }

    /// The sample taken at the end of cycle `k`.
    public static func phase(cycle k: Int) -> String { "churn-\(k)" }
    /// The cycle of a churn sample's phase (`churn-3` → 3), nil for any other phase.
    public static func cycle(ofPhase phase: String) -> Int? {
        guard phase.hasPrefix("churn-"), let k = Int(phase.dropFirst(6)), k >= 1 else { return nil }
        return k
    }
}

extension Scenario {
    /// The churn steps: per cycle, delete and create (``Step/churn(cycle:)``), then a sample; the last
    /// cycle's sample saves pprof profiles (what the churned VCPs left behind).
    static func churnSteps(cycles: Int) -> [Step] {
        guard cycles >= 1 else { return [] }
        return (1...cycles).flatMap { k in
            [Step.churn(cycle: k), .sample(ChurnPlan.phase(cycle: k), pprof: k == cycles)]
        }
    }

    /// The number of churn cycles the scenario runs (0 for a scenario without churn).
    public var churnCycles: Int {
        steps.reduce(0) { n, step in if case .churn = step { n + 1 } else { n } }
    }

    /// The scenario with `cycles` churn cycles instead of its own (itself when it has no churn).
    public func withChurnCycles(_ cycles: Int) -> Scenario {
        guard churnCycles > 0 else { return self }
        var s = self
        let first = steps.firstIndex { if case .churn = $0 { true } else { false } }!
        s.steps = Array(steps[..<first]) + Self.churnSteps(cycles: cycles)
        return s
    }

    /// The scenario a run ran, from run_meta's scenario and flags: churn's cycle count is its
    /// `churn-cycles` flag (the row's default without it).
    public static func named(_ name: String, flags: [String: String]) -> Scenario? {
        guard let s = named(name) else { return nil }
        guard s.churnCycles > 0, let text = flags[ChurnPlan.cyclesFlag], let n = Int(text), n >= 1 else { return s }
        return s.withChurnCycles(n)
    }
}
