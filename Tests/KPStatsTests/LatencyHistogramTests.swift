import Foundation
import KPRecords
import Testing

@testable import KPStats

@Suite struct LatencyHistogramTests {
    @Test func smallValuesAreExact() {
        var h = LatencyHistogram()
        for v in 1...100 { h.record(Int64(v)) }
        #expect(h.count == 100)
        #expect(h.min == 1)
        #expect(h.max == 100)
        #expect(h.percentile(50) == 50)
        #expect(h.percentile(90) == 90)
        #expect(h.percentile(99) == 99)
        #expect(h.percentile(99.9) == 100)
        #expect(h.percentile(100) == 100)
        #expect(h.percentile(0) == 1)
        #expect(h.mean == 50.5)
    }

    @Test func percentilesInOneWalkEqualPercentileOneByOne() {
        var h = LatencyHistogram()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 { h.record(Int64.random(in: 1...2_000_000_000, using: &rng)) }
        h.record(7, count: 300)
        let ps: [Double] = [99.999, 0, 50, 25, 100, 90, 99, 99.9, 1, 50, 75.5, -1, 120, 0.001]
        #expect(h.percentiles(ps) == ps.map { h.percentile($0) })
        #expect(LatencyHistogram().percentiles([50, 99]) == [nil, nil])
    }

    @Test func largeValuesKeepThreeDigits() {
        // At 1 ms the bucket width is 512 ns (1e6 / 512 = 1953.1, in the 1024…2047 sub-bucket range):
        // lowest equivalent 1953 × 512 = 999,936, highest 999,936 + 511 = 1,000,447; at 2 ms the
        // width is 1024 ns: 2e6 / 1024 = 1953.1, lowest equivalent 1953 × 1024 = 1,999,872.
        var h = LatencyHistogram()
        h.record(1_000_000)
        h.record(2_000_000)
        #expect(h.percentile(50) == 1_000_447)
        #expect(h.percentile(100) == 2_000_000)
        #expect(h.bucketPairs().map(\.0) == [999_936, 1_999_872])
        #expect(h.mean == 1_500_000)
    }

    @Test func emptyHistogramHasNoFigures() {
        let h = LatencyHistogram()
        #expect(h.percentile(50) == nil)
        #expect(h.mean == nil)
        #expect(h.min == nil)
        #expect(h.wire.buckets.isEmpty)
        #expect(h.wire.count == 0)
    }

