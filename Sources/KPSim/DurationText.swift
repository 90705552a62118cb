import Foundation

/// Parses and prints the duration spelling used by kube-apiserver flags (`500us`, `5ms`, `1.5s`, `2m`, `1h`).
///
/// Foundation has no duration parser and `KPCLI` (which has one) is not a dependency of `KPSim`,
/// so this small parser lives here.
public enum DurationText {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// Parses `text` as a non-negative number followed by a unit (`ns`, `us`, `ms`, `s`, `m`, `h`).
    ///
    /// - Returns: nil when the text is not a duration.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Longest suffix first so "ms" wins over "s" and "m".
        for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where trimmed.hasSuffix(unit.suffix) {
            let number = String(trimmed.dropLast(unit.suffix.count))
            guard !number.isEmpty, let value = Double(number), value >= 0, value.isFinite else { return nil }
            let nanoseconds = value * unit.seconds * 1e9
            guard nanoseconds < 9e18 else { return nil }
            return .nanoseconds(Int64(nanoseconds.rounded()))
        }
        return nil
    }

    /// Seconds in `duration` as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

