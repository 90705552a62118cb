import KPRecords

/// Watch counts as they accumulate (kp-load: one window, or the phase) or as they are folded (kp-report:
/// the `watch_final` of every shard). The live form of ``KPRecords/WatchCounts``: the same fields, with
/// the histograms as ``LatencyHistogram`` so that tallies merge exactly.
public struct WatchTally: Sendable {
    public var events: Int64 = 0
    public var matched: Int64 = 0
    public var unmatched: Int64 = 0
    public var bookmarks: Int64 = 0
    public var ends: [String: Int64] = [:]
    /// Watches that ended once kp-load was stopping (``KPRecords/WatchCounts/stopped``).
    public var stopped: Int64 = 0
    public var reestablished: Int64 = 0
    public var lists: Int64 = 0
    public var listErrors: Int64 = 0
    public var delivery = LatencyHistogram()
    public var fromResponse = LatencyHistogram()
    public var beforeResponse: Int64 = 0

    public init() {}

    /// A record's counts, histograms decoded.
    public init(_ c: WatchCounts) throws(StatsError) {
        events = c.events
        matched = c.matched
        unmatched = c.unmatched
        bookmarks = c.bookmarks
        ends = c.ends
        stopped = c.stopped ?? 0
        reestablished = c.reestablished
        lists = c.lists
        listErrors = c.listErrors
        delivery = try LatencyHistogram(wire: c.delivery)
        fromResponse = try LatencyHistogram(wire: c.deliveryFromResponse)
        beforeResponse = c.deliveryBeforeResponse
    }

    public mutating func recordMatch(arrivalNs: Int64, sentNs: Int64, responseNs: Int64) {
        matched += 1
        delivery.record(max(0, arrivalNs - sentNs))
        let r = arrivalNs - responseNs
        if r < 0 { beforeResponse += 1 }
        fromResponse.record(max(0, r))
    }

    /// Counts add, histograms merge exactly.
    public mutating func merge(_ o: WatchTally) {
        events += o.events
        matched += o.matched
        unmatched += o.unmatched
        bookmarks += o.bookmarks
        for (k, v) in o.ends { ends[k, default: 0] += v }
        stopped += o.stopped
        reestablished += o.reestablished
        lists += o.lists
        listErrors += o.listErrors
        delivery.merge(o.delivery)
        fromResponse.merge(o.fromResponse)
        beforeResponse += o.beforeResponse
    }

    public var counts: WatchCounts {
        WatchCounts(
            events: events, matched: matched, unmatched: unmatched, bookmarks: bookmarks, ends: ends,
            reestablished: reestablished, lists: lists, listErrors: listErrors, delivery: delivery.fastWire,
            deliveryFromResponse: fromResponse.fastWire, deliveryBeforeResponse: beforeResponse, stopped: stopped)
    }
}
