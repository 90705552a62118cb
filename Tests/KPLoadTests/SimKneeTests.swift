import Foundation
import KPRecords
import KPTestSupport
import Testing

@testable import KPLoad

/// `kp-load --knee-steps` against kp-sim with a known capacity.
///
/// Needs `kp-sim` and `kp-load` built with the same scratch path as the tests.
@Suite("kp-load knee search against kp-sim", .serialized, .tags(.timing))
struct SimKneeTests {
    @Test("5 requests at once, 50 ms each (capacity 100 reads/s): the knee found within 15 % of it")
    func kneeNearTheKnownCapacity() async throws {
        let capacity = 100.0
        let sim = try SimServer(faults: ["--sim-max-concurrency=5", "--fault-latency=fixed:50ms"])
        defer { sim.stop() }
        try await sim.bootstrap(["c-000"], client: try sim.client())
        // Steps at 0.5C … 1.3C, 2 s each; SLO p99 150 ms (three service times): below capacity every
        // read takes its 50 ms, so a busy machine's scheduling noise does not break the 0.9C step;
        // above it the backlog grows by (rate − C) per second, 20 reads at 1.1C after 2 s, which adds
        // ~200 ms to the last reads' wait. The highest step that held is then 0.9C, C or 1.1C.
        let (rc, out) = SimShardTests.finish(
            try SimShardTests.kpLoad(
                sim,
                [
                    "--clusters", "1", "--scenario", "mixed-uniform", "--read-rps-per-cluster", "1",
                    "--write-rps-per-cluster", "0", "--load-duration", "2s", "--seed", "5", "--max-lag", "5s",
                    "--knee-steps", "50,70,90,100,110,130", "--knee-p99", "150ms", "--knee-max-error-percent", "1",
                ]))
        var steps: [KneeStepRecord] = []
        var result: KneeResultRecord?
        for line in out.split(separator: UInt8(ascii: "\n")) {
            switch try RecordCodec.decode(Data(line), location: "kp-load stdout") {
            case .kneeStep(let s): steps.append(s)
            case .kneeResult(let r): result = r
            case .loadFinal: Issue.record("load_final in a knee search")
            default: break
            }
        }
        let r = try #require(result, "no knee_result; exit \(rc)")
        #expect(rc == 0)
        #expect(r.result == "knee found", "\(r.endingReasons)")
        let held = try #require(r.highestHeldRps)
        #expect(abs(held - capacity) <= 0.15 * capacity, "highest held \(held), capacity \(capacity)")
        #expect(steps.count == r.steps && steps.last?.judgement == "broken")
        #expect(steps.dropLast().allSatisfy { $0.judgement == "held" })
    }
}