    @Test func wireRoundTripIsExact() throws {
        var h = LatencyHistogram()
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            h.record(Int64(x >> 40))  // up to ~16.7 ms
        }
        let wire = h.wire
        let back = try LatencyHistogram(wire: wire)
        #expect(back == h)
        #expect(back.wire == wire)
        for p in [0.0, 1, 50, 90, 99, 99.9, 100] {
            #expect(back.percentile(p) == h.percentile(p))
        }
        #expect(back.mean == h.mean)
        // And through JSON as records carry it.
        let data = try RecordCodec.makeEncoder().encode(wire)
        let decoded = try JSONDecoder().decode(HistogramWire.self, from: data)
        #expect(try LatencyHistogram(wire: decoded) == h)
    }

    @Test func mergeOfShardsEqualsHistogramOfUnion() throws {
        var all = LatencyHistogram()
        var shards = [LatencyHistogram(), LatencyHistogram(), LatencyHistogram()]
        for i in 0..<3000 {
            let v = Int64(i * i * 37 % 9_000_000 + 1)
            all.record(v)
            shards[i % 3].record(v)
        }
        var merged = LatencyHistogram()
        for s in shards { merged.merge(try LatencyHistogram(wire: s.wire)) }
        #expect(merged == all)
        #expect(merged.percentile(99) == all.percentile(99))
    }

    /// A histogram read from its wire form answers from its non-empty buckets, one recorded into
    /// from the library's counts: both must give the same figures, pairs and wire form.
    @Test func wireFormAnswersAsTheRecordedHistogram() throws {
        for layout in [(Int64(1), Int64(3_600_000_000_000), 3), (1000, 60_000_000_000, 2)] {
            var h = try LatencyHistogram(lowest: layout.0, highest: layout.1, significantDigits: layout.2)
            var x: UInt64 = 0x1234_5678_9ABC_DEF1
            for i in 0..<3000 {
                x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                h.record(Int64(x >> (30 + UInt64(i % 20))), count: Int64(1 + i % 3))
            }
            let back = try LatencyHistogram(wire: h.wire)
            let ps: [Double] = [0, 0.001, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]
            #expect(back.percentiles(ps) == h.percentiles(ps))
            #expect(ps.map { back.percentile($0) } == ps.map { h.percentile($0) })
            #expect(back.bucketPairs().map { [$0.0, $0.1] } == h.bucketPairs().map { [$0.0, $0.1] })
            #expect(back.histogram.totalCount == h.histogram.totalCount)
            // Recording into the read histogram continues from the same buckets.
            var more = back
            var direct = h
            more.record(1_234_567)
            direct.record(1_234_567)
            #expect(more == direct)
            #expect(more.percentile(50) == direct.percentile(50))
        }
    }

    /// Two values of one bucket in a wire form count in that bucket, as the library would count them.
    @Test func wireValuesOfOneBucketShareIt() throws {
        // 1,000,000 and 1,000,100 share the 512-ns bucket that starts at 999,936.
        let wire = HistogramWire(
            unit: "ns", lowest: 1, highest: 3_600_000_000_000, significantDigits: 3, count: 3, min: 1_000_000,
            max: 2_000_000, sum: nil, buckets: [[1_000_000, 1], [1_000_100, 1], [2_000_000, 1]])
        let h = try LatencyHistogram(wire: wire)
        #expect(h.bucketPairs().map { [$0.0, $0.1] } == [[999_936, 2], [1_999_872, 1]])
        #expect(h.percentile(50) == 1_000_447)
        #expect(h.percentile(67) == 2_000_000)
        // No sum: the mean comes from the library's bucket midpoints.
        #expect(h.mean == h.histogram.mean)
    }

    /// Merging read histograms keeps the buckets of the union, whichever form each side holds.
    @Test func mergesOfEitherFormAgree() throws {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for v in stride(from: Int64(1000), to: 5_000_000, by: 7919) { a.record(v) }
        for v in stride(from: Int64(3000), to: 9_000_000, by: 104_729) { b.record(v, count: 2) }
        var all = a
        all.merge(b)
        for (x, y) in [
            (try LatencyHistogram(wire: a.wire), try LatencyHistogram(wire: b.wire)),
            (a, try LatencyHistogram(wire: b.wire)), (try LatencyHistogram(wire: a.wire), b),
        ] {
            var m = x
            m.merge(y)
            #expect(m == all)
            #expect(m.percentiles([50, 90, 99]) == all.percentiles([50, 90, 99]))
        }
        var empty = LatencyHistogram()
        empty.merge(try LatencyHistogram(wire: b.wire))
        #expect(empty == b)
    }

    @Test func mergeAcrossLayoutsKeepsCounts() throws {
        var coarse = try LatencyHistogram(lowest: 1000, highest: 60_000_000_000, significantDigits: 2)
        coarse.record(5_000_000)
        coarse.record(7_000)
        var h = LatencyHistogram()
        h.record(1_000)
        h.merge(coarse)
        #expect(h.count == 3)
        #expect(h.min == 1_000)
        #expect(h.max == 5_000_000)
        #expect(h.sum == 5_008_000)
    }

    @Test func outOfRangeValuesAreClampedAndCounted() {
        var h = LatencyHistogram()
        h.record(-5)
        h.record(4_000_000_000_000)
        #expect(h.count == 2)
        #expect(h.clampedCount == 2)
        #expect(h.max == 4_000_000_000_000)
        #expect(h.percentile(100) == 4_000_000_000_000)
    }

    @Test func recordWithCount() {
        var h = LatencyHistogram()
        h.record(10, count: 9)
        h.record(1000, count: 1)
        #expect(h.count == 10)
        #expect(h.percentile(90) == 10)
        #expect(h.percentile(91) == 1000)
        #expect(h.mean == 109)
    }

    @Test(arguments: [
        ("unit", "ms", [[Int64(1), 1]], Int64(1), "not ns"),
        ("sum", "ns", [[Int64(1), 2]], Int64(1), "add up to 2"),
        ("order", "ns", [[Int64(5), 1], [Int64(3), 1]], Int64(2), "not ascending"),
        ("pair", "ns", [[Int64(5)]], Int64(1), "not a [value, count] pair"),
        ("zero", "ns", [[Int64(5), 0]], Int64(0), "count 0"),
    ])
    func badWireFormsAreRejected(_ name: String, unit: String, buckets: [[Int64]], count: Int64, message: String) {
        let wire = HistogramWire(
            unit: unit, lowest: 1, highest: 3_600_000_000_000, significantDigits: 3, count: count, min: 1, max: 5,
            sum: nil, buckets: buckets)
        #expect {
            _ = try LatencyHistogram(wire: wire)
        } throws: { error in
            (error as? StatsError)?.message.contains(message) == true
        }
    }

    @Test func badLayoutIsAnErrorNotATrap() {
        #expect(throws: StatsError.self) { _ = try LatencyHistogram(lowest: 0, highest: 10, significantDigits: 3) }
        #expect(throws: StatsError.self) { _ = try LatencyHistogram(lowest: 10, highest: 15, significantDigits: 3) }
        #expect(throws: StatsError.self) { _ = try LatencyHistogram(lowest: 1, highest: 100, significantDigits: 6) }
    }
}
