import KPRecords

/// kp-bootstrap's verdict on a failed bootstrap, from its own step records: the exit code says
/// whose fault it was, so the run orchestrator reads a code instead of re-deriving it.
///
/// - 12 (target errors): a failed step saw answers that were errors: 429, 5xx, other HTTP statuses,
///   connection resets or transport errors.
/// - 11 (target unreachable): the failed steps got no answer at all: timeouts or refused connections.
/// - 12 as well when the target answered 2xx but a step still missed its deadline (e.g. a CRD never Established).
/// nil when no step failed (a failed summary without failed steps is the caller's exit 1).
public enum BootstrapVerdict {
    public static let targetUnreachable: Int32 = 11
    public static let targetErrors: Int32 = 12

    /// Status-count keys that mean the target did not answer.
    static let noAnswer: Set<String> = ["timeout", "refused"]

    /// The exit code for a bootstrap whose failed (not interrupted) steps are `failed`; nil when none failed.
    public static func exitCode(failedSteps failed: [BootstrapStepRecord]) -> Int32? {
        let bad = failed.filter { $0.outcome != "ok" && $0.outcome != "interrupted" }
        guard !bad.isEmpty else { return nil }
        var answeredWithErrors = false
        var unanswered = false
        for step in bad {
            for (key, count) in step.statusCounts where count > 0 {
                if noAnswer.contains(key) {
                    unanswered = true
                } else if !(key.count == 3 && key.hasPrefix("2")) {
                    answeredWithErrors = true
                }
            }
        }
        if answeredWithErrors { return targetErrors }
        if unanswered { return targetUnreachable }
        return targetErrors
    }
}
