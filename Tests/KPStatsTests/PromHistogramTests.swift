import KPRecords
import Testing

@testable import KPStats

@Suite struct PromHistogramTests {
    // Prometheus' own test histogram (promql/testdata/histograms.test, "positive").
    let h = PromHistogram(
        labels: [:],
        buckets: [
            .init(upperBound: 0.1, count: 50), .init(upperBound: 0.2, count: 70), .init(upperBound: 1, count: 110),
            .init(upperBound: .infinity, count: 120),
        ])

    @Test func medianInterpolatesInsideItsBucket() throws {
        // rank 60 falls in (0.1, 0.2] holding 20; 10 into it: 0.1 + 0.1 × 10/20 = 0.15.
        let q = try #require(h.quantile(0.5))
        #expect(abs(q.value - 0.15) < 1e-12)
        #expect(q.lowerBound == 0.1)
        #expect(q.upperBound == 0.2)
        #expect(q.observations == 120)
        #expect(!q.isInOverflowBucket)
    }

    @Test func p90AndFirstBucket() throws {
        // rank 108 in (0.2, 1] holding 40; 38 into it: 0.2 + 0.8 × 38/40 = 0.96.
        #expect(abs(try #require(h.quantile(0.9)).value - 0.96) < 1e-12)
        // rank 30 in (0, 0.1] holding 50: 0.1 × 30/50 = 0.06.
        let q25 = try #require(h.quantile(0.25))
        #expect(abs(q25.value - 0.06) < 1e-12)
        #expect(q25.lowerBound == 0)
        #expect(try #require(h.quantile(0)).value == 0)
    }

    @Test func quantileInInfBucketReturnsHighestFiniteBound() throws {
        // rank 118.8 > 110: beyond the last finite bound.
        let q = try #require(h.quantile(0.99))
        #expect(q.value == 1)
        #expect(q.lowerBound == 1)
        #expect(q.upperBound == .infinity)
        #expect(q.isInOverflowBucket)
    }

    @Test func undefinedCasesGiveNil() {
        #expect(h.quantile(-0.1) == nil)
        #expect(h.quantile(1.1) == nil)
        #expect(h.quantile(.nan) == nil)
        let noInf = PromHistogram(
            labels: [:], buckets: [.init(upperBound: 1, count: 3), .init(upperBound: 2, count: 4)])
        #expect(noInf.quantile(0.5) == nil)
        let empty = PromHistogram(
            labels: [:], buckets: [.init(upperBound: 1, count: 0), .init(upperBound: .infinity, count: 0)])
        #expect(empty.quantile(0.5) == nil)
    }

    @Test func nonMonotonicBucketsAreFixedUp() throws {
        let bad = PromHistogram(
            labels: [:],
            buckets: [
                .init(upperBound: 1, count: 10), .init(upperBound: 2, count: 8),
                .init(upperBound: .infinity, count: 10),
            ])
        let q = try #require(bad.quantile(0.5))
        #expect(q.forcedMonotonic)
        #expect(q.value == 0.5)  // rank 5 in (0, 1] holding 10
    }

    @Test func deltaBetweenScrapes() throws {
        let before = PromHistogram(
            labels: ["verb": "GET"],
            buckets: [
                .init(upperBound: 0.1, count: 10), .init(upperBound: 0.2, count: 20), .init(upperBound: 1, count: 30),
                .init(upperBound: .infinity, count: 30),
            ], sum: 5, count: 30)
        let after = PromHistogram(
            labels: ["verb": "GET"],
            buckets: [
                .init(upperBound: 0.1, count: 60), .init(upperBound: 0.2, count: 90), .init(upperBound: 1, count: 140),
                .init(upperBound: .infinity, count: 150),
            ], sum: 20, count: 150)
        let d = after.delta(since: before)
        #expect(!d.reset)
        #expect(d.histogram.buckets.map(\.count) == [50, 70, 110, 120])
        #expect(d.histogram.count == 120)
        #expect(d.histogram.sum == 15)
        #expect(abs(try #require(d.histogram.quantile(0.5)).value - 0.15) < 1e-12)

        let restarted = after.delta(
            since: PromHistogram(
                labels: ["verb": "GET"],
                buckets: [.init(upperBound: 0.1, count: 100), .init(upperBound: .infinity, count: 500)]))
        #expect(restarted.reset)
        #expect(restarted.histogram == after)
        #expect(after.delta(since: nil).histogram == after)
    }

