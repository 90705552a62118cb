/// The scenarios kp-run knows, as one table: each row is a name and its phase sequence.
///
/// A new scenario is a new row. The phases are the orchestrator's building blocks; `run` executes
/// them in order, so a scenario that, say, bootstraps and then tears down is
/// `[.wait(.warmup), .sample("baseline"), .bootstrap, …, .teardown]` once a `teardown` step exists.
public struct Scenario: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Sleep for one of the run's phase durations, watching the target.
        case wait(Wait)
        /// One kp-scrape sample named after the phase; with pprof profiles when `pprof` is true.
        case sample(String, pprof: Bool)
        /// kp-bootstrap over the run's clusters.
        case bootstrap
        /// kp-load (one process, or `--load-shards` processes side by side).
        case load
        /// kp-load as `.load`, with a sample named `sample` taken while it runs: once its first
        /// interval record is written (the schedule, and the watchers when `watchers`, are running)
        /// plus a third of the load duration. With `watchers`, kp-load gets `--watchers-per-cluster`
        /// and writes load.jsonl; without, it writes nowatch-load.jsonl (scenario `watch-fanout`).
        case loadSampled(watchers: Bool, sample: String)
        /// kp-bootstrap --teardown: each VCP's test objects and CRD through the API, and its etcd keys
        /// when the run controls etcd (contract §3.5), into teardown.jsonl.
        case teardown
        /// kp-load --snapshot-warm-pass: `GET …/snapshot?warm=true` once per bootstrapped VCP, one at a
        /// time, into snapshot-warm.jsonl (scenario snapshot, contract §2.3).
        case snapshotWarm
    }

    /// Which duration flag a wait step uses; the phase file names the wait by `rawValue`.
    public enum Wait: String, Sendable, Equatable {
        case warmup
        case postBootstrapSettle = "post-bootstrap-settle"
        case steadyWait = "steady-wait"
        /// After a teardown, for as long as --post-bootstrap-settle: the server's chance to give memory back.
        case postTeardownSettle = "post-teardown-settle"
    }

    public var name: String
    public var steps: [Step]
    /// kp-load's hot percent is fixed by the scenario (mixed-uniform: every cluster); nil = the flag's.
    public var fixedHotPercent: Double?
    /// The VCPs are made server-side by one Fleet (contract §3.3): kp-bootstrap `--fleet NAME` creates
    /// it, waits for `readyReplicas`, then runs the same per-member steps as `bootstrap`.
    public var fleetName: String?
    /// True when the scenario drives load (its load flags are recorded in run_meta).
    public var drivesLoad: Bool {
        steps.contains { step in
            switch step {
            case .load, .loadSampled: true
            default: false
            }
        }
    }
    /// True when the scenario opens kp-load's watchers (`--watchers-per-cluster` applies).
    public var watches: Bool { steps.contains(.loadSampled(watchers: true, sample: "load-watch")) }

    public init(name: String, steps: [Step], fixedHotPercent: Double? = nil, fleetName: String? = nil) {
        self.name = name
        self.steps = steps
        self.fixedHotPercent = fixedHotPercent
        self.fleetName = fleetName
    }

    /// The seed's phases: warmup → baseline → bootstrap → settle → post-bootstrap sample + pprof →
    /// steady wait → steady sample + pprof. (The launch sample and the continuous series are taken
    /// by every run, before the first step.)
    static let seedPhases: [Step] = [
        .wait(.warmup), .sample("baseline", pprof: false), .bootstrap,
        .wait(.postBootstrapSettle), .sample("post-bootstrap", pprof: true),
        .wait(.steadyWait), .sample("steady", pprof: true),
    ]
    static let loadPhases: [Step] = [.load, .sample("post-load", pprof: true)]

    /// Every scenario kp-run runs. Add rows here.
    public static let all: [Scenario] = [
        Scenario(name: "bootstrap", steps: seedPhases),
        Scenario(name: "mixed-hot", steps: seedPhases + loadPhases),
        Scenario(name: "mixed-uniform", steps: seedPhases + loadPhases, fixedHotPercent: 100),
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
        // load phase with snapshot reads beside the usual reads and writes, then the steady sample.
        Scenario(
            name: "snapshot",
            steps: [
                .wait(.warmup), .sample("baseline", pprof: false), .bootstrap, .wait(.postBootstrapSettle),
                .sample("post-bootstrap", pprof: true), .sample("pre-warm", pprof: false), .snapshotWarm,
                .sample("post-warm", pprof: true), .load, .wait(.steadyWait), .sample("steady", pprof: true),
            ]),
        // mixed-hot's writers twice: without watchers, then with W watch streams per hot cluster
        // (contract §8.2), each with a sample taken while it runs; per watcher = the difference / watchers.
        Scenario(
            name: "watch-fanout",
            steps: seedPhases + [
                .loadSampled(watchers: false, sample: "load"), .loadSampled(watchers: true, sample: "load-watch"),
            ]),
    ]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// "bootstrap, mixed-hot or mixed-uniform" for messages.
    public static var namesText: String {
        let names = all.map(\.name)
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
