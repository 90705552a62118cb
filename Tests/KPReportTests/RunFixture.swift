import Foundation
import KPRecords
import KPStats

/// A run directory in a temp folder, built from records; removed by `cleanup()`.
struct RunFixture {
    let dir: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("kpreport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        dir = base.path
    }

    /// Uses an existing directory (not removed by `cleanup()` of another fixture).
    init(at dir: String) { self.dir = dir }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    /// Writes records as JSON lines (replacing the file).
    func write(_ name: String, _ records: [Record]) throws {
        var data = Data()
        for r in records {
            data.append(try RecordCodec.encode(r))
            data.append(0x0A)
        }
        try data.write(to: URL(fileURLWithPath: path(name)))
    }

    /// Appends raw text to a file (for damaged lines).
    func append(_ name: String, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path(name)))
        try h.seekToEnd()
        h.write(Data(text.utf8))
        try h.close()
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func readBytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(name))) }
}

enum Fixtures {
    static let mib = 1_048_576.0
    static let s: Int64 = 1_000_000_000

    static func meta(scenario: String = "bootstrap", clusters: Int = 4, emulator: Bool = false) -> RunMetaRecord {
        var flags = ["clusters": "\(clusters)", "workers": "2", "warmup": "30s"]
        if emulator { flags["target"] = "kp-sim" }
        return RunMetaRecord(
            run: "\(scenario)-\(clusters)", scenario: scenario, startedAt: "2025-01-02T03:04:05.000Z", startNs: 0,
            host: HostInfo(
                hostname: "bench-1", cores: 8, memoryBytes: 32 << 30, kernel: "6.1.0",
                os: "Debian GNU/Linux 12 (bookworm)"),
            flags: flags)
    }

    static func end(_ status: String = "complete", phase: String = "report", reason: String? = nil, code: Int = 0)
        -> RunEndRecord
    {
        RunEndRecord(
            status: status, phase: phase, reason: reason, exitCode: code, endedAt: "2025-01-02T03:10:00.000Z",
            tNs: 400 * s)
    }

    static func endpoint(emulator: Bool = false) -> EndpointRecord {
        var e = EndpointRecord(
            url: "https://127.0.0.1:6443", caFile: "target/certs/ca.crt", tokenFile: "target/token",
            mode: emulator ? "sim" : "local",
            target: emulator ? "kp-sim" : "kplane-apiserver", emulator: emulator, launchedNs: 0,
            startedAt: "2025-01-02T03:04:05.000Z")
        e.targetVersion = "v1.32.0-kplane"
        e.targetArgs = ["/usr/local/bin/apiserver", "--secure-port=6443"]
        return e
    }

    static func sample(
        _ phase: String, t: Int64, cpu: Double?, heap: Double?, alloc: Double? = nil, rss: Double?, gor: Double?,
        fds: Double? = 50
    ) -> SampleRecord {
        var r = SampleRecord(tNs: t, phase: phase, source: "https://127.0.0.1:6443/metrics")
        r.cpuSeconds = cpu
        r.heapInuseBytes = heap
        r.heapAllocBytes = alloc ?? heap.map { $0 * 0.9 }
        r.rssBytes = rss
        r.goroutines = gor
        r.openFds = fds
        return r
    }

    /// Four clusters; readyz takes 10/20/30/40 ms, the other steps 5 ms each.
    static func bootstrapRecords(failOne: Bool = false) -> [Record] {
        var out: [Record] = []
        let t0: Int64 = 40 * s
        for (i, c) in ["c-000", "c-001", "c-002", "c-003"].enumerated() {
            var t = t0 + Int64(i) * 1_000_000
            let readyz = Int64(i + 1) * 10_000_000
            out.append(
                BootstrapStepRecord(
                    cluster: c, step: "readyz", startNs: t, endNs: t + readyz, attempts: i + 1, outcome: "ok",
                    statusCounts: ["200": 1, "503": i], retries: 0, error: nil
                ).record)
            t += readyz
            for step in ["namespace", "crd_create", "crd_established", "discovery"] {
                let failed = failOne && c == "c-003" && step == "crd_create"
                out.append(
                    BootstrapStepRecord(
                        cluster: c, step: step, startNs: t, endNs: t + 5_000_000, attempts: 1,
                        outcome: failed ? "failed" : "ok",
                        statusCounts: [failed ? "403" : "200": 1], retries: 0,
                        error: failed ? "POST crd: 403 Forbidden" : nil
                    ).record)
                t += 5_000_000
                if failed { break }
            }
        }
        out.append(
            BootstrapSummaryRecord(
                clusters: 4, ok: failOne ? 3 : 4, failed: failOne ? 1 : 0, workers: 2, startNs: t0, endNs: t0 + 2 * s,
                requests: 26, retriesByStatus: [:], interrupted: false,
                firstError: failOne ? "c-003 crd_create: 403" : nil
            ).record)
        return out
    }

    /// baseline t=30 s (cpu 10), post-bootstrap t=60 s (cpu 40), steady t=160 s (cpu 41).
    static func phaseSamples() -> [Record] {
        [
            sample("baseline", t: 30 * s, cpu: 10, heap: 100 * mib, rss: 250 * mib, gor: 200).record,
            sample("post-bootstrap", t: 60 * s, cpu: 40, heap: 120 * mib, rss: 600 * mib, gor: 240).record,
            sample("steady", t: 160 * s, cpu: 41, heap: 108 * mib, rss: 500 * mib, gor: 220, fds: 58).record,
        ]
    }

