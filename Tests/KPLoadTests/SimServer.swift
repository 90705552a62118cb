import Foundation
import KPHTTP
import KPRecords
import KPTestSupport
import Testing

/// A kp-sim process started from its built binary for one test, with the contract's flag set
/// (§1.1: token file, RSA key, cert dir) on a free loopback port; stopped and cleaned up by `stop()`.
final class SimServer: @unchecked Sendable {
    private let launcher: SimLauncher
    let dir: URL
    let baseURL: String
    let tokenFile: String
    /// CLOCK_MONOTONIC ns just before the process was started (fault times like `2s@6s` count from about here).
    let launchedNs: Int64
    /// kp-sim's process id (to pin it with taskset).
    var pid: Int32 { launcher.pid }

    /// A built tool beside the test bundle, or `$KP_SIM_BIN` / `$KP_LOAD_BIN`.
    static func binary(_ name: String, env: String) throws -> String {
        if let p = ProcessInfo.processInfo.environment[env], FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return try BuiltTools.path(name)
    }

    init(faults: [String]) throws {
        let bin = try Self.binary("kp-sim", env: "KP_SIM_BIN")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kpload-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tokens = dir.appendingPathComponent("tokens.csv").path
        try Data("smoketoken,admin,admin,system:masters\n".utf8).write(to: URL(fileURLWithPath: tokens))
        chmod(tokens, 0o600)
        tokenFile = dir.appendingPathComponent("token").path
        try Data("smoketoken\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let key = dir.appendingPathComponent("sa.key").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["genrsa", "-traditional", "-out", key, "2048"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SimServerError("openssl genrsa failed") }
        let log = dir.appendingPathComponent("sim.log").path
        launchedNs = MonotonicClock.now()
        do {
            launcher = try SimLauncher(
                arguments: [
                    // The contract flag set (§1.1) without --etcd-servers: kp-sim then keeps objects in memory.
                    "--cert-dir=\(dir.appendingPathComponent("certs").path)", "--secure-port=0",
                    "--bind-address=127.0.0.1",
                    "--enable-aggregator-routing=true", "--authorization-mode=RBAC", "--anonymous-auth=true",
                    "--token-auth-file=\(tokens)", "--allow-privileged=true", "--service-cluster-ip-range=10.0.0.0/24",
                    "--service-cidr-sharing-mode=shared", "--kubernetes-service-mode=shared",
                    "--service-account-issuer=test",
                    "--api-audiences=test,https://kubernetes.default.svc", "--service-account-signing-key-file=\(key)",
                    "--service-account-key-file=\(key)", "--v=0",
                    "--sim-namespace-delay=20ms", "--sim-crd-establish-delay=20ms",
                ] + faults,
                portFile: dir.appendingPathComponent("port").path, stdout: log, stderr: log, binary: bin)
        } catch {
            let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: dir)
            throw SimServerError("\(error): \(out.suffix(500))")
        }
        baseURL = "https://127.0.0.1:\(launcher.port)"
    }

    func client(timeout: Duration = .seconds(10), maxConnections: Int = 4) throws -> HTTPClient {
        try HTTPClient(
            configuration: HTTPClientConfiguration(
                insecureSkipTLSVerify: true, tokenFile: tokenFile, timeout: timeout,
                maxConnectionsPerHost: maxConnections))
    }

    /// Bootstraps clusters as kp-bootstrap does (contract §4.2), with spec.data declared in the CRD schema.
    func bootstrap(_ clusters: [String], client: HTTPClient) async throws {
        for c in clusters {
            let b = "\(baseURL)/clusters/\(c)/control-plane"
            try await poll("\(c) readyz") { try await client.send(HTTPRequest(url: "\(b)/readyz")).status == 200 }
            try await poll("\(c) namespace") {
                try await client.send(HTTPRequest(url: "\(b)/api/v1/namespaces/default")).status == 200
            }
            let group = "mem-\(c.replacingOccurrences(of: "_", with: "-")).kplane.dev"
            let crd: [String: Any] = [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "memwidgets.\(group)"],
                "spec": [
                    "group": group, "scope": "Namespaced",
                    "names": [
                        "plural": "memwidgets", "singular": "testwidget", "kind": "TestWidget",
                        "listKind": "TestWidgetList",
                    ],
                    "versions": [
                        [
                            "name": "v1", "served": true, "storage": true,
                            "schema": [
                                "openAPIV3Schema": [
                                    "type": "object",
                                    "properties": [
                                        "spec": ["type": "object", "properties": ["data": ["type": "string"]]]
                                    ],
                                ]
                            ],
                        ] as [String: Any]
                    ],
                ] as [String: Any],
            ]
            let created = try await client.send(
                HTTPRequest(
                    method: "POST", url: "\(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    headers: [("Content-Type", "application/json")],
                    body: try JSONSerialization.data(withJSONObject: crd)))
            guard created.status == 201 else { throw SimServerError("\(c): CRD create answered \(created.status)") }
            try await poll("\(c) discovery") {
                let r = try await client.send(HTTPRequest(url: "\(b)/apis/\(group)/v1"))
                return r.status == 200 && String(decoding: r.body, as: UTF8.self).contains("memwidgets")
            }
        }
    }

    private func poll(_ what: String, _ check: () async throws -> Bool) async throws {
        let deadline = MonotonicClock.now() + 20_000_000_000
        while MonotonicClock.now() < deadline {
            if (try? await check()) == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SimServerError("\(what) not ready within 20 s")
    }

    func stop() {
        launcher.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}

struct SimServerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
