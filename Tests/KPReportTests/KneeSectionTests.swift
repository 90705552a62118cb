import KPRecords
import Testing

@testable import KPReport

/// summary.md's Knee section from knee_step and knee_result records.
@Suite struct KneeSectionTests {
    static let ms: Int64 = 1_000_000

    static func report(_ records: [Record]) -> Report {
        var data = RunData()
        for r in records { data.add(r, from: "load.jsonl") }
        data.finish()
        return Report(data: data, directory: "/nonexistent-kp-bench-fixture")
    }

    static func step(_ i: Int, _ rate: Double, read: Int64, judgement: String, reasons: [String] = []) -> Record {
        KneeStepRecord(
            step: i, startNs: Int64(i) * 10, endNs: Int64(i) * 10 + 5, offeredRps: rate, achievedRps: rate,
            readP99Ns: read, writeP99Ns: nil, errors: 0, operations: Int64(rate) * 2, verdict: "ok",
            judgement: judgement, reasons: reasons
        ).record
    }

    @Test func kneeFound() {
        let why = "read p99 114.56ms is over the SLO's 100.00ms"
        let text = Self.report([
            Self.step(1, 90, read: 53 * Self.ms, judgement: "held"),
            Self.step(0, 50, read: 52 * Self.ms, judgement: "held"),
            Self.step(2, 100, read: 114_560_000, judgement: "broken", reasons: [why]),
            KneeResultRecord(
                result: "knee found", sloP99Ns: 100 * Self.ms, sloMaxErrorPercent: 1, highestHeldRps: 90, endingStep: 2,
                endingRps: 100, endingReasons: [why], steps: 3
            ).record,
        ]).kneeSection
        #expect(text.hasPrefix("## Knee"))
        #expect(text.contains("SLO: read and write response p99 ≤ 100.0 ms, errors ≤ 1.00 %"))
        #expect(text.contains("**Highest rate that held: 90.0 ops/s**; 100.0 ops/s broke the SLO (\(why))"))
        // Rows in step order, whatever the record order.
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("|") && $0.contains("ok") }
        #expect(rows.count == 3)
        #expect(rows.first?.contains("50.0") == true && rows.last?.contains("114.56") == true)
        #expect(rows.last?.contains("broken") == true)
    }

    @Test func generatorLimitedSaysUnknownAbove() {
        let text = Self.report([
            Self.step(0, 200, read: 5 * Self.ms, judgement: "held"),
            KneeResultRecord(
                result: "unknown above", sloP99Ns: 50 * Self.ms, sloMaxErrorPercent: 1, highestHeldRps: 200,
                endingStep: 1, endingRps: 400, endingReasons: ["generator-limited: late"], steps: 2
            ).record,
        ]).kneeSection
        #expect(text.contains("**Unknown above 200.0 ops/s**: kp-load itself was the limit at 400.0 ops/s"))
        #expect(!text.contains("Highest rate that held"))
    }

    @Test func noKneeRecordsNoSection() {
        #expect(Self.report([]).kneeSection.isEmpty)
    }
}

extension KneeSectionTests {
    @Test func chartDrawsTheSteps() {
        let html = Self.report([
            Self.step(0, 50, read: 52 * Self.ms, judgement: "held"),
            Self.step(1, 100, read: 114 * Self.ms, judgement: "broken"),
            KneeResultRecord(
                result: "knee found", sloP99Ns: 100 * Self.ms, sloMaxErrorPercent: 1, highestHeldRps: 50, endingStep: 1,
                endingRps: 100, endingReasons: ["read p99"], steps: 2
            ).record,
        ]).kneeCharts
        #expect(html.contains("chart-knee"))
        #expect(html.contains("read p99") && html.contains("SLO p99") && html.contains("highest held"))
        #expect(!html.contains("nodata"))
    }
}
