import Foundation
import KPRecords
import KPStats
import Testing

@testable import KPReport

/// summary.md's `## Headline` per scenario, the per-hot-VCP load cost, the hot list and seed in the Run
/// table, and the same figures in result.json.
@Suite struct HeadlineTests {
    static let mib = Fixtures.mib
    static let s = Fixtures.s
    static let ms: Int64 = 1_000_000

    /// A load_final over `clusters` (one write row each) from `start` to `end` seconds: 2 writes/s
    /// target, 1.5 achieved, 10 writes of 1…10 ms, 1 of them failed.
    static func loadFinal(start: Int64, end: Int64, clusters: [String], seed: String? = nil) -> LoadFinalRecord {
        let h = Fixtures.histogram((1...10).map { Int64($0) * ms })
        var settings: [String: String] = [:]
        if let seed { settings["seed"] = seed }
        return LoadFinalRecord(
            startNs: start * s, endNs: end * s, targetRps: ["write": 2], achievedRps: ["write": 1.5],
            ops: [
                OpWindow(
                    op: "write", count: 10, errors: 1, byStatus: ["200": 9, "503": 1], conflicts: 0, retries: 0,
                    response: h, service: h, bytesSent: 0, bytesReceived: 0)
            ],
            generator: GeneratorWindow(
                scheduleLag: Fixtures.histogram([1000]), inflightPeak: 1, backlog: 0, cpuSeconds: 1),
            perCluster: clusters.map { ClusterLoadWire(cluster: $0, op: "write", count: 5, errors: 0, response: h) },
            generatorLimited: false, generatorLimitReason: nil, storedObjectBytes: 1400, interrupted: false,
            settings: settings)
    }

    static func figure(_ r: Report, _ key: String) -> HeadlineFigure? { r.headlineFigures.first { $0.spec.key == key } }

    /// mixed-hot: 4 VCPs, load on c-000 and c-001; steady → post-load: heap 108 → 130 MiB, RSS 500 → 560 MiB,
    /// goroutines 220 → 230, so per hot VCP 11 MiB, 30 MiB and 5 (per VCP over all 4 it would be half).
    @Test func mixedHotHeadlineAndPerHotVCPCost() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        var meta = Fixtures.meta(scenario: "mixed-hot")
        meta.flags["seed"] = "42"
        try f.write("meta.jsonl", [meta.record, Fixtures.end().record])
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown

        // Run table: the hot clusters of N and the seed (run_meta's, as load_final has none).
        #expect(md.contains("| hot clusters | 2 of 4: c-000, c-001 |"), "\(md)")
        #expect(md.contains("| load seed | 42 (chose the hot clusters) |"))

        // The seed's row keeps its columns; the scenario's figures follow.
        #expect(md.contains("| mixed-hot | 4 + 2.0m load | 2.0 s | 108.0 MiB |"))
        #expect(md.contains("| achieved / target rate | 2.5 / 3.0 ops/s | read 1.7 / 2.0, write 0.8 / 1.0 |"))
        #expect(md.contains("| errors | 1.67% | 5 of 300 reads + writes failed |"))
        #expect(md.contains("| load cost per hot VCP: heap in-use | 11.00 MiB | (post-load − steady) / 2 hot VCPs |"))
        #expect(md.contains("| load cost per hot VCP: RSS | 30.00 MiB | (post-load − steady) / 2 hot VCPs |"))
        #expect(md.contains("| load cost per hot VCP: goroutines | 5.00 | (post-load − steady) / 2 hot VCPs |"))
        let read = try #require(Self.figure(report, "load.read.response_p99_ms"))
        let write = try #require(Self.figure(report, "load.write.response_p99_ms"))
        // Reads of 0.5…100 ms, writes of 1…100 ms: p99 within HDR's 0.1 % of 99 ms.
        #expect(abs(read.value - 99) < 0.1 && abs(write.value - 99) < 0.1, "\(read.value) \(write.value)")
        #expect(md.contains("| read p99 | \(read.text) | response time (end − intended start) of 200 reads |"))

