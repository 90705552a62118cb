import Foundation
import Synchronization

/// Cumulative bucket counts of one histogram series, for any bucket layout.
struct BucketCounts: Sendable {
    /// Observations per bucket (not cumulative); the last slot is `+Inf`.
    var counts: [Int]
    var sum = 0.0
    var total = 0

    init(bounds: [Double]) { self.counts = [Int](repeating: 0, count: bounds.count + 1) }

    mutating func observe(_ value: Double, bounds: [Double]) {
        self.counts[bounds.firstIndex(where: { value <= $0 }) ?? bounds.count] += 1
        self.sum += value
        self.total += 1
    }

    /// Writes `<name>_bucket`, `_sum` and `_count` samples with `labels`.
    func write(_ name: String, labels: [(String, String)], bounds: [Double], into out: inout MetricsRenderer) {
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += self.counts[index]
            out.sample(name + "_bucket", labels + [("le", MetricsRenderer.format(bound))], Double(cumulative))
        }
        out.sample(name + "_bucket", labels + [("le", "+Inf")], Double(self.total))
        out.sample(name + "_sum", labels, self.sum)
        out.sample(name + "_count", labels, Double(self.total))
    }
}

/// The metrics client-go's workqueue exports for one named queue (`workqueue_*{name=…}`), counted by
/// the code that queues and works the items: an item is added, waits, is started by a worker and is done.
final class WorkQueueMetrics: Sendable {
    /// client-go's `prometheus.ExponentialBuckets(10e-9, 10, 10)`: 10 ns to 10 s.
    static let bounds: [Double] = (0..<10).map { 1e-8 * pow(10, Double($0)) }

    /// One queued item: when it was added, and (once a worker took it) when its work started.
    struct Item: Sendable {
        var id: Int
        var added: ContinuousClock.Instant
        var started: ContinuousClock.Instant?
    }

    struct State {
        var adds = 0
        var depth = 0
        var retries = 0
        var nextID = 0
        var queueDuration = BucketCounts(bounds: WorkQueueMetrics.bounds)
        var workDuration = BucketCounts(bounds: WorkQueueMetrics.bounds)
        /// Items being worked on now, by id: when their work started.
        var processing: [Int: ContinuousClock.Instant] = [:]
    }

    /// The queue's `name` label.
    let name: String
    private let state = Mutex(State())

    init(name: String) { self.name = name }

    /// Queues one item.
    func add() -> Item {
        self.state.withLock { s in
            s.adds += 1
            s.depth += 1
            s.nextID += 1
            return Item(id: s.nextID, added: .now)
        }
    }

    /// A worker takes `item` off the queue.
    func start(_ item: Item) -> Item {
        let now = ContinuousClock.now
        self.state.withLock { s in
            s.depth -= 1
            s.queueDuration.observe((now - item.added).seconds, bounds: Self.bounds)
            s.processing[item.id] = now
        }
        var started = item
        started.started = now
        return started
    }

    /// The worker is done with `item`.
    func done(_ item: Item) {
        guard let started = item.started else { return }
        let now = ContinuousClock.now
        self.state.withLock { s in
            s.processing[item.id] = nil
            s.workDuration.observe((now - started).seconds, bounds: Self.bounds)
        }
    }

    /// The worker put the item back to be tried again.
    func retry() { self.state.withLock { $0.retries += 1 } }

    func snapshot() -> State { self.state.withLock { $0 } }

    /// The `workqueue_*` families of `queues`, one series per queue in each.
    static func render(_ queues: [WorkQueueMetrics], into out: inout MetricsRenderer) {
        let now = ContinuousClock.now
        let states = queues.map { ($0.name, $0.snapshot()) }
        func each(_ value: (State) -> Double) -> [([(String, String)], Double)] {
            states.map { ([("name", $0.0)], value($0.1)) }
        }
        out.vector(
            "workqueue_adds_total", "counter", "Total number of adds handled by workqueue", each { Double($0.adds) })
        out.vector("workqueue_depth", "gauge", "Current depth of workqueue", each { Double($0.depth) })
        out.vector(
            "workqueue_retries_total", "counter", "Total number of retries handled by workqueue",
            each { Double($0.retries) })
        for (family, help, pick) in [
            (
                "workqueue_queue_duration_seconds",
                "How long in seconds an item stays in workqueue before being requested.", \State.queueDuration
            ),
            (
                "workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes.",
                \.workDuration
            ),
        ] where !states.isEmpty {
            out.family(family, "histogram", help)
            for (name, s) in states {
                s[keyPath: pick].write(family, labels: [("name", name)], bounds: bounds, into: &out)
            }
        }
        out.vector(
            "workqueue_unfinished_work_seconds", "gauge",
            "How many seconds of work has done that is in progress and hasn't been observed by work_duration.",
            each { $0.processing.values.reduce(0.0) { $0 + (now - $1).seconds } })
        out.vector(
            "workqueue_longest_running_processor_seconds", "gauge",
            "How many seconds has the longest running processor for workqueue been running.",
            each { $0.processing.values.map { (now - $0).seconds }.max() ?? 0 })
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attoseconds) = self.components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// kplane's one shared CRD runtime for all non-root VCPs (contract §3.1 step 2, §8.3): created lazily
/// by the first VCP's `EnsureCluster`, it serves every VCP's custom resources through a serves index
/// of (cluster, group, version), keeps a cache of lookups in it, and owns the status queue
/// `mc_shared_crd_status` that sets the CRDs' conditions. The root control plane is not served by
/// it (upstream's apiextensions server serves root, so root lookups are not counted).
///
/// kp-sim's serves index is the store itself (the Established CRDs of the VCP); the cache keeps the
/// served versions of one (cluster, group, version) parsed from the CRDs' JSON and is valid while the
/// VCP's CRDs are unchanged (same count and highest resource version; every write raises the latter).
final class SharedCRDRuntime: Sendable {
    /// `mc_crd_serves_lookup_latency_seconds`' buckets: `prometheus.ExponentialBuckets(0.001, 2, 12)`.
    static let lookupBounds: [Double] = (0..<12).map { 0.001 * pow(2, Double($0)) }
    /// The status queue's name.
    static let statusQueueName = "mc_shared_crd_status"

