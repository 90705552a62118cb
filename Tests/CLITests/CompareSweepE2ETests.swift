import Foundation
import Testing

/// kp-run's sweep and compare-bins end to end on kp-sim, whose per-VCP memory is set by
/// `--sim-vcp-memory-bytes`, so the fitted slope and the A/B ratio have a truth to be checked against.
///
/// The statistics (Mann–Whitney p, thresholds, the fit's intervals) are tested on fixtures in
/// KPReportTests.CompareTests; this suite checks that real runs feed them the right figures: five
/// kp-sim runs of 4–16 clusters with 1 s phases. Assertions are about memory, which load on the
/// machine does not move; nothing is timed.
@Suite(.serialized) struct CompareSweepE2ETests {
    static let mib = 1_048_576.0
    static let env = ["APISERVER_BIN": "", "APISERVER_DIR": "", "APISERVER_URL": ""]
    static let phases = [
        "--workers", "4", "--warmup", "1s", "--post-bootstrap-settle", "1s", "--steady-wait", "1s",
        "--series-interval", "1s",
    ]

    /// compare.csv / sweep.csv as first column → column → cell.
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

    /// `make sweep`'s path: one kp-sim run per size at 2 MiB per VCP, then kp-report sweep's fit.
    @Test func sweepFindsTheSlope() throws {
        let root = try ToolRunner.tempDir("sweep-e2e")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try ToolRunner.run(
            "kp-run",
            ["--bin-dir", ToolRunner.binDir, "--sim", "--out", root, "--run", "sw", "--sizes", "4 10 16"] + Self.phases
                + ["--", "--sim-arg=--sim-vcp-memory-bytes=2097152"],
            env: Self.env, timeout: 240)
        #expect(r.status == 0, "kp-run --sizes: \(r.stderr)")
        for n in [4, 10, 16] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/sw/n\(n)/summary.md"), "n\(n)")
        }
        let fits = try Self.csvRows("\(root)/sw/sweep.csv")
        let heap = try #require(fits["heap_inuse_bytes"])
        let slope = try #require(Double(heap["slope_per_vcp"] ?? ""))
        let lo = try #require(Double(heap["intercept_ci_low"] ?? ""))
        let hi = try #require(Double(heap["intercept_ci_high"] ?? ""))
        let bmin = try #require(Double(heap["baseline_min"] ?? ""))
        let bmax = try #require(Double(heap["baseline_max"] ?? ""))
        print("e2e sweep heap: slope \(slope) B/VCP, intercept [\(lo), \(hi)], baseline \(bmin) … \(bmax)")
        #expect(abs(slope - 2 * Self.mib) / (2 * Self.mib) < 0.05, "slope \(slope)")
        // The fixed cost sits at the baseline (the process before any VCP) plus what the bootstrap
        // itself leaves behind once (connections, CRD storage: ~0.15 MiB on kp-sim), so its interval
        // must reach the baseline's range widened by 20 %.
        #expect(lo <= bmax * 1.2 && hi >= bmin * 0.8, "intercept [\(lo), \(hi)] vs baseline \(bmin) … \(bmax)")
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }

    /// `make compare-bins SIM=1`'s path: A at 2 MiB and B at 2.5 MiB per VCP, interleaved, then kp-report
    /// compare: B's per-VCP heap and RSS medians are 25 % above A's, and one run a side is named as too
    /// few for a verdict.
    @Test func compareBinsSeesTwentyFivePercentMorePerVCP() throws {
        let root = try ToolRunner.tempDir("cmp-e2e")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try ToolRunner.run(
            "kp-run",
            [
                "--bin-dir", ToolRunner.binDir, "--sim", "--out", root, "--run", "ab", "--clusters", "12",
                "--a-sim-args", "--sim-vcp-memory-bytes=2097152", "--b-sim-args", "--sim-vcp-memory-bytes=2621440",
            ] + Self.phases,
            env: Self.env, timeout: 240)
        #expect(r.status == 0, "kp-run compare: \(r.stderr)")
        let rows = try Self.csvRows("\(root)/ab/compare.csv")
        for key in ["per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes"] {
            let row = try #require(rows[key], "\(key) missing from compare.csv")
            let a = try #require(Double(row["a_median"] ?? ""))
            let b = try #require(Double(row["b_median"] ?? ""))
            print("e2e compare \(key): A \(a) B \(b) ratio \(b / a) verdict \(row["verdict"] ?? "")")
            // Heap carries the knob alone; RSS carries about 0.2 MiB more per VCP on both sides.
            let range = key == "per_vcp.heap_inuse_bytes" ? 1.20...1.30 : 1.15...1.30
            #expect(range.contains(b / a), "\(key): B/A \(b / a)")
        }
        let md = try String(contentsOfFile: "\(root)/ab/compare.md", encoding: .utf8)
        #expect(md.lowercased().contains("too few"), "\(md.prefix(800))")
        #expect(ProcessTable.alive(matching: root).isEmpty)
    }
}
