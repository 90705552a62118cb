import Foundation
import Testing

/// `kp-report compare` and `kp-report sweep` end to end on kp-sim, whose per-VCP memory is set by
/// `--sim-vcp-memory-bytes`, so the verdicts and the fitted slope have a truth to be checked against.
///
/// Kept cheap: 10 clusters, 1 s phases, runs driven by kp-run directly, A/B/C interleaved
/// so drift on a busy machine hits every side alike. Assertions are about memory, which load on
/// the machine does not move; nothing is timed.
@Suite(.serialized) struct CompareSweepE2ETests {
    static let mib = 1_048_576.0

    /// One kp-sim bootstrap run into `out/run`.
    static func run(out: String, run: String, clusters: Int, vcpBytes: Int) throws {
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--out", out, "--run", run, "--clusters", "\(clusters)",
                "--workers", "4",
                "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s", "--series-interval", "1s",
                "--", "--sim-arg=--sim-vcp-memory-bytes=\(vcpBytes)",
            ],
            env: ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""], timeout: 180)
        #expect(r.status == 0, "kp-run \(out)/\(run) failed: \(r.stderr)")
    }

    /// compare.csv as figure → column → cell.
    static func csvRows(_ path: String) throws -> [String: [String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var out: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            // Titles hold no commas or quotes, so a plain split is exact here.
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            out[cells[0]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
        return out
    }

    @Test func compareCallsTwentyFivePercentMorePerVCPAndSweepFindsTheSlope() throws {
        let root = try ToolRunner.tempDir("cmp-e2e")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clusters = 10
        // A and C: 2 MiB per VCP; B: 2.5 MiB (25 % more). Interleaved A, B, C, A, B, C …
        for i in 1...4 {
            try Self.run(out: "\(root)/a", run: "r\(i)", clusters: clusters, vcpBytes: 2_097_152)
            try Self.run(out: "\(root)/b", run: "r\(i)", clusters: clusters, vcpBytes: 2_621_440)
            try Self.run(out: "\(root)/c", run: "r\(i)", clusters: clusters, vcpBytes: 2_097_152)
        }
        // The repeat set folds to each run's report plus the set view with median and spread.
        let fold = try ToolRunner.run("kp-report", ["\(root)/a"])
        #expect(fold.status == 0, "kp-report on the repeat set: \(fold.stderr)")
        let setView = try String(contentsOfFile: "\(root)/a/summary.md", encoding: .utf8)
        #expect(setView.contains("4 runs (r1, r2, r3, r4)") && setView.contains("per-VCP heap in-use (steady)"))
        #expect(
            try String(contentsOfFile: "\(root)/a/summary.csv", encoding: .utf8).contains("per_vcp.heap_inuse_bytes,"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/a/r4/summary.md"))

        let limits = "\(root)/t.yaml"
        try "version: 1\nfigures:\n  \"per_vcp.*\": {relative_percent: 10}\n".write(
            toFile: limits, atomically: true, encoding: .utf8)

        // 1. 2 MiB vs 2.5 MiB per VCP: heap and RSS per VCP worse, p < 0.05, exit 5 with a 10 % limit.
        let worse = try ToolRunner.run(
            "kp-report", ["compare", "--out", "\(root)/ab", "--thresholds", limits, "\(root)/a", "--", "\(root)/b"])
        #expect(worse.status == 5, "compare A B: \(worse.stderr)")
        let ab = try Self.csvRows("\(root)/ab/compare.csv")
        for key in ["per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes"] {
            let row = try #require(ab[key], "\(key) missing from compare.csv")
            let p = try #require(Double(row["p_value"] ?? ""))
            print(
                "e2e compare A(2 MiB) vs B(2.5 MiB) \(key): A \(row["a_median"]!) B \(row["b_median"]!) change \(row["change_percent"]!)% p \(p) \(row["verdict"]!) beyond \(row["beyond_limit"]!)"
            )
            #expect(row["verdict"] == "worse", "\(key): \(row)")
            #expect(p < 0.05)
            #expect(row["beyond_limit"] == "true")
            #expect(worse.stderr.contains("REGRESSION \(key):"))
        }
        #expect(worse.stdout.contains("per-VCP heap in-use (steady)"))
        #expect(try String(contentsOfFile: "\(root)/ab/compare.md", encoding: .utf8).contains("REGRESSION (exit 5)"))

        // 2. The same setting on both sides: nothing beyond its limit, exit 0.
        let same = try ToolRunner.run(
            "kp-report", ["compare", "--out", "\(root)/ac", "--thresholds", limits, "\(root)/a", "--", "\(root)/c"])
        #expect(same.status == 0, "compare A C: \(same.stdout)\n\(same.stderr)")
        let ac = try Self.csvRows("\(root)/ac/compare.csv")
        for key in ["per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes"] {
            let row = try #require(ac[key])
            print(
                "e2e compare A(2 MiB) vs C(2 MiB) \(key): A \(row["a_median"]!) C \(row["b_median"]!) change \(row["change_percent"]!)% p \(row["p_value"]!) \(row["verdict"]!)"
            )
            #expect(row["beyond_limit"] == "false")
        }

        // 3. Sweep over 4 sizes at 2 MiB per VCP (A's set is the N = 10 point).
        for n in [5, 20, 30] { try Self.run(out: root, run: "s\(n)", clusters: n, vcpBytes: 2_097_152) }
        let sweep = try ToolRunner.run(
            "kp-report", ["sweep", "--out", "\(root)/sweep", "\(root)/s5", "\(root)/a", "\(root)/s20", "\(root)/s30"])
        #expect(sweep.status == 0, "sweep: \(sweep.stderr)")
        let fits = try Self.csvRows("\(root)/sweep/sweep.csv")
        let heap = try #require(fits["heap_inuse_bytes"])
        let slope = try #require(Double(heap["slope_per_vcp"] ?? ""))
        let intercept = try #require(Double(heap["intercept"] ?? ""))
        let lo = try #require(Double(heap["intercept_ci_low"] ?? ""))
        let hi = try #require(Double(heap["intercept_ci_high"] ?? ""))
        let bmin = try #require(Double(heap["baseline_min"] ?? ""))
        let bmax = try #require(Double(heap["baseline_max"] ?? ""))
        print(
            "e2e sweep heap: slope \(slope) B/VCP (\(slope / (2 * Self.mib) * 100 - 100)% off 2 MiB), intercept \(intercept) [\(lo), \(hi)], baseline \(bmin) … \(bmax), R² \(heap["r_squared"]!)"
        )
        #expect(abs(slope - 2 * Self.mib) / (2 * Self.mib) < 0.05, "slope \(slope)")
        // The fixed cost sits at the baseline (the process before any VCP) plus what the bootstrap
        // itself leaves behind once (connections, CRD storage: ~0.15 MiB on kp-sim), so its interval
        // must reach the baseline's range widened by 20 %.
        #expect(lo <= bmax * 1.2 && hi >= bmin * 0.8, "intercept [\(lo), \(hi)] vs baseline \(bmin) … \(bmax)")
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
