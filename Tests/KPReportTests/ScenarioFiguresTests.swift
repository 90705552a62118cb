import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

/// The snapshot, watch-fanout and teardown scenarios' own figures (`Report.figures`) reach the run-set
/// views: a repeat set of three runs per scenario, each run with its own values (k = 3, 1, 2 for r1, r2,
/// r3, so the median is the k = 2 run's and no run's position decides it).
@Suite struct ScenarioFiguresTests {
    static let mib = 1_048_576.0
    static let s = Fixtures.s
    static let ms: Int64 = 1_000_000
    static let ks: [Double] = [3, 1, 2]

    /// Four VCPs warmed: heap +k MiB, RSS +2k MiB, goroutines +4k from pre-warm to post-warm; warms of k ms;
    /// 20 snapshot reads of 3k ms, k of them failed, 1000·k bytes per answer, achieved 2k /s.
    static func snapshotRun(_ dir: String, k: Double) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = RunFixture(at: dir)
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "snapshot", emulator: true).record, Fixtures.end().record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 30 * mib, rss: 70 * mib, gor: 90).record,
                Fixtures.sample("pre-warm", t: 50 * s, cpu: 12, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
                Fixtures.sample(
                    "post-warm", t: 55 * s, cpu: 13, heap: (40 + k) * mib, rss: (80 + 2 * k) * mib, gor: 100 + 4 * k
                ).record,
            ])
        try f.write(
            "snapshot-warm.jsonl",
            [
                SnapshotWarmSummaryRecord(
                    clusters: 4, ok: 4, failed: 0,
                    latency: Fixtures.histogram(Array(repeating: Int64(k) * ms, count: 4)),
                    bytes: 12000, items: 28, startNs: 51 * s, endNs: 52 * s, interrupted: false
                ).record
            ])
        let errors = Int64(k)
        let window = SnapshotWindow(
            requests: OpWindow(
                op: "snapshot", count: 20, errors: errors, byStatus: ["200": 20 - errors, "503": errors],
                conflicts: 0, retries: 0, response: Fixtures.histogram(Array(repeating: 3 * Int64(k) * ms, count: 20)),
                service: Fixtures.histogram(Array(repeating: Int64(k) * ms, count: 20)), bytesSent: 0,
                bytesReceived: (20 - errors) * 1000 * Int64(k)),
            items: 100, maxItems: 12, maxBytes: 9000)
        try f.write(
            "load.jsonl",
            [
                ReportWatchTests.loadFinal(writeMs: [10, 20]).record,
                SnapshotFinalRecord(
                    startNs: 60 * s, endNs: 70 * s, clusters: 2, ratePerCluster: 2, targetRps: 4, achievedRps: 2 * k,
                    warm: false, resources: [], window: window, scheduleLag: Fixtures.histogram([1000]),
                    generatorLimited: false, interrupted: false
                ).record,
            ])
    }

    /// 10 watch streams: heap +10k MiB, RSS +20k MiB, goroutines +100k from `load` to `load-watch`;
    /// deliveries of k ms; 100k events/s; k watches gone, k transport, 5 server timeouts, 10 stopped by kp-load.
    static func watchRun(_ dir: String, k: Double) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = RunFixture(at: dir)
        try f.write(
            "meta.jsonl", [Fixtures.meta(scenario: "watch-fanout", emulator: true).record, Fixtures.end().record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            Array(Fixtures.phaseSamples().prefix(3)) + [
                Fixtures.sample("load", t: 200 * s, cpu: 50, heap: 100 * mib, rss: 200 * mib, gor: 300).record,
                Fixtures.sample(
                    "load-watch", t: 300 * s, cpu: 60, heap: (100 + 10 * k) * mib, rss: (200 + 20 * k) * mib,
                    gor: 300 + 100 * k
                ).record,
            ])
        let delivery = Array(repeating: Int64(k) * ms, count: 50)
        let counts = WatchCounts(
            events: 50, matched: 50, unmatched: 0, bookmarks: 3,
            ends: ["gone": Int64(k), "transport": Int64(k), "server_end": 5], reestablished: 2 * Int64(k) + 5,
            lists: 10 + Int64(k), listErrors: 0, delivery: Fixtures.histogram(delivery),
            deliveryFromResponse: Fixtures.histogram(delivery), deliveryBeforeResponse: 0, stopped: 10)
        try f.write(
            "load.jsonl",
            [
                ReportWatchTests.loadFinal(writeMs: [10, 20]).record,
                WatchFinalRecord(
                    watchers: 10, watchersPerCluster: 5, clusters: 2, resources: ["memwidgets"], startNs: 200 * s,
                    endNs: 300 * s, eventsPerSecond: 100 * k, counts: counts, interrupted: false
                ).record,
            ])
    }

    /// Four VCPs, each costing 2 MiB heap, 2 MiB RSS, 10 goroutines; the teardown gives back k/4 MiB heap,
    /// no RSS and k goroutines per VCP, and takes k s.
    static func teardownRun(_ dir: String, k: Double) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = RunFixture(at: dir)
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "teardown", emulator: true).record, Fixtures.end().record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
                Fixtures.sample("steady", t: 60 * s, cpu: 20, heap: 48 * mib, rss: 88 * mib, gor: 140).record,
                Fixtures.sample(
                    "post-teardown", t: 90 * s, cpu: 21, heap: (48 - k) * mib, rss: 88 * mib, gor: 140 - 4 * k
                ).record,
            ])
        try f.write(
            "teardown.jsonl",
            [
                TeardownSummaryRecord(
                    clusters: 4, ok: 4, failed: 0, keysDeleted: 0, objectsDeleted: 8, etcd: "skipped",
                    skippedReason: "etcd not controlled by this run (mode url)", startNs: 70 * s,
                    endNs: 70 * s + Int64(k) * s, interrupted: false
                ).record
            ])
    }

    /// summary.csv of a three-run set built by `run`: key → (runs, median, min, max).
    static func setCSV(_ name: String, _ run: (String, Double) throws -> Void) throws -> [String: [Double]] {
        let root = try RunFixture()
        defer { root.cleanup() }
        for (i, k) in ks.enumerated() { try run(root.path("\(name)/r\(i + 1)"), k) }
        let set = RepeatSet(directory: root.path(name))
        #expect(set.members.valid.count == 3, "\(set.summaryMarkdown)")
        try set.write()
        var out: [String: [Double]] = [:]
        for line in try root.read("\(name)/summary.csv").split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            out[cells[0]] = cells.suffix(4).compactMap(Double.init)
        }
        return out
    }

    static func expect(
        _ csv: [String: [Double]], _ key: String, median: Double, min: Double, max: Double,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let row = csv[key] else {
            Issue.record("no \(key) in summary.csv: \(csv.keys.sorted())", sourceLocation: sourceLocation)
            return
        }
        #expect(row == [3, median, min, max], "\(key)", sourceLocation: sourceLocation)
    }

    @Test func snapshotFiguresReachTheRepeatSet() throws {
        let csv = try Self.setCSV("snapshot") { try Self.snapshotRun($0, k: $1) }
        let mib = Self.mib
        Self.expect(csv, "snapshot.warm_per_vcp.heap_inuse_bytes", median: mib / 2, min: mib / 4, max: 3 * mib / 4)
        Self.expect(csv, "snapshot.warm_per_vcp.rss_bytes", median: mib, min: mib / 2, max: 1.5 * mib)
        Self.expect(csv, "snapshot.warm_per_vcp.goroutines", median: 2, min: 1, max: 3)
        Self.expect(csv, "snapshot.warm_pass.latency_p50_ms", median: 2, min: 1, max: 3)
        Self.expect(csv, "snapshot.warm_pass.latency_p99_ms", median: 2, min: 1, max: 3)
        Self.expect(csv, "snapshot.reads.response_p50_ms", median: 6, min: 3, max: 9)
        Self.expect(csv, "snapshot.reads.response_p99_ms", median: 6, min: 3, max: 9)
        Self.expect(csv, "snapshot.reads.bytes_per_answer", median: 2000, min: 1000, max: 3000)
        Self.expect(csv, "snapshot.reads.achieved_rps", median: 4, min: 2, max: 6)
        Self.expect(csv, "snapshot.reads.errors", median: 2, min: 1, max: 3)
        #expect(!csv.keys.contains { $0.hasPrefix("snapshot.reads_warm.") }, "reads without warm=true only")
    }

    @Test func watchFiguresReachTheRepeatSet() throws {
        let csv = try Self.setCSV("watch") { try Self.watchRun($0, k: $1) }
        let mib = Self.mib
        Self.expect(csv, "watch.per_watcher.heap_inuse_bytes", median: 2 * mib, min: mib, max: 3 * mib)
        Self.expect(csv, "watch.per_watcher.rss_bytes", median: 4 * mib, min: 2 * mib, max: 6 * mib)
        Self.expect(csv, "watch.per_watcher.goroutines", median: 20, min: 10, max: 30)
        Self.expect(csv, "watch.delivery_p50_ms", median: 2, min: 1, max: 3)
        Self.expect(csv, "watch.delivery_p99_ms", median: 2, min: 1, max: 3)
        Self.expect(csv, "watch.events_per_second", median: 200, min: 100, max: 300)
        // gone + transport; neither the server's timeouts nor the 10 stopped by kp-load.
        Self.expect(csv, "watch.ends_abnormal", median: 4, min: 2, max: 6)
    }

    @Test func teardownFiguresReachTheRepeatSet() throws {
        let csv = try Self.setCSV("teardown") { try Self.teardownRun($0, k: $1) }
        let mib = Self.mib
        Self.expect(csv, "teardown.returned_per_vcp.heap_inuse_bytes", median: mib / 2, min: mib / 4, max: 3 * mib / 4)
        Self.expect(csv, "teardown.returned_percent.heap_inuse_bytes", median: 25, min: 12.5, max: 37.5)
        Self.expect(csv, "teardown.returned_per_vcp.rss_bytes", median: 0, min: 0, max: 0)
        Self.expect(csv, "teardown.returned_percent.rss_bytes", median: 0, min: 0, max: 0)
        Self.expect(csv, "teardown.returned_per_vcp.goroutines", median: 2, min: 1, max: 3)
        Self.expect(csv, "teardown.returned_percent.goroutines", median: 20, min: 10, max: 30)
        Self.expect(csv, "teardown.wall_seconds", median: 2, min: 1, max: 3)
    }

    /// Lower is better for memory, latency, errors and time; higher for rates and what a teardown gave back.
    @Test func polarities() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        try Self.snapshotRun(root.path("s"), k: 1)
        try Self.watchRun(root.path("w"), k: 1)
        try Self.teardownRun(root.path("t"), k: 1)
        var polarity: [String: FigureSpec.Polarity] = [:]
        for dir in ["s", "w", "t"] {
            for f in Report(directory: root.path(dir)).figures { polarity[f.spec.key] = f.spec.polarity }
        }
        let higher: Set = [
            "snapshot.reads.achieved_rps", "watch.events_per_second", "teardown.returned_per_vcp.heap_inuse_bytes",
            "teardown.returned_per_vcp.rss_bytes", "teardown.returned_per_vcp.goroutines",
            "teardown.returned_percent.heap_inuse_bytes", "teardown.returned_percent.rss_bytes",
            "teardown.returned_percent.goroutines",
        ]
        let own = polarity.keys.filter { key in ["snapshot.", "watch.", "teardown."].contains { key.hasPrefix($0) } }
        #expect(own.count == 24, "\(own.sorted())")
        for key in own {
            #expect(polarity[key] == (higher.contains(key) ? .higherIsBetter : .lowerIsBetter), "\(key)")
        }
    }

    /// The watch section says what the figure counts: abnormal ends apart from kp-load's own stop.
    @Test func watchSectionSeparatesAbnormalEndsFromKpLoadsStop() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        try Self.watchRun(root.path("w"), k: 2)
        let md = Report(directory: root.path("w")).summaryMarkdown
        #expect(md.contains("| watches ended: transport | 2 |"))
        #expect(md.contains("| watches ended abnormally (all but the server's timeout) | 4 |"))
        #expect(md.contains("| watches ended by kp-load's stop (not counted above) | 10 |"))
    }
}
