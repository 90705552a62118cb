/// Every file name of a run directory `out/<run>/`, in one place: kp-run writes them, kp-report reads
/// them, kp-launch and the tests find them here (docs/architecture.md's run-directory table lists the same).
public enum RunLayout {
    /// run_meta and run_end (kp-report meta / end).
    public static let meta = "meta.jsonl"
    /// kp-launch's endpoint record.
    public static let endpoint = "endpoint.json"
    /// kp-launch's stdout: its endpoint record, then an error record if the target or etcd dies.
    public static let launch = "launch.jsonl"
    /// kp-bootstrap's step records and bootstrap_summary (fleet records too).
    public static let bootstrap = "bootstrap.jsonl"
    /// One-shot samples, one per phase (kp-scrape --phase).
    public static let samples = "samples.jsonl"
    /// The continuous series (kp-scrape --interval).
    public static let timeseries = "timeseries.jsonl"
    /// kp-load's records of the load phase (one process).
    public static let load = "load.jsonl"
    /// kp-bootstrap --teardown's records.
    public static let teardown = "teardown.jsonl"
    /// kp-load --snapshot-warm-pass's records.
    public static let snapshotWarm = "snapshot-warm.jsonl"
    /// kp-bootstrap's records of every churn cycle, appended in order: the cycle's teardown_step
    /// records and teardown_summary, then its bootstrap_step records and bootstrap_summary.
    public static let churn = "churn.jsonl"
    /// kp-launch restart's `restart` record (scenario restart; kp-launch up writes it to launch.jsonl too).
    public static let restart = "restart.jsonl"
    /// kp-bootstrap --first-request's records: `first_request` per VCP, then `first_request_summary`.
    public static let firstRequests = "first-requests.jsonl"
    /// File-name prefix of load records: `load` for the scenario's load phase, `nowatch-load` for
    /// watch-fanout's phase without watchers.
    public static let loadPrefix = "load"
    public static let nowatchLoadPrefix = "nowatch-load"
    /// The phase the run is in, one line, while it runs.
    public static let phase = "phase"
    /// kp-launch's pid while the run is up.
    public static let launchPid = "launch.pid"
    /// A run set's plan (`RunSetPlan`), in the folder of a repeat set, a sweep or a comparison.
    public static let runSet = "runset.json"
    /// A kubeconfig for the root cluster.
    public static let kubeconfig = "kubeconfig"
    /// Folders: the tools' logs, pprof profiles, the target's secrets and certificates.
    public static let logs = "logs"
    public static let pprof = "pprof"
    public static let target = "target"
    /// kp-report's outputs.
    public static let summary = "summary.md"
    public static let phasesCSV = "phases.csv"
    public static let latencyCSV = "latency.csv"
    public static let reportHTML = "report.html"
    public static let result = "result.json"
    /// The run's budgets and checks as JUnit XML, written when it has any (not in ``reportFiles``).
    public static let junit = "junit.xml"
    /// The report's outputs, in the order kp-report writes them.
    public static let reportFiles = [summary, phasesCSV, latencyCSV, reportHTML, result]
    /// The record files kp-report reads, in the order it reads them (shard files come beside `load.jsonl`).
    public static let recordFiles = [
        meta, endpoint, bootstrap, samples, timeseries, load, teardown, snapshotWarm, churn, restart, firstRequests,
    ]

    /// The record file of a load phase: `<prefix>.jsonl`, or `<prefix>-I-of-N.jsonl` for shard I of N.
    public static func loadFile(prefix: String = loadPrefix, shard: Int? = nil, of count: Int = 1) -> String {
        guard let shard, count > 1 else { return "\(prefix).jsonl" }
        return "\(prefix)-\(shard)-of-\(count).jsonl"
    }

    /// `logs/<name>.log`.
    public static func log(_ name: String) -> String { "\(logs)/\(name).log" }

    /// pprof file of one sample: `pprof/<kind>-<run>-<phase>.<ext>` (kind heap: `.pb.gz`, goroutine: `.txt`).
    public static func profile(kind: String, run: String, phase: String) -> String {
        "\(pprof)/\(kind)-\(run)-\(phase).\(kind == "goroutine" ? "txt" : "pb.gz")"
    }

    /// A file of the run directory `dir`.
    public static func path(_ dir: String, _ file: String) -> String { "\(dir)/\(file)" }
}
