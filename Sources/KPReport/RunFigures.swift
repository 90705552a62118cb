import Foundation
import KPStats

/// One figure a run reports that can be compared across runs: a headline, phases or load number.
public struct FigureSpec: Sendable, Hashable {
    /// Which way is an improvement.
    public enum Polarity: String, Sendable, Hashable {
        /// Memory, CPU, latency, errors, time.
        case lowerIsBetter = "lower"
        /// Achieved rate.
        case higherIsBetter = "higher"
    }

    /// Stable name used in compare.csv, sweep.csv and thresholds files, e.g. `per_vcp.heap_inuse_bytes`.
    public var key: String
    /// Human name for the Markdown tables.
    public var title: String
    /// Unit of the value: `bytes`, `bytes/VCP`, `goroutines/VCP`, `fds/VCP`, `%`, `s`, `ms`, `ops/s`, `ops`, `count`.
    public var unit: String
    public var polarity: Polarity

    /// The value in the unit's usual human form (MiB for bytes, KiB for bytes/VCP).
    public func format(_ v: Double?) -> String {
        guard let v, v.isFinite else { return Format.missing }
        switch unit {
        case "bytes": return Format.bytes(v)
        case "bytes/VCP": return Format.fixed(v / 1024, 1) + " KiB"
        case "%": return Format.fixed(v, 1) + "%"
        case "s", "ms": return Format.fixed(v, 3) + " " + unit
        case "ops/s": return Format.fixed(v, 2)
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
    /// goroutines, open fds; per load op response p50/p90/p99, achieved rate and errors.
    /// An absent figure is left out (never zero-filled).
    public var figures: [FigureValue] {
        var out: [FigureValue] = []
        func add(
            _ key: String, _ title: String, _ unit: String, _ v: Double?, _ p: FigureSpec.Polarity = .lowerIsBetter
        ) {
            guard let v, v.isFinite else { return }
            out.append(FigureValue(spec: FigureSpec(key: key, title: title, unit: unit, polarity: p), value: v))
        }
        add("bootstrap.wall_seconds", "bootstrap time", "s", bootstrap.wallNs.map { Double($0) / 1e9 })
        for (figure, unit) in [
            (ResourceFigure.heapInuse, "bytes/VCP"), (.heapAlloc, "bytes/VCP"), (.rss, "bytes/VCP"),
            (.goroutines, "goroutines/VCP"), (.openFds, "fds/VCP"),
        ] {
            add(
                "per_vcp.\(figure.rawValue)", "per-VCP \(figure.title) (steady)", unit,
                phases.perVCP(figure, phase: "steady"))
        }
        for row in phases.rows {
            add(
                "\(row.phase).cpu_percent", row.phase == "steady" ? "idle CPU % (steady)" : "CPU % (\(row.phase))", "%",
                row.cpuPercent)
            for (figure, unit) in Self.phaseFigures {
                add(
                    "\(row.phase).\(figure.rawValue)", "\(figure.title) (\(row.phase))", unit,
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
        return out
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
