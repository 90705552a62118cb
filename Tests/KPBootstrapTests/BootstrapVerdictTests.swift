import KPBootstrap
import KPRecords
import Testing

/// kp-bootstrap's exit code on failure is its verdict (kp-run passes it through): 12 when the target
/// answered with errors, 11 when it did not answer, nil when no step failed.
@Suite struct BootstrapVerdictTests {
    func step(_ outcome: String, _ counts: [String: Int]) -> BootstrapStepRecord {
        BootstrapStepRecord(
            cluster: "c-000", step: "crd_create", startNs: 0, endNs: 1, attempts: 1, outcome: outcome,
            statusCounts: counts, retries: 0, error: outcome == "ok" ? nil : "x")
    }

    @Test func verdicts() {
        #expect(BootstrapVerdict.exitCode(failedSteps: []) == nil)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("ok", ["201": 1])]) == nil)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("interrupted", ["timeout": 1])]) == nil)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("deadline_exceeded", ["timeout": 3])]) == 11)
        #expect(
            BootstrapVerdict.exitCode(failedSteps: [step("deadline_exceeded", ["refused": 2, "timeout": 1])]) == 11)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("deadline_exceeded", ["503": 4])]) == 12)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("failed", ["429": 1])]) == 12)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("failed", ["reset": 1])]) == 12)
        // Errors win over silence: the target did answer, with errors.
        #expect(
            BootstrapVerdict.exitCode(failedSteps: [
                step("deadline_exceeded", ["timeout": 1]), step("failed", ["500": 1]),
            ]) == 12)
        // The target refused the requests themselves (wrong token, a rerun's 409): the client's side, exit 1.
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("failed", ["401": 1])]) == 1)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("failed", ["409": 1])]) == 1)
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("failed", ["409": 1]), step("failed", ["503": 2])]) == 12)
        // Answered 200 but never got there before the deadline (e.g. never Established): the target's doing.
        #expect(BootstrapVerdict.exitCode(failedSteps: [step("deadline_exceeded", ["200": 30])]) == 12)
    }
}
