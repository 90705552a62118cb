import Foundation

/// An ordinary least-squares line y = intercept + slope · x, with 95 % confidence intervals.
///
/// Hand-written: a dozen lines of arithmetic, and no available Swift package has regression with
/// intervals. The intervals use Student's t with n − 2 degrees of freedom
/// (``StudentT/quantile(_:df:)``):
/// SE(slope) = s / √Sxx, SE(intercept) = s · √(1/n + x̄²/Sxx), s² = SSE / (n − 2).
public struct LinearFit: Sendable, Equatable {
    public var n: Int
    public var slope: Double
    public var intercept: Double
    /// Half-widths of the confidence intervals (nil with fewer than 3 points: no degrees of freedom left).
    public var slopeHalfWidth: Double?
    public var interceptHalfWidth: Double?
    /// Coefficient of determination, 1 − SSE/SST (nil when every y is the same).
    public var rSquared: Double?
    /// y − fitted, in the input order.
    public var residuals: [Double]
    /// The confidence level of the intervals (0.95 by default).
    public var confidence: Double
    /// Mean of x, x̄.
    public var xMean: Double = 0
    /// Σ(x − x̄)².
    public var sxx: Double = 0
    /// Residual standard error s = √(SSE / (n − 2)); nil with fewer than 3 points.
    public var residualStandardError: Double?
    /// Student's t quantile for ``confidence`` with n − 2 degrees of freedom; nil with fewer than 3 points.
    public var tQuantile: Double?

    /// Fits `y` against `x`.
    ///
    /// - Returns: nil with fewer than 2 points, mismatched lengths, or when every x is the same.
    public init?(x: [Double], y: [Double], confidence: Double = 0.95) {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        var sxx = 0.0
        var sxy = 0.0
        var syy = 0.0
        for (a, b) in zip(x, y) {
            sxx += (a - mx) * (a - mx)
            sxy += (a - mx) * (b - my)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0 else { return nil }
        self.n = x.count
        self.xMean = mx
        self.sxx = sxx
        self.confidence = confidence
        slope = sxy / sxx
        intercept = my - slope * mx
        let (b0, b1) = (intercept, slope)
        residuals = zip(x, y).map { $1 - (b0 + b1 * $0) }
        let sse = residuals.reduce(0) { $0 + $1 * $1 }
        rSquared = syy > 0 ? 1 - sse / syy : nil
        if x.count >= 3 {
            let df = x.count - 2
            let s = (sse / Double(df)).squareRoot()
            let t = StudentT.quantile(1 - (1 - confidence) / 2, df: df)
            residualStandardError = s
            tQuantile = t
            slopeHalfWidth = t * s / sxx.squareRoot()
            interceptHalfWidth = t * s * (1 / n + mx * mx / sxx).squareRoot()
        }
    }

    /// The slope's interval (lower, upper).
    public var slopeInterval: (Double, Double)? { slopeHalfWidth.map { (slope - $0, slope + $0) } }
    /// The intercept's interval (lower, upper).
    public var interceptInterval: (Double, Double)? { interceptHalfWidth.map { (intercept - $0, intercept + $0) } }

    /// The fitted mean at `x`, intercept + slope · x.
    public func predict(_ x: Double) -> Double { intercept + slope * x }

    /// The confidence interval (lower, upper) of the mean at `x`:
    /// ŷ ± t · s · √(1/n + (x − x̄)² / Sxx); nil with fewer than 3 points.
    public func meanInterval(at x: Double) -> (Double, Double)? {
        guard let s = residualStandardError, let t = tQuantile else { return nil }
        let y = predict(x)
        let h = t * s * (1 / Double(n) + (x - xMean) * (x - xMean) / sxx).squareRoot()
        return (y - h, y + h)
    }

    /// The prediction interval (lower, upper) of one new observation at `x`:
    /// ŷ ± t · s · √(1 + 1/n + (x − x̄)² / Sxx); wider than ``meanInterval(at:)`` by the scatter of a
    /// single point, and the interval to use beyond the measured x. Nil with fewer than 3 points.
    public func predictionInterval(at x: Double) -> (Double, Double)? {
        guard let s = residualStandardError, let t = tQuantile else { return nil }
        let y = predict(x)
        let h = t * s * (1 + 1 / Double(n) + (x - xMean) * (x - xMean) / sxx).squareRoot()
        return (y - h, y + h)
    }
}

/// Student's t distribution: CDF and quantile, for confidence intervals.
///
/// Hand-written (no package has it): the CDF through the regularized incomplete beta function
/// (continued fraction, modified Lentz), the quantile by bisection on the CDF.
public enum StudentT {
    /// P(T ≤ t) with `df` degrees of freedom.
    public static func cdf(_ t: Double, df: Int) -> Double {
        let v = Double(df)
        let tail = 0.5 * regularizedIncompleteBeta(v / (v + t * t), a: v / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The t with P(T ≤ t) = p.
    public static func quantile(_ p: Double, df: Int) -> Double {
        precondition(p > 0 && p < 1 && df >= 1)
        var lo = -1e6
        var hi = 1e6
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if cdf(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * max(1, abs(mid)) { break }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnPowers: Double = a * log(x) + b * log(1 - x)
        let lnFront = lnGammas + lnPowers
        let front = exp(lnFront)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}

/// Medians and spreads of a handful of repeated measurements.
public enum SampleSummary {
    /// The median (mean of the two middle values for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }

    /// The mean and the half-width of its confidence interval, t(n − 1) · sd / √n (Student t with
    /// n − 1 degrees of freedom); the half-width is nil with fewer than 2 values. Nil when empty.
    public static func meanInterval(_ values: [Double], confidence: Double = 0.95) -> (
        mean: Double, halfWidth: Double?
    )? {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count >= 2 else { return (mean, nil) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let t = StudentT.quantile(1 - (1 - confidence) / 2, df: values.count - 1)
        return (mean, t * variance.squareRoot() / n.squareRoot())
    }
}
