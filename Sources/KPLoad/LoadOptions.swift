import ArgumentParser
import Foundation
import KPCLI
import KPRunModel

/// kp-load's flags, with their rules: what `kp-load` parses, and what kp-run parses the arguments it
/// plans to pass kp-load with (`LoadOptions.parse(arguments)`) before the run starts.
///
/// ``validate()`` looks at the values only (no file, network, environment or clock), so it holds
/// before the files a run writes exist; ``checkInputs()`` checks the files the flags name, and
/// ``LoadTool`` calls it first.
public struct LoadOptions: ParsableArguments, Sendable {
    @OptionGroup public var target: EndpointOptions

    @Option(
        help: ArgumentHelp(
            "The scenario the load is for: mixed-uniform loads every cluster, the others --hot-percent of them.",
            valueName: "name"))
    public var scenario = LoadScenario.mixedHot

    @Option(
        help: ArgumentHelp(
            "Number of clusters, named by --name-format as kp-bootstrap names them (default 200); with --bootstrap, only these are considered.",
            valueName: "n"))
    public var clusters: Int?

    @Option(help: ArgumentHelp("printf-style cluster name with one %d for the index 0..n-1.", valueName: "format"))
    public var nameFormat: String = "c-%03d"

    @Option(
        help: ArgumentHelp(
            "Take the clusters from a kp-bootstrap stream: only those whose bootstrap finished ok.", valueName: "file"))
    public var bootstrap: String?

    @Option(
        help: ArgumentHelp(
            "Percentage of the clusters that get load in mixed-hot (default 10; mixed-uniform is 100).",
            valueName: "percent"))
    public var hotPercent: Double?

    @Option(help: ArgumentHelp("Writes (Get + Update) per second per hot cluster.", valueName: "rate"))
    public var writeRpsPerCluster: Double = 5

    @Option(help: ArgumentHelp("Reads (Get) per second per hot cluster.", valueName: "rate"))
    public var readRpsPerCluster: Double = 20

    @Option(
        help: ArgumentHelp("How long the schedule runs (default: 2m).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var loadDuration = DurationArgument(.seconds(120), text: "2m")

    @Option(help: ArgumentHelp("Payload size in spec.data of each object, bytes.", valueName: "bytes"))
    public var objectBytes: Int = 1024

    @Option(
        help: ArgumentHelp("Objects pre-warmed per hot cluster; each operation picks one at random.", valueName: "n"))
    public var objectsPerCluster: Int = 5

    @Option(help: ArgumentHelp("Namespace of the objects.", valueName: "name"))
    public var namespace: String = "default"

    @Option(
        help: ArgumentHelp(
            "even (evenly spaced, random phase per cluster) or poisson (exponential gaps).", valueName: "process"))
    public var arrival: ArrivalProcess = .even

    @Option(
        help: ArgumentHelp(
            "Seed of the hot subset, phases, gaps and object choice (default: random, recorded in settings).",
            valueName: "n"))
    public var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "On 409 Conflict from an Update: count (the write fails) or retry (re-Get and Update again).",
            valueName: "policy"))
    public var conflictPolicy: ConflictPolicy = .count

    @Option(help: ArgumentHelp("Most re-Get+Update retries of one write with --conflict-policy retry.", valueName: "n"))
    public var maxConflictRetries: Int = 5

