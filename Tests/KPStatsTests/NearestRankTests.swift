import Testing

@testable import KPStats

@Suite struct NearestRankTests {
    // The classic nearest-rank example: 15, 20, 35, 40, 50.
    @Test(arguments: [(5.0, 15.0), (30, 20), (40, 20), (50, 35), (100, 50), (0, 15)])
    func classicExample(p: Double, expected: Double) {
        #expect(NearestRank.percentile([40, 15, 50, 35, 20], p) == expected)
    }

    @Test func exactProductsAreNotRoundedUp() {
        let values = (1...100).map(Double.init)
        #expect(NearestRank.percentile(values, 99) == 99)
        #expect(NearestRank.percentile(values, 90) == 90)
        #expect(NearestRank.percentile(values, 99.5) == 100)
        #expect(NearestRank.rank(99.9, count: 1000) == 999)
        #expect(NearestRank.rank(50, count: 0) == 0)
    }

    @Test func summaryOfTenValues() throws {
        let s = try #require(NearestRank.summary([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]))
        #expect(s.count == 10)
        #expect(s.min == 1)
        #expect(s.p50 == 5)
        #expect(s.p90 == 9)
        #expect(s.p99 == 10)
        #expect(s.max == 10)
        #expect(s.mean == 5.5)
    }

    @Test func emptyOrNaNGivesNothing() {
        #expect(NearestRank.percentile([], 50) == nil)
        #expect(NearestRank.summary([]) == nil)
        #expect(NearestRank.summary([1, .nan]) == nil)
    }
}
