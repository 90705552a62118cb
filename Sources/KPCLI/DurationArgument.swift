import ArgumentParser
import KPCore

/// A duration flag in kp-bench's one grammar, ``KPCore/DurationGrammar`` (Go's `time.ParseDuration`):
/// `30s`, `2m`, `1m30s`, `.5s`, `500ms`, `1h`, `250us`, `0`; negative durations are refused.
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
        do {
            return DurationArgument(try DurationGrammar.parseNonNegative(s), text: s)
        } catch {
            throw ValidationError(DurationGrammar.message(flag: "", text: s, problem: error))
        }
    }

    /// Parses with ``KPCore/DurationGrammar``; nil when malformed or negative.
    public static func parse(_ s: String) -> Duration? {
        DurationGrammar.parse(s)
    }
}
