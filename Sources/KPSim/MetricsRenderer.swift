import Foundation
import KPPromText

/// Collects kp-sim's `/metrics` families and writes them with KPPromText's ``KPPromText/PromTextWriter``
/// (text exposition format 0.0.4), the one Prometheus writer of kp-bench: what kp-sim serves is what
/// kp-scrape's parser reads back, labels sorted by name as Go's client library writes them.
struct MetricsRenderer {
    private var families: [MetricFamily] = []

    /// The exposition text of every family so far.
    var text: String { PromTextWriter.text(families) }

    /// Starts family `name` of `type` (`counter`, `gauge`, `histogram`, `summary`); samples follow.
    mutating func family(_ name: String, _ type: String, _ help: String) {
        families.append(MetricFamily(name: name, type: MetricType(rawValue: type) ?? .untyped, help: help))
    }

    /// A sample of the family started last (`name` carries its suffix, e.g. `_bucket`).
    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        if families.isEmpty { families.append(MetricFamily(name: name)) }
        families[families.count - 1].samples.append(
            MetricSample(name: name, labels: Dictionary(labels, uniquingKeysWith: { _, last in last }), value: value))
    }

    mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        self.family(name, "gauge", help)
        self.sample(name, [], value)
    }

    mutating func counter(_ name: String, _ help: String, _ value: Double) {
        self.family(name, "counter", help)
        self.sample(name, [], value)
    }

    /// A labelled family with `samples`, left out when there are none, as Go's client library leaves
    /// out a metric vector that has no series yet.
    mutating func vector(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        guard !samples.isEmpty else { return }
        self.family(name, type, help)
        for (labels, value) in samples { self.sample(name, labels, value) }
    }

    /// A value as the text format writes it (``KPPromText/PromTextWriter/format(_:)``), e.g. for `le` labels.
    static func format(_ value: Double) -> String {
        PromTextWriter.format(value)
    }
}

