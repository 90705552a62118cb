import Foundation
import KPRecords
import KPRunModel
import Testing

@testable import KPReport

/// The sweep over test CRDs per VCP (`make sweep-crds`): the N sweep's fit over K, its slope the cost
/// per CRD and, divided by N, per CRD per VCP.
@Suite struct SweepCRDsTests {
    static let mib = 1_048_576.0
    static let s: Int64 = 1_000_000_000

    /// A sweep folder over K at 50 VCPs: RSS = 300 MiB + K × 50 × `perCRD` (+ `noise[i]`).
    static func sweep(_ dir: String, crds: [Int], perCRD: Double, noise: [Double]) throws -> Sweep {
        let groups = crds.map { "k\($0)" }
        try RunSetPlan(kind: .sweep, runs: groups, groups: groups, axis: .crdsPerCluster).write(to: dir)
        for (i, k) in crds.enumerated() {
            let f = RunFixture(at: "\(dir)/k\(k)")
            try FileManager.default.createDirectory(atPath: f.dir, withIntermediateDirectories: true)
            var meta = Fixtures.meta(clusters: 50, emulator: true)
            if k != 1 { meta.flags["crds-per-cluster"] = "\(k)" }
            try f.write("meta.jsonl", [meta.record, Fixtures.end().record])
            let rss = 300 * mib + Double(k * 50) * perCRD + noise[i]
            try f.write(
                "samples.jsonl",
                [
                    Fixtures.sample("baseline", t: 30 * s, cpu: 10, heap: 40 * mib, rss: 200 * mib, gor: 100).record,
                    Fixtures.sample("post-bootstrap", t: 60 * s, cpu: 20, heap: rss / 2, rss: rss, gor: 100).record,
                    Fixtures.sample("steady", t: 160 * s, cpu: 21, heap: rss / 2, rss: rss, gor: 100).record,
                ])
        }
        let plan = try RunSetPlan.read(from: dir)
        return Sweep(runs: groups.map { "\(dir)/\($0)" }, directory: dir, plan: plan)
    }

    @Test func theSlopeOverKIsTheCostPerCRDAndPerCRDPerVCP() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        let perCRD = 40 * 1024.0
        let sweep = try Self.sweep(f.dir, crds: [1, 2, 4], perCRD: perCRD, noise: [0, 4096, -2048])
        #expect(sweep.axis == .crdsPerCluster)
        #expect(sweep.sizes.map(\.n) == [1, 2, 4])
        #expect(sweep.clustersAtEveryK == 50)
        let rss = try #require(sweep.fits.first { $0.title.contains("RSS") })
        let fit = try #require(rss.fit)
        // 50 VCPs × 40 KiB per CRD, within the noise.
        #expect(abs(fit.slope - 50 * perCRD) < 4096)
        let perVCP = try #require(sweep.perCRDPerVCP(fit.slope))
        #expect(abs(perVCP - perCRD) < 100)
        let md = sweep.markdown
        #expect(md.contains("# kp-bench sweep over K (test CRDs per VCP)"))
        #expect(md.contains("value = fixed + marginal × K"))
        #expect(md.contains("per CRD per VCP (slope / N)"))
        #expect(md.contains("N = 50"))
        #expect(sweep.csv.hasPrefix("resource,unit,points,distinct_k,clusters,slope_per_crd"))
        #expect(sweep.html.contains("K (CRDs per VCP)"))
        // Capacity needs a sweep over N.
        #expect(throws: CapacityInputError.self) { _ = try Capacity.sweepRuns(in: f.dir) }
    }
}
