import Foundation
import Testing

@testable import KPSim

/// The Fleet CRD at the root and its controller (contract §3.3).
@Suite struct FleetTests {
    static func fleetBody(_ name: String, spec: String) -> String {
        #"{"apiVersion":"kplane.dev/v1","kind":"Fleet","metadata":{"name":"\#(name)"},"spec":\#(spec)}"#
    }

    /// Polls the Fleet until `status.readyReplicas` is `replicas`.
    static func waitReady(_ server: TestServer, _ name: String, replicas: Int) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let fleet = try await server.curl("/apis/kplane.dev/v1/fleets/\(name)")
            if let json = fleet.json, json["status"]?["readyReplicas"]?.intValue == Int64(replicas) { return json }
            if ContinuousClock.now > deadline { throw TestFailure("fleet \(name) not ready: \(fleet.body)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func crdIsEstablishedAtTheRootOnly() async throws {
        try await Support.withServer { server in
            let crd = try await server.curl("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/fleets.kplane.dev")
            #expect(crd.status == 200)
            #expect(crd.json?["spec"]?["scope"] == "Cluster")
            #expect(crd.json?["spec"]?["names"]?["shortNames"] == ["flt"])
            #expect(crd.json?["spec"]?["names"]?["categories"] == ["kplane"])
            let conditions = crd.json?["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            let discovery = try await server.curl("/apis/kplane.dev/v1")
            #expect((discovery.json?["resources"]?.arrayValue ?? []).contains { $0["name"] == "fleets" })
            // VCPs do not serve fleets.
            #expect(try await server.curl("/apis/kplane.dev/v1/fleets", cluster: "c-other").status == 404)
            #expect(
                try await server.curl(
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/fleets.kplane.dev",
                    cluster: "c-other"
                ).status == 404)
        }
    }

    @Test func fleetCreatesReadyMembersWithPrefixNames() async throws {
        try await Support.withServer { server in
            let created = try await server.curl(
                "/apis/kplane.dev/v1/fleets", method: "POST",
                body: Self.fleetBody("rl", spec: #"{"replicas":3}"#))
            #expect(created.status == 201, "\(created.body)")
            let fleet = try await Self.waitReady(server, "rl", replicas: 3)
            let members = fleet["status"]?["members"]?.arrayValue ?? []
            #expect(members.compactMap { $0["clusterID"]?.stringValue } == ["rl-0000", "rl-0001", "rl-0002"])
            #expect(members.allSatisfy { $0["phase"] == "Ready" && $0["lastTransitionTime"]?.stringValue != nil })
            #expect(fleet["status"]?["observedGeneration"] == 1)
            // Members are real VCPs: created and bootstrapped as organic traffic would.
            for id in ["rl-0000", "rl-0001", "rl-0002"] {
                #expect(server.context.registry.contains(id))
                _ = try await server.waitFor("/api/v1/namespaces/default", cluster: id)
            }
            #expect(server.context.registry.count == 3)

            // Scaling up with an explicit prefix renames nothing already there and adds the rest.
            let patched = try await server.curl(
                "/apis/kplane.dev/v1/fleets/rl", method: "PATCH",
                body: #"{"spec":{"replicas":2,"namePrefix":"x-"}}"#,
                contentType: "application/merge-patch+json")
            #expect(patched.status == 200, "\(patched.body)")
            let scaled = try await Self.waitReady(server, "rl", replicas: 2)
            #expect(
                (scaled["status"]?["members"]?.arrayValue ?? []).compactMap { $0["clusterID"]?.stringValue } == [
                    "x-0000", "x-0001",
                ])
            #expect(scaled["status"]?["observedGeneration"] == 2)

            // Deleting the Fleet keeps every member VCP (V0).
            #expect(try await server.curl("/apis/kplane.dev/v1/fleets/rl", method: "DELETE").status == 200)
            #expect(server.context.registry.count == 5)
            #expect(try await server.curl("/api/v1/namespaces/default", cluster: "rl-0001").status == 200)
        }
    }

    @Test func explicitNamesAndInvalidSpecs() async throws {
        try await Support.withServer { server in
            let named = try await server.curl(
                "/apis/kplane.dev/v1/fleets", method: "POST",
                body: Self.fleetBody("named", spec: #"{"replicas":2,"names":["alpha","beta"]}"#))
            #expect(named.status == 201)
            let fleet = try await Self.waitReady(server, "named", replicas: 2)
            #expect(
                (fleet["status"]?["members"]?.arrayValue ?? []).compactMap { $0["clusterID"]?.stringValue } == [
                    "alpha", "beta",
                ])

            // names whose length is not replicas: no members.
            let bad = try await server.curl(
                "/apis/kplane.dev/v1/fleets", method: "POST",
                body: Self.fleetBody("bad", spec: #"{"replicas":3,"names":["a"]}"#))
            #expect(bad.status == 201)
            let deadline = ContinuousClock.now + .seconds(10)
            var status: JSONValue?
            while status == nil, ContinuousClock.now < deadline {
                status = try await server.curl("/apis/kplane.dev/v1/fleets/bad").json?["status"]
                if status == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status?["readyReplicas"] == 0)
            #expect(status?["members"] == [])
            #expect(!server.context.registry.contains("a"))
        }
    }

    @Test func membersArePendingWhileTheProcessIsNotReady() async throws {
        try await Support.withServer(extra: ["--sim-ready-delay=60s"]) { server in
            let created = try await server.curl(
                "/apis/kplane.dev/v1/fleets", method: "POST",
                body: Self.fleetBody("slow", spec: #"{"replicas":1}"#))
            #expect(created.status == 201)
            let deadline = ContinuousClock.now + .seconds(10)
            var status: JSONValue?
            while status == nil, ContinuousClock.now < deadline {
                status = try await server.curl("/apis/kplane.dev/v1/fleets/slow").json?["status"]
                if status == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status?["readyReplicas"] == 0)
            #expect(status?["members"]?.arrayValue?.first?["phase"] == "Pending")
            #expect(status?["members"]?.arrayValue?.first?["clusterID"] == "slow-0000")
            #expect(server.context.registry.contains("slow-0000"))
        }
    }
}
