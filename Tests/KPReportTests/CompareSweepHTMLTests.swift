import Foundation
import Testing

@testable import KPReport

/// compare.html and sweep.html: a chart per figure with drawn points, no NaN, the CSP, the band
/// around the fit, and the same bytes on a re-run.
@Suite struct CompareSweepHTMLTests {
    /// The `data-points` counts of every `<svg` in `html`.
    static func dataPoints(_ html: String) -> [Int] {
        html.components(separatedBy: "<svg ").dropFirst().map { part in
            guard let r = part.range(of: "data-points=\"") else { return -1 }
            return Int(part[r.upperBound...].prefix { $0.isNumber }) ?? -1
        }
    }

    @Test func compareHTMLChartsEveryFigureAndIsStable() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        let a = try SetFixtures.repeatSet(root.path("a"), count: 4, clusters: 10, perVCP: 2 * SetFixtures.mib)
        let b = try SetFixtures.repeatSet(root.path("b"), count: 4, clusters: 10, perVCP: 2.5 * SetFixtures.mib)
        let cmp = Compare(aRuns: a, bRuns: b, thresholds: try Thresholds(yaml: CompareTests.threshold10))
        let out = root.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try cmp.write(to: out)
        let html = try String(contentsOfFile: out + "/compare.html", encoding: .utf8)
        #expect(!cmp.chartedRows.isEmpty)
        let points = Self.dataPoints(html)
        #expect(points.count == cmp.chartedRows.count)
        #expect(points.allSatisfy { $0 > 0 })
        #expect(!html.contains("NaN"))
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        // The verdict in the chart title, and the table of compare.md.
        let heap = try #require(cmp.chartedRows.first { $0.spec.key == "per_vcp.heap_inuse_bytes" })
        #expect(heap.verdict == .worse)
        #expect(html.contains(SVGChart.escape("\(heap.spec.title): worse")))
        #expect(html.contains("change +25.0%, p = 0.029;"))
        #expect(html.contains("<th") && html.contains("REGRESSION"))
        // Byte-identical on a re-run.
        let again = Compare(aRuns: a, bRuns: b, thresholds: try Thresholds(yaml: CompareTests.threshold10))
        #expect(again.html == html)
    }

    @Test func sweepHTMLDrawsTheFitInsideItsBand() throws {
        let root = try RunFixture()
        defer { root.cleanup() }
        var runs: [String] = []
        for (i, n) in [4, 8, 12, 16].enumerated() {
            let d = root.path("s\(n)")
            try SetFixtures.run(d, clusters: n, perVCP: 2 * SetFixtures.mib, jitter: [1024.0, -2048, 2048, -1024][i])
            runs.append(d)
        }
        let sweep = Sweep(runs: runs)
        let out = root.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try sweep.write(to: out)
        let html = try String(contentsOfFile: out + "/sweep.html", encoding: .utf8)
        let points = Self.dataPoints(html)
        #expect(points.count == sweep.chartedFits.count && !points.isEmpty)
        #expect(points.allSatisfy { $0 > 0 })
        #expect(!html.contains("NaN"))
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        #expect(html.contains("marginal per VCP"))
        let heap = try #require(sweep.fits.first { $0.key == "heap_inuse_bytes" })
        let band = Sweep.band(heap)
        #expect(band.count == 25)
        #expect(band.first?.n == 4 && band.last?.n == 16)
        for p in band {
            #expect(p.upper >= p.fit && p.fit >= p.lower)
            #expect(p.upper > p.lower)  // jittered points: s > 0
        }
        // Narrowest at N̄ = 10, wider at the ends (the (N − N̄)² term).
        let width = band.map { $0.upper - $0.lower }
        let mid = try #require(band.firstIndex { $0.n == 10 })
        #expect(width[mid] < width[0] && width[mid] < width[width.count - 1])
        // Hand-checked at N̄: half-width = t(0.975, 2) · s / √4.
        let lf = try #require(heap.fit)
        let s = try #require(lf.residualStandardError)
        #expect(abs(width[mid] / 2 - 4.302652729911275 * s / 2) < 1e-6 * s)
        #expect(Sweep(runs: runs).html == html)
    }
}
