import Testing

@testable import KPLoad

/// The knee search's judging and result from tables of numbers: no clock, no server.
@Suite struct KneeSearchTests {
    static let ms: Int64 = 1_000_000
    static let slo = KneeSearch.SLO(p99Ns: 50 * ms, maxErrorPercent: 1)

    static func step(
        _ rate: Double, read: Int64? = 10 * ms, write: Int64? = 20 * ms, errors: Int64 = 0,
        outcome: LoadVerdict.Outcome = .ok, reason: String? = nil
    ) -> KneeSearch.Step {
        KneeSearch.Step(
            offeredRps: rate, achievedRps: rate, readP99Ns: read, writeP99Ns: write, errors: errors, operations: 1000,
            outcome: outcome, outcomeReason: reason)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var step: KneeSearch.Step
        var judgement: KneeSearch.Judgement
        var says: [String]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "within the SLO", step: step(100), judgement: .held, says: []),
        Row(
            name: "p99 exactly at the SLO holds", step: step(100, read: 50 * ms, write: 50 * ms), judgement: .held,
            says: []),
        Row(
            name: "write p99 over", step: step(100, write: 51 * ms), judgement: .broken,
            says: ["write p99 51.00ms is over the SLO's 50.00ms"]),
        Row(
            name: "read and write p99 over", step: step(100, read: 80 * ms, write: 90 * ms), judgement: .broken,
            says: ["read p99 80.00ms", "write p99 90.00ms"]),
        Row(name: "errors exactly 1 % hold", step: step(100, errors: 10), judgement: .held, says: []),
        Row(
            name: "errors over 1 %", step: step(100, errors: 11), judgement: .broken,
            says: ["errors 1.10% (11 of 1000) are over the SLO's 1.00%"]),
        Row(
            name: "target saturated breaks even within the SLO",
            step: step(100, outcome: .targetSaturated, reason: "target saturated: achieved 90.0 of 100.0 ops/s"),
            judgement: .broken, says: ["target saturated: achieved 90.0 of 100.0 ops/s"]),
        Row(
            name: "generator-limited is unknown, whatever the latencies",
            step: step(100, read: 900 * ms, outcome: .generatorLimited, reason: "a kp-load thread was CPU-saturated"),
            judgement: .unknown, says: ["generator-limited: a kp-load thread was CPU-saturated"]),
        Row(
            name: "no writes in the mix: only reads are judged", step: step(100, write: nil), judgement: .held, says: []
        ),
    ]

    @Test(arguments: rows)
    func judge(_ row: Row) {
        let (j, reasons) = KneeSearch.judge(row.step, slo: Self.slo)
        #expect(j == row.judgement)
        let text = reasons.joined(separator: "; ")
        for s in row.says { #expect(text.contains(s), "\(text)") }
        if row.judgement == .held { #expect(reasons.isEmpty) }
    }

    static func judged(_ steps: [KneeSearch.Step]) -> [(
        step: KneeSearch.Step, judgement: KneeSearch.Judgement, reasons: [String]
    )] {
        steps.map {
            let (j, r) = KneeSearch.judge($0, slo: slo)
            return ($0, j, r)
        }
    }

    @Test func kneeFoundAtTheFirstBrokenStep() {
        let s = KneeSearch.summarize(
            Self.judged([Self.step(200), Self.step(400), Self.step(800, read: 70 * Self.ms), Self.step(1600)]))
        #expect(s.result == .kneeFound)
        #expect(s.highestHeldRps == 400)
        #expect(s.endingStep == 2 && s.endingRps == 800)
        #expect(s.endingReasons.first?.contains("read p99 70.00ms") == true)
    }

    @Test func allHeld() {
        let s = KneeSearch.summarize(Self.judged([Self.step(200), Self.step(400)]))
        #expect(s.result == .allHeld && s.highestHeldRps == 400 && s.endingStep == nil && s.endingRps == nil)
    }

    @Test func generatorLimitedEndsAsUnknownAboveTheLastHeld() {
        let s = KneeSearch.summarize(
            Self.judged([Self.step(200), Self.step(400, outcome: .generatorLimited, reason: "late"), Self.step(800)]))
        #expect(s.result == .unknownAbove && s.highestHeldRps == 200 && s.endingRps == 400)
    }

    @Test func firstStepBrokenHoldsNothing() {
        let s = KneeSearch.summarize(Self.judged([Self.step(200, errors: 500)]))
        #expect(s.result == .kneeFound && s.highestHeldRps == nil && s.endingStep == 0)
    }

    @Test func parseSteps() throws {
        #expect(try KneeSearch.parseSteps("50, 70,85.5") == [50, 70, 85.5])
        #expect(try KneeSearch.parseSteps("linear:100:1000:10") == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
        #expect(try KneeSearch.parseSteps("geometric:100:1600:5") == [100, 200, 400, 800, 1600])
        #expect(try KneeSearch.parseSteps("geometric:10:100:3") == [10, 31.623, 100])
        for bad in [
            "", "100,50", "100,100", "a", "0,1", "10,,20", "-5", "linear:100:1000", "linear:1000:100:5",
            "linear:100:1000:1", "cubic:1:2:3", "geometric:0:10:3", "linear:100:100.0001:1000", "linear:100:200:x",
        ] {
            #expect(throws: InputProblem.self, "\(bad)") { try KneeSearch.parseSteps(bad) }
        }
    }
}