    struct ServesKey: Hashable {
        var cluster: String
        var group: String
        var version: String
    }

    struct CacheEntry {
        var crdCount: Int
        var highestVersion: UInt64
        var served: [CRDInfo]
    }

    struct State {
        /// `mc_crd_runtime_create_total` by `status`.
        var creates: [String: Int] = [:]
        var created = false
        var cache: [ServesKey: CacheEntry] = [:]
        /// `mc_crd_serves_lookup_total` by `result`.
        var lookups: [String: Int] = [:]
        /// `mc_crd_serves_cache_hit_total` by `result`.
        var hits: [String: Int] = [:]
        var misses = 0
        var latency: [String: BucketCounts] = [:]
    }

    private let state = Mutex(State())
    /// `workqueue_*{name="mc_shared_crd_status"}`.
    let statusQueue = WorkQueueMetrics(name: SharedCRDRuntime.statusQueueName)

    /// `EnsureCluster(cid)` for a new non-root VCP: creates the shared runtime on the first call.
    func ensureCluster(_ cluster: String) {
        self.state.withLock { s in
            guard !s.created else { return }
            s.created = true
            s.creates["success", default: 0] += 1
        }
    }

    /// Whether the runtime exists yet.
    var isCreated: Bool { self.state.withLock { $0.created } }

    /// The served versions of `group`/`version` in `cluster` (empty: not served), looked up in the serves
    /// index through the cache; `crds` reads the VCP's CRDs from the store. Counts the lookup, its cache
    /// hit or miss and its latency.
    func served(
        cluster: String, group: String, version: String, crds: () -> [ObjectKey: StoredObject]
    ) -> [CRDInfo] {
        let start = ContinuousClock.now
        let objects = crds()
        let highest = objects.values.map(\.resourceVersion).max() ?? 0
        let key = ServesKey(cluster: cluster, group: group, version: version)
        let cached: [CRDInfo]? = self.state.withLock { s in
            guard let entry = s.cache[key], entry.crdCount == objects.count, entry.highestVersion == highest else {
                return nil
            }
            return entry.served
        }
        let served =
            cached
            ?? objects.values.flatMap { CRDInfo.versions(of: $0.value) }
            .filter { $0.established && $0.group == group && $0.version == version }
            .sorted { $0.plural < $1.plural }
        let result = served.isEmpty ? "not_served" : "served"
        let seconds = (ContinuousClock.now - start).seconds
        self.state.withLock { s in
            if cached == nil {
                s.misses += 1
                s.cache[key] = CacheEntry(crdCount: objects.count, highestVersion: highest, served: served)
            } else {
                s.hits[result, default: 0] += 1
            }
            s.lookups[result, default: 0] += 1
            s.latency[result, default: BucketCounts(bounds: Self.lookupBounds)].observe(
                seconds, bounds: Self.lookupBounds)
        }
        return served
    }

    /// Drops `cluster`'s cached lookups (the VCP was evicted).
    func forget(cluster: String) {
        self.state.withLock { s in s.cache = s.cache.filter { $0.key.cluster != cluster } }
    }

    func snapshot() -> State { self.state.withLock { $0 } }

