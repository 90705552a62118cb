import Testing

@testable import KPStats

@Suite struct LinearFitTests {
    /// Hand-computed: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6 → slope 0.6, intercept 2.2; residuals
    /// −0.8, 0.6, 1.0, −0.6, −0.2; SSE = 2.4, SST = 6 → R² = 0.6; s² = 0.8; t(0.975, 3) = 3.182446;
    /// slope ± 3.182446 · √(0.8/10) = ± 0.900136, intercept ± 3.182446 · √(0.8 · (1/5 + 9/10)) = ± 2.985399.
    @Test func handComputedLine() throws {
        let f = try #require(LinearFit(x: [1, 2, 3, 4, 5], y: [2, 4, 5, 4, 5]))
        #expect(abs(f.slope - 0.6) < 1e-12)
        #expect(abs(f.intercept - 2.2) < 1e-12)
        #expect(abs(f.rSquared! - 0.6) < 1e-12)
        for (r, want) in zip(f.residuals, [-0.8, 0.6, 1.0, -0.6, -0.2]) { #expect(abs(r - want) < 1e-12) }
        #expect(abs(f.slopeHalfWidth! - 0.900136) < 1e-5)
        #expect(abs(f.interceptHalfWidth! - 2.985399) < 1e-5)
    }

    /// Hand-computed on the line above (s² = 0.8, t(0.975, 3) = 3.182446, x̄ = 3, Sxx = 10):
    /// at x = 6, ŷ = 5.8 and the prediction half-width is t · √(0.8 · (1 + 1/5 + 9/10)) = 4.124922,
    /// against the mean's t · √(0.8 · (1/5 + 9/10)) = 2.985399 (the intercept's width at x = 0 mirrored).
    @Test func predictionIntervalIsWiderByOnePointsScatter() throws {
        let f = try #require(LinearFit(x: [1, 2, 3, 4, 5], y: [2, 4, 5, 4, 5]))
        let p = try #require(f.predictionInterval(at: 6))
        #expect(abs(p.0 - (5.8 - 4.124922)) < 1e-5 && abs(p.1 - (5.8 + 4.124922)) < 1e-5)
        let m = try #require(f.meanInterval(at: 6))
        #expect(abs(m.1 - 5.8 - 2.985399) < 1e-5)
        // At x̄ the prediction half-width is t · √(0.8 · 1.2) = 3.118148.
        let c = try #require(f.predictionInterval(at: 3))
        #expect(abs(c.1 - 4 - 3.118148) < 1e-5)
        #expect(try #require(LinearFit(x: [1, 2], y: [3, 5])).predictionInterval(at: 3) == nil)
    }

    /// 2, 2.5, 3, 4.5: mean 3, sd = √(3.5 / 3) = 1.080123, half-width t(0.975, 3) · sd / √4 = 1.718717.
    @Test func meanIntervalOfRepeatedValues() throws {
        let m = try #require(SampleSummary.meanInterval([2, 2.5, 3, 4.5]))
        #expect(m.mean == 3 && abs(m.halfWidth! - 1.718717) < 1e-5)
        #expect(SampleSummary.meanInterval([7])?.halfWidth == nil)
        #expect(SampleSummary.meanInterval([]) == nil)
    }

    @Test func exactLineHasZeroWidthAndTwoPointsNoInterval() throws {
        let xs: [Double] = [50, 100, 200, 400]
        let ys: [Double] = xs.map { 1000 + 2 * $0 }
        let f = try #require(LinearFit(x: xs, y: ys))
        #expect(abs(f.slope - 2) < 1e-12 && abs(f.intercept - 1000) < 1e-9)
        #expect(f.rSquared == 1 && f.slopeHalfWidth! < 1e-9)
        let two = try #require(LinearFit(x: [1, 2], y: [3, 5]))
        #expect(two.slopeHalfWidth == nil && two.slope == 2)
        #expect(LinearFit(x: [1, 1, 1], y: [1, 2, 3]) == nil)
        #expect(LinearFit(x: [1], y: [1]) == nil)
    }

    /// Two-sided 95 % quantiles from the t table.
    @Test(arguments: [(1, 12.706205), (2, 4.302653), (3, 3.182446), (10, 2.228139), (30, 2.042272)])
    func studentTQuantilesMatchTheTable(df: Int, t: Double) {
        #expect(abs(StudentT.quantile(0.975, df: df) - t) < 1e-5)
        #expect(abs(StudentT.cdf(t, df: df) - 0.975) < 1e-7)
    }

    @Test func medianOfEvenAndOddCounts() {
        #expect(SampleSummary.median([3, 1, 2]) == 2)
        #expect(SampleSummary.median([4, 1, 3, 2]) == 2.5)
        #expect(SampleSummary.median([]) == nil)
    }
}
