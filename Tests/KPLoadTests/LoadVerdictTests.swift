import Testing

@testable import KPLoad

/// The end-of-phase verdict from numbers alone: no clock, no server, no timing.
@Suite struct LoadVerdictTests {
    static let ms: Int64 = 1_000_000
    static let s: Int64 = 1_000_000_000

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var inputs: LoadVerdict.Inputs
        var outcome: LoadVerdict.Outcome
        /// Every one must appear in the reasons.
        var says: [String]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "on schedule",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 2 * ms, schedulerLagP99Ns: 1 * ms, driverLagP99Ns: 1 * ms,
                scheduled: [.init(kind: "read", due: 1000, sent: 1000)], requests: 1000, phaseWallNs: 10 * s,
                processCPUSeconds: 0.3, usableCores: 2),
            outcome: .ok, says: []),
        Row(
            name: "server slow: sends waited at --max-inflight and for stream slots",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 900 * ms, schedulerLagP99Ns: 1 * ms, driverLagP99Ns: 400 * ms,
                maxInflight: 100, maxInflightReached: true, scheduled: [.init(kind: "read", due: 2500, sent: 1500)],
                requests: 1500, slotWaits: 1200, phaseWallNs: 10 * s, processCPUSeconds: 0.5, usableCores: 2,
                achievedOpsPerSecond: 150, targetOpsPerSecond: 250, inflightPeak: 100, timeouts: 30,
                readServiceP99Ns: 800 * ms),
            outcome: .targetSaturated,
            says: [
                "target saturated: achieved 150.0 of 250.0 ops/s", "--max-inflight 100 was reached",
                "only 1500 of the 2500 reads", "1200 of 1500 requests waited", "30 requests timed out",
                "read service p99 800.00ms",
            ]),
        Row(
            name: "a few ops missing with no sign of kp-load: the server",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 3 * ms, scheduled: [.init(kind: "write", due: 500, sent: 450)],
                requests: 900, slotWaits: 100, phaseWallNs: 10 * s),
            outcome: .targetSaturated, says: ["only 450 of the 500 writes"]),
        // kp-sim --sim-max-concurrency at 2.5× its capacity: every request goes out on time and waits in
        // the server's own queue, so nothing is late at kp-load; only the answers fall behind.
        Row(
            name: "server queues inside: sends on time, answers fall behind",
            inputs: .init(
                maxLagNs: 50 * ms, scheduleLagP99Ns: 2 * ms, schedulerLagP99Ns: 1 * ms, driverLagP99Ns: 1 * ms,
                scheduled: [.init(kind: "read", due: 2450, sent: 2450)], requests: 2450, phaseWallNs: 10 * s,
                processCPUSeconds: 0.4, usableCores: 2, achievedOpsPerSecond: 245, targetOpsPerSecond: 250,
                inflightPeak: 1500, dueSecondHalf: 1250, answeredSecondHalf: 500),
            outcome: .targetSaturated,
            says: [
                "target saturated: achieved 245.0 of 250.0 ops/s",
                "500 operations answered in the phase's second half, where 1250 were due", "in-flight peak 1500",
            ]),
        Row(
            name: "answers keep pace: ok",
            inputs: .init(
                maxLagNs: 50 * ms, scheduleLagP99Ns: 2 * ms, scheduled: [.init(kind: "read", due: 2450, sent: 2450)],
                requests: 2450, phaseWallNs: 10 * s, dueSecondHalf: 1250, answeredSecondHalf: 1241),
            outcome: .ok, says: []),
        Row(
            name: "too few due in the second half to judge the answers",
            inputs: .init(
                maxLagNs: 50 * ms, scheduleLagP99Ns: 2 * ms, phaseWallNs: 10 * s,
                dueSecondHalf: LoadVerdict.minimumDueToJudgeAnswers - 1, answeredSecondHalf: 0),
            outcome: .ok, says: []),
        Row(
            name: "answers behind because kp-load was starved: generator-limited",
            inputs: .init(
                maxLagNs: 50 * ms, scheduleLagP99Ns: 2 * ms, requests: 2000, runQueueDelayNs: 6 * s,
                phaseWallNs: 10 * s, dueSecondHalf: 1000, answeredSecondHalf: 300),
            outcome: .generatorLimited, says: ["kp-load was starved of CPU", "answers fell behind the offered rate"]),
        Row(
            name: "the scheduler itself was late",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 60 * ms, schedulerLagP99Ns: 50 * ms, requests: 1000,
                slotWaits: 500, phaseWallNs: 10 * s),
            outcome: .generatorLimited,
            says: [
                "the scheduler itself was late: its lag p99 50.00ms",
                "schedule lag p99 60.00ms is over --max-lag 10.00ms",
            ]),
        Row(
            name: "driver threads late while the server had free slots",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 3 * s, schedulerLagP99Ns: 1 * ms, driverLagP99Ns: 3 * s,
                requests: 10_000, slotWaits: 5, phaseWallNs: 10 * s),
            outcome: .generatorLimited, says: ["kp-load's threads were late", "only 5 of 10000 requests waited"]),
        // mixed-uniform-200 with kp-sim and kp-load on two cores: lag p50 3 s, p99 7 s, kp-load waited
        // for a core most of the phase, and 10.9 % of the operations ended 409 from bunched writes.
        Row(
            name: "late generator and 409s from bunching",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 7220 * ms, schedulerLagP99Ns: 5 * ms, driverLagP99Ns: 7 * s,
                requests: 150_000, slotWaits: 20_000, runQueueDelayNs: 30 * s, phaseWallNs: 55 * s,
                processCPUSeconds: 40, usableCores: 2, achievedOpsPerSecond: 1800, targetOpsPerSecond: 5000,
                conflicts: 10_901, operations: 100_000),
            outcome: .generatorLimited,
            says: [
                "kp-load was starved of CPU: a thread of it waited 30.0 s for a core in 55.0 s",
                "10901 of 100000 operations ended 409 Conflict", "count against kp-load, not the target",
            ]),
        Row(
            name: "starved but on time: nothing to explain",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 4 * ms, runQueueDelayNs: 8 * s, phaseWallNs: 10 * s,
                busiestThreadCPUNs: 1 * s, processCPUSeconds: 1),
            outcome: .ok, says: []),
        Row(
            name: "a CPU-saturated kp-load thread behind late sends",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 200 * ms, maxInflightReached: true, requests: 5000,
                slotWaits: 2000, phaseWallNs: 10 * s, busiestThreadCPUNs: 95 * s / 10),
            outcome: .generatorLimited, says: ["a kp-load thread was CPU-saturated (9.5 s of CPU in 10.0 s)"]),
        Row(
            name: "409s in an on-time run are not kp-load's",
            inputs: .init(
                maxLagNs: 10 * ms, scheduleLagP99Ns: 2 * ms, phaseWallNs: 10 * s, conflicts: 300, operations: 1000),
            outcome: .ok, says: []),
        Row(
            name: "operations left in flight after the drain",
            inputs: .init(maxLagNs: 10 * ms, scheduleLagP99Ns: 2 * ms, unfinished: 7, phaseWallNs: 10 * s),
            outcome: .targetSaturated, says: ["7 operations were still in flight when the drain ended"]),
    ]

    @Test(arguments: rows) func verdict(_ row: Row) {
        let v = LoadVerdict.judge(row.inputs)
        #expect(v.outcome == row.outcome, "\(v.reasons)")
        for s in row.says {
            #expect(v.reasons.contains { $0.contains(s) }, "missing '\(s)' in \(v.reasons)")
        }
        #expect((v.outcome == .ok) == v.reasons.isEmpty)
        if v.outcome == .targetSaturated { #expect(v.reasons.count == 1) }
    }
}
