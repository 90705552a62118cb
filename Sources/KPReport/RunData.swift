import Foundation
import KPPprof
import KPRecords
import KPRunModel

/// Everything kp-report reads from one run directory, sorted and ready to fold.
///
/// Load it with ``load(directory:)``: every file is optional, every damaged line is skipped and
/// recorded in ``problems`` with its `file:line`, so a partial run still gives a partial report.
public struct RunData: Sendable {
    /// The files kp-report reads, in the order it reads them.
    public static let inputFiles = RunLayout.recordFiles

    public var runMeta: RunMetaRecord?
    public var runEnd: RunEndRecord?
    public var endpoint: EndpointRecord?
    /// Bootstrap steps sorted by end time, then cluster and step.
    public var steps: [BootstrapStepRecord] = []
    public var bootstrapSummary: BootstrapSummaryRecord?
    /// One-shot samples (any phase but `series`), by time.
    public var phaseSamples: [SampleRecord] = []
    /// Continuous samples (phase `series`, from either file), by time.
    public var seriesSamples: [SampleRecord] = []
    public var profiles: [ProfileRecord] = []
    /// `kp-scrape --burst`'s `scrape_cost` records (in samples.jsonl), by time.
    public var scrapeCosts: [ScrapeCostRecord] = []
    /// `kp-load --knee-steps`: the steps in order and the search's result.
    public var kneeSteps: [KneeStepRecord] = []
    public var kneeResult: KneeResultRecord?
    public var loadIntervals: [LoadIntervalRecord] = []
    /// The run's `load_final`: load.jsonl's, or the fold of the shard files' (``loadShards``).
    public var loadFinal: LoadFinalRecord?
    /// `fleet_status` (fleet-bootstrap) and the member transitions, by time.
    public var fleetStatus: FleetStatusRecord?
    public var fleetMembers: [FleetMemberRecord] = []
    /// The `load-I-of-N.jsonl` files of a sharded load phase (empty shards list without them).
    public var loadShards = LoadShardSet()
    /// `teardown_step` records and the `teardown_summary` (scenario teardown).
    public var teardownSteps: [TeardownStepRecord] = []
    public var teardownSummary: TeardownSummaryRecord?
    /// Scenario snapshot: the warm pass's records (snapshot-warm.jsonl) and kp-load's snapshot
    /// operations (in load.jsonl or its shards).
    public var snapshotWarms: [SnapshotWarmRecord] = []
    public var snapshotWarmSummary: SnapshotWarmSummaryRecord?
    public var snapshotIntervals: [SnapshotIntervalRecord] = []
    public var snapshotFinals: [SnapshotFinalRecord] = []
    /// kp-load's watchers (scenario watch-fanout): each load file's `watch_final` (nil for a file with
    /// watch_interval records but no watch_final: that process did not finish), by file name; and
    /// the `watch_interval` records of all of them, by time.
    public var watchFinals: [(file: String, record: WatchFinalRecord?)] = []
    public var watchIntervals: [WatchIntervalRecord] = []
    /// The `load_final` records of watch-fanout's load phase without watchers (nowatch-load*.jsonl).
    public var nowatchLoadFinals: [LoadFinalRecord] = []
    /// Scenario churn (churn.jsonl): each cycle's `teardown_summary` and `bootstrap_summary`, by start
    /// (cycle k is the k-th of each), and the steps of either kind that were not ok.
    public var churnTeardowns: [TeardownSummaryRecord] = []
    public var churnBootstraps: [BootstrapSummaryRecord] = []
    public var churnFailedSteps: [(cluster: String, step: String, outcome: String, error: String?)] = []
    /// Scenario restart: kp-launch restart's `restart` record (restart.jsonl), and each VCP's first
    /// request after it with the storm's summary (first-requests.jsonl), by end time.
    public var restart: RestartRecord?
    public var firstRequests: [FirstRequestRecord] = []
    public var firstRequestSummary: FirstRequestSummaryRecord?
    /// File-name prefix of watch-fanout's load phase without watchers.
    public static let nowatchPrefix = RunLayout.nowatchLoadPrefix
    /// `error` records any tool wrote into the run's files, by time.
    public var toolErrors: [ErrorRecord] = []
    /// Files present in `pprof/` (names only, sorted) and their sizes in bytes.
    public var pprofFiles: [(name: String, bytes: Int)] = []
    /// Input files that were absent.
    public var missingFiles: [String] = []
    /// Every damaged line and unusable record, sorted by location.
    public var problems: [DataProblem] = []

