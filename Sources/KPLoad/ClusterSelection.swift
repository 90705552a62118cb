import Foundation
import KPRecords
import KPRunModel

/// Which clusters exist and which of them get load.
///
/// The list comes from `--clusters N` with `--name-format` (as kp-bootstrap names them), or from
/// a `bootstrap.jsonl` (only clusters whose bootstrap finished ok). The hot subset is the first
/// ceil(N · hot% / 100) clusters of a shuffle seeded by `--seed`, so it is reproducible and not
/// biased toward low-numbered clusters.
public enum ClusterSelection {
    /// Expands a printf-style name format with one integer conversion (`%d`, `%03d`, `%5d`)
    /// for indices `0..<count`.
    public static func names(count: Int, format: String) throws(InputProblem) -> [String] {
        let parsed = try NameFormat(format)
        return (0..<count).map { parsed.render($0) }
    }

    /// Number of hot clusters for `percent` of `count`: ceil(count · percent / 100), at least 1.
    public static func hotCount(of count: Int, percent: Double) -> Int {
        Scenario.hotCount(of: count, percent: percent)
    }

    /// The hot subset: the first ``hotCount(of:percent:)`` clusters of a shuffle seeded by `seed`.
    public static func hotSubset(_ clusters: [String], percent: Double, seed: UInt64) -> [String] {
        var shuffled = clusters
        if percent < 100 {
            var rng = SeededRandom(seed: seed, stream: UInt64.max, substream: 0x5EED)
            rng.shuffle(&shuffled)
        }
        return Array(shuffled.prefix(hotCount(of: clusters.count, percent: percent)))
    }
}

/// One shard of a load split over several kp-load processes: `index` of `count`, 0-based.
///
/// Shard I of N runs the hot clusters at positions I, I + N, I + 2N … of the run's hot list (the
/// seeded shuffle of ``ClusterSelection/hotSubset(_:percent:seed:)``, the same in every shard for
/// one run seed): every hot cluster is in exactly one shard, each shard gets ⌊H/N⌋ or ⌈H/N⌉ of the
/// H hot clusters, and none is empty when H ≥ N, which kp-run checks before launch.
public struct LoadShard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = LoadShard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && index >= 0 && index < count, "shard out of range")
        self.index = index
        self.count = count
    }

    /// Parses `I/N` (0 ≤ I < N, 1 ≤ N ≤ 10000).
    public init(parsing text: String) throws(InputProblem) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 10_000, i >= 0, i < n else {
            throw InputProblem(
                "--shard '\(text)' must be I/N with 0 <= I < N <= 10000, e.g. 0/4 for the first of four shards")
        }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The shard file name the orchestrator gives this shard's records: `load-I-of-N.jsonl`.
    public var fileName: String { "load-\(index)-of-\(count).jsonl" }

    /// This shard's positions in a hot list of `hotCount` clusters.
    public func positions(hotCount: Int) -> [Int] {
        Array(stride(from: index, to: hotCount, by: count))
    }
}

/// A bad input kp-load found: one line naming the input and the fix (exit 2).
public struct InputProblem: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A printf-style cluster name format with exactly one integer conversion.
///
/// Hand-written instead of `String(format:)` because that would crash or read garbage on a
/// user-supplied `%s` or `%@`; this accepts only `%d` with an optional `0` flag and width, and `%%`.
struct NameFormat: Sendable {
    let prefix: String
    let suffix: String
    let zeroPad: Bool
    let width: Int

    init(_ format: String) throws(InputProblem) {
        var prefix = ""
        var suffix = ""
        var found = false
        var zero = false
        var width = 0
        var chars = Array(format)[...]
        func bad(_ why: String) -> InputProblem {
            InputProblem("--name-format '\(format)' \(why): give one integer conversion, e.g. c-%03d")
        }
        while let c = chars.popFirst() {
            if c != "%" {
                if found { suffix.append(c) } else { prefix.append(c) }
                continue
            }
            if chars.first == "%" {
                chars.removeFirst()
                if found { suffix.append("%") } else { prefix.append("%") }
                continue
            }
            if found { throw bad("has more than one conversion") }
            if chars.first == "0" {
                zero = true
                chars.removeFirst()
            }
            var digits = ""
            while let d = chars.first, d.isASCII, d.isNumber {
                digits.append(d)
                chars.removeFirst()
            }
            guard chars.popFirst() == "d" else { throw bad("has a conversion other than %d") }
            width = Int(digits) ?? 0
            guard width <= 32 else { throw bad("has a width over 32") }
            found = true
        }
        guard found else { throw bad("has no %d") }
        self.prefix = prefix
        self.suffix = suffix
        self.zeroPad = zero
        self.width = width
    }

    func render(_ i: Int) -> String {
        var digits = String(i)
        if digits.count < width {
            digits = String(repeating: zeroPad ? "0" : " ", count: width - digits.count) + digits
        }
        return prefix + digits + suffix
    }
}
