import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

@testable import KPBootstrap

/// fleet-bootstrap's `bootstrap_summary`: its span, the bootstrap time, starts at the Fleet's create and
/// so is the Fleet wait followed by the members' steps.
@Suite struct FleetSummaryTests {
    static let s: Int64 = 1_000_000_000

    static func status(startNs: Int64, endNs: Int64) -> FleetStatusRecord {
        FleetStatusRecord(
            fleet: "fb", replicas: 4, namePrefix: nil, names: nil, startNs: startNs, endNs: endNs,
            createdNs: startNs + 10_000_000, readyNs: endNs, requests: 4, statusCounts: ["201": 1, "200": 3],
            readyReplicas: 4, observedGeneration: 1, transitions: 8, outcome: "ok", error: nil)
    }

    static let members = BootstrapSummaryRecord(
        clusters: 4, ok: 4, failed: 0, workers: 2, startNs: 10 * s + 502_000_000, endNs: 12 * s + 502_000_000,
        requests: 20, retriesByStatus: ["503": 1], interrupted: false, firstError: nil)

    @Test func theSpanIsTheFleetWaitPlusTheMembersSteps() {
        // Create sent at 10 s, all members Ready at 10.5 s, the members' steps from 10.502 s to 12.502 s.
        let fleet = Self.status(startNs: 10 * Self.s, endNs: 10 * Self.s + 500_000_000)
        let summary = Self.members.startingAtFleetCreate(fleet)
        #expect(summary.startNs == fleet.startNs && summary.endNs == Self.members.endNs)
        #expect(summary.fleet == "fb" && summary.stepsStartNs == Self.members.startNs)
        let wait = fleet.endNs - fleet.startNs
        let handOver = Self.members.startNs - fleet.endNs
        let steps = Self.members.endNs - Self.members.startNs
        #expect(summary.endNs - summary.startNs == wait + handOver + steps)
        #expect(summary.endNs - summary.startNs == 2_502_000_000)
        // Only the span changes: the counts are the members' steps'.
        var counts = summary
        counts.startNs = Self.members.startNs
        counts.fleet = nil
        counts.stepsStartNs = nil
        #expect(counts == Self.members)
        // Applying it again changes nothing.
        #expect(summary.startingAtFleetCreate(fleet) == summary)
    }

    @Test func theRecordSaysWhereItsSpanStarts() throws {
        let fleet = Self.status(startNs: 10 * Self.s, endNs: 10 * Self.s + 500_000_000)
        let line = try RecordCodec.encode(Self.members.startingAtFleetCreate(fleet).record)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains("\"fleet\":\"fb\""), "\(text)")
        #expect(text.contains("\"start_ns\":10000000000") && text.contains("\"steps_start_ns\":10502000000"), "\(text)")
        guard case .bootstrapSummary(let decoded) = try RecordCodec.decode(line, location: "t") else {
            Issue.record("not a bootstrap_summary: \(text)")
            return
        }
        #expect(decoded == Self.members.startingAtFleetCreate(fleet))
        // A client-driven bootstrap's summary has neither field.
        let plain = String(decoding: try RecordCodec.encode(Self.members.record), as: UTF8.self)
        #expect(!plain.contains("\"fleet\"") && !plain.contains("steps_start_ns"), "\(plain)")
    }

    /// The Fleet path in process, as kp-bootstrap runs it: the Fleet wait, then the members' steps, then the summary.
    @Test func aFleetRunsSpanCoversTheCreateToTheLastDiscovery() async throws {
        let kplane = FakeKplane()
        let transport = bootstrapTransport { r, seen in
            if r.url.hasSuffix("/apis/kplane.dev/v1/fleets") { return response(201, json: ["kind": "Fleet"]) }
            if r.url.hasSuffix("/apis/kplane.dev/v1/fleets/fb") {
                // Ready on the third poll (`seen` counts the earlier polls).
                let ready = seen >= 2 ? 2 : 0
                return response(
                    200,
                    json: [
                        "metadata": ["generation": 1],
                        "status": [
                            "observedGeneration": 1, "readyReplicas": ready,
                            "members": ["fb-0000", "fb-0001"].map {
                                ["clusterID": $0, "phase": ready == 2 ? "Ready" : "Pending"]
                            },
                        ],
                    ])
            }
            return kplane.answer(r, seen)
        }
        let fleetConfig = FleetConfiguration(
            baseURL: "https://h:6443", name: "fb", replicas: 2, pollInterval: .milliseconds(20))
        let fleet = await FleetBootstrapper(configuration: fleetConfig, transport: transport, onMember: { _ in }).run()
        #expect(fleet.outcome == "ok")
        let (members, steps) = await runBootstrap(fastConfig(fleetConfig.memberIDs), transport)
        let summary = members.startingAtFleetCreate(fleet)
        let discoveries = steps.stepRecords.filter { $0.step == "discovery" && $0.outcome == "ok" }
        #expect(discoveries.count == 2)
        let lastDiscovery = try #require(discoveries.map(\.endNs).max())
        let wall = summary.endNs - summary.startNs
        #expect(summary.startNs == fleet.startNs)
        #expect(wall == (fleet.endNs - fleet.startNs) + (summary.endNs - fleet.endNs))
        #expect(wall >= fleet.endNs - fleet.startNs && wall >= lastDiscovery - fleet.startNs)
        #expect(wall > members.endNs - members.startNs)
        #expect(steps.stepRecords.allSatisfy { $0.startNs >= fleet.endNs })
    }
}
