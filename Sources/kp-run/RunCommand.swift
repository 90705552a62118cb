import ArgumentParser
import Foundation
import KPBootstrap
import KPCLI
import KPLoad
import KPReport
import KPRun
import KPRunModel

/// `kp-run`: runs one kp-bench scenario end to end by sequencing the kp-* tools (what make runs).
@main
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-run",
        abstract: "Run a kp-bench scenario end to end: launch, phases, samples, load, report.",
        discussion: """
            clean launch -> launch sample -> warmup -> baseline sample -> scrape-cost burst -> bootstrap -> post-bootstrap settle -> \
            sample + pprof -> steady wait -> sample + pprof -> [mixed-*: load -> post-load sample + pprof] -> \
            kp-report check -> run_end + report, plus a continuous kp-scrape series. Records go to out/<run>/ as \
            they are measured; out/<run>/phase names the phase the run is in. Every flag is checked before \
            anything starts (bad input: one line, exit 2). On success, failure, SIGINT (130), SIGTERM (143) or \
            SIGHUP (129) kp-run stops what it started, writes run_end and folds the report (INCOMPLETE with the \
            reason when the run did not finish). Exit codes: docs/cli.md; faults: docs/faults.md.

            Target selection (as the seed): APISERVER_BIN / APISERVER_DIR (local mode, with ETCD_ENDPOINTS or a \
            throw-away etcd), APISERVER_URL (+ TOKEN_FILE, CA_FILE) for a running server, --sim for the bundled \
            emulator, else docker mode (APISERVER_IMAGE, COMPOSE_FILE). Arguments after -- go to kp-launch up.

            Run sets: --repeat n runs n times into out/<run>/r1..rn (each a fresh launch) and folds the set; \
            --sizes "50 100 200" runs one run (or repeat set) per size into out/<run>/n<size>/ and fits them \
            (kp-report sweep); --a-bin/--b-bin (or, with --sim, --a-sim-args/--b-sim-args) run two targets \
            interleaved A, B, A, B into out/<run>/A/r<i> and B/r<i> and compare them (kp-report compare; \
            exit 5 on a regression beyond --thresholds); --b-scenario runs another scenario as side B on the \
            same target (e.g. --scenario bootstrap --b-scenario fleet-bootstrap: per-VCP cost of the Fleet path \
            beside the client-driven one).
            Durations take units: 30s, 2m, 1m30s, 500ms.
            """)

    @Option(help: ArgumentHelp("Scenario: \(Scenario.namesText).", valueName: "s"))
    var scenario = "bootstrap"
    @Option(
        help: ArgumentHelp(
            "Run name, the folder under --out (default: <scenario>-<clusters>; a sweep: <scenario>-sweep; a CRD sweep: <scenario>-<clusters>-crd-sweep; a comparison: <scenario>-<clusters>-compare, or <scenario>-vs-<b-scenario>-<clusters>; a knee: knee-<scenario>-<clusters>; a scenario that creates no VCP: <scenario>).",
            valueName: "name"))
    var run: String?
    @Option(help: ArgumentHelp("Output root.", valueName: "dir"))
    var out = "out"
    @Option(parsing: .unconditional, help: ArgumentHelp("VCPs to bootstrap.", valueName: "n"))
    var clusters = 200
    @Option(parsing: .unconditional, help: ArgumentHelp("Bootstrap concurrency.", valueName: "n"))
    var workers = 12
    @Option(
        help: ArgumentHelp("Wait after launch before the baseline sample (default: 30s).", valueName: "d"),
        transform: DurationArgument.transform)
    var warmup = DurationArgument(.seconds(30), text: "30s")
    @Option(
        help: ArgumentHelp("Sleep before the post-bootstrap sample (default: 15s).", valueName: "d"),
        transform: DurationArgument.transform)
    var postBootstrapSettle = DurationArgument(.seconds(15), text: "15s")
    @Option(
        help: ArgumentHelp("Sleep before the steady sample (default: 90s).", valueName: "d"),
        transform: DurationArgument.transform)
    var steadyWait = DurationArgument(.seconds(90), text: "90s")
    @Option(
        help: ArgumentHelp("mixed-*: how long to drive load (default: 2m).", valueName: "d"),
        transform: DurationArgument.transform)
    var loadDuration = DurationArgument(.seconds(120), text: "2m")
    @Option(parsing: .unconditional, help: ArgumentHelp("mixed-hot: % of clusters that get load.", valueName: "p"))
    var hotPercent: Double = 10
    @Option(parsing: .unconditional, help: ArgumentHelp("mixed-*: writes/s per hot cluster.", valueName: "r"))
    var writeRpsPerCluster: Double = 5
    @Option(parsing: .unconditional, help: ArgumentHelp("mixed-*: reads/s per hot cluster.", valueName: "r"))
    var readRpsPerCluster: Double = 20
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("snapshot: snapshot reads/s per hot cluster in the load phase (default: 1).", valueName: "r")
    )
    var snapshotRpsPerCluster: Double?
    @Flag(help: "snapshot: send the load phase's snapshot reads with warm=true.")
    var snapshotWarm = false
    @Option(
        help: ArgumentHelp(
            "snapshot: resource= filter of the snapshot reads and the warm pass (default: none, every resource).",
            valueName: "a,b"))
    var snapshotResources: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("mixed-*: payload size in spec.data.", valueName: "bytes"))
    var objectBytes = 1024
    @Option(
        help: ArgumentHelp("Continuous scrape interval (default: 5s).", valueName: "d"),
        transform: DurationArgument.transform)
    var seriesInterval = DurationArgument(.seconds(5), text: "5s")
    @Option(
        help: ArgumentHelp(
            "Per-request timeout of every tool (default: 10s); a target silent this long is stalled (exit 11).",
            valueName: "d"),
        transform: DurationArgument.transform)
    var requestTimeout = DurationArgument(.seconds(10), text: "10s")
    @Option(
        help: ArgumentHelp("How long each bootstrap step of a cluster may take (default: 60s).", valueName: "d"),
        transform: DurationArgument.transform)
    var stepDeadline = DurationArgument(.seconds(60), text: "60s")
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("mixed-*: failed load operations (%) a valid run may have, else exit 12.", valueName: "p"))
    var maxErrorPercent: Double = 1
    @Option(
        help: ArgumentHelp(
            "mixed-*: kp-load schedule-lag p99 above which the run is generator-limited, exit 3 (default: \(LoadConfiguration.defaultMaxLagMs)ms).",
            valueName: "d"),
        transform: DurationArgument.transform)
    var maxLag = DurationArgument(
        .milliseconds(LoadConfiguration.defaultMaxLagMs), text: "\(LoadConfiguration.defaultMaxLagMs)ms")
    @Option(
        help: ArgumentHelp(
            "mixed-*: find the knee instead of one load: kp-load --knee-steps runs the load phase at these total rates (200,400,800, linear:FROM:TO:COUNT or geometric:FROM:TO:COUNT), each for --load-duration, and stops at the first that breaks the SLO.",
            valueName: "rates"))
    var kneeSteps: String?
    @Option(
        help: ArgumentHelp(
            "With --knee-steps: the SLO's response p99 of reads and of writes (default: kp-load's, 50ms).",
            valueName: "d"),
        transform: DurationArgument.transform)
    var kneeP99: DurationArgument?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --knee-steps: the SLO's failed operations, % (default: kp-load's, 1).", valueName: "p")
    )
    var kneeMaxErrorPercent: Double?
    @Option(
        help: ArgumentHelp(
            "Cluster names, printf-style with one %d for the index 0..N-1 (default: c-%03d).", valueName: "f"))
    var nameFormat: String?
    @Flag(
        help:
            "Count an existing CRD (409 AlreadyExists) as created: for reruns against a running server (APISERVER_URL); summary.md then names the per-VCP figures the reused VCPs make wrong."
    )
    var allowExisting = false
    @Option(
        help: ArgumentHelp(
            "Load scenarios: the run seed that picks the hot clusters, the same for every kp-load shard, load phase and repeat (default: random, recorded in run_meta).",
            valueName: "n"))
    var seed: UInt64?
    @Flag(
        help:
            "Print the commands kp-run would start, one per line with their output files, in order, and start nothing."
    )
    var plan = false
    @Flag(
        help:
            "Skip the scrape-cost burst after the baseline sample (about 2 s of kp-scrape --burst 20); summary.md then says the observer's cost was not measured."
    )
    var noScrapeCost = false
    @Flag(help: "Target the bundled emulator kp-sim (numbers describe kp-sim, not kplane).")
    var sim = false
    @Option(
        help: ArgumentHelp(
            "Where the kp-* tools are (default: $KP_BIN_DIR, else kp-run's own folder).", valueName: "dir"))
    var binDir: String?
    @Flag(help: "Replace an existing run directory of the same name.")
    var force = false
    @Flag(
        help:
            "Start even when the pre-flight finds too little free disk in --out or available memory for the target.")
    var skipPreflight = false
    @Option(
        help: ArgumentHelp(
            "Pre-flight memory from an earlier sweep of this target (the folder of its sweep.csv): its RSS fit, when above the seed's table.",
            valueName: "dir"))
    var preflightSweep: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "mixed-*: kp-load processes side by side, each with --shard I/N, writing load-I-of-N.jsonl.", valueName: "n"
        ))
    var loadShards = 1
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "watch-fanout: kp-load's watch streams per hot cluster in the phase with watchers (default: 10).",
            valueName: "n"))
    var watchersPerCluster: Int?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Test CRDs each VCP gets in the bootstrap (kp-bootstrap --crds-per-cluster, 1-1000; default: 1).",
            valueName: "k"))
    var crdsPerCluster: Int?
    @Option(
        help: ArgumentHelp(
            "Sweep over CRDs per VCP: one run (or repeat set) per K at --clusters (space- or comma-separated), into out/<run>/k<K>; then kp-report sweep fits the cost per CRD.",
            valueName: "\"k k …\""))
    var crdSweep: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "churn: cycles after the steady sample, each deleting --churn-percent of the VCPs and creating as many new ones, then a sample (default: 5; at least 2).",
            valueName: "n"))
    var churnCycles: Int?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("churn: % of the VCPs each cycle deletes and creates (default: 20).", valueName: "p"))
    var churnPercent: Double?
    @Option(
        help: ArgumentHelp(
            "observe: how long to watch the server between its two samples (default: 10m).",
            valueName: "d"),
        transform: DurationArgument.transform)
    var observeDuration: DurationArgument?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Runs of the scenario, each a fresh launch, into out/<run>/r1..rn; then the set is folded.", valueName: "n")
    )
    var `repeat` = 1
    @Option(
        help: ArgumentHelp(
            "Sweep: one run per cluster count (space- or comma-separated), into out/<run>/n<size>; then kp-report sweep.",
            valueName: "\"n n …\""))
    var sizes: String?
    @Option(
        help: ArgumentHelp(
            "Compare: side A's apiserver binary (local mode), run interleaved with --b-bin.", valueName: "path"))
    var aBin: String?
    @Option(help: ArgumentHelp("Compare: side B's apiserver binary.", valueName: "path"))
    var bBin: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Compare with --sim: side A's kp-sim arguments (space-separated), passed as --sim-arg=….",
            valueName: "\"args\""))
    var aSimArgs: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Compare with --sim: side B's kp-sim arguments.", valueName: "\"args\""))
    var bSimArgs: String?
    @Option(
        help: ArgumentHelp(
            "Compare: side B runs this scenario on the same target, A runs --scenario (e.g. fleet-bootstrap vs bootstrap).",
            valueName: "name"))
    var bScenario: String?
    @Option(
        help: ArgumentHelp(
            "Compare: thresholds YAML for kp-report compare (exit 5 on a regression beyond them).", valueName: "file"))
    var thresholds: String?
    @Option(
        help: ArgumentHelp(
            "Absolute budgets YAML (see budgets.example.yaml), held against every run's figures by its fold: a broken error budget exits 7, a warning is reported.",
            valueName: "file"))
    var budgets: String?
    @Option(
        help: ArgumentHelp(
            "Run history CSV (Apache Otava's layout): each complete run is appended after its fold (kp-report history add; branch from $BRANCH).",
            valueName: "file"))
    var history: String?
    @Option(
        help: ArgumentHelp(
            "A postgresql:// URL: append each complete run to the history table there instead of a CSV.",
            valueName: "url"))
    var historyDsn: String?
    @Flag(
        help:
            "Require a comparison (make compare-bins): exit 2 unless A and B differ by --a-bin/--b-bin, --a-sim-args/--b-sim-args or --b-scenario."
    )
    var compare = false
    @Argument(parsing: .postTerminator, help: ArgumentHelp("kp-launch up options, after --.", valueName: "launch-args"))
    var launchArgs: [String] = []

    static func main() async { await ToolMain.run(Self.self) }

    /// Runs synchronously (the supervisor blocks in one timed wait per phase) and exits with the run's code.
    func run() async throws {
        if !plan { try checkOutput() }
        Foundation.exit(execute())
    }

    /// The output folder and the machine, checked when a run starts rather than in `validate()`:
    /// ArgumentParser validates before it looks for `--help`, and this check creates `--out`. A
    /// problem is still one line and exit 2 (ValidationError), before anything starts.
    func checkOutput() throws {
        var isDir: ObjCBool = false
        try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: out, isDirectory: &isDir) || !isDir.boolValue
            || access(out, W_OK) != 0
        {
            throw ValidationError("--out '\(out)' is not a writable directory: choose another with OUT=…")
        }
        try validateRunDirectory()
        var fit: Preflight.MemoryFit?
        if let preflightSweep {
            do { fit = try Preflight.memoryFit(sweepDirectory: preflightSweep) } catch {
                throw ValidationError(error.description)
            }
        }
        if !skipPreflight, let problem = Preflight.check(runs: plannedRuns, out: out, fit: fit) {
            throw ValidationError(problem)
        }
    }

    var sizeList: [Int] {
        (sizes ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }
    }
    var comparing: Bool { aBin != nil || bBin != nil || aSimArgs != nil || bSimArgs != nil || bScenario != nil }

    /// Every flag, checked once, before anything starts.
    mutating func validate() throws {
        guard Scenario.named(scenario) != nil else {
            throw ValidationError("--scenario '\(scenario)' is unknown: use \(Scenario.namesText)")
        }
        if clusters < 1 { throw ValidationError("--clusters must be a whole number >= 1 (got '\(clusters)')") }
        // Durations kp-run hands on under other names or to several tools (kp-load checks
        // --load-duration and --max-lag itself: validateStepArguments).
        for (flag, d) in [
            ("--series-interval", seriesInterval), ("--request-timeout", requestTimeout),
            ("--step-deadline", stepDeadline),
        ] where d.duration <= .zero {
            throw ValidationError("\(flag) must be longer than 0 (got '\(d.text)')")
        }
        if stepDeadline.duration < requestTimeout.duration {
            throw ValidationError(
                "--step-deadline (\(stepDeadline.text)) must not be shorter than --request-timeout (\(requestTimeout.text))"
            )
        }
        if !(0...100).contains(maxErrorPercent) {
            throw ValidationError(
                "--max-error-percent must be in [0, 100] (got '\(RunSettings.number(maxErrorPercent))')")
        }
        if Scenario.named(scenario)?.snapshotReads != true && bScenario.flatMap(Scenario.named)?.snapshotReads != true {
            for (given, flag) in [
                (snapshotRpsPerCluster != nil, "--snapshot-rps-per-cluster"), (snapshotWarm, "--snapshot-warm"),
                (snapshotResources != nil, "--snapshot-resources"),
            ] where given {
                throw ValidationError("\(flag) applies to --scenario snapshot only (this run is \(scenario)): drop it")
            }
        }
        if let r = snapshotRpsPerCluster, !(r > 0 && r.isFinite) {
            throw ValidationError("--snapshot-rps-per-cluster must be a number > 0 (got '\(r)')")
        }
        if `repeat` < 1 { throw ValidationError("--repeat must be a whole number >= 1 (got '\(`repeat`)')") }
        if loadShards < 1 { throw ValidationError("--load-shards must be a whole number >= 1 (got '\(loadShards)')") }
        if loadShards > 1 && !(Scenario.named(scenario)!.drivesLoad) {
            throw ValidationError(
                "--load-shards \(loadShards) needs a scenario with a load phase (\(Scenario.list(Scenario.loadNames))), not \(scenario)"
            )
        }
        // Every shard needs a hot cluster: known before launch from the counts alone.
        if loadShards > 1 {
            for name in [scenario] + (bScenario.map { [$0] } ?? []) {
                guard let s = Scenario.named(name), s.drivesLoad else { continue }
                let smallest = sizeList.min() ?? clusters
                let hot = Scenario.hotCount(of: smallest, percent: s.fixedHotPercent ?? hotPercent)
                if hot < loadShards {
                    throw ValidationError(
                        "--load-shards \(loadShards) exceeds the \(hot) hot cluster\(hot == 1 ? "" : "s") of \(name) (\(RunSettings.number(s.fixedHotPercent ?? hotPercent))% of \(smallest)): use at most \(hot) shards, or raise --hot-percent or --clusters"
                    )
                }
            }
        }
        try validateKnee()
        try validateChurnAndObserve()
        try validateRestart()
        try validateCRDs()
        if let w = watchersPerCluster {
            guard Scenario.named(scenario)!.watches || bScenario.flatMap(Scenario.named)?.watches == true else {
                throw ValidationError(
                    "--watchers-per-cluster \(w) needs --scenario watch-fanout (the scenario with watchers), not \(scenario)"
                )
            }
            if !(1...1000).contains(w) {
                throw ValidationError("--watchers-per-cluster must be a whole number from 1 to 1000 (got '\(w)')")
            }
        }
        if let sizes {
            let words = sizes.split(whereSeparator: { $0 == " " || $0 == "," })
            if words.isEmpty {
                throw ValidationError(
                    "--sizes '\(sizes)' lists no sizes: give cluster counts, e.g. --sizes \"50 100 200 400\"")
            }
            for w in words where (Int(w) ?? 0) < 1 {
                throw ValidationError(
                    "--sizes '\(sizes)': '\(w)' is not a cluster count >= 1, e.g. --sizes \"50 100 200 400\"")
            }
            let counts = words.compactMap { Int($0) }
            if let twice = counts.first(where: { n in counts.filter { $0 == n }.count > 1 }) {
                throw ValidationError(
                    "--sizes '\(sizes)' lists \(twice) twice: each size is one run (or --repeat runs); list each once")
            }
            if counts.count < 2 {
                throw ValidationError(
                    "--sizes '\(sizes)' gives one cluster count: a sweep fits a line through two or more, e.g. --sizes \"50 100 200 400\""
                )
            }
            if comparing {
                throw ValidationError(
                    "--sizes and --a-bin/--b-bin/--a-sim-args/--b-sim-args exclude each other: sweep or compare, not both"
                )
            }
        }
        if Scenario.named(scenario)?.fleetName != nil, nameFormat != nil {
            throw ValidationError(
                "--name-format does not apply to --scenario \(scenario): Fleet members are named by the Fleet (<prefix><%04d index>); drop --name-format"
            )
        }
        // The cluster-name rule is kp-bootstrap's own (ClusterNames), for every name this run will use
        // (churn's new names too).
        let most = max(clusters, sizeList.max() ?? 0, churnNamesUsed)
        do {
            _ = try ClusterNames.expand(format: nameFormat ?? "c-%03d", count: most)
        } catch {
            throw ValidationError(error.description)
        }
        if let run, run.isEmpty || !run.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        {
            throw ValidationError("--run '\(run)' must be letters, digits, '.', '_' or '-'")
        }
        try validateTarget()
        try validateCompare()
        if let thresholds {
            if !comparing {
                throw ValidationError(
                    "--thresholds applies to a comparison: give --a-bin/--b-bin, --a-sim-args/--b-sim-args or --b-scenario"
                )
            }
            if !FileManager.default.isReadableFile(atPath: thresholds) {
                throw ValidationError("--thresholds '\(thresholds)' is not a readable file: check the path")
            }
        }
        if let budgets {
            // Read and checked here, by the code that holds the runs to it, before anything starts.
            do { _ = try Budgets(path: budgets) } catch { throw ValidationError(error.description) }
        }
        if history != nil && historyDsn != nil {
            throw ValidationError(
                "--history and --history-dsn exclude each other: keep the history in a CSV or in PostgreSQL")
        }
        if let history {
            let folder = (URL(fileURLWithPath: history).standardizedFileURL.path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError(
                    "--history '\(history)': its folder does not exist; create it or name a CSV in an existing folder")
            }
        }
        if let historyDsn {
            do { _ = try HistoryPostgres(dsn: historyDsn) } catch { throw ValidationError(error.description) }
        }
        let bin = resolvedBinDir
        for tool in ["kp-launch", "kp-bootstrap", "kp-scrape", "kp-report", "kp-load"]
        where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(tool)") {
            throw ValidationError("--bin-dir: \(bin)/\(tool) not found: build first (make build) or pass --bin-dir")
        }
        // One seed for everything this invocation runs, chosen here once.
        if seed == nil { seed = UInt64.random(in: 0...UInt64(Int64.max)) }
        try validateStepArguments()
    }

    /// `--knee-steps` and its SLO, checked by kp-load's own rules; the knee is one plain load phase of
    /// one kp-load (mixed-*), one run: a repeat set, sweep or comparison of knees is not a thing kp-report folds.
    func validateKnee() throws {
        guard kneeSteps != nil else {
            for (flag, given) in [
                ("--knee-p99", kneeP99 != nil), ("--knee-max-error-percent", kneeMaxErrorPercent != nil),
            ]
            where given {
                throw ValidationError(
                    "\(flag) applies with --knee-steps only: add --knee-steps (KNEE_STEPS=…) or drop it")
            }
            return
        }
        // The steps and the SLO flags are kp-load's own checks (validateStepArguments).
        let s = Scenario.named(scenario)!
        if !(s.drivesLoad && s.loads.count == 1 && !s.snapshotReads && !s.watches) {
            throw ValidationError(
                "--knee-steps needs a scenario with one plain load phase (mixed-hot or mixed-uniform), not \(scenario)")
        }
        let other: [(String, Bool)] = [
            ("--load-shards", loadShards > 1), ("--repeat", `repeat` > 1), ("--sizes", sizes != nil),
            ("--a-bin/--b-bin/--a-sim-args/--b-sim-args/--b-scenario", comparing),
        ]
        if let (flag, _) = other.first(where: \.1) {
            throw ValidationError("--knee-steps runs one kp-load in one run: drop \(flag)")
        }
    }

    /// Every run this command makes, in order: one, a repeat set, a sweep's sizes × repeats, or a
    /// comparison's A and B runs (the pre-flight sums their disk needs).
    var plannedRuns: [RunSettings] {
        let count = max(1, `repeat`)
        if !crdSweepList.isEmpty {
            return crdSweepList.flatMap { k in
                var s = settings()
                s.crdsPerCluster = k
                return Array(repeating: s, count: count)
            }
        }
        if !sizeList.isEmpty {
            return sizeList.flatMap { n in
                var s = settings()
                s.clusters = n
                return Array(repeating: s, count: count)
            }
        }
        if comparing {
            let a = settings()
            let b = bScenario.map { settings(scenario: $0) } ?? a
            return (0..<count).flatMap { _ in [a, b] }
        }
        return Array(repeating: settings(), count: count)
    }

    var env: [String: String] { ProcessInfo.processInfo.environment }
    func envValue(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }

    func validateTarget() throws {
        let targets = ["APISERVER_BIN", "APISERVER_DIR", "APISERVER_URL"].filter { envValue($0) != nil }
        if sim && !targets.isEmpty {
            throw ValidationError(
                "--sim excludes APISERVER_BIN/APISERVER_DIR/APISERVER_URL: pick the emulator or a real server")
        }
        if targets.count > 1 {
            throw ValidationError("\(targets.joined(separator: " ")) select different targets: set only one of them")
        }
        if let b = envValue("APISERVER_BIN"), !FileManager.default.isExecutableFile(atPath: b) || isDirectory(b) {
            throw ValidationError("APISERVER_BIN '\(b)' is not an executable file: check the path")
        }
        if let d = envValue("APISERVER_DIR"), !isDirectory(d) {
            throw ValidationError("APISERVER_DIR '\(d)' is not a directory: give the kplane-dev/apiserver checkout")
        }
        if let u = envValue("APISERVER_URL") {
            let ok =
                (u.hasPrefix("https://") || u.hasPrefix("http://"))
                && u.split(separator: "/", omittingEmptySubsequences: false).count >= 3
                && !(u.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty)
            if !ok { throw ValidationError("APISERVER_URL '\(u)' is not a URL: write it as https://host:port") }
            for v in ["TOKEN_FILE", "CA_FILE"] {
                if let f = envValue(v), !FileManager.default.isReadableFile(atPath: f) || isDirectory(f) {
                    throw ValidationError("\(v) '\(f)' is not a readable file: check the path and its permissions")
                }
            }
        }
    }

    func validateCompare() throws {
        if compare && !comparing {
            throw ValidationError(
                "compare-bins needs A and B to differ: set A_BIN and B_BIN, A_SIM_ARGS and/or B_SIM_ARGS (with SIM=1), or B_SCENARIO"
            )
        }
        guard comparing else { return }
        if let b = bScenario {
            guard let bs = Scenario.named(b) else {
                throw ValidationError("--b-scenario '\(b)' is unknown: use \(Scenario.namesText)")
            }
            if aBin != nil || bBin != nil || aSimArgs != nil || bSimArgs != nil {
                throw ValidationError(
                    "--b-scenario compares two scenarios on one target: drop --a-bin/--b-bin/--a-sim-args/--b-sim-args")
            }
            if b == scenario {
                throw ValidationError("--b-scenario '\(b)' is --scenario itself: give side B another scenario")
            }
            if loadShards > 1 && !bs.drivesLoad {
                throw ValidationError(
                    "--load-shards \(loadShards) needs a scenario with a load phase (\(Scenario.list(Scenario.loadNames))), not --b-scenario \(b)"
                )
            }
            if bs.fleetName != nil, nameFormat != nil {
                throw ValidationError(
                    "--name-format does not apply to --b-scenario \(b): Fleet members are named by the Fleet; drop --name-format"
                )
            }
            return
        }
        let sameBins = aBin != nil && aBin == bBin
        let sameSim = (aSimArgs != nil || bSimArgs != nil) && (aSimArgs ?? "") == (bSimArgs ?? "")
        if sameBins || sameSim {
            throw ValidationError(
                "A and B are the same (--a-bin = --b-bin, or --a-sim-args = --b-sim-args): give side B something to differ by"
            )
        }
        if (aBin != nil || bBin != nil) && (aSimArgs != nil || bSimArgs != nil) {
            throw ValidationError(
                "--a-bin/--b-bin and --a-sim-args/--b-sim-args exclude each other: compare two binaries or two kp-sim settings"
            )
        }
        if aBin != nil || bBin != nil {
            guard let a = aBin, let b = bBin else {
                throw ValidationError("--a-bin and --b-bin go together: give both sides (A_BIN and B_BIN)")
            }
            if sim {
                throw ValidationError(
                    "--a-bin/--b-bin compare two apiserver binaries: drop --sim (SIM=1), or use --a-sim-args/--b-sim-args"
                )
            }
            for (flag, p) in [("--a-bin", a), ("--b-bin", b)]
            where !FileManager.default.isExecutableFile(atPath: p) || isDirectory(p) {
                throw ValidationError("\(flag) '\(p)' is not an executable file: check the path")
            }
            if envValue("APISERVER_URL") != nil || envValue("APISERVER_DIR") != nil {
                throw ValidationError("--a-bin/--b-bin run local targets: unset APISERVER_URL/APISERVER_DIR")
            }
        } else if !sim {
            throw ValidationError("--a-sim-args/--b-sim-args compare two kp-sim settings: add --sim (SIM=1)")
        }
    }

    func isDirectory(_ p: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
    }

    var resolvedBinDir: String {
        if let binDir { return binDir }
        if let e = envValue("KP_BIN_DIR") { return e }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    var runName: String {
        if let run { return run }
        // observe creates no VCP: its run is named after the scenario alone.
        if Scenario.named(scenario)?.createsVCPs == false && !comparing { return scenario }
        if sizes != nil { return "\(scenario)-sweep" }
        if crdSweep != nil { return "\(scenario)-\(clusters)-crd-sweep" }
        if kneeSteps != nil { return "knee-\(scenario)-\(clusters)" }
        if let bScenario { return "\(scenario)-vs-\(bScenario)-\(clusters)" }
        if comparing { return "\(scenario)-\(clusters)-compare" }
        return "\(scenario)-\(clusters)"
    }

    /// An existing run is refused without --force, and never replaced while its kp-launch still runs.
    func validateRunDirectory() throws {
        let dir = "\(out)/\(runName)"
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        guard !contents.isEmpty else { return }
        if !force {
            throw ValidationError(
                "\(dir) already holds a run: pass --force (FORCE=1) to replace it, or choose another RUN name")
        }
        // Any launch.pid below it (a repeat set holds r*/launch.pid) that names a live kp-launch.
        let paths = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix("launch.pid")
        }
        for p in paths {
            guard let text = try? String(contentsOfFile: "\(dir)/\(p)", encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0,
                let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
                String(decoding: cmd, as: UTF8.self).contains("kp-launch")
            else { continue }
            throw ValidationError(
                "--force: \(dir) belongs to a run that is still going (kp-launch pid \(pid)): stop it (kp-launch down --run-dir \(dir)) or choose another RUN name"
            )
        }
    }

    func settings(scenario name: String? = nil) -> RunSettings {
        func d(_ a: DurationArgument) -> RunDuration { RunDuration(text: a.text, duration: a.duration) }
        var environment: [String: String] = [:]
        for v in RunSettings.targetVariables { if let value = envValue(v) { environment[v] = value } }
        var settings = RunSettings(
            scenario: Scenario.named(name ?? scenario)!, clusters: clusters, workers: workers, warmup: d(warmup),
            postBootstrapSettle: d(postBootstrapSettle), steadyWait: d(steadyWait), loadDuration: d(loadDuration),
            hotPercent: hotPercent, writeRPS: writeRpsPerCluster, readRPS: readRpsPerCluster, objectBytes: objectBytes,
            seriesInterval: d(seriesInterval), requestTimeout: d(requestTimeout), stepDeadline: d(stepDeadline),
            maxErrorPercent: maxErrorPercent, maxLag: d(maxLag), nameFormat: nameFormat, allowExisting: allowExisting,
            sim: sim,
            loadShards: loadShards, binDir: resolvedBinDir, launchArgs: launchArgs, environment: environment)
        if let snapshotRpsPerCluster { settings.snapshotRPS = snapshotRpsPerCluster }
        settings.snapshotWarm = snapshotWarm
        settings.snapshotResources = snapshotResources ?? ""
        if let w = watchersPerCluster { settings.watchersPerCluster = w }
        if let k = crdsPerCluster { settings.crdsPerCluster = k }
        if let c = churnCycles { settings.scenario = settings.scenario.withChurnCycles(c) }
        if let p = churnPercent { settings.churnPercent = p }
        if let o = observeDuration { settings.observeDuration = RunDuration(text: o.text, duration: o.duration) }
        settings.seed = seed ?? 0
        // An absolute path: the fold runs with kp-run's working directory, --plan prints it for any.
        settings.budgets = budgets.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        settings.history = history.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        settings.historyDSN = historyDsn
        settings.scrapeCost = !noScrapeCost
        settings.knee = kneeSteps.map {
            Knee(steps: $0, p99: kneeP99.map(d), maxErrorPercent: kneeMaxErrorPercent)
        }
        return settings
    }

    func execute() -> Int32 {
        let dir = "\(out)/\(runName)"
        let supervisor = Supervisor()
        let series = RunSeries(base: settings(), runName: runName, supervisor: supervisor)
        let items: [RunSeries.Item]
        if !sizeList.isEmpty {
            items = series.sweepItems(dir: dir, sizes: sizeList, repeat: `repeat`)
        } else if !crdSweepList.isEmpty {
            items = series.crdSweepItems(dir: dir, crds: crdSweepList, repeat: `repeat`)
        } else if comparing {
            let a: RunSeries.Side
            let b: RunSeries.Side
            if let bScenario {
                a = .init(name: "A", environment: [:], launchArgs: [])
                b = .init(name: "B", environment: [:], launchArgs: [], settings: settings(scenario: bScenario))
            } else if let aBin, let bBin {
                a = .init(name: "A", environment: ["APISERVER_BIN": aBin], launchArgs: [])
                b = .init(name: "B", environment: ["APISERVER_BIN": bBin], launchArgs: [])
            } else {
                func simArgs(_ s: String?) -> [String] { (s ?? "").split(separator: " ").map { "--sim-arg=\($0)" } }
                a = .init(name: "A", environment: [:], launchArgs: simArgs(aSimArgs))
                b = .init(name: "B", environment: [:], launchArgs: simArgs(bSimArgs))
            }
            items = series.compareItems(dir: dir, a: a, b: b, repeat: `repeat`, thresholds: thresholds)
        } else {
            items = series.repeatedItems(dir: dir, settings: settings(), repeat: `repeat`)
        }
        if plan {
            let lines = series.planLines(items, runName: runName)
            print(
                (["# kp-run --plan: the commands kp-run would start, in order (nothing was started)"] + lines).joined(
                    separator: "\n"))
            return 0
        }
        if FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.removeItem(atPath: dir) } catch {
                StandardError.write("kp-run: error: --force: cannot remove \(dir): \(error.localizedDescription)\n")
                return 2
            }
        }
        return series.execute(items)
    }
}
