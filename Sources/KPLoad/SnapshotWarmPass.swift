import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats

/// `kp-load --snapshot-warm-pass`: warm every VCP's informers once, one VCP at a time, with
/// `GET /clusters/<cid>/control-plane/snapshot?warm=true` (contract §2.3), so a sample before
/// and one after measure the first-warm cost per VCP (scenario `snapshot`).
///
/// One request at a time on purpose: each VCP's latency is then its own warm, not a queue behind
/// others'. Every cluster gets a `snapshot_warm` record, the pass a `snapshot_warm_summary`.
public struct SnapshotWarmPass: Sendable {
    public var baseURL: String
    public var clusters: [String]
    public var resources: [String]
    public var transport: any HTTPTransport

    public init(baseURL: String, clusters: [String], resources: [String], transport: any HTTPTransport) {
        self.baseURL = baseURL
        self.clusters = clusters
        self.resources = resources
        self.transport = transport
    }

    /// The pass in one line for stderr.
    public static func summaryLine(_ s: SnapshotWarmSummaryRecord) -> String {
        let latency = try? LatencyHistogram(wire: s.latency)
        func ms(_ ns: Int64?) -> String { ns.map { String(format: "%.2fms", Double($0) / 1e6) } ?? "-" }
        return
            "kp-load: snapshot warm pass: \(s.ok) of \(s.clusters) clusters warmed, \(s.failed) failed; latency p50 \(ms(latency?.percentile(50))) p99 \(ms(latency?.percentile(99))) max \(ms(latency?.max)); \(s.items) items, \(s.bytes) B"
    }

    /// Warms every cluster (stopping early when `isStopped` turns true) and returns the summary.
    public func run(isStopped: @Sendable () -> Bool, emit: @Sendable (Record) -> Void) async
        -> SnapshotWarmSummaryRecord
    {
        let start = MonotonicClock.now()
        var latency = LatencyHistogram()
        var ok = 0
        var failed = 0
        var bytes: Int64 = 0
        var items: Int64 = 0
        var interrupted = false
        for cluster in clusters {
            if isStopped() || Task.isCancelled {
                interrupted = true
                break
            }
            let url = SnapshotLoadConfiguration.url(
                baseURL: baseURL, cluster: cluster, warm: true, resources: resources)
            let begin = MonotonicClock.now()
            var record: SnapshotWarmRecord
            do {
                let response = try await transport.send(
                    HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
                let end = MonotonicClock.now()
                let facts = SnapshotBodyFacts.scan(response.body)
                record = SnapshotWarmRecord(
                    cluster: cluster, status: String(response.status), startNs: begin, endNs: end,
                    bytes: Int64(response.body.count), liveResources: facts.liveResources, resources: facts.resources,
                    items: facts.items,
                    error: response.isSuccess
                        ? nil : (response.kubernetesStatus?.message ?? "HTTP \(response.status)"))
            } catch {
                record = SnapshotWarmRecord(
                    cluster: cluster, status: error.outcomeClass, startNs: begin, endNs: MonotonicClock.now(), bytes: 0,
                    liveResources: nil, resources: nil, items: 0, error: error.description)
            }
            latency.record(max(0, record.endNs - record.startNs))
            if record.error == nil {
                ok += 1
                bytes += record.bytes
                items += record.items
            } else {
                failed += 1
            }
            emit(.snapshotWarm(record))
        }
        let summary = SnapshotWarmSummaryRecord(
            clusters: clusters.count, ok: ok, failed: failed, latency: latency.wire, bytes: bytes, items: items,
            startNs: start, endNs: MonotonicClock.now(), interrupted: interrupted)
        emit(.snapshotWarmSummary(summary))
        return summary
    }
}
