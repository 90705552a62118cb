import Foundation
import KPCLI
import KPHTTP
import KPRecords
import KPRunModel
import Synchronization

/// `kp-load` from its options: picks the clusters, then runs one of three modes, each writing its
/// records to the output and its lines for people to stderr:
/// - `--snapshot-warm-pass`: every cluster's snapshot warmed once (``SnapshotWarmPass``);
/// - `--knee-steps`: one load phase per rate until a step breaks the SLO (``KneeSearch``);
/// - otherwise one load phase (``LoadRunner``) with its snapshot reads and watchers.
///
/// Failures are thrown as the tool states them (``KPCore/ToolFailure``, ``KPCore/InputError``);
/// a run a stop signal ended returns ``Outcome/stopped(_:)`` once its records are written.
public struct LoadTool: Sendable {
    /// How a run ended without a failure.
    public enum Outcome: Sendable, Equatable {
        /// The mode ran to its end.
        case finished
        /// A stop signal ended it; the exit code for that signal (130 or 143).
        case stopped(KPExitCode)
    }

    public let options: LoadOptions
    private let signals: SignalWatcher

    /// - Parameter signals: the stop signals that end the run early (installed by the caller).
    public init(options: LoadOptions, signals: SignalWatcher = .shared) {
        self.options = options
        self.signals = signals
    }

