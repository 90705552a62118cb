import Foundation

// Shared by the parser fuzz tests of KPPromText, KPPprof and KPRecords (scripts/fuzz-parsers.sh).

/// A small seeded generator (SplitMix64), so a failing fuzz case can be replayed from its seed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bounded random mutation testing for parsers of untrusted input.
///
/// Each test runs for `KP_FUZZ_SECONDS` (default 1.5 s, so CI stays well under 5 s per parser)
/// from seed `KP_FUZZ_SEED` (default: random, printed on failure). `scripts/fuzz-parsers.sh`
/// runs the same tests for longer.
public enum FuzzInput {
    public static var seconds: Double {
        ProcessInfo.processInfo.environment["KP_FUZZ_SECONDS"].flatMap(Double.init) ?? 1.5
    }

    public static var seed: UInt64 {
        ProcessInfo.processInfo.environment["KP_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    }

    /// Calls `body` with a fresh generator per iteration until the time budget is spent.
    ///
    /// - Returns: The number of iterations run.
    @discardableResult
    public static func run(_ body: (inout SplitMix64, _ replay: String) throws -> Void) rethrows -> Int {
        let seed = self.seed
        let deadline = Date().addingTimeInterval(self.seconds)
        var iteration: UInt64 = 0
        repeat {
            var rng = SplitMix64(seed: seed &+ iteration &* 0x2545_F491_4F6C_DD1D)
            try body(&rng, "KP_FUZZ_SEED=\(seed) iteration \(iteration)")
            iteration += 1
        } while Date() < deadline
        return Int(iteration)
    }

    /// Random bytes of random length (up to `maxCount`).
    public static func randomBytes(_ rng: inout SplitMix64, maxCount: Int = 4096) -> [UInt8] {
        let count = Int.random(in: 0...maxCount, using: &rng)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Applies 1–8 random edits: bit flips, byte sets, deletions, duplications, truncation and
    /// insertion of `tokens` (format-specific interesting strings).
    public static func mutate(_ input: [UInt8], tokens: [[UInt8]], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...64, using: &rng))
                bytes.removeSubrange(position..<end)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...256, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 4:
                bytes = Array(bytes.prefix(position))
            case 5 where !tokens.isEmpty:
                bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: position)
            default:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
            }
        }
        return bytes
    }
}
