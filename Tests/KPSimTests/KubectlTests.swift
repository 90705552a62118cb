import Foundation
import Testing

@testable import KPSim

/// kubectl v1.32 as an independent client of the emulator at a VCP URL.
@Suite struct KubectlTests {
    /// `kubectl create namespace` / `create configmap` send Kubernetes protobuf (`k8s\0` + runtime.Unknown);
    /// kp-sim decodes it for these two kinds. Then get and delete, for every built-in kind kp-sim lists.
    @Test func kubectlCreatesBuiltInKindsSentAsProtobuf() async throws {
        let kubectl = try Support.tool("/usr/bin/kubectl", package: "kubectl (google-cloud-cli) or kubernetes-client")
        try await Support.withServer { server in
            func run(_ arguments: [String]) async throws -> ProcessRunner.Output {
                try await ProcessRunner.run(
                    kubectl,
                    [
                        "--server=\(server.url("", cluster: "c-pb"))", "--certificate-authority=\(server.ca)",
                        "--token=\(Support.token)",
                        "--cache-dir=\(server.dir)/kube-cache", "--request-timeout=20s",
                    ] + arguments, environment: ["HOME": server.dir, "PATH": "/usr/bin:/bin"])
            }
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-pb")
            let ns = try await run(["create", "namespace", "team-pb"])
            #expect(ns.exitCode == 0, "\(ns.stderr)")
            #expect(ns.stdout.contains("namespace/team-pb created"))
            let cm = try await run([
                "create", "configmap", "cm-pb", "-n", "team-pb", "--from-literal=alpha=one", "--from-literal=beta=two",
            ])
            #expect(cm.exitCode == 0, "\(cm.stderr)")
            #expect(cm.stdout.contains("configmap/cm-pb created"))
            let stored = try await server.curl("/api/v1/namespaces/team-pb/configmaps/cm-pb", cluster: "c-pb")
            #expect(stored.json?["data"] == ["alpha": "one", "beta": "two"], "\(stored.body)")
            #expect(stored.json?["metadata"]?["namespace"] == "team-pb")
            let got = try await run(["get", "configmap", "cm-pb", "-n", "team-pb", "-o", "jsonpath={.data.beta}"])
            #expect(got.exitCode == 0 && got.stdout == "two", "\(got.stderr)")
            let gotNS = try await run(["get", "namespace", "team-pb", "-o", "name"])
            #expect(gotNS.exitCode == 0 && gotNS.stdout.contains("namespace/team-pb"), "\(gotNS.stderr)")
            let deleted = try await run(["delete", "configmap", "cm-pb", "-n", "team-pb"])
            #expect(deleted.exitCode == 0, "\(deleted.stderr)")
            let deletedNS = try await run(["delete", "namespace", "team-pb"])
            #expect(deletedNS.exitCode == 0, "\(deletedNS.stderr)")
            #expect(try await server.curl("/api/v1/namespaces/team-pb", cluster: "c-pb").status == 404)
        }
    }

    @Test func kubectlDrivesAVCP() async throws {
        let kubectl = try Support.tool("/usr/bin/kubectl", package: "kubectl (google-cloud-cli) or kubernetes-client")
        try await Support.withServer { server in
            func run(_ cluster: String, _ arguments: [String]) async throws -> ProcessRunner.Output {
                try await ProcessRunner.run(
                    kubectl,
                    [
                        "--server=\(server.url("", cluster: cluster))", "--certificate-authority=\(server.ca)",
                        "--token=\(Support.token)",
                        "--cache-dir=\(server.dir)/kube-cache", "--request-timeout=20s",
                    ] + arguments, environment: ["HOME": server.dir, "PATH": "/usr/bin:/bin"])
            }
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-001")
            let namespace = try await run("c-001", ["get", "ns", "default", "-o", "jsonpath={.status.phase}"])
            #expect(namespace.exitCode == 0, "\(namespace.stderr)")
            #expect(namespace.stdout == "Active")
            let crd = """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: memwidgets.mem-c-001.kplane.dev}
                spec:
                  group: mem-c-001.kplane.dev
                  names: {plural: memwidgets, singular: testwidget, kind: TestWidget, listKind: TestWidgetList}
                  scope: Namespaced
                  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
                """
            try Data(crd.utf8).write(to: URL(fileURLWithPath: server.dir + "/crd.yaml"))
            let applied = try await run("c-001", ["apply", "-f", server.dir + "/crd.yaml"])
            #expect(applied.exitCode == 0, "\(applied.stderr)")
            #expect(
                applied.stdout.contains(
                    "customresourcedefinition.apiextensions.k8s.io/memwidgets.mem-c-001.kplane.dev created"))
            let waited = try await run(
                "c-001",
                ["wait", "--for=condition=established", "crd/memwidgets.mem-c-001.kplane.dev", "--timeout=20s"])
            #expect(waited.exitCode == 0, "\(waited.stderr)")
            #expect(waited.stdout.contains("condition met"))
            let cr = """
                apiVersion: mem-c-001.kplane.dev/v1
                kind: TestWidget
                metadata: {name: w1, namespace: default, labels: {tier: one}}
                """
            try Data(cr.utf8).write(to: URL(fileURLWithPath: server.dir + "/cr.yaml"))
            let created = try await run("c-001", ["create", "-f", server.dir + "/cr.yaml"])
            #expect(created.exitCode == 0, "\(created.stderr)")
            let fetched = try await run("c-001", ["get", "memwidgets", "w1", "-n", "default", "-o", "json"])
            #expect(fetched.exitCode == 0, "\(fetched.stderr)")
            let object = try JSONValue.parse(Array(fetched.stdout.utf8))
            #expect(object["metadata"]?["labels"]?["tier"] == "one")
            // Replace with the fetched version, then replace again with the now-stale one.
            let stale = fetched.stdout.replacingOccurrences(of: "\"tier\": \"one\"", with: "\"tier\": \"two\"")
            try Data(stale.utf8).write(to: URL(fileURLWithPath: server.dir + "/w1.json"))
            let replaced = try await run("c-001", ["replace", "-f", server.dir + "/w1.json"])
            #expect(replaced.exitCode == 0, "\(replaced.stderr)")
            let conflict = try await run("c-001", ["replace", "-f", server.dir + "/w1.json"])
            #expect(conflict.exitCode != 0)
            #expect(conflict.stderr.contains("Conflict"), "\(conflict.stderr)")
            let table = try await run("c-001", ["get", "memwidgets", "-n", "default"])
            #expect(table.stdout.contains("w1"))
            // Invisible from c-002 (which does not even serve the group).
            let other = try await run("c-002", ["get", "memwidgets.mem-c-001.kplane.dev", "w1", "-n", "default"])
            #expect(other.exitCode != 0)
            #expect(!other.stdout.contains("w1"))
        }
    }
}
