import Foundation
import KPCore
import KPHTTP
import KPRecords
import KPStats
import Synchronization

/// The resourceVersions kp-load's Updates produced, with when each Update was sent and when its
/// response arrived: what a watcher matches an event against (scenario `watch-fanout`).
///
/// A direct-mapped table (slot = resourceVersion mod capacity) in 64 lock stripes: bounded (the
/// newest ~capacity versions; kplane's versions are one global counter, contract §8.2, so the
/// table holds the last ~capacity writes of the whole server), and cheap on the writers' path
/// (a scan of the response's first bytes for the version, one uncontended lock, three stores).
/// Hand-written: no available package offers a bounded concurrent map keyed by integers.
public final class UpdateLedger: Sendable {
    struct Entry {
        var rv: UInt64 = 0
        var sentNs: Int64 = 0
        var responseNs: Int64 = 0
    }

    private final class Stripe: Sendable {
        let entries: Mutex<[Entry]>
        init(size: Int) { entries = Mutex(Array(repeating: Entry(), count: size)) }
    }

    private static let stripeCount = 64
    private let stripes: [Stripe]
    private let perStripe: Int
    private let recorded = Atomic<Int64>(0)

    /// - Parameter capacity: versions kept (rounded up to a multiple of 64).
    public init(capacity: Int = 1 << 16) {
        let size = max(1, (capacity + Self.stripeCount - 1) / Self.stripeCount)
        perStripe = size
        stripes = (0..<Self.stripeCount).map { _ in Stripe(size: size) }
    }

    /// Updates recorded so far.
    public var count: Int64 { recorded.load(ordering: .relaxed) }

    /// Records one successful Update from its response body (the object with its new `metadata.resourceVersion`).
    public func record(responseBody: Data, sentNs: Int64, responseNs: Int64) {
        guard let text = ObjectCatalog.resourceVersion(in: responseBody), let rv = UInt64(text) else { return }
        record(rv: rv, sentNs: sentNs, responseNs: responseNs)
    }

    public func record(rv: UInt64, sentNs: Int64, responseNs: Int64) {
        let stripe = stripes[Int(rv % UInt64(Self.stripeCount))]
        let slot = Int((rv / UInt64(Self.stripeCount)) % UInt64(perStripe))
        stripe.entries.withLock { $0[slot] = Entry(rv: rv, sentNs: sentNs, responseNs: responseNs) }
        recorded.wrappingAdd(1, ordering: .relaxed)
    }

    /// The Update that produced `rv`: (send time, response time), or nil.
    public func lookup(rv: UInt64) -> (sentNs: Int64, responseNs: Int64)? {
        let stripe = stripes[Int(rv % UInt64(Self.stripeCount))]
        let slot = Int((rv / UInt64(Self.stripeCount)) % UInt64(perStripe))
        let e = stripe.entries.withLock { $0[slot] }
        return e.rv == rv ? (e.sentNs, e.responseNs) : nil
    }
}

/// A resource kp-load's watchers can watch.
public enum WatchResource: String, Sendable, CaseIterable {
    /// The test resource the writers update (the `memwidgets` of each cluster's test CRD).
    case memwidgets
    /// ConfigMaps: nothing of kp-load writes them, so their watchers see bookmarks only (idle watches).
    case configmaps

    func collectionURL(baseURL: String, cluster: String, namespace: String) -> String {
        switch self {
        case .memwidgets: ObjectCatalog.collectionURL(baseURL: baseURL, cluster: cluster, namespace: namespace)
        case .configmaps: "\(baseURL)/clusters/\(cluster)/control-plane/api/v1/namespaces/\(namespace)/configmaps"
        }
    }
}

/// What the watchers do, resolved from flags.
public struct WatchFanoutConfiguration: Sendable {
    public var baseURL: String
    public var clusters: [String]
    public var namespace: String
    public var watchersPerCluster: Int
    public var resources: [WatchResource]
    /// Each watch asks the server for `timeoutSeconds` drawn from [T, 2T), as client-go's reflector
    /// does (its T is 5 min); the server then ends the stream and the watcher re-watches.
    public var watchTimeoutNs: Int64
    public var reportIntervalNs: Int64
    /// How long an event whose version no Update has recorded yet waits for it (the event may
    /// arrive before the Update's response); after that it counts as unmatched.
    public var matchGraceNs: Int64
    /// Wait after a transport error or a failed list before trying again.
    public var retryDelayNs: Int64
    /// nil: each watcher lists, then watches from the list's resourceVersion (client-go's way).
    /// A value: the first watch starts from it without a list (tests use a too-old one to get 410).
    public var startResourceVersion: String?
    public var seed: UInt64

