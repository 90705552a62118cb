import Foundation
import Testing

@testable import KPSim

/// Watch bookmarks and 410 Expired on kp-sim (the watch-fanout scenario needs both).
@Suite struct WatchTests {
    static func events(_ body: String) -> [JSONValue] {
        body.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
    }

    static func configMap(_ name: String) -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)"},"data":{"k":"v"}}"#
    }

    @Test("allowWatchBookmarks=true gets periodic BOOKMARKs carrying the current resourceVersion; without it, none")
    func bookmarks() async throws {
        try await Support.withServer(extra: ["--sim-watch-bookmark-interval=100ms"]) { server in
            let cluster = "c-bm"
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: cluster)
            let path = "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=2"
            async let withBookmarks = server.curl(path + "&allowWatchBookmarks=true", cluster: cluster)
            async let without = server.curl(path, cluster: cluster)
            try await Task.sleep(for: .milliseconds(300))
            let created = try await server.curl(
                "/api/v1/namespaces/default/configmaps", cluster: cluster, method: "POST",
                body: Self.configMap("bm1"))
            #expect(created.status == 201)
            let (a, b) = (try await withBookmarks, try await without)
            let events = Self.events(a.body)
            let marks = events.filter { $0["type"] == "BOOKMARK" }
            #expect(!marks.isEmpty, "no BOOKMARK in \(a.body)")
            #expect(
                Self.events(b.body).allSatisfy { $0["type"] != "BOOKMARK" }, "bookmarks were not asked for: \(b.body)")
            #expect(Self.events(b.body).map { $0["type"]?.stringValue ?? "" } == ["ADDED"])
            // A bookmark is an object of the watched kind with only metadata.resourceVersion.
            for mark in marks {
                #expect(mark["object"]?["kind"] == "ConfigMap" && mark["object"]?["apiVersion"] == "v1")
                #expect(UInt64(mark["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "") != nil)
                #expect(mark["object"]?["metadata"]?["name"] == nil)
            }
            // Each bookmark carries a version at least as new as every event sent before it.
            var seen: UInt64 = 0
            for event in events {
                let rv = UInt64(event["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
                if event["type"] == "BOOKMARK" { #expect(rv >= seen, "bookmark \(rv) after an event at \(seen)") }
                seen = max(seen, rv)
            }
            #expect(events.contains { $0["type"] == "ADDED" && $0["object"]?["metadata"]?["name"] == "bm1" })
        }
    }

    @Test(
        "a resourceVersion older than the per-type history gets an ERROR event with a 410 Expired Status; writes in other VCPs age it out"
    )
    func expired() async throws {
        try await Support.withServer(extra: ["--sim-watch-history=3"]) { server in
            let (a, b) = ("c-old", "c-other")
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: a)
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: b)
            let first = try await server.curl(
                "/api/v1/namespaces/default/configmaps", cluster: a, method: "POST", body: Self.configMap("x0"))
            let rv = try #require(first.json?["metadata"]?["resourceVersion"]?.stringValue)
            // Watching from a version still in the history works: the later event of this VCP only.
            let second = try await server.curl(
                "/api/v1/namespaces/default/configmaps", cluster: a, method: "POST", body: Self.configMap("x1"))
            #expect(second.status == 201)
            let fresh = try await server.curl(
                "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=\(rv)", cluster: a)
            #expect(Self.events(fresh.body).map { $0["object"]?["metadata"]?["name"]?.stringValue ?? "" } == ["x1"])
            // Three configmap writes in another VCP push both of c-old's events out of the shared history.
            var latest = rv
            for i in 0..<3 {
                let r = try await server.curl(
                    "/api/v1/namespaces/default/configmaps", cluster: b, method: "POST", body: Self.configMap("y\(i)"))
                #expect(r.status == 201)
                latest = r.json?["metadata"]?["resourceVersion"]?.stringValue ?? latest
            }
            let stale = try await server.curl(
                "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=30&resourceVersion=\(rv)", cluster: a)
            #expect(stale.status == 200)
            let events = Self.events(stale.body)
            #expect(events.count == 1, "\(stale.body)")
            let error = try #require(events.first)
            #expect(error["type"] == "ERROR")
            #expect(error["object"]?["kind"] == "Status" && error["object"]?["status"] == "Failure")
            #expect(error["object"]?["code"]?.intValue == 410 && error["object"]?["reason"] == "Expired")
            // From a version the history still covers, the same VCP's watch is served (nothing new for it: no events).
            let current = try await server.curl(
                "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=\(latest)", cluster: a)
            #expect(current.status == 200 && Self.events(current.body).isEmpty, "\(current.body)")
        }
    }
}
