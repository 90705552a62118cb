import Testing

@testable import KPSim

@Suite struct RoutingAndAuthTests {
    @Test func routeFollowsTheContract() {
        #expect(SimApplication.route(path: "/clusters/c-1/control-plane/api/v1", root: "root") == ("c-1", "/api/v1"))
        #expect(SimApplication.route(path: "/clusters/c-1/control-plane", root: "root") == ("c-1", "/"))
        #expect(SimApplication.route(path: "/clusters/c-1", root: "root") == ("c-1", "/"))
        #expect(SimApplication.route(path: "/clusters/c-1/other/x", root: "root") == ("c-1", "/clusters/c-1/other/x"))
        #expect(SimApplication.route(path: "/api/v1", root: "main") == ("main", "/api/v1"))
        #expect(SimApplication.route(path: "/clusters/root/control-plane/readyz", root: "root") == ("root", "/readyz"))
    }

    @Test func firstRequestOfAnyKindCreatesTheVCP() async throws {
        try await Support.withServer { server in
            #expect(!server.context.registry.contains("c-001"))
            let ready = try await server.curl("/readyz", cluster: "c-001", token: nil)
            #expect(ready.status == 200 && ready.body == "ok")
            #expect(ready.headers.lowercased().contains("x-kp-sim: \(SimVersion.current)"))
            #expect(server.context.registry.contains("c-001"))
            // Unauthenticated API request: 401, but the VCP still comes into existence.
            let denied = try await server.curl("/api", cluster: "c-002", token: nil)
            #expect(denied.status == 401)
            #expect(server.context.registry.contains("c-002"))
            // Bare /clusters/<cid> and a non-control-plane sub-path.
            #expect(try await server.curl("/clusters/c-003").status == 200)
            #expect(try await server.curl("/clusters/c-004/elsewhere").status == 404)
            #expect(server.context.registry.contains("c-003") && server.context.registry.contains("c-004"))
            // Cluster-prefixed metrics serve process metrics and create the VCP.
            let metrics = try await server.curl("/metrics", cluster: "c-005")
            #expect(metrics.status == 200 && metrics.body.contains("process_resident_memory_bytes "))
            #expect(server.context.registry.count == 5)
            // Root paths do not create VCPs.
            _ = try await server.curl("/api/v1/namespaces")
            _ = try await server.curl("/readyz", cluster: "root")
            #expect(server.context.registry.count == 5)
        }
    }

    @Test func authenticationAndAnonymousPaths() async throws {
        try await Support.withServer { server in
            let noToken = try await server.curl("/api/v1/namespaces", token: nil)
            #expect(noToken.status == 401)
            #expect(noToken.json?["kind"] == "Status")
            #expect(noToken.json?["reason"] == "Unauthorized")
            #expect(noToken.json?["code"] == 401)
            let badToken = try await server.curl("/readyz", token: "wrong")
            #expect(badToken.status == 401)
            for path in ["/readyz", "/livez", "/healthz", "/version"] {
                #expect(try await server.curl(path, token: nil).status == 200, "\(path)")
                #expect(try await server.curl(path, cluster: "c-9", token: nil).status == 200, "\(path) in a VCP")
            }
            for path in ["/metrics", "/debug/pprof/heap", "/api", "/apis"] {
                #expect(try await server.curl(path, token: nil).status == 401, "\(path)")
            }
            let version = try await server.curl("/version", token: nil)
            #expect(version.json?["gitVersion"] == "v1.34.0")
            #expect(version.json?["major"] == "1" && version.json?["minor"] == "34")
            let verbose = try await server.curl("/readyz?verbose=1", cluster: "root")
            #expect(verbose.body.contains("[+]poststarthook/start-system-namespaces-controller ok"))
            #expect(verbose.body.hasSuffix("readyz check passed\n"))
            #expect(try await server.curl("/api/v1/namespaces").status == 200)
        }
    }

    @Test func anonymousAuthFalseClosesHealthPaths() async throws {
        try await Support.withServer(extra: ["--anonymous-auth=false"]) { server in
            let anonymous = try await server.curl("/readyz", token: nil)
            let authenticated = try await server.curl("/readyz")
            #expect(anonymous.status == 401)
            #expect(authenticated.status == 200)
        }
    }

    @Test func servesHTTP11ForClientsWithoutH2() async throws {
        try await Support.withServer { server in
            let result = try await server.curl("/version", extra: ["--http1.1"])
            #expect(result.status == 200)
            #expect(result.headers.hasPrefix("HTTP/1.1 200"))
            let h2 = try await server.curl("/version")
            #expect(h2.headers.hasPrefix("HTTP/2 200"))
        }
    }
}
