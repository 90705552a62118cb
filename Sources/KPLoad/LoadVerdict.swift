import Foundation

/// The end-of-phase diagnosis of an open-loop load phase, from the phase's numbers alone: kp-load
/// kept its schedule (ok), kp-load kept up but the operations waited on the server (target
/// saturated: a result about the server), or kp-load itself was late (generator-limited: the
/// figures describe kp-load as much as the server, and the run is not valid).
///
/// Pure: no clocks and no threads. ``LoadGenerator`` fills ``Inputs`` from its tallies when the
/// phase ends; the tests feed it tables of numbers.
public struct LoadVerdict: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable {
        case ok
        case targetSaturated = "target saturated"
        case generatorLimited = "generator-limited"
    }

    /// One operation kind's count due in the phase (less --max-lag at its end) and sent within it.
    public struct Due: Sendable, Equatable {
        public var kind: String
        public var due: Int
        public var sent: Int
        public init(kind: String, due: Int, sent: Int) {
            self.kind = kind
            self.due = due
            self.sent = sent
        }
    }

    public struct Inputs: Sendable, Equatable {
        /// --max-lag.
        public var maxLagNs: Int64
        /// Intended start → request sent, p99 over the phase.
        public var scheduleLagP99Ns: Int64?
        /// The scheduler's own lateness (not counting holds at --max-inflight), p99.
        public var schedulerLagP99Ns: Int64?
        /// Hand-over to a driver thread → request sent, p99.
        public var driverLagP99Ns: Int64
        public var maxInflight: Int
        /// Operations waited for a free --max-inflight slot at least once.
        public var maxInflightReached: Bool
        public var scheduled: [Due]
        /// Operations still in flight when the drain ended.
        public var unfinished: Int
        /// HTTP requests sent (reads, a write's GET and its update).
        public var requests: Int
        /// Requests that waited inside libcurl for a connection or an HTTP/2 stream slot.
        public var slotWaits: Int
        /// The longest run-queue delay of one kp-load thread (waiting for a core while runnable).
        public var runQueueDelayNs: Int64
        public var phaseWallNs: Int64
        /// CPU of kp-load's busiest thread over the phase.
        public var busiestThreadCPUNs: Int64
        /// kp-load's process CPU over the phase.
        public var processCPUSeconds: Double
        /// Cores kp-load's threads could use (min of the machine's and its threads).
        public var usableCores: Int
        public var achievedOpsPerSecond: Double
        public var targetOpsPerSecond: Double
        public var inflightPeak: Int
        public var timeouts: Int64
        public var readServiceP99Ns: Int64?
        /// Operations that ended 409 Conflict, and all operations.
        public var conflicts: Int64
        public var operations: Int64
        /// Operations whose intended start falls in the phase's second half, and operations answered
        /// in it (any status; a timeout is no answer). A server that takes every request but answers
        /// fewer than it is offered falls behind, whether the requests wait in its own queue or for
        /// a stream slot in kp-load's. 0 and 0: not judged (an interrupted phase).
        public var dueSecondHalf: Int
        public var answeredSecondHalf: Int

        public init(
            maxLagNs: Int64, scheduleLagP99Ns: Int64? = nil, schedulerLagP99Ns: Int64? = nil, driverLagP99Ns: Int64 = 0,
            maxInflight: Int = 10_000, maxInflightReached: Bool = false, scheduled: [Due] = [], unfinished: Int = 0,
            requests: Int = 0, slotWaits: Int = 0, runQueueDelayNs: Int64 = 0, phaseWallNs: Int64,
            busiestThreadCPUNs: Int64 = 0, processCPUSeconds: Double = 0, usableCores: Int = 1,
            achievedOpsPerSecond: Double = 0, targetOpsPerSecond: Double = 0, inflightPeak: Int = 0,
            timeouts: Int64 = 0,
            readServiceP99Ns: Int64? = nil, conflicts: Int64 = 0, operations: Int64 = 0, dueSecondHalf: Int = 0,
            answeredSecondHalf: Int = 0
        ) {
            self.dueSecondHalf = dueSecondHalf
            self.answeredSecondHalf = answeredSecondHalf
            self.maxLagNs = maxLagNs
            self.scheduleLagP99Ns = scheduleLagP99Ns
            self.schedulerLagP99Ns = schedulerLagP99Ns
            self.driverLagP99Ns = driverLagP99Ns
            self.maxInflight = maxInflight
            self.maxInflightReached = maxInflightReached
            self.scheduled = scheduled
            self.unfinished = unfinished
            self.requests = requests
            self.slotWaits = slotWaits
            self.runQueueDelayNs = runQueueDelayNs
            self.phaseWallNs = phaseWallNs
            self.busiestThreadCPUNs = busiestThreadCPUNs
            self.processCPUSeconds = processCPUSeconds
            self.usableCores = usableCores
            self.achievedOpsPerSecond = achievedOpsPerSecond
            self.targetOpsPerSecond = targetOpsPerSecond
            self.inflightPeak = inflightPeak
            self.timeouts = timeouts
            self.readServiceP99Ns = readServiceP99Ns
            self.conflicts = conflicts
            self.operations = operations
        }
    }

    public var outcome: Outcome
    /// Generator-limited: kp-load's own reasons, then the symptoms. Target saturated: one line
    /// "target saturated: achieved … of … ops/s (evidence)". Ok: empty.
    public var reasons: [String]

    /// The reasons as one line, nil when ok.
    public var reasonText: String? { reasons.isEmpty ? nil : reasons.joined(separator: "; ") }

    /// Symptoms first (was anything late or missing?), then whose fault: any sign that kp-load's own
    /// threads were late, starved or saturated makes the phase generator-limited; symptoms without
    /// one mean the operations waited on the server.
    public static func judge(_ i: Inputs) -> LoadVerdict {
        let lag = format(i.maxLagNs)
        var symptoms: [String] = []
        if let p99 = i.scheduleLagP99Ns, p99 > i.maxLagNs {
            symptoms.append("schedule lag p99 \(format(p99)) is over --max-lag \(lag)")
        }
        if i.maxInflightReached {
            symptoms.append("--max-inflight \(i.maxInflight) was reached, so operations waited to be sent")
        }
        for d in i.scheduled where d.due > 0 && Double(d.sent) < 0.99 * Double(d.due) {
            symptoms.append(
                "only \(d.sent) of the \(d.due) \(d.kind)s due before the phase end (less --max-lag) went out within the phase"
            )
        }
        // Answers that keep pace arrive as fast as operations are due (shifted by the latency, which a
        // steady rate does not change); under 80 % of them over the second half is a server falling behind.
        if i.dueSecondHalf >= Self.minimumDueToJudgeAnswers
            && Double(i.answeredSecondHalf) < 0.8 * Double(i.dueSecondHalf)
        {
            symptoms.append(
                "answers fell behind the offered rate: \(i.answeredSecondHalf) operations answered in the phase's second half, where \(i.dueSecondHalf) were due"
            )
        }
        if i.unfinished > 0 {
            symptoms.append(
                "\(i.unfinished) operations were still in flight when the drain ended (request timeout + 1 s); they are not in the totals"
            )
        }

        var own: [String] = []
        if let p99 = i.schedulerLagP99Ns, p99 > i.maxLagNs {
            own.append("the scheduler itself was late: its lag p99 \(format(p99)) is over --max-lag \(lag)")
        }
        // Late sends with (almost) no request waiting for a server slot and no hold at --max-inflight:
        // the delay was in kp-load's own threads.
        let fewSlotWaits = Double(i.slotWaits) < 0.01 * Double(max(i.requests, 1))
        let totalP99 = i.scheduleLagP99Ns ?? 0
        if fewSlotWaits && (i.driverLagP99Ns > i.maxLagNs || (totalP99 > i.maxLagNs && !i.maxInflightReached)) {
            own.append(
                "kp-load's threads were late: schedule lag p99 \(format(totalP99)) (hand-over to send p99 \(format(i.driverLagP99Ns))) while only \(i.slotWaits) of \(i.requests) requests waited for a connection or stream slot"
            )
        } else if i.driverLagP99Ns > i.maxLagNs {
            symptoms.append(
                "\(i.slotWaits) of \(i.requests) requests waited for a connection or HTTP/2 stream slot (hand-over to send p99 \(format(i.driverLagP99Ns)))"
            )
        }
        let wall = Double(max(1, i.phaseWallNs))
        // Starved of CPU by other processes: a kp-load thread sat runnable, waiting for a core, for a
        // quarter of the phase or more. Its own CPU time cannot show this.
        if !symptoms.isEmpty && Double(i.runQueueDelayNs) >= 0.25 * wall {
            own.append(
                String(
                    format:
                        "kp-load was starved of CPU: a thread of it waited %.1f s for a core in %.1f s (run-queue delay)",
                    Double(i.runQueueDelayNs) / 1e9, wall / 1e9))
        }
        if Double(i.busiestThreadCPUNs) >= 0.9 * wall {
            own.append(
                String(
                    format: "a kp-load thread was CPU-saturated (%.1f s of CPU in %.1f s)",
                    Double(i.busiestThreadCPUNs) / 1e9, wall / 1e9))
        }
        let cores = max(1, i.usableCores)
        if i.processCPUSeconds >= 0.9 * Double(cores) * wall / 1e9 {
            own.append(
                String(
                    format: "kp-load's CPU was saturated (%.1f s of CPU in %.1f s on %d usable cores)",
                    i.processCPUSeconds, wall / 1e9, cores))
        }

        if !symptoms.isEmpty && !own.isEmpty {
            var reasons = own + symptoms
            if i.conflicts > 0 {
                // Open-loop writes that go out late go out together, and updates of one object collide:
                // those conflicts come from kp-load's lateness, not from the target.
                reasons.append(
                    "\(i.conflicts) of \(i.operations) operations ended 409 Conflict: writes bunched behind the late schedule collide, so they count against kp-load, not the target"
                )
            }
            return LoadVerdict(outcome: .generatorLimited, reasons: reasons)
        }
        if !symptoms.isEmpty {
            var evidence = symptoms
            evidence.append("in-flight peak \(i.inflightPeak)")
            if let own99 = i.schedulerLagP99Ns { evidence.append("kp-load's own scheduler lag p99 \(format(own99))") }
            if i.timeouts > 0 { evidence.append("\(i.timeouts) requests timed out") }
            if let sp = i.readServiceP99Ns { evidence.append("read service p99 \(format(sp))") }
            let line =
                String(
                    format: "target saturated: achieved %.1f of %.1f ops/s", i.achievedOpsPerSecond,
                    i.targetOpsPerSecond)
                + " (" + evidence.joined(separator: "; ") + ")"
            return LoadVerdict(outcome: .targetSaturated, reasons: [line])
        }
        return LoadVerdict(outcome: .ok, reasons: [])
    }

    /// Fewest operations due in a phase's second half for ``Inputs/answeredSecondHalf`` to be judged
    /// (fewer, and one slow answer is a large share of them).
    public static let minimumDueToJudgeAnswers = 100

    /// "12.3ms"-style text for messages.
    public static func format(_ ns: Int64) -> String {
        if ns >= 1_000_000_000 { return String(format: "%.2fs", Double(ns) / 1e9) }
        if ns >= 1_000_000 { return String(format: "%.2fms", Double(ns) / 1e6) }
        return String(format: "%.1fµs", Double(ns) / 1e3)
    }
}
