import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats
import Synchronization

/// The open-loop load engine: one or more transports (driver threads) that each pace their own
/// clusters' share of the schedule, completion callbacks, one reporter.
///
/// Each driver thread runs a pacer (``pace(_:nowNs:)``) at every turn of its loop: it walks the
/// ``OpenLoopSchedule`` of the clusters it drives (cluster index mod the number of transports),
/// hands every operation that is due to its own transport and returns the next intended start,
/// which the driver sleeps toward. A transport without a driver thread of its own (a test fake)
/// gets one scheduler thread instead (``schedulerLoop(schedule:startNs:)``: `clock_nanosleep`,
/// absolute deadline, 1 ns timer slack). Neither ever waits for an answer, so a slow server cannot
/// slow the schedule down (no coordinated omission). Each transport's completion callbacks
/// record into that transport's own tally (a per-thread window behind a lock only the reporter
/// also takes, so it is never contended on the hot path); a write's Update is submitted from its
/// Get's completion, on the same transport. The reporter (the thread calling ``run(emit:)``) swaps
/// every window out at each report boundary, merges them, emits a `load_interval` record and folds
/// the window into the phase totals; at the end it emits `load_final`, with the verdict: valid,
/// generator limited, or target saturated.
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

    /// What one transport's completions record into, plus that driver thread's CPU clock.
    private final class Slot: Sendable {
        let shared: Mutex<Shared>
        /// Thread CPU ns of the driver thread at its first and latest sample (0: none yet).
        let firstCPUNs = Atomic<Int64>(0)
        let lastCPUNs = Atomic<Int64>(0)
        /// Monotonic time of the latest CPU sample (samples at most every ms).
        let sampledAtNs = Atomic<Int64>(0)
        /// Monotonic time of the latest run-queue delay sample (at most every 50 ms: it reads a
        /// /proc file, tens of µs, which once per ms would cost ~10 µs per request at 2 000 requests/s).
        let runDelaySampledAtNs = Atomic<Int64>(0)
        /// Run-queue delay of the first thread that sampled (a driver thread), first and latest.
        let thread = Atomic<UInt>(0)
        let firstRunDelayNs = Atomic<Int64>(-1)
        let lastRunDelayNs = Atomic<Int64>(0)
        /// Operations answered (any status, not a timeout) in the second half of the planned phase.
        let answeredSecondHalf = Atomic<Int>(0)

        init(clusters: Int) { shared = Mutex(Shared(clusters: Array(repeating: ClusterTally(), count: clusters * 2))) }

        /// Called on the driver thread: samples its CPU clock, at most once per ms.
        func sampleCPU(nowNs: Int64) {
            guard nowNs - sampledAtNs.load(ordering: .relaxed) >= 1_000_000 else { return }
            // Thread clocks (CPU, run-queue delay) are per thread: only the first thread that samples
            // counts. With KPHTTP that is always the driver thread; a transport that completes on
            // several threads (a test fake) would otherwise difference two threads' clocks.
            let me = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self()))))
            _ = thread.compareExchange(expected: 0, desired: me, ordering: .relaxed)
            guard thread.load(ordering: .relaxed) == me else { return }
            sampledAtNs.store(nowNs, ordering: .relaxed)
            let cpu = PreciseSleep.threadCPUNs()
            _ = firstCPUNs.compareExchange(expected: 0, desired: cpu, ordering: .relaxed)
            lastCPUNs.store(cpu, ordering: .relaxed)
            let firstDelay = firstRunDelayNs.load(ordering: .relaxed) < 0
            guard firstDelay || nowNs - runDelaySampledAtNs.load(ordering: .relaxed) >= 50_000_000 else { return }
            runDelaySampledAtNs.store(nowNs, ordering: .relaxed)
            let delay = PreciseSleep.threadRunQueueDelayNs()
            _ = firstRunDelayNs.compareExchange(expected: -1, desired: delay, ordering: .relaxed)
            lastRunDelayNs.store(delay, ordering: .relaxed)
        }

        var usedRunDelayNs: Int64 {
            let first = firstRunDelayNs.load(ordering: .relaxed)
            return first < 0 ? 0 : max(0, lastRunDelayNs.load(ordering: .relaxed) - first)
        }

        var usedCPUNs: Int64 { lastCPUNs.load(ordering: .relaxed) - firstCPUNs.load(ordering: .relaxed) }
    }

    public let configuration: LoadConfiguration
    public let catalog: ObjectCatalog
    private let transports: [any LoadTransport]
    private let slots: [Slot]
    /// CPU ns the scheduler thread used since the phase began.
    private let schedulerCPUNs = Atomic<Int64>(0)
    /// Run-queue delay ns of the scheduler thread since the phase began.
    private let schedulerRunDelayNs = Atomic<Int64>(0)
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

    public convenience init(configuration: LoadConfiguration, transport: any LoadTransport) {
        self.init(configuration: configuration, transports: [transport])
    }

    /// - Parameter transports: one per driver thread (`--threads`); cluster `c` of
    ///   ``LoadConfiguration/hotClusters`` is driven by `transports[c % transports.count]`.
    public init(configuration: LoadConfiguration, transports: [any LoadTransport]) {
        precondition(!transports.isEmpty, "at least one transport")
        self.configuration = configuration
        self.transports = transports
        self.catalog = ObjectCatalog(
            baseURL: configuration.baseURL, clusters: configuration.hotClusters, namespace: configuration.namespace,
            objectBytes: configuration.objectBytes, objectsPerCluster: configuration.objectsPerCluster)
        self.slots = transports.map { _ in Slot(clusters: configuration.hotClusters.count) }
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

        // Each driver thread runs its own clusters' schedule (``pace(_:nowNs:)``); a transport
        // without a driver thread of its own (test fakes) gets the scheduler thread instead.
        let paced = startPacers(startNs: start)
        if !paced {
            let scheduler = Thread { [self] in self.schedulerLoop(schedule: schedule, startNs: start) }
            scheduler.name = "kp-load-scheduler"
            scheduler.qualityOfService = .userInteractive
            scheduler.start()
        }

        var total = LoadTally()
        var due = schedule.makeIterator()
        var dueCount = 0
        var windowStart = start
        var cpuMark = cpuAtStart
        // Busiest thread's CPU at the last window close (the busiest thread may change between windows;
        // the figure is the busiest thread's total, differenced, which is exact while it does not).
        var threadCPUMark: Int64 = 0
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
            for slot in slots {
                var part = LoadTally()
                slot.shared.withLock { s in swap(&s.window, &part) }
                fresh.merge(part)
            }
            let end = MonotonicClock.now()
            total.merge(fresh)
            let stopAt = stoppedAtNs.load(ordering: .acquiring)
            let dueNow = countDue(until: stopAt > 0 ? min(end, stopAt) : end)
            lastBacklog = Int64(max(0, dueNow - submitted.load(ordering: .acquiring)))
            let cpu = PreciseSleep.processCPUSeconds()
            let peak = windowPeak.exchange(inflight.load(ordering: .relaxed), ordering: .relaxed)
            let threadCPU = busiestThreadCPUNs()
            let gen = GeneratorWindow(
                scheduleLag: fresh.scheduleLag.fastWire, inflightPeak: Int64(peak), backlog: lastBacklog,
                cpuSeconds: cpu - cpuMark, schedulerLag: fresh.schedulerLag.fastWire, threads: transports.count,
                busiestThreadCPUSeconds: Double(max(0, threadCPU - threadCPUMark)) / 1e9)
            cpuMark = cpu
            threadCPUMark = threadCPU
            emit(
                .loadInterval(
                    LoadIntervalRecord(startNs: windowStart, endNs: end, ops: fresh.opWindows, generator: gen)))
            windowStart = end
            return end
        }

        ReportWindows.run(
            startNs: start, intervalNs: cfg.reportIntervalNs, timeoutNs: cfg.timeoutNs,
            scheduleDone: { schedulerDone.load(ordering: .acquiring) },
            inflight: { inflight.load(ordering: .acquiring) }, closeWindow: closeWindow)
        let end = closeWindow()
        if paced {
            // The pacers hold this generator: release them (and so the cycle) now the phase is over.
            for t in transports { t.stopPacing() }
        }
        // Operations still in flight after the drain deadline (request timeout + 1 s past the schedule's end).
        let unfinished = inflight.load(ordering: .acquiring)

        let stopAt = stoppedAtNs.load(ordering: .acquiring)
        let interrupted = stopAt > 0
        let phaseEnd = interrupted ? min(stopAt, plannedEnd) : plannedEnd
        let phaseSeconds = max(Double(phaseEnd - start) / 1e9, 1e-9)
        // Operations due at least --max-lag before the phase end, to compare with what went out in
        // it: an operation due in the last --max-lag (or just before a stop) may fairly still be on its way.
        var dueIter = schedule.makeIterator()
        var scheduledInPhase = [0, 0]
        var dueSecondHalf = 0
        let secondHalf = cfg.durationNs / 2
        while let op = dueIter.next() {
            if start + op.offsetNs <= phaseEnd - cfg.maxLagNs { scheduledInPhase[Int(op.kind.rawValue)] += 1 }
            if op.offsetNs >= secondHalf && op.offsetNs < cfg.durationNs { dueSecondHalf += 1 }
        }
        // Only a whole phase is judged on its answers: a stop leaves its second half short.
        let answeredSecondHalf =
            interrupted ? 0 : slots.reduce(0) { $0 + $1.answeredSecondHalf.load(ordering: .acquiring) }
        if interrupted { dueSecondHalf = 0 }

        var target: [String: Double] = [:]
        var achieved: [String: Double] = [:]
        for kind in LoadOpKind.allCases {
            target[kind.name] = schedule.targetRate[kind] ?? 0
            achieved[kind.name] = Double(total.sentInPhase[Int(kind.rawValue)]) / phaseSeconds
        }

        let requests = total[.read].count + total[.writeGet].count + total[.writeUpdate].count
        let phaseWallNs = max(Int64(1), end - start)
        let busiest = busiestThreadCPUNs()
        let statuses = total.ops.reduce(into: [String: Int64]()) { acc, op in
            for (k, v) in op.byStatus { acc[k, default: 0] += v }
        }
        let verdict = LoadVerdict.judge(
            LoadVerdict.Inputs(
                maxLagNs: cfg.maxLagNs, scheduleLagP99Ns: total.scheduleLag.percentile(99),
                schedulerLagP99Ns: total.schedulerLag.percentile(99),
                driverLagP99Ns: total.driverLag.percentile(99) ?? 0, maxInflight: cfg.maxInflight,
                maxInflightReached: maxInflightReached.load(ordering: .acquiring),
                scheduled: LoadOpKind.allCases.map { kind in
                    LoadVerdict.Due(
                        kind: kind.name, due: scheduledInPhase[Int(kind.rawValue)],
                        sent: Int(total.sentInPhase[Int(kind.rawValue)]))
                }, unfinished: unfinished, requests: Int(requests),
                slotWaits: transports.reduce(0) { $0 + $1.slotWaits },
                // A thread of kp-load that sat runnable, waiting for a core (the scheduler's or a driver's).
                runQueueDelayNs: slots.reduce(schedulerRunDelayNs.load(ordering: .relaxed)) {
                    max($0, $1.usedRunDelayNs)
                },
                phaseWallNs: phaseWallNs, busiestThreadCPUNs: busiest,
                processCPUSeconds: PreciseSleep.processCPUSeconds() - cpuAtStart,
                usableCores: max(1, min(ProcessInfo.processInfo.activeProcessorCount, transports.count + 1)),
                achievedOpsPerSecond: achieved.values.reduce(0, +), targetOpsPerSecond: target.values.reduce(0, +),
                inflightPeak: Int(phasePeak.load(ordering: .acquiring)), timeouts: statuses["timeout"] ?? 0,
                readServiceP99Ns: total[.read].service.percentile(99), conflicts: statuses["409"] ?? 0,
                operations: statuses.values.reduce(0, +), dueSecondHalf: dueSecondHalf,
                answeredSecondHalf: answeredSecondHalf))
        let reasons = verdict.outcome == .generatorLimited ? verdict.reasons : []
        let saturation = verdict.outcome == .targetSaturated ? verdict.reasonText : nil

        let slotClusters = slots.map { slot in slot.shared.withLock { $0.clusters } }
        var perCluster: [ClusterLoadWire] = []
        let order = cfg.hotClusters.indices.sorted { cfg.hotClusters[$0] < cfg.hotClusters[$1] }
        for c in order {
            for kind in LoadOpKind.allCases {
                let t = slotClusters[c % slots.count][c * 2 + Int(kind.rawValue)]
                guard t.count > 0 || (schedule.ratePerCluster[kind] ?? 0) > 0 else { continue }
                perCluster.append(t.wire(cluster: cfg.hotClusters[c], op: kind.name))
            }
        }

        let generator = GeneratorWindow(
            scheduleLag: total.scheduleLag.fastWire, inflightPeak: Int64(phasePeak.load(ordering: .acquiring)),
            backlog: lastBacklog, cpuSeconds: PreciseSleep.processCPUSeconds() - cpuAtStart,
            schedulerLag: total.schedulerLag.fastWire, threads: transports.count,
            busiestThreadCPUSeconds: Double(busiest) / 1e9)
        let final = LoadFinalRecord(
            startNs: start, endNs: end, targetRps: target, achievedRps: achieved, ops: total.opWindows,
            generator: generator, perCluster: perCluster, generatorLimited: !reasons.isEmpty,
            generatorLimitReason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
            storedObjectBytes: storedObjectBytes, interrupted: interrupted, settings: cfg.settings,
            targetSaturated: saturation != nil, targetSaturationReason: saturation)
        emit(.loadFinal(final))
        return Result(final: final, limitReasons: reasons)
    }

    /// CPU ns of kp-load's busiest own thread (the scheduler or a driver) since the phase began.
    private func busiestThreadCPUNs() -> Int64 {
        slots.reduce(schedulerCPUNs.load(ordering: .relaxed)) { max($0, $1.usedCPUNs) }
    }

    // MARK: - Paced driver threads (the hot path)

    /// One driver thread's share of the schedule: the streams of the clusters it drives (cluster
    /// `c` of the hot list goes to transport `c mod N`), walked on that thread by ``pace(_:nowNs:)``.
    ///
    /// `@unchecked Sendable`: touched only on its transport's driver thread (the pacer runs there
    /// and nowhere else).
    private final class ThreadPacer: @unchecked Sendable {
        var it: OpenLoopSchedule.Iterator
        /// Local cluster index of the sub-schedule → index in the hot list.
        let clusters: [Int32]
        var next: ScheduledOperation?
        /// End of the latest wait at --max-inflight (see ``LoadGenerator/schedulerLoop``).
        var heldUntil: Int64 = 0
        var holding = false
        var done = false
        var started = false

        init(schedule: OpenLoopSchedule, clusters: [Int32]) {
            it = schedule.makeIterator()
            self.clusters = clusters
            next = it.next()
        }
    }

    private let pacersLeft = Atomic<Int>(0)

    /// Installs one pacer per transport, each with the sub-schedule of its clusters (each cluster's
    /// streams keep their seeds, so together they are exactly the whole schedule). False, with
    /// nothing installed, when a transport cannot pace (it has no driver thread of its own).
    private func startPacers(startNs: Int64) -> Bool {
        let cfg = configuration
        let n = transports.count
        var pacers: [ThreadPacer] = []
        for i in 0..<n {
            let mine = Array(stride(from: i, to: cfg.hotClusters.count, by: n))
            let sub = OpenLoopSchedule(
                ratePerCluster: [.read: cfg.readRatePerCluster, .write: cfg.writeRatePerCluster],
                clusterCount: mine.count, durationNs: cfg.durationNs, arrival: cfg.arrival, seed: cfg.seed,
                objectsPerCluster: cfg.objectsPerCluster, streamIDs: mine.map { cfg.streamIDs?[$0] ?? UInt64($0) })
            pacers.append(ThreadPacer(schedule: sub, clusters: mine.map { Int32($0) }))
        }
        pacersLeft.store(n, ordering: .releasing)
        for (i, t) in transports.enumerated() {
            let p = pacers[i]
            guard t.startPacing({ [self] now in self.pace(p, nowNs: now) }) else {
                for u in transports[..<i] { u.stopPacing() }
                return false
            }
        }
        return true
    }

    /// One pacer turn on a driver thread: hands over every operation of its clusters that is due
    /// by now (back to back, one driver wake-up for the batch), and returns when it is next needed:
    /// the next intended start (at most 50 ms ahead, so a stop is noticed), 100 µs while
    /// --max-inflight holds the schedule, or `Int64.max` when its schedule is done.
    private func pace(_ p: ThreadPacer, nowNs: Int64) -> Int64 {
        if p.done { return Int64.max }
        if !p.started {
            p.started = true
            // libcurl's own poll timeouts on this thread: no 50 µs slack either.
            PreciseSleep.tightenTimerSlack()
        }
        let start = startNs.load(ordering: .relaxed)
        let maxInflight = configuration.maxInflight
        var now = nowNs
        while let op = p.next {
            if stopRequested.load(ordering: .relaxed) { break }
            let intended = start + op.offsetNs
            if intended > now { return min(intended, now + 50_000_000) }
            // As in schedulerLoop: a wait at --max-inflight is the server's, and so is its backlog.
            if inflight.load(ordering: .relaxed) >= maxInflight {
                maxInflightReached.store(true, ordering: .relaxed)
                p.holding = true
                // A completion ends the hold. With one driver thread every completion runs on this
                // thread, and the pacer runs right after it: no timer needed (50 ms: to notice a stop).
                // Completions on other threads do not wake this one: look again every 100 µs, as the
                // scheduler thread does (a driver turn each; a hold is the server's slowness anyway).
                return now + (transports.count == 1 ? 50_000_000 : 100_000)
            }
            if p.holding {
                p.holding = false
                p.heldUntil = now
            }
            var global = op
            global.cluster = p.clusters[Int(op.cluster)]
            issue(global, intendedNs: intended, ownFromNs: max(intended, p.heldUntil))
            p.next = p.it.next()
            now = MonotonicClock.now()
        }
        p.done = true
        if pacersLeft.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            schedulerDone.store(true, ordering: .releasing)
        }
        return Int64.max
    }

    // MARK: - Scheduler thread (transports that cannot pace)

    private func schedulerLoop(schedule: OpenLoopSchedule, startNs: Int64) {
        PreciseSleep.tightenTimerSlack()
        let cpuAtStart = PreciseSleep.threadCPUNs()
        let runDelayAtStart = PreciseSleep.threadRunQueueDelayNs()
        var cpuSampledAt: Int64 = 0
        var it = schedule.makeIterator()
        let maxInflight = configuration.maxInflight
        var heldUntil: Int64 = 0
        var heldRunDelayNs: Int64 = 0
        // Operations already due when the thread looks at the clock go out back to back, with no
        // sleep in between (one wake-up per batch when the thread was late or the ops coincide).
        var now = MonotonicClock.now()
        func sampleCPU() {
            if now - cpuSampledAt >= 1_000_000 {
                cpuSampledAt = now
                schedulerCPUNs.store(PreciseSleep.threadCPUNs() - cpuAtStart, ordering: .relaxed)
            }
        }
        outer: while let op = it.next() {
            let intended = startNs + op.offsetNs
            // Sleep in slices of at most 50 ms so a stop is noticed promptly at low rates.
            while now < intended {
                if stopRequested.load(ordering: .relaxed) { break outer }
                PreciseSleep.until(min(intended, now + 50_000_000))
                now = MonotonicClock.now()
                sampleCPU()
            }
            if stopRequested.load(ordering: .relaxed) { break outer }
            // Time spent waiting at --max-inflight is the server's (answers are slow), not the
            // scheduler's, and so is the backlog it leaves: an operation due before the last such
            // wait ended counts its own lag from that end.
            if inflight.load(ordering: .relaxed) >= maxInflight {
                // The hold polls every 100 µs; on a busy machine each of those wake-ups waits for a
                // core, and that run-queue delay is the hold's (the server's), not starvation of
                // kp-load's schedule: it is left out of the starvation figure.
                let delayBeforeHold = PreciseSleep.threadRunQueueDelayNs()
                defer { heldRunDelayNs += PreciseSleep.threadRunQueueDelayNs() - delayBeforeHold }
                while inflight.load(ordering: .relaxed) >= maxInflight {
                    maxInflightReached.store(true, ordering: .relaxed)
                    if stopRequested.load(ordering: .relaxed) { break outer }
                    PreciseSleep.until(MonotonicClock.now() + 100_000)
                }
                heldUntil = MonotonicClock.now()
            }
            issue(op, intendedNs: intended, ownFromNs: max(intended, heldUntil))
            now = MonotonicClock.now()
            sampleCPU()
        }
        schedulerCPUNs.store(PreciseSleep.threadCPUNs() - cpuAtStart, ordering: .relaxed)
        schedulerRunDelayNs.store(
            PreciseSleep.threadRunQueueDelayNs() - runDelayAtStart - heldRunDelayNs, ordering: .relaxed)
        schedulerDone.store(true, ordering: .releasing)
    }

    private func issue(_ op: ScheduledOperation, intendedNs: Int64, ownFromNs: Int64) {
        let now = inflight.wrappingAdd(1, ordering: .relaxed).newValue
        raisePeak(now)
        submitted.wrappingAdd(1, ordering: .relaxed)
        let cluster = Int(op.cluster)
        let object = Int(op.object)
        switch op.kind {
        case .read:
            let submittedNs = MonotonicClock.now()
            let request = HTTPRequest(
                method: "GET", url: catalog.objectURL(cluster: cluster, object: object), headers: headers,
                collectsResponseHeaders: false)
            let ownLag = submittedNs - ownFromNs
            transports[cluster % transports.count].submit(request) { [self] result in
                self.finishRead(
                    result, cluster: cluster, intendedNs: intendedNs, submittedNs: submittedNs, ownLagNs: ownLag)
            }
        case .write:
            let w = WriteOperation(cluster: cluster, object: object, intendedNs: intendedNs)
            w.ownLagNs = MonotonicClock.now() - ownFromNs
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
        _ result: Swift.Result<HTTPResponse, HTTPError>, cluster: Int, intendedNs: Int64, submittedNs: Int64,
        ownLagNs: Int64
    ) {
        let completed = MonotonicClock.now()
        let o = RequestOutcome.classify(
            result, submittedNs: submittedNs, completedNs: completed, timeoutNs: configuration.timeoutNs)
        let phaseEnd = phaseEndNs
        let slot = slots[cluster % slots.count]
        slot.sampleCPU(nowNs: completed)
        slot.shared.withLock { s in
            s.window.recordSend(
                .read, intendedNs: intendedNs, sentNs: o.sentNs, phaseEndNs: phaseEnd, schedulerLagNs: ownLagNs,
                driverLagNs: o.sentNs - submittedNs)
            s.window.recordOperation(
                .read, intendedNs: intendedNs, first: o, last: o, conflicts: 0, retries: 0, bytesSent: 0,
                bytesReceived: o.bytesReceived)
            s.clusters[cluster * 2 + Int(LoadOpKind.read.rawValue)].record(
                responseNs: o.endNs - intendedNs, succeeded: o.succeeded)
        }
        countAnswer(o, slot: slot)
        inflight.wrappingSubtract(1, ordering: .releasing)
    }

    private func submitGet(_ w: WriteOperation, intendedNs: Int64, retried: Bool) {
        let submittedNs = MonotonicClock.now()
        let request = HTTPRequest(
            method: "GET", url: catalog.objectURL(cluster: w.cluster, object: w.object), headers: headers,
            collectsResponseHeaders: false)
        transports[w.cluster % transports.count].submit(request) { [self] result in
            self.finishWriteGet(result, w, intendedNs: intendedNs, submittedNs: submittedNs, retried: retried)
        }
    }

    private func finishWriteGet(
        _ result: Swift.Result<HTTPResponse, HTTPError>, _ w: WriteOperation, intendedNs: Int64, submittedNs: Int64,
        retried: Bool
    ) {
        let completed = MonotonicClock.now()
        let o = RequestOutcome.classify(
            result, submittedNs: submittedNs, completedNs: completed, timeoutNs: configuration.timeoutNs)
        let isFirst = w.first == nil
        if isFirst { w.first = o }
        w.bytesReceived += o.bytesReceived
        let phaseEnd = phaseEndNs
        let slot = slots[w.cluster % slots.count]
        slot.sampleCPU(nowNs: completed)
        slot.shared.withLock { s in
            if isFirst {
                s.window.recordSend(
                    .write, intendedNs: w.intendedNs, sentNs: o.sentNs, phaseEndNs: phaseEnd,
                    schedulerLagNs: w.ownLagNs,
                    driverLagNs: o.sentNs - submittedNs)
            }
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
            method: "PUT", url: catalog.objectURL(cluster: w.cluster, object: w.object), headers: putHeaders,
            body: body,
            collectsResponseHeaders: false)
        let updateIntended = o.endNs
        let submitted = MonotonicClock.now()
        transports[w.cluster % transports.count].submit(request) { [self] result in
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
        // watch-fanout hook (WatchFanout.swift): the Update's new resourceVersion, send and response times.
        if let ledger = configuration.updateLedger, o.succeeded, case .success(let r) = result {
            ledger.record(responseBody: r.body, sentNs: o.sentNs, responseNs: o.endNs)
        }
        w.bytesSent += bytesSent
        w.bytesReceived += o.bytesReceived
        slots[w.cluster % slots.count].shared.withLock { s in
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

    /// Counts an operation's final answer when it arrived in the planned phase's second half (for
    /// ``LoadVerdict/Inputs/answeredSecondHalf``).
    private func countAnswer(_ last: RequestOutcome, slot: Slot) {
        guard !last.timedOut else { return }
        let start = startNs.load(ordering: .relaxed)
        let duration = configuration.durationNs
        if last.endNs >= start + duration / 2 && last.endNs <= start + duration {
            slot.answeredSecondHalf.wrappingAdd(1, ordering: .relaxed)
        }
    }

    private func finishWrite(_ w: WriteOperation, last: RequestOutcome) {
        let first = w.first ?? last
        countAnswer(last, slot: slots[w.cluster % slots.count])
        slots[w.cluster % slots.count].shared.withLock { s in
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
    /// The scheduler's own lag in handing the write's first Get over.
    var ownLagNs: Int64 = 0

    init(cluster: Int, object: Int, intendedNs: Int64) {
        self.cluster = cluster
        self.object = object
        self.intendedNs = intendedNs
    }
}