    /// The default of `--threads`: the usable cores, at most 8 (more driver threads than cores only
    /// adds context switches; 8 drive ~40k requests/s at the measured cost).
    public static var defaultThreads: Int { max(1, min(8, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Checks the inputs (``LoadOptions/checkInputs()``), resolves the target, picks the clusters
    /// and runs the mode the options choose.
    public func run(output: RecordOutput) async throws -> Outcome {
        try options.checkInputs()
        let endpoint = try options.target.resolve()
        let all = try clusters()
        if options.snapshotWarmPass {
            return try await warmPass(endpoint: endpoint, clusters: all, output: output)
        }
        let runSeed = options.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        let percent = options.scenario.fixedHotPercent ?? options.hotPercent ?? 10
        let allHot = ClusterSelection.hotSubset(all, percent: percent, seed: runSeed)
        var part = LoadShard.whole
        if let shard = options.shard {
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
        let threadCount = min(options.threads ?? Self.defaultThreads, hot.count)
        var config = LoadConfiguration(
            baseURL: endpoint.url, hotClusters: hot, clusterCount: all.count,
            writeRatePerCluster: options.writeRpsPerCluster, readRatePerCluster: options.readRpsPerCluster,
            durationNs: options.loadDuration.nanoseconds, objectBytes: options.objectBytes,
            objectsPerCluster: options.objectsPerCluster, namespace: options.namespace, arrival: options.arrival,
            seed: runSeed, conflictPolicy: options.conflictPolicy, maxConflictRetries: options.maxConflictRetries,
            maxLagNs: options.maxLag.nanoseconds, maxInflight: options.maxInflight,
            reportIntervalNs: options.reportInterval.nanoseconds, timeoutNs: options.requestTimeout.nanoseconds,
            settings: settings(
                seed: runSeed, percent: percent, clusterSource: "\(all.count)", shard: part, hotTotal: allHot.count,
                hotInShard: hot.count, threads: threadCount),
            streamIDs: mine.map { UInt64($0) })
        let clients = try (0..<threadCount).map { _ in
            try makeClient(endpoint, maxConnectionsPerHost: options.maxConnections)
        }
        if let kneeSteps = options.kneeSteps {
            let steps: [Double]
            do { steps = try KneeSearch.parseSteps(kneeSteps) } catch { throw InputError(error.description) }
            return try await knee(steps: steps, config: config, clients: clients, hotCount: hot.count, output: output)
        }
        var snapshots: SnapshotLoad?
        if options.snapshotRpsPerCluster > 0 {
            // Its own client (driver thread and connections), so snapshot bodies never queue reads and writes.
            let client = try makeClient(endpoint, maxConnectionsPerHost: options.maxConnections)
            snapshots = SnapshotLoad(
                configuration: SnapshotLoadConfiguration(
                    baseURL: endpoint.url, clusters: hot, ratePerCluster: options.snapshotRpsPerCluster,
                    warm: options.snapshotWarm, resources: options.snapshotResourceList,
                    durationNs: options.loadDuration.nanoseconds, arrival: options.arrival, seed: runSeed,
                    reportIntervalNs: options.reportInterval.nanoseconds,
                    timeoutNs: options.requestTimeout.nanoseconds, maxLagNs: options.maxLag.nanoseconds,
                    streamIDs: mine.map { UInt64($0) }),
                transport: client)
        }
        // watch-fanout: the watchers get their own client (driver thread, connections), never the writers'.
        var watchers: WatcherSession?
        if options.watchersPerCluster > 0 {
            let resources = try options.watchResourceKinds()
            let ledger = UpdateLedger()
            config.updateLedger = ledger
            let watchConfig = WatchFanoutConfiguration(
                baseURL: endpoint.url, clusters: hot, namespace: options.namespace,
                watchersPerCluster: options.watchersPerCluster, resources: resources,
                watchTimeoutNs: options.watchTimeout.nanoseconds, reportIntervalNs: options.reportInterval.nanoseconds,
                seed: runSeed)
            // HTTP/2: at most 100 streams per connection (libcurl's default, under kplane's and kp-sim's
            // server limits); libcurl opens ⌈streams / 100⌉ connections for the rest (no host limit).
            let watchClient = try makeClient(endpoint, maxConnectionsPerHost: 0, maxConcurrentStreams: 100)
            watchers = WatcherSession(
                fanout: WatchFanout(configuration: watchConfig, client: watchClient, ledger: ledger))
        }
        return try await load(
            config: config, clients: clients, snapshots: snapshots, watchers: watchers, output: output)
    }

    /// The clusters that exist: `--bootstrap`'s finished ones (those `--clusters` names, with it), or
    /// `--clusters` names by `--name-format`.
    func clusters() throws -> [String] {
        do {
            guard let bootstrap = options.bootstrap else {
                return try ClusterSelection.names(count: options.clusters ?? 200, format: options.nameFormat)
            }
            var all = try BootstrapStepRecord.bootstrappedClusters(path: bootstrap)
            if let clusters = options.clusters {
                let named = Set(try ClusterSelection.names(count: clusters, format: options.nameFormat))
                all = all.filter { named.contains($0) }
                if all.isEmpty {
                    throw InputProblem(
                        "--bootstrap \(bootstrap) has no finished cluster among the \(clusters) named by --name-format \(options.nameFormat): check both flags"
                    )
                }
            }
            return all
        } catch {
            throw InputError("\(error)")
        }
    }

    /// One load phase: the pre-warm, the watchers (if any) opened before the schedule starts, the
    /// schedule and its snapshot reads, then the verdict: generator-limited (exit 3) before
    /// target-saturated (exit 6).
    private func load(
        config: LoadConfiguration, clients: [HTTPClient], snapshots: SnapshotLoad?, watchers: WatcherSession?,
        output: RecordOutput
    ) async throws -> Outcome {
        let runner = LoadRunner(configuration: config, transports: clients, snapshots: snapshots)
        signals.onSignal { _ in
            runner.stop()
            watchers?.fanout.stop(interrupted: true)
        }
        var beforePhase: (@Sendable () async -> Void)? = nil
        if let watchers {
            beforePhase = { await watchers.start { output.write($0) } }
        }
        let result = try await runner.run(beforePhase: beforePhase) { output.write($0) }
        await watchers?.finish()
        let stats = clients.map(\.statistics)
        StandardError.write(
            "kp-load: HTTP clients (\(clients.count) driver threads): \(stats.reduce(0) { $0 + $1.submitted }) requests submitted, \(stats.reduce(0) { $0 + $1.completed }) completed, \(stats.reduce(0) { $0 + $1.failed }) failed without a response, \(stats.reduce(0) { $0 + $1.connectionsOpened }) connections opened, \(stats.reduce(0) { $0 + $1.waitedForConnection }) waited for a connection or stream\n"
        )
        if let code = signals.exitCode, result.final.interrupted { return .stopped(code) }
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
        return .finished
    }

    /// `--knee-steps`: one load phase per rate, back to back on the same clients, clusters and seed;
    /// a knee_step record per step, a knee_result at the end. Exit 0 when a step broke the SLO or all
    /// held, 3 when a generator-limited step ended the search (nothing is known above it).
    private func knee(
        steps: [Double], config: LoadConfiguration, clients: [HTTPClient], hotCount: Int, output: RecordOutput
    ) async throws -> Outcome {
        let slo = KneeSearch.SLO(p99Ns: options.kneeP99.nanoseconds, maxErrorPercent: options.kneeMaxErrorPercent)
        let perClusterTotal = options.readRpsPerCluster + options.writeRpsPerCluster
        let current = Mutex<LoadRunner?>(nil)
        signals.onSignal { _ in current.withLock { $0?.stop() } }
        var judged: [(step: KneeSearch.Step, judgement: KneeSearch.Judgement, reasons: [String])] = []
        for (i, rate) in steps.enumerated() {
            if signals.exitCode != nil { break }
            var c = config
            // The scenario's read/write mix, scaled so the hot clusters together offer `rate`.
            let scale = rate / (perClusterTotal * Double(hotCount))
            c.readRatePerCluster = options.readRpsPerCluster * scale
            c.writeRatePerCluster = options.writeRpsPerCluster * scale
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
        if let code = signals.exitCode { return .stopped(code) }
        if summary.result == .unknownAbove {
            throw ToolFailure(
                "the knee search ended generator-limited: " + summary.endingReasons.joined(separator: "; "),
                exitCode: .generatorLimited)
        }
        return .finished
    }

    /// `--snapshot-warm-pass`: one warm per cluster, records on the output; exit 12 when any failed.
    private func warmPass(endpoint: EndpointRecord, clusters: [String], output: RecordOutput) async throws -> Outcome {
        let client = try makeClient(endpoint, maxConnectionsPerHost: 1)
        let pass = SnapshotWarmPass(
            baseURL: endpoint.url, clusters: clusters, resources: options.snapshotResourceList, transport: client)
        let signals = self.signals
        let summary = await pass.run(isStopped: { signals.exitCode != nil }, emit: { output.write($0) })
        StandardError.write((SnapshotWarmPass.summaryLine(summary) + "\n"))
        if let code = signals.exitCode, summary.interrupted { return .stopped(code) }
        if summary.failed > 0 {
            throw ToolFailure(
                "snapshot warm pass: \(summary.failed) of \(summary.clusters) clusters failed (see their snapshot_warm records)",
                exitCode: .targetErrors)
        }
        return .finished
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
                tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile,
                timeout: options.requestTimeout.duration, allowHTTP2: !options.http1,
                maxConnectionsPerHost: maxConnectionsPerHost, maxConcurrentStreams: maxConcurrentStreams))
    }

    /// The `settings` of every load record: each flag as given, and what the run resolved (seed,
    /// hot percent, shard, hot clusters, threads).
    func settings(
        seed: UInt64, percent: Double, clusterSource: String, shard: LoadShard, hotTotal: Int, hotInShard: Int,
        threads: Int
    ) -> [String: String] {
        let o = options
        return [
            "shard": shard.description, "shard_index": String(shard.index), "shard_count": String(shard.count),
            "hot_clusters_total": String(hotTotal), "hot_clusters": String(hotInShard), "threads": String(threads),
            "scenario": o.scenario.name, "clusters": clusterSource, "name_format": o.nameFormat,
            "bootstrap": o.bootstrap ?? "", "hot_percent": String(percent),
            "write_rps_per_cluster": String(o.writeRpsPerCluster), "read_rps_per_cluster": String(o.readRpsPerCluster),
            "load_duration": o.loadDuration.text, "object_bytes": String(o.objectBytes),
            "objects_per_cluster": String(o.objectsPerCluster), "namespace": o.namespace,
            "arrival": o.arrival.rawValue, "seed": String(seed), "conflict_policy": o.conflictPolicy.rawValue,
            "max_conflict_retries": String(o.maxConflictRetries), "max_lag": o.maxLag.text,
            "max_inflight": String(o.maxInflight), "report_interval": o.reportInterval.text,
            "request_timeout": o.requestTimeout.text, "http1": String(o.http1),
            "max_connections": String(o.maxConnections), "snapshot_rps_per_cluster": String(o.snapshotRpsPerCluster),
            "snapshot_warm": String(o.snapshotWarm), "snapshot_resources": o.snapshotResources ?? "",
            "watchers_per_cluster": String(o.watchersPerCluster), "watch_resources": o.watchResources,
            "watch_timeout": o.watchTimeout.text,
        ]
    }
}
