import Foundation
import KPPprof
import Logging

/// The emulator's request handling above HTTP: cluster routing, implicit VCP creation,
/// authentication, fault injection, metrics, and dispatch to health, metrics, pprof and the API.
public final class SimApplication: Sendable {
    /// The shared state.
    public let context: SimContext
    let api: KubeAPI
    let onCrash: @Sendable (String) -> Void

    init(context: SimContext, onCrash: @escaping @Sendable (String) -> Void) {
        self.context = context
        self.api = KubeAPI(context: context)
        self.onCrash = onCrash
    }

    /// Which handler a (cluster-stripped) path goes to.
    enum Endpoint {
        case metrics
        case pprof
        case health(String)
        case version
        case snapshot
        case api
    }

    /// Splits a target into the percent-decoded path and the query parameters.
    static func splitTarget(_ target: String) -> (path: String, query: [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ text: Substring) -> String {
                    String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
                }
                query[decode(keyValue[0])] = keyValue.count > 1 ? decode(keyValue[1]) : ""
            }
        }
        return (path.isEmpty ? "/" : path, query)
    }

    /// Contract §2.1: `/clusters/<cid>/control-plane/<rest>` → (cid, `/<rest>`); `/clusters/<cid>` → (cid, `/`);
    /// `/clusters/<cid>/<other>` → (cid, unchanged path); anything else → (root, path).
    static func route(path: String, root: String) -> (cluster: String, path: String) {
        guard path.hasPrefix("/clusters/") else { return (root, path) }
        let rest = path.dropFirst("/clusters/".count)
        let segments = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let cluster = String(segments[0])
        guard !cluster.isEmpty else { return (root, path) }
        let remainder = segments.count > 1 ? "/" + segments[1] : ""
        if remainder.isEmpty || remainder == "/" { return (cluster, "/") }
        if remainder == "/control-plane" || remainder == "/control-plane/" { return (cluster, "/") }
        if remainder.hasPrefix("/control-plane/") {
            return (cluster, String(remainder.dropFirst("/control-plane".count)))
        }
        return (cluster, path)
    }

    static func classify(_ path: String) -> Endpoint {
        if path == "/metrics" { return .metrics }
        if path == "/debug/pprof" || path.hasPrefix("/debug/pprof/") { return .pprof }
        if path == "/version" || path == "/version/" { return .version }
        if path == "/snapshot" { return .snapshot }
        for check in ["/readyz", "/livez", "/healthz"] where path == check || path.hasPrefix(check + "/") {
            return .health(check)
        }
        return .api
    }

    /// Handles one request end to end.
    public func handle(_ request: SimRequest) async -> SimResponse {
        let start = ContinuousClock.now
        let context = self.context
        let (rawPath, query) = Self.splitTarget(request.target)
        let (cluster, path) = Self.route(path: rawPath, root: context.configuration.rootControlPlaneName)
        var restoreFailure: String?
        if cluster != context.configuration.rootControlPlaneName {
            let (plane, created, count) = context.registry.ensure(cluster, context: context)
            // With etcd, the VCP's first request waits for its objects to be read back (lazy restore).
            restoreFailure = await plane.ready()
            if created {
                context.logger.debug("created VCP", metadata: ["cluster": "\(cluster)", "vcps": "\(count)"])
                if let limit = context.configuration.faults.crashAfterVCPs, count >= limit, context.faultArming.isArmed
                {
                    self.onCrash("--fault-crash-after-vcps=\(limit): VCP \(count) (\(cluster)) was created")
                }
            }
        }
        let endpoint = Self.classify(path)
        var response: SimResponse
        var latency = Duration.zero
        /// The --sim-max-concurrency slot, held until the answer is written (see `SimResponse.slot`).
        var slot: ConcurrencyLimit.Slot?
        var labels = RequestLabels.nonResource(method: request.method, path: path)
        let authorization = request.headers["authorization"]
        let user = context.tokens.authenticate(authorization: authorization)
        let isPublic: Bool
        switch endpoint {
        case .health, .version: isPublic = true
        default: isPublic = false
        }
        if user == nil && (authorization != nil || !isPublic || !context.configuration.anonymousAuth) {
            response = .error(.unauthorized)
        } else {
            switch endpoint {
            case .metrics:
                if let delay = context.configuration.faults.metricsDelay, context.faultArming.isArmed {
                    context.metrics.fault("metrics_delay")
                    try? await Task.sleep(for: delay)
                }
                response = self.metricsResponse()
            case .pprof:
                if let status = context.configuration.faults.pprofStatus, context.faultArming.isArmed {
                    context.metrics.fault("pprof_status")
                    response = .text(status, "kp-sim: injected fault --fault-pprof-status=\(status)\n")
                } else {
                    response = self.pprof(path: path, query: query)
                }
            default:
                var admitted = true
                if case .health = endpoint {
                    // Probes never wait for --sim-max-concurrency: the observer must see a busy server.
                } else {
                    slot = await context.concurrency.acquire()
                    admitted = slot != nil
                }
                latency = admitted ? self.latencyFault() : .zero
                if !admitted {
                    // The client went away (stream reset, connection closed) while the request waited.
                    response = .text(
                        503, "kp-sim: the client left while the request waited for a --sim-max-concurrency slot\n")
                } else if let fault = self.injectFaults() {
                    response = fault
                } else if let restoreFailure {
                    response = .text(500, restoreFailure + "\n")
                } else {
                    switch endpoint {
                    case .health(let check):
                        if check == "/readyz", ContinuousClock.now < context.started + context.configuration.readyDelay
                        {
                            // As the real server while its post-start hooks run: 500 until they are done.
                            response = .text(
                                500,
                                "[+]ping ok\n[+]etcd ok\n[-]poststarthook/start-apiextensions-controllers failed: reason withheld\nreadyz check failed\n"
                            )
                        } else {
                            response = Self.health(check, path: path, verbose: query["verbose"] != nil)
                        }
                    case .version: response = .json(200, Self.versionInfo)
                    case .snapshot:
                        response = self.api.snapshot(cluster: cluster, method: request.method, query: query)
                    default:
                        if path == "/" {
                            response = .json(
                                200,
                                [
                                    "paths": [
                                        "/api", "/api/v1", "/apis", "/apis/apiextensions.k8s.io/v1", "/debug/pprof",
                                        "/healthz", "/livez", "/metrics", "/readyz", "/version",
                                    ]
                                ])
                        } else if path == "/openapi/v3" || path.hasPrefix("/openapi/v3/") {
                            response = self.api.openAPI(path: path, cluster: cluster)
                        } else {
                            let apiRequest = APIRequest(
                                cluster: cluster, method: request.method, path: path, query: query,
                                headers: request.headers, body: request.body)
                            (response, labels) = await self.api.handle(apiRequest)
                        }
                    }
                }
            }
        }
        await self.holdDuringStall()
        response.headers.append(("x-kp-sim", SimVersion.current))
        response.headers.append(("cache-control", "no-cache, private"))
        response.hold = latency
        response.slot = slot
        // The held time counts as the request's: the answer leaves that much later.
        let seconds = DurationText.seconds(ContinuousClock.now - start + latency)
        context.metrics.record(labels, code: response.status, seconds: seconds)
        if context.configuration.verbosity >= 3 {
            context.logger.info(
                "request",
                metadata: [
                    "verb": "\(request.method)", "cluster": "\(cluster)", "path": "\(path)",
                    "code": "\(response.status)",
                    "ms": "\(String(format: "%.2f", seconds * 1000))",
                ])
        }
        return response
    }

    /// The `--fault-latency` sample for an API request: how long its finished answer is held.
    ///
    /// The answer is computed at once and held on the event loop that writes it (`SimResponse.hold`),
    /// not slept on before the work: a `Task.sleep` before the work oversleeps by 0.25-0.3 ms (Dispatch's
    /// timer thread, then the cooperative pool, then the event loop: three thread hand-offs), and the work
    /// then runs after an idle 5 ms, which takes more from a write's PUT (sent hot on its Get's heels) than
    /// from the Gets. Measured on the wire and in stage traces: docs/load.md, "Checking latencies on the wire".
    func latencyFault() -> Duration {
        let faults = self.context.configuration.faults
        guard faults.latency != .none, self.context.faultArming.isArmed else { return .zero }
        return max(.zero, self.context.random.sample(faults.latency))
    }

    /// Reset and error faults for an API request; nil when the request should be served.
    func injectFaults() -> SimResponse? {
        let faults = self.context.configuration.faults
        guard self.context.faultArming.isArmed else { return nil }
        if faults.resetRate > 0, self.context.random.unit() < faults.resetRate {
            self.context.metrics.fault("reset")
            return SimResponse(status: 0, body: .reset)
        }
        if faults.errorRate > 0, self.context.random.unit() < faults.errorRate {
            self.context.metrics.fault("error_\(faults.errorStatus)")
            switch faults.errorStatus {
            case 429:
                return .error(
                    APIError(
                        code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                        details: ["retryAfterSeconds": 1]))
            case 500:
                return .error(
                    APIError(
                        code: 500, reason: "InternalError", message: "Internal error occurred: kp-sim injected fault"))
            default:
                return .error(
                    APIError(
                        code: 503, reason: "ServiceUnavailable", message: "kp-sim injected fault: service unavailable"))
            }
        }
        return nil
    }

    /// Holds the response while a `--fault-stall` window is open.
    func holdDuringStall() async {
        guard let stall = self.context.configuration.faults.stall else { return }
        var counted = false
        while true {
            guard let elapsed = self.context.faultArming.sinceArmed else { return }
            let remaining = stall.remaining(at: elapsed)
            if remaining <= .zero { return }
            if !counted {
                self.context.metrics.fault("stall")
                counted = true
            }
            try? await Task.sleep(for: remaining, tolerance: .zero)
        }
    }

    static let versionInfo: JSONValue = [
        "major": "1", "minor": "34", "emulationMajor": "1", "emulationMinor": "34", "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "33", "gitVersion": "v1.34.0", "gitCommit": .string("kp-sim-\(SimVersion.current)"),
        "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z", "goVersion": "kp-sim (Swift)", "compiler": "gc",
        "platform": "linux/amd64",
    ]

    static let healthChecks = [
        "ping", "log", "etcd", "informer-sync", "poststarthook/start-apiextensions-controllers",
        "poststarthook/crd-informer-synced", "poststarthook/start-system-namespaces-controller",
        "poststarthook/bootstrap-controller", "poststarthook/start-cluster-authentication-info-controller",
        "poststarthook/start-legacy-token-tracking-controller", "poststarthook/rbac/bootstrap-roles",
    ]

    /// Process-level health: always healthy once serving (contract §3.4).
    static func health(_ check: String, path: String, verbose: Bool) -> SimResponse {
        let name = String(check.dropFirst())
        if path != check {
            let sub = String(path.dropFirst(check.count + 1))
            guard healthChecks.contains(sub) else { return .text(404, "404 page not found\n") }
            return .text(200, "ok")
        }
        guard verbose else { return .text(200, "ok") }
        let lines = healthChecks.map { "[+]\($0) ok" } + ["\(name) check passed"]
        return .text(200, lines.joined(separator: "\n") + "\n")
    }

    func metricsResponse() -> SimResponse {
        var text = self.context.renderMetrics()
        if self.context.configuration.faults.metricsMalformed, self.context.faultArming.isArmed {
            self.context.metrics.fault("metrics_malformed")
            // A value that is not a number, a sample with no value, and an invalid TYPE line.
            text =
                "# TYPE kpsim_malformed nonsense\nkpsim_malformed{broken=\"yes\" 1\nprocess_open_fds not-a-number\ngo_goroutines\n"
                + text
        }
        return .text(200, text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    /// `/debug/pprof/heap` (gzipped profile.proto) and `/debug/pprof/goroutine?debug=1|2` (text).
    func pprof(path: String, query: [String: String]) -> SimResponse {
        let stats = ProcessStats.sample()
        switch path {
        case "/debug/pprof/heap", "/debug/pprof/allocs":
            do {
                return SimResponse(
                    status: 200,
                    headers: [
                        ("content-type", "application/octet-stream"),
                        ("content-disposition", "attachment; filename=\"heap\""),
                    ],
                    body: .bytes(Array(try self.heapProfile())))
            } catch {
                return .text(500, "kp-sim: cannot build heap profile: \(error)\n")
            }
        case "/debug/pprof/goroutine":
            guard let debug = query["debug"], debug == "1" || debug == "2" else {
                return .text(
                    400, "kp-sim serves /debug/pprof/goroutine?debug=1 only (text); the protobuf form is not emulated\n"
                )
            }
            return .text(200, self.context.tasks.goroutineProfile(threads: stats.threads))
        case "/debug/pprof", "/debug/pprof/":
            return .text(200, "/debug/pprof/\n\nheap\ngoroutine?debug=1\n", contentType: "text/plain; charset=utf-8")
        default:
            return .text(404, "Unknown profile\n")
        }
    }

    /// The heap profile of the emulator's tracked allocations, one sample per call site.
    func heapProfile() throws -> Data {
        var builder = ProfileBuilder(
            sampleTypes: SampleType.goHeap, periodType: SampleType.goHeapPeriod, period: SampleType.goHeapPeriodBytes,
            timeNanos: Int64(Date().timeIntervalSince1970 * 1e9))
        builder.addComment("kp-sim \(SimVersion.current): tracked allocations of the emulator, not of kplane")
        for (site, counters) in self.context.allocations.snapshot().sorted(by: {
            $0.value.inuseBytes > $1.value.inuseBytes
        }) {
            let stack = site.frames.map { StackFrame(function: $0.function, file: $0.file, line: Int64($0.line)) }
            let average = counters.allocObjects > 0 ? counters.allocBytes / counters.allocObjects : 0
            try builder.addSample(
                stack: stack,
                values: [counters.allocObjects, counters.allocBytes, counters.inuseObjects, counters.inuseBytes],
                numericLabels: ["bytes": average])
        }
        return try builder.gzipped()
    }
}
