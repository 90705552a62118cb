import ArgumentParser
import Foundation
import KPCLI
import KPHTTP
import KPLoad
import KPRecords
import KPRunModel
import KPStats
import Synchronization

/// `kp-load`: open-loop mixed read/write load on the hot clusters, with latency it can vouch for.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-load",
        abstract: "Drive open-loop Get / Get+Update load on pre-warmed custom resources and record latency.",
        discussion: """
            Pre-warms --objects-per-cluster TestWidgets (payload of --object-bytes in spec.data) in each hot \
            cluster, then runs a schedule fixed before the run: per hot cluster, --read-rps-per-cluster reads \
            (a Get) and --write-rps-per-cluster writes (a Get then an Update of the version read), evenly \
            spaced with a random phase or Poisson (--arrival), reproducible with --seed. Every operation \
            starts at its intended time whether or not earlier ones finished: there is no rate limiter and \
            no worker pool. Response time = end - intended start; service time = end - actual send.

            stdout gets a load_interval record every --report-interval and a load_final record at the end. \
            If kp-load could not keep its own schedule (schedule lag p99 over --max-lag, --max-inflight \
            reached, or under 99% of the scheduled operations sent within the phase), load_final says \
            generator_limited with the reason, stderr says so, and the exit code is 3 (also when the snapshot \
            schedule, on its own thread, fell behind: snapshot_final says generator_limited). When the operations were \
            late because they waited on the server (stream slots, slow answers piling up, timeouts) while \
            kp-load kept up, load_final says target_saturated ("achieved X of Y ops/s") and the exit code is 6: \
            a server result, the latencies stand. SIGINT/SIGTERM stop \
            the schedule, wait up to --request-timeout for operations in flight, write load_final with \
            interrupted=true and exit 130/143. Details: docs/load.md.
            """)

    @OptionGroup var target: EndpointOptions

    @Option(
        help: ArgumentHelp(
            "mixed-hot (--hot-percent of the clusters get load) or mixed-uniform (all of them).", valueName: "name"))
    var scenario: String = "mixed-hot"

    @Option(
        help: ArgumentHelp(
            "Number of clusters, named by --name-format as kp-bootstrap names them (default 200); with --bootstrap, only these are considered.",
            valueName: "n"))
    var clusters: Int?

    @Option(help: ArgumentHelp("printf-style cluster name with one %d for the index 0..n-1.", valueName: "format"))
    var nameFormat: String = "c-%03d"

    @Option(
        help: ArgumentHelp(
            "Take the clusters from a kp-bootstrap stream: only those whose bootstrap finished ok.", valueName: "file"))
    var bootstrap: String?

    @Option(
        help: ArgumentHelp(
            "Percentage of the clusters that get load in mixed-hot (default 10; mixed-uniform is 100).",
            valueName: "percent"))
    var hotPercent: Double?

    @Option(help: ArgumentHelp("Writes (Get + Update) per second per hot cluster.", valueName: "rate"))
    var writeRpsPerCluster: Double = 5

    @Option(help: ArgumentHelp("Reads (Get) per second per hot cluster.", valueName: "rate"))
    var readRpsPerCluster: Double = 20

    @Option(
        help: ArgumentHelp("How long the schedule runs (default: 2m).", valueName: "duration"),
        transform: DurationArgument.transform)
    var loadDuration = DurationArgument(.seconds(120), text: "2m")

    @Option(help: ArgumentHelp("Payload size in spec.data of each object, bytes.", valueName: "bytes"))
    var objectBytes: Int = 1024

    @Option(
        help: ArgumentHelp("Objects pre-warmed per hot cluster; each operation picks one at random.", valueName: "n"))
    var objectsPerCluster: Int = 5

    @Option(help: ArgumentHelp("Namespace of the objects.", valueName: "name"))
    var namespace: String = "default"

    @Option(
        help: ArgumentHelp(
            "even (evenly spaced, random phase per cluster) or poisson (exponential gaps).", valueName: "process"))
    var arrival: String = "even"

    @Option(
        help: ArgumentHelp(
            "Seed of the hot subset, phases, gaps and object choice (default: random, recorded in settings).",
            valueName: "n"))
    var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "On 409 Conflict from an Update: count (the write fails) or retry (re-Get and Update again).",
            valueName: "policy"))
    var conflictPolicy: String = "count"

    @Option(help: ArgumentHelp("Most re-Get+Update retries of one write with --conflict-policy retry.", valueName: "n"))
    var maxConflictRetries: Int = 5

    @Option(
        help: ArgumentHelp(
            "Schedule-lag p99 above this makes the run generator-limited, exit 3 (default: \(LoadConfiguration.defaultMaxLagMs)ms).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    var maxLag = DurationArgument(
        .milliseconds(LoadConfiguration.defaultMaxLagMs), text: "\(LoadConfiguration.defaultMaxLagMs)ms")

    @Option(
        help: ArgumentHelp(
            "Operations in flight at which the scheduler waits (and the run is generator-limited).", valueName: "n"))
    var maxInflight: Int = 10_000

    @Option(
        help: ArgumentHelp("Interval between load_interval records (default: 1s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var reportInterval = DurationArgument(.seconds(1), text: "1s")

    @Option(
        help: ArgumentHelp(
            "Per-request timeout (default: 10s); a timed-out request is an error recorded with this latency.",
            valueName: "duration"),
        transform: DurationArgument.transform)
    var requestTimeout = DurationArgument(.seconds(10), text: "10s")

    @Flag(help: "Force HTTP/1.1 (default: HTTP/2 when the server offers it).")
    var http1 = false

    @Option(help: ArgumentHelp("Most connections to the server per driver thread (0 = unlimited).", valueName: "n"))
    var maxConnections: Int = 4

    @Option(
        help: ArgumentHelp(
            "Driver threads, each with its own libcurl multi handle and connections; the hot clusters are split among them (default: the usable cores, at most 8).",
            valueName: "n"))
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Run only shard I of N (0-based): the hot clusters at positions I, I+N, I+2N … of the hot list (same --seed in every shard). N processes with 0/N ... N-1/N split the load exactly.",
            valueName: "I/N"))
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "Snapshot reads (GET /clusters/<cid>/control-plane/snapshot) per second per hot cluster, open-loop beside the reads and writes, on their own thread and connection (default 0 = none).",
            valueName: "rate"))
    var snapshotRpsPerCluster: Double = 0

    @Flag(help: "Send the snapshot reads with warm=true (an informer for every type).")
    var snapshotWarm = false

    @Option(
        help: ArgumentHelp(
            "Comma-separated resource= filter of the snapshot reads, e.g. configmaps,namespaces (default: none, the whole snapshot).",
            valueName: "a,b"))
    var snapshotResources: String?

    @Flag(
        help:
            "Instead of a load phase: warm every cluster's snapshot once (GET …/snapshot?warm=true, one cluster at a time), write a snapshot_warm record per cluster and a snapshot_warm_summary, and exit."
    )
    var snapshotWarmPass = false

    @Option(
        help: ArgumentHelp(
            "Find the knee: run the load phase once per total rate (ops/s, increasing: 200,400,800, or linear:FROM:TO:COUNT, or geometric:FROM:TO:COUNT), each for --load-duration at the scenario's read/write mix, and stop at the first step that breaks the SLO (--knee-p99, --knee-max-error-percent) or saturates the target; writes knee_step and knee_result records instead of load_final.",
            valueName: "rates"))
    var kneeSteps: String?

    @Option(
        help: ArgumentHelp(
            "The knee's SLO: response p99 of reads and of writes at most this (default: 50ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    var kneeP99 = DurationArgument(.milliseconds(50), text: "50ms")

    @Option(
        help: ArgumentHelp("The knee's SLO: errors at most this percentage of the operations.", valueName: "percent"))
    var kneeMaxErrorPercent: Double = 1

    /// `--snapshot-resources` as a list (empty without the flag).
    var snapshotResourceList: [String] {
        guard let snapshotResources else { return [] }
        return snapshotResources.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    @Option(
        help: ArgumentHelp(
            "Watch streams per hot cluster and watched resource (scenario watch-fanout; 0 = none). Each lists, then watches from the list's resourceVersion with bookmarks, on a client of its own; events are matched to the Updates by resourceVersion.",
            valueName: "n"))
    var watchersPerCluster: Int = 0

    @Option(
        help: ArgumentHelp(
            "Comma-separated resources the watchers watch: memwidgets (the test resource the writers update) and/or configmaps.",
            valueName: "list"))
    var watchResources: String = "memwidgets"

    @Option(
        help: ArgumentHelp(
            "Each watch asks the server to end it after a time drawn from [T, 2T), as client-go does (T = 5m there); then the watcher watches again (default: 5m).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    var watchTimeout = DurationArgument(.seconds(300), text: "5m")

    /// The default of `--threads`: the usable cores, at most 8 (more driver threads than cores only
    /// adds context switches; 8 drive ~40k requests/s at the measured cost).
    static var defaultThreads: Int { max(1, min(8, ProcessInfo.processInfo.activeProcessorCount)) }

    static func main() async { await ToolMain.run(Self.self) }

    func validate() throws {
        guard Scenario.loadNames.contains(scenario) else {
            throw ValidationError(
                "--scenario must be one of \(Scenario.loadNames.joined(separator: ", ")) (got '\(scenario)')")
        }
        if scenario == "mixed-uniform", let hotPercent, hotPercent != 100 {
            throw ValidationError(
                "--scenario mixed-uniform loads every cluster: drop --hot-percent \(hotPercent), or use mixed-hot")
        }
        if let hotPercent, !(hotPercent > 0 && hotPercent <= 100) {
            throw ValidationError("--hot-percent must be in (0, 100] (got \(hotPercent))")
        }
        if let clusters, clusters < 1 { throw ValidationError("--clusters must be at least 1 (got \(clusters))") }
        if let bootstrap, !FileManager.default.isReadableFile(atPath: bootstrap) {
            throw ValidationError(
                "--bootstrap \(bootstrap) is not a readable file: pass the bootstrap.jsonl that kp-bootstrap wrote")
        }
        for (flag, v) in [
            ("--write-rps-per-cluster", writeRpsPerCluster), ("--read-rps-per-cluster", readRpsPerCluster),
        ] {
            if !(v >= 0 && v <= 1_000_000) { throw ValidationError("\(flag) must be between 0 and 1000000 (got \(v))") }
        }
        if !(snapshotRpsPerCluster >= 0 && snapshotRpsPerCluster <= 1_000_000) {
            throw ValidationError(
                "--snapshot-rps-per-cluster must be between 0 and 1000000 (got \(snapshotRpsPerCluster))")
        }
        if let snapshotResources {
            let names = snapshotResourceList
            if names.isEmpty
                || names.contains(where: { name in
                    name.isEmpty
                        || !name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
                })
            {
                throw ValidationError(
                    "--snapshot-resources '\(snapshotResources)' must be comma-separated resource names (plural, or plural.group: lower-case letters, digits, '-', '.')"
                )
            }
        }
        if snapshotWarmPass && snapshotRpsPerCluster > 0 {
            throw ValidationError(
                "--snapshot-warm-pass warms each cluster once and runs no load: drop --snapshot-rps-per-cluster")
        }
        if snapshotWarmPass && shard != nil {
            throw ValidationError("--snapshot-warm-pass warms every cluster in one process: drop --shard")
        }
        if (snapshotWarm || snapshotResources != nil) && snapshotRpsPerCluster == 0 && !snapshotWarmPass {
            throw ValidationError(
                "--snapshot-warm and --snapshot-resources shape the snapshot reads: give --snapshot-rps-per-cluster too"
            )
        }
        if writeRpsPerCluster == 0 && readRpsPerCluster == 0 {
            throw ValidationError(
                "--write-rps-per-cluster and --read-rps-per-cluster are both 0: give at least one rate")
        }
        if objectBytes < 0 || objectBytes > 1 << 20 {
            throw ValidationError("--object-bytes must be between 0 and 1048576 (got \(objectBytes))")
        }
        if !(1...256).contains(objectsPerCluster) {
            throw ValidationError("--objects-per-cluster must be between 1 and 256 (got \(objectsPerCluster))")
        }
        if namespace.isEmpty || !namespace.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
            throw ValidationError("--namespace '\(namespace)' must be a DNS label (lower-case letters, digits, '-')")
        }
        if ArrivalProcess(rawValue: arrival) == nil {
            throw ValidationError("--arrival must be even or poisson (got '\(arrival)')")
        }
        if ConflictPolicy(rawValue: conflictPolicy) == nil {
            throw ValidationError("--conflict-policy must be count or retry (got '\(conflictPolicy)')")
        }
        if maxConflictRetries < 0 {
            throw ValidationError("--max-conflict-retries must be 0 or more (got \(maxConflictRetries))")
        }
        if maxInflight < 1 { throw ValidationError("--max-inflight must be at least 1 (got \(maxInflight))") }
        if maxConnections < 0 {
            throw ValidationError("--max-connections must be 0 (unlimited) or more (got \(maxConnections))")
        }
        if let threads, !(1...64).contains(threads) {
            throw ValidationError("--threads must be between 1 and 64 (got \(threads))")
        }
        if let shard {
            do { _ = try LoadShard(parsing: shard) } catch { throw ValidationError(error.description) }
        }
        for (flag, d) in [
            ("--load-duration", loadDuration), ("--report-interval", reportInterval),
            ("--request-timeout", requestTimeout),
        ]
        where d.duration <= .zero {
            throw ValidationError("\(flag) must be longer than 0 (got \(d.text))")
        }
        if reportInterval.nanoseconds < 10_000_000 {
            throw ValidationError("--report-interval must be at least 10ms (got \(reportInterval.text))")
        }
        if !(0...1000).contains(watchersPerCluster) {
            throw ValidationError("--watchers-per-cluster must be between 0 and 1000 (got \(watchersPerCluster))")
        }
        if Self.watchResourceList(watchResources) == nil {
            throw ValidationError(
                "--watch-resources must be a comma-separated list of memwidgets and configmaps (got '\(watchResources)')"
            )
        }
        if watchTimeout.nanoseconds < 1_000_000_000 {
            throw ValidationError("--watch-timeout must be at least 1s (got \(watchTimeout.text))")
        }
        do {
            _ = try ClusterSelection.names(count: 1, format: nameFormat)
        } catch {
            throw ValidationError(error.description)
        }
        if let kneeSteps {
            do { _ = try KneeSearch.parseSteps(kneeSteps) } catch { throw ValidationError(error.description) }
            if shard != nil || snapshotRpsPerCluster > 0 || watchersPerCluster > 0 || snapshotWarmPass {
                throw ValidationError(
                    "--knee-steps runs the reads and writes of one process: drop --shard, --snapshot-rps-per-cluster, --watchers-per-cluster and --snapshot-warm-pass"
                )
            }
        }
        do {
            try KneeSearch.checkSLO(
                p99Text: kneeP99.text, p99Ns: kneeP99.nanoseconds, maxErrorPercent: kneeMaxErrorPercent)
        } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        let endpoint = try target.resolve()
        var all: [String]
        do {
            if let bootstrap {
                all = try ClusterSelection.bootstrappedClusters(path: bootstrap)
                if let clusters {
                    let named = Set(try ClusterSelection.names(count: clusters, format: nameFormat))
                    all = all.filter { named.contains($0) }
                    if all.isEmpty {
                        throw InputProblem(
                            "--bootstrap \(bootstrap) has no finished cluster among the \(clusters) named by --name-format \(nameFormat): check both flags"
                        )
                    }
                }
            } else {
                all = try ClusterSelection.names(count: clusters ?? 200, format: nameFormat)
            }
        } catch {
            throw InputError("\(error)")
        }
        if snapshotWarmPass {
            return try await warmPass(endpoint: endpoint, clusters: all)
        }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        let percent = scenario == "mixed-uniform" ? 100 : (hotPercent ?? 10)
        let allHot = ClusterSelection.hotSubset(all, percent: percent, seed: runSeed)
        var part = LoadShard.whole
        if let shard {
            do { part = try LoadShard(parsing: shard) } catch { throw InputError(error.description) }
        }
        // Each cluster keeps its index in the whole hot list as its schedule stream's seed, so the
        // shards together run exactly the schedule one process would.
        let mine = part.positions(hotCount: allHot.count)
        let hot = mine.map { allHot[$0] }
        if hot.isEmpty {
            throw InputError(
                "--shard \(part) holds none of the \(allHot.count) hot clusters (shard I runs positions I, I+N … of the hot list): use at most \(allHot.count) shards"
            )
        }
        let threadCount = min(threads ?? Self.defaultThreads, hot.count)
        var config = LoadConfiguration(
            baseURL: endpoint.url, hotClusters: hot, clusterCount: all.count, writeRatePerCluster: writeRpsPerCluster,
            readRatePerCluster: readRpsPerCluster, durationNs: loadDuration.nanoseconds, objectBytes: objectBytes,
            objectsPerCluster: objectsPerCluster, namespace: namespace, arrival: ArrivalProcess(rawValue: arrival)!,
            seed: runSeed, conflictPolicy: ConflictPolicy(rawValue: conflictPolicy)!,
            maxConflictRetries: maxConflictRetries, maxLagNs: maxLag.nanoseconds, maxInflight: maxInflight,
            reportIntervalNs: reportInterval.nanoseconds, timeoutNs: requestTimeout.nanoseconds,
            settings: settings(
                seed: runSeed, percent: percent, clusterSource: "\(all.count)", shard: part, hotTotal: allHot.count,
                hotInShard: hot.count, threads: threadCount),
            streamIDs: mine.map { UInt64($0) })
        let clients = try (0..<threadCount).map { _ in try makeClient(endpoint, maxConnectionsPerHost: maxConnections) }
        if let kneeSteps {
            return try await knee(
                steps: try KneeSearch.parseSteps(kneeSteps), config: config, clients: clients, hotCount: hot.count)
        }
        var snapshots: SnapshotLoad?
        if snapshotRpsPerCluster > 0 {
            // Its own client (driver thread and connections), so snapshot bodies never queue reads and writes.
            let client = try makeClient(endpoint, maxConnectionsPerHost: maxConnections)
            snapshots = SnapshotLoad(
                configuration: SnapshotLoadConfiguration(
                    baseURL: endpoint.url, clusters: hot, ratePerCluster: snapshotRpsPerCluster, warm: snapshotWarm,
                    resources: snapshotResourceList, durationNs: loadDuration.nanoseconds,
                    arrival: ArrivalProcess(rawValue: arrival)!, seed: runSeed,
                    reportIntervalNs: reportInterval.nanoseconds, timeoutNs: requestTimeout.nanoseconds,
                    maxLagNs: maxLag.nanoseconds, streamIDs: mine.map { UInt64($0) }),
                transport: client)
        }
        let output = RecordOutput(tool: "kp-load")
        // watch-fanout: the watchers get their own client (driver thread, connections), never the writers'.
        var watchers: WatcherRun?
        if watchersPerCluster > 0 {
            let ledger = UpdateLedger()
            config.updateLedger = ledger
            let watchConfig = WatchFanoutConfiguration(
                baseURL: endpoint.url, clusters: hot, namespace: namespace, watchersPerCluster: watchersPerCluster,
                resources: Self.watchResourceList(watchResources)!, watchTimeoutNs: watchTimeout.nanoseconds,
                reportIntervalNs: reportInterval.nanoseconds, seed: runSeed)
            // HTTP/2: at most 100 streams per connection (libcurl's default, under kplane's and kp-sim's
            // server limits); libcurl opens ⌈streams / 100⌉ connections for the rest (no host limit).
            let watchClient = try makeClient(endpoint, maxConnectionsPerHost: 0, maxConcurrentStreams: 100)
            watchers = WatcherRun(
                fanout: WatchFanout(configuration: watchConfig, client: watchClient, ledger: ledger),
                client: watchClient)
        }
        let runner = LoadRunner(configuration: config, transports: clients, snapshots: snapshots)
        let watcherRun = watchers
        SignalWatcher.shared.onSignal { _ in
            runner.stop()
            watcherRun?.fanout.stop(interrupted: true)
        }
        var beforePhase: (@Sendable () async -> Void)? = nil
        if let w = watcherRun {
            beforePhase = { await w.start { output.write($0) } }
        }
        let result = try await runner.run(beforePhase: beforePhase) { output.write($0) }
        if let w = watcherRun { await w.finish() }
        let stats = clients.map { (c: HTTPClient) in c.statistics }
        StandardError.write(
            "kp-load: HTTP clients (\(clients.count) driver threads): \(stats.reduce(0) { $0 + $1.submitted }) requests submitted, \(stats.reduce(0) { $0 + $1.completed }) completed, \(stats.reduce(0) { $0 + $1.failed }) failed without a response, \(stats.reduce(0) { $0 + $1.connectionsOpened }) connections opened, \(stats.reduce(0) { $0 + $1.waitedForConnection }) waited for a connection or stream\n"
        )
        if let code = SignalWatcher.shared.exitCode, result.final.interrupted {
            throw ExitCode(code.rawValue)
        }
        if result.final.generatorLimited {
            throw ToolFailure(
                "the run is generator-limited, its latencies describe kp-load as much as the server: "
                    + (result.final.generatorLimitReason ?? "?"), exitCode: .generatorLimited)
        }
        if let snapshot = runner.snapshotFinal, snapshot.generatorLimited {
            // The snapshot schedule has its own thread: when it fell behind, its latencies are kp-load's too.
            throw ToolFailure(
                "the snapshot schedule is generator-limited (lag p99 over --max-lag), its latencies describe kp-load as much as the server",
                exitCode: .generatorLimited)
        }
        if result.final.targetSaturated == true {
            throw ToolFailure(
                (result.final.targetSaturationReason ?? "target saturated")
                    + "; the latencies are the server's at this offered rate", exitCode: .targetSaturated)
        }
    }

    /// `--knee-steps`: one load phase per rate, back to back on the same clients, clusters and seed;
    /// a knee_step record per step, a knee_result at the end. Exit 0 when a step broke the SLO or all
    /// held, 3 when a generator-limited step ended the search (nothing is known above it).
    private func knee(steps: [Double], config: LoadConfiguration, clients: [HTTPClient], hotCount: Int) async throws {
        let output = RecordOutput(tool: "kp-load")
        let slo = KneeSearch.SLO(p99Ns: kneeP99.nanoseconds, maxErrorPercent: kneeMaxErrorPercent)
        let perClusterTotal = readRpsPerCluster + writeRpsPerCluster
        let current = Mutex<LoadRunner?>(nil)
        SignalWatcher.shared.onSignal { _ in current.withLock { $0?.stop() } }
        var judged: [(step: KneeSearch.Step, judgement: KneeSearch.Judgement, reasons: [String])] = []
        for (i, rate) in steps.enumerated() {
            if SignalWatcher.shared.exitCode != nil { break }
            var c = config
            // The scenario's read/write mix, scaled so the hot clusters together offer `rate`.
            let scale = rate / (perClusterTotal * Double(hotCount))
            c.readRatePerCluster = readRpsPerCluster * scale
            c.writeRatePerCluster = writeRpsPerCluster * scale
            c.settings["knee_step"] = String(i)
            c.settings["knee_rate"] = String(rate)
            c.settings["read_rps_per_cluster"] = String(c.readRatePerCluster)
            c.settings["write_rps_per_cluster"] = String(c.writeRatePerCluster)
            StandardError.write("kp-load: knee step \(i + 1) of \(steps.count): \(rate) ops/s\n")
            let runner = LoadRunner(configuration: c, transports: clients)
            current.withLock { $0 = runner }
            let result = try await runner.run { record in
                if case .loadFinal = record { return }
                output.write(record)
            }
            current.withLock { $0 = nil }
            let f = result.final
            if f.interrupted { break }
            let step = KneeSearch.Step(final: f)
            let (judgement, reasons) = KneeSearch.judge(step, slo: slo)
            judged.append((step, judgement, reasons))
            output.write(
                .kneeStep(
                    KneeStepRecord(
                        step: i, startNs: f.startNs, endNs: f.endNs, offeredRps: step.offeredRps,
                        achievedRps: step.achievedRps, readP99Ns: step.readP99Ns, writeP99Ns: step.writeP99Ns,
                        errors: step.errors, operations: step.operations, verdict: step.outcome.rawValue,
                        judgement: judgement.rawValue, reasons: reasons)))
            StandardError.write(
                "kp-load: knee step \(i + 1): \(judgement.rawValue)\(reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))\n"
            )
            if judgement != .held { break }
        }
        let summary = KneeSearch.summarize(judged)
        output.write(
            .kneeResult(
                KneeResultRecord(
                    result: summary.result.rawValue, sloP99Ns: slo.p99Ns, sloMaxErrorPercent: slo.maxErrorPercent,
                    highestHeldRps: summary.highestHeldRps, endingStep: summary.endingStep,
                    endingRps: summary.endingRps, endingReasons: summary.endingReasons, steps: judged.count)))
        let held = summary.highestHeldRps.map { "\($0) ops/s" } ?? "no step"
        switch summary.result {
        case .kneeFound:
            StandardError.write(
                "kp-load: knee found: highest rate that held \(held); \(summary.endingRps ?? 0) ops/s broke the SLO\n")
        case .allHeld:
            StandardError.write("kp-load: all steps held: the knee is above \(held)\n")
        case .unknownAbove:
            StandardError.write(
                "kp-load: unknown above \(held): kp-load itself was the limit at \(summary.endingRps ?? 0) ops/s, not the server\n"
            )
        }
        if let code = SignalWatcher.shared.exitCode { throw ExitCode(code.rawValue) }
        if summary.result == .unknownAbove {
            throw ToolFailure(
                "the knee search ended generator-limited: " + summary.endingReasons.joined(separator: "; "),
                exitCode: .generatorLimited)
        }
    }

    /// A client of the target with its own driver thread and connections: the endpoint's credentials,
    /// `--request-timeout`, `--http1`; the generator's threads, the snapshot schedule, the watchers and
    /// the warm pass each get one, so none queues behind another.
    /// HTTP/2 streams per connection: kp-load hands libcurl at most `maxConnectionsPerHost` × this many
    /// transfers per client and queues the rest itself (docs/load.md, "Where a request waits").
    private func makeClient(_ endpoint: EndpointRecord, maxConnectionsPerHost: Int, maxConcurrentStreams: Int = 50)
        throws -> HTTPClient
    {
        try HTTPClient(
            configuration: HTTPClientConfiguration(
                caFile: endpoint.caFile, insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify,
                tlsServerName: endpoint.tlsServerName,
                tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile, timeout: requestTimeout.duration,
                allowHTTP2: !http1, maxConnectionsPerHost: maxConnectionsPerHost,
                maxConcurrentStreams: maxConcurrentStreams))
    }

    /// `--snapshot-warm-pass`: one warm per cluster, records on stdout; exit 12 when any failed.
    private func warmPass(endpoint: EndpointRecord, clusters: [String]) async throws {
        let client = try makeClient(endpoint, maxConnectionsPerHost: 1)
        let output = RecordOutput(tool: "kp-load")
        let pass = SnapshotWarmPass(
            baseURL: endpoint.url, clusters: clusters, resources: snapshotResourceList, transport: client)
        let summary = await pass.run(
            isStopped: { SignalWatcher.shared.exitCode != nil }, emit: { output.write($0) })
        StandardError.write((SnapshotWarmPass.summaryLine(summary) + "\n"))
        if let code = SignalWatcher.shared.exitCode, summary.interrupted { throw ExitCode(code.rawValue) }
        if summary.failed > 0 {
            throw ToolFailure(
                "snapshot warm pass: \(summary.failed) of \(summary.clusters) clusters failed (see their snapshot_warm records)",
                exitCode: .targetErrors)
        }
    }

    /// `--watch-resources` parsed; nil when it names something else or nothing.
    static func watchResourceList(_ text: String) -> [WatchResource]? {
        var out: [WatchResource] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let r = WatchResource(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            if !out.contains(r) { out.append(r) }
        }
        return out.isEmpty ? nil : out
    }

    private func settings(
        seed: UInt64, percent: Double, clusterSource: String, shard: LoadShard, hotTotal: Int, hotInShard: Int,
        threads: Int
    ) -> [String: String] {
        [
            "shard": shard.description, "shard_index": String(shard.index), "shard_count": String(shard.count),
            "hot_clusters_total": String(hotTotal), "hot_clusters": String(hotInShard), "threads": String(threads),
            "scenario": scenario, "clusters": clusterSource, "name_format": nameFormat, "bootstrap": bootstrap ?? "",
            "hot_percent": String(percent), "write_rps_per_cluster": String(writeRpsPerCluster),
            "read_rps_per_cluster": String(readRpsPerCluster), "load_duration": loadDuration.text,
            "object_bytes": String(objectBytes), "objects_per_cluster": String(objectsPerCluster),
            "namespace": namespace, "arrival": arrival, "seed": String(seed), "conflict_policy": conflictPolicy,
            "max_conflict_retries": String(maxConflictRetries), "max_lag": maxLag.text,
            "max_inflight": String(maxInflight), "report_interval": reportInterval.text,
            "request_timeout": requestTimeout.text, "http1": String(http1), "max_connections": String(maxConnections),
            "snapshot_rps_per_cluster": String(snapshotRpsPerCluster), "snapshot_warm": String(snapshotWarm),
            "snapshot_resources": snapshotResources ?? "",
            "watchers_per_cluster": String(watchersPerCluster), "watch_resources": watchResources,
            "watch_timeout": watchTimeout.text,
        ]
    }
}

/// kp-load's watchers for one run: opened after the pre-warm, reported on a thread of their own,
/// closed after the load phase (and its drain) ended.
final class WatcherRun: Sendable {
    let fanout: WatchFanout
    let client: HTTPClient
    private let final = Mutex<WatchFinalRecord?>(nil)
    private let started = Atomic<Bool>(false)

    init(fanout: WatchFanout, client: HTTPClient) {
        self.fanout = fanout
        self.client = client
    }

    func start(emit: @escaping @Sendable (Record) -> Void) async {
        let startNs = MonotonicClock.now()
        await fanout.start()
        StandardError.write(
            "kp-load: \(fanout.configuration.watcherCount) watch streams open (\(fanout.configuration.watchersPerCluster) per hot cluster and resource)\n"
        )
        started.store(true, ordering: .releasing)
        let t = Thread { [self] in
            let f = fanout.runReporter(startNs: startNs, emit: emit)
            final.withLock { $0 = f }
        }
        t.name = "kp-load-watch-reporter"
        t.start()
    }

    /// Stops the watchers and waits for `watch_final`.
    func finish() async {
        fanout.stop()
        guard started.load(ordering: .acquiring) else { return }
        while final.withLock({ $0 == nil }) { try? await Task.sleep(for: .milliseconds(20)) }
        if let f = final.withLock({ $0 }) {
            let c = f.counts
            let hist = try? LatencyHistogram(wire: c.delivery)
            func ms(_ v: Int64?) -> String { v.map { String(format: "%.2fms", Double($0) / 1e6) } ?? "-" }
            StandardError.write(
                "kp-load: watchers: \(c.events) events (\(String(format: "%.1f", f.eventsPerSecond))/s), \(c.matched) matched, \(c.unmatched) unmatched, \(c.bookmarks) bookmarks; delivery p50 \(ms(hist?.percentile(50))) p99 \(ms(hist?.percentile(99))); ends by the server \(c.ends.isEmpty ? "none" : c.ends.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); re-established \(c.reestablished); ended by kp-load's stop \(c.stopped ?? 0)\n"
            )
        }
    }
}
