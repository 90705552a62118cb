/// The one duration grammar of kp-bench: Go's `time.ParseDuration`, because the seed (and kplane's
/// own flags) write durations the Go way. Every tool's flags, kp-sim's flags and fault plans, and
/// kp-run use it; docs/cli.md documents it once.
///
/// Grammar: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+`, or the bare `0`. So `30s`, `1m30s`,
/// `.5s`, `1.5h`, `500ms`, `250us` and `0` are durations; `90` (no unit), `.s` (no digits), `1d`
/// (unknown unit) and ` 5s` (white space) are not. As in Go, each number's fraction is computed in
/// integer nanoseconds, and a total beyond `Int64.max` nanoseconds (about 292 years) is an error.
///
/// Hand-written: Foundation has no duration parser and none of the available packages parses Go's.
public enum DurationGrammar {
    /// Why a text is not a duration.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case invalid
        case missingUnit
        case unknownUnit(String)
        case overflow
        case negative

        public var description: String {
            switch self {
            case .empty: "empty"
            case .invalid: "malformed"
            case .missingUnit: "a number without a unit"
            case .unknownUnit(let unit): "unknown unit '\(unit)'; units are ns, us, ms, s, m, h"
            case .overflow: "longer than 292 years"
            case .negative: "negative"
            }
        }
    }

    /// Parses `text` with Go's grammar, sign included.
    public static func parseSigned(_ text: String) throws(Problem) -> Duration {
        var s = Substring(text).utf8[...]
        guard !s.isEmpty else { throw .empty }
        var negative = false
        if let c = s.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            negative = c == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.elementsEqual("0".utf8) { return .zero }
        guard !s.isEmpty else { throw .invalid }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while !s.isEmpty {
            guard let c = s.first, c == UInt8(ascii: ".") || isDigit(c) else { throw .invalid }
            // [0-9]*
            var value: UInt64 = 0
            var sawInteger = false
            while let c = s.first, isDigit(c) {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
                guard !o1, !o2, next <= limit else { throw .overflow }
                value = next
                sawInteger = true
                s = s.dropFirst()
            }
            // (\.[0-9]*)?
            var fraction: UInt64 = 0
            var scale = 1.0
            var sawFraction = false
            if s.first == UInt8(ascii: ".") {
                s = s.dropFirst()
                var overflowed = false
                while let c = s.first, isDigit(c) {
                    sawFraction = true
                    s = s.dropFirst()
                    if overflowed { continue }
                    let (times10, o1) = fraction.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
                    if o1 || o2 || next > limit {
                        overflowed = true  // Go drops digits beyond this precision
                        continue
                    }
                    fraction = next
                    scale *= 10
                }
            }
            guard sawInteger || sawFraction else { throw .invalid }
            // The unit: everything up to the next digit or '.'.
            let unitEnd = s.firstIndex(where: { $0 == UInt8(ascii: ".") || isDigit($0) }) ?? s.endIndex
            let unitText = String(decoding: s[s.startIndex..<unitEnd], as: UTF8.self)
            s = s[unitEnd...]
            guard !unitText.isEmpty else { throw .missingUnit }
            guard let unit = units[unitText] else { throw .unknownUnit(unitText) }
            guard value <= limit / unit else { throw .overflow }
            value *= unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                guard value <= limit else { throw .overflow }
            }
            total += value
            guard total <= limit else { throw .overflow }
        }
        if negative { return .nanoseconds(total == limit ? Int64.min : -Int64(total)) }
        guard total <= UInt64(Int64.max) else { throw .overflow }
        return .nanoseconds(Int64(total))
    }

    /// Parses a non-negative duration (what every flag wants): Go's grammar, a negative value refused.
    public static func parseNonNegative(_ text: String) throws(Problem) -> Duration {
        let d = try parseSigned(text)
        guard d >= .zero else { throw .negative }
        return d
    }

    /// ``parseNonNegative(_:)`` as an optional: nil when `text` is not a non-negative duration.
    public static func parse(_ text: String) -> Duration? {
        try? parseNonNegative(text)
    }

    /// The one-line message for a bad duration value, naming it and the fix; `flag` may be empty.
    /// E.g. `--warmup '90' is not a duration (a number without a unit): write it with a unit, e.g. 90s, 1m30s, 500ms, .5s`.
    public static func message(flag: String, text: String, problem: Problem) -> String {
        (flag.isEmpty ? "" : flag + " ")
            + "'\(text)' is not a duration (\(problem)): write it with a unit, e.g. 90s, 1m30s, 500ms, .5s"
    }

    /// Formats `duration` as Go's `Duration.String` does: `1m30s`, `1.5s`, `500ms`, `250µs`, `0s`.
    public static func format(_ duration: Duration) -> String {
        let nanos = nanoseconds(duration)
        if nanos == 0 { return "0s" }
        let sign = nanos < 0 ? "-" : ""
        let u = nanos.magnitude
        if u < 1_000 { return "\(sign)\(u)ns" }
        if u < 1_000_000 { return sign + decimal(u, digits: 3) + "µs" }
        if u < 1_000_000_000 { return sign + decimal(u, digits: 6) + "ms" }
        let seconds = decimal(u % 60_000_000_000, digits: 9) + "s"
        let minutes = u / 60_000_000_000
        if minutes == 0 { return sign + seconds }
        if minutes < 60 { return "\(sign)\(minutes)m\(seconds)" }
        return "\(sign)\(minutes / 60)h\(minutes % 60)m\(seconds)"
    }

    /// Whole nanoseconds in `duration` (sub-nanosecond parts dropped).
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Seconds in `duration` as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// `value / 10^digits` with the fraction's trailing zeros (and a bare point) dropped, as Go prints.
    private static func decimal(_ value: UInt64, digits: Int) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        var fraction = String(value % divisor)
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(value / divisor)" + (fraction.isEmpty ? "" : "." + fraction)
    }
}
