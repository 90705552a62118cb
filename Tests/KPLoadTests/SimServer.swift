import Foundation
import KPBootstrap
import KPCore
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
        let work = try SimFixture.makeWorkDir(prefix: "kpload-sim")
        dir = URL(fileURLWithPath: work)
        tokenFile = work + "/token"
        let log = work + "/sim.log"
        launchedNs = MonotonicClock.now()
        do {
            launcher = try SimLauncher(
                arguments: SimFixture.contractArguments(
                    dir: work,
                    extra: ["--v=0", "--sim-namespace-delay=20ms", "--sim-crd-establish-delay=20ms"] + faults),
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

    /// Bootstraps clusters as kp-bootstrap does (contract §4.2), with kp-bootstrap's own ``TestCRD``.
    func bootstrap(_ clusters: [String], client: HTTPClient) async throws {
        for c in clusters {
            let b = "\(baseURL)/clusters/\(c)/control-plane"
            try await poll("\(c) readyz") { try await client.send(HTTPRequest(url: "\(b)/readyz")).status == 200 }
            try await poll("\(c) namespace") {
                try await client.send(HTTPRequest(url: "\(b)/api/v1/namespaces/default")).status == 200
            }
            let group = TestCRD.group(for: c)
            let created = try await client.send(
                HTTPRequest(
                    method: "POST", url: "\(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    headers: [("Content-Type", "application/json")], body: TestCRD.body(for: c)))
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
