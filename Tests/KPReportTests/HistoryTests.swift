import Foundation
import KPCore
import Testing

@testable import KPReport

/// The run history (docs/reports.md, "Run history"): rows from committed runs, the CSV, Apache Otava's
/// change points from the CSV and from a real PostgreSQL server.
@Suite(.serialized) struct HistoryTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let configPath = repoRoot + "/history/otava.yaml"
    static let otava = ExecutableSearch.find("otava")

    static func tempDir(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "kp-history-test-\(name)-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A seeded generator (SplitMix64), so the synthetic history is the same on every machine.
    struct Seeded {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        /// Uniform in value × (1 ± spread).
        mutating func around(_ value: Double, _ spread: Double) -> Double { value * (1 + spread * (2 * next() - 1)) }
    }

    static let stepCommit = "c0000000000000000000000000000000000000018"

    /// `runs` bootstrap-200 runs, one per commit, an hour apart: per-VCP heap 2.00 MiB ± 1 % (× 1.08 from
    /// run `step` on, when given), RSS, bootstrap time, idle CPU and goroutines with noise and no step.
    static func synthetic(runs: Int = 32, step: Int?) -> [HistoryRow] {
        var g = Seeded(state: 20_261_207)
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        return (0..<runs).map { i in
            let commit = String(format: "c%040d", i)
            let t = ISO8601DateFormatter().string(from: start.addingTimeInterval(Double(i) * 3600))
            var heap = g.around(2 * 1_048_576, 0.01)
            if let step, i >= step { heap *= 1.08 }
            let figures: [String: Double] = [
                "per_vcp.heap_inuse_bytes": heap.rounded(),
                "per_vcp.rss_bytes": g.around(2.1 * 1_048_576, 0.01).rounded(),
                "bootstrap.wall_seconds": g.around(12.3, 0.03),
                "steady.cpu_percent": g.around(3.5, 0.05),
                "per_vcp.goroutines": 2,
            ]
            var a: [String: String] = [:]
            for c in HistoryRow.attributeColumns { a[c] = "" }
            a["time"] = t
            a["run_id"] = "bootstrap-200@\(t)"
            a["run"] = "bootstrap-200"
            a["commit"] = commit
            a["kp_bench_commit"] = commit
            a["branch"] = "main"
            a["target"] = "kp-sim"
            a["scenario"] = "bootstrap"
            a["clusters"] = "200"
            a["host"] = "ci"
            a["run_dir"] = "runs/\(i)"
            return HistoryRow(
                attributes: a, figures: figures,
                figureOrder: [
                    "bootstrap.wall_seconds", "per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes", "per_vcp.goroutines",
                    "steady.cpu_percent",
                ])
        }
    }

    static func check(minChange: Double = 5, last: Int = 10) throws -> HistoryCheck {
        HistoryCheck(
            config: try HistoryOtavaConfig(path: configPath), minChangePercent: minChange, lastRuns: last,
            otava: otava ?? "otava")
    }

    // MARK: - rows from runs, the CSV

    /// Two committed runs of two scenarios give rows with their figures; adding them again adds nothing.
    @Test func committedRunsAppendOnceWithTheirFigures() throws {
        let dir = try Self.tempDir("append")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/history.csv"
        let runs = ["bootstrap-200", "mixed-hot-200"].map { "\(Self.repoRoot)/results/\($0)" }
        let rows = try runs.map { try HistoryRow.make(runDirectory: $0, branch: "main", relativeTo: dir) }
        let added = try HistoryFile.append(rows, to: csv)
        #expect(added.count == 2)
        let again = try HistoryFile.append(
            try runs.map { try HistoryRow.make(runDirectory: $0, branch: "main", relativeTo: dir) }, to: csv)
        #expect(again.isEmpty)
        let table = try HistoryFile.read(csv)
        #expect(table.rows.count == 2)
        #expect(Array(table.columns.prefix(HistoryRow.attributeColumns.count)) == HistoryRow.attributeColumns)
        let boot = try #require(table.rows.first { $0.scenario == "bootstrap" })
        let hot = try #require(table.rows.first { $0.scenario == "mixed-hot" })
        // The values result.json's headline holds for these runs.
        #expect(boot.figures["per_vcp.heap_inuse_bytes"] == 2_131_528.96)
        #expect(abs((boot.figures["bootstrap.wall_seconds"] ?? 0) - 12.284048) < 1e-6)
        #expect(boot.figures["load.achieved_rps"] == nil)
        #expect(boot["clusters"] == "200" && boot["target"] == "kp-sim" && boot["branch"] == "main")
        #expect(boot.runID == "bootstrap-200@2026-11-29T09:03:04.136Z")
        #expect(boot["run_dir"] == HistoryFile.relativePath(of: runs[0], from: dir))
        #expect(hot.figures["load.achieved_rps"] == 500)
        #expect(hot.figures["load.read.response_p99_ms"] != nil && hot.figures["load.read.response_p50_ms"] != nil)
        #expect(hot.figures["per_vcp.open_fds"] != nil || boot.figures["per_vcp.open_fds"] == nil)
        // A figure only one scenario has is an empty field in the other's line.
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        let col = try #require(table.columns.firstIndex(of: "load.achieved_rps"))
        let bootLine = try #require(lines.first { $0.contains("bootstrap-200@") })
        #expect(HistoryCSV.parse(String(bootLine))[0][col] == "")
        // Every figure the committed runs give has a direction in the checked-in config, the figure's own.
        let config = try HistoryOtavaConfig(path: Self.configPath)
        for c in table.figureColumns {
            #expect(config.directions[c] != nil, "\(c) has no direction in history/otava.yaml")
        }
        for f in Report(directory: runs[1]).figures {
            guard let d = config.directions[f.spec.key] else { continue }
            #expect(d == (f.spec.polarity == .lowerIsBetter ? -1 : 1), "\(f.spec.key)")
        }
    }

    /// The config's directions agree with the figures' own polarity (lower is better = -1).
    @Test func configDirectionsMatchFigurePolarity() throws {
        let config = try HistoryOtavaConfig(path: Self.configPath)
        // The scenarios whose own figures the other tests' runs do not have (a fold each: ~1.5 s).
        for dir in ["snapshot-200", "teardown-200", "watch-fanout-200"] {
            let report = Report(directory: "\(Self.repoRoot)/results/\(dir)")
            for f in report.figures {
                guard let d = config.directions[f.spec.key] else { continue }
                #expect(d == (f.spec.polarity == .lowerIsBetter ? -1 : 1), "\(f.spec.key)")
            }
        }
    }

    /// CSV fields with commas, quotes and line breaks read back as written.
    @Test func csvRoundTrip() throws {
        var rows = Self.synthetic(runs: 2, step: nil)
        rows[0].attributes["host"] = "a \"quoted\", host\nname"
        var t = HistoryTable()
        _ = t.append(rows)
        let back = try HistoryTable(csv: t.csv, source: "test")
        #expect(back == t)
        #expect(throws: HistoryError.self) { try HistoryTable(csv: "time,run_id\nx\n", source: "bad") }
        #expect(throws: HistoryError.self) { try HistoryTable(csv: "a,b\n1,2\n", source: "bad") }
    }

    // MARK: - Otava

    /// A 2 MiB per-VCP heap that grows 8 % from a known commit: one change point, at that commit, in
    /// per-VCP heap only, worse by more than 5 % and recent: the gate. Without the step: none.
    @Test(.enabled(if: otava != nil, "otava is not installed: run scripts/install-deps.sh test (PyPI apache-otava)"))
    func syntheticStepIsTheOneChangePoint() throws {
        var table = HistoryTable()
        _ = table.append(Self.synthetic(step: 24))
        let check = try Self.check()
        let o = try check.run(table: table)
        #expect(o.changePoints.count == 1, "\(check.lines(o))")
        let c = try #require(o.changePoints.first)
        #expect(c.metric == "per_vcp.heap_inuse_bytes")
        #expect(c.commit == String(format: "c%040d", 24))
        #expect(c.index == 24 && c.runsAgo == 8)
        #expect(c.changePercent > 6 && c.changePercent < 10)
        #expect(c.worse && c.gates && o.gating.count == 1)
        #expect(check.lines(o).last!.contains("REGRESSION"))
        // Gating needs it in the last runs: 8 runs ago is outside --last 5.
        #expect(try Self.check(last: 5).run(table: table).gating.isEmpty)

        var flat = HistoryTable()
        _ = flat.append(Self.synthetic(step: nil))
        let none = try check.run(table: flat)
        #expect(none.changePoints.isEmpty, "\(check.lines(none))")
        #expect(none.gating.isEmpty)
    }

    // MARK: - PostgreSQL

    /// A throw-away PostgreSQL cluster: rows written with psql (twice: no duplicate), read back, and
    /// Otava reading the table itself finds the same change point as from the CSV.
    @Test(
        .enabled(
            if: otava != nil && TestPostgres.binDir != nil,
            "otava or PostgreSQL's server is not installed: run scripts/install-deps.sh test (apache-otava, postgresql)"
        ))
    func postgresHistoryGivesTheSameChangePoints() throws {
        let pg = try TestPostgres.start()
        defer { pg.stop() }
        let store = try HistoryPostgres(dsn: pg.dsn)
        let rows = Self.synthetic(step: 24)
        let first = try store.append(Array(rows.prefix(20)))
        #expect(first.count == 20)
        let second = try store.append(rows)
        #expect(second.count == rows.count - 20)
        #expect(try store.append(rows).isEmpty)
        let back = try store.read()
        #expect(back.rows.count == rows.count)
        #expect(back.rows.map(\.runID) == rows.map(\.runID))
        #expect(back.rows[3].figures == rows[3].figures)

        let check = try Self.check()
        let fromPG = try check.run(table: back, postgres: store)
        var csv = HistoryTable()
        _ = csv.append(rows)
        let fromCSV = try check.run(table: csv)
        func key(_ o: HistoryCheck.Outcome) -> [String] {
            o.changePoints.map {
                "\($0.series) \($0.metric) \($0.commit) \($0.index) \(Format.fixed($0.changePercent, 2))"
            }
        }
        #expect(key(fromPG) == key(fromCSV))
        #expect(key(fromPG).count == 1 && fromPG.gating.count == 1, "\(check.lines(fromPG))")
    }
}

