import ArgumentParser
import Foundation
import KPCLI
import KPHTTP
import KPRecords

/// kp-httpbench: measures what a request costs the client, KPHTTP against bare libcurl.
///
/// Sends `--requests` GETs to one URL, `--concurrency` at a time (closed loop), over at most
/// `--max-connections` connections, after `--warmup` requests that open the connection. Prints one
/// JSON line on stdout and one human line on stderr: requests/s, client CPU-seconds per 1000
/// requests (getrusage of this process), latency percentiles, connections opened, errors.
/// `scripts/bench-http.sh` (`make bench-http`) runs both modes and h2load against nghttpd.
@main
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-httpbench",
        abstract: "Measure the HTTP client's throughput and CPU cost per request (KPHTTP or bare libcurl).",
        discussion: """
            --mode client drives KPHTTP's HTTPClient through submit(_:completion:), as kp-load does.
            --mode bare drives libcurl's multi interface directly with the same options: the ceiling.
            With --assert-single-connection the run fails (exit 12) unless the whole run used one
            connection without errors; with --metrics-url (kp-sim's /metrics) it also fails if the
            server received any RST_STREAM or accepted any connection during the measured run.

            Example: kp-httpbench --url https://127.0.0.1:8443/small.txt --ca-file ca.pem --requests 100000 --concurrency 100
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case client, bare, compare
    }

    @Option(help: ArgumentHelp("URL to GET, e.g. https://127.0.0.1:8443/small.txt.", valueName: "url"))
    var url: String

    @Option(
        help: ArgumentHelp(
            "client: KPHTTP's HTTPClient; bare: libcurl's multi interface with no Swift abstraction; compare: both in one process, alternating chunks.",
            discussion:
                "compare runs --requests through each, in alternating chunks of --chunk requests (each over its own connection), so both see the same interference from the rest of the machine; it prints a JSON line per mode and the CPU ratio."
        ))
    var mode: Mode = .client

    @Option(help: "Requests per chunk in --mode compare.")
    var chunk = 5_000

    @Option(help: "Measured requests.")
    var requests = 100_000

    @Option(help: "Requests in flight at once (closed loop).")
    var concurrency = 100

    @Option(help: "Most connections to the host (CURLMOPT_MAX_HOST_CONNECTIONS).")
    var maxConnections = 1

    @Option(help: "Unmeasured requests first, which open the connection.")
    var warmup = 1_000

    @Option(help: ArgumentHelp("PEM CA bundle that verifies the server.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("File holding a bearer token to send.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: "Do not verify the server's TLS certificate.")
    var insecureSkipTLSVerify = false

    @Flag(
        help:
            "Client modes: copy every response's headers out of libcurl (kp-bootstrap's setting); by default they are not, as kp-load sends its requests."
    )
    var collectHeaders = false

    @Flag(help: "Fail (exit 12) unless the whole run used exactly one connection and got no errors (client mode).")
    var assertSingleConnection = false

    @Option(
        help: ArgumentHelp(
            "kp-sim's /metrics URL, read before and after the measured run through the same connection (client mode).",
            valueName: "url"))
    var metricsUrl: String?

    func validate() throws {
        if !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw ValidationError("--url must start with https:// or http:// (got '\(url)')")
        }
        if requests < 1 { throw ValidationError("--requests must be ≥ 1 (got \(requests))") }
        if concurrency < 1 { throw ValidationError("--concurrency must be ≥ 1 (got \(concurrency))") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be ≥ 1 (got \(maxConnections))") }
        if warmup < 0 { throw ValidationError("--warmup must be ≥ 0 (got \(warmup))") }
        if chunk < 1 { throw ValidationError("--chunk must be ≥ 1 (got \(chunk))") }
        for (flag, path) in [("--ca-file", caFile), ("--token-file", tokenFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag) \(path) is not a readable file: check the path")
            }
        }
        if mode != .client && (assertSingleConnection || metricsUrl != nil) {
            throw ValidationError(
                "--assert-single-connection and --metrics-url check KPHTTP's client: use them with --mode client")
        }
        if let metricsUrl, !(metricsUrl.hasPrefix("https://") || metricsUrl.hasPrefix("http://")) {
            throw ValidationError("--metrics-url must start with https:// or http:// (got '\(metricsUrl)')")
        }
        if metricsUrl != nil && !assertSingleConnection {
            throw ValidationError("--metrics-url is read for --assert-single-connection: add that flag")
        }
    }

    func run() async throws {
        let reports: [BenchReport]
        switch mode {
        case .client: reports = [try runClient()]
        case .bare: reports = [try runBare()]
        case .compare: reports = try runCompare()
        }
        for report in reports {
            try JSONLWriter.stdout.writeLine(Data((try report.jsonLine() + "\n").utf8))
            StandardError.write("kp-httpbench \(report.humanLine)\n")
        }
        if reports.count == 2, reports[0].cpuSecondsPer1000Requests > 0 {
            let ratio = reports[1].cpuSecondsPer1000Requests / reports[0].cpuSecondsPer1000Requests
            StandardError.write("kp-httpbench: client/bare CPU per request \(String(format: "%.3f", ratio))\n")
        }
        let errors = reports.reduce(0) { $0 + $1.errors }
        let non2xx = reports.reduce(0) { $0 + $1.non2xx }
        if errors > 0 || non2xx > 0 {
            throw ToolFailure("\(errors) errors and \(non2xx) non-2xx responses from \(url)", exitCode: .targetErrors)
        }
        guard let report = reports.first else { return }
        if assertSingleConnection {
            var problems: [String] = []
            if report.connectionsOpened != 1 {
                problems.append("the client opened \(report.connectionsOpened) connections, not 1")
            }
            if let r = report.serverRSTStreamReceived, r != 0 {
                problems.append("the server received \(Int(r)) RST_STREAM frames")
            }
            if let a = report.serverConnectionsAccepted, a != 0 {
                problems.append("the server accepted \(Int(a)) new connections during the run")
            }
            if !problems.isEmpty {
                throw ToolFailure(
                    "--assert-single-connection failed: " + problems.joined(separator: "; "), exitCode: .targetErrors)
            }
            StandardError.write(
                "kp-httpbench: single connection held: 1 connection, 0 errors\(metricsUrl == nil ? "" : ", 0 RST_STREAM and 0 new connections seen by the server")\n"
            )
        }
    }

    private func makeClient() throws -> HTTPClient {
        do {
            return try HTTPClient(
                configuration: HTTPClientConfiguration(
                    caFile: caFile, insecureSkipTLSVerify: insecureSkipTLSVerify, tokenFile: tokenFile,
                    maxConnectionsPerHost: maxConnections, maxConcurrentStreams: max(concurrency, 1)))
        } catch {
            throw InputError(error.description)
        }
    }

    private func makeBareLoop() throws -> BareLoop {
        var token: String? = nil
        if let tokenFile {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        return try BareLoop(
            url: url, caFile: caFile, insecure: insecureSkipTLSVerify, token: token, concurrency: concurrency,
            maxConnections: maxConnections)
    }

    /// Both loops in one process, alternating chunks, so machine noise hits both alike.
    private func runCompare() throws -> [BenchReport] {
        let client = try makeClient()
        let bare = try makeBareLoop()
        let request = HTTPRequest(url: url, collectsResponseHeaders: collectHeaders)
        if warmup > 0 {
            let w1 = try bare.run(total: warmup)
            let w2 = ClientLoad.run(client: client, request: request, total: warmup, concurrency: concurrency)
            if w1.errors + w2.errors > 0 {
                throw ToolFailure(
                    "warm-up failed: \(w1.firstError ?? w2.firstError ?? "errors")", exitCode: .targetUnreachable)
            }
        }
        let waitedBefore = client.statistics.waitedForConnection
        var bareTotal: PhaseResult? = nil
        var clientTotal: PhaseResult? = nil
        var remaining = requests
        while remaining > 0 {
            let n = min(chunk, remaining)
            bareTotal = bareTotal.merged(with: try bare.run(total: n))
            clientTotal = clientTotal.merged(
                with: ClientLoad.run(client: client, request: request, total: n, concurrency: concurrency))
            remaining -= n
        }
        guard let bareTotal, let clientTotal else { return [] }
        for e in [bareTotal.firstError, clientTotal.firstError].compactMap({ $0 }) {
            StandardError.write("kp-httpbench: first error: \(e)\n")
        }
        return [
            BenchReport(
                mode: "bare", url: url, concurrency: concurrency, maxConnections: maxConnections, phase: bareTotal,
                connectionsOpened: bare.connectionsOpened, waitedForConnection: nil, libcurl: HTTPClient.libcurlVersion),
            BenchReport(
                mode: "client", url: url, concurrency: concurrency, maxConnections: maxConnections, phase: clientTotal,
                connectionsOpened: client.statistics.connectionsOpened,
                waitedForConnection: client.statistics.waitedForConnection - waitedBefore,
                libcurl: HTTPClient.libcurlVersion),
        ]
    }

    private func runClient() throws -> BenchReport {
        let client = try makeClient()
        let request = HTTPRequest(url: url, collectsResponseHeaders: collectHeaders)
        if warmup > 0 {
            let w = ClientLoad.run(client: client, request: request, total: warmup, concurrency: concurrency)
            if w.errors > 0 {
                throw ToolFailure("warm-up failed: \(w.firstError ?? "errors")", exitCode: .targetUnreachable)
            }
        }
        let before = try metricsUrl.map { try ServerCounters.read(url: $0, client: client) }
        let waitedBefore = client.statistics.waitedForConnection
        let phase = ClientLoad.run(client: client, request: request, total: requests, concurrency: concurrency)
        let after = try metricsUrl.map { try ServerCounters.read(url: $0, client: client) }
        let stats = client.statistics
        var report = BenchReport(
            mode: "client", url: url, concurrency: concurrency, maxConnections: maxConnections, phase: phase,
            connectionsOpened: stats.connectionsOpened, waitedForConnection: stats.waitedForConnection - waitedBefore,
            libcurl: HTTPClient.libcurlVersion)
        if let before, let after {
            report.serverRSTStreamReceived = after.rstStreamReceived - before.rstStreamReceived
            report.serverConnectionsAccepted = after.connectionsAccepted - before.connectionsAccepted
        }
        if let e = phase.firstError { StandardError.write("kp-httpbench: first error: \(e)\n") }
        return report
    }

    private func runBare() throws -> BenchReport {
        let loop = try makeBareLoop()
        if warmup > 0 {
            let w = try loop.run(total: warmup)
            if w.errors > 0 {
                throw ToolFailure("warm-up failed: \(w.firstError ?? "errors")", exitCode: .targetUnreachable)
            }
        }
        let phase = try loop.run(total: requests)
        if let e = phase.firstError { StandardError.write("kp-httpbench: first error: \(e)\n") }
        return BenchReport(
            mode: "bare", url: url, concurrency: concurrency, maxConnections: maxConnections, phase: phase,
            connectionsOpened: loop.connectionsOpened, waitedForConnection: nil, libcurl: HTTPClient.libcurlVersion)
    }

    static func main() async {
        await ToolMain.run(HTTPBench.self)
    }
}