    public init(
        baseURL: String, clusters: [String], namespace: String = "default", watchersPerCluster: Int,
        resources: [WatchResource] = [.memwidgets], watchTimeoutNs: Int64 = 300_000_000_000,
        reportIntervalNs: Int64 = 1_000_000_000, matchGraceNs: Int64 = 5_000_000_000,
        retryDelayNs: Int64 = 1_000_000_000, startResourceVersion: String? = nil, seed: UInt64 = 0
    ) {
        self.baseURL = baseURL
        self.clusters = clusters
        self.namespace = namespace
        self.watchersPerCluster = watchersPerCluster
        self.resources = resources
        self.watchTimeoutNs = watchTimeoutNs
        self.reportIntervalNs = reportIntervalNs
        self.matchGraceNs = matchGraceNs
        self.retryDelayNs = retryDelayNs
        self.startResourceVersion = startResourceVersion
        self.seed = seed
    }

    /// Watch streams in all: watchers per cluster × clusters × resources.
    public var watcherCount: Int { watchersPerCluster * clusters.count * resources.count }
}

/// W long-lived watch streams per hot cluster on their own ``KPHTTP/HTTPClient`` (its own driver
/// thread and connections, never the load generator's), matching each ADDED/MODIFIED event to the
/// kp-load Update that caused it by resourceVersion (``UpdateLedger``).
///
/// Each watcher lists, then watches from the list's resourceVersion with `allowWatchBookmarks=true`
/// (client-go's reflector: no synthetic ADDED events for what exists, so every event is a change
/// made while the watch was open). When the server ends a watch: 410 Gone → re-list and watch again;
/// a clean end (its timeout) → watch again from the last version seen (bookmarks keep it fresh);
/// a transport error or another status → the same after `retryDelayNs`. Each is counted by reason,
/// and each new watch as re-established. Once kp-load is stopping (``stop(interrupted:)``: a stop
/// signal, or the phase's end) every end, its own cancels included, counts as stopped by kp-load and
/// nothing is opened again: a Ctrl-C whose resets reach the streams is not the server's failure.
///
/// Every stream callback runs on the client's driver thread and records under one mutex (the
/// reporter is its only other user); the reporter thread closes a window every `reportIntervalNs`.
public final class WatchFanout: Sendable {
    private struct Watcher: Sendable {
        var cluster: String
        var resource: WatchResource
        var url: String
        var lastRV = ""
        var gone = false
        var started = false
        var stream: HTTPStreamID?
    }

    private struct State: Sendable {
        var watchers: [Watcher]
        var window = WatchTally()
        /// Events whose version no Update had recorded when they arrived: (version, arrival ns).
        var pending: [(rv: UInt64, arrivalNs: Int64)] = []
        var stopping = false
        var open = 0
        var random: SeededRandom
    }

    public let configuration: WatchFanoutConfiguration
    private let client: HTTPClient
    private let ledger: UpdateLedger
    private let state: Mutex<State>
    private let decoder = JSONDecoder()
    private let reporterDone = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    /// - Parameters:
    ///   - client: the watchers' own client (not the load generator's).
    ///   - ledger: the Updates to match against (``LoadConfiguration/updateLedger``).
    public init(configuration: WatchFanoutConfiguration, client: HTTPClient, ledger: UpdateLedger) {
        self.configuration = configuration
        self.client = client
        self.ledger = ledger
        var watchers: [Watcher] = []
        for c in configuration.clusters {
            for r in configuration.resources {
                for _ in 0..<configuration.watchersPerCluster {
                    watchers.append(
                        Watcher(
                            cluster: c, resource: r,
                            url: r.collectionURL(
                                baseURL: configuration.baseURL, cluster: c, namespace: configuration.namespace)))
                }
            }
        }
        state = Mutex(State(watchers: watchers, random: SeededRandom(seed: configuration.seed ^ 0x5741_5443)))
    }

    /// Watch streams open now.
    public var openStreams: Int { state.withLock { $0.open } }

    /// Watches re-established so far (all windows).
    public var reestablishedCount: Int64 { reestablishedTotal.load(ordering: .relaxed) }
    private let reestablishedTotal = Atomic<Int64>(0)

    // MARK: Watchers

