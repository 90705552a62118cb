import Foundation
import KPHTTP
import KPRecords
import KPStats
import Synchronization

/// The open-loop load engine: one scheduler thread, completion callbacks, one reporter.
///
/// The scheduler thread walks the ``OpenLoopSchedule``, sleeps until each operation's intended
/// start (`clock_nanosleep`, absolute deadline, 1 ns timer slack) and hands the first request to
/// the transport's `submit`; it never waits for an answer, so a slow server cannot slow the
/// schedule down (no coordinated omission). Completion callbacks (the HTTP client's thread)
/// classify the result and record it into the current window behind one lock; a write's Update
/// is submitted from its Get's completion. The reporter (the thread calling ``run(emit:)``)
/// swaps the window out at each report boundary, emits a `load_interval` record and folds the
/// window into the phase totals; at the end it emits `load_final`.
public final class LoadGenerator: Sendable {
    /// What the run ended with.
    public struct Result: Sendable {
        public var final: LoadFinalRecord
        /// Messages a person should see when the generator could not keep its schedule.
        public var limitReasons: [String]
    }

    private struct Shared: Sendable {
        var window = LoadTally()
        /// `clusters[cluster * 2 + kind]`, cumulative over the phase.
        var clusters: [ClusterTally]
    }

    public let configuration: LoadConfiguration
    public let catalog: ObjectCatalog
    private let transport: any LoadTransport
    private let shared: Mutex<Shared>
    private let inflight = Atomic<Int>(0)
    private let windowPeak = Atomic<Int>(0)
    private let phasePeak = Atomic<Int>(0)
    private let submitted = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let schedulerDone = Atomic<Bool>(false)
    private let maxInflightReached = Atomic<Bool>(false)
    /// When the scheduler stopped early (0 while it has not).
    private let stoppedAtNs = Atomic<Int64>(0)
    private let startNs = Atomic<Int64>(0)
    private let writeVersion = Atomic<UInt64>(0)
    private let headers: [(String, String)] = [("Accept", "application/json")]
    private let putHeaders: [(String, String)] = [("Accept", "application/json"), ("Content-Type", "application/json")]

    public init(configuration: LoadConfiguration, transport: any LoadTransport) {
        self.configuration = configuration
        self.transport = transport
        self.catalog = ObjectCatalog(
            baseURL: configuration.baseURL, clusters: configuration.hotClusters, namespace: configuration.namespace,
            objectBytes: configuration.objectBytes, objectsPerCluster: configuration.objectsPerCluster)
        self.shared = Mutex(Shared(clusters: Array(repeating: ClusterTally(), count: configuration.hotClusters.count * 2)))
        // Seed the payload stamp from the run seed so two kp-load processes write distinct payloads.
        self.writeVersion.store(configuration.seed << 20, ordering: .relaxed)
    }

