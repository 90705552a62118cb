import Synchronization

/// The labels of `apiserver_request_total` / `apiserver_request_duration_seconds`, as upstream uses them.
///
/// For a resource request `verb` is LIST/GET/WATCH/POST/PUT/PATCH/DELETE and `scope` is
/// `cluster`, `namespace` or `resource`; for a non-resource path (e.g. `/readyz`) `verb` is the
/// HTTP method and `subresource` holds the path, as upstream does.
public struct RequestLabels: Hashable, Sendable {
    public var verb: String
    public var group = ""
    public var version = ""
    public var resource = ""
    public var subresource = ""
    public var scope = ""
    public var component = "apiserver"
    public var dryRun = ""

    /// Labels for a non-resource path.
    public static func nonResource(method: String, path: String) -> RequestLabels {
        RequestLabels(verb: method, subresource: path, component: "apiserver")
    }
}

/// Counters and histograms of served requests plus the emulator's own connection counters.
public final class RequestMetrics: Sendable {
    /// Upstream `apiserver_request_duration_seconds` buckets.
    public static let durationBuckets: [Double] = [
        0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
    ]

    struct CodeKey: Hashable {
        var labels: RequestLabels
        var code: Int
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: RequestMetrics.durationBuckets.count)
        var sum = 0.0
        var count = 0
    }

    struct State {
        var totals: [CodeKey: Int] = [:]
        var durations: [RequestLabels: Histogram] = [:]
        var inflightReadOnly = 0
        var inflightMutating = 0
        var faults: [String: Int] = [:]
    }

    private let state = Mutex(State())
    /// Inbound HTTP/2 RST_STREAM frames, counted on the wire.
    public let rstStreamReceived = Atomic<Int>(0)
    /// Accepted TCP connections.
    public let connectionsAccepted = Atomic<Int>(0)
    /// Open TCP connections.
    public let connectionsOpen = Atomic<Int>(0)
    /// HTTP/2 streams the server reset (fault injection or errors).
    public let rstStreamSent = Atomic<Int>(0)

    /// Creates empty metrics.
    public init() {}

    /// Counts one finished request.
    public func record(_ labels: RequestLabels, code: Int, seconds: Double) {
        self.state.withLock { state in
            state.totals[CodeKey(labels: labels, code: code), default: 0] += 1
            var histogram = state.durations[labels, default: Histogram()]
            if let index = Self.durationBuckets.firstIndex(where: { seconds <= $0 }) { histogram.buckets[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[labels] = histogram
        }
    }

    /// Adjusts the in-flight gauge.
    public func inflight(mutating: Bool, delta: Int) {
        self.state.withLock { state in
            if mutating { state.inflightMutating += delta } else { state.inflightReadOnly += delta }
        }
    }

    /// Counts one injected fault of `kind`.
    public func fault(_ kind: String) {
        self.state.withLock { $0.faults[kind, default: 0] += 1 }
    }

    /// Number of requests recorded with `verb` (all codes).
    public func count(verb: String) -> Int {
        self.state.withLock { $0.totals.filter { $0.key.labels.verb == verb }.values.reduce(0, +) }
    }

    func snapshot() -> State { self.state.withLock { $0 } }
}
