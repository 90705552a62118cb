import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Synchronization
import Testing

@testable import KPBootstrap

/// fleet-bootstrap end to end against the emulator: the Fleet is made at the root, then its members get the five steps.
@Suite(.serialized) struct SimFleetBootstrapTests {
    @Test func theToolCreatesAFleetWaitsForItAndBootstrapsEveryMember() throws {
        let sim = try SimProcess(prefix: "fleet")
        let tool = try BuiltTools.path("kp-bootstrap")
        let target = ["--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile]
        let r = try BuiltTools.run(
            tool, target + ["--fleet", "fb", "--clusters", "4", "--workers", "2", "--fleet-poll-interval", "50ms"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try SimBootstrapTests.records(r.stdout)
        let members = records.compactMap { if case .fleetMember(let m) = $0 { m } else { nil } }
        let fleets = records.compactMap { if case .fleetStatus(let f) = $0 { f } else { nil } }
        let steps = records.compactMap { if case .bootstrapStep(let s) = $0 { s } else { nil } }
        #expect(fleets.count == 1)
        guard let fleet = fleets.first else { return }
        #expect(
            fleet.outcome == "ok" && fleet.replicas == 4 && fleet.readyReplicas == 4 && fleet.observedGeneration == 1)
        #expect(fleet.createdNs != nil && fleet.readyNs != nil && fleet.statusCounts["201"] == 1)
        #expect(fleet.transitions == members.count)
        // Every member is seen Ready (kp-sim's probe is process readiness: the members go straight to Ready).
        let ready = Set(members.filter { $0.phase == "Ready" }.map(\.cluster))
        #expect(ready == ["fb-0000", "fb-0001", "fb-0002", "fb-0003"])
        // The members then run the same five steps as a client-driven bootstrap; the fleet records come first.
        #expect(steps.count == 20 && steps.allSatisfy { $0.outcome == "ok" })
        #expect(Set(steps.map(\.cluster)) == ready)
        #expect(steps.allSatisfy { $0.startNs >= fleet.endNs })
        guard case .bootstrapSummary(let summary) = records.last else {
            Issue.record("last record is not the summary")
            return
        }
        #expect(summary.ok == 4 && summary.clusters == 4)
        // Its span starts at the Fleet's create: the Fleet wait, then the members' steps.
        #expect(summary.fleet == "fb" && summary.startNs == fleet.startNs)
        #expect((summary.stepsStartNs ?? 0) >= fleet.endNs)
        #expect(steps.allSatisfy { $0.startNs >= summary.stepsStartNs ?? .max && $0.endNs <= summary.endNs })
        #expect(r.stderr.contains("Fleet fb: 4 members Ready"))

        // kubectl (an independent client) reads the same Fleet status and sees each member serve the CRD.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") {
            let home = NSTemporaryDirectory() + "fleet-kubectl-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: home) }
            func kubectl(_ server: String, _ arguments: [String]) throws -> (Int32, String) {
                let out = try BuiltTools.run(
                    "/usr/bin/env",
                    [
                        "HOME=\(home)", "/usr/bin/kubectl", "--server=\(server)",
                        "--certificate-authority=\(sim.caFile)",
                        "--token=\(SimFixture.token)", "--cache-dir=\(home)/cache", "--request-timeout=20s",
                    ] + arguments)
                return (out.status, String(decoding: out.stdout, as: UTF8.self) + out.stderr)
            }
            let status = try kubectl(
                sim.url,
                ["get", "fleets.kplane.dev", "fb", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}"])
            #expect(status.0 == 0 && status.1 == "\(fleet.readyReplicas)/\(fleet.replicas)", "\(status.1)")
            for member in ready.sorted() {
                let crd = try kubectl(
                    "\(sim.url)/clusters/\(member)/control-plane",
                    [
                        "get", "crd", TestCRD.name(for: member), "-o",
                        "jsonpath={.status.conditions[?(@.type==\"Established\")].status}",
                    ])
                #expect(crd.0 == 0 && crd.1 == "True", "\(member): \(crd.1)")
            }
        } else {
            Issue.record("/usr/bin/kubectl is missing: the Fleet figures are not cross-checked")
        }

        // The same Fleet again: 409 fails without --allow-existing (exit 1) ...
        let again = try BuiltTools.run(tool, target + ["--fleet", "fb", "--clusters", "4"])
        #expect(again.status == 1)
        let failed = try SimBootstrapTests.records(again.stdout).compactMap {
            if case .fleetStatus(let f) = $0 { f } else { nil }
        }
        #expect(failed.first?.outcome == "failed" && failed.first?.statusCounts == ["409": 1])
        #expect(again.stderr.contains("--allow-existing"))
    }

    @Test func explicitNamesAndBadFlags() throws {
        let sim = try SimProcess(prefix: "fleet")
        let tool = try BuiltTools.path("kp-bootstrap")
        let target = ["--url", sim.url, "--token-file", sim.tokenFile, "--ca-file", sim.caFile]
        let r = try BuiltTools.run(
            tool, target + ["--fleet", "named", "--names", "m-a,m-b", "--fleet-poll-interval", "50ms"])
        #expect(r.status == 0, "\(r.stderr)")
        let steps = try SimBootstrapTests.records(r.stdout).compactMap {
            if case .bootstrapStep(let s) = $0 { s.cluster } else { nil }
        }
        #expect(Set(steps) == ["m-a", "m-b"])

        for bad in [
            ["--fleet", "UPPER"], ["--fleet", "f", "--name-format", "x-%d"], ["--fleet-name-prefix", "p-"],
            ["--fleet", "f", "--fleet-name-prefix", "Bad_"],
        ] {
            let result = try BuiltTools.run(tool, target + bad)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func aFleetThatNeverBecomesReadyTimesOut() async throws {
        // Process readiness is the Fleet probe: with /readyz failing for 60 s, members stay Pending.
        let sim = try SimProcess(prefix: "fleet", extraArgs: ["--sim-ready-delay=60s"])
        let client = try HTTPClient(
            configuration: HTTPClientConfiguration(caFile: sim.caFile, tokenFile: sim.tokenFile))
        let seen = SeenMembers()
        let fleet = FleetBootstrapper(
            configuration: FleetConfiguration(
                baseURL: sim.url, name: "slow", replicas: 2, pollInterval: .milliseconds(50), deadline: .seconds(2)),
            transport: client, onMember: { m in seen.members.withLock { $0.append(m) } })
        let status = await fleet.run()
        #expect(status.outcome == "timeout")
        #expect(status.readyNs == nil && status.createdNs != nil && status.readyReplicas == 0)
        #expect(status.error?.contains("status.readyReplicas = 2") == true)
        let members = seen.members.withLock { $0 }
        #expect(
            Set(members.map(\.cluster)) == ["slow-0000", "slow-0001"]
                && members.allSatisfy { $0.phase == "Pending" && $0.previous == nil })
    }
}

final class SeenMembers: Sendable {
    let members = Mutex<[FleetMemberRecord]>([])
}
