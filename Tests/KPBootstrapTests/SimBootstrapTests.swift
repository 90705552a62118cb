import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

/// End to end against the emulator: the library with the real libcurl client, and the built kp-bootstrap.
@Suite(.serialized) struct SimBootstrapTests {
    static func records(_ stdout: Data) throws -> [Record] {
        try stdout.split(separator: 0x0A).enumerated().map { i, line in
            try RecordCodec.decode(Data(line), location: "stdout:\(i + 1)")
        }
    }

    @Test func fiveClustersBootstrapEndToEndWithTheLibrary() async throws {
        let sim = try SimProcess()
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(caFile: sim.caFile, tokenFile: sim.tokenFile))
        let names = try ClusterNames.expand(format: "c-%03d", count: 5)
        let collected = Collected()
        let bootstrapper = Bootstrapper(
            configuration: BootstrapConfiguration(baseURL: sim.url, clusters: names, workers: 2), transport: client,
            onStep: { r in collected.steps.withLock { $0.append(r) } })
        let summary = await bootstrapper.run()
        #expect(summary.ok == 5 && summary.failed == 0 && !summary.interrupted, "\(summary.firstError ?? "")")
        let steps = collected.stepRecords
        #expect(steps.count == 25)
        #expect(steps.allSatisfy { $0.outcome == "ok" })
        #expect(Set(steps.map(\.cluster)) == Set(names))
        // The namespace and the CRD's Established condition appear after the emulator's delays: polled, not assumed.
        #expect(steps.filter { $0.step == "namespace" }.contains { $0.attempts > 1 })
        #expect(steps.filter { $0.step == "crd_established" }.contains { $0.attempts > 1 })
        #expect(summary.requests == steps.reduce(0) { $0 + $1.attempts })

