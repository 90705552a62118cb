import Foundation
import KPCore

/// kp-sim's durations (flags, fault plans) in kp-bench's one grammar, ``KPCore/DurationGrammar``
/// (Go's `time.ParseDuration`, as kube-apiserver flags are written: `500us`, `5ms`, `1.5s`, `1m30s`, `.5s`).
public enum DurationText {
    /// Parses `text` as a non-negative Go duration.
    ///
    /// - Returns: nil when the text is not a duration.
    public static func parse(_ text: String) -> Duration? {
        DurationGrammar.parse(text)
    }

    /// Seconds in `duration` as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        DurationGrammar.seconds(duration)
    }
}