        // Per VCP: the hot column beside (phase − baseline) / N.
        #expect(
            md.contains(
                "| figure | post-bootstrap − baseline | steady − baseline | post-load − baseline | post-load − steady per hot VCP |"
            ))
        #expect(md.contains("| heap in-use KiB/VCP | 5120.0 | 2048.0 | 7680.0 | 11264.0 |"), "\(md)")
        #expect(md.contains("| goroutines/VCP | 10.000 | 5.000 | 7.500 | 5.000 |"))

        // result.json: the seed's row, then the scenario's figures; the hot list in full and the seed.
        let result = report.result(exitCodeNames: [:])
        let entries = try #require(result.headline)
        #expect(entries.first?.key == "bootstrap.wall_seconds")
        let rate = try #require(entries.first { $0.key == "load.achieved_rps" })
        #expect(rate.value == 2.5 && rate.target == 3 && rate.unit == "ops/s")
        let heap = try #require(entries.first { $0.key == "load.per_hot_vcp.heap_inuse_bytes" })
        #expect(heap.value == 11 * Self.mib && heap.unit == "bytes/VCP")
        #expect(entries.first { $0.key == "load.error_percent" }?.value == 1.666667)
        #expect(result.hotClusters == ["c-000", "c-001"] && result.loadSeed == "42")
        let json = PerfData.encode(result)
        #expect(json.contains("\"hot_clusters\" : [") && json.contains("\"load_seed\" : \"42\""))

        // The same figures reach comparisons.
        let figures = Dictionary(report.figures.map { ($0.spec.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(figures["load.per_hot_vcp.rss_bytes"] == 30 * Self.mib)
        #expect(figures["load.target_rps"] == 3 && abs((figures["load.achieved_rps"] ?? 0) - 2.5) < 1e-9)
    }

    /// The hot count comes from kp-load's hot_clusters_total when present; the list is cut after five names.
    @Test func hotListIsAbbreviated() throws {
        #expect(Report.abbreviatedList(["a", "b"], total: 2) == "a, b")
        let names = (0..<20).map { String(format: "c-%03d", $0) }
        #expect(Report.abbreviatedList(names, total: 20) == "c-000, c-001, c-002, c-003, c-004, … (15 more)")
        // More hot clusters than rows (a cluster without a row): the rest are counted.
        #expect(Report.abbreviatedList(["a", "b"], total: 4) == "a, b, … (2 more)")

        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        var final = Self.loadFinal(start: 170, end: 290, clusters: names, seed: "7")
        final.settings["hot_clusters_total"] = "20"
        try f.write("load.jsonl", [final.record])
        let md = Report(directory: f.dir).summaryMarkdown
        #expect(md.contains("| hot clusters | 20 of 4: c-000, c-001, c-002, c-003, c-004, … (15 more) |"), "\(md)")
        #expect(md.contains("| load seed | 7 (chose the hot clusters) |"))
        #expect(md.contains("(kp-load's hot_clusters_total)"))
    }

    /// Snapshot: the steady sample follows the warm pass and the load, and the headline says so; the load
    /// cost runs from post-warm (the sample before the load) to post-load.
    @Test func snapshotHeadline() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let dir = root.path("s")
        try ScenarioFiguresTests.snapshotRun(dir, k: 2)
        let f = RunFixture(at: dir)
        let mib = Self.mib
        let s = Self.s
        try f.write(
            "samples.jsonl",
            [
                Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 30 * mib, rss: 70 * mib, gor: 90).record,
                Fixtures.sample("pre-warm", t: 50 * s, cpu: 12, heap: 40 * mib, rss: 80 * mib, gor: 100).record,
                Fixtures.sample("post-warm", t: 55 * s, cpu: 13, heap: 42 * mib, rss: 84 * mib, gor: 108).record,
                Fixtures.sample("post-load", t: 180 * s, cpu: 20, heap: 46 * mib, rss: 90 * mib, gor: 108).record,
                Fixtures.sample("steady", t: 270 * s, cpu: 21, heap: 46 * mib, rss: 90 * mib, gor: 108).record,
            ])
        let old = try String(contentsOfFile: f.path("load.jsonl"), encoding: .utf8).split(separator: "\n")
        try f.write("load.jsonl", [Self.loadFinal(start: 56, end: 176, clusters: ["c-000", "c-002"]).record])
        try f.append("load.jsonl", old[1] + "\n")  // the snapshot_final
        let report = Report(directory: dir)
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "| scenario | clusters | bootstrap time | heap @ steady (after warm pass + load) | per-VCP heap | per-VCP RSS | per-VCP goroutines | idle CPU% (after warm pass + load) |"
            ), "\(md)")
        #expect(md.contains("| snapshot | 4 + 2.0m load with snapshot reads |"))
        #expect(md.contains("The steady sample is taken after the warm pass + load"))
        // First warm: heap +2 MiB, RSS +4 MiB, goroutines +8 over the 4 VCPs warmed.
        #expect(md.contains("| first-warm heap in-use per VCP | 0.50 MiB | (post-warm − pre-warm) / 4 VCPs warmed |"))
        #expect(md.contains("| first-warm RSS per VCP | 1.00 MiB |"))
        #expect(md.contains("| first-warm goroutines per VCP | 2.00 |"))
        // 20 snapshot reads of 6 ms.
        let p99 = try #require(Self.figure(report, "snapshot.reads.response_p99_ms"))
        #expect(abs(p99.value - 6) < 0.01)
        #expect(md.contains("| snapshot read p99 | \(p99.text) | response time of 20 snapshot reads under load |"))
        // Load cost: post-warm → post-load heap +4 MiB, RSS +6 MiB over 2 hot VCPs.
        #expect(md.contains("| load cost per hot VCP: heap in-use | 2.00 MiB | (post-load − post-warm) / 2 hot VCPs |"))
        #expect(md.contains("| load cost per hot VCP: RSS | 3.00 MiB |"))
        // The figures compared across runs say it too.
        let title = report.figures.first { $0.spec.key == "per_vcp.heap_inuse_bytes" }?.spec.title
        #expect(title == "per-VCP heap in-use (steady, after warm pass + load)")
    }

    /// Watch fan-out: both loads in the clusters cell, delivery p99 and the cost per watcher; the load cost
    /// covers both loads.
    @Test func watchFanoutHeadline() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let dir = root.path("w")
        try ScenarioFiguresTests.watchRun(dir, k: 1)
        let f = RunFixture(at: dir)
        try f.write("nowatch-load.jsonl", [Self.loadFinal(start: 170, end: 290, clusters: ["c-000", "c-001"]).record])
        let old = try String(contentsOfFile: f.path("load.jsonl"), encoding: .utf8).split(separator: "\n")
        try f.write("load.jsonl", [Self.loadFinal(start: 290, end: 410, clusters: ["c-000", "c-001"]).record])
        try f.append("load.jsonl", old[1] + "\n")  // the watch_final
        try f.append(
            "samples.jsonl",
            String(
                decoding: try RecordCodec.encode(
                    Fixtures.sample(
                        "post-load", t: 420 * Self.s, cpu: 70, heap: 128 * Self.mib, rss: 520 * Self.mib, gor: 230
                    )
                    .record), as: UTF8.self) + "\n")
        let report = Report(directory: dir)
        let md = report.summaryMarkdown
        #expect(md.contains("| watch-fanout | 4 + 2.0m load without watchers + 2.0m load with watchers |"), "\(md)")
        #expect(md.contains("| watch delivery p99 | 1.00 ms | from the Update's send, 50 events on 10 watch streams |"))
        #expect(md.contains("| heap in-use per watcher | 1.00 MiB | (load-watch − load) / 10 watch streams |"))
        #expect(md.contains("| RSS per watcher | 2.00 MiB |"))
        #expect(md.contains("| goroutines per watcher | 10.00 |"))
        // load.jsonl is the load with watchers.
        #expect(md.contains("| errors | 10.00% | 1 of 10 reads + writes failed (load with watchers) |"))
        // steady (108 MiB, 220) → post-load (128 MiB, 230) over 2 hot VCPs.
        #expect(
            md.contains(
                "| load cost per hot VCP: heap in-use | 10.00 MiB | (post-load − steady) / 2 hot VCPs, over the 2 loads |"
            ))
        #expect(md.contains("| load cost per hot VCP: goroutines | 5.00 |"))
    }

    /// Teardown: the share of the cost returned, per figure.
    @Test func teardownHeadline() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        try ScenarioFiguresTests.teardownRun(root.path("t"), k: 2)
        let report = Report(directory: root.path("t"))
        let md = report.summaryMarkdown
        #expect(
            md.contains(
                "| heap in-use returned | 25.0% | (steady − post-teardown) / (steady − baseline), 0.50 MiB of 2.00 MiB per VCP |"
            ), "\(md)")
        #expect(md.contains("| RSS returned | 0.0% |"))
        #expect(md.contains("| goroutines returned | 20.0% |"))
        #expect(Self.figure(report, "teardown.returned_percent.heap_inuse_bytes")?.spec.polarity == .higherIsBetter)
        #expect(!md.contains("| hot clusters |"))
    }

    /// fleet-bootstrap: the time from the Fleet create to all members Ready; none when they never were.
    @Test(arguments: [true, false]) func fleetHeadline(ready: Bool) throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try ReportFleetTests.fleetRun(f, ready: ready)
        let report = Report(directory: f.dir)
        let md = report.summaryMarkdown
        let row = "| time to all members Ready | 0.50 s | Fleet create sent → 4 of 4 members Ready (fleet_status) |"
        #expect(md.contains(row) == ready, "\(md)")
        #expect(report.figures.contains { $0.spec.key == "fleet.ready_seconds" && $0.value == 0.5 } == ready)
    }

    /// bootstrap: the seed's row only, in summary.md and result.json; no hot list.
    @Test func bootstrapHeadlineIsTheSeedRow() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        let report = Report(directory: f.dir)
        #expect(report.headlineFigures.isEmpty)
        let md = report.summaryMarkdown
        #expect(!md.contains("| bootstrap | value | from |") && !md.contains("| hot clusters |"))
        let result = report.result(exitCodeNames: [:])
        #expect(
            result.headline?.map(\.key) == [
                "bootstrap.wall_seconds", "steady.heap_inuse_bytes", "per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes",
                "per_vcp.goroutines", "steady.cpu_percent",
            ])
        #expect(result.headline?.first { $0.key == "per_vcp.heap_inuse_bytes" }?.value == 2 * Self.mib)
        #expect(result.hotClusters == nil && result.loadSeed == nil)
    }

    /// (after − before) / hot N for each figure both samples have; none without hot VCPs.
    @Test func hotVCPLoadCostArithmetic() {
        let before = Fixtures.sample("steady", t: 1, cpu: 1, heap: 100 * Self.mib, rss: 200 * Self.mib, gor: nil)
        let after = Fixtures.sample("post-load", t: 2, cpu: 2, heap: 130 * Self.mib, rss: 260 * Self.mib, gor: 50)
        let c = HotVCPLoadCost.compute(before: ("steady", before), after: ("post-load", after), hotVCPs: 20)
        #expect(c?.value(.heapInuse) == 1.5 * Self.mib)
        #expect(c?.value(.rss) == 3 * Self.mib)
        #expect(c?.value(.goroutines) == nil)
        #expect(c?.value(.openFds) == 0)
        #expect(HotVCPLoadCost.compute(before: ("steady", before), after: ("post-load", after), hotVCPs: 0) == nil)
    }
}