    @Test func seriesFromFamilyAndAggregateByVerb() throws {
        func s(_ name: String, _ labels: [String: String], _ v: Double) -> MetricSampleWire {
            MetricSampleWire(name: name, labels: labels, value: PromValue(v))
        }
        let n = "apiserver_request_duration_seconds"
        var samples: [MetricSampleWire] = []
        for (resource, verb, counts) in [
            ("pods", "GET", [2.0, 4, 4]), ("crds", "GET", [1.0, 3, 6]), ("pods", "PUT", [0.0, 1, 1]),
        ] {
            let l = ["verb": verb, "resource": resource]
            for (le, c) in zip(["0.05", "0.1", "+Inf"], counts) {
                samples.append(s(n + "_bucket", l.merging(["le": le]) { a, _ in a }, c))
            }
            samples.append(s(n + "_count", l, counts[2]))
            samples.append(s(n + "_sum", l, 0.1))
        }
        samples.append(s(n + "_bucket", ["verb": "GET", "le": "bogus"], 9))
        let family = MetricFamilyWire(name: n, type: "histogram", help: nil, samples: samples)
        let series = PromHistogram.series(from: family)
        #expect(series.count == 3)
        #expect(
            series.map(\.key) == [
                #"resource="crds",verb="GET""#, #"resource="pods",verb="GET""#, #"resource="pods",verb="PUT""#,
            ])
        #expect(series[0].buckets.map(\.upperBound) == [0.05, 0.1, .infinity])
        #expect(series[0].count == 6)

        let byVerb = PromHistogram.aggregate(series, by: "verb")
        let get = try #require(byVerb["GET"])
        #expect(get.buckets.map(\.count) == [3, 7, 10])
        #expect(get.count == 10)
        #expect(abs(try #require(get.sum) - 0.2) < 1e-12)
        // rank 5 in (0.05, 0.1] holding 4; 2 into it: 0.05 + 0.05 × 2/4 = 0.075.
        #expect(abs(try #require(get.quantile(0.5)).value - 0.075) < 1e-12)
        #expect(byVerb["PUT"]?.buckets.map(\.count) == [0, 1, 1])
    }

    @Test func aggregateAcrossDifferentLayoutsUsesLowerBound() {
        let a = PromHistogram(
            labels: ["verb": "GET"], buckets: [.init(upperBound: 1, count: 2), .init(upperBound: .infinity, count: 4)])
        let b = PromHistogram(
            labels: ["verb": "GET"],
            buckets: [
                .init(upperBound: 0.5, count: 1), .init(upperBound: 1, count: 3),
                .init(upperBound: .infinity, count: 3),
            ])
        let g = PromHistogram.aggregate([a, b], by: "verb")["GET"]!
        #expect(g.buckets.map(\.upperBound) == [0.5, 1, .infinity])
        #expect(g.buckets.map(\.count) == [1, 5, 7])
    }

    @Test func deltasMatchSeriesByLabels() {
        let before = [PromHistogram(labels: ["verb": "GET"], buckets: [.init(upperBound: .infinity, count: 5)])]
        let after = [
            PromHistogram(labels: ["verb": "GET"], buckets: [.init(upperBound: .infinity, count: 8)]),
            PromHistogram(labels: ["verb": "PUT"], buckets: [.init(upperBound: .infinity, count: 2)]),
        ]
        let d = PromHistogram.deltas(after: after, before: before)
        #expect(d.series.map { $0.buckets[0].count } == [3, 2])
        #expect(d.resets.isEmpty)
    }
}