    /// A series sample inside the bootstrap window with RSS 700 MiB, and CPU 250 % between t=40 s and t=42 s.
    static func seriesSamples() -> [Record] {
        [
            sample("series", t: 25 * s, cpu: 9.5, heap: 100 * mib, rss: 250 * mib, gor: 200).record,
            sample("series", t: 40 * s, cpu: 12, heap: 100 * mib, rss: 260 * mib, gor: 200).record,
            sample("series", t: 42 * s, cpu: 17, heap: 150 * mib, rss: 700 * mib, gor: 260).record,
            sample("series", t: 50 * s, cpu: 18, heap: 120 * mib, rss: 620 * mib, gor: 240).record,
        ]
    }

    /// A complete bootstrap run.
    static func bootstrapRun(_ f: RunFixture, emulator: Bool = false, withEnd: Bool = true) throws {
        try f.write("meta.jsonl", [meta(emulator: emulator).record] + (withEnd ? [end().record] : []))
        try f.write("endpoint.json", [endpoint(emulator: emulator).record])
        try f.write("bootstrap.jsonl", bootstrapRecords())
        try f.write("samples.jsonl", phaseSamples())
        try f.write("timeseries.jsonl", seriesSamples())
    }

    static func histogram(_ valuesNs: [Int64]) -> HistogramWire {
        var h = LatencyHistogram()
        for v in valuesNs { h.record(v) }
        return h.wire
    }

    static func serverFamily(get: [Double], put: [Double]) -> MetricFamilyWire {
        let name = "apiserver_request_duration_seconds"
        var samples: [MetricSampleWire] = []
        for (verb, counts) in [("GET", get), ("PUT", put)] {
            for (le, c) in zip(["0.005", "0.025", "0.1", "+Inf"], counts) {
                samples.append(
                    MetricSampleWire(
                        name: name + "_bucket", labels: ["verb": verb, "resource": "memwidgets", "le": le],
                        value: PromValue(c)))
            }
            samples.append(
                MetricSampleWire(
                    name: name + "_count", labels: ["verb": verb, "resource": "memwidgets"],
                    value: PromValue(counts.last!)))
        }
        return MetricFamilyWire(name: name, type: "histogram", help: nil, samples: samples)
    }

    /// A complete mixed-hot run: load from t=170 s to t=290 s (120 s).
    static func mixedRun(_ f: RunFixture, generatorLimited: Bool = false) throws {
        try f.write("meta.jsonl", [meta(scenario: "mixed-hot").record, end().record])
        try f.write("endpoint.json", [endpoint().record])
        try f.write("bootstrap.jsonl", bootstrapRecords())
        var steady = sample("steady", t: 160 * s, cpu: 41, heap: 108 * mib, rss: 500 * mib, gor: 220)
        steady.families = [serverFamily(get: [10, 20, 30, 30], put: [0, 0, 0, 0])]
        // Post-load at t=300 s, 140 s after steady, with 14 more CPU seconds: 10 %.
        var postLoad = sample("post-load", t: 300 * s, cpu: 55, heap: 130 * mib, rss: 560 * mib, gor: 230)
        // Between the two scrapes: GET 100 more (40 ≤ 5 ms, 40 in (5, 25] ms, 20 in (25, 100] ms), PUT 50 in (5, 25] ms.
        postLoad.families = [serverFamily(get: [50, 100, 130, 130], put: [0, 50, 50, 50])]
        try f.write("samples.jsonl", Array(phaseSamples().prefix(2)) + [steady.record, postLoad.record])
        let ms: Int64 = 1_000_000
        let writeResponse = histogram((1...100).map { Int64($0) * ms })
        let readResponse = histogram((1...200).map { Int64($0) * ms / 2 })
        let ops = [
            OpWindow(
                op: "read", count: 200, errors: 2, byStatus: ["200": 198, "503": 2], conflicts: 0, retries: 0,
                response: readResponse, service: readResponse, bytesSent: 0, bytesReceived: 200_000),
            OpWindow(
                op: "write", count: 100, errors: 3, byStatus: ["200": 97, "409": 3], conflicts: 3, retries: 1,
                response: writeResponse, service: histogram((1...100).map { Int64($0) * ms / 2 }), bytesSent: 100_000,
                bytesReceived: 100_000),
        ]
        let final = LoadFinalRecord(
            startNs: 170 * s, endNs: 290 * s, targetRps: ["read": 2, "write": 1],
            achievedRps: ["read": 1.6667, "write": 0.8333],
            ops: ops,
            generator: GeneratorWindow(
                scheduleLag: histogram([1000, 2000, 3000]), inflightPeak: 7, backlog: 0, cpuSeconds: 6),
            perCluster: [
                ClusterLoadWire(
                    cluster: "c-000", op: "write", count: 50, errors: 0,
                    response: histogram((1...50).map { Int64($0) * ms })),
                ClusterLoadWire(
                    cluster: "c-001", op: "write", count: 50, errors: 0,
                    response: histogram((51...100).map { Int64($0) * ms })),
            ],
            generatorLimited: generatorLimited,
            generatorLimitReason: generatorLimited ? "schedule lag p99 2.5 s over 1 s" : nil,
            storedObjectBytes: 1400, interrupted: false, settings: ["hot-percent": "10"])
        try f.write("load.jsonl", [final.record])
    }
}
