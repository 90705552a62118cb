import Foundation
import KPRecords
import KPStats

/// The watchers of a `watch-fanout` run (contract §8.2), folded over kp-load's processes: one
/// `watch_final` in load.jsonl, or one per shard file (counts add, histograms merge exactly).
public struct WatchAnalysis: Sendable {
    /// Watch streams in all processes, and the watchers per hot cluster and resource.
    public var watchers: Int
    public var watchersPerCluster: Int
    public var clusters: Int
    public var resources: [String]
    /// The processes' counts added and histograms merged.
    public var tally: WatchTally
    /// Summed over the processes (each saw its own clusters' events over its own watch phase).
    public var eventsPerSecond: Double
    public var interrupted: Bool
    /// Shard files whose `watch_final` is absent (a process that did not finish its watch phase).
    public var missing: [String]

    /// nil when no process wrote a `watch_final`.
    public init?(finals: [(file: String, record: WatchFinalRecord?)]) throws(StatsError) {
        let present = finals.compactMap(\.record)
        guard let first = present.first else { return nil }
        watchers = 0
        watchersPerCluster = first.watchersPerCluster
        clusters = 0
        resources = first.resources
        tally = WatchTally()
        eventsPerSecond = 0
        interrupted = false
        missing = finals.filter { $0.record == nil }.map(\.file)
        for f in present {
            watchers += f.watchers
            clusters += f.clusters
            eventsPerSecond += f.eventsPerSecond
            tally.merge(try WatchTally(f.counts))
            interrupted = interrupted || f.interrupted
        }
    }

    /// Watches the server or the transport ended other than by the server's timeout (`server_end`, which
    /// the watcher asked for with `timeoutSeconds`): 410 Gone, transport errors, other statuses. Watches
    /// that ended once kp-load was stopping are not among them (`tally.stopped`).
    public var abnormalEnds: Int64 { tally.ends.filter { $0.key != "server_end" }.values.reduce(0, +) }

    /// Per watch stream: (with watchers − without) / watchers, from the samples taken while each load
    /// phase ran (`load-watch` and `load`).
    public static func perWatcher(without: SampleRecord, with: SampleRecord, watchers: Int)
        -> [(figure: ResourceFigure, perWatcher: Double)]
    {
        guard watchers > 0 else { return [] }
        return [ResourceFigure.heapInuse, .rss, .goroutines].compactMap { f in
            guard let a = f.value(in: without), let b = f.value(in: with) else { return nil }
            return (f, (b - a) / Double(watchers))
        }
    }
}

extension Report {
    /// The run's watchers, shards folded: nil without a `watch_final`, an error when a histogram is unreadable.
    var watchAnalysis: Result<WatchAnalysis?, StatsError> {
        do { return .success(try WatchAnalysis(finals: data.watchFinals)) } catch { return .failure(error) }
    }

    /// Per watcher = (load-watch − load) / watch streams; nil without both samples.
    func watchPerWatcher(_ w: WatchAnalysis) -> [(figure: ResourceFigure, perWatcher: Double)]? {
        guard let without = phases.row("load"), let with = phases.row("load-watch") else { return nil }
        return WatchAnalysis.perWatcher(without: without.sample, with: with.sample, watchers: w.watchers)
    }

    /// The writers' and readers' response times in the load phase without watchers (nowatch-load*.jsonl,
    /// shards merged) beside the phase with them (load.jsonl): what the watchers cost the other clients.
    var writersComparison: String {
        guard !data.nowatchLoadFinals.isEmpty, let with = data.loadFinal else { return "" }
        func merged(_ finals: [LoadFinalRecord], _ op: String) -> LatencyHistogram? {
            var h: LatencyHistogram?
            for f in finals {
                guard let w = f.ops.first(where: { $0.op == op }), let one = try? LatencyHistogram(wire: w.response)
                else { continue }
                if h == nil { h = one } else { h!.merge(one) }
            }
            return h
        }
        var t = MarkdownTable(["response time", "without watchers p50", "p99", "with watchers p50", "p99"])
        for op in ["write", "read"] {
            let a = merged(data.nowatchLoadFinals, op)
            let b = merged([with], op)
            guard (a?.count ?? 0) + (b?.count ?? 0) > 0 else { continue }
            func p(_ h: LatencyHistogram?, _ q: Double) -> String { Format.latency(h?.percentile(q).map(Double.init)) }
            t.add([op, p(a, 50), p(a, 99), p(b, 50), p(b, 99)])
        }
        return
            "\nThe other clients' response times (end − intended start), same schedule without and with the watchers:\n\n"
            + t.text
    }

