import Foundation
import KPRecords
import KPRunModel
import Testing

@testable import KPReport

/// summary.md's "kplane internals": figures per phase, the contract's invariants held or broken, and
/// absent families said to be absent, never 0.
@Suite struct ReportInternalsTests {
    typealias F = Fixtures

    static func counter(_ name: String, _ series: [([String: String], Double)]) -> MetricFamilyWire {
        MetricFamilyWire(
            name: name, type: "counter", help: nil,
            samples: series.map { MetricSampleWire(name: name, labels: $0.0, value: PromValue($0.1)) })
    }

    /// A histogram family of one series: `counts[i]` observations ≤ `bounds[i]` (not cumulative).
    static func histogram(_ name: String, _ labels: [String: String], bounds: [Double], counts: [Double])
        -> MetricFamilyWire
    {
        var samples: [MetricSampleWire] = []
        var cumulative = 0.0
        for (bound, count) in zip(bounds, counts) {
            cumulative += count
            samples.append(
                MetricSampleWire(
                    name: name + "_bucket", labels: labels.merging(["le": "\(bound)"]) { a, _ in a },
                    value: PromValue(cumulative)))
        }
        samples.append(
            MetricSampleWire(
                name: name + "_bucket", labels: labels.merging(["le": "+Inf"]) { a, _ in a },
                value: PromValue(cumulative)))
        samples.append(MetricSampleWire(name: name + "_count", labels: labels, value: PromValue(cumulative)))
        samples.append(MetricSampleWire(name: name + "_sum", labels: labels, value: PromValue(0)))
        return MetricFamilyWire(name: name, type: "histogram", help: nil, samples: samples)
    }

    /// The three phase samples, each asked for every internals family; `families[phase]` are the ones
    /// the target exposed, the rest are missing ("not exposed").
    static func samples(_ families: [String: [MetricFamilyWire]]) -> [Record] {
        F.phaseSamples().map { record in
            guard case .sample(var s) = record else { return record }
            let exposed = families[s.phase] ?? []
            s.families = exposed
            var missing: [String: String] = [:]
            for name in InternalsFamilies.all where !exposed.contains(where: { $0.name == name }) {
                missing[name] = "not exposed"
            }
            s.missing = missing
            return s.record
        }
    }

    static func report(_ samples: [Record]) throws -> (Report, RunFixture) {
        let f = try RunFixture()
        try f.write("meta.jsonl", [F.meta().record, F.end().record])
        try f.write("bootstrap.jsonl", F.bootstrapRecords())
        try f.write("samples.jsonl", samples)
        return (Report(directory: f.dir), f)
    }