    public init() {}

    /// Which report sections depend on a file (named in "Data problems" when it is damaged).
    public static func sections(for file: String) -> [String] {
        switch file {
        case "meta.jsonl": ["Run"]
        case "endpoint.json": ["Run"]
        case "bootstrap.jsonl": ["Bootstrap"]
        case "samples.jsonl":
            ["Phases", "Per VCP", "Deltas", "Sizing a pod", "Profiles", "Server-side latency", "Observer cost"]
        case "timeseries.jsonl": ["Sizing a pod (peak figures)"]
        case "load.jsonl": ["Load", "Watch fan-out"]
        case "teardown.jsonl": ["Teardown"]
        case "snapshot-warm.jsonl": ["Snapshot"]
        case "churn.jsonl": ["Churn"]
        case "restart.jsonl", "first-requests.jsonl": ["Restart"]
        case _ where file.hasPrefix(nowatchPrefix): ["Watch fan-out"]
        default: LoadShardSet.parse(fileName: file) != nil ? ["Load", "Watch fan-out"] : []
        }
    }

    /// Reads a run directory. Never throws for damage inside it; a file that is absent is
    /// listed in ``missingFiles``, and one that cannot be read becomes a problem.
    ///
    /// The files are decoded on every core (see ``decodeInParallel(_:)``); what they hold is added in
    /// the same order as a line-by-line read of one file after the other, so the result is the same.
    public static func load(directory: String) -> RunData {
        var data = RunData()
        let fm = FileManager.default
        let shardFiles = LoadShardSet.files(in: directory).map { $0.hasSuffix(".gz") ? String($0.dropLast(3)) : $0 }
        // watch-fanout's load phase without watchers (nowatch-load.jsonl, or one per shard), when present.
        let nowatchFiles = Set(
            ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter {
                $0.hasPrefix(Self.nowatchPrefix) && ($0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz"))
            }.map { $0.hasSuffix(".gz") ? String($0.dropLast(3)) : $0 }
        ).sorted()
        var sources: [RecordSource] = []
        for file in inputFiles + shardFiles + nowatchFiles {
            // A sharded run has no load.jsonl: the shard files stand for it.
            if file == "load.jsonl" && !shardFiles.isEmpty
                && !fm.fileExists(atPath: (directory as NSString).appendingPathComponent(file))
            {
                continue
            }
            if let (index, count) = LoadShardSet.parse(fileName: file) {
                data.loadShards.shards.append(.init(file: file, index: index, count: count, final: nil))
            }
            let path = (directory as NSString).appendingPathComponent(file)
            if fm.fileExists(atPath: path) {
                sources.append(RecordSource(file: file, path: path, compressed: false))
            } else if fm.fileExists(atPath: path + ".gz") {
                sources.append(RecordSource(file: file, path: path + ".gz", compressed: true))
            } else {
                data.missingFiles.append(file)
            }
        }
        for (source, outcomes) in zip(sources, decodeInParallel(sources)) {
            let affects = sections(for: source.file)
            for outcome in outcomes {
                for item in outcome.items {
                    switch item {
                    case .success(let record): data.add(record, from: source.file)
                    case .failure(let error):
                        data.problems.append(
                            DataProblem(location: error.location, message: Self.message(for: error), affects: affects))
                    }
                }
                if let (location, message) = outcome.failure {
                    data.problems.append(DataProblem(location: location, message: message, affects: affects))
                }
            }
        }
        data.pprofFiles = listPprof(directory: directory)
        if !data.loadShards.shards.isEmpty {
            if data.loadFinal != nil {
                data.problems.append(
                    DataProblem(
                        location: "load.jsonl",
                        message:
                            "the run has both load.jsonl and load-I-of-N.jsonl shard files; the shard files are used",
                        affects: ["Load"]))
            }
            data.loadFinal = data.loadShards.fold()
        }
        data.finish()
        return data
    }

    /// Largest decompressed size of one `*.jsonl.gz` input.
    static let maxDecompressedBytes = 2 << 30

    /// Bytes of decompressed records per piece decoded on its own (pieces end at a line end).
    static let pieceBytes = 1 << 20

    /// One record file to read: a plain one, or a `*.jsonl.gz` (e.g. an archived run under
    /// `results/`) read as if it were the plain one, its damage located in `<file>.gz`.
    struct RecordSource: Sendable {
        /// The plain file's name (what its records count as).
        var file: String
        var path: String
        var compressed: Bool
        /// The name damage is located in.
        var name: String { compressed ? file + ".gz" : file }
    }

    /// What reading part of a file gave: its lines' items in order, then the failure that ended
    /// the read, if one did (location and message).
    struct ReadOutcome: Sendable {
        var items: [JSONLReader.Item] = []
        var failure: (location: String, message: String)?
    }

    /// Reads and decodes `sources`, spreading the work over every core: each plain file is read in
    /// one go through its descriptor, each gzipped one is decompressed and cut at line ends into
    /// pieces of about `pieceBytes`, decoded on their own. Returns per source the outcomes of
    /// its parts in order; line numbers are counted from the file's start, as in one read.
    static func decodeInParallel(_ sources: [RecordSource], pieceBytes: Int = pieceBytes) -> [[ReadOutcome]] {
        // Decompress every gzipped file first (one per core), then decode every part.
        let raws = Parallel.map(sources.count) { i -> Result<Data, RecordReadFailure>? in
            guard sources[i].compressed else { return nil }
            do {
                return .success(
                    try Gzip.decompress(
                        Data(contentsOf: URL(fileURLWithPath: sources[i].path)), maxBytes: maxDecompressedBytes))
            } catch {
                return .failure(RecordReadFailure(message: "read failed: \(error)"))
            }
        }
        enum Part: Sendable {
            case file(source: Int)
            case lines(source: Int, bytes: Data, firstLine: Int)
            case failed(source: Int, message: String)
        }
        var cut: [Part] = []
        for (i, raw) in raws.enumerated() {
            switch raw {
            case nil: cut.append(.file(source: i))
            case .failure(let f): cut.append(.failed(source: i, message: f.message))
            case .success(let bytes):
                for (piece, firstLine) in pieces(of: bytes, size: pieceBytes) {
                    cut.append(.lines(source: i, bytes: piece, firstLine: firstLine))
                }
            }
        }
        let parts = cut
        let outcomes = Parallel.map(parts.count) { k -> ReadOutcome in
            var outcome = ReadOutcome()
            switch parts[k] {
            case .failed(let i, let message):
                outcome.failure = (sources[i].name, message)
            case .file(let i):
                let source = sources[i]
                guard let handle = FileHandle(forReadingAtPath: source.path) else {
                    outcome.failure = (source.file, "cannot be opened (\(String(cString: strerror(errno))))")
                    return outcome
                }
                defer { try? handle.close() }
                do {
                    try JSONLReader.forEachLine(handle: handle, name: source.file) { outcome.items.append($0) }
                } catch {
                    outcome.failure = (source.file, "read failed: \(error)")
                }
            case .lines(let i, let bytes, let firstLine):
                let name = sources[i].name
                // The reader numbers this piece's lines from 1; the piece starts at line `firstLine`.
                try? JSONLReader.forEachLine(data: bytes, name: name) { item in
                    guard case .failure(var error) = item, firstLine > 1 else { return outcome.items.append(item) }
                    let prefix = name + ":"
                    if error.location.hasPrefix(prefix), let n = Int(error.location.dropFirst(prefix.count)) {
                        error.location = prefix + String(n + firstLine - 1)
                    }
                    outcome.items.append(.failure(error))
                }
            }
            return outcome
        }
        var bySource = [[ReadOutcome]](repeating: [], count: sources.count)
        for (part, outcome) in zip(parts, outcomes) {
            switch part {
            case .file(let i), .lines(let i, _, _), .failed(let i, _): bySource[i].append(outcome)
            }
        }
        return bySource
    }

    /// A gzipped file that could not be read (the message a problem carries).
    struct RecordReadFailure: Error, Sendable {
        var message: String
    }

    /// `bytes` cut after the first line end at or past every `size` bytes, each piece with the
    /// number of its first line (an empty `bytes` gives no piece).
    static func pieces(of bytes: Data, size: Int) -> [(Data, firstLine: Int)] {
        var out: [(Data, firstLine: Int)] = []
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var start = 0
            var line = 1
            while start < raw.count {
                var end = raw.count
                let from = start + Swift.max(size, 1)
                if from < raw.count, let nl = memchr(base + from, 0x0A, raw.count - from) {
                    end = base.distance(to: UnsafeRawPointer(nl)) + 1
                }
                let lower = bytes.startIndex + start
                out.append((bytes[lower..<(bytes.startIndex + end)], line))
                var p = start
                while p < end, let nl = memchr(base + p, 0x0A, end - p) {
                    line += 1
                    p = base.distance(to: UnsafeRawPointer(nl)) + 1
                }
                start = end
            }
        }
        return out
    }