    @Option(
        help: ArgumentHelp(
            "Schedule-lag p99 above this makes the run generator-limited, exit 3 (default: \(LoadConfiguration.defaultMaxLagMs)ms).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    public var maxLag = DurationArgument(
        .milliseconds(LoadConfiguration.defaultMaxLagMs), text: "\(LoadConfiguration.defaultMaxLagMs)ms")

    @Option(
        help: ArgumentHelp(
            "Operations in flight at which the scheduler waits (and the run is generator-limited).", valueName: "n"))
    public var maxInflight: Int = 10_000

    @Option(
        help: ArgumentHelp("Interval between load_interval records (default: 1s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var reportInterval = DurationArgument(.seconds(1), text: "1s")

    @Option(
        help: ArgumentHelp(
            "Per-request timeout (default: 10s); a timed-out request is an error recorded with this latency.",
            valueName: "duration"),
        transform: DurationArgument.transform)
    public var requestTimeout = DurationArgument(.seconds(10), text: "10s")

    @Flag(help: "Force HTTP/1.1 (default: HTTP/2 when the server offers it).")
    public var http1 = false

    @Option(help: ArgumentHelp("Most connections to the server per driver thread (0 = unlimited).", valueName: "n"))
    public var maxConnections: Int = 4

    @Option(
        help: ArgumentHelp(
            "Driver threads, each with its own libcurl multi handle and connections; the hot clusters are split among them (default: the usable cores, at most 8).",
            valueName: "n"))
    public var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Run only shard I of N (0-based): the hot clusters at positions I, I+N, I+2N … of the hot list (same --seed in every shard). N processes with 0/N ... N-1/N split the load exactly.",
            valueName: "I/N"))
    public var shard: String?

    @Option(
        help: ArgumentHelp(
            "Snapshot reads (GET /clusters/<cid>/control-plane/snapshot) per second per hot cluster, open-loop beside the reads and writes, on their own thread and connection (default 0 = none).",
            valueName: "rate"))
    public var snapshotRpsPerCluster: Double = 0

    @Flag(help: "Send the snapshot reads with warm=true (an informer for every type).")
    public var snapshotWarm = false

    @Option(
        help: ArgumentHelp(
            "Comma-separated resource= filter of the snapshot reads, e.g. configmaps,namespaces (default: none, the whole snapshot).",
            valueName: "a,b"))
    public var snapshotResources: String?

    @Flag(
        help:
            "Instead of a load phase: warm every cluster's snapshot once (GET …/snapshot?warm=true, one cluster at a time), write a snapshot_warm record per cluster and a snapshot_warm_summary, and exit."
    )
    public var snapshotWarmPass = false

    @Option(
        help: ArgumentHelp(
            "Find the knee: run the load phase once per total rate (ops/s, increasing: 200,400,800, or linear:FROM:TO:COUNT, or geometric:FROM:TO:COUNT), each for --load-duration at the scenario's read/write mix, and stop at the first step that breaks the SLO (--knee-p99, --knee-max-error-percent) or saturates the target; writes knee_step and knee_result records instead of load_final.",
            valueName: "rates"))
    public var kneeSteps: String?

    @Option(
        help: ArgumentHelp(
            "The knee's SLO: response p99 of reads and of writes at most this (default: 50ms).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var kneeP99 = DurationArgument(.milliseconds(50), text: "50ms")

    @Option(
        help: ArgumentHelp("The knee's SLO: errors at most this percentage of the operations.", valueName: "percent"))
    public var kneeMaxErrorPercent: Double = 1

    @Option(
        help: ArgumentHelp(
            "Watch streams per hot cluster and watched resource (scenario watch-fanout; 0 = none). Each lists, then watches from the list's resourceVersion with bookmarks, on a client of its own; events are matched to the Updates by resourceVersion.",
            valueName: "n"))
    public var watchersPerCluster: Int = 0

    @Option(
        help: ArgumentHelp(
            "Comma-separated resources the watchers watch: memwidgets (the test resource the writers update) and/or configmaps.",
            valueName: "list"))
    public var watchResources: String = "memwidgets"

    @Option(
        help: ArgumentHelp(
            "Each watch asks the server to end it after a time drawn from [T, 2T), as client-go does (T = 5m there); then the watcher watches again (default: 5m).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    public var watchTimeout = DurationArgument(.seconds(300), text: "5m")

    public init() {}

    public func validate() throws {
        if let fixed = scenario.fixedHotPercent, let hotPercent, hotPercent != fixed {
            throw ValidationError(
                "--scenario \(scenario) loads \(fixed == 100 ? "every cluster" : "\(fixed)% of the clusters"): drop --hot-percent \(hotPercent), or use mixed-hot"
            )
        }
        if let hotPercent, !(hotPercent > 0 && hotPercent <= 100) {
            throw ValidationError("--hot-percent must be in (0, 100] (got \(hotPercent))")
        }
        if let clusters, clusters < 1 { throw ValidationError("--clusters must be at least 1 (got \(clusters))") }
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
            ("--request-timeout", requestTimeout), ("--max-lag", maxLag),
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
        _ = try watchResourceKinds()
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

    /// The checks that read the machine: the target's files (``KPCLI/EndpointOptions/checkInputs()``),
    /// then `--bootstrap` names a readable file. Bad input, exit 2 through ``KPCLI/ToolMain`` with the
    /// same one line as a ``validate()`` rule.
    public func checkInputs() throws {
        try target.checkInputs()
        if let bootstrap, !FileManager.default.isReadableFile(atPath: bootstrap) {
            throw ValidationError(
                "--bootstrap \(bootstrap) is not a readable file: pass the bootstrap.jsonl that kp-bootstrap wrote")
        }
    }

    /// `--snapshot-resources` as a list (empty without the flag).
    public var snapshotResourceList: [String] {
        guard let snapshotResources else { return [] }
        return snapshotResources.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// `--watch-resources` parsed, each resource once.
    public func watchResourceKinds() throws(ValidationError) -> [WatchResource] {
        guard let list = Self.watchResourceList(watchResources) else {
            throw ValidationError(
                "--watch-resources must be a comma-separated list of memwidgets and configmaps (got '\(watchResources)')"
            )
        }
        return list
    }

    /// `--watch-resources` parsed, each resource once; nil when it names something else or nothing.
    public static func watchResourceList(_ text: String) -> [WatchResource]? {
        var out: [WatchResource] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let r = WatchResource(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            if !out.contains(r) { out.append(r) }
        }
        return out.isEmpty ? nil : out
    }
}

/// `--scenario`: a scenario of the run model that drives load (``KPRunModel/Scenario/loadNames``);
/// ArgumentParser refuses any other name and `--help` lists them.
public struct LoadScenario: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    /// The scenario's name, one of ``KPRunModel/Scenario/loadNames``.
    public let name: String

    /// mixed-hot: `--hot-percent` of the clusters get load.
    public static let mixedHot = LoadScenario(checked: "mixed-hot")

    private init(checked name: String) { self.name = name }

    public init?(argument: String) {
        guard Scenario.loadNames.contains(argument) else { return nil }
        name = argument
    }

    public static var allValueStrings: [String] { Scenario.loadNames }
    public var description: String { name }
    public var defaultValueDescription: String { name }

    /// The hot percent the scenario fixes (mixed-uniform: 100, every cluster); nil when
    /// `--hot-percent` decides.
    public var fixedHotPercent: Double? { Scenario.named(name)?.fixedHotPercent }
}

extension ArrivalProcess: ExpressibleByArgument {}
extension ConflictPolicy: ExpressibleByArgument {}
