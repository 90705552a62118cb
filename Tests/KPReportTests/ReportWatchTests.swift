import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

@Suite struct ReportWatchTests {
    static let mib = 1024.0 * 1024

    static func counts(events: Int64, delivery: [Int64], ends: [String: Int64], reestablished: Int64) -> WatchCounts {
        WatchCounts(
            events: events, matched: Int64(delivery.count), unmatched: events - Int64(delivery.count), bookmarks: 5,
            ends: ends, reestablished: reestablished, lists: 4, listErrors: 0,
            delivery: Fixtures.histogram(delivery), deliveryFromResponse: Fixtures.histogram(delivery.map { $0 / 2 }),
            deliveryBeforeResponse: 1)
    }

    /// Two kp-load shards, 20 watch streams each (10 per cluster × 2 clusters); the `load-watch` sample has
    /// 40 MiB more heap, 80 MiB more RSS and 400 more goroutines than the `load` one: 1 MiB, 2 MiB, 10 per watcher.
    static func watchRun(_ f: RunFixture, shardFinals: Bool = true) throws {
        let s = Fixtures.s
        try f.write(
            "meta.jsonl", [Fixtures.meta(scenario: "watch-fanout", emulator: true).record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint(emulator: true).record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            Array(Fixtures.phaseSamples().prefix(3)) + [
                Fixtures.sample("load", t: 200 * s, cpu: 50, heap: 100 * mib, rss: 200 * mib, gor: 300).record,
                Fixtures.sample("load-watch", t: 300 * s, cpu: 60, heap: 140 * mib, rss: 280 * mib, gor: 700).record,
            ])
        let ms: Int64 = 1_000_000
        for i in 0..<2 {
            let c = counts(
                events: 101, delivery: (1...100).map { Int64($0 + 100 * i) * ms }, ends: i == 0 ? ["gone": 2] : [:],
                reestablished: i == 0 ? 2 : 0)
            var records: [Record] = [
                WatchIntervalRecord(startNs: 250 * s, endNs: 251 * s, open: 20, counts: c).record
            ]
            if shardFinals || i == 0 {
                records.append(
                    WatchFinalRecord(
                        watchers: 20, watchersPerCluster: 10, clusters: 2, resources: ["memwidgets"], startNs: 250 * s,
                        endNs: 350 * s, eventsPerSecond: 1.01, counts: c, interrupted: false
                    ).record)
            }
            try f.write("load-\(i)-of-2.jsonl", records)
        }
    }

    @Test func shardsMergeAndPerWatcherFiguresAreHandChecked() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.watchRun(f)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("## Watch fan-out\n"))
        #expect(md.contains("40 watch streams (10 per hot cluster and resource × 4 hot clusters × memwidgets)"))
        #expect(md.contains("| events (ADDED / MODIFIED / DELETED) | 202 |"))
        #expect(md.contains("| events per second | 2.0 |"))
        #expect(md.contains("| matched to an Update by resourceVersion | 200 |"))
        #expect(md.contains("| watches ended: gone | 2 |"))
        #expect(md.contains("| watches re-established | 2 |"))
        // 1…200 ms merged: p50 100 ms, max 200 ms (HDR, 3 significant digits).
        #expect(md.contains("| from the Update's send | 200 | 100.0 ms |"))
        #expect(md.contains("- heap in-use: 1024.0 KiB per watcher"))
        #expect(md.contains("- RSS: 2048.0 KiB per watcher"))
        #expect(md.contains("- goroutines: 10.00 per watcher"))
        #expect(md.contains("These are kp-sim's figures, not kplane's."))
    }

    static func loadFinal(writeMs: [Int64]) -> LoadFinalRecord {
        let ms: Int64 = 1_000_000
        let h = Fixtures.histogram(writeMs.map { $0 * ms })
        return LoadFinalRecord(
            startNs: 1, endNs: 2, targetRps: ["write": 1], achievedRps: ["write": 1],
            ops: [
                OpWindow(
                    op: "write", count: Int64(writeMs.count), errors: 0, byStatus: ["200": Int64(writeMs.count)],
                    conflicts: 0, retries: 0, response: h, service: h, bytesSent: 0, bytesReceived: 0)
            ],
            generator: GeneratorWindow(
                scheduleLag: Fixtures.histogram([1000]), inflightPeak: 1, backlog: 0, cpuSeconds: 1),
            perCluster: [], generatorLimited: false, generatorLimitReason: nil, storedObjectBytes: 1400,
            interrupted: false, settings: [:])
    }

    /// The phase without watchers (nowatch-load.jsonl: writes of 1…100 ms) beside the one with them
    /// (load.jsonl: 11…110 ms); its intervals and final never count as the run's load.
    @Test func writersWithoutAndWithWatchersSideBySide() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.watchRun(f)
        for name in ["load-0-of-2.jsonl", "load-1-of-2.jsonl"] {
            try FileManager.default.removeItem(atPath: "\(f.dir)/\(name)")
        }
        let c = Self.counts(events: 1, delivery: [1_000_000], ends: [:], reestablished: 0)
        try f.write(
            "load.jsonl",
            [
                Self.loadFinal(writeMs: (11...110).map { Int64($0) }).record,
                WatchFinalRecord(
                    watchers: 20, watchersPerCluster: 10, clusters: 2, resources: ["memwidgets"], startNs: 1, endNs: 2,
                    eventsPerSecond: 1, counts: c, interrupted: false
                ).record,
            ])
        try f.write("nowatch-load.jsonl", [Self.loadFinal(writeMs: (1...100).map { Int64($0) }).record])
        let report = Report(directory: f.dir)
        #expect(report.data.nowatchLoadFinals.count == 1)
        #expect(report.data.loadFinal?.ops.first?.count == 100)
        let md = report.summaryMarkdown
        #expect(md.contains("| write | 50.00 ms | 99.02 ms | 60.03 ms | 109.1 ms |"), "\(md)")
    }

    @Test func aShardWithoutWatchFinalIsNamed() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.watchRun(f, shardFinals: false)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("**Missing:** no watch_final in load-1-of-2.jsonl"))
        #expect(md.contains("20 watch streams"))
    }
}
