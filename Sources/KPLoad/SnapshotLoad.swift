import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats
import Synchronization

/// What kp-load's snapshot operations need (`--snapshot-rps-per-cluster`, `--snapshot-warm`,
/// `--snapshot-resources`): `GET /clusters/<cid>/control-plane/snapshot` (contract §2.3).
public struct SnapshotLoadConfiguration: Sendable {
    public var baseURL: String
    /// The hot clusters, in schedule order.
    public var clusters: [String]
    public var ratePerCluster: Double
    public var warm: Bool
    public var resources: [String]
    public var durationNs: Int64
    public var arrival: ArrivalProcess
    public var seed: UInt64
    public var reportIntervalNs: Int64
    public var timeoutNs: Int64
    public var maxLagNs: Int64
    /// Seeds of the clusters' schedule streams (a shard passes each cluster's index in the whole hot list).
    public var streamIDs: [UInt64]?

    public init(
        baseURL: String, clusters: [String], ratePerCluster: Double, warm: Bool, resources: [String],
        durationNs: Int64, arrival: ArrivalProcess, seed: UInt64, reportIntervalNs: Int64, timeoutNs: Int64,
        maxLagNs: Int64, streamIDs: [UInt64]? = nil
    ) {
        self.baseURL = baseURL
        self.clusters = clusters
        self.ratePerCluster = ratePerCluster
        self.warm = warm
        self.resources = resources
        self.durationNs = durationNs
        self.arrival = arrival
        self.seed = seed
        self.reportIntervalNs = reportIntervalNs
        self.timeoutNs = timeoutNs
        self.maxLagNs = maxLagNs
        self.streamIDs = streamIDs
    }

    /// The snapshot URL of `cluster` with this configuration's query.
    public func url(cluster: String) -> String {
        Self.url(baseURL: baseURL, cluster: cluster, warm: warm, resources: resources)
    }

    /// `<base>/clusters/<cid>/control-plane/snapshot[?warm=true][&resource=a,b]`.
    public static func url(baseURL: String, cluster: String, warm: Bool, resources: [String]) -> String {
        var query: [String] = []
        if warm { query.append("warm=true") }
        if !resources.isEmpty { query.append("resource=" + resources.joined(separator: ",")) }
        return "\(baseURL)/clusters/\(cluster)/control-plane/snapshot"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}

/// What one snapshot answer carried, read without decoding the whole body.
public struct SnapshotBodyFacts: Sendable, Equatable {
    /// Sum of the resources' `itemCount`s.
    public var items: Int64
    /// Entries in `resources` (one `itemCount` each).
    public var resources: Int
    /// `liveResources`, when present.
    public var liveResources: Int?

    /// Scans `body` for the integer after each `"itemCount":` and after `"liveResources":`.
    ///
    /// Hand-written on purpose: a snapshot body holds every item of the VCP, and decoding it into
    /// a tree on the completion thread would cost far more than the request it measures; the
    /// scan is one pass over bytes already in memory. The key text inside a string value has its
    /// quotes escaped (`\"itemCount\":`), which the scan skips; an item that has a member named
    /// `itemCount` itself would be counted (no Kubernetes object kp-bench reads has one).
    public static func scan(_ body: Data) -> SnapshotBodyFacts {
        let itemKey = Array("\"itemCount\":".utf8)
        let liveKey = Array("\"liveResources\":".utf8)
        var facts = SnapshotBodyFacts(items: 0, resources: 0, liveResources: nil)
        body.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return }
            let n = raw.count
            func matches(_ key: [UInt8], at i: Int) -> Bool {
                guard i + key.count <= n else { return false }
                if i > 0 && base[i - 1] == UInt8(ascii: "\\") { return false }
                for j in 0..<key.count where base[i + j] != key[j] { return false }
                return true
            }
            func number(at start: Int) -> Int64? {
                var i = start
                while i < n && base[i] == UInt8(ascii: " ") { i += 1 }
                var value: Int64 = 0
                var digits = 0
                while i < n, base[i] >= UInt8(ascii: "0"), base[i] <= UInt8(ascii: "9") {
                    value = value &* 10 &+ Int64(base[i] - UInt8(ascii: "0"))
                    i += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            var i = 0
            while i < n {
                if base[i] == UInt8(ascii: "\"") {
                    if matches(itemKey, at: i), let value = number(at: i + itemKey.count) {
                        facts.items += value
                        facts.resources += 1
                        i += itemKey.count
                        continue
                    }
                    if facts.liveResources == nil, matches(liveKey, at: i), let value = number(at: i + liveKey.count) {
                        facts.liveResources = Int(value)
                        i += liveKey.count
                        continue
                    }
                }
                i += 1
            }
        }
        return facts
    }
}

/// Counts and histograms of snapshot requests over a window.
struct SnapshotTally: Sendable {
    var response = LatencyHistogram()
    var service = LatencyHistogram()
    var count: Int64 = 0
    var errors: Int64 = 0
    var byStatus: [String: Int64] = [:]
    var bytes: Int64 = 0
    var items: Int64 = 0
    var maxItems: Int64 = 0
    var maxBytes: Int64 = 0
    var sentInPhase: Int64 = 0