    /// Asks the scheduler to stop: nothing more is sent; in-flight operations still finish
    /// (each is bounded by the request timeout). Safe from any thread, e.g. a signal handler.
    public func stop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            let now = MonotonicClock.now()
            _ = stoppedAtNs.compareExchange(expected: 0, desired: now, ordering: .acquiringAndReleasing)
        }
    }

    /// True once ``stop()`` was called.
    public var isStopped: Bool { stopRequested.load(ordering: .acquiring) }

    /// Runs the phase: blocks the calling thread (which becomes the reporter) until every
    /// scheduled operation has ended or the drain after a stop timed out.
    ///
    /// - Parameters:
    ///   - leadNs: delay between the call and the first intended start, so the scheduler thread
    ///     is running before the first deadline.
    ///   - storedObjectBytes: the pre-warm's measured object size, copied into `load_final`.
    ///   - emit: receives each `load_interval` record as its window closes, then `load_final`.
    public func run(
        leadNs: Int64 = 50_000_000, storedObjectBytes: Int64? = nil, emit: @Sendable (Record) -> Void
    ) -> Result {
        let cfg = configuration
        let schedule = cfg.schedule
        let start = MonotonicClock.now() + leadNs
        startNs.store(start, ordering: .releasing)
        let plannedEnd = start + cfg.durationNs
        let cpuAtStart = PreciseSleep.processCPUSeconds()

        let scheduler = Thread { [self] in self.schedulerLoop(schedule: schedule, startNs: start) }
        scheduler.name = "kp-load-scheduler"
        scheduler.qualityOfService = .userInteractive
        scheduler.start()

        var total = LoadTally()
        var reasons0: [String] = []
        var due = schedule.makeIterator()
        var dueCount = 0
        var windowStart = start
        var cpuMark = cpuAtStart
        var k: Int64 = 1
        var drainDeadline: Int64?
        var lastBacklog: Int64 = 0

        // Number of operations whose intended start is at or before `t` (and before a stop).
        func countDue(until t: Int64) -> Int {
            while let next = due.nextOffsetNs, start + next <= t {
                _ = due.next()
                dueCount += 1
            }
            return dueCount
        }

        // Closes the window at the moment of the swap, so `end_ns` is when its contents stopped
        // accumulating even if this thread woke late (a busy machine): records never claim a
        // boundary they did not keep.
        @discardableResult
        func closeWindow() -> Int64 {
            var fresh = LoadTally()
            let end = shared.withLock { s -> Int64 in
                swap(&s.window, &fresh)
                return MonotonicClock.now()
            }
            total.merge(fresh)
            let stopAt = stoppedAtNs.load(ordering: .acquiring)
            let dueNow = countDue(until: stopAt > 0 ? min(end, stopAt) : end)
            lastBacklog = Int64(max(0, dueNow - submitted.load(ordering: .acquiring)))
            let cpu = PreciseSleep.processCPUSeconds()
            let peak = windowPeak.exchange(inflight.load(ordering: .relaxed), ordering: .relaxed)
            let gen = GeneratorWindow(
                scheduleLag: fresh.scheduleLag.fastWire, inflightPeak: Int64(peak), backlog: lastBacklog,
                cpuSeconds: cpu - cpuMark)
            cpuMark = cpu
            emit(.loadInterval(LoadIntervalRecord(startNs: windowStart, endNs: end, ops: fresh.opWindows, generator: gen)))
            windowStart = end
            return end
        }

        while true {
            let boundary = start + k * cfg.reportIntervalNs
            let now = MonotonicClock.now()
            if now >= boundary {
                let end = closeWindow()
                // Next boundary after the close; boundaries missed while this thread was late are skipped.
                k = (end - start) / cfg.reportIntervalNs + 1
                continue
            }
            if schedulerDone.load(ordering: .acquiring) {
                if inflight.load(ordering: .acquiring) == 0 { break }
                if drainDeadline == nil { drainDeadline = now + cfg.timeoutNs + 1_000_000_000 }
                if let d = drainDeadline, now >= d { break }
            }
            PreciseSleep.until(min(boundary, now + 5_000_000))
        }
        let end = closeWindow()
        let unfinished = inflight.load(ordering: .acquiring)
        if unfinished > 0 {
            // Only after the drain deadline (request timeout + 1 s past the schedule's end).
            reasons0.append(
                "\(unfinished) operations were still in flight when the drain ended (request timeout + 1 s); they are not in the totals")
        }

        let stopAt = stoppedAtNs.load(ordering: .acquiring)
        let interrupted = stopAt > 0
        let phaseEnd = interrupted ? min(stopAt, plannedEnd) : plannedEnd
        let phaseSeconds = max(Double(phaseEnd - start) / 1e9, 1e-9)
        // Operations due at least --max-lag before the phase end, to compare with what went out in
        // it: an operation due in the last --max-lag (or just before a stop) may fairly still be on its way.
        var dueIter = schedule.makeIterator()
        var scheduledInPhase = [0, 0]
        while let op = dueIter.next(), start + op.offsetNs <= phaseEnd - cfg.maxLagNs {
            scheduledInPhase[Int(op.kind.rawValue)] += 1
        }

        var target: [String: Double] = [:]
        var achieved: [String: Double] = [:]
        for kind in LoadOpKind.allCases {
            target[kind.name] = schedule.targetRate[kind] ?? 0
            achieved[kind.name] = Double(total.sentInPhase[Int(kind.rawValue)]) / phaseSeconds
        }

        var reasons: [String] = reasons0
        if let p99 = total.scheduleLag.percentile(99), p99 > cfg.maxLagNs {
            reasons.append(
                "schedule lag p99 \(Self.formatNs(p99)) is over --max-lag \(Self.formatNs(cfg.maxLagNs))")
        }
        if maxInflightReached.load(ordering: .acquiring) {
            reasons.append("--max-inflight \(cfg.maxInflight) was reached, so operations waited to be sent")
        }
        for kind in LoadOpKind.allCases {
            let want = scheduledInPhase[Int(kind.rawValue)]
            let got = Int(total.sentInPhase[Int(kind.rawValue)])
            if want > 0 && Double(got) < 0.99 * Double(want) {
                reasons.append("only \(got) of the \(want) \(kind.name)s due before the phase end (less --max-lag) went out within the phase")
            }
        }

        let clusterTallies = shared.withLock { $0.clusters }
        var perCluster: [ClusterLoadWire] = []
        let order = cfg.hotClusters.indices.sorted { cfg.hotClusters[$0] < cfg.hotClusters[$1] }
        for c in order {
            for kind in LoadOpKind.allCases {
                let t = clusterTallies[c * 2 + Int(kind.rawValue)]
                guard t.count > 0 || (schedule.ratePerCluster[kind] ?? 0) > 0 else { continue }
                perCluster.append(t.wire(cluster: cfg.hotClusters[c], op: kind.name))
            }
        }

        let generator = GeneratorWindow(
            scheduleLag: total.scheduleLag.fastWire, inflightPeak: Int64(phasePeak.load(ordering: .acquiring)),
            backlog: lastBacklog, cpuSeconds: PreciseSleep.processCPUSeconds() - cpuAtStart)
        let final = LoadFinalRecord(
            startNs: start, endNs: end, targetRps: target, achievedRps: achieved, ops: total.opWindows,
            generator: generator, perCluster: perCluster, generatorLimited: !reasons.isEmpty,
            generatorLimitReason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
            storedObjectBytes: storedObjectBytes, interrupted: interrupted, settings: cfg.settings)
        emit(.loadFinal(final))
        return Result(final: final, limitReasons: reasons)
    }

    /// "12.3ms"-style text for messages.
    static func formatNs(_ ns: Int64) -> String {
        if ns >= 1_000_000_000 { return String(format: "%.2fs", Double(ns) / 1e9) }
        if ns >= 1_000_000 { return String(format: "%.2fms", Double(ns) / 1e6) }
        return String(format: "%.1fµs", Double(ns) / 1e3)
    }

    // MARK: - Scheduler thread

    private func schedulerLoop(schedule: OpenLoopSchedule, startNs: Int64) {
        PreciseSleep.tightenTimerSlack()
        var it = schedule.makeIterator()
        let maxInflight = configuration.maxInflight
        outer: while let op = it.next() {
            let intended = startNs + op.offsetNs
            // Sleep in slices of at most 50 ms so a stop is noticed promptly at low rates.
            while true {
                if stopRequested.load(ordering: .relaxed) { break outer }
                let now = MonotonicClock.now()
                if now >= intended { break }
                PreciseSleep.until(min(intended, now + 50_000_000))
            }
            while inflight.load(ordering: .relaxed) >= maxInflight {
                maxInflightReached.store(true, ordering: .relaxed)
                if stopRequested.load(ordering: .relaxed) { break outer }
                PreciseSleep.until(MonotonicClock.now() + 100_000)
            }
            issue(op, intendedNs: intended)
        }
        schedulerDone.store(true, ordering: .releasing)
    }

    private func issue(_ op: ScheduledOperation, intendedNs: Int64) {
        let now = inflight.wrappingAdd(1, ordering: .relaxed).newValue
        raisePeak(now)
        submitted.wrappingAdd(1, ordering: .relaxed)
        let cluster = Int(op.cluster)
        let object = Int(op.object)
        switch op.kind {
        case .read:
            let submittedNs = MonotonicClock.now()
            let request = HTTPRequest(
                method: "GET", url: catalog.objectURL(cluster: cluster, object: object), headers: headers, collectsResponseHeaders: false)
            transport.submit(request) { [self] result in
                self.finishRead(result, cluster: cluster, intendedNs: intendedNs, submittedNs: submittedNs)
            }
        case .write:
            let w = WriteOperation(cluster: cluster, object: object, intendedNs: intendedNs)
            submitGet(w, intendedNs: intendedNs, retried: false)
        }
    }

    private func raisePeak(_ value: Int) {
        Self.raise(windowPeak, to: value)
        Self.raise(phasePeak, to: value)
    }

    private static func raise(_ peak: borrowing Atomic<Int>, to value: Int) {
        var seen = peak.load(ordering: .relaxed)
        while value > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: value, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    // MARK: - Completions (HTTP client thread)

    private var phaseEndNs: Int64 {
        let stopAt = stoppedAtNs.load(ordering: .acquiring)
        let planned = startNs.load(ordering: .relaxed) + configuration.durationNs
        return stopAt > 0 ? min(stopAt, planned) : planned
    }

    private func finishRead(
        _ result: Swift.Result<HTTPResponse, HTTPError>, cluster: Int, intendedNs: Int64, submittedNs: Int64
    ) {
        let o = RequestOutcome.classify(
            result, submittedNs: submittedNs, completedNs: MonotonicClock.now(), timeoutNs: configuration.timeoutNs)
        let phaseEnd = phaseEndNs
        shared.withLock { s in
            s.window.recordSend(.read, intendedNs: intendedNs, sentNs: o.sentNs, phaseEndNs: phaseEnd)
            s.window.recordOperation(
                .read, intendedNs: intendedNs, first: o, last: o, conflicts: 0, retries: 0, bytesSent: 0,
                bytesReceived: o.bytesReceived)
            s.clusters[cluster * 2 + Int(LoadOpKind.read.rawValue)].record(
                responseNs: o.endNs - intendedNs, succeeded: o.succeeded)
        }
        inflight.wrappingSubtract(1, ordering: .releasing)
    }

    private func submitGet(_ w: WriteOperation, intendedNs: Int64, retried: Bool) {
        let submittedNs = MonotonicClock.now()
        let request = HTTPRequest(
            method: "GET", url: catalog.objectURL(cluster: w.cluster, object: w.object), headers: headers, collectsResponseHeaders: false)
        transport.submit(request) { [self] result in
            self.finishWriteGet(result, w, intendedNs: intendedNs, submittedNs: submittedNs, retried: retried)
        }
    }

    private func finishWriteGet(
        _ result: Swift.Result<HTTPResponse, HTTPError>, _ w: WriteOperation, intendedNs: Int64, submittedNs: Int64,
        retried: Bool
    ) {
        let o = RequestOutcome.classify(
            result, submittedNs: submittedNs, completedNs: MonotonicClock.now(), timeoutNs: configuration.timeoutNs)
        let isFirst = w.first == nil
        if isFirst { w.first = o }
        w.bytesReceived += o.bytesReceived
        let phaseEnd = phaseEndNs
        shared.withLock { s in
            if isFirst { s.window.recordSend(.write, intendedNs: w.intendedNs, sentNs: o.sentNs, phaseEndNs: phaseEnd) }
            s.window.recordRequest(.writeGet, intendedNs: intendedNs, outcome: o, bytesSent: 0, retried: retried)
        }
        guard o.succeeded else { return finishWrite(w, last: o) }
        guard case .success(let response) = result, let rv = ObjectCatalog.resourceVersion(in: response.body) else {
            var bad = o
            bad.statusKey = "no_resource_version"
            bad.succeeded = false
            return finishWrite(w, last: bad)
        }
        let version = writeVersion.wrappingAdd(1, ordering: .relaxed).newValue
        let body = catalog.body(cluster: w.cluster, object: w.object, resourceVersion: rv, version: version)
        let request = HTTPRequest(
            method: "PUT", url: catalog.objectURL(cluster: w.cluster, object: w.object), headers: putHeaders, body: body,
            collectsResponseHeaders: false)
        let updateIntended = o.endNs
        let submitted = MonotonicClock.now()
        transport.submit(request) { [self] result in
            self.finishWriteUpdate(
                result, w, intendedNs: updateIntended, submittedNs: submitted, bytesSent: Int64(body.count))
        }
    }

    private func finishWriteUpdate(
        _ result: Swift.Result<HTTPResponse, HTTPError>, _ w: WriteOperation, intendedNs: Int64, submittedNs: Int64,
        bytesSent: Int64
    ) {
        let o = RequestOutcome.classify(
            result, submittedNs: submittedNs, completedNs: MonotonicClock.now(), timeoutNs: configuration.timeoutNs)
        w.bytesSent += bytesSent
        w.bytesReceived += o.bytesReceived
        shared.withLock { s in
            s.window.recordRequest(.writeUpdate, intendedNs: intendedNs, outcome: o, bytesSent: bytesSent)
        }
        if o.isConflict {
            w.conflicts += 1
            if configuration.conflictPolicy == .retry && w.retries < Int64(configuration.maxConflictRetries) {
                w.retries += 1
                return submitGet(w, intendedNs: o.endNs, retried: true)
            }
        }
        finishWrite(w, last: o)
    }

    private func finishWrite(_ w: WriteOperation, last: RequestOutcome) {
        let first = w.first ?? last
        shared.withLock { s in
            s.window.recordOperation(
                .write, intendedNs: w.intendedNs, first: first, last: last, conflicts: w.conflicts, retries: w.retries,
                bytesSent: w.bytesSent, bytesReceived: w.bytesReceived)
            s.clusters[w.cluster * 2 + Int(LoadOpKind.write.rawValue)].record(
                responseNs: last.endNs - w.intendedNs, succeeded: last.succeeded)
        }
        inflight.wrappingSubtract(1, ordering: .releasing)
    }
}

/// The state of one write across its Get, Update and retries.
///
/// Touched by one completion callback at a time (each request is submitted only after the
/// previous one completed), so it needs no lock; the callbacks' hand-over through the
/// transport orders the accesses.
final class WriteOperation: @unchecked Sendable {
    let cluster: Int
    let object: Int
    let intendedNs: Int64
    var first: RequestOutcome?
    var conflicts: Int64 = 0
    var retries: Int64 = 0
    var bytesSent: Int64 = 0
    var bytesReceived: Int64 = 0

    init(cluster: Int, object: Int, intendedNs: Int64) {
        self.cluster = cluster
        self.object = object
        self.intendedNs = intendedNs
    }
}
