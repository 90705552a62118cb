import Foundation
import KPRecords
import KPStats

/// The knee of the load (`kp-load --knee-steps`): the load phase run at a series of total offered
/// rates, each step judged against an SLO, the search stopping at the first step that breaks it.
///
/// Pure: no clocks and no threads. kp-load runs the steps and hands each step's numbers to
/// ``judge(_:slo:)``; ``summarize(_:)`` folds the judged steps into the answer. The tests feed both
/// tables of numbers.
public enum KneeSearch {
    /// The SLO a step must meet: read and write response p99 at most ``p99Ns``, errors at most
    /// ``maxErrorPercent`` of the operations.
    public struct SLO: Sendable, Equatable {
        public var p99Ns: Int64
        public var maxErrorPercent: Double
        public init(p99Ns: Int64, maxErrorPercent: Double) {
            self.p99Ns = p99Ns
            self.maxErrorPercent = maxErrorPercent
        }
    }

    /// One step's numbers, from its load phase.
    public struct Step: Sendable, Equatable {
        public var offeredRps: Double
        public var achievedRps: Double
        public var readP99Ns: Int64?
        public var writeP99Ns: Int64?
        public var errors: Int64
        public var operations: Int64
        public var outcome: LoadVerdict.Outcome
        /// The verdict's reason (target saturated or generator-limited), nil when ok.
        public var outcomeReason: String?

        public init(
            offeredRps: Double, achievedRps: Double, readP99Ns: Int64?, writeP99Ns: Int64?, errors: Int64,
            operations: Int64, outcome: LoadVerdict.Outcome, outcomeReason: String? = nil
        ) {
            self.offeredRps = offeredRps
            self.achievedRps = achievedRps
            self.readP99Ns = readP99Ns
            self.writeP99Ns = writeP99Ns
            self.errors = errors
            self.operations = operations
            self.outcome = outcome
            self.outcomeReason = outcomeReason
        }

        /// The step's numbers from its `load_final`: reads and writes' response p99, their errors,
        /// the verdict the phase got.
        public init(final f: LoadFinalRecord) {
            func p99(_ op: String) -> Int64? {
                guard let w = f.ops.first(where: { $0.op == op }), w.count > 0,
                    let h = try? LatencyHistogram(wire: w.response)
                else { return nil }
                return h.percentile(99)
            }
            let outcome: LoadVerdict.Outcome =
                f.generatorLimited ? .generatorLimited : (f.targetSaturated == true ? .targetSaturated : .ok)
            self.init(
                offeredRps: f.targetRps.values.reduce(0, +), achievedRps: f.achievedRps.values.reduce(0, +),
                readP99Ns: p99("read"), writeP99Ns: p99("write"), errors: f.ops.reduce(0) { $0 + $1.errors },
                operations: f.ops.reduce(0) { $0 + $1.count }, outcome: outcome,
                outcomeReason: f.generatorLimited ? f.generatorLimitReason : f.targetSaturationReason)
        }

        public var errorPercent: Double { operations > 0 ? 100 * Double(errors) / Double(operations) : 0 }
    }

    /// What a step says about the server.
    public enum Judgement: String, Sendable, Equatable {
        /// The SLO held and the target kept up.
        case held
        /// The SLO broke, or the target saturated: the server's knee is at or below this rate.
        case broken
        /// kp-load could not keep its schedule: nothing is known about the server at this rate.
        case unknown
    }

    /// A step's judgement and why (empty when it held).
    public static func judge(_ s: Step, slo: SLO) -> (Judgement, [String]) {
        if s.outcome == .generatorLimited {
            return (
                .unknown,
                ["generator-limited: " + (s.outcomeReason ?? "kp-load could not keep its schedule")]
            )
        }
        var why: [String] = []
        if s.outcome == .targetSaturated { why.append(s.outcomeReason ?? "target saturated") }
        if s.operations == 0 { why.append("no operation finished") }
        for (op, p) in [("read", s.readP99Ns), ("write", s.writeP99Ns)] {
            if let p, p > slo.p99Ns {
                why.append(
                    "\(op) p99 \(LoadVerdict.format(p)) is over the SLO's \(LoadVerdict.format(slo.p99Ns))")
            }
        }
        if s.errorPercent > slo.maxErrorPercent {
            why.append(
                String(
                    format: "errors %.2f%% (%lld of %lld) are over the SLO's %.2f%%", s.errorPercent, s.errors,
                    s.operations, slo.maxErrorPercent))
        }
        return (why.isEmpty ? .held : .broken, why)
    }

    /// How the search ended.
    public enum Result: String, Sendable, Equatable {
        /// A step broke the SLO: the knee lies between the highest step that held and it.
        case kneeFound = "knee found"
        /// Every step held: the knee is above the highest step.
        case allHeld = "all steps held"
        /// kp-load was the limit: nothing is known above the highest step that held.
        case unknownAbove = "unknown above"
    }

