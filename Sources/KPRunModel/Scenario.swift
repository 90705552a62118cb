/// The scenarios kp-bench runs, as data: each row is a name, its steps in order, the samples those
/// steps take and the files they write, and the tool flags the scenario fixes.
///
/// This is the one definition: kp-run executes the steps, kp-report expects exactly the samples
/// listed here (``samples``), kp-load and `kp-report meta` check `--scenario` against ``names``. A
/// new scenario is a new row in ``all`` plus what its tool does. Every sample is a step of its own
/// (or a load's ``Load/sampleDuring``): nothing takes a sample that is not in the row.
public struct Scenario: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Sleep for one of the run's phase durations, watching the target.
        case wait(Wait)
        /// One kp-scrape sample named after the phase; with pprof profiles when `pprof` is true.
        case sample(String, pprof: Bool)
        /// kp-bootstrap over the run's clusters (through one Fleet when the scenario has ``fleetName``).
        case bootstrap
        /// kp-load (one process, or `--load-shards` processes side by side).
        case load(Load)
        /// kp-bootstrap --teardown: each VCP's test objects and CRD through the API, and its etcd keys
        /// when the run controls etcd (contract §3.5), into teardown.jsonl.
        case teardown
        /// kp-load --snapshot-warm-pass: `GET …/snapshot?warm=true` once per bootstrapped VCP, one at a
        /// time, into snapshot-warm.jsonl (contract §2.3).
        case snapshotWarm
        /// kp-scrape --burst: what one `/metrics` scrape costs the server (a `scrape_cost` record in
        /// samples.jsonl; not a sample: no phase row). kp-run leaves it out with `--no-scrape-cost`.
        case scrapeCost
        /// One churn cycle (``ChurnPlan``): kp-bootstrap --teardown over the cycle's oldest VCPs
        /// (teardown's path), then kp-bootstrap over as many new names, both into churn.jsonl.
        case churn(cycle: Int)
        /// kp-launch restart: the target stopped and started again keeping its storage (same etcd and
        /// prefix; docker: the apiserver container restarted), ready again; its record into restart.jsonl.
        case restart
        /// kp-bootstrap --first-request: every bootstrapped VCP's first request after the restart at
        /// --workers concurrency (the lazy re-bootstrap under a client storm), into first-requests.jsonl.
        case firstRequests
    }

    /// One load phase: which records it writes and what runs beside the reads and writes.
    public struct Load: Sendable, Equatable {
        /// kp-load gets `--watchers-per-cluster` (watch streams per hot cluster).
        public var watchers: Bool
        /// kp-load gets the snapshot flags (`--snapshot-rps-per-cluster` …).
        public var snapshotReads: Bool
        /// A sample (with pprof) taken while the load runs: once kp-load's first interval record is
        /// written plus a third of the load duration.
        public var sampleDuring: String?
        /// The records' file-name prefix (``RunLayout/loadFile(prefix:shard:of:)``).
        public var filePrefix: String

        public init(
            watchers: Bool = false, snapshotReads: Bool = false, sampleDuring: String? = nil,
            filePrefix: String = RunLayout.loadPrefix
        ) {
            self.watchers = watchers
            self.snapshotReads = snapshotReads
            self.sampleDuring = sampleDuring
            self.filePrefix = filePrefix
        }
        /// The phase name while it runs.
        public var phase: String { sampleDuring ?? "load" }
    }

    /// Which duration flag a wait step uses; the phase file names the wait by `rawValue`.
    public enum Wait: String, Sendable, Equatable {
        case warmup
        case postBootstrapSettle = "post-bootstrap-settle"
        case steadyWait = "steady-wait"
        /// After a teardown, for as long as --post-bootstrap-settle: the server's chance to give memory back.
        case postTeardownSettle = "post-teardown-settle"
        /// Scenario observe: the watch between its first and last sample (kp-run --observe-duration).
        case observe
        /// After a restart's first requests, for as long as --post-bootstrap-settle.
        case postRestartSettle = "post-restart-settle"
    }

    /// A sample the scenario takes: its phase label and whether it saves pprof profiles.
    public struct Sample: Sendable, Equatable, CustomStringConvertible {
        public var phase: String
        public var pprof: Bool
        public init(_ phase: String, pprof: Bool) {
            self.phase = phase
            self.pprof = pprof
        }
        public var description: String { pprof ? "\(phase)+pprof" : phase }
    }

    public var name: String
    public var steps: [Step]
    /// kp-load's hot percent is fixed by the scenario (mixed-uniform: every cluster); nil = the flag's.
    public var fixedHotPercent: Double?
    /// The VCPs are made server-side by one Fleet (contract §3.3): kp-bootstrap `--fleet NAME` creates
    /// it, waits for `readyReplicas`, then runs the same per-member steps as `bootstrap`.
    public var fleetName: String?

    public init(name: String, steps: [Step], fixedHotPercent: Double? = nil, fleetName: String? = nil) {
        self.name = name
        self.steps = steps
        self.fixedHotPercent = fixedHotPercent
        self.fleetName = fleetName
    }

    /// The sample every run takes right after launch, before the first step (not a scenario phase:
    /// the report uses it as the baseline's CPU reference).
    public static let launchSample = Sample("launch", pprof: false)

    /// The scenario's samples in the order its steps take them (without ``launchSample``).
    public var samples: [Sample] {
        steps.compactMap { step in
            switch step {
            case .sample(let phase, let pprof): Sample(phase, pprof: pprof)
            case .load(let l): l.sampleDuring.map { Sample($0, pprof: true) }
            default: nil
            }
        }
    }

    /// The phase labels the report expects samples for, in run order.
    public var phases: [String] { samples.map(\.phase) }

    /// The load phases, in order.
    public var loads: [Load] {
        steps.compactMap { if case .load(let l) = $0 { l } else { nil } }
    }

    /// True when the scenario drives load (its load flags are recorded in run_meta).
    public var drivesLoad: Bool { !loads.isEmpty }
    /// True when the scenario makes VCPs (a bootstrap step); false for observe, which creates nothing.
    public var createsVCPs: Bool { steps.contains(.bootstrap) }
    /// True when a load phase opens kp-load's watchers (`--watchers-per-cluster` applies).
    public var watches: Bool { loads.contains(where: \.watchers) }
    /// True when a load phase sends snapshot reads (the snapshot flags apply).
    public var snapshotReads: Bool { loads.contains(where: \.snapshotReads) }

    /// The record files the scenario's steps write, besides those every run writes
    /// (meta, endpoint, launch, samples, timeseries). A sharded load writes one file per shard instead.
    public func recordFiles(loadShards: Int = 1) -> [String] {
        var files: [String] = []
        for step in steps {
            switch step {
            case .bootstrap: files.append(RunLayout.bootstrap)
            case .teardown: files.append(RunLayout.teardown)
            case .snapshotWarm: files.append(RunLayout.snapshotWarm)
            case .churn: if !files.contains(RunLayout.churn) { files.append(RunLayout.churn) }
            case .restart: files.append(RunLayout.restart)
            case .firstRequests: files.append(RunLayout.firstRequests)
            case .load(let l):
                if loadShards > 1 {
                    files += (0..<loadShards).map {
                        RunLayout.loadFile(prefix: l.filePrefix, shard: $0, of: loadShards)
                    }
                } else {
                    files.append(RunLayout.loadFile(prefix: l.filePrefix))
                }
            case .wait, .sample, .scrapeCost: break
            }
        }
        return files
    }

    /// The seed's phases: warmup → baseline → bootstrap → settle → post-bootstrap sample + pprof →
    /// steady wait → steady sample + pprof; between the baseline sample and the bootstrap, with no VCP
    /// yet, the scrape-cost burst.
    static let seedPhases: [Step] = [
        .wait(.warmup), .sample("baseline", pprof: false), .scrapeCost, .bootstrap,
        .wait(.postBootstrapSettle), .sample("post-bootstrap", pprof: true),
        .wait(.steadyWait), .sample("steady", pprof: true),
    ]
    static let postLoad = Step.sample("post-load", pprof: true)

    /// Every scenario kp-run runs, in the order its help lists them.
    public static let all: [Scenario] = [
        Scenario(name: "bootstrap", steps: seedPhases),
        Scenario(name: "mixed-hot", steps: seedPhases + [.load(Load()), postLoad]),
        Scenario(name: "mixed-uniform", steps: seedPhases + [.load(Load()), postLoad], fixedHotPercent: 100),
        // The seed's phases with the Fleet path instead of client-driven creation; members are
        // named kpbench-0000 … (the Fleet's name prefix), so per-VCP figures compare with `bootstrap`.
        Scenario(name: "fleet-bootstrap", steps: seedPhases, fleetName: "kpbench"),
        // After the steady sample, delete each VCP's data as controlplane-operator does, settle, sample
        // again: kp-report says how much of the per-VCP cost came back.
        Scenario(
            name: "teardown",
            steps: seedPhases + [.teardown, .wait(.postTeardownSettle), .sample("post-teardown", pprof: true)]),
        // After the post-bootstrap sample: a pre-warm sample, one snapshot?warm=true per VCP, a
        // post-warm sample (the first-warm cost per VCP is post-warm minus pre-warm over N), then the
        // load with snapshot reads beside the usual reads and writes, a post-load sample, then the
        // steady wait and sample.
        Scenario(
            name: "snapshot",
            steps: [
                .wait(.warmup), .sample("baseline", pprof: false), .scrapeCost, .bootstrap,
                .wait(.postBootstrapSettle),
                .sample("post-bootstrap", pprof: true), .sample("pre-warm", pprof: false), .snapshotWarm,
                .sample("post-warm", pprof: true), .load(Load(snapshotReads: true)), postLoad,
                .wait(.steadyWait), .sample("steady", pprof: true),
            ]),
        // mixed-hot's writers twice, on the same hot clusters (one run seed): without watchers, then
        // with W watch streams per hot cluster (contract §8.2), each with a sample taken while it
        // runs; per watcher = the difference / watchers.
        Scenario(
            name: "watch-fanout",
            steps: seedPhases + [
                .load(Load(sampleDuring: "load", filePrefix: RunLayout.nowatchLoadPrefix)),
                .load(Load(watchers: true, sampleDuring: "load-watch")), postLoad,
            ]),
        // The seed's phases, then ChurnPlan.defaultCycles cycles (kp-run --churn-cycles) that each delete
        // --churn-percent of the VCPs as teardown does and create as many new ones, with a sample per
        // cycle: kp-report fits heap, RSS and goroutines against the cycle (what a churned VCP leaves).
        Scenario(name: "churn", steps: seedPhases + churnSteps(cycles: ChurnPlan.defaultCycles)),
        // After the steady sample, the target restarted keeping its storage (contract §3.1: no VCP is
        // held until asked): a sample at readyz before any VCP is touched, every VCP's first request at
        // --workers concurrency, a settle, a sample. kp-report compares both with the steady sample.
        Scenario(
            name: "restart",
            steps: seedPhases + [
                .restart, .sample("restart-ready", pprof: true), .firstRequests, .wait(.postRestartSettle),
                .sample("post-restart", pprof: true),
            ]),
        // A live server (url mode) that something else loads: a sample with pprof, the watch
        // (--observe-duration) with the series running, a sample with pprof. Creates nothing, writes nothing.
        Scenario(
            name: "observe",
            steps: [.sample("observe-start", pprof: true), .wait(.observe), .sample("observe-end", pprof: true)]),
    ]

    /// The scenario names, in ``all``'s order.
    public static var names: [String] { all.map(\.name) }
    /// The scenarios with a load phase, which kp-load drives.
    public static var loadNames: [String] { all.filter(\.drivesLoad).map(\.name) }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// "a, b or c" of some scenario names, for messages.
    public static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
    /// Every scenario name as "a, b or c".
    public static var namesText: String { list(names) }
}

extension Scenario {
    /// Number of hot clusters for `percent` of `count`: ceil(count · percent / 100), at least 1. The
    /// one rule, for kp-load's hot subset and kp-run's checks before launch (shards vs hot clusters).
    public static func hotCount(of count: Int, percent: Double) -> Int {
        guard count > 0 else { return 0 }
        // Round the product first so that 10% of 200 is 20, not 21 from float noise.
        let exact = (Double(count) * percent / 100 * 1e9).rounded() / 1e9
        return min(count, max(1, Int(exact.rounded(.up))))
    }
}