    @Test func invariantsHeldAndFiguresOverEachPhase() throws {
        let bounds = [0.001, 0.002, 0.004]
        let stores = Self.counter(
            "mc_storage_ensure_store_total",
            [
                (["server": "kube-apiserver", "resourcePrefix": "/configmaps"], 1),
                (["server": "kube-apiserver", "resourcePrefix": "/namespaces"], 1),
                (
                    [
                        "server": "apiextensions-apiserver",
                        "resourcePrefix": "/apiextensions.k8s.io/customresourcedefinitions",
                    ], 1
                ),
            ])
        let post: [MetricFamilyWire] = [
            stores,
            Self.counter("mc_crd_runtime_create_total", [(["status": "success"], 1)]),
            Self.counter("mc_crd_serves_lookup_total", [(["result": "served"], 10)]),
            Self.counter("mc_crd_serves_cache_hit_total", [(["result": "served"], 6)]),
            Self.counter("mc_crd_serves_cache_miss_total", [(["result": "miss"], 4)]),
            Self.histogram(
                "mc_crd_serves_lookup_latency_seconds", ["result": "served"], bounds: bounds, counts: [90, 0, 10]),
        ]
        let steady: [MetricFamilyWire] = [
            stores,
            Self.counter("mc_crd_runtime_create_total", [(["status": "success"], 1)]),
            Self.counter("mc_crd_serves_lookup_total", [(["result": "served"], 30)]),
            Self.counter("mc_crd_serves_cache_hit_total", [(["result": "served"], 26)]),
            Self.counter("mc_crd_serves_cache_miss_total", [(["result": "miss"], 4)]),
            Self.histogram(
                "mc_crd_serves_lookup_latency_seconds", ["result": "served"], bounds: bounds, counts: [110, 0, 10]),
        ]
        let (r, f) = try Self.report(Self.samples(["post-bootstrap": post, "steady": steady]))
        defer { f.cleanup() }
        let a = r.internals
        #expect(a.phases == ["baseline", "post-bootstrap", "steady"])
        let runtime = try #require(a.invariants.first { $0.title == InternalsAnalysis.oneRuntime })
        #expect(runtime.verdicts[0] == .notCheckable("absent (no runtime created yet, or not exported)"))
        #expect(runtime.verdicts[1] == .held("1 runtime created"))
        let perType = try #require(a.invariants.first { $0.title == InternalsAnalysis.storesPerType })
        #expect(perType.verdicts[2] == .held("3 resource types, each ensured once"))
        func row(_ prefix: String) throws -> [String] {
            try #require(a.rows.first { $0.title.hasPrefix(prefix) }).cells.map(\.text)
        }
        #expect(try row("shared stores")[1] == "3 resource types (1 apiextensions-apiserver, 2 kube-apiserver)")
        // Over each phase: 10 lookups up to post-bootstrap (60 % hits), 20 more by steady (all hits).
        #expect(try row("CRD serves lookups") == ["absent", "10", "20"])
        #expect(try row("serves-lookup cache hit ratio") == ["absent", "60.0% of 10", "100.0% of 20"])
        // p99 of the 100 lookups up to post-bootstrap lies in the 2-4 ms bucket; of the 20 after, in the first.
        let p99 = try row("serves-lookup latency p99")
        #expect(p99[0] == "absent")
        #expect(p99[1].contains("interpolated") && p99[1].hasPrefix("2"))
        #expect(p99[2].hasPrefix("≤ 1"))
        let md = r.summaryMarkdown
        #expect(md.contains("## kplane internals"))
        #expect(md.contains("held: 1 runtime created"))
        #expect(!md.contains("BROKEN"))
        #expect(r.reportHTML.contains("kplane internals"))
    }

    @Test func moreThanOneRuntimeOrAStorePerVCPIsBroken() throws {
        let broken: [MetricFamilyWire] = [
            Self.counter(
                "mc_storage_ensure_store_total",
                [
                    (["server": "kube-apiserver", "resourcePrefix": "/configmaps"], 200),
                    (["server": "kube-apiserver", "resourcePrefix": "/namespaces"], 1),
                ]),
            Self.counter("mc_crd_runtime_create_total", [(["status": "success"], 4)]),
        ]
        let (r, f) = try Self.report(Self.samples(["post-bootstrap": broken, "steady": broken]))
        defer { f.cleanup() }
        let a = r.internals
        #expect(a.invariants[0].verdicts[2] == .broken("4 runtimes created"))
        #expect(a.invariants[1].verdicts[2] == .broken("1 resource types ensured more than once (/configmaps ×200)"))
        #expect(r.summaryMarkdown.contains("**BROKEN**: 4 runtimes created"))
    }

    @Test func absentFamiliesAreAbsentNeverZero() throws {
        let (r, f) = try Self.report(Self.samples([:]))
        defer { f.cleanup() }
        let a = r.internals
        #expect(a.recorded)
        for row in a.rows { #expect(row.cells.allSatisfy { $0 == .absent }, "\(row.title)") }
        #expect(a.absentEverywhere == InternalsFamilies.all)
        let md = r.summaryMarkdown
        let section = try #require(md.components(separatedBy: "## kplane internals").last)
        #expect(
            section.contains("Absent from every sample (not exposed by the target): `mc_storage_ensure_store_total`"))
        #expect(section.contains("`go_gc_duration_seconds`"))
        #expect(
            a.invariants.allSatisfy { row in
                row.verdicts.allSatisfy { if case .notCheckable = $0 { true } else { false } }
            })
    }

    @Test func aRunThatNeverAskedHasNoSection() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try f.write("meta.jsonl", [F.meta().record, F.end().record])
        try f.write("bootstrap.jsonl", F.bootstrapRecords())
        try f.write("samples.jsonl", F.phaseSamples())
        let r = Report(directory: f.dir)
        #expect(!r.internals.recorded)
        #expect(!r.summaryMarkdown.contains("kplane internals"))
    }
}
