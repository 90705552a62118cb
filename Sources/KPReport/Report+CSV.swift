import KPRecords
import KPStats

extension Report {
    /// `phases.csv` columns, in order (each documented in docs/reports.md).
    public static let phasesColumns = [
        "phase", "t_ns", "elapsed_seconds", "cpu_seconds", "cpu_percent", "cpu_interval_seconds", "cpu_from",
        "heap_inuse_bytes", "heap_alloc_bytes", "rss_bytes", "goroutines", "open_fds", "vcps",
        "heap_inuse_per_vcp_bytes", "heap_alloc_per_vcp_bytes", "rss_per_vcp_bytes", "goroutines_per_vcp",
        "open_fds_per_vcp", "missing",
    ]

    /// `latency.csv` columns, in order (each documented in docs/reports.md).
    public static let latencyColumns: [String] = {
        var c = ["op", "count", "errors", "error_percent", "conflicts", "target_rps", "achieved_rps"]
        for kind in ["response", "service"] {
            for stat in ["p50", "p90", "p99", "p99_9", "max", "mean"] { c.append("\(kind)_\(stat)_ms") }
        }
        return c
    }()

    /// One row per phase sample, all numbers; absent figures are empty cells named in `missing`.
    public var phasesCSV: String {
        var t = CSVTable(Self.phasesColumns)
        for row in phases.rows {
            let s = row.sample
            func per(_ f: ResourceFigure, _ places: Int) -> String {
                Format.csv(phases.perVCP(f, phase: row.phase), places)
            }
            var missing: [String] = []
            for f in ResourceFigure.allCases {
                if let r = f.missingReason(in: s) { missing.append("\(f.rawValue): \(r)") }
            }
            if s.cpuSeconds != nil, let r = row.cpuMissingReason { missing.append("cpu_percent: \(r)") }
            t.add([
                row.phase, String(s.tNs), Format.csv(row.elapsedNs.map { Double($0) / 1e9 }, 3),
                Format.csv(s.cpuSeconds, 3), Format.csv(row.cpuPercent, 2),
                Format.csv(row.cpuIntervalNs.map { Double($0) / 1e9 }, 3), row.cpuFrom ?? "",
                Format.csv(s.heapInuseBytes, 0), Format.csv(s.heapAllocBytes, 0), Format.csv(s.rssBytes, 0),
                Format.csv(s.goroutines, 0), Format.csv(s.openFds, 0), Format.csv(phases.vcps),
                per(.heapInuse, 1), per(.heapAlloc, 1), per(.rss, 1), per(.goroutines, 4), per(.openFds, 4),
                missing.joined(separator: "; "),
            ])
        }
        return t.text
    }

    /// Header only for bootstrap runs; one row per op for mixed runs (response and service time, ms).
    public var latencyCSV: String {
        var t = CSVTable(Self.latencyColumns)
        for op in load?.ops ?? [] {
            var row = [
                op.op, String(op.count), String(op.errors),
                Format.csv(op.count > 0 ? Double(op.errors) / Double(op.count) * 100 : nil, 3), String(op.conflicts),
                Format.csv(op.targetRps, 3), Format.csv(op.achievedRps, 3),
            ]
            for h in [op.response, op.service] {
                for p in [50.0, 90, 99, 99.9] { row.append(Format.csv(h?.percentile(p).map { Double($0) / 1e6 }, 3)) }
                row.append(Format.csv(h?.max.map { Double($0) / 1e6 }, 3))
                row.append(Format.csv(h?.mean.map { $0 / 1e6 }, 3))
            }
            t.add(row)
        }
        return t.text
    }
}
