import Foundation
import Testing

@testable import KPSim

/// The contract §4.2 CRD for a cluster (schema `{type: object}`), optionally with another schema.
func crdBody(
    cluster: String, plural: String = "memwidgets", schema: String = #"{"type":"object"}"#, status: Bool = false
) -> String {
    let group = "mem-\(cluster).kplane.dev"
    let subresources = status ? #","subresources":{"status":{}}"# : ""
    return """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"\(plural).\(group)"},
         "spec":{"group":"\(group)","names":{"plural":"\(plural)","singular":"testwidget","kind":"TestWidget","listKind":"TestWidgetList"},
         "scope":"Namespaced","versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":\(schema)}\(subresources)}]}}
        """
}

func crBody(
    cluster: String, name: String, spec: String = #"{"foo":"bar"}"#, resourceVersion: String? = nil,
    labels: String = "{}"
) -> String {
    let rv = resourceVersion.map { #","resourceVersion":"\#($0)""# } ?? ""
    return
        #"{"apiVersion":"mem-\#(cluster).kplane.dev/v1","kind":"TestWidget","metadata":{"name":"\#(name)","namespace":"default","labels":\#(labels)\#(rv)},"spec":\#(spec)}"#
}

extension TestServer {
    /// Creates the §4.2 CRD in `cluster` and waits until discovery serves it.
    @discardableResult
    func establishCRD(_ cluster: String, schema: String = #"{"type":"object"}"#, status: Bool = false) async throws
        -> CurlResult
    {
        let created = try await self.curl(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cluster: cluster, method: "POST",
            body: crdBody(cluster: cluster, schema: schema, status: status))
        #expect(created.status == 201, "\(created.body)")
        _ = try await self.waitFor("/apis/mem-\(cluster).kplane.dev/v1", cluster: cluster)
        _ = try await self.waitFor("/api/v1/namespaces/default", cluster: cluster)
        return created
    }

    func crPath(_ cluster: String, _ name: String = "") -> String {
        "/apis/mem-\(cluster).kplane.dev/v1/namespaces/default/memwidgets" + (name.isEmpty ? "" : "/\(name)")
    }
}

@Suite struct KubeAPITests {
    @Test func namespacesAppearAfterTheConfiguredDelay() async throws {
        try await Support.withServer(extra: ["--sim-namespace-delay=400ms"]) { server in
            let start = ContinuousClock.now
            let first = try await server.curl("/api/v1/namespaces/default", cluster: "c-ns")
            #expect(first.status == 404)
            #expect(first.json?["reason"] == "NotFound")
            #expect(first.json?["message"] == #"namespaces "default" not found"#)
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-ns")
            #expect(ContinuousClock.now - start >= .milliseconds(380))
            let list = try await server.curl("/api/v1/namespaces", cluster: "c-ns")
            #expect(list.json?["kind"] == "NamespaceList")
            let names = (list.json?["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
            #expect(names == ["default", "kube-node-lease", "kube-public", "kube-system"])
            let cm = try await server.waitFor(
                "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", cluster: "c-ns")
            #expect(cm.json?["kind"] == "ConfigMap")
            // The root cluster is bootstrapped at start.
            #expect(try await server.curl("/api/v1/namespaces/kube-system").status == 200)
        }
    }

    @Test func crdLifecycleEstablishedAndDiscovery() async throws {
        try await Support.withServer(extra: ["--sim-crd-establish-delay=2500ms"]) { server in
            let cluster = "c-crd"
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: cluster)
            let crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            let created = try await server.curl(
                crdPath, cluster: cluster, method: "POST", body: crdBody(cluster: cluster))
            #expect(created.status == 201)
            #expect(created.json?["metadata"]?["uid"]?.stringValue?.isEmpty == false)
            #expect(created.json?["status"]?["conditions"] == [])
            let again = try await server.curl(
                crdPath, cluster: cluster, method: "POST", body: crdBody(cluster: cluster))
            #expect(again.status == 409)
            #expect(again.json?["reason"] == "AlreadyExists")
            // Discovery is 404 (a NotFound Status) until Established.
            let early = try await server.curl("/apis/mem-\(cluster).kplane.dev/v1", cluster: cluster)
            #expect(early.status == 404)
            #expect(early.json?["kind"] == "Status" && early.json?["reason"] == "NotFound")
            let resources = try await server.waitFor("/apis/mem-\(cluster).kplane.dev/v1", cluster: cluster)
            #expect(resources.json?["kind"] == "APIResourceList")
            #expect(resources.json?["resources"]?.arrayValue?.first?["name"] == "memwidgets")
            let crd = try await server.curl("\(crdPath)/memwidgets.mem-\(cluster).kplane.dev", cluster: cluster)
            let conditions = crd.json?["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(conditions.contains { $0["type"] == "NamesAccepted" && $0["status"] == "True" })
            let groups = try await server.curl("/apis", cluster: cluster)
            let names = (groups.json?["groups"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(names == ["apiextensions.k8s.io", "mem-\(cluster).kplane.dev"])
            // Not visible from another VCP.
            let other = try await server.curl("/apis", cluster: "c-other")
            #expect((other.json?["groups"]?.arrayValue ?? []).count == 1)
            // Delete: gone from discovery, 404 on get.
            #expect(
                try await server.curl(
                    "\(crdPath)/memwidgets.mem-\(cluster).kplane.dev", cluster: cluster, method: "DELETE"
                ).status == 200)
            #expect(try await server.curl("/apis/mem-\(cluster).kplane.dev/v1", cluster: cluster).status == 404)
            #expect(
                try await server.curl("\(crdPath)/memwidgets.mem-\(cluster).kplane.dev", cluster: cluster).status == 404
            )
            // Invalid CRD (name does not match plural.group): 422 Invalid.
            let bad = crdBody(cluster: cluster).replacingOccurrences(
                of: "\"name\":\"memwidgets.", with: "\"name\":\"other.")
            let invalid = try await server.curl(crdPath, cluster: cluster, method: "POST", body: bad)
            #expect(invalid.status == 422 && invalid.json?["reason"] == "Invalid")
        }
    }

    @Test func sameCRDNameInTwoVCPsGetsTwoUIDs() async throws {
        try await Support.withServer { server in
            let body = crdBody(cluster: "shared")
            let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
            let a = try await server.curl(path, cluster: "c-a", method: "POST", body: body)
            let b = try await server.curl(path, cluster: "c-b", method: "POST", body: body)
            #expect(a.status == 201 && b.status == 201)
            let uidA = a.json?["metadata"]?["uid"]?.stringValue
            let uidB = b.json?["metadata"]?["uid"]?.stringValue
            #expect(uidA != nil && uidA != uidB)
        }
    }

    @Test func customResourceCRUDAndConflicts() async throws {
        try await Support.withServer { server in
            let cluster = "c-cr"
            // Without the CRD: 404.
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: cluster)
            let noCRD = try await server.curl(
                server.crPath(cluster), cluster: cluster, method: "POST", body: crBody(cluster: cluster, name: "w1"))
            #expect(noCRD.status == 404 && noCRD.json?["reason"] == "NotFound")
            try await server.establishCRD(
                cluster, schema: #"{"type":"object","x-kubernetes-preserve-unknown-fields":true}"#)
            let created = try await server.curl(
                server.crPath(cluster), cluster: cluster, method: "POST", body: crBody(cluster: cluster, name: "w1"))
            #expect(created.status == 201)
            #expect(created.json?["metadata"]?["generation"] == 1)
            #expect(created.json?["spec"]?["foo"] == "bar")
            let rv = created.json?["metadata"]?["resourceVersion"]?.stringValue ?? ""
            let got = try await server.curl(server.crPath(cluster, "w1"), cluster: cluster)
            #expect(got.status == 200 && got.json?["metadata"]?["resourceVersion"]?.stringValue == rv)
            let list = try await server.curl(server.crPath(cluster), cluster: cluster)
            #expect(list.json?["kind"] == "TestWidgetList")
            #expect(list.json?["items"]?.arrayValue?.count == 1)
            // Update with the current version: 200, new version, generation 2.
            let updated = try await server.curl(
                server.crPath(cluster, "w1"), cluster: cluster, method: "PUT",
                body: crBody(cluster: cluster, name: "w1", spec: #"{"foo":"baz"}"#, resourceVersion: rv))
            #expect(updated.status == 200)
            #expect(updated.json?["spec"]?["foo"] == "baz")
            #expect(updated.json?["metadata"]?["generation"] == 2)
            #expect(updated.json?["metadata"]?["resourceVersion"]?.stringValue != rv)
            // Stale version: 409 Conflict Status.
            let stale = try await server.curl(
                server.crPath(cluster, "w1"), cluster: cluster, method: "PUT",
                body: crBody(cluster: cluster, name: "w1", spec: #"{"foo":"qux"}"#, resourceVersion: rv))
            #expect(stale.status == 409)
            #expect(stale.json?["reason"] == "Conflict")
            #expect(stale.json?["status"] == "Failure")
            // No version on a CR update: 422.
            let missing = try await server.curl(
                server.crPath(cluster, "w1"), cluster: cluster, method: "PUT",
                body: crBody(cluster: cluster, name: "w1"))
            #expect(missing.status == 422)
            // Merge patch.
            let patched = try await server.curl(
                server.crPath(cluster, "w1"), cluster: cluster, method: "PATCH",
                body: #"{"spec":{"extra":1}}"#, contentType: "application/merge-patch+json")
            #expect(patched.status == 200 && patched.json?["spec"] == ["foo": "baz", "extra": 1])
            // Namespace that does not exist: 404 NotFound naming it.
            let noNamespace = try await server.curl(
                server.crPath(cluster).replacingOccurrences(of: "/default/", with: "/nope/"),
                cluster: cluster, method: "POST",
                body: crBody(cluster: cluster, name: "w2").replacingOccurrences(of: "\"default\"", with: "\"nope\""))
            #expect(noNamespace.status == 404)
            #expect(noNamespace.json?["message"] == #"namespaces "nope" not found"#)
            // Delete.
            #expect(
                try await server.curl(server.crPath(cluster, "w1"), cluster: cluster, method: "DELETE").status == 200)
            #expect(try await server.curl(server.crPath(cluster, "w1"), cluster: cluster).status == 404)
        }
    }

    @Test func vcpsAreIsolated() async throws {
        try await Support.withServer { server in
            try await server.establishCRD("c-iso")
            #expect(
                try await server.curl(
                    server.crPath("c-iso"), cluster: "c-iso", method: "POST",
                    body: crBody(cluster: "c-iso", name: "mine")
                ).status == 201)
            // c-iso2 has no such CRD: the group is not served there at all.
            #expect(try await server.curl(server.crPath("c-iso", "mine"), cluster: "c-iso2").status == 404)
            // Same group created in c-iso2: empty list, not c-iso's object.
            let body = crdBody(cluster: "c-iso")
            #expect(
                try await server.curl(
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", cluster: "c-iso2", method: "POST",
                    body: body
                ).status == 201)
            _ = try await server.waitFor("/apis/mem-c-iso.kplane.dev/v1", cluster: "c-iso2")
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-iso2")
            let list = try await server.curl(server.crPath("c-iso"), cluster: "c-iso2")
            #expect(list.status == 200 && list.json?["items"] == [])
            // Root sees neither.
            #expect(try await server.curl(server.crPath("c-iso", "mine")).status == 404)
        }
    }

    @Test func pruningFollowsTheSchema() async throws {
        try await Support.withServer { server in
            // §4.2 schema {type: object}: spec is dropped entirely.
            try await server.establishCRD("c-p1")
            let bare = try await server.curl(
                server.crPath("c-p1"), cluster: "c-p1", method: "POST", body: crBody(cluster: "c-p1", name: "a"))
            #expect(bare.status == 201)
            #expect(bare.json?["spec"] == nil)
            // Strict field validation turns the drop into a 400, Warn into a warning header.
            let strict = try await server.curl(
                server.crPath("c-p1") + "?fieldValidation=Strict", cluster: "c-p1", method: "POST",
                body: crBody(cluster: "c-p1", name: "b"))
            #expect(strict.status == 400 && strict.body.contains(#"unknown field \"spec\""#))
            let warn = try await server.curl(
                server.crPath("c-p1") + "?fieldValidation=Warn", cluster: "c-p1", method: "POST",
                body: crBody(cluster: "c-p1", name: "c"))
            #expect(warn.status == 201 && warn.headers.lowercased().contains("warning: 299"))
            // A declared field survives, an undeclared sibling does not.
            let schema =
                #"{"type":"object","properties":{"spec":{"type":"object","properties":{"foo":{"type":"string"}}}}}"#
            try await server.establishCRD("c-p2", schema: schema)
            let kept = try await server.curl(
                server.crPath("c-p2"), cluster: "c-p2", method: "POST",
                body: crBody(cluster: "c-p2", name: "a", spec: #"{"foo":"bar","bar":"drop"}"#))
            #expect(kept.json?["spec"] == ["foo": "bar"])
            let stored = try await server.curl(server.crPath("c-p2", "a"), cluster: "c-p2")
            #expect(stored.json?["spec"] == ["foo": "bar"])
        }
    }

    @Test func resourceVersionIsGlobalAcrossVCPs() async throws {
        try await Support.withServer { server in
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-rv1")
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-rv2")
            func listRV(_ cluster: String) async throws -> UInt64 {
                UInt64(
                    try await server.curl("/api/v1/namespaces", cluster: cluster).json?["metadata"]?["resourceVersion"]?
                        .stringValue ?? "") ?? 0
            }
            let before = try await listRV("c-rv1")
            let created = try await server.curl(
                "/api/v1/namespaces", cluster: "c-rv2", method: "POST",
                body: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-b"}}"#)
            #expect(created.status == 201)
            let objectRV = UInt64(created.json?["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
            let after = try await listRV("c-rv1")
            #expect(objectRV > before)
            #expect(after >= objectRV, "a write in c-rv2 advances list RVs in c-rv1")
            #expect(try await server.curl("/api/v1/namespaces/team-b", cluster: "c-rv1").status == 404)
        }
    }

    @Test func watchStreamsEventsAndHonoursSelectors() async throws {
        try await Support.withServer { server in
            let cluster = "c-watch"
            try await server.establishCRD(
                cluster, schema: #"{"type":"object","x-kubernetes-preserve-unknown-fields":true}"#)
            let first = try await server.curl(
                server.crPath(cluster), cluster: cluster, method: "POST", body: crBody(cluster: cluster, name: "w1"))
            let rv = first.json?["metadata"]?["resourceVersion"]?.stringValue ?? ""
            let watchPath =
                server.crPath(cluster)
                + "?watch=true&timeoutSeconds=2&resourceVersion=\(rv)&fieldSelector=metadata.name%3Dw2"
            async let watched = server.curl(watchPath, cluster: cluster)
            try await Task.sleep(for: .milliseconds(400))
            _ = try await server.curl(
                server.crPath(cluster), cluster: cluster, method: "POST", body: crBody(cluster: cluster, name: "w2"))
            _ = try await server.curl(
                server.crPath(cluster), cluster: cluster, method: "POST", body: crBody(cluster: cluster, name: "w3"))
            _ = try await server.curl(server.crPath(cluster, "w2"), cluster: cluster, method: "DELETE")
            let start = ContinuousClock.now
            let result = try await watched
            // timeoutSeconds=2 ended the stream (the default would hold it for 1800 s); no tighter bound, a loaded machine may be slow.
            #expect(ContinuousClock.now - start < .seconds(60))
            let events = result.body.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "DELETED"])
            #expect(events.allSatisfy { $0["object"]?["metadata"]?["name"] == "w2" })
            // From RV 0: the current objects as ADDED.
            let initial = try await server.curl(server.crPath(cluster) + "?watch=1&timeoutSeconds=1", cluster: cluster)
            let names = initial.body.split(separator: "\n").compactMap {
                try? JSONValue.parse(Array($0.utf8))["object"]?["metadata"]?["name"]?.stringValue
            }
            #expect(names == ["w1", "w3"])
        }
    }

    @Test func tableOutputForKubectlGet() async throws {
        try await Support.withServer { server in
            let table = try await server.curl(
                "/api/v1/namespaces", extra: ["-H", "Accept: application/json;as=Table;v=v1;g=meta.k8s.io"])
            #expect(table.json?["kind"] == "Table")
            #expect(table.json?["rows"]?.arrayValue?.count == 4)
        }
    }
}
