import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

@Suite struct ReportSnapshotTests {
    static let mib = 1024.0 * 1024

    static func histogram(_ values: [Int64]) -> HistogramWire {
        var h = LatencyHistogram()
        for v in values { h.record(v) }
        return h.wire
    }

    /// Four VCPs warmed (one failed of five asked): heap 40 → 41 MiB, RSS 80 → 82 MiB, goroutines 100 → 116
    /// between pre-warm and post-warm; two kp-load shards of snapshot reads.
    static func snapshotRun(_ f: RunFixture) throws {
        let s = Fixtures.s
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "snapshot", emulator: true).record, Fixtures.end().record])
        try f.write("endpoint.json", [Fixtures.endpoint(emulator: true).record])
        try f.write("bootstrap.jsonl", Fixtures.bootstrapRecords())
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 30 * mib, rss: 70 * mib, gor: 90).record,
                Fixtures.sample("pre-warm", t: 50 * s, cpu: 12, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
                Fixtures.sample("post-warm", t: 55 * s, cpu: 13, heap: 41 * mib, rss: 82 * mib, gor: 116).record,
            ])
        var warms: [Record] = []
        for (i, c) in ["c-000", "c-001", "c-002", "c-003", "c-004"].enumerated() {
            let t = 51 * s + Int64(i) * 10_000_000
            let failed = i == 4
            warms.append(
                SnapshotWarmRecord(
                    cluster: c, status: failed ? "503" : "200", startNs: t, endNs: t + 2_000_000,
                    bytes: failed ? 0 : 3000, liveResources: failed ? nil : 4, resources: failed ? nil : 3,
                    items: failed ? 0 : 7, error: failed ? "busy" : nil
                ).record)
        }
        warms.append(
            SnapshotWarmSummaryRecord(
                clusters: 5, ok: 4, failed: 1,
                latency: histogram([2_000_000, 2_000_000, 2_000_000, 2_000_000, 2_000_000]),
                bytes: 12000, items: 28, startNs: 51 * s, endNs: 52 * s, interrupted: false
            ).record)
        try f.write("snapshot-warm.jsonl", warms)
        func final(_ count: Int64, errors: Int64, items: Int64, bytes: Int64) -> SnapshotFinalRecord {
            let window = SnapshotWindow(
                requests: OpWindow(
                    op: "snapshot", count: count, errors: errors,
                    byStatus: errors > 0 ? ["200": count - errors, "503": errors] : ["200": count], conflicts: 0,
                    retries: 0, response: histogram(Array(repeating: 3_000_000, count: Int(count))),
                    service: histogram(Array(repeating: 1_000_000, count: Int(count))), bytesSent: 0,
                    bytesReceived: bytes),
                items: items, maxItems: 12, maxBytes: 9000)
            return SnapshotFinalRecord(
                startNs: 60 * s, endNs: 70 * s, clusters: 1, ratePerCluster: 2, targetRps: 2, achievedRps: 2,
                warm: false, resources: ["configmaps"], window: window, scheduleLag: histogram([1000]),
                generatorLimited: false, interrupted: false)
        }
        try f.write("load-0-of-2.jsonl", [final(20, errors: 0, items: 200, bytes: 160_000).record])
        try f.write("load-1-of-2.jsonl", [final(20, errors: 4, items: 160, bytes: 128_000).record])
    }

    @Test func warmCostIsHandChecked() {
        let pre = Fixtures.sample("pre-warm", t: 1, cpu: nil, heap: 40 * Self.mib, rss: 80 * Self.mib, gor: 100)
        let post = Fixtures.sample("post-warm", t: 2, cpu: nil, heap: 41 * Self.mib, rss: 82 * Self.mib, gor: 116)
        let c = SnapshotWarmCost.compute(preWarm: pre, postWarm: post, vcps: 4)
        #expect(c.map(\.figure) == [.heapInuse, .rss, .goroutines])
        #expect(c.map(\.perVCP) == [Self.mib / 4, Self.mib / 2, 4])
        #expect(SnapshotWarmCost.compute(preWarm: pre, postWarm: post, vcps: 0).isEmpty)
    }

    @Test func snapshotSectionHasTheWarmPassTheCostAndTheReads() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Self.snapshotRun(f)
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("## Snapshot\n"))
        #expect(md.contains("4 of 5 VCPs warmed (`?warm=true`, one at a time), **1 failed**."))
        #expect(md.contains("| latency per VCP | 2.00 ms |"))
        #expect(md.contains("Per warmed VCP: 3000 bytes and 7.0 items in the answer."))
        #expect(md.contains("1 warms failed (503: 1); first: c-004: busy"))
        #expect(md.contains("N = 4 VCPs the warm pass warmed."))
        #expect(md.contains("| heap in-use | 40.0 MiB | 41.0 MiB | 256.0 KiB |"))
        #expect(md.contains("| RSS | 80.0 MiB | 82.0 MiB | 512.0 KiB |"))
        #expect(md.contains("| goroutines | 100 | 116 | 4.00 |"))
        // Two shards merged: 40 requests, 4 errors; 36 answers carried 360 items and 288,000 bytes.
        #expect(
            md.contains("40 requests (no `warm`, `resource=configmaps`), target 4.00 /s, achieved 4.00 /s, 4 errors."))
        #expect(md.contains("| response | 3.00 ms |"))
        #expect(md.contains("| service | 1.00 ms |"))
        #expect(md.contains("| bytes | 8,000 | 9,000 |"))
        #expect(md.contains("| items | 10.0 | 12 |"))
        #expect(md.contains("By status: 200: 36, 503: 4."))
        #expect(md.contains("These are kp-sim's figures, not kplane's."))
    }

    @Test func aRunWithoutSnapshotRecordsHasNoSection() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try f.write("meta.jsonl", [Fixtures.meta(scenario: "bootstrap").record, Fixtures.end().record])
        #expect(!Report(directory: f.dir).summaryMarkdown.contains("## Snapshot"))
    }
}
