import Foundation

/// Number formatting for the report: fixed decimal places, no locale, no current time.
///
/// Everything kp-report prints goes through here so that a re-run on the same directory gives
/// byte-identical files. Fixed decimals are C's `%.Nf` (``printfFixed(_:_:)``), which no locale changes.
public enum Format {
    /// The placeholder for a figure that is absent.
    public static let missing = "—"

    /// `value` with `places` decimals, or "—".
    public static func fixed(_ value: Double?, _ places: Int) -> String {
        guard let value, value.isFinite else { return missing }
        let s = printfFixed(value, places)
        // "-0.0" (a tiny negative rounded away) prints as "0.0".
        if s.hasPrefix("-"), let d = Double(s), d == 0 { return String(s.dropFirst()) }
        return s
    }

    /// A byte count in MiB below 1 GiB and GiB above (1 GiB = 1024 MiB), e.g. `500.0 MiB`, `1.13 GiB`.
    public static func bytes(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        let mib = value / 1_048_576
        if abs(mib) >= 1024 { return fixed(mib / 1024, 2) + " GiB" }
        return fixed(mib, 1) + " MiB"
    }

    /// A per-VCP byte figure in MiB with two decimals, as the seed's tables print it (`1.90 MiB`).
    public static func mib2(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return fixed(value / 1_048_576, 2) + " MiB"
    }

    /// A signed byte delta (`+12.5 MiB`, `-3.0 MiB`).
    public static func signedBytes(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        let text = bytes(value)
        return value > 0 ? "+" + text : text
    }

    /// A signed number with `places` decimals (`+12`, `-3.5`).
    public static func signed(_ value: Double?, _ places: Int) -> String {
        guard let value, value.isFinite else { return missing }
        let text = fixed(value, places)
        return value > 0 ? "+" + text : text
    }

    /// KiB with one decimal.
    public static func kib(_ value: Double?) -> String {
        guard let value else { return missing }
        return fixed(value / 1024, 1)
    }

    /// Nanoseconds as milliseconds with `places` decimals.
    public static func ms(_ ns: Double?, _ places: Int = 1) -> String {
        guard let ns else { return missing }
        return fixed(ns / 1e6, places)
    }

    /// A latency in ns as ms with 3 significant-ish decimals: `799.7 ms`, `12.35 ms`, `0.412 ms`.
    public static func latency(_ ns: Double?) -> String {
        guard let ns, ns.isFinite else { return missing }
        let ms = ns / 1e6
        let places = abs(ms) >= 100 ? 1 : abs(ms) >= 1 ? 2 : 3
        return fixed(ms, places) + " ms"
    }

    /// Nanoseconds as seconds with one decimal and a unit (`12.0 s`).
    public static func seconds(_ ns: Int64?) -> String {
        guard let ns else { return missing }
        return fixed(Double(ns) / 1e9, 1) + " s"
    }

    /// An integer with thousands separators (`3,080`), as the seed's tables print counts.
    public static func count<I: BinaryInteger>(_ value: I?) -> String {
        guard let value else { return missing }
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    /// A whole-number Double with separators, or "—".
    public static func count(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return count(Int64(value.rounded()))
    }

    /// A percentage with one decimal and a `%` sign.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return fixed(value, 1) + "%"
    }

    /// Seconds (a Prometheus bucket bound) as milliseconds, `+Inf` kept.
    public static func boundMs(_ seconds: Double) -> String {
        if seconds == .infinity { return "+Inf" }
        if seconds == -.infinity { return "-Inf" }
        return trimmed(seconds * 1000) + " ms"
    }

    /// A number with up to 3 decimals and no trailing zeros (for bucket bounds such as 5, 2.5, 0.125).
    public static func trimmed(_ value: Double) -> String {
        var s = printfFixed(value, 3)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }

    /// What `String(format: "%.<places>f", value)` prints: the exact binary value rounded to
    /// `places` decimals, ties to even, as glibc's printf does. Computed in integers for
    /// 2⁻⁶⁰ ≤ |value| < 2⁶³ (or 0) and 0…9 places, the figures a report prints (a report formats
    /// tens of thousands of them, and Foundation's format-string machinery costs a few µs each);
    /// anything else goes to `String(format:)`.
    public static func printfFixed(_ value: Double, _ places: Int) -> String {
        exactFixed(value, places) ?? String(format: "%.\(places)f", value)
    }

    /// ``printfFixed(_:_:)``'s integer path; nil outside its range.
    static func exactFixed(_ value: Double, _ places: Int) -> String? {
        guard value.isFinite, (0...9).contains(places) else { return nil }
        let magnitude = value.magnitude
        var scaled: UInt64 = 0  // magnitude × 10^places, rounded
        if magnitude != 0 {
            guard magnitude.isNormal, magnitude >= 0x1p-60, magnitude < 0x1p63 else { return nil }
            // magnitude = significand × 2^shift, with a 53-bit integer significand.
            let significand = UInt128(magnitude.significandBitPattern | (1 << 52))
            let shift = Int(magnitude.exponent) - 52
            var power: UInt128 = 1
            for _ in 0..<places { power *= 10 }
            let product = significand * power
            let q: UInt128
            if shift >= 0 {
                q = product << shift
            } else {
                let k = -shift
                let whole = product >> k
                let rest = product & ((1 << k) - 1)
                let half: UInt128 = 1 << (k - 1)
                q = rest > half || (rest == half && whole & 1 == 1) ? whole + 1 : whole
            }
            guard q <= UInt128(UInt64.max) else { return nil }
            scaled = UInt64(q)
        }
        var digits = Array(String(scaled).utf8)
        if digits.count <= places {
            digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: places + 1 - digits.count), at: 0)
        }
        if places > 0 { digits.insert(UInt8(ascii: "."), at: digits.count - places) }
        if value.sign == .minus { digits.insert(UInt8(ascii: "-"), at: 0) }
        return String(decoding: digits, as: UTF8.self)
    }

    // MARK: - CSV cells (plain numbers, empty when absent)

    /// A CSV cell with `places` decimals, empty when absent.
    public static func csv(_ value: Double?, _ places: Int) -> String {
        guard let value, value.isFinite else { return "" }
        return fixed(value, places)
    }

    /// A CSV integer cell, empty when absent.
    public static func csv<I: BinaryInteger>(_ value: I?) -> String {
        guard let value else { return "" }
        return String(value)
    }
}

/// A GitHub-flavoured Markdown table with escaped cells.
public struct MarkdownTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []
    /// Column alignment: true = right-aligned (numbers).
    public var rightAligned: [Bool]

    public init(_ header: [String], rightAligned: [Bool]? = nil) {
        self.header = header
        self.rightAligned = rightAligned ?? header.indices.map { $0 > 0 }
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table text, ending in a newline.
    public var text: String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + rightAligned.map { $0 ? "---:|" : "---|" }.joined() + "\n"
        for row in rows {
            var r = row
            while r.count < header.count { r.append("") }
            out += "| " + r.map(cell).joined(separator: " | ") + " |\n"
        }
        return out
    }
}

/// A comma-separated table (RFC 4180 quoting, `\n` line ends).
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(_ header: [String]) { self.header = header }

    public mutating func add(_ row: [String]) { rows.append(row) }

    public var text: String {
        func field(_ s: String) -> String {
            guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var out = header.map(field).joined(separator: ",") + "\n"
        for row in rows { out += row.map(field).joined(separator: ",") + "\n" }
        return out
    }
}
