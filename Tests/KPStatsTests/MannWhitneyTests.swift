import Testing

@testable import KPStats

/// Mann–Whitney U against known answers: benchstat's own test values (golang.org/x/perf
/// internal/stats/utest_test.go) and the published critical-value table.
@Suite struct MannWhitneyTests {
    static let s1: [Double] = [2, 1, 3, 5]
    static let s2: [Double] = [12, 11, 13, 15]
    static let s3: [Double] = [0, 4, 6, 7]  // interleaved with s1, no ties
    static let s4: [Double] = [2, 2, 2, 2]
    static let s5: [Double] = [1, 1, 1, 1, 1]

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func smallSamplesWithoutTiesMatchBenchstat() throws {
        let a = try #require(MannWhitney.test(Self.s1, Self.s2))
        #expect(a.u == 0 && a.method == .exact && !a.hasTies)
        #expect(Self.close(a.p, 0.028571428571428577))
        #expect(Self.close(a.pLess, 0.014285714285714289))
        let b = try #require(MannWhitney.test(Self.s2, Self.s1))
        #expect(b.u == 16 && Self.close(b.p, 0.028571428571428577) && Self.close(b.pGreater, 0.014285714285714289))
        let c = try #require(MannWhitney.test(Self.s1, Self.s3))
        #expect(c.u == 5)
        #expect(Self.close(c.p, 0.48571428571428577))
        #expect(Self.close(c.pLess, 0.24285714285714288) && Self.close(c.pGreater, 0.8285714285714285))
    }

    @Test func smallSamplesWithTiesMatchBenchstat() throws {
        let same = try #require(MannWhitney.test(Self.s1, Self.s1))
        #expect(same.u == 8 && same.p == 1 && same.hasTies)
        #expect(Self.close(same.pLess, 0.6285714285714286))
        let t = try #require(MannWhitney.test(Self.s1, Self.s4))
        #expect(t.u == 10 && t.method == .exact)
        #expect(Self.close(t.p, 0.7142857142857143))
        #expect(Self.close(t.pLess, 0.8571428571428571) && Self.close(t.pGreater, 0.3571428571428571))
        let g = try #require(MannWhitney.test(Self.s1, Self.s5))
        #expect(g.u == 17.5)
        #expect(Self.close(g.pLess, 1) && Self.close(g.pGreater, 0.04761904761904767))
        // All values equal: the test says nothing.
        #expect(MannWhitney.test(Self.s4, Self.s4) == nil)
        #expect(MannWhitney.test([], Self.s1) == nil)
    }

    /// Published table (two-sided α = 0.05): the critical U for n₁ = n₂ = 5 is 2, for 6/6 it is 5,
    /// for 8/8 it is 13: U at the critical value is significant, one above is not.
    @Test(arguments: [(5, 2), (6, 5), (8, 13)])
    func criticalValuesMatchThePublishedTable(n: Int, critical: Int) throws {
        func p(forU u: Int) throws -> Double {
            // First sample below the second except for u inversions: move the top of x above u of y's.
            var x = (0..<n).map(Double.init)
            let y = (n..<(2 * n)).map(Double.init)
            // Raise x's largest values past y's smallest one by one, u steps in all.
            var left = u
            var idx = n - 1
            while left > 0 {
                let step = min(left, n)
                x[idx] = Double(n - 1) + Double(step) + 0.5
                left -= step
                idx -= 1
            }
            let r = try #require(MannWhitney.test(x, y))
            #expect(r.u == Double(n * n - u) || r.u == Double(u))
            return r.p
        }
        #expect(try p(forU: critical) <= 0.05)
        #expect(try p(forU: critical + 1) > 0.05)
    }

    @Test func largeSamplesUseTheNormalApproximationAsBenchstat() throws {
        let l1 = (0..<500).map { Double($0 * 2) }
        let l2 = (0..<600).map { Double($0 * 2 - 41) }
        var l3 = l2
        for i in 0..<30 { l3[i] = l1[i] }
        let a = try #require(MannWhitney.test(l1, l2))
        #expect(a.method == .normal && a.u == 135250)
        #expect(abs(a.p - 0.0049335360814172224) < 1e-12)
        let b = try #require(MannWhitney.test(l1, l3))
        #expect(b.u == 134845 && b.hasTies)
        #expect(abs(b.p - 0.0038703814239617884) < 1e-12)
        #expect(abs(b.pLess - 0.0019351907119808942) < 1e-12)
    }

    /// benchstat's rule: fewer than 4 runs a side can never reach p < 0.05.
    @Test func threeRunsASideCannotBeSignificantFourCan() throws {
        #expect(MannWhitney.smallestP(n1: 3, n2: 3) == 0.1)
        #expect(abs(MannWhitney.smallestP(n1: 4, n2: 4) - 2.0 / 70) < 1e-12)
        let three = try #require(MannWhitney.test([1, 2, 3], [10, 11, 12]))
        #expect(Self.close(three.p, 0.1))
        let four = try #require(MannWhitney.test([1, 2, 3, 4], [10, 11, 12, 13]))
        #expect(four.p < 0.05)
    }
}
