internal import CCurl
import Foundation
import KPCore
import KPRecords
import Synchronization

/// The one thread that drives one libcurl multi handle, and the queue other threads submit to.
///
/// Any thread may ``submit(_:id:completion:)`` or ``cancel(id:)``: both append to a
/// mutex-protected inbox and, if the driver may be asleep in `curl_multi_poll`, wake it with
/// `curl_multi_wakeup` (at most one wake-up per drain, and none from the driver's own thread). The
/// driver thread loops: drain the inbox into pooled easy handles (`curl_multi_add_handle`), run
/// `curl_multi_perform`, deliver finished transfers (`curl_multi_info_read`), then sleep in
/// `curl_multi_poll` until a socket is ready, a libcurl timer fires, or a wake-up arrives.
///
/// libcurl holds at most `capacity` transfers at once: the connections' stream slots
/// (``HTTPClientConfiguration/maxConnectionsPerHost`` × ``HTTPClientConfiguration/maxConcurrentStreams``
/// with HTTP/2). A submission beyond that waits in the driver's own FIFO (``PendingTransfers``) and
/// goes to libcurl when a transfer ends: libcurl walks every transfer it holds at each
/// `curl_multi_perform`, so thousands parked inside it (a slow server) would cost CPU at every
/// wake-up. A transfer's timeout counts from its submission, queue included; cancelling a waiting
/// transfer completes it at once. ``HTTPClientStatistics/waitedForConnection`` counts the transfers
/// that waited here or in libcurl's own pending queue.
///
/// `@unchecked Sendable`: the inbox is behind a `Mutex`, the counters are atomics, the settings
/// are immutable, and every other stored property is touched only on the driver thread.
final class MultiDriver: @unchecked Sendable {
    struct Submission: Sendable {
        var id: UInt64
        var request: HTTPRequest
        var queuedNs: Int64
        var completion: EasyHandle.Completion
        /// A streamed transfer's line sink (nil: the body is collected).
        var sink: HTTPLineSplitter? = nil
    }

    /// Runs on the driver thread at every turn of its loop, before the inbox is drained, with the
    /// monotonic time; returns the monotonic ns at which it wants to run again (`Int64.max`: only
    /// when something else wakes the driver). It may ``submit(_:id:completion:)``: from the driver
    /// thread that costs no wake-up. See ``HTTPClient/setPacer(_:)``.
    typealias Pacer = @Sendable (_ nowNs: Int64) -> Int64

    private struct Inbox {
        var submissions: [Submission] = []
        /// A pacer to install (`.some(nil)`: remove the current one) at the next drain.
        var pacerChange: Pacer??
        var cancellations: [UInt64] = []
        /// A wake-up was sent since the driver last drained; later submitters need not send another.
        var wakeArmed = false
        var stopping = false
    }

    private let multi: MultiHandle
    private let settings: EasyHandle.Settings
    private let sharedHeaders: CurlHeaderList?
    private let authLine: String?
    private let defaultTimeoutMs: Int
    private let inbox = Mutex(Inbox())
    private let driverThreadID = Atomic<UInt>(0)
    private var thread = pthread_t()

    private let nextID = Atomic<UInt64>(1)
    private let submittedCount = Atomic<Int>(0)
    private let completedCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let connectsCount = Atomic<Int>(0)
    private let waitedCount = Atomic<Int>(0)
    private let queuedCount = Atomic<Int>(0)
    /// ``HTTPClientStatistics/streamSlots``: the queue's capacity, 0 for none (readable from any thread).
    private let streamSlots: Int

    // MARK: Driver-thread state

    private var idle: [EasyHandle] = []
    private var active: [EasyHandle] = []
    private var justAdded: [EasyHandle] = []
    private var drained: [Submission] = []
    private var drainedCancellations: [UInt64] = []
    /// Submissions waiting for a free stream slot, oldest first.
    private var pending: PendingTransfers<Submission>
    private var pacer: Pacer?
    /// When the pacer wants to run next (`Int64.max`: no deadline).
    private var pacerDueNs = Int64.max
    /// The timerfd that wakes the driver at `pacerDueNs` (-1: none yet), and the deadline it is armed for (0: disarmed).
    private var timerFD: Int32 = -1
    private var timerArmedNs: Int64 = 0
    /// The last `curl_multi_poll` returned for the pacer's timerfd alone: no socket of libcurl's was ready.
    private var wokeForPacerOnly = false

