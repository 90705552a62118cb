import Foundation
import KPHTTP
import Logging

/// A single-member etcd that kp-launch starts for one run on free loopback ports, with its data in
/// a temporary directory that is deleted when it stops.
public final class ThrowawayEtcd: @unchecked Sendable {
    /// The etcd process (its own session).
    public let process: ChildProcess
    /// Client URL, e.g. `http://127.0.0.1:40123`: what the target's `--etcd-servers` gets.
    public let clientURL: String
    /// The temporary `--data-dir`.
    public let dataDir: String

    private init(process: ChildProcess, clientURL: String, dataDir: String) {
        self.process = process
        self.clientURL = clientURL
        self.dataDir = dataDir
    }

    /// Starts `binary` on two free loopback ports, logging to `logFile`, and waits until `/health` says true.
    ///
    /// - Throws: ``LaunchError`` (exit 13) when etcd exits or is not healthy within `timeout`; the
    ///   process and its data dir are gone by then.
    public static func start(
        binary: String, logFile: String, timeout: Duration, makeTransport: TransportFactory, logger: Logger
    ) async throws -> ThrowawayEtcd {
        let clientPort = try PortProbe.freeLoopbackPort()
        var peerPort = try PortProbe.freeLoopbackPort()
        while peerPort == clientPort { peerPort = try PortProbe.freeLoopbackPort() }
        var template = Array(
            "\(NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/")kpbench-etcd-XXXXXX"
                .utf8CString)
        guard let made = mkdtemp(&template) else {
            throw LaunchError.etcd(
                "cannot create a temporary etcd data dir: \(String(cString: strerror(errno))); check TMPDIR")
        }
        let dataDir = String(cString: made)
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        let args = [
            "--name", "kpbench", "--data-dir", dataDir,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "kpbench=\(peer)",
        ]
        logger.info("starting throw-away etcd: \(binary) \(args.joined(separator: " "))")
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(binary, args, stdout: .append(logFile), stderr: .append(logFile))
        } catch {
            try? FileManager.default.removeItem(atPath: dataDir)
            throw error
        }
        let etcd = ThrowawayEtcd(process: process, clientURL: client, dataDir: dataDir)
        let deadline = ContinuousClock.now + timeout
        var last = "no answer yet"
        while true {
            if let t = process.exitStatus {
                await etcd.stop(grace: .seconds(1))
                throw LaunchError.etcd("the throw-away etcd \(t) before it was healthy: see \(logFile)")
            }
            switch await EtcdHealth.check(client, makeTransport: makeTransport) {
            case .healthy:
                logger.info("throw-away etcd healthy at \(client) (data dir \(dataDir))")
                return etcd
            case .unhealthy(let why), .unreachable(let why):
                last = why
            }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                await etcd.stop(grace: .seconds(2))
                if Task.isCancelled { throw CancellationError() }
                throw LaunchError.etcd(
                    "the throw-away etcd at \(client) was not healthy within \(timeout) (\(last)): see \(logFile)")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops etcd's process group (SIGTERM, SIGKILL after `grace`) and deletes its data dir.
    public func stop(grace: Duration) async {
        await process.stop(grace: grace)
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}

/// etcd's `/health` endpoint, used to pre-flight given endpoints and to wait for a throw-away etcd.
public enum EtcdHealth {
    /// What `/health` said.
    public enum Outcome: Sendable, Equatable {
        /// HTTP 200 with `"health":"true"`.
        case healthy
        /// It answered, but not healthy (e.g. 503, no leader).
        case unhealthy(String)
        /// No answer (refused, timeout, DNS...).
        case unreachable(String)
    }

    /// Asks `endpoint` (an `http://host:port` client URL) for `/health`.
    public static func check(_ endpoint: String, makeTransport: TransportFactory) async -> Outcome {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        let transport: any HTTPTransport
        do {
            transport = try makeTransport(
                HTTPClientConfiguration(timeout: .seconds(2), connectTimeout: .seconds(1), maxConnectionsPerHost: 1))
        } catch {
            return .unreachable("\(error)")
        }
        do {
            let response = try await transport.send(HTTPRequest(url: base + "/health"))
            let body = String(decoding: response.body, as: UTF8.self)
            if response.status == 200, body.replacingOccurrences(of: " ", with: "").contains("\"health\":\"true\"") {
                return .healthy
            }
            return .unhealthy(
                "/health answered HTTP \(response.status) \(body.prefix(120).trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        } catch {
            return .unreachable(Self.shortReason(error))
        }
    }

    /// Checks every comma-separated endpoint; throws one line (exit 13) for the first that is not healthy.
    public static func requireHealthy(_ endpoints: String, makeTransport: TransportFactory) async throws {
        let list = endpoints.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        guard !list.isEmpty else {
            throw LaunchError.badInput(
                "--etcd-endpoints/ETCD_ENDPOINTS is empty: give etcd client URLs such as http://127.0.0.1:2379")
        }
        for endpoint in list {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw LaunchError.badInput(
                    "--etcd-endpoints/ETCD_ENDPOINTS: '\(endpoint)' is not a URL: write it as http://127.0.0.1:2379")
            }
            switch await check(endpoint, makeTransport: makeTransport) {
            case .healthy: continue
            case .unreachable(let why):
                throw LaunchError.etcd(
                    "etcd at \(endpoint) is unreachable (\(why)): start etcd there, or point --etcd-endpoints/ETCD_ENDPOINTS at a running etcd"
                )
            case .unhealthy(let why):
                throw LaunchError.etcd(
                    "etcd at \(endpoint) is not healthy (\(why)): check that etcd has a leader, or point --etcd-endpoints/ETCD_ENDPOINTS at a healthy etcd"
                )
            }
        }
    }

    static func shortReason(_ error: any Error) -> String {
        guard let e = error as? HTTPError else { return "\(error)" }
        switch e.kind {
        case .connectionRefused: return "connection refused"
        case .timeout: return "timed out"
        case .dns: return "host name does not resolve"
        case .connectionReset: return "connection reset"
        case .tls(let m): return "TLS: \(m)"
        case .badRequest(let m): return m
        case .transport(_, let m): return m
        case .status(let code, _, _): return "HTTP \(code)"
        }
    }
}

/// Makes the HTTP client kp-launch probes with; tests may substitute a fake transport.
public typealias TransportFactory = @Sendable (HTTPClientConfiguration) throws -> any HTTPTransport

/// The libcurl client from KPHTTP.
public let defaultTransportFactory: TransportFactory = { configuration in
    do {
        return try HTTPClient(configuration: configuration)
    } catch let error as HTTPClientSetupError {
        throw LaunchError.badInput(error.description)
    }
}
