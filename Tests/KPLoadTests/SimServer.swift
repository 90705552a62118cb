import Foundation
import KPHTTP
import KPRecords
import Testing

/// A kp-sim process started from its built binary for one test, with the contract's flag set
/// (§1.1: token file, RSA key, cert dir) on a free loopback port; stopped and cleaned up by `stop()`.
final class SimServer: @unchecked Sendable {
    let process: Process
    let dir: URL
    let baseURL: String
    let tokenFile: String
    /// CLOCK_MONOTONIC ns just before the process was started (fault times like `2s@6s` count from about here).
    let launchedNs: Int64

    /// A built tool beside the test bundle (`.build-*/debug/<name>`), or `$KP_SIM_BIN` / `$KP_LOAD_BIN`.
    static func binary(_ name: String, env: String) throws -> String {
        if let p = ProcessInfo.processInfo.environment[env], FileManager.default.isExecutableFile(atPath: p) { return p }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The bundle may be a directory (…/kp-benchPackageTests.xctest/…): walk up to the bin dir.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw SimServerError(
            "\(name) is not built beside the tests: run `swift build --scratch-path <same path> --product \(name)` first, or set \(env)")
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
        let portFile = dir.appendingPathComponent("port").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = [
            // The contract flag set (§1.1) without --etcd-servers: kp-sim then keeps objects in memory.
            "--cert-dir=\(dir.appendingPathComponent("certs").path)", "--secure-port=0", "--bind-address=127.0.0.1",
            "--enable-aggregator-routing=true", "--authorization-mode=RBAC", "--anonymous-auth=true",
            "--token-auth-file=\(tokens)", "--allow-privileged=true", "--service-cluster-ip-range=10.0.0.0/24",
            "--service-cidr-sharing-mode=shared", "--kubernetes-service-mode=shared", "--service-account-issuer=test",
            "--api-audiences=test,https://kubernetes.default.svc", "--service-account-signing-key-file=\(key)",
            "--service-account-key-file=\(key)", "--v=0",
            "--sim-port-file=\(portFile)", "--sim-namespace-delay=20ms", "--sim-crd-establish-delay=20ms",
        ] + faults
        let log = dir.appendingPathComponent("sim.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        launchedNs = MonotonicClock.now()
        try process.run()
        var port: Int?
        let deadline = MonotonicClock.now() + 30_000_000_000
        while port == nil && MonotonicClock.now() < deadline && process.isRunning {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0
            {
                port = p
            } else {
                usleep(20_000)
            }
        }
        guard let port else {
            let out = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            Self.stop(process)
            try? FileManager.default.removeItem(at: dir)
            throw SimServerError("kp-sim did not report a port within 30 s: \(out.suffix(500))")
        }
        baseURL = "https://127.0.0.1:\(port)"
    }

    func client(timeout: Duration = .seconds(10), maxConnections: Int = 4) throws -> HTTPClient {
        try HTTPClient(configuration: HTTPClientConfiguration(
            insecureSkipTLSVerify: true, tokenFile: tokenFile, timeout: timeout, maxConnectionsPerHost: maxConnections))
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
                    "names": ["plural": "memwidgets", "singular": "testwidget", "kind": "TestWidget", "listKind": "TestWidgetList"],
                    "versions": [[
                        "name": "v1", "served": true, "storage": true,
                        "schema": ["openAPIV3Schema": [
                            "type": "object",
                            "properties": ["spec": ["type": "object", "properties": ["data": ["type": "string"]]]],
                        ]],
                    ] as [String: Any]],
                ] as [String: Any],
            ]
            let created = try await client.send(HTTPRequest(
                method: "POST", url: "\(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                headers: [("Content-Type", "application/json")], body: try JSONSerialization.data(withJSONObject: crd)))
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

    private static func stop(_ process: Process) {
        if process.isRunning {
            process.terminate()
            let deadline = MonotonicClock.now() + 5_000_000_000
            while process.isRunning && MonotonicClock.now() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    func stop() {
        Self.stop(process)
        try? FileManager.default.removeItem(at: dir)
    }
}

struct SimServerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