extension SimContext {
    /// The full `/metrics` body.
    func renderMetrics() -> String {
        let stats = ProcessStats.sample()
        var out = MetricsRenderer()
        out.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", stats.cpuSeconds)
        out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", Double(stats.residentBytes))
        out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", Double(stats.virtualBytes))
        out.gauge("process_open_fds", "Number of open file descriptors.", Double(stats.openFDs))
        out.gauge("process_max_fds", "Maximum number of open file descriptors.", Double(stats.maxFDs))
        out.gauge(
            "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            stats.startTimeSeconds)
        out.gauge(
            "go_goroutines", "Number of goroutines that currently exist. (kp-sim: live tracked tasks plus OS threads.)",
            Double(self.tasks.total(threads: stats.threads)))
        out.gauge("go_threads", "Number of OS threads created.", Double(stats.threads))
        out.gauge(
            "go_memstats_heap_alloc_bytes",
            "Number of heap bytes allocated and still in use. (kp-sim: glibc mallinfo2 uordblks+hblkhd.)",
            Double(stats.heapAllocBytes))
        out.gauge(
            "go_memstats_heap_inuse_bytes",
            "Number of heap bytes that are in use. (kp-sim: glibc mallinfo2 uordblks+hblkhd.)",
            Double(stats.heapAllocBytes))
        out.gauge(
            "go_memstats_heap_sys_bytes",
            "Number of heap bytes obtained from system. (kp-sim: glibc mallinfo2 arena+hblkhd.)",
            Double(stats.heapSysBytes))
        out.gauge(
            "go_memstats_heap_idle_bytes",
            "Number of heap bytes waiting to be used. (kp-sim: glibc mallinfo2 fordblks.)",
            Double(stats.heapIdleBytes))

        let snapshot = self.metrics.snapshot()
        out.family(
            "apiserver_request_total", "counter",
            "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code."
        )
        for (key, count) in snapshot.totals.sorted(by: {
            Self.labelOrder($0.key.labels, $1.key.labels, $0.key.code, $1.key.code)
        }) {
            out.sample(
                "apiserver_request_total", Self.labelPairs(key.labels) + [("code", String(key.code))], Double(count))
        }
        out.family(
            "apiserver_request_duration_seconds", "histogram",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component."
        )
        for (labels, histogram) in snapshot.durations.sorted(by: { Self.labelOrder($0.key, $1.key, 0, 0) }) {
            let pairs = Self.labelPairs(labels)
            var cumulative = 0
            for (index, bound) in RequestMetrics.durationBuckets.enumerated() {
                cumulative += histogram.buckets[index]
                out.sample(
                    "apiserver_request_duration_seconds_bucket", pairs + [("le", MetricsRenderer.format(bound))],
                    Double(cumulative))
            }
            out.sample("apiserver_request_duration_seconds_bucket", pairs + [("le", "+Inf")], Double(histogram.count))
            out.sample("apiserver_request_duration_seconds_sum", pairs, histogram.sum)
            out.sample("apiserver_request_duration_seconds_count", pairs, Double(histogram.count))
        }
        out.family(
            "apiserver_current_inflight_requests", "gauge",
            "Maximal number of currently used inflight request limit of this apiserver per request kind in last second."
        )
        out.sample(
            "apiserver_current_inflight_requests", [("request_kind", "mutating")], Double(snapshot.inflightMutating))
        out.sample(
            "apiserver_current_inflight_requests", [("request_kind", "readOnly")], Double(snapshot.inflightReadOnly))
        self.renderKplaneMetrics(into: &out)

        let concurrency = self.concurrency.snapshot()
        out.gauge(
            "kpsim_concurrency_limit", "--sim-max-concurrency: API requests served at once (0: unlimited).",
            Double(self.concurrency.limit ?? 0))
        out.gauge(
            "kpsim_concurrency_in_use", "API requests being served under --sim-max-concurrency now.",
            Double(concurrency.inUse))
        out.gauge(
            "kpsim_concurrency_waiting", "API requests waiting for a --sim-max-concurrency slot now.",
            Double(concurrency.waiting))
        out.counter(
            "kpsim_concurrency_admitted_total", "API requests admitted under --sim-max-concurrency.",
            Double(concurrency.state.admitted))
        out.counter(
            "kpsim_concurrency_abandoned_total",
            "API requests whose client left while they waited for a --sim-max-concurrency slot.",
            Double(concurrency.state.abandoned))
        out.family(
            "kpsim_concurrency_wait_seconds", "histogram",
            "Time API requests that found every --sim-max-concurrency slot busy waited for one, in seconds.")
        var waitCumulative = 0
        for (index, bound) in RequestMetrics.durationBuckets.enumerated() {
            waitCumulative += concurrency.state.waitSeconds.buckets[index]
            out.sample(
                "kpsim_concurrency_wait_seconds_bucket", [("le", MetricsRenderer.format(bound))],
                Double(waitCumulative))
        }
        out.sample(
            "kpsim_concurrency_wait_seconds_bucket", [("le", "+Inf")], Double(concurrency.state.waitSeconds.count))
        out.sample("kpsim_concurrency_wait_seconds_sum", [], concurrency.state.waitSeconds.sum)
        out.sample("kpsim_concurrency_wait_seconds_count", [], Double(concurrency.state.waitSeconds.count))

        let (objects, objectBytes) = self.store.totals
        out.gauge(
            "kpsim_vcps", "Virtual control planes the emulator has created (root not counted).",
            Double(self.registry.count))
        out.gauge(
            "kpsim_vcp_retained_bytes",
            "Bytes of malloc'd, written memory retained by all VCPs (--sim-vcp-memory-bytes each).",
            Double(self.registry.retainedBytes))
        out.gauge("kpsim_stored_objects", "API objects stored across all VCPs.", Double(objects))
        out.gauge(
            "kpsim_stored_object_bytes", "Bytes of the JSON encodings of all stored objects.", Double(objectBytes))
        out.gauge(
            "kpsim_resource_version", "The global resource version counter.", Double(self.store.currentResourceVersion))
        out.gauge(
            "kpsim_watches", "Open client watch streams (informers' watches not counted).",
            Double(self.store.watchCount))
        out.gauge(
            "kpsim_informers", "Live per-VCP informers (started by a list, a watch or /snapshot?warm=true).",
            Double(self.informers.count))
        out.gauge(
            "kpsim_informer_cached_bytes", "Bytes of the informers' copies of the objects (managedFields stripped).",
            Double(self.informers.cachedBytes))
        out.counter(
            "kpsim_http2_rst_stream_received_total",
            "HTTP/2 RST_STREAM frames received from clients (counted on the wire).",
            Double(self.metrics.rstStreamReceived.load(ordering: .relaxed)))
        out.counter(
            "kpsim_http2_rst_stream_sent_total", "HTTP/2 streams reset by the emulator (faults and stream errors).",
            Double(self.metrics.rstStreamSent.load(ordering: .relaxed)))
        out.counter(
            "kpsim_connections_accepted_total", "TCP connections accepted.",
            Double(self.metrics.connectionsAccepted.load(ordering: .relaxed)))
        out.gauge(
            "kpsim_connections_open", "TCP connections open now.",
            Double(self.metrics.connectionsOpen.load(ordering: .relaxed)))
        out.family("kpsim_faults_injected_total", "counter", "Faults injected, by kind.")
        for (kind, count) in snapshot.faults.sorted(by: { $0.key < $1.key }) {
            out.sample("kpsim_faults_injected_total", [("fault", kind)], Double(count))
        }
        out.family("kpsim_tasks", "gauge", "Live tracked tasks by kind (part of go_goroutines).")
        let taskCounts = self.tasks.snapshot()
        for kind in TaskTracker.Kind.allCases {
            out.sample("kpsim_tasks", [("kind", kind.rawValue)], Double(taskCounts[kind] ?? 0))
        }
        out.family("kpsim_build_info", "gauge", "Always 1; the version label says which kp-sim served this.")
        out.sample("kpsim_build_info", [("version", SimVersion.current)], 1)
        return out.text
    }

    private static func labelPairs(_ labels: RequestLabels) -> [(String, String)] {
        [
            ("component", labels.component), ("dry_run", labels.dryRun), ("group", labels.group),
            ("resource", labels.resource),
            ("scope", labels.scope), ("subresource", labels.subresource), ("verb", labels.verb),
            ("version", labels.version),
        ]
    }

    private static func labelOrder(_ lhs: RequestLabels, _ rhs: RequestLabels, _ lcode: Int, _ rcode: Int) -> Bool {
        [lhs.verb, lhs.group, lhs.resource, lhs.subresource, lhs.version, lhs.scope, String(lcode)]
            .lexicographicallyPrecedes([
                rhs.verb, rhs.group, rhs.resource, rhs.subresource, rhs.version, rhs.scope, String(rcode),
            ])
    }
}