    public struct Summary: Sendable, Equatable {
        public var result: Result
        /// Offered rate of the highest step that held (nil: none did).
        public var highestHeldRps: Double?
        /// The step (0-based) that ended the search, broken or generator-limited; nil when all held.
        public var endingStep: Int?
        public var endingRps: Double?
        public var endingReasons: [String]
    }

    /// The search's answer from the steps judged so far, in order. Judging stops at the first step
    /// that is not held (kp-load runs no step after it).
    public static func summarize(_ judged: [(step: Step, judgement: Judgement, reasons: [String])]) -> Summary {
        var highest: Double?
        for (i, j) in judged.enumerated() {
            switch j.judgement {
            case .held: highest = max(highest ?? 0, j.step.offeredRps)
            case .broken:
                return Summary(
                    result: .kneeFound, highestHeldRps: highest, endingStep: i, endingRps: j.step.offeredRps,
                    endingReasons: j.reasons)
            case .unknown:
                return Summary(
                    result: .unknownAbove, highestHeldRps: highest, endingStep: i, endingRps: j.step.offeredRps,
                    endingReasons: j.reasons)
            }
        }
        return Summary(result: .allHeld, highestHeldRps: highest, endingStep: nil, endingRps: nil, endingReasons: [])
    }

    /// The SLO flags' rule, for kp-load and kp-run alike: `--knee-p99` (its text and nanoseconds)
    /// longer than 0, `--knee-max-error-percent` from 0 to 100.
    public static func checkSLO(p99Text: String, p99Ns: Int64?, maxErrorPercent: Double?) throws(InputProblem) {
        if let ns = p99Ns, ns <= 0 { throw InputProblem("--knee-p99 must be longer than 0 (got '\(p99Text)')") }
        if let e = maxErrorPercent, !(e >= 0 && e <= 100) {
            throw InputProblem("--knee-max-error-percent must be between 0 and 100 (got '\(e)')")
        }
    }

    /// `--knee-steps`: the total rates (ops/s), strictly increasing, written one of three ways:
    /// - `200,400,800`: the rates themselves;
    /// - `linear:FROM:TO:COUNT`: COUNT rates from FROM to TO, equally spaced (`linear:100:1000:10`:
    ///   100, 200, … 1000);
    /// - `geometric:FROM:TO:COUNT`: COUNT rates from FROM to TO, each the last times the same factor
    ///   (`geometric:100:1600:5`: 100, 200, 400, 800, 1600).
    public static func parseSteps(_ text: String) throws(InputProblem) -> [Double] {
        let fix = "give increasing rates such as 200,400,800, or linear:FROM:TO:COUNT or geometric:FROM:TO:COUNT"
        func rate(_ t: Substring) throws(InputProblem) -> Double {
            let t = t.trimmingCharacters(in: .whitespaces)
            guard let v = Double(t), v.isFinite, v > 0, v <= 10_000_000 else {
                throw InputProblem("--knee-steps '\(text)': '\(t)' is not a rate in ops/s; \(fix)")
            }
            return v
        }
        let words = text.split(separator: ":", omittingEmptySubsequences: false)
        var out: [Double] = []
        if words.count > 1 {
            let kind = words[0].trimmingCharacters(in: .whitespaces)
            guard kind == "linear" || kind == "geometric", words.count == 4 else {
                throw InputProblem("--knee-steps '\(text)' is not a list of rates; \(fix)")
            }
            let from = try rate(words[1])
            let to = try rate(words[2])
            guard let count = Int(words[3].trimmingCharacters(in: .whitespaces)), (2...1000).contains(count) else {
                throw InputProblem("--knee-steps '\(text)': COUNT must be a whole number from 2 to 1000")
            }
            guard to > from else {
                throw InputProblem("--knee-steps '\(text)': TO must be above FROM (the rates increase)")
            }
            for i in 0..<count {
                let f = Double(i) / Double(count - 1)
                let v = kind == "linear" ? from + (to - from) * f : from * pow(to / from, f)
                // The last step is TO exactly, not TO give or take a rounding error.
                out.append(i == count - 1 ? to : (v * 1000).rounded() / 1000)
            }
            if zip(out, out.dropFirst()).contains(where: { $0 >= $1 }) {
                throw InputProblem("--knee-steps '\(text)': the steps are too close to tell apart; use fewer")
            }
            return out
        }
        var lastText = ""
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let v = try rate(part)
            let t = part.trimmingCharacters(in: .whitespaces)
            if let last = out.last, v <= last {
                throw InputProblem("--knee-steps '\(text)': the rates must increase (\(t) follows \(lastText))")
            }
            out.append(v)
            lastText = t
        }
        return out
    }
}
