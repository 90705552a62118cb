import Foundation
import KPRunModel

/// A duration as the user wrote it and its value; validated by the command before it gets here.
public struct RunDuration: Sendable, Equatable {
    public var text: String
    public var duration: Duration
    public init(text: String, duration: Duration) {
        self.text = text
        self.duration = duration
    }
    public var seconds: Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// The knee search a load phase runs instead of one rate (kp-load `--knee-steps`, `--knee-p99`,
/// `--knee-max-error-percent`), as the user wrote it; kp-load's `KneeSearch` checked it. An SLO figure
/// left nil is kp-load's default (its knee_result records the SLO it used).
public struct Knee: Sendable, Equatable {
    public var steps: String
    public var p99: RunDuration?
    public var maxErrorPercent: Double?
    public init(steps: String, p99: RunDuration?, maxErrorPercent: Double?) {
        self.steps = steps
        self.p99 = p99
        self.maxErrorPercent = maxErrorPercent
    }
}

/// Everything one run needs, already validated (kp-run's command checks every flag before it builds this).
public struct RunSettings: Sendable {
    public var scenario: Scenario
    public var clusters: Int
    public var workers: Int
    public var warmup: RunDuration
    public var postBootstrapSettle: RunDuration
    public var steadyWait: RunDuration
    public var loadDuration: RunDuration
    public var hotPercent: Double
    public var writeRPS: Double
    public var readRPS: Double
    public var objectBytes: Int
    public var seriesInterval: RunDuration
    public var requestTimeout: RunDuration
    public var stepDeadline: RunDuration
    public var maxErrorPercent: Double
    public var maxLag: RunDuration
    public var nameFormat: String?
    public var allowExisting: Bool
    public var sim: Bool
    /// kp-load processes side by side in the load phase (1: one kp-load writing load.jsonl).
    public var loadShards: Int
    /// Scenario snapshot: kp-load's `--snapshot-rps-per-cluster`, `--snapshot-warm`, `--snapshot-resources`
    /// (empty: no filter).
    public var snapshotRPS: Double = 1
    public var snapshotWarm = false
    public var snapshotResources = ""
    /// Take the run model's scrape-cost step (kp-scrape --burst); false with kp-run `--no-scrape-cost`.
    public var scrapeCost = true
    /// Absolute budgets YAML (kp-run `--budgets`, an absolute path): the fold holds the run against
    /// it, and kp-run passes the fold's exit 7 (an error budget broken) on.
    public var budgets: String?
    /// The run history (kp-run `--history`, an absolute path, or `--history-dsn`, a postgresql:// URL):
    /// after its fold, a complete run is appended with `kp-report history add`.
    public var history: String?
    public var historyDSN: String?
    /// The knee (kp-run `--knee-steps`): the load phase runs as kp-load `--knee-steps`, each step for
    /// ``loadDuration``; nil for a plain load phase.
    public var knee: Knee?
    /// kp-load's watch streams per hot cluster in the `watch-fanout` scenario (`--watchers-per-cluster`).
    public var watchersPerCluster = 10
    /// Test CRDs per VCP in the bootstrap (kp-bootstrap `--crds-per-cluster`, kp-run `--crds-per-cluster`).
    public var crdsPerCluster = 1
    /// Scenario churn: the share of the VCPs each cycle deletes and creates (`--churn-percent`); the
    /// cycle count is the scenario's (``Scenario/withChurnCycles(_:)``, `--churn-cycles`).
    public var churnPercent = ChurnPlan.defaultPercent
    /// Scenario observe: the watch between its first and last sample (`--observe-duration`).
    public var observeDuration = RunDuration(text: "10m", duration: .seconds(600))
    /// The run seed: chosen once per kp-run invocation (or given with --seed), passed to every kp-load
    /// of every run it makes (all shards, both watch-fanout phases, every repeat and side), so they all
    /// draw the same hot clusters; recorded in run_meta.
    public var seed: UInt64 = 0
    /// Where the kp-* tools are.
    public var binDir: String
    /// Arguments after `--`, for kp-launch.
    public var launchArgs: [String]
    /// Target selection from the environment (APISERVER_BIN …), recorded in run_meta and inherited by kp-launch.
    public var environment: [String: String]

