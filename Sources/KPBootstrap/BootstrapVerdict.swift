import KPRecords

/// kp-bootstrap's verdict on a failed bootstrap, from its own step records: the exit code says
/// whose fault it was, so the run orchestrator reads a code instead of re-deriving it.
///
/// - 12 (target errors): a failed step saw the target's errors: 429, 5xx, connection resets or
///   transport errors; or it answered 2xx but a step still missed its deadline (a CRD never Established).
/// - 11 (target unreachable): the failed steps got no answer at all: timeouts or refused connections.
/// - 1 (failure) when the target refused the requests themselves (another 4xx: a wrong token's 401,
///   403, a rerun's 409 without --allow-existing, 422): the cause is on the client's side, and the
///   summary's first error names it.
/// nil when no step failed (a failed summary without failed steps is the caller's exit 1).
public enum BootstrapVerdict {
    public static let targetUnreachable: Int32 = 11
    public static let targetErrors: Int32 = 12
    public static let failure: Int32 = 1

    /// Status-count keys that mean the target did not answer.
    static let noAnswer: Set<String> = ["timeout", "refused"]

    /// The exit code for a bootstrap whose failed (not interrupted) steps are `failed`; nil when none failed.
    public static func exitCode(failedSteps failed: [BootstrapStepRecord]) -> Int32? {
        let bad = failed.filter { $0.outcome != "ok" && $0.outcome != "interrupted" }
        guard !bad.isEmpty else { return nil }
        var answeredWithErrors = false
        var unanswered = false
        var refusedByTarget = false
        for step in bad {
            for (key, count) in step.statusCounts where count > 0 {
                if noAnswer.contains(key) {
                    unanswered = true
                } else if key == "429" || key.hasPrefix("5") || key == "reset" || key == "transport" {
                    answeredWithErrors = true
                } else if key.count == 3 && key.hasPrefix("4") {
                    refusedByTarget = true
                }
            }
        }
        if answeredWithErrors { return targetErrors }
        if unanswered { return targetUnreachable }
        if refusedByTarget { return failure }
        return targetErrors
    }
}
