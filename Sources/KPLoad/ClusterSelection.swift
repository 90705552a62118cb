import Foundation
import KPRecords

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

    /// Clusters whose bootstrap finished ok in a kp-bootstrap stream, sorted by name.
    ///
    /// A cluster is ok when its last step (`discovery`) ended `ok` and none of its steps failed.
    public static func bootstrappedClusters(path: String) throws(InputProblem) -> [String] {
        let items: [JSONLReader.Item]
        do {
            items = try JSONLReader.read(path: path)
        } catch {
            throw InputProblem("--bootstrap \(path): \(error) (pass the bootstrap.jsonl that kp-bootstrap wrote)")
        }
        var discovered = Set<String>()
        var failed = Set<String>()
        var sawStep = false
        for item in items {
            switch item {
            case .success(.bootstrapStep(let step)):
                sawStep = true
                if step.outcome != "ok" {
                    failed.insert(step.cluster)
                } else if step.step == "discovery" {
                    discovered.insert(step.cluster)
                }
            case .failure(let e):
                throw InputProblem("--bootstrap \(path): \(e) (pass the bootstrap.jsonl that kp-bootstrap wrote)")
            default:
                continue
            }
        }
        guard sawStep else {
            throw InputProblem(
                "--bootstrap \(path) holds no bootstrap_step records: pass the bootstrap.jsonl that kp-bootstrap wrote")
        }
        let ok = discovered.subtracting(failed).sorted()
        guard !ok.isEmpty else {
            throw InputProblem(
                "--bootstrap \(path): no cluster finished its bootstrap ok, so there is nothing to load (check kp-bootstrap's errors)"
            )
        }
        return ok
    }

    /// Number of hot clusters for `percent` of `count`: ceil(count · percent / 100), at least 1.
    public static func hotCount(of count: Int, percent: Double) -> Int {
        guard count > 0 else { return 0 }
        // Round the product first so that 10% of 200 is 20, not 21 from float noise.
        let exact = (Double(count) * percent / 100 * 1e9).rounded() / 1e9
        return min(count, max(1, Int(exact.rounded(.up))))
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
/// A cluster belongs to the shard FNV-1a-64(UTF-8 name) mod `count`: the split depends only on
/// the names, not on the order of the input, and every cluster is in exactly one shard.
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

    /// FNV-1a, 64 bit, of the UTF-8 bytes of `name`. Hand-written: eight lines, and it must never
    /// change (shard membership is part of the record interface).
    public static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// True when `cluster` belongs to this shard.
    public func contains(_ cluster: String) -> Bool {
        count == 1 || Int(Self.hash(cluster) % UInt64(count)) == index
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
