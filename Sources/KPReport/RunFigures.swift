import Foundation
import KPStats

/// One figure a run reports that can be compared across runs: a headline, phases, load, snapshot,
/// watch fan-out or teardown number.
public struct FigureSpec: Sendable, Hashable {
    /// Which way is an improvement.
    public enum Polarity: String, Sendable, Hashable {
        /// Memory, CPU, latency, errors, time.
        case lowerIsBetter = "lower"
        /// Achieved rate, events per second, what a teardown gave back.
        case higherIsBetter = "higher"
    }

    /// Stable name used in compare.csv, sweep.csv and thresholds files, e.g. `per_vcp.heap_inuse_bytes`.
    public var key: String
    /// Human name for the Markdown tables.
    public var title: String
    /// Unit of the value: `bytes`, `bytes/VCP`, `goroutines/VCP`, `fds/VCP`, `bytes/watcher`,
    /// `goroutines/watcher`, `bytes/answer`, `%`, `s`, `ms`, `ops/s`, `events/s`, `ops`, `count`.
    public var unit: String
    public var polarity: Polarity

    /// The value in the unit's usual human form (MiB for bytes, KiB for bytes per VCP, watcher or answer).
    public func format(_ v: Double?) -> String {
        guard let v, v.isFinite else { return Format.missing }
        switch unit {
        case "bytes": return Format.bytes(v)
        case "bytes/VCP", "bytes/watcher", "bytes/answer": return Format.fixed(v / 1024, 1) + " KiB"
        case "%": return Format.fixed(v, 1) + "%"
        case "s", "ms": return Format.fixed(v, 3) + " " + unit
        case "ops/s", "events/s": return Format.fixed(v, 2)
        case "ops", "count": return Format.fixed(v, 0)
        default: return Format.fixed(v, 4)
        }
    }

    /// A signed difference in the figure's unit, for threshold messages.
    public func formatDelta(_ v: Double) -> String { (v >= 0 ? "+" : "-") + format(abs(v)) }
}

/// A figure's value in one run.
public struct FigureValue: Sendable {
    public var spec: FigureSpec
    public var value: Double
}

extension Report {
    /// The resources of the phases table, with their figure key and unit.
    static let phaseFigures: [(ResourceFigure, String)] = [
        (.heapInuse, "bytes"), (.heapAlloc, "bytes"), (.rss, "bytes"), (.goroutines, "count"), (.openFds, "count"),
    ]

    /// Every figure of the headline, phases and load tables that this run has, in report order:
    /// bootstrap time, per-VCP heap in-use / heap alloc / RSS / goroutines / fds at steady; per
    /// phase CPU % (the steady one is the headline's idle CPU), heap in-use, heap alloc, RSS,
    /// goroutines, open fds; per load op response p50/p90/p99, achieved rate and errors; then the
    /// scenario's own: ``snapshotFigures``, ``watchFigures``, ``teardownFigures``; then the headline's
    /// figures no table above has (``headlineOnlyFigures``: load cost per hot VCP, error %, total rate,
    /// time to all Fleet members Ready).
    /// An absent figure is left out (never zero-filled).
    public var figures: [FigureValue] {
        var out = FigureList()
        func add(
            _ key: String, _ title: String, _ unit: String, _ v: Double?, _ p: FigureSpec.Polarity = .lowerIsBetter
        ) {
            out.add(key, title, unit, v, p)
        }
        add("bootstrap.wall_seconds", "bootstrap time", "s", bootstrap.wallNs.map { Double($0) / 1e9 })
        for (figure, unit) in [
            (ResourceFigure.heapInuse, "bytes/VCP"), (.heapAlloc, "bytes/VCP"), (.rss, "bytes/VCP"),
            (.goroutines, "goroutines/VCP"), (.openFds, "fds/VCP"),
        ] {
            add(
                "per_vcp.\(figure.rawValue)", "per-VCP \(figure.title) (\(phaseLabel("steady")))", unit,
                phases.perVCP(figure, phase: "steady"))
        }
        for row in phases.rows {
            add(
                "\(row.phase).cpu_percent",
                row.phase == "steady" ? "idle CPU % (\(phaseLabel("steady")))" : "CPU % (\(row.phase))", "%",
                row.cpuPercent)
            for (figure, unit) in Self.phaseFigures {
                add(
                    "\(row.phase).\(figure.rawValue)",
                    "\(figure.title) (\(row.phase == "steady" ? phaseLabel("steady") : row.phase))", unit,
                    figure.value(in: row.sample))
            }
        }
        if let load {
            for op in load.ops {
                for p in [50.0, 90, 99] {
                    let name = "p\(Int(p))"
                    add(
                        "load.\(op.op).response_\(name)_ms", "\(op.op) response \(name)", "ms",
                        op.response?.percentile(p).map { Double($0) / 1e6 })
                }
                add("load.\(op.op).achieved_rps", "\(op.op) achieved rate", "ops/s", op.achievedRps, .higherIsBetter)
                add("load.\(op.op).errors", "\(op.op) errors", "ops", Double(op.errors))
            }
        }
        return out.values + snapshotFigures + watchFigures + teardownFigures + headlineOnlyFigures
    }