    /// `## Watch fan-out`: delivery latency, events/s, bookmarks, watch ends by reason,
    /// re-establishes, and memory and goroutines per watcher. Empty without watch records.
    var watchSection: String {
        guard !data.watchFinals.isEmpty else { return "" }
        var text = "## Watch fan-out\n\n"
        let w: WatchAnalysis?
        switch watchAnalysis {
        case .success(let analysis): w = analysis
        case .failure(let error): return text + "The watch_final histograms could not be read: \(error).\n"
        }
        guard let w else {
            return text + "No watch_final record: kp-load's watchers did not finish (see the load logs).\n"
        }
        text +=
            "\(Format.count(w.watchers)) watch streams (\(w.watchersPerCluster) per hot cluster and resource × \(Format.count(w.clusters)) hot clusters × \(w.resources.joined(separator: ", "))), "
            + "each listed, then watched from the list's resourceVersion with bookmarks, while mixed-hot's writers ran.\n"
        if w.interrupted { text += "\nThe watch phase was interrupted.\n" }
        if !w.missing.isEmpty {
            text +=
                "\n**Missing:** no watch_final in \(w.missing.joined(separator: ", ")); the figures below lack them.\n"
        }
        var t = MarkdownTable(["", ""], rightAligned: [false, true])
        t.add(["events (ADDED / MODIFIED / DELETED)", Format.count(w.tally.events)])
        t.add(["events per second", Format.fixed(w.eventsPerSecond, 1)])
        t.add(["matched to an Update by resourceVersion", Format.count(w.tally.matched)])
        t.add(["unmatched", Format.count(w.tally.unmatched)])
        t.add(["bookmarks", Format.count(w.tally.bookmarks)])
        for (k, v) in w.tally.ends.sorted(by: { $0.key < $1.key }) { t.add(["watches ended: \(k)", Format.count(v)]) }
        if w.tally.ends.isEmpty { t.add(["watches ended by the server", "0"]) }
        t.add(["watches ended abnormally (all but the server's timeout)", Format.count(w.abnormalEnds)])
        t.add(["watches re-established", Format.count(w.tally.reestablished)])
        if w.tally.stopped > 0 {
            t.add(["watches ended by kp-load's stop (not counted above)", Format.count(w.tally.stopped)])
        }
        t.add(["lists (failed)", "\(Format.count(w.tally.lists)) (\(Format.count(w.tally.listErrors)))"])
        text += "\n" + t.text + "\n"

        var l = MarkdownTable(["delivery latency", "n", "p50", "p90", "p99", "p99.9", "max"])
        func row(_ name: String, _ h: LatencyHistogram) {
            func p(_ q: Double) -> String { Format.latency(h.percentile(q).map(Double.init)) }
            l.add([name, Format.count(h.count), p(50), p(90), p(99), p(99.9), Format.latency(h.max.map(Double.init))])
        }
        row("from the Update's send", w.tally.delivery)
        row("from the Update's response", w.tally.fromResponse)
        text += "\n" + l.text + "\n"
        text +=
            "\nDelivery latency = the event's arrival at the watcher − the send time of the Update whose resulting resourceVersion the event carries; "
            + "from the response: − the arrival of that Update's response, clamped at 0 (\(Format.count(w.tally.beforeResponse)) events arrived before the response).\n"

        text += writersComparison
        guard let per = watchPerWatcher(w) else {
            return text
                + "\nPer watcher: not computed: the run needs the `load` and `load-watch` samples (taken while each load phase ran).\n"
        }
        text +=
            "\nPer watcher = (load-watch − load) / \(Format.count(w.watchers)) watch streams, from samples taken while the load ran without and with the watchers.\n\n"
        for p in per {
            let v = p.figure.isBytes ? Format.kib(p.perWatcher) + " KiB" : Format.fixed(p.perWatcher, 2)
            text += "- \(p.figure.title): \(v) per watcher\n"
        }
        if per.isEmpty { text += "No figure is present in both samples.\n" }
        if data.endpoint?.emulator == true { text += "\nThese are kp-sim's figures, not kplane's.\n" }
        return text
    }
}