    /// Starts every watcher (lists first unless ``WatchFanoutConfiguration/startResourceVersion``)
    /// and waits until each has its first watch submitted, or `timeout` passed.
    public func start(timeout: Duration = .seconds(30)) async {
        let n = state.withLock { $0.watchers.count }
        for i in 0..<n {
            if let rv = configuration.startResourceVersion {
                watch(i, from: rv)
            } else {
                list(i)
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && !isStopping {
            if state.withLock({ s in s.watchers.allSatisfy(\.started) }) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func list(_ i: Int) {
        let url: String? = state.withLock { s in
            if s.stopping || isStopping { return nil }
            s.window.lists += 1
            return s.watchers[i].url
        }
        guard let url else { return }
        client.submit(HTTPRequest(url: url, headers: [("Accept", "application/json")], collectsResponseHeaders: false))
        { [self] result in
            if case .success(let r) = result, r.isSuccess, let rv = Self.listResourceVersion(r.body) {
                watch(i, from: rv)
            } else {
                state.withLock { $0.window.listErrors += 1 }
                later { self.list(i) }
            }
        }
    }

    /// A list's own `metadata.resourceVersion` (not an item's: kp-sim sorts keys, so items come first).
    static func listResourceVersion(_ body: Data) -> String? {
        guard let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let meta = obj["metadata"] as? [String: Any], let rv = meta["resourceVersion"] as? String
        else { return nil }
        return rv
    }

    private func watch(_ i: Int, from rv: String) {
        let cfg = configuration
        let request: HTTPRequest? = state.withLock { s in
            if s.stopping || isStopping { return nil }
            if s.watchers[i].started {
                s.window.reestablished += 1
                reestablishedTotal.wrappingAdd(1, ordering: .relaxed)
            }
            s.watchers[i].started = true
            s.watchers[i].gone = false
            s.watchers[i].lastRV = rv
            s.open += 1
            let base = max(1, cfg.watchTimeoutNs / 1_000_000_000)
            let seconds = base + Int64(s.random.nextUnit() * Double(base))
            var url = s.watchers[i].url + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=\(seconds)"
            if !rv.isEmpty { url += "&resourceVersion=\(rv)" }
            return HTTPRequest(
                url: url, headers: [("Accept", "application/json")], timeout: .seconds(seconds + 30),
                collectsResponseHeaders: false)
        }
        guard let request else { return }
        let id = client.stream(request) { [self] line in
            self.handle(i, line)
        } completion: { [self] result in
            self.ended(i, result)
        }
        let cancelNow = state.withLock { s in
            s.watchers[i].stream = id
            return s.stopping
        }
        if cancelNow { client.cancelStream(id) }
    }

    struct Event: Decodable {
        struct Object: Decodable {
            struct Metadata: Decodable { var resourceVersion: String? }
            var metadata: Metadata?
            /// A Status (ERROR events).
            var code: Int?
        }
        var type: String
        var object: Object
    }

    /// The event's top-level `type` and its object's own `metadata.resourceVersion` by a byte scan, or
    /// nil when the line is not laid out as the scan expects (then JSONDecoder reads it). Hand-written
    /// because a full decode of every event costs the watchers' thread (and the CPU the server shares on
    /// a small machine) several times more; ERROR events always take the decoder (they carry a code).
    ///
    /// The top-level `type` is either the first key (`{"type":"MODIFIED","object":…}`, Kubernetes'
    /// order) or the last (`{"object":…,"type":"MODIFIED"}`, sorted keys, kp-sim's order); a key can
    /// appear nowhere else at those two places. The object's first `"resourceVersion":"` is its
    /// `metadata.resourceVersion`: metadata precedes spec and status, and within metadata the field
    /// precedes `managedFields` (a value holding that text, e.g. an annotation of JSON, has its
    /// quotes escaped).
    static func scan(_ line: UnsafeRawBufferPointer) -> Event? {
        let head = Array(#"{"type":""#.utf8)
        let n = line.count
        var type: String?
        if n > head.count && line.starts(with: head) {
            var k = head.count
            while k < n && line[k] != UInt8(ascii: "\"") { k += 1 }
            guard k < n else { return nil }
            type = String(decoding: UnsafeRawBufferPointer(rebasing: line[head.count..<k]), as: UTF8.self)
        } else if n > 2 && line[n - 1] == UInt8(ascii: "}") && line[n - 2] == UInt8(ascii: "\"") {
            // …,"type":"MODIFIED"}
            let tail = Array(#","type":""#.utf8)
            var k = n - 3
            while k > 0 && line[k] != UInt8(ascii: "\"") { k -= 1 }
            guard k >= tail.count - 1, Array(line[(k - tail.count + 1)...k]) == tail else { return nil }
            type = String(decoding: UnsafeRawBufferPointer(rebasing: line[(k + 1)..<(n - 2)]), as: UTF8.self)
        }
        guard let type, type != "ERROR" else { return nil }
        let key = Array(#""resourceVersion":""#.utf8)
        var rv: String?
        var i = 0
        search: while i + key.count < n {
            for j in 0..<key.count where line[i + j] != key[j] {
                i += 1
                continue search
            }
            var k = i + key.count
            let start = k
            while k < n && line[k] != UInt8(ascii: "\"") { k += 1 }
            guard k < n else { return nil }
            rv = String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<k]), as: UTF8.self)
            break
        }
        return Event(type: type, object: .init(metadata: .init(resourceVersion: rv), code: nil))
    }

    /// One watch event (driver thread).
    private func handle(_ i: Int, _ line: UnsafeRawBufferPointer) {
        let arrival = MonotonicClock.now()
        let event: Event
        if let fast = Self.scan(line) {
            event = fast
        } else if let decoded = try? decoder.decode(Event.self, from: Data(line)) {
            event = decoded
        } else {
            // Not a watch event kp-load can read: it cannot be matched.
            state.withLock { $0.window.unmatched += 1 }
            return
        }
        let rvText = event.object.metadata?.resourceVersion
        let match: (UInt64, (sentNs: Int64, responseNs: Int64)?)? =
            (event.type == "ADDED" || event.type == "MODIFIED")
            ? rvText.flatMap(UInt64.init).map { ($0, ledger.lookup(rv: $0)) } : nil
        state.withLock { s in
            switch event.type {
            case "ADDED", "MODIFIED", "DELETED":
                s.window.events += 1
                if let (rv, found) = match {
                    if let found {
                        s.window.recordMatch(arrivalNs: arrival, sentNs: found.sentNs, responseNs: found.responseNs)
                    } else {
                        s.pending.append((rv, arrival))
                    }
                } else if event.type != "DELETED" {
                    s.window.unmatched += 1
                }
            case "BOOKMARK":
                s.window.bookmarks += 1
            case "ERROR":
                if event.object.code == 410 { s.watchers[i].gone = true }
            default:
                break
            }
            if let rvText, event.type != "ERROR" { s.watchers[i].lastRV = rvText }
        }
    }

    /// What a watcher does after its watch ended.
    enum AfterEnd: Equatable, Sendable {
        /// List again, then watch from the list's version (after 410 Gone).
        case relist
        /// Watch again at once from the last version seen (the server's clean end).
        case rewatch
        /// Watch again from the last version seen after `retryDelayNs` (a transport error or another status).
        case retry
    }

    /// Why a watch ended, as counted.
    enum WatchEnd: Equatable, Sendable {
        /// kp-load is stopping (a stop signal or the phase's end): counted in `stopped`, not reopened,
        /// whatever the stream's result (a reset of a server going down with the same Ctrl-C, a clean
        /// end, kp-load's own cancel).
        case stopped
        /// The server or the transport ended it: counted in `ends` under `reason`.
        case ended(reason: String, then: AfterEnd)
    }

    /// Classifies one watch's end. `gone`: the stream carried a 410 ERROR event; `stopping`: kp-load
    /// was stopping when the end arrived.
    static func classify(_ result: Result<HTTPResponse, HTTPError>, gone: Bool, stopping: Bool) -> WatchEnd {
        if stopping { return .stopped }
        switch result {
        case .failure: return .ended(reason: "transport", then: .retry)
        case .success(let r) where r.status == 410 || (r.isSuccess && gone):
            return .ended(reason: "gone", then: .relist)
        case .success(let r) where r.isSuccess: return .ended(reason: "server_end", then: .rewatch)
        case .success(let r): return .ended(reason: "status_\(r.status)", then: .retry)
        }
    }

    /// A watch ended (driver thread): count why, and open it again unless kp-load is stopping.
    private func ended(_ i: Int, _ result: Result<HTTPResponse, HTTPError>) {
        let next: (AfterEnd, String)? = state.withLock { s in
            s.open -= 1
            s.watchers[i].stream = nil
            let w = s.watchers[i]
            switch Self.classify(result, gone: w.gone, stopping: s.stopping || isStopping) {
            case .stopped:
                s.window.stopped += 1
                return nil
            case .ended(let reason, let then):
                s.window.ends[reason, default: 0] += 1
                return (then, w.lastRV)
            }
        }
        switch next {
        case nil: break
        case (.relist, _)?: list(i)
        case (.rewatch, let rv)?: watch(i, from: rv)
        case (.retry, let rv)?: later { self.watch(i, from: rv) }
        }
    }

    private func later(_ work: @escaping @Sendable () -> Void) {
        let delay = Double(configuration.retryDelayNs) / 1e9
        DispatchQueue.global().asyncAfter(deadline: .now() + delay, execute: work)
    }

    // MARK: Reporting

    /// Takes the window's counts, resolving pending events whose Update has been recorded since
    /// (and counting as unmatched those older than the grace, or all of them when `final`).
    private func closeWindow(nowNs: Int64, final: Bool) -> WatchTally {
        var pending: [(rv: UInt64, arrivalNs: Int64)] = []
        var window = WatchTally()
        state.withLock { s in
            swap(&s.window, &window)
            swap(&s.pending, &pending)
        }
        var keep: [(rv: UInt64, arrivalNs: Int64)] = []
        for p in pending {
            if let found = ledger.lookup(rv: p.rv) {
                window.recordMatch(arrivalNs: p.arrivalNs, sentNs: found.sentNs, responseNs: found.responseNs)
            } else if final || nowNs - p.arrivalNs > configuration.matchGraceNs {
                window.unmatched += 1
            } else {
                keep.append(p)
            }
        }
        if !keep.isEmpty { state.withLock { $0.pending.append(contentsOf: keep) } }
        return window
    }

    /// Reports every `reportIntervalNs` until ``stop()``, then stops the watches and emits the last
    /// `watch_interval` and `watch_final`. Blocks the calling thread.
    public func runReporter(startNs: Int64, emit: @Sendable (Record) -> Void) -> WatchFinalRecord {
        var total = WatchTally()
        var windowStart = startNs
        var k: Int64 = 1
        while !stopRequested.load(ordering: .acquiring) {
            let boundary = startNs + k * configuration.reportIntervalNs
            let now = MonotonicClock.now()
            if now >= boundary {
                let w = closeWindow(nowNs: now, final: false)
                total.merge(w)
                emit(
                    .watchInterval(
                        WatchIntervalRecord(startNs: windowStart, endNs: now, open: openStreams, counts: w.counts)))
                windowStart = now
                k = (now - startNs) / configuration.reportIntervalNs + 1
                continue
            }
            PreciseSleep.until(min(boundary, now + 20_000_000))
        }
        // Give events of the last Updates the grace to arrive, then end the streams.
        let graceEnd = MonotonicClock.now() + min(configuration.matchGraceNs, 1_000_000_000)
        while MonotonicClock.now() < graceEnd && state.withLock({ !$0.pending.isEmpty }) {
            PreciseSleep.until(MonotonicClock.now() + 20_000_000)
        }
        let streams: [HTTPStreamID] = state.withLock { s in
            s.stopping = true
            return s.watchers.compactMap(\.stream)
        }
        let end = MonotonicClock.now()
        for id in streams { client.cancelStream(id) }
        let drainEnd = MonotonicClock.now() + 2_000_000_000
        while openStreams > 0 && MonotonicClock.now() < drainEnd {
            PreciseSleep.until(MonotonicClock.now() + 10_000_000)
        }
        let last = closeWindow(nowNs: end, final: true)
        total.merge(last)
        emit(.watchInterval(WatchIntervalRecord(startNs: windowStart, endNs: end, open: 0, counts: last.counts)))
        let seconds = max(1e-9, Double(end - startNs) / 1e9)
        let final = WatchFinalRecord(
            watchers: configuration.watcherCount, watchersPerCluster: configuration.watchersPerCluster,
            clusters: configuration.clusters.count, resources: configuration.resources.map(\.rawValue),
            startNs: startNs, endNs: end, eventsPerSecond: Double(total.events) / seconds, counts: total.counts,
            interrupted: stopRequested.load(ordering: .acquiring) && interrupted.load(ordering: .acquiring))
        emit(.watchFinal(final))
        reporterDone.store(true, ordering: .releasing)
        return final
    }

    private let interrupted = Atomic<Bool>(false)

    /// True once ``stop(interrupted:)`` was called: every watch end from then on is kp-load's own.
    var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// Ends the watch phase: the reporter emits its last records and returns. `interrupted` marks a signal.
    public func stop(interrupted: Bool = false) {
        if interrupted { self.interrupted.store(true, ordering: .releasing) }
        stopRequested.store(true, ordering: .releasing)
    }
}
