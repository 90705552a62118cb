/// What kp-load's watchers saw (`--watchers-per-cluster`, scenario `watch-fanout`, contract §8.2):
/// the counts and delivery latencies of one window or of the whole phase. The same fields in
/// `watch_interval` and `watch_final`; counts of shards add, histograms merge.
public struct WatchCounts: Codable, Sendable, Equatable {
    /// ADDED / MODIFIED / DELETED events received.
    public var events: Int64
    /// ADDED / MODIFIED events whose `metadata.resourceVersion` is one a kp-load Update produced.
    public var matched: Int64
    /// ADDED / MODIFIED events with no such Update within the match grace (e.g. the pre-warm's creates).
    public var unmatched: Int64
    /// BOOKMARK events.
    public var bookmarks: Int64
    /// Watches the server ended, by reason: `gone` (410 Expired, as an ERROR event or a status),
    /// `server_end` (the stream ended cleanly: the server's timeout), `transport` (reset, timeout,
    /// refused…), `status_<code>` (a non-2xx answer to the watch request). Watches that ended while
    /// kp-load was stopping are in ``stopped``, not here.
    public var ends: [String: Int64]
    /// Watches that ended, whatever the way, once kp-load was stopping (a stop signal, or the phase's
    /// end: the streams kp-load cancels itself included); none of them is re-established. Optional:
    /// a reader takes a record without it as 0.
    public var stopped: Int64?
    /// Watches opened again after an end (after a re-list for `gone`).
    public var reestablished: Int64
    /// Lists (the first one of each watcher and the re-lists after `gone`) and those that failed.
    public var lists: Int64
    public var listErrors: Int64
    /// Delivery latency: the event's arrival − the send time of the Update that caused it, ns.
    public var delivery: HistogramWire
    /// The event's arrival − the arrival of that Update's response, ns, negative values clamped to 0
    /// (the event may arrive before the response); `deliveryBeforeResponse` counts those.
    public var deliveryFromResponse: HistogramWire
    public var deliveryBeforeResponse: Int64

    enum CodingKeys: String, CodingKey {
        case events, matched, unmatched, bookmarks, ends, stopped, reestablished, lists, delivery
        case listErrors = "list_errors"
        case deliveryFromResponse = "delivery_from_response"
        case deliveryBeforeResponse = "delivery_before_response"
    }

    public init(
        events: Int64, matched: Int64, unmatched: Int64, bookmarks: Int64, ends: [String: Int64],
        reestablished: Int64, lists: Int64, listErrors: Int64, delivery: HistogramWire,
        deliveryFromResponse: HistogramWire, deliveryBeforeResponse: Int64, stopped: Int64? = nil
    ) {
        self.events = events
        self.matched = matched
        self.unmatched = unmatched
        self.bookmarks = bookmarks
        self.ends = ends
        self.reestablished = reestablished
        self.lists = lists
        self.listErrors = listErrors
        self.delivery = delivery
        self.deliveryFromResponse = deliveryFromResponse
        self.deliveryBeforeResponse = deliveryBeforeResponse
        self.stopped = stopped
    }
}

/// One report window of kp-load's watchers (every `--report-interval`).
public struct WatchIntervalRecord: KPRecord {
    public static let kind = RecordKind.watchInterval
    public var kind: RecordKind = .watchInterval
    public var v: Int = Schema.currentVersion
    public var startNs: Int64
    public var endNs: Int64
    /// Watch streams open at the window's end.
    public var open: Int
    public var counts: WatchCounts

    enum CodingKeys: String, CodingKey {
        case kind, v, open, counts
        case startNs = "start_ns"
        case endNs = "end_ns"
    }

    public init(startNs: Int64, endNs: Int64, open: Int, counts: WatchCounts) {
        self.startNs = startNs
        self.endNs = endNs
        self.open = open
        self.counts = counts
    }

    public var record: Record { .watchInterval(self) }
}

/// The whole watch phase of one kp-load process (one per shard).
public struct WatchFinalRecord: KPRecord {
    public static let kind = RecordKind.watchFinal
    public var kind: RecordKind = .watchFinal
    public var v: Int = Schema.currentVersion
    /// Watch streams kept: `watchers_per_cluster` × `clusters` × `resources.count`.
    public var watchers: Int
    public var watchersPerCluster: Int
    /// Hot clusters watched (this process's, under `--shard`).
    public var clusters: Int
    /// Watched resources: `memwidgets` (the test resource, which the writers update) and/or `configmaps`.
    public var resources: [String]
    /// From the first watch's start to the stop, ns; `events_per_second` = events / that.
    public var startNs: Int64
    public var endNs: Int64
    public var eventsPerSecond: Double
    public var counts: WatchCounts
    public var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case kind, v, watchers, clusters, resources, counts, interrupted
        case watchersPerCluster = "watchers_per_cluster"
        case startNs = "start_ns"
        case endNs = "end_ns"
        case eventsPerSecond = "events_per_second"
    }

    public init(
        watchers: Int, watchersPerCluster: Int, clusters: Int, resources: [String], startNs: Int64, endNs: Int64,
        eventsPerSecond: Double, counts: WatchCounts, interrupted: Bool
    ) {
        self.watchers = watchers
        self.watchersPerCluster = watchersPerCluster
        self.clusters = clusters
        self.resources = resources
        self.startNs = startNs
        self.endNs = endNs
        self.eventsPerSecond = eventsPerSecond
        self.counts = counts
        self.interrupted = interrupted
    }

    public var record: Record { .watchFinal(self) }
}
