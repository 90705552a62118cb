/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The standard library's `SystemRandomNumberGenerator` cannot be seeded, and none of kp-bench's
/// dependencies ships a seedable generator, so these ~30 lines are hand-written from the public
/// reference algorithms (Blackman & Vigna). Given the same seed, every sequence kp-load draws
/// (the hot subset, schedule phases, Poisson gaps, object choice) is identical on every platform
/// and Swift version: `--seed` makes a run's schedule reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words from `seed` with SplitMix64, as the xoshiro authors recommend.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm)
        s1 = splitMix(&sm)
        s2 = splitMix(&sm)
        s3 = splitMix(&sm)
    }

    /// A generator for one sub-stream (a cluster's reads, say), independent of the others.
    ///
    /// Derived from the run seed and the stream's numbers, so adding a cluster does not change
    /// the draws of the clusters before it.
    public init(seed: UInt64, stream: UInt64, substream: UInt64 = 0) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ (substream &* 0x8CB9_2BA7_2F3D_8DD7))
    }

    public mutating func next() -> UInt64 {
        let x = s1 &* 5
        let result = ((x << 7) | (x >> 57)) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Double in [0, 1), from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection): platform-independent.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold {
                m = next().multipliedFullWidth(by: b)
            }
        }
        return Int(m.high)
    }

    /// Fisher–Yates shuffle with ``nextIndex(below:)``: the order depends only on the seed.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = nextIndex(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }
}