    /// The reader's message without its location prefix (the location is kept separately).
    static func message(for error: RecordError) -> String {
        let text = error.description
        let prefix = error.location + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    private static func listPprof(directory: String) -> [(name: String, bytes: Int)] {
        let dir = (directory as NSString).appendingPathComponent("pprof")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            let attrs = try? FileManager.default.attributesOfItem(
                atPath: (dir as NSString).appendingPathComponent(name))
            return (name, (attrs?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    /// Adds one record read from `file` (kept in arrival order until ``finish()``).
    public mutating func add(_ record: Record, from file: String) {
        if file == RunLayout.churn {
            // The churn cycles' own records: they neither replace the bootstrap's nor the teardown scenario's.
            switch record {
            case .teardownSummary(let r): churnTeardowns.append(r)
            case .bootstrapSummary(let r): churnBootstraps.append(r)
            case .teardownStep(let r) where r.outcome != "ok":
                churnFailedSteps.append((r.cluster, r.step, r.outcome, r.error))
            case .bootstrapStep(let r) where r.outcome != "ok":
                churnFailedSteps.append((r.cluster, r.step, r.outcome, r.error))
            case .error(let r): toolErrors.append(r)
            default: break
            }
            return
        }
        if file.hasPrefix(Self.nowatchPrefix) {
            // Only its final record is used (beside the watch phase's, in `## Watch fan-out`).
            switch record {
            case .loadFinal(let r):
                nowatchLoadFinals.append(r)
                return
            case .loadInterval, .watchInterval, .watchFinal: return
            default: break
            }
        }
        switch record {
        case .runMeta(let r):
            if runMeta != nil {
                problems.append(
                    DataProblem(
                        location: file, message: "more than one run_meta record; the last one is used", affects: ["Run"]
                    ))
            }
            runMeta = r
        case .runEnd(let r):
            if runEnd != nil {
                problems.append(
                    DataProblem(
                        location: file, message: "more than one run_end record; the last one is used", affects: ["Run"])
                )
            }
            runEnd = r
        case .endpoint(let r): endpoint = r
        case .bootstrapStep(let r): steps.append(r)
        case .bootstrapSummary(let r): bootstrapSummary = r
        case .sample(let r):
            if r.phase == "series" || file == "timeseries.jsonl" {
                seriesSamples.append(r)
            } else {
                phaseSamples.append(r)
            }
        case .profile(let r): profiles.append(r)
        case .scrapeCost(let r): scrapeCosts.append(r)
        case .kneeStep(let r): kneeSteps.append(r)
        case .kneeResult(let r): kneeResult = r
        case .loadInterval(let r): loadIntervals.append(r)
        case .loadFinal(let r) where LoadShardSet.parse(fileName: file) != nil:
            let (index, count) = LoadShardSet.parse(fileName: file)!
            if let i = loadShards.shards.firstIndex(where: { $0.index == index && $0.count == count }) {
                if loadShards.shards[i].final != nil {
                    problems.append(
                        DataProblem(
                            location: file, message: "more than one load_final record; the last one is used",
                            affects: ["Load"]))
                }
                loadShards.shards[i].final = r
            } else {
                loadShards.shards.append(.init(file: file, index: index, count: count, final: r))
            }
        case .loadFinal(let r):
            if loadFinal != nil {
                problems.append(
                    DataProblem(
                        location: file, message: "more than one load_final record; the last one is used",
                        affects: ["Load"]))
            }
            loadFinal = r
        case .fleetStatus(let r): fleetStatus = r
        case .fleetMember(let r): fleetMembers.append(r)
        case .teardownStep(let r): teardownSteps.append(r)
        case .teardownSummary(let r): teardownSummary = r
        case .snapshotWarm(let r): snapshotWarms.append(r)
        case .snapshotWarmSummary(let r): snapshotWarmSummary = r
        case .snapshotInterval(let r): snapshotIntervals.append(r)
        case .snapshotFinal(let r): snapshotFinals.append(r)
        case .watchInterval(let r):
            watchIntervals.append(r)
            if !watchFinals.contains(where: { $0.file == file }) { watchFinals.append((file, nil)) }
        case .watchFinal(let r):
            if let i = watchFinals.firstIndex(where: { $0.file == file }) {
                if watchFinals[i].record != nil {
                    problems.append(
                        DataProblem(
                            location: file, message: "more than one watch_final record; the last one is used",
                            affects: ["Watch fan-out"]))
                }
                watchFinals[i].record = r
            } else {
                watchFinals.append((file, r))
            }
        case .restart(let r): restart = r
        case .firstRequest(let r): firstRequests.append(r)
        case .firstRequestSummary(let r): firstRequestSummary = r
        case .error(let r): toolErrors.append(r)
        }
    }

    /// Sorts everything into a deterministic order.
    public mutating func finish() {
        steps.sort { ($0.endNs, $0.cluster, $0.step) < ($1.endNs, $1.cluster, $1.step) }
        phaseSamples.sort { ($0.tNs, $0.phase) < ($1.tNs, $1.phase) }
        seriesSamples.sort { $0.tNs < $1.tNs }
        profiles.sort { ($0.tNs, $0.profile, $0.phase) < ($1.tNs, $1.profile, $1.phase) }
        scrapeCosts.sort { $0.tNs < $1.tNs }
        kneeSteps.sort { $0.step < $1.step }
        loadIntervals.sort { $0.startNs < $1.startNs }
        fleetMembers.sort { ($0.tNs, $0.cluster) < ($1.tNs, $1.cluster) }
        snapshotWarms.sort { ($0.endNs, $0.cluster) < ($1.endNs, $1.cluster) }
        snapshotIntervals.sort { $0.startNs < $1.startNs }
        snapshotFinals.sort { $0.startNs < $1.startNs }
        watchIntervals.sort { $0.startNs < $1.startNs }
        watchFinals.sort { $0.file < $1.file }
        teardownSteps.sort { ($0.endNs, $0.cluster, $0.step) < ($1.endNs, $1.cluster, $1.step) }
        churnTeardowns.sort { $0.startNs < $1.startNs }
        churnBootstraps.sort { $0.startNs < $1.startNs }
        firstRequests.sort { ($0.endNs, $0.cluster) < ($1.endNs, $1.cluster) }
        toolErrors.sort { ($0.tNs, $0.tool, $0.message) < ($1.tNs, $1.tool, $1.message) }
        missingFiles.sort()
        problems.sort()
    }
}