    public init(
        scenario: Scenario, clusters: Int, workers: Int, warmup: RunDuration, postBootstrapSettle: RunDuration,
        steadyWait: RunDuration, loadDuration: RunDuration, hotPercent: Double, writeRPS: Double, readRPS: Double,
        objectBytes: Int, seriesInterval: RunDuration, requestTimeout: RunDuration, stepDeadline: RunDuration,
        maxErrorPercent: Double, maxLag: RunDuration, nameFormat: String?, allowExisting: Bool, sim: Bool,
        loadShards: Int, binDir: String, launchArgs: [String], environment: [String: String]
    ) {
        self.scenario = scenario
        self.clusters = clusters
        self.workers = workers
        self.warmup = warmup
        self.postBootstrapSettle = postBootstrapSettle
        self.steadyWait = steadyWait
        self.loadDuration = loadDuration
        self.hotPercent = scenario.fixedHotPercent ?? hotPercent
        self.writeRPS = writeRPS
        self.readRPS = readRPS
        self.objectBytes = objectBytes
        self.seriesInterval = seriesInterval
        self.requestTimeout = requestTimeout
        self.stepDeadline = stepDeadline
        self.maxErrorPercent = maxErrorPercent
        self.maxLag = maxLag
        self.nameFormat = nameFormat
        self.allowExisting = allowExisting
        self.sim = sim
        self.loadShards = loadShards
        self.binDir = binDir
        self.launchArgs = launchArgs
        self.environment = environment
    }

    /// The target-selection variables kp-run records (and kp-launch reads from its environment).
    public static let targetVariables = RunFlags.targetVariables

    func duration(_ wait: Scenario.Wait) -> RunDuration {
        switch wait {
        case .warmup: warmup
        case .postBootstrapSettle, .postTeardownSettle, .postRestartSettle: postBootstrapSettle
        case .steadyWait: steadyWait
        case .observe: observeDuration
        }
    }

    /// Scenario churn's cycles over this run's clusters (zero cycles for any other scenario).
    public var churnPlan: ChurnPlan {
        ChurnPlan(clusters: clusters, percent: churnPercent, cycles: scenario.churnCycles)
    }

    /// Numbers as the user would write them: 10 not 10.0.
    public static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    /// The run_meta `--flag key=value` pairs (same keys as the shell script wrote).
    public func metaFlags() -> [String] {
        var flags = [
            "scenario=\(scenario.name)", "clusters=\(clusters)", "workers=\(workers)", "warmup=\(warmup.text)",
            "post-bootstrap-settle=\(postBootstrapSettle.text)", "steady-wait=\(steadyWait.text)",
            "series-interval=\(seriesInterval.text)", "request-timeout=\(requestTimeout.text)",
            "step-deadline=\(stepDeadline.text)",
        ]
        if !scenario.createsVCPs {
            // Observe creates no VCP and waits only its own watch: the bootstrap's flags do not apply.
            let unused = [
                "clusters=", "workers=", "warmup=", "post-bootstrap-settle=", "steady-wait=", "step-deadline=",
            ]
            flags.removeAll { f in unused.contains { f.hasPrefix($0) } }
            flags.append("observe-duration=\(observeDuration.text)")
        }
        if scenario.churnCycles > 0 {
            flags += [
                "\(ChurnPlan.cyclesFlag)=\(scenario.churnCycles)",
                "\(ChurnPlan.percentFlag)=\(Self.number(churnPercent))",
            ]
        }
        if let nameFormat { flags.append("name-format=\(nameFormat)") }
        if allowExisting { flags.append("allow-existing=true") }
        if crdsPerCluster != 1 { flags.append("crds-per-cluster=\(crdsPerCluster)") }
        if !scrapeCost { flags.append("scrape-cost=off") }
        if scenario.drivesLoad {
            flags += [
                "load-duration=\(loadDuration.text)", "hot-percent=\(Self.number(hotPercent))",
                "write-rps-per-cluster=\(Self.number(writeRPS))", "read-rps-per-cluster=\(Self.number(readRPS))",
                "object-bytes=\(objectBytes)", "max-error-percent=\(Self.number(maxErrorPercent))",
                "max-lag=\(maxLag.text)", "seed=\(seed)",
            ]
            if loadShards > 1 { flags.append("load-shards=\(loadShards)") }
            if let knee {
                flags.append("knee-steps=\(knee.steps)")
                if let p = knee.p99 { flags.append("knee-p99=\(p.text)") }
                if let e = knee.maxErrorPercent { flags.append("knee-max-error-percent=\(Self.number(e))") }
            }
            if scenario.snapshotReads {
                flags.append("snapshot-rps-per-cluster=\(Self.number(snapshotRPS))")
                if snapshotWarm { flags.append("snapshot-warm=true") }
                if !snapshotResources.isEmpty { flags.append("snapshot-resources=\(snapshotResources)") }
            }
            if scenario.watches { flags.append("watchers-per-cluster=\(watchersPerCluster)") }
        }
        if sim { flags.append("target=kp-sim") }
        for v in Self.targetVariables {
            if let value = environment[v], !value.isEmpty { flags.append("\(v)=\(value)") }
        }
        if !launchArgs.isEmpty { flags.append("launch-args=\(launchArgs.joined(separator: " "))") }
        return flags
    }
}