/// A PostgreSQL server for one test: initdb into a temporary folder, pg_ctl start on a free loopback
/// port with its unix socket in that folder, trust authentication on loopback only. As root (CI runs
/// .ci/run as root, and initdb refuses root) the server runs as the unprivileged `nobody` via setpriv.
/// ``stop()`` stops it and removes the folder; call it on every path (defer).
struct TestPostgres {
    static let binDir: String? = {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(base)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb")
        }
    }()

    var dir: String
    var port: Int
    var asUser: [String]
    var dsn: String { "postgresql://kpbench@127.0.0.1:\(port)/postgres" }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @discardableResult
    static func run(_ args: [String], _ what: String, cwd: String) throws -> HistoryProcess.Result {
        let r = HistoryProcess.run(
            args[0], Array(args.dropFirst()), environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
        guard r.status == 0 else {
            throw HistoryError("\(what) exit \(r.status): \(r.stderr.suffix(600)) \(r.stdout.suffix(300))")
        }
        return r
    }

    static func start() throws -> TestPostgres {
        let bin = binDir!
        let dir = NSTemporaryDirectory() + "kp-pg-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var asUser: [String] = []
        if getuid() == 0 {
            // initdb refuses root: the cluster belongs to nobody, who must be able to reach the folder.
            let nobody = getpwnam("nobody")
            guard let nobody else {
                throw HistoryError("running as root and there is no user 'nobody' to run PostgreSQL as")
            }
            _ = chown(dir, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
            asUser = [
                ExecutableSearch.find("setpriv") ?? "/usr/bin/setpriv", "--reuid=\(nobody.pointee.pw_uid)",
                "--regid=\(nobody.pointee.pw_gid)", "--clear-groups", "--",
            ]
        }
        let pg = TestPostgres(dir: dir, port: freePort(), asUser: asUser)
        do {
            try run(
                asUser + [
                    "\(bin)/initdb", "-D", "\(dir)/data", "-U", "kpbench", "--auth=trust", "--no-sync", "-E", "UTF8",
                    "--locale=C",
                ], "initdb", cwd: dir)
            let opts =
                "-c listen_addresses=127.0.0.1 -c port=\(pg.port) -c unix_socket_directories=\(dir) -c fsync=off -c shared_buffers=16MB"
            try run(
                asUser + [
                    "\(bin)/pg_ctl", "-D", "\(dir)/data", "-o", opts, "-l", "\(dir)/server.log", "-w", "-t", "60",
                    "start",
                ],
                "pg_ctl start", cwd: dir)
        } catch {
            pg.stop()
            throw error
        }
        return pg
    }

    func stop() {
        if let bin = Self.binDir, FileManager.default.fileExists(atPath: "\(dir)/data/postmaster.pid") {
            _ = HistoryProcess.run(
                (asUser + ["\(bin)/pg_ctl"]).first!,
                Array((asUser + ["\(bin)/pg_ctl", "-D", "\(dir)/data", "-m", "immediate", "-w", "stop"]).dropFirst()),
                environment: ProcessInfo.processInfo.environment, currentDirectory: dir)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
