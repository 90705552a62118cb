import ArgumentParser

/// A duration flag written with units, as Go's `time.ParseDuration` accepts: `30s`, `2m`, `1m30s`, `500ms`, `1h`, `250us`, `0s`.
///
/// A bare number without a unit is rejected (is `90` seconds or milliseconds?), with the fix in the message.
public struct DurationArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public var duration: Duration
    /// The text as the user gave it, for records and reports.
    public var text: String

    public init(_ duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    public init?(argument: String) {
        guard let d = DurationArgument.parse(argument) else { return nil }
        self.duration = d
        self.text = argument
    }

    public var description: String { text }
    public var defaultValueDescription: String { text }

    /// Seconds as a Double.
    public var seconds: Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    public var nanoseconds: Int64 {
        let c = duration.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }

    /// For `@Option(transform: DurationArgument.transform)`: the same parse, with an error that gives the fix.
    public static func transform(_ s: String) throws -> DurationArgument {
        guard let d = parse(s) else {
            throw ValidationError("'\(s)' is not a duration: write it with a unit, e.g. 90s, 1m30s, 500ms")
        }
        return DurationArgument(d, text: s)
    }

    /// Parses Go-style durations; nil when malformed or negative.
    public static func parse(_ s: String) -> Duration? {
        var rest = Substring(s.trimmingCharacters(in: .whitespaces))
        if rest.isEmpty { return nil }
        if rest == "0" { return .zero }
        var total = 0.0  // nanoseconds
        var sawUnit = false
        while !rest.isEmpty {
            let numEnd = rest.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? rest.endIndex
            guard numEnd != rest.startIndex, let value = Double(rest[rest.startIndex..<numEnd]) else { return nil }
            rest = rest[numEnd...]
            let unitEnd = rest.firstIndex(where: { $0.isNumber || $0 == "." }) ?? rest.endIndex
            let unit = rest[rest.startIndex..<unitEnd]
            rest = rest[unitEnd...]
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            sawUnit = true
            total += value * scale
        }
        guard sawUnit, total.isFinite, total >= 0, total < 1e18 else { return nil }
        return .nanoseconds(Int64(total.rounded()))
    }
}

import Foundation