    mutating func merge(_ other: SnapshotTally) {
        response.merge(other.response)
        service.merge(other.service)
        count += other.count
        errors += other.errors
        for (k, v) in other.byStatus { byStatus[k, default: 0] += v }
        bytes += other.bytes
        items += other.items
        maxItems = max(maxItems, other.maxItems)
        maxBytes = max(maxBytes, other.maxBytes)
        sentInPhase += other.sentInPhase
    }

    var window: SnapshotWindow {
        SnapshotWindow(
            requests: OpWindow(
                op: "snapshot", count: count, errors: errors, byStatus: byStatus, conflicts: 0, retries: 0,
                response: response.wire, service: service.wire, bytesSent: 0, bytesReceived: bytes),
            items: items, maxItems: maxItems, maxBytes: maxBytes)
    }
}

/// kp-load's snapshot operations: an open-loop schedule of `GET …/snapshot` per hot cluster, on
/// its own scheduler thread and its own transport, beside (not inside) the read/write engine, so
/// the read/write hot path is untouched.
///
/// Like reads: every operation starts at its intended time whether or not earlier ones finished;
/// response time = end − intended start, service time = end − actual send (HDR histograms);
/// errors by status. Each window closes into a `snapshot_interval` record; the phase ends with
/// `snapshot_final`.
public final class SnapshotLoad: Sendable {
    public let configuration: SnapshotLoadConfiguration
    private let transport: any LoadTransport
    private let window = Mutex(SnapshotTally())
    private let lag = Mutex(LatencyHistogram())
    private let inflight = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let stoppedAtNs = Atomic<Int64>(0)
    private let schedulerDone = Atomic<Bool>(false)
    private let startNs = Atomic<Int64>(0)
    private let headers: [(String, String)] = [("Accept", "application/json")]

    public init(configuration: SnapshotLoadConfiguration, transport: any LoadTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// Stops the schedule; in-flight requests still finish. Safe from any thread.
    public func stop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            _ = stoppedAtNs.compareExchange(
                expected: 0, desired: MonotonicClock.now(), ordering: .acquiringAndReleasing)
        }
    }

    /// Runs the phase on a thread of its own and returns its `snapshot_final`.
    public func run(leadNs: Int64 = 50_000_000, emit: @escaping @Sendable (Record) -> Void) async
        -> SnapshotFinalRecord
    {
        await withCheckedContinuation { cont in
            let t = Thread { [self] in cont.resume(returning: self.runBlocking(leadNs: leadNs, emit: emit)) }
            t.name = "kp-load-snapshot-reporter"
            t.start()
        }
    }

    /// The phase's operations as (offset ns from the phase start, cluster index), in time order,
    /// generated lazily: one pending offset per cluster, so memory does not grow with rate × duration.
    struct Schedule: IteratorProtocol, Sequence {
        private var rngs: [SeededRandom]
        private var due: [Double]
        private let gap: Double
        private let durationNs: Double
        private let arrival: ArrivalProcess

        init(configuration cfg: SnapshotLoadConfiguration) {
            gap = cfg.ratePerCluster > 0 ? 1e9 / cfg.ratePerCluster : .infinity
            durationNs = Double(cfg.durationNs)
            arrival = cfg.arrival
            // Substream 0x5A9 keeps these draws apart from the read/write schedule's streams.
            rngs = cfg.clusters.indices.map {
                SeededRandom(seed: cfg.seed, stream: cfg.streamIDs?[$0] ?? UInt64($0), substream: 0x5A9)
            }
            due = []
            for i in rngs.indices {
                // Even: a random phase in [0, gap); Poisson: an exponential first gap.
                let u = rngs[i].nextUnit()
                due.append(gap.isFinite ? (arrival == .even ? u * gap : -log(1 - u) * gap) : .infinity)
            }
        }

        mutating func next() -> (offsetNs: Int64, cluster: Int)? {
            // Linear scan for the earliest: the hot clusters are tens to hundreds, and a heap would
            // not pay for itself at snapshot rates.
            guard let i = due.indices.min(by: { (due[$0], $0) < (due[$1], $1) }), due[i] < durationNs else {
                return nil
            }
            let t = due[i]
            due[i] += arrival == .even ? gap : -log(1 - rngs[i].nextUnit()) * gap
            return (Int64(t), i)
        }
    }

