import Foundation

/// What one measured run of a load loop produced: counts, wall and CPU time, latency.
struct PhaseResult {
    var requests: Int
    var errors: Int
    var non2xx: Int
    /// The first error's text, for the human line.
    var firstError: String?
    var wallNs: Int64
    var cpuUserSeconds: Double
    var cpuSystemSeconds: Double
    /// Per-request latency (submit to completion), ns; sorted by `finish()`.
    var latenciesNs: [Int64]
}

extension Optional where Wrapped == PhaseResult {
    /// The sum of this result (if any) and `next`: counts, times and CPU add, latencies concatenate.
    func merged(with next: PhaseResult) -> PhaseResult {
        guard let a = self else { return next }
        return PhaseResult(
            requests: a.requests + next.requests, errors: a.errors + next.errors, non2xx: a.non2xx + next.non2xx,
            firstError: a.firstError ?? next.firstError, wallNs: a.wallNs + next.wallNs,
            cpuUserSeconds: a.cpuUserSeconds + next.cpuUserSeconds,
            cpuSystemSeconds: a.cpuSystemSeconds + next.cpuSystemSeconds,
            latenciesNs: a.latenciesNs + next.latenciesNs)
    }
}

/// The JSON line kp-httpbench prints on stdout (keys sorted, units in the names).
struct BenchReport: Codable {
    var tool = "kp-httpbench"
    var mode: String
    var url: String
    var requests: Int
    var concurrency: Int
    var maxConnections: Int
    var errors: Int
    var non2xx: Int
    /// Connections opened over the whole run, warm-up included (1 = every request reused the first).
    var connectionsOpened: Int
    /// Client mode: measured transfers libcurl parked waiting for a connection/stream (nil in bare mode).
    var waitedForConnection: Int?
    var wallSeconds: Double
    var requestsPerSecond: Double
    var cpuUserSeconds: Double
    var cpuSystemSeconds: Double
    var cpuSeconds: Double
    var cpuSecondsPer1000Requests: Double
    var latencyP50Ns: Int64
    var latencyP99Ns: Int64
    var latencyMaxNs: Int64
    var libcurl: String
    /// `--metrics-url` deltas over the measured run (nil without it).
    var serverRSTStreamReceived: Double?
    var serverConnectionsAccepted: Double?

    enum CodingKeys: String, CodingKey {
        case tool, mode, url, requests, concurrency, errors, libcurl
        case maxConnections = "max_connections"
        case non2xx = "non_2xx"
        case connectionsOpened = "connections_opened"
        case waitedForConnection = "waited_for_connection"
        case wallSeconds = "wall_seconds"
        case requestsPerSecond = "requests_per_second"
        case cpuUserSeconds = "cpu_user_seconds"
        case cpuSystemSeconds = "cpu_system_seconds"
        case cpuSeconds = "cpu_seconds"
        case cpuSecondsPer1000Requests = "cpu_seconds_per_1000_requests"
        case latencyP50Ns = "latency_p50_ns"
        case latencyP99Ns = "latency_p99_ns"
        case latencyMaxNs = "latency_max_ns"
        case serverRSTStreamReceived = "server_rst_stream_received"
        case serverConnectionsAccepted = "server_connections_accepted"
    }

    init(
        mode: String, url: String, concurrency: Int, maxConnections: Int, phase: PhaseResult, connectionsOpened: Int,
        waitedForConnection: Int?, libcurl: String
    ) {
        self.mode = mode
        self.url = url
        self.requests = phase.requests
        self.concurrency = concurrency
        self.maxConnections = maxConnections
        self.errors = phase.errors
        self.non2xx = phase.non2xx
        self.connectionsOpened = connectionsOpened
        self.waitedForConnection = waitedForConnection
        self.wallSeconds = Double(phase.wallNs) / 1e9
        self.requestsPerSecond = phase.wallNs > 0 ? Double(phase.requests) / (Double(phase.wallNs) / 1e9) : 0
        self.cpuUserSeconds = phase.cpuUserSeconds
        self.cpuSystemSeconds = phase.cpuSystemSeconds
        self.cpuSeconds = phase.cpuUserSeconds + phase.cpuSystemSeconds
        self.cpuSecondsPer1000Requests = phase.requests > 0 ? cpuSeconds / Double(phase.requests) * 1000 : 0
        let sorted = phase.latenciesNs.sorted()
        func pct(_ p: Double) -> Int64 {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        self.latencyP50Ns = pct(0.50)
        self.latencyP99Ns = pct(0.99)
        self.latencyMaxNs = sorted.last ?? 0
        self.libcurl = libcurl
    }

    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var humanLine: String {
        let rps = String(format: "%.0f", requestsPerSecond)
        let cpu = String(format: "%.3f", cpuSecondsPer1000Requests)
        let us = String(format: "%.1f", cpuSecondsPer1000Requests * 1000)
        let p50 = String(format: "%.2f", Double(latencyP50Ns) / 1e6)
        let p99 = String(format: "%.2f", Double(latencyP99Ns) / 1e6)
        var s =
            "\(mode): \(requests) requests at concurrency \(concurrency): \(rps) req/s, \(cpu) CPU-s per 1000 requests (\(us) µs/request), "
        s +=
            "p50 \(p50) ms, p99 \(p99) ms, \(connectionsOpened) connection(s) opened, \(errors) errors, \(non2xx) non-2xx"
        if let w = waitedForConnection { s += ", \(w) waited for a connection/stream" }
        return s
    }
}