    /// Scenario `snapshot`, from the values `## Snapshot` prints: the first-warm cost per VCP
    /// (`snapshot.warm_per_vcp.*`), the warm pass's latency per VCP p50/p99, and the snapshot reads
    /// under load under `snapshot.reads` (no `warm`) or `snapshot.reads_warm` (`warm=true`): response
    /// p50/p99, mean bytes per answer, achieved rate, errors.
    public var snapshotFigures: [FigureValue] {
        var out = FigureList()
        for c in snapshotWarmCosts ?? [] {
            out.add(
                "snapshot.warm_per_vcp.\(c.figure.rawValue)", "first-warm \(c.figure.title) per VCP",
                c.figure.isBytes ? "bytes/VCP" : "goroutines/VCP", c.perVCP)
        }
        if let h = snapshotWarmLatency {
            for p in [50.0, 99] {
                out.add(
                    "snapshot.warm_pass.latency_p\(Int(p))_ms", "snapshot warm pass latency p\(Int(p))", "ms",
                    h.percentile(p).map { Double($0) / 1e6 })
            }
        }
        if let f = snapshotLoad {
            let reads = f.warm ? "reads_warm" : "reads"
            let name = f.warm ? "snapshot reads (warm=true)" : "snapshot reads"
            for p in [50.0, 99] {
                out.add(
                    "snapshot.\(reads).response_p\(Int(p))_ms", "\(name) response p\(Int(p))", "ms",
                    f.response.percentile(p).map { Double($0) / 1e6 })
            }
            out.add("snapshot.\(reads).bytes_per_answer", "\(name) bytes per answer", "bytes/answer", f.bytesPerAnswer)
            out.add("snapshot.\(reads).achieved_rps", "\(name) achieved rate", "ops/s", f.achievedRps, .higherIsBetter)
            out.add("snapshot.\(reads).errors", "\(name) errors", "ops", Double(f.errors))
        }
        return out.values
    }

    /// Scenario `watch-fanout`, from the values `## Watch fan-out` prints: heap, RSS and goroutines
    /// per watcher, delivery latency (from the Update's send) p50/p99, events per second, and the
    /// watches that ended abnormally (``WatchAnalysis/abnormalEnds``).
    public var watchFigures: [FigureValue] {
        guard case .success(let w?) = watchAnalysis else { return [] }
        var out = FigureList()
        for p in watchPerWatcher(w) ?? [] {
            out.add(
                "watch.per_watcher.\(p.figure.rawValue)", "\(p.figure.title) per watcher",
                p.figure.isBytes ? "bytes/watcher" : "goroutines/watcher", p.perWatcher)
        }
        for p in [50.0, 99] {
            out.add(
                "watch.delivery_p\(Int(p))_ms", "watch event delivery p\(Int(p))", "ms",
                w.tally.delivery.percentile(p).map { Double($0) / 1e6 })
        }
        out.add("watch.events_per_second", "watch events per second", "events/s", w.eventsPerSecond, .higherIsBetter)
        out.add("watch.ends_abnormal", "watches ended abnormally", "count", Double(w.abnormalEnds))
        return out.values
    }

    /// Scenario `teardown`, from the values `## Teardown` prints: per VCP what came back and its share of
    /// the cost (``TeardownReturn/returnedPercent``) for heap in-use, RSS and goroutines, and the
    /// teardown's time.
    public var teardownFigures: [FigureValue] {
        var out = FigureList()
        for r in teardownReturns ?? [] {
            out.add(
                "teardown.returned_per_vcp.\(r.figure.rawValue)", "\(r.figure.title) returned per VCP",
                r.figure.isBytes ? "bytes/VCP" : "goroutines/VCP", r.returnedPerVCP, .higherIsBetter)
            out.add(
                "teardown.returned_percent.\(r.figure.rawValue)", "\(r.figure.title) returned (% of the cost)", "%",
                r.returnedPercent, .higherIsBetter)
        }
        out.add("teardown.wall_seconds", "teardown time", "s", teardownWallNs.map { Double($0) / 1e9 })
        return out.values
    }
}

/// Figures as they are collected: an absent or non-finite value is left out.
struct FigureList {
    var values: [FigureValue] = []

    mutating func add(
        _ key: String, _ title: String, _ unit: String, _ v: Double?, _ p: FigureSpec.Polarity = .lowerIsBetter
    ) {
        guard let v, v.isFinite else { return }
        values.append(FigureValue(spec: FigureSpec(key: key, title: title, unit: unit, polarity: p), value: v))
    }
}

/// Figures of many runs, aligned by key in the order they first appear.
public struct FigureTable: Sendable {
    public var specs: [FigureSpec] = []
    /// key → one value per run that has the figure.
    public var values: [String: [Double]] = [:]

    public init(_ runs: [[FigureValue]]) {
        var seen: Set<String> = []
        for run in runs {
            for f in run {
                if seen.insert(f.spec.key).inserted { specs.append(f.spec) }
                values[f.spec.key, default: []].append(f.value)
            }
        }
    }
}