    /// The `mc_crd_*` families (each left out until it has a series, as in Go).
    func render(into out: inout MetricsRenderer) {
        let s = self.snapshot()
        func series(_ label: String, _ counts: [String: Int]) -> [([(String, String)], Double)] {
            counts.sorted { $0.key < $1.key }.map { ([(label, $0.key)], Double($0.value)) }
        }
        out.vector(
            "mc_crd_runtime_create_total", "counter", "Number of shared CRD runtime creations, by status.",
            series("status", s.creates))
        out.vector(
            "mc_crd_serves_lookup_total", "counter", "Number of CRD serves-index lookups, by result.",
            series("result", s.lookups))
        out.vector(
            "mc_crd_serves_cache_hit_total", "counter", "Number of CRD serves lookups answered from the cache.",
            series("result", s.hits))
        out.vector(
            "mc_crd_serves_cache_miss_total", "counter", "Number of CRD serves lookups the cache could not answer.",
            s.misses > 0 ? [([("result", "miss")], Double(s.misses))] : [])
        guard !s.latency.isEmpty else { return }
        out.family(
            "mc_crd_serves_lookup_latency_seconds", "histogram", "Latency of CRD serves-index lookups in seconds.")
        for (result, counts) in s.latency.sorted(by: { $0.key < $1.key }) {
            counts.write(
                "mc_crd_serves_lookup_latency_seconds", labels: [("result", result)], bounds: Self.lookupBounds,
                into: &out)
        }
    }
}

extension SimContext {
    /// kplane's own families (contract §5.2) and the upstream ones kp-sim has a real analogue of
    /// (§5.3): each counted by the code that does the thing, each left out while it has no series.
    /// CEL environments (`mc_cel_env_*`), a separate storage decoration step
    /// (`mc_storage_base_decorator_total`) and a garbage collector (`go_gc_duration_seconds`) do not
    /// exist in kp-sim, so those families are never exported.
    func renderKplaneMetrics(into out: inout MetricsRenderer) {
        let stores = self.store.stores.sorted()
        out.vector(
            "mc_storage_ensure_store_total", "counter",
            "Number of lazily created shared stores (one per resource type, for all VCPs).",
            stores.map { resource in
                let server =
                    resource.group.isEmpty ? "kube-apiserver" : "apiextensions-apiserver"
                return ([("server", server), ("resourcePrefix", ObjectStore.resourcePrefix(resource))], 1)
            })
        self.crdRuntime.render(into: &out)
        WorkQueueMetrics.render(
            [self.fleetQueue] + (self.crdRuntime.isCreated ? [self.crdRuntime.statusQueue] : []), into: &out)

        if let limit = self.concurrency.limit {
            // --sim-max-concurrency is kp-sim's one priority level: a FIFO queue in front of `limit` seats.
            let c = self.concurrency.snapshot()
            let level = [("flow_schema", "kp-sim"), ("priority_level", "kp-sim")]
            out.vector(
                "apiserver_flowcontrol_nominal_limit_seats", "gauge",
                "Nominal number of execution seats configured for each priority level",
                [([("priority_level", "kp-sim")], Double(limit))])
            out.vector(
                "apiserver_flowcontrol_current_executing_requests", "gauge",
                "Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem",
                [(level, Double(c.inUse))])
            out.vector(
                "apiserver_flowcontrol_current_inqueue_requests", "gauge",
                "Number of requests currently pending in queues of the API Priority and Fairness subsystem",
                [(level, Double(c.waiting))])
            out.vector(
                "apiserver_flowcontrol_dispatched_requests_total", "counter",
                "Number of requests executed by API Priority and Fairness subsystem",
                [(level, Double(c.state.admitted))])
            out.vector(
                "apiserver_flowcontrol_rejected_requests_total", "counter",
                "Number of requests rejected by API Priority and Fairness subsystem",
                c.state.abandoned > 0 ? [(level + [("reason", "cancelled")], Double(c.state.abandoned))] : [])
        }

        let watchCache = self.store.watchCacheCounts
        func byResource(_ value: (Int, Int) -> Int) -> [([(String, String)], Double)] {
            watchCache.map {
                (
                    [("group", $0.resource.group), ("resource", $0.resource.resource)],
                    Double(value($0.received, $0.dispatched))
                )
            }
        }
        out.vector(
            "apiserver_watch_cache_events_received_total", "counter",
            "Counter of events received in watch cache broken by resource type.",
            byResource { received, _ in received })
        out.vector(
            "apiserver_watch_cache_events_dispatched_total", "counter",
            "Counter of events dispatched in watch cache broken by resource type.",
            byResource { _, dispatched in dispatched })
        out.vector(
            "apiserver_watch_cache_capacity", "gauge", "Total capacity of watch cache broken by resource type.",
            byResource { _, _ in self.store.watchCacheCapacity })

        let etcd = self.store.etcdDurations.sorted { ($0.key.operation, $0.key.type) < ($1.key.operation, $1.key.type) }
        if !etcd.isEmpty {
            out.family(
                "etcd_request_duration_seconds", "histogram",
                "Etcd request latency in seconds for each operation and object type.")
            for (key, counts) in etcd {
                counts.write(
                    "etcd_request_duration_seconds", labels: [("operation", key.operation), ("type", key.type)],
                    bounds: RequestMetrics.durationBuckets, into: &out)
            }
        }
    }
}
