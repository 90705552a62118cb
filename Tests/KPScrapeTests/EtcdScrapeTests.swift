import Foundation
import KPLaunch
import KPPprof
import KPRecords
import KPTestSupport
import Testing

/// kp-scrape, the built tool, against a real Go server: Debian's etcd with `--enable-pprof`.
@Suite(.serialized) struct EtcdScrapeTests {
    /// The figures, extracted independently of KPPromText: the first line `<name> <value>` (no labels).
    static func independentFigure(_ name: String, in text: String) -> Double? {
        let regex = try! Regex("(?m)^" + name + " ([^ \\n]+)$")
        guard let m = text.firstMatch(of: regex), let value = m.output[1].substring else { return nil }
        return Double(value)
    }

    static var figureNames: [(String, KeyPath<SampleRecord, Double?>)] {
        [
            ("process_cpu_seconds_total", \.cpuSeconds), ("go_memstats_heap_inuse_bytes", \.heapInuseBytes),
            ("go_memstats_heap_alloc_bytes", \.heapAllocBytes), ("process_resident_memory_bytes", \.rssBytes),
            ("go_goroutines", \.goroutines), ("process_open_fds", \.openFds),
        ]
    }

    static func records(_ stdout: Data) throws -> [Record] {
        try stdout.split(separator: 0x0A).enumerated().map { i, line in
            try RecordCodec.decode(Data(line), location: "stdout:\(i + 1)")
        }
    }

    static func checkAgainstRaw(_ s: SampleRecord, rawDir: String) throws {
        let raw = try String(contentsOfFile: "\(rawDir)/metrics-\(s.phase)-\(s.tNs).prom", encoding: .utf8)
        for (name, field) in figureNames {
            let expected = try #require(independentFigure(name, in: raw), "etcd's /metrics has no unlabelled \(name)")
            #expect(s[keyPath: field] == expected, "\(name)")
        }
    }

    @Test func oneShotFiguresEqualEtcdsOwnTextAndTheHeapProfileParses() throws {
        let etcd = try TestEtcd(extraArgs: ["--enable-pprof"])
        let dir = try TempDir()
        let tool = try ProcessSupport.builtTool("kp-scrape")
        let r = try ProcessSupport.run(
            tool,
            [
                "--url", etcd.endpoint, "--phase", "post-bootstrap", "--scenario", "etcd", "--save-raw",
                dir.path + "/raw",
                "--pprof", dir.path + "/pprof", "--metric", "etcd_disk_wal_fsync_duration_seconds",
            ])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let records = try Self.records(r.stdout)
        #expect(records.map(\.kind) == [.sample, .profile, .profile])
        guard case .sample(let s) = records.first else {
            Issue.record("no sample")
            return
        }
        #expect(s.error == nil && s.missing == nil)
        #expect(s.source == etcd.endpoint + "/metrics")
        try Self.checkAgainstRaw(s, rawDir: dir.path + "/raw")
        let wal = try #require(s.families?.first)
        #expect(wal.name == "etcd_disk_wal_fsync_duration_seconds" && wal.type == "histogram")
        #expect(wal.samples.contains { $0.labels["le"] == "+Inf" })
        #expect(wal.samples.filter { $0.name.hasSuffix("_count") }.count == 1)

        let profiles = records.compactMap { if case .profile(let p) = $0 { p } else { nil } }
        #expect(profiles.map(\.status) == ["ok", "ok"])
        #expect(
            profiles.map(\.path) == [
                dir.path + "/pprof/heap-etcd-post-bootstrap.pb.gz",
                dir.path + "/pprof/goroutine-etcd-post-bootstrap.txt",
            ])
        let heapData = try Data(contentsOf: URL(fileURLWithPath: profiles[0].path!))
        #expect(profiles[0].bytes == heapData.count)
        let heap = try PprofProfile(data: heapData)
        #expect(heap.sampleTypes.map(\.type).contains("inuse_space"))
        let dump = try GoroutineDump(data: try Data(contentsOf: URL(fileURLWithPath: profiles[1].path!)))
        #expect(dump.total > 5)
    }

    @Test func continuousSamplesEachMatchTheirOwnScrape() throws {
        let etcd = try TestEtcd(extraArgs: ["--enable-pprof"])
        let dir = try TempDir()
        let tool = try ProcessSupport.builtTool("kp-scrape")
        let r = try ProcessSupport.run(
            tool, ["--url", etcd.endpoint, "--interval", "150ms", "--count", "3", "--save-raw", dir.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let samples = try Self.records(r.stdout).compactMap { if case .sample(let s) = $0 { s } else { nil } }
        #expect(samples.count == 3)
        #expect(samples.allSatisfy { $0.phase == "series" && $0.error == nil })
        for s in samples { try Self.checkAgainstRaw(s, rawDir: dir.path) }
        for (a, b) in zip(samples, samples.dropFirst()) {
            #expect(b.tNs - a.tNs >= 140_000_000)
            #expect((b.cpuSeconds ?? 0) >= (a.cpuSeconds ?? .infinity))
        }
    }

    @Test func aFailedOneShotScrapeIsARecordAndExit1() throws {
        let port = try PortProbe.freeLoopbackPort()
        let tool = try ProcessSupport.builtTool("kp-scrape")
        let r = try ProcessSupport.run(
            tool, ["--url", "http://127.0.0.1:\(port)", "--phase", "baseline", "--timeout", "2s"])
        #expect(r.status == 1)
        let records = try Self.records(r.stdout)
        guard records.count == 1, case .sample(let s) = records[0] else {
            Issue.record("expected one sample, got \(records)")
            return
        }
        #expect(s.error?.contains("refused") == true)
        #expect(s.goroutines == nil && s.rssBytes == nil)
    }

    @Test(arguments: [
        (["--count", "3"], "--count needs --interval"),
        (["--interval", "1s", "--pprof", "/tmp"], "--pprof saves one profile per phase"),
        (["--phase", "a/b"], "--phase 'a/b'"),
        (["--interval", "5"], "is not a duration"),
        ([String](), "one-shot mode needs --phase NAME"),
    ])
    func badInputIsOneLineAndExit2(extra: [String], fragment: String) throws {
        let tool = try ProcessSupport.builtTool("kp-scrape")
        let r = try ProcessSupport.run(tool, ["--url", "http://127.0.0.1:9"] + extra)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
    }

    @Test func aClusterURLIsRefused() throws {
        let tool = try ProcessSupport.builtTool("kp-scrape")
        let r = try ProcessSupport.run(tool, ["--url", "https://127.0.0.1:6443/clusters/c-001/control-plane"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("would create that VCP"))
    }
}
