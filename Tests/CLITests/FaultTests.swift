import Foundation
import KPRecords
import Testing

/// CI's share of the fault matrix (`make fault-matrix` runs all of it): representative faults,
/// each struck in one phase by scripts/fault-matrix.sh, then checked here again independently of
/// the script: the run_end record, the INCOMPLETE line, the target's log, the process table.
/// Two suites (the target's faults; lost measurements and signals), so `make test` runs them side by side.
enum FaultCells {
    struct Cell: CustomStringConvertible, Sendable {
        var id: String
        var exitCode: Int
        var phase: String
        var local = false
        var description: String { id }
    }

    static let targetFaults: [Cell] = [
        Cell(id: "crash:bootstrap", exitCode: 10, phase: "bootstrap"),
        Cell(id: "stall:warmup", exitCode: 11, phase: "warmup"),
        Cell(id: "503-burst:bootstrap", exitCode: 12, phase: "bootstrap"),
        Cell(id: "etcd-killed:bootstrap", exitCode: 13, phase: "bootstrap", local: true),
    ]
    static let measurementAndSignalFaults: [Cell] = [
        Cell(id: "metrics-malformed:post-bootstrap-settle", exitCode: 4, phase: "report"),
        Cell(id: "pprof-failing:steady-wait", exitCode: 4, phase: "report"),
        Cell(id: "sigint:warmup", exitCode: 130, phase: "warmup"),
        Cell(id: "sigterm:bootstrap", exitCode: 143, phase: "bootstrap"),
    ]

    static func check(_ cell: Cell) throws {
        if cell.local && !FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") {
            Issue.record("etcd is not installed: apt-get install etcd-server (make deps-test)")
            return
        }
        let out = try ToolRunner.tempDir("fault")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/fault-matrix.sh",
            ["--bin-dir", ToolRunner.binDir, "--out", out, "--only", cell.id, "--keep"], timeout: 240)
        #expect(r.status == 0, "fault-matrix \(cell.id) failed:\n\(r.stderr)")
        #expect(r.stdout.contains("✓ \(cell.exitCode)"), "table: \(r.stdout)")

        // Independent checks on what the script left.
        let dir = "\(out)/\(cell.id.replacingOccurrences(of: ":", with: "_"))/out/run"
        let end = try JSONLReader.read(path: "\(dir)/meta.jsonl").compactMap { item -> RunEndRecord? in
            if case .success(.runEnd(let e)) = item { return e } else { return nil }
        }.last
        let runEnd = try #require(end, "no run_end record in \(dir)/meta.jsonl")
        #expect(runEnd.exitCode == cell.exitCode)
        #expect(runEnd.phase == cell.phase)
        #expect(runEnd.status != "complete")
        #expect(!(runEnd.reason ?? "").isEmpty)
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("**INCOMPLETE:**"))
        #expect(summary.contains("exit code \(cell.exitCode)"))
        let log = try String(contentsOfFile: "\(dir)/logs/target.stderr.log", encoding: .utf8)
        #expect(!log.isEmpty)
        #expect(
            ProcessTable.alive(matching: out).isEmpty,
            "left running: \(ProcessTable.alive(matching: out).map(\.cmdline))")
    }
}

@Suite(.serialized) struct FaultSignalTests {
    @Test(arguments: FaultCells.measurementAndSignalFaults)
    func faultEndsTheDocumentedWay(_ cell: FaultCells.Cell) throws { try FaultCells.check(cell) }
}

@Suite(.serialized) struct FaultTests {
    @Test(arguments: FaultCells.targetFaults)
    func faultEndsTheDocumentedWay(_ cell: FaultCells.Cell) throws { try FaultCells.check(cell) }

    /// A damaged real run directory: kp-report reports what it can, names each skipped line, and never crashes.
    @Test func reportOnDamagedRealRun() throws {
        let out = try ToolRunner.tempDir("fault-damaged")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ToolRunner.run(
            "\(ToolRunner.binDir)/kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--out", out, "--run", "d", "--clusters", "3", "--workers",
                "3", "--warmup", "1s",
                "--post-bootstrap-settle", "1s", "--steady-wait", "1s", "--series-interval", "1s",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let dir = "\(out)/d"
        // Truncate the last line of samples.jsonl, corrupt a line of bootstrap.jsonl, add a record of a
        // newer schema to timeseries.jsonl, and remove load-less runs' optional file plus endpoint.json.
        var samples = try String(contentsOfFile: "\(dir)/samples.jsonl", encoding: .utf8)
        samples.removeLast(40)
        try samples.write(toFile: "\(dir)/samples.jsonl", atomically: true, encoding: .utf8)
        var boot = try String(contentsOfFile: "\(dir)/bootstrap.jsonl", encoding: .utf8).split(separator: "\n").map(
            String.init)
        boot[1] = "{\"kind\":\"bootstrap_step\",\"v\":1, this is not json"
        try (boot.joined(separator: "\n") + "\n").write(
            toFile: "\(dir)/bootstrap.jsonl", atomically: true, encoding: .utf8)
        let future = "{\"kind\":\"sample\",\"v\":999,\"t_ns\":1,\"phase\":\"series\",\"source\":\"x\"}\n"
        let ts = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/timeseries.jsonl"))
        try ts.seekToEnd()
        try ts.write(contentsOf: Data(future.utf8))
        try ts.close()
        try FileManager.default.removeItem(atPath: "\(dir)/endpoint.json")

        let fold = try ToolRunner.run("kp-report", [dir], timeout: 60)
        #expect(fold.status == 0, "kp-report crashed or failed on damaged input: \(fold.status) \(fold.stderr)")
        let summary = try String(contentsOfFile: "\(dir)/summary.md", encoding: .utf8)
        #expect(summary.contains("## Data problems"))
        #expect(summary.contains("bootstrap.jsonl:2"), "the corrupt line is not named by file and number")
        let sampleLines = samples.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(summary.contains("samples.jsonl:\(sampleLines)"), "the truncated last line is not named")
        #expect(summary.contains("timeseries.jsonl:"), "the newer-schema record is not named")
        #expect(summary.contains("endpoint.json"), "the missing file is not named")
        #expect(summary.contains("**Data problems:**"))
        // The tables it could still fill are there.
        #expect(summary.contains("post-bootstrap"))
    }
}