    /// Longest sleep in `curl_multi_poll` when nothing happens (libcurl's own timers cut it short).
    private static let pollTimeoutMs: Int32 = 1000

    /// Starts the driver thread. `authLine` is the whole `Authorization: Bearer …` header line, or nil.
    /// `capacity`: most transfers handed to libcurl at once (`Int.max`: every submission at once).
    init(
        multi: MultiHandle, settings: EasyHandle.Settings, authLine: String?, defaultTimeoutMs: Int,
        capacity: Int = Int.max
    ) throws(CurlCallError) {
        self.multi = multi
        self.pending = PendingTransfers(capacity: max(1, capacity))
        self.streamSlots = capacity == Int.max ? 0 : max(1, capacity)
        self.settings = settings
        self.authLine = authLine
        self.defaultTimeoutMs = defaultTimeoutMs
        self.sharedHeaders = try authLine.map { (line) throws(CurlCallError) in try CurlHeaderList(lines: [line]) }
        let retained = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                let driver = Unmanaged<MultiDriver>.fromOpaque(arg!).takeRetainedValue()
                driver.run()
                return nil
            }, retained)
        if rc != 0 {
            Unmanaged<MultiDriver>.fromOpaque(retained).release()
            throw CurlCallError(function: "pthread_create", code: Int(rc), message: String(cString: strerror(rc)))
        }
        driverThreadID.store(thread, ordering: .releasing)
    }

    // MARK: Any thread

    /// A fresh id for a submission (used to cancel it).
    func makeID() -> UInt64 { nextID.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Hands a request to the driver. `completion` runs on the driver thread.
    /// `sink`, when given, receives the body line by line on the driver thread instead of the response.
    func submit(
        _ request: HTTPRequest, id: UInt64, sink: HTTPLineSplitter? = nil,
        completion: @escaping EasyHandle.Completion
    ) {
        let queuedNs = MonotonicClock.now()
        submittedCount.wrappingAdd(1, ordering: .relaxed)
        let onDriver = pthread_self() == driverThreadID.load(ordering: .acquiring)
        let sub = Submission(id: id, request: request, queuedNs: queuedNs, completion: completion, sink: sink)
        enum Action { case none, wake, refuse }
        let action: Action = inbox.withLock { s in
            if s.stopping { return .refuse }
            s.submissions.append(sub)
            if onDriver || s.wakeArmed { return .none }
            s.wakeArmed = true
            return .wake
        }
        switch action {
        case .none: break
        case .wake: wake()
        case .refuse:
            completedCount.wrappingAdd(1, ordering: .relaxed)
            failedCount.wrappingAdd(1, ordering: .relaxed)
            let t = TransferTimings(queuedNs: queuedNs, sentNs: 0, firstByteNs: 0, doneNs: MonotonicClock.now())
            completion(.failure(HTTPError(Self.shutDownKind, url: request.url, timings: t)))
        }
    }

    /// Aborts the transfer of submission `id` if it is still running; its completion gets a
    /// `.transport` error with code `CURLE_ABORTED_BY_CALLBACK`.
    func cancel(id: UInt64) {
        let needWake: Bool = inbox.withLock { s in
            if s.stopping { return false }
            s.cancellations.append(id)
            if s.wakeArmed { return false }
            s.wakeArmed = true
            return true
        }
        if needWake { wake() }
    }

    var statistics: HTTPClientStatistics {
        HTTPClientStatistics(
            submitted: submittedCount.load(ordering: .relaxed), completed: completedCount.load(ordering: .relaxed),
            failed: failedCount.load(ordering: .relaxed), connectionsOpened: connectsCount.load(ordering: .relaxed),
            waitedForConnection: waitedCount.load(ordering: .relaxed), queued: queuedCount.load(ordering: .relaxed),
            streamSlots: streamSlots)
    }

    var inFlight: Int { submittedCount.load(ordering: .relaxed) - completedCount.load(ordering: .relaxed) }

    /// Stops the driver: in-flight and queued requests complete with a shut-down error. Waits for the
    /// thread unless called on it (a completion that dropped the last reference to the client).
    func shutdown() {
        inbox.withLock { $0.stopping = true }
        wake()
        if pthread_self() == driverThreadID.load(ordering: .acquiring) {
            let rc = pthread_detach(thread)
            assert(rc == 0, "pthread_detach: \(rc)")
        } else {
            let rc = pthread_join(thread, nil)
            assert(rc == 0, "pthread_join: \(rc)")
        }
    }

    /// Installs (or, with nil, removes) the pacer; it runs from the driver's next loop turn on.
    func setPacer(_ pacer: Pacer?) {
        let needWake: Bool = inbox.withLock { s in
            if s.stopping { return false }
            s.pacerChange = .some(pacer)
            if s.wakeArmed { return false }
            s.wakeArmed = true
            return true
        }
        if needWake { wake() }
    }

    private func wake() {
        do {
            try check(curl_multi_wakeup(multi.handle), "curl_multi_wakeup")
        } catch {
            // Fails only when its socketpair is full (CURLM_WAKEUP_FAILURE): wake-ups are already
            // pending, so the driver will wake and drain the inbox anyway.
        }
    }

    private static let shutDownKind = HTTPError.Kind.transport(
        code: Int(CURLE_ABORTED_BY_CALLBACK.rawValue),
        message: "the HTTPClient was shut down before the request finished")
    private static let cancelledKind = HTTPError.Kind.transport(
        code: Int(CURLE_ABORTED_BY_CALLBACK.rawValue), message: "cancelled by the caller")

    // MARK: Driver thread

    private func run() {
        driverThreadID.store(pthread_self(), ordering: .releasing)
        while true {
            let pacerOnly = wokeForPacerOnly
            wokeForPacerOnly = false
            if let pacer { pacerDueNs = pacer(MonotonicClock.now()) }
            if drainInbox() { break }
            // `curl_multi_perform` walks every transfer libcurl holds. A turn woken by the pacer's timer
            // alone that gave libcurl nothing new has nothing for it to do (a libcurl timer due at the
            // same moment makes the next poll return at once, and that turn performs).
            if !pacerOnly || !justAdded.isEmpty { perform() }
            deliverFinished()
            let startedWaiting = startWaiting()
            let more = inbox.withLock {
                !$0.submissions.isEmpty || !$0.cancellations.isEmpty || $0.stopping || $0.pacerChange != nil
            }
            // Transfers just taken from the queue go to libcurl's next perform, without a sleep first.
            if !more && !startedWaiting { poll() }
        }
        for sub in pending.removeAll() {
            leaveQueue()
            fail(sub, Self.shutDownKind)
        }
        abortAll(Self.shutDownKind)
        idle.removeAll()
        pacer = nil
        if timerFD >= 0 { close(timerFD) }
    }

    /// Moves the inbox into libcurl; returns true when the driver must stop.
    private func drainInbox() -> Bool {
        let stopping = inbox.withLock { s in
            swap(&s.submissions, &drained)
            swap(&s.cancellations, &drainedCancellations)
            s.wakeArmed = false
            if let change = s.pacerChange {
                pacer = change
                pacerDueNs = change == nil ? Int64.max : 0
                s.pacerChange = nil
            }
            return s.stopping
        }
        for sub in drained {
            if stopping {
                fail(sub, Self.shutDownKind)
            } else if pending.admitsDirectly(running: active.count) {
                start(sub)
            } else {
                let timeoutMs = sub.request.timeout.map(Self.milliseconds) ?? defaultTimeoutMs
                pending.append(sub, id: sub.id, deadlineNs: sub.queuedNs + Int64(timeoutMs) * 1_000_000)
                queuedCount.wrappingAdd(1, ordering: .relaxed)
            }
        }
        drained.removeAll(keepingCapacity: true)
        for id in drainedCancellations {
            if let easy = active.first(where: { $0.id == id }) {
                abort(easy, Self.cancelledKind)
            } else if let sub = pending.cancel(id: id) {
                leaveQueue()
                fail(sub, Self.cancelledKind)
            }
        }
        drainedCancellations.removeAll(keepingCapacity: true)
        return stopping
    }

    /// Moves waiting submissions to libcurl while slots are free, and fails the overdue ones with a
    /// timeout; true when any went to libcurl.
    private func startWaiting() -> Bool {
        guard !pending.isEmpty else { return false }
        var started = false
        let now = MonotonicClock.now()
        while let ready = pending.next(nowNs: now, running: active.count) {
            leaveQueue()
            switch ready {
            case .start(let sub):
                start(sub, waited: true, nowNs: now)
                started = true
            case .expired(let sub):
                fail(sub, .timeout)
            }
        }
        return started
    }

    /// One submission left the queue: it waited for a stream slot.
    private func leaveQueue() {
        queuedCount.wrappingSubtract(1, ordering: .relaxed)
        waitedCount.wrappingAdd(1, ordering: .relaxed)
    }

    /// Hands `sub` to libcurl. `waited`: it comes from the queue (its timeout is what is left of it at `nowNs`).
    private func start(_ sub: Submission, waited: Bool = false, nowNs: Int64 = 0) {
        let easy: EasyHandle
        if let reused = idle.popLast() {
            easy = reused
        } else {
            do {
                easy = try EasyHandle(settings: settings)
            } catch {
                fail(sub, .transport(code: error.code, message: error.description))
                return
            }
        }
        var timeoutMs = sub.request.timeout.map(Self.milliseconds) ?? defaultTimeoutMs
        if waited {
            // The timeout counts from the submission: libcurl gets what is left (whole ms, at least 1).
            let leftNs = sub.queuedNs + Int64(timeoutMs) * 1_000_000 - nowNs
            timeoutMs = max(1, Int((leftNs + 999_999) / 1_000_000))
        }
        do {
            try easy.prepare(
                sub.request, id: sub.id, queuedNs: sub.queuedNs, completion: sub.completion,
                timeoutMs: timeoutMs, sharedHeaders: sharedHeaders?.list, authLine: authLine, sink: sub.sink)
        } catch {
            _ = easy.recycle()
            idle.append(easy)
            fail(sub, error.kind)
            return
        }
        do {
            try check(curl_multi_add_handle(multi.handle, easy.handle), "curl_multi_add_handle")
        } catch {
            _ = easy.recycle()
            idle.append(easy)
            fail(sub, .transport(code: error.code, message: error.description))
            return
        }
        easy.waitedInQueue = waited
        easy.activeIndex = active.count
        active.append(easy)
        justAdded.append(easy)
    }

    private func perform() {
        var running: Int32 = 0
        do {
            try check(curl_multi_perform(multi.handle, &running), "curl_multi_perform")
        } catch {
            abortAll(.transport(code: error.code, message: error.description))
        }
        if !justAdded.isEmpty {
            let now = MonotonicClock.now()
            for easy in justAdded { easy.firstPerformEndNs = now }
            justAdded.removeAll(keepingCapacity: true)
        }
    }

    private func poll() {
        var fd: Int32 = -1
        var timeoutMs = Self.pollTimeoutMs
        let queueDeadline = pending.nextDeadlineNs()
        if queueDeadline != Int64.max {
            // Wake to fail the oldest waiting transfer when its timeout is up (whole ms, rounded up).
            let leftNs = queueDeadline - MonotonicClock.now()
            if leftNs <= 0 { return }
            timeoutMs = Int32(clamping: min(Int64(timeoutMs), (leftNs + 999_999) / 1_000_000))
        }
        if pacer != nil && pacerDueNs != Int64.max {
            let now = MonotonicClock.now()
            // Already due: run the pacer again rather than sleep.
            if pacerDueNs <= now { return }
            if timerFD < 0 { timerFD = kp_timerfd_create() }
            if timerFD >= 0 {
                if timerArmedNs != pacerDueNs && kp_timerfd_arm(timerFD, pacerDueNs) == 0 { timerArmedNs = pacerDueNs }
                fd = timerFD
            }
            if timerArmedNs != pacerDueNs {
                // No timerfd: whole ms, rounded up (late by < 1 ms rather than early).
                timeoutMs = Int32(clamping: min(Int64(timeoutMs), max(1, (pacerDueNs - now + 999_999) / 1_000_000)))
            }
        }
        defer {
            // A fired timer stays readable until read: consume it so the next poll sleeps.
            if timerArmedNs != 0 && MonotonicClock.now() >= timerArmedNs {
                kp_timerfd_consume(timerFD)
                timerArmedNs = 0
            }
        }
        do {
            var onlyFD: Int32 = 0
            try check(kp_multi_poll_with_fd(multi.handle, fd, timeoutMs, &onlyFD), "curl_multi_poll")
            wokeForPacerOnly = onlyFD != 0
        } catch {
            // poll(2) itself failed: fail what is running rather than spin on a broken multi handle.
            abortAll(.transport(code: error.code, message: error.description))
            usleep(1000)
        }
    }

    private func deliverFinished() {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi.handle, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let eh = msg.pointee.easy_handle else { continue }
            let code = kp_msg_result(msg)
            let doneNs = MonotonicClock.now()
            guard let easy = owner(of: eh) else {
                // Not ours (cannot happen: only the driver adds handles); detach it so it cannot loop.
                do { try check(curl_multi_remove_handle(multi.handle, eh), "curl_multi_remove_handle") } catch {}
                continue
            }
            let reusable = detach(easy)
            let outcome = easy.finish(code: code, doneNs: doneNs)
            let completion = easy.recycle()
            if reusable { idle.append(easy) }
            completedCount.wrappingAdd(1, ordering: .relaxed)
            if case .failure = outcome.result { failedCount.wrappingAdd(1, ordering: .relaxed) }
            if outcome.connectionsOpened > 0 {
                connectsCount.wrappingAdd(outcome.connectionsOpened, ordering: .relaxed)
            }
            // A transfer from the queue was counted when it left it.
            if outcome.waitedForConnection && !easy.waitedInQueue { waitedCount.wrappingAdd(1, ordering: .relaxed) }
            completion?(outcome.result)
        }
    }

    /// The ``EasyHandle`` whose `CURLOPT_PRIVATE` is `eh`'s, falling back to a search of the active list.
    private func owner(of eh: UnsafeMutableRawPointer) -> EasyHandle? {
        var priv: UnsafeMutableRawPointer? = nil
        do {
            try check(kp_easy_getinfo_ptr(eh, CURLINFO_PRIVATE, &priv), "curl_easy_getinfo(PRIVATE)")
        } catch {
            return active.first { $0.handle == eh }
        }
        guard let priv else { return active.first { $0.handle == eh } }
        return Unmanaged<EasyHandle>.fromOpaque(priv).takeUnretainedValue()
    }

    /// Removes `easy` from libcurl and the active list; false when libcurl refused, so the handle
    /// must not be reused (it is dropped, and its deinit cleans it up).
    private func detach(_ easy: EasyHandle) -> Bool {
        let i = easy.activeIndex
        if i >= 0 && i < active.count && active[i] === easy {
            let last = active.removeLast()
            if i < active.count {
                active[i] = last
                last.activeIndex = i
            }
        }
        easy.activeIndex = -1
        do {
            try check(curl_multi_remove_handle(multi.handle, easy.handle), "curl_multi_remove_handle")
            return true
        } catch {
            return false
        }
    }

    /// Ends a running transfer early with `kind`.
    private func abort(_ easy: EasyHandle, _ kind: HTTPError.Kind) {
        let doneNs = MonotonicClock.now()
        let reusable = detach(easy)
        let error = HTTPError(kind, url: easy.url, timings: easy.timingsSoFar(doneNs: doneNs))
        let completion = easy.recycle()
        if reusable { idle.append(easy) }
        completedCount.wrappingAdd(1, ordering: .relaxed)
        failedCount.wrappingAdd(1, ordering: .relaxed)
        completion?(.failure(error))
    }

    private func abortAll(_ kind: HTTPError.Kind) {
        while let easy = active.last { abort(easy, kind) }
    }

    /// Completes a submission that never reached libcurl.
    private func fail(_ sub: Submission, _ kind: HTTPError.Kind) {
        completedCount.wrappingAdd(1, ordering: .relaxed)
        failedCount.wrappingAdd(1, ordering: .relaxed)
        let t = TransferTimings(queuedNs: sub.queuedNs, sentNs: 0, firstByteNs: 0, doneNs: MonotonicClock.now())
        sub.completion(.failure(HTTPError(kind, url: sub.request.url, timings: t)))
    }

    /// Whole milliseconds for libcurl, at least 1 (libcurl reads 0 as "no timeout").
    static func milliseconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        let ms = s * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(clamping: ms))
    }
}
