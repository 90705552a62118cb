import Foundation

/// The Mann–Whitney U test (Wilcoxon rank-sum test), as benchstat uses it to call a change.
///
/// Hand-written because no available Swift package has it; it follows golang.org/x/perf's
/// `internal/stats/utest.go` (what benchstat runs), checked against its test values:
/// - U counts, over all pairs (a from the first sample, b from the second), 1 when a > b and ½
///   when a = b (midranks for ties), so U = R₁ − n₁(n₁+1)/2.
/// - **Exact** distribution when both samples have at most 50 values and there are no ties, or at
///   most 25 values with ties: every way of choosing which n₁ of the pooled values belong to the
///   first sample is equally likely under the null hypothesis; the distribution of the (doubled,
///   so integral) midrank sum is counted by dynamic programming, which handles ties exactly (as
///   Klotz 1966, which benchstat cites).
/// - **Normal approximation** otherwise, with the tie correction
///   σ² = n₁n₂/12 · ((N+1) − Σ(t³−t)/(N(N−1))) and a continuity correction of ½.
/// - Two-sided p = min(1, 2 · min(P(U ≤ u), P(U ≥ u))).
public enum MannWhitney {
    /// Largest sample for the exact distribution without ties (benchstat's `MannWhitneyExactLimit`).
    public static let exactLimit = 50
    /// Largest sample for the exact distribution with ties (benchstat's `MannWhitneyTiesExactLimit`).
    public static let tiesExactLimit = 25

    /// How the p-value was obtained.
    public enum Method: String, Sendable { case exact, normal }

    /// A test's outcome.
    public struct Result: Sendable, Equatable {
        public var n1: Int
        public var n2: Int
        /// U of the first sample (ties count ½).
        public var u: Double
        /// Two-sided p-value.
        public var p: Double
        /// P(U ≤ u): small when the first sample tends to be smaller.
        public var pLess: Double
        /// P(U ≥ u): small when the first sample tends to be larger.
        public var pGreater: Double
        public var method: Method
        public var hasTies: Bool
    }

    /// Tests whether `x` and `y` come from the same population.
    ///
    /// - Returns: nil when a sample is empty or all values are equal (the test says nothing then;
    ///   benchstat's `ErrSamplesEqual`).
    public static func test(_ x: [Double], _ y: [Double]) -> Result? {
        let n1 = x.count
        let n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        // Pool, sort, and give tied values their average rank, kept doubled so it stays integral.
        let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        let n = pooled.count
        var doubledRanks = [Int](repeating: 0, count: n)
        var ties: [Int] = []
        var i = 0
        while i < n {
            var j = i
            while j < n && pooled[j].0 == pooled[i].0 { j += 1 }
            // ranks i+1 … j (1-based); doubled average = (i+1) + j
            for k in i..<j { doubledRanks[k] = i + 1 + j }
            ties.append(j - i)
            i = j
        }
        guard ties.count > 1 else { return nil }
        let hasTies = ties.contains { $0 > 1 }
        let doubledR1 = zip(pooled, doubledRanks).reduce(0) { $0 + ($1.0.1 ? $1.1 : 0) }
        let u = Double(doubledR1) / 2 - Double(n1 * (n1 + 1)) / 2

        let exact = hasTies ? (n1 <= tiesExactLimit && n2 <= tiesExactLimit) : (n1 <= exactLimit && n2 <= exactLimit)
        var pLess: Double
        var pGreater: Double
        if exact {
            let dist = rankSumDistribution(doubledRanks: doubledRanks, choose: n1)
            var le = 0.0
            var ge = 0.0
            var total = 0.0
            for (s, ways) in dist.enumerated() where ways > 0 {
                total += ways
                if s <= doubledR1 { le += ways }
                if s >= doubledR1 { ge += ways }
            }
            pLess = le / total
            pGreater = ge / total
        } else {
            let bigN = Double(n)
            let t = ties.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
            let mu = Double(n1) * Double(n2) / 2
            let sigma = (Double(n1) * Double(n2) * ((bigN + 1) - t / (bigN * (bigN - 1))) / 12).squareRoot()
            guard sigma > 0 else { return nil }
            pLess = normalCDF((u - mu + 0.5) / sigma)
            pGreater = 1 - normalCDF((u - mu - 0.5) / sigma)
        }
        pLess = min(1, pLess)
        pGreater = min(1, pGreater)
        let p = min(1, 2 * min(pLess, pGreater))
        return Result(
            n1: n1, n2: n2, u: u, p: p, pLess: pLess, pGreater: pGreater, method: exact ? .exact : .normal,
            hasTies: hasTies)
    }

    /// Number of ways (as Double, to hold C(50+50, 50)) to pick `choose` of the values so that their
    /// doubled ranks sum to each index of the result.
    static func rankSumDistribution(doubledRanks: [Int], choose k: Int) -> [Double] {
        let maxSum = doubledRanks.sorted(by: >).prefix(k).reduce(0, +)
        // ways[c][s]: subsets of size c of the values seen so far with doubled-rank sum s.
        var ways = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: k + 1)
        ways[0][0] = 1
        for r in doubledRanks {
            for c in stride(from: min(k, ways.count - 1), through: 1, by: -1) {
                let prev = ways[c - 1]
                for s in stride(from: maxSum, through: r, by: -1) where prev[s - r] > 0 {
                    ways[c][s] += prev[s - r]
                }
            }
        }
        return ways[k]
    }

    /// The standard normal CDF Φ(z).
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The smallest two-sided p-value the exact test can give for samples of `n1` and `n2`
    /// distinct values (complete separation): 2 / C(n1+n2, n1). With 3 runs a side it is 0.1, so a
    /// change can never be significant at α = 0.05; with 4 a side it is 0.029.
    public static func smallestP(n1: Int, n2: Int) -> Double {
        var c = 1.0
        for i in 0..<min(n1, n2) { c = c * Double(n1 + n2 - i) / Double(i + 1) }
        return min(1, 2 / c)
    }
}