    /// Every operation of the phase (tests).
    var plan: [(offsetNs: Int64, cluster: Int)] { Array(Schedule(configuration: configuration)) }

    func runBlocking(leadNs: Int64, emit: @Sendable (Record) -> Void) -> SnapshotFinalRecord {
        let cfg = configuration
        let plan = Schedule(configuration: cfg)
        let start = MonotonicClock.now() + leadNs
        startNs.store(start, ordering: .releasing)
        let urls = cfg.clusters.map { cfg.url(cluster: $0) }
        let scheduler = Thread { [self] in
            _ = PreciseSleep.tightenTimerSlack()
            outer: for op in plan {
                let intended = start + op.offsetNs
                var now = MonotonicClock.now()
                while now < intended {
                    if stopRequested.load(ordering: .relaxed) { break outer }
                    PreciseSleep.until(min(intended, now + 50_000_000))
                    now = MonotonicClock.now()
                }
                if stopRequested.load(ordering: .relaxed) { break outer }
                self.issue(url: urls[op.cluster], intendedNs: intended)
            }
            schedulerDone.store(true, ordering: .releasing)
        }
        scheduler.name = "kp-load-snapshot-scheduler"
        scheduler.start()

        var total = SnapshotTally()
        var windowStart = start
        func closeWindow() -> Int64 {
            var fresh = SnapshotTally()
            window.withLock { swap(&$0, &fresh) }
            let end = MonotonicClock.now()
            total.merge(fresh)
            emit(.snapshotInterval(SnapshotIntervalRecord(startNs: windowStart, endNs: end, window: fresh.window)))
            windowStart = end
            return end
        }
        ReportWindows.run(
            startNs: start, intervalNs: cfg.reportIntervalNs, timeoutNs: cfg.timeoutNs,
            scheduleDone: { schedulerDone.load(ordering: .acquiring) },
            inflight: { inflight.load(ordering: .acquiring) }, closeWindow: closeWindow)
        let end = closeWindow()
        let stopAt = stoppedAtNs.load(ordering: .acquiring)
        let phaseEnd = stopAt > 0 ? min(stopAt, start + cfg.durationNs) : start + cfg.durationNs
        let seconds = max(Double(phaseEnd - start) / 1e9, 1e-9)
        let lagHistogram = lag.withLock { $0 }
        let target = cfg.ratePerCluster * Double(cfg.clusters.count)
        return SnapshotFinalRecord(
            startNs: start, endNs: end, clusters: cfg.clusters.count, ratePerCluster: cfg.ratePerCluster,
            targetRps: target, achievedRps: Double(total.sentInPhase) / seconds, warm: cfg.warm,
            resources: cfg.resources, window: total.window, scheduleLag: lagHistogram.wire,
            generatorLimited: (lagHistogram.percentile(99) ?? 0) > cfg.maxLagNs, interrupted: stopAt > 0)
    }

    private func issue(url: String, intendedNs: Int64) {
        inflight.wrappingAdd(1, ordering: .relaxed)
        let submitted = MonotonicClock.now()
        let request = HTTPRequest(method: "GET", url: url, headers: headers, collectsResponseHeaders: false)
        transport.submit(request) { [self] result in
            let completed = MonotonicClock.now()
            let o = RequestOutcome.classify(
                result, submittedNs: submitted, completedNs: completed, timeoutNs: configuration.timeoutNs)
            var facts = SnapshotBodyFacts(items: 0, resources: 0, liveResources: nil)
            if o.succeeded, case .success(let response) = result { facts = SnapshotBodyFacts.scan(response.body) }
            let start = startNs.load(ordering: .relaxed)
            let stopAt = stoppedAtNs.load(ordering: .acquiring)
            let planned = start + configuration.durationNs
            let phaseEnd = stopAt > 0 ? min(stopAt, planned) : planned
            lag.withLock { $0.record(max(0, o.sentNs - intendedNs)) }
            window.withLock { w in
                w.count += 1
                w.byStatus[o.statusKey, default: 0] += 1
                if !o.succeeded { w.errors += 1 }
                w.response.record(max(0, o.endNs - intendedNs))
                w.service.record(max(0, o.endNs - o.sentNs))
                w.bytes += o.bytesReceived
                w.items += facts.items
                w.maxItems = max(w.maxItems, facts.items)
                w.maxBytes = max(w.maxBytes, o.bytesReceived)
                if o.sentNs <= phaseEnd { w.sentInPhase += 1 }
            }
            inflight.wrappingSubtract(1, ordering: .releasing)
        }
    }
}
