import Foundation
import KPTestSupport
import Testing

/// `scripts/wire-latency.py analyze`: tells reads, a write's Get and its PUT apart in a capture and
/// times each on the server's side of the wire (a PUT from its body).
@Suite(.tags(.timing)) struct WireLatencyTests {
    /// One connection's segments: reads, then writes (Get, then PUT HEADERS 0.5 ms after its answer and
    /// the body 0.08 ms later), each answered `serve(kind)` ms after its last request segment.
    static func capture(port: Int, serve: (String) -> Double) -> String {
        var t = 1_000_000_000.0
        var lines: [String] = []
        func seg(_ at: Double, _ dir: String, _ bytes: Int) {
            lines.append("\(Int64(at))\t\(port)\t40000\t\(dir)\t\(bytes)")
        }
        // Pre-warm segments of other sizes (a bootstrap's small answers), which must not shift the matching.
        seg(t, "c2s", 121)
        seg(t + 1e6, "s2c", 467)
        t += 100e6
        for i in 0..<40 {
            if i % 4 == 3 {
                seg(t, "c2s", 121)
                let got = t + serve("write.get") * 1e6
                seg(got, "s2c", 1328)
                let put = got + 0.5e6
                seg(put, "c2s", 128)
                seg(put + 0.08e6, "c2s", 1211)
                seg(put + 0.08e6 + serve("write.update") * 1e6, "s2c", 1328)
            } else {
                seg(t, "c2s", 121)
                seg(t + serve("read") * 1e6, "s2c", 1328)
            }
            t += 40e6
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func twoServersInOneCaptureGiveTheFaultRunMinusTheBaselinePerKind() throws {
        let dir = try ToolRunner.tempDir("wire")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = Self.capture(port: 41000) { $0 == "write.update" ? 2.3 : 2.0 }
        let fault = Self.capture(port: 42000) { $0 == "write.update" ? 7.8 : 7.0 }
        try (base + fault).write(toFile: "\(dir)/pk.tsv", atomically: true, encoding: .utf8)
        let r = try ToolRunner.run(
            "\(ToolRunner.repoRoot)/scripts/wire-latency.py", ["analyze", "--skip", "2", "\(dir)/pk.tsv"], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        // 30 reads less the one skipped (the pre-warm request, never answered in size, is dropped as stale).
        #expect(
            r.stdout.contains(
                "\(dir)/pk.tsv:41000 read n=29 p50 2.000 ms  write.get n=10 p50 2.000 ms  write.update n=10 p50 2.300 ms"
            ), "\(r.stdout)")
        #expect(r.stdout.contains("read +5.000 ms  write.get +5.000 ms  write.update +5.500 ms"), "\(r.stdout)")
    }
}