        // The declared schema keeps spec.data (kp-load's payload survives pruning): create a TestWidget
        // and read it back.
        let b =
            "\(sim.url)/clusters/c-000/control-plane/apis/\(TestCRD.group(for: "c-000"))/v1/namespaces/default/memwidgets"
        let widget =
            #"{"apiVersion":"mem-c-000.kplane.dev/v1","kind":"TestWidget","metadata":{"name":"w1"},"spec":{"data":"payload-123"}}"#
        let created = try await client.send(
            HTTPRequest(
                method: "POST", url: b, headers: [("Content-Type", "application/json")], body: Data(widget.utf8)))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let got = try await client.send(HTTPRequest(url: b + "/w1"))
        let obj = try JSONSerialization.jsonObject(with: got.body) as? [String: Any]
        #expect((obj?["spec"] as? [String: Any])?["data"] as? String == "payload-123")
    }

    @Test func theToolStreamsRecordsAndTheSummaryThenReusesClustersOnlyWithAllowExisting() throws {
        let sim = try SimProcess()
        let tool = try BuiltTools.path("kp-bootstrap")
        let target = ["--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile]
        let first = try BuiltTools.run(tool, target + ["--clusters", "5", "--workers", "3"])
        #expect(first.status == 0, "\(first.stderr)")
        let records = try Self.records(first.stdout)
        #expect(records.count == 26)
        guard case .bootstrapSummary(let summary) = records.last else {
            Issue.record("last record is not the summary")
            return
        }
        #expect(summary.clusters == 5 && summary.ok == 5 && summary.workers == 3 && !summary.interrupted)
        #expect(
            records.dropLast().allSatisfy { if case .bootstrapStep(let s) = $0 { s.outcome == "ok" } else { false } })

        // Same names again: the CRDs exist. Without --allow-existing that is a failure (exit 1, one line per cluster).
        let again = try BuiltTools.run(tool, target + ["--names", "c-000,c-001"])
        #expect(again.status == 1)
        let steps = try Self.records(again.stdout).compactMap { if case .bootstrapStep(let s) = $0 { s } else { nil } }
        #expect(
            steps.filter { $0.step == "crd_create" }.allSatisfy {
                $0.outcome == "failed" && $0.statusCounts == ["409": 1]
            })
        #expect(again.stderr.contains("c-000: crd_create failed") && again.stderr.contains("c-001: crd_create failed"))
        #expect(again.stderr.contains("--allow-existing"))

        let reused = try BuiltTools.run(tool, target + ["--names", "c-000,c-001", "--allow-existing"])
        #expect(reused.status == 0, "\(reused.stderr)")
    }

    @Test func theEndpointRecordCanComeOnStdin() throws {
        let sim = try SimProcess()
        let tool = try BuiltTools.path("kp-bootstrap")
        var endpoint = EndpointRecord(
            url: sim.url, caFile: sim.caFile, tokenFile: sim.tokenFile, mode: "sim", target: "kp-sim", emulator: true,
            launchedNs: MonotonicClock.now(), startedAt: WallClock.now())
        endpoint.pid = nil
        var line = try RecordCodec.encode(endpoint.record)
        line.append(0x0A)
        let r = try BuiltTools.run(
            tool, ["--endpoint", "-", "--clusters", "2", "--name-format", "stdin-%d"], stdin: line)
        #expect(r.status == 0, "\(r.stderr)")
        let steps = try Self.records(r.stdout).compactMap {
            if case .bootstrapStep(let s) = $0 { s.cluster } else { nil }
        }
        #expect(Set(steps) == ["stdin-0", "stdin-1"])
    }

    @Test func sigintWritesTheSummaryWithInterruptedAndExits130() throws {
        let sim = try SimProcess(extraArgs: ["--sim-namespace-delay=3s"])
        let tool = try BuiltTools.path("kp-bootstrap")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = [
            "--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile, "--clusters", "50", "--workers",
            "4",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        // Signal once all four workers have passed readyz and are polling the (3 s late) namespace.
        var data = Data()
        let deadline = Date().addingTimeInterval(30)
        while data.split(separator: 0x0A).filter({ String(decoding: $0, as: UTF8.self).contains(#""step":"readyz""#) })
            .count < 4
            && Date() < deadline
        {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        kill(p.processIdentifier, SIGINT)
        data.append(out.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let records = try Self.records(data)
        guard case .bootstrapSummary(let summary) = records.last else {
            Issue.record("no summary after SIGINT")
            return
        }
        #expect(summary.interrupted && summary.clusters == 50 && summary.ok == 0 && summary.failed == 0)
        let interrupted = records.compactMap {
            if case .bootstrapStep(let s) = $0, s.outcome == "interrupted" { s } else { nil }
        }
        #expect(interrupted.count == 4)
        #expect(interrupted.allSatisfy { $0.step == "namespace" })
    }

    @Test func aWrongTokenFailsEveryClusterAtOnce() throws {
        let sim = try SimProcess()
        let tool = try BuiltTools.path("kp-bootstrap")
        let bad = sim.dir + "/bad-token"
        try "not-the-token".write(toFile: bad, atomically: true, encoding: .utf8)
        let start = Date()
        let r = try BuiltTools.run(
            tool, ["--url", sim.url, "--token-file", bad, "--ca-file", sim.caFile, "--clusters", "3"])
        #expect(r.status == 1)
        #expect(Date().timeIntervalSince(start) < 10)
        let steps = try Self.records(r.stdout).compactMap { if case .bootstrapStep(let s) = $0 { s } else { nil } }
        #expect(
            steps.count == 3
                && steps.allSatisfy { $0.step == "readyz" && $0.outcome == "failed" && $0.statusCounts == ["401": 1] })
    }

    @Test func injected429sAndResetsAreRetriedAndCounted() throws {
        let sim = try SimProcess(extraArgs: [
            "--sim-seed=7", "--fault-error-rate=0.25", "--fault-error-status=429", "--fault-reset-rate=0.05",
        ])
        let tool = try BuiltTools.path("kp-bootstrap")
        let r = try BuiltTools.run(
            tool,
            [
                "--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile, "--clusters", "8",
                "--workers", "4",
                "--backoff-base", "20ms", "--backoff-cap", "200ms",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try Self.records(r.stdout)
        guard case .bootstrapSummary(let summary) = records.last else {
            Issue.record("no summary")
            return
        }
        #expect(summary.ok == 8)
        let steps = records.compactMap { if case .bootstrapStep(let s) = $0 { s } else { nil } }
        let retried = steps.reduce(0) { $0 + $1.retries }
        #expect(retried > 0)
        #expect(summary.retriesByStatus["429"] == retried)
        #expect(steps.reduce(0) { $0 + ($1.statusCounts["429"] ?? 0) } == retried)
        #expect(summary.requests == steps.reduce(0) { $0 + $1.attempts })
    }

    @Test func helpExitsZeroAndDocumentsTheSchemaDifference() throws {
        let r = try BuiltTools.run(try BuiltTools.path("kp-bootstrap"), ["--help"])
        #expect(r.status == 0)
        let text = String(decoding: r.stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(
            separator: " ")
        #expect(text.contains("schema declares spec.data"))
        #expect(text.contains("the test's schema is {type: object}"))
        #expect(text.contains("(default: 500ms)"))
    }

    @Test(arguments: [
        (["--clusters", "0"], "--clusters must be at least 1 (got 0)"),
        (["--names", "a,a"], "--names lists 'a' twice"),
        (["--name-format", "c-%s"], "unsupported verb"),
        (["--backoff-base", "2s", "--backoff-cap", "1s"], "must not be shorter than --backoff-base"),
        (["--readyz-deadline", "0s"], "--readyz-deadline must be longer than 0"),
    ])
    func badInputIsOneLineAndExit2(extra: [String], fragment: String) throws {
        let r = try BuiltTools.run(try BuiltTools.path("kp-bootstrap"), ["--url", "http://127.0.0.1:9"] + extra)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(fragment), "\(r.stderr)")
    }
}
