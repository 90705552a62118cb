import KPRecords
import KPRunModel
import KPStats

/// summary.md's "kplane internals": per phase, kplane's own figures (contract §5.2) and the upstream
/// ones beside them (§5.3), read from the whole families each one-shot sample carries
/// (``KPRunModel/InternalsFamilies``), and the invariants the contract states, held or broken.
///
/// Gauges are read at the phase's sample. Counters and histograms are read over the phase's window,
/// from the previous phase's sample to this one (the first phase: from the target's start), as
/// Prometheus' `increase()` does, a counter reset taking the later value whole. A family the target
/// did not expose is `absent`, one the run did not ask for `not scraped`: never 0.
public struct InternalsAnalysis: Sendable {
    /// One cell's worth: a figure's text, or why there is none.
    public enum Cell: Sendable, Equatable {
        case value(String)
        /// The sample asked for the family and the target did not expose it.
        case absent
        /// The sample did not ask for the family.
        case notScraped

        var text: String {
            switch self {
            case .value(let s): s
            case .absent: "absent"
            case .notScraped: "not scraped"
            }
        }
    }

    /// One invariant's verdict in one phase.
    public enum Verdict: Sendable, Equatable {
        case held(String)
        case broken(String)
        case notCheckable(String)

        var text: String {
            switch self {
            case .held(let s): "held: " + s
            case .broken(let s): "**BROKEN**: " + s
            case .notCheckable(let s): "not checkable: " + s
            }
        }
    }

    /// A figure or invariant row: its title and one cell per phase.
    public struct Row: Sendable {
        public var title: String
        public var cells: [Cell]
    }

    public struct InvariantRow: Sendable {
        public var title: String
        public var verdicts: [Verdict]
    }

    /// The phases, in the report's order.
    public var phases: [String] = []
    public var rows: [Row] = []
    public var invariants: [InvariantRow] = []
    /// Families no phase sample exposed although asked for.
    public var absentEverywhere: [String] = []
    /// False when no sample asked for any of the families (a run from before they were recorded).
    public var recorded = false

    /// The invariants' titles.
    public static let oneRuntime =
        "one shared CRD runtime (`mc_crd_runtime_create_total{status=\"success\"}` reaches 1, never more)"
    public static let storesPerType =
        "one shared store per resource type, not per VCP (`mc_storage_ensure_store_total` ≤ 1 per `server`, `resourcePrefix`)"

    public init(phases analysis: PhaseAnalysis) {
        let samples = analysis.rows.map(\.sample)
        phases = analysis.rows.map(\.phase)
        recorded = samples.contains { s in
            InternalsFamilies.all.contains { name in
                s.families?.contains { $0.name == name } == true || s.missing?[name] != nil
            }
        }
        guard recorded else { return }
        let windows = samples.indices.map { i in (before: i > 0 ? samples[i - 1] : nil, after: samples[i]) }
        func row(_ title: String, _ family: String, _ value: (MetricFamilyWire, MetricFamilyWire?) -> String) -> Row {
            Row(
                title: title,
                cells: windows.map { w in
                    Self.cell(family, in: w.after) { value($0, w.before.flatMap { Self.family(family, in: $0) }) }
                })
        }
        rows.append(
            row("shared stores (`mc_storage_ensure_store_total`)", "mc_storage_ensure_store_total") { f, _ in
                Self.storesText(f)
            })
        rows.append(
            row("CRD runtime creates (`mc_crd_runtime_create_total`)", "mc_crd_runtime_create_total") { f, _ in
                Self.byLabel(f, "status")
            })
        rows.append(
            row("CRD serves lookups in the phase (`mc_crd_serves_lookup_total`)", "mc_crd_serves_lookup_total") {
                f, before in
                Format.count(Self.increase(f, before))
            })
        rows.append(
            Row(
                title: "serves-lookup cache hit ratio in the phase (`mc_crd_serves_cache_hit_total` / `…miss_total`)",
                cells: windows.map { w in Self.hitRatio(before: w.before, after: w.after) }))
        rows.append(
            row("serves-lookup latency p99 in the phase", "mc_crd_serves_lookup_latency_seconds") { f, before in
                Self.p99(f, before)
            })
        for queue in InternalsFamilies.kplaneQueues {
            let only = ["name": queue]
            rows.append(
                row("workqueue depth `\(queue)`", "workqueue_depth") { f, _ in
                    Self.sum(f, where: only).map(Format.count) ?? "no series"
                })
            rows.append(
                row("workqueue queue latency p99 `\(queue)`", "workqueue_queue_duration_seconds") { f, before in
                    Self.p99(f, before, where: only)
                })
            rows.append(
                row("workqueue work latency p99 `\(queue)`", "workqueue_work_duration_seconds") { f, before in
                    Self.p99(f, before, where: only)
                })
        }
        rows.append(
            row("in-flight requests (`apiserver_current_inflight_requests`)", "apiserver_current_inflight_requests") {
                f, _ in
                Self.byLabel(f, "request_kind")
            })
        rows.append(
            row(
                "APF requests in queue (`apiserver_flowcontrol_current_inqueue_requests`)",
                "apiserver_flowcontrol_current_inqueue_requests"
            ) { f, _ in Format.count(Self.sum(f)) })
        rows.append(
            row(
                "APF rejections in the phase (`apiserver_flowcontrol_rejected_requests_total`)",
                "apiserver_flowcontrol_rejected_requests_total"
            ) { f, before in Format.count(Self.increase(f, before)) })
        rows.append(
            row(
                "watch-cache events received in the phase (`apiserver_watch_cache_events_received_total`)",
                "apiserver_watch_cache_events_received_total"
            ) { f, before in Format.count(Self.increase(f, before)) })
        rows.append(
            row(
                "watch-cache events dispatched in the phase (`apiserver_watch_cache_events_dispatched_total`)",
                "apiserver_watch_cache_events_dispatched_total"
            ) { f, before in Format.count(Self.increase(f, before)) })
        rows.append(
            row("etcd request p99 in the phase (`etcd_request_duration_seconds`)", "etcd_request_duration_seconds") {
                f, before in Self.p99(f, before)
            })
        rows.append(
            row("GC pause, largest of the last (`go_gc_duration_seconds` quantile 1)", "go_gc_duration_seconds") {
                f, _ in
                guard let max = f.samples.first(where: { $0.name == f.name && $0.labels["quantile"] == "1" }) else {
                    return "no quantile 1"
                }
                // A summary: its quantiles are over the last GCs; it has no p99, only min, quartiles and max.
                return Format.latency(max.value.value * 1e9)
            })
        invariants = [
            InvariantRow(
                title: Self.oneRuntime,
                verdicts: samples.map { s in
                    Self.cell("mc_crd_runtime_create_total", in: s) { _ in "" } == .notScraped
                        ? .notCheckable("not scraped")
                        : Self.runtimeVerdict(Self.family("mc_crd_runtime_create_total", in: s))
                }),
            InvariantRow(
                title: Self.storesPerType,
                verdicts: samples.map { s in
                    Self.cell("mc_storage_ensure_store_total", in: s) { _ in "" } == .notScraped
                        ? .notCheckable("not scraped")
                        : Self.storesVerdict(Self.family("mc_storage_ensure_store_total", in: s))
                }),
        ]
        absentEverywhere = InternalsFamilies.all.filter { name in
            samples.allSatisfy { Self.family(name, in: $0) == nil } && samples.contains { $0.missing?[name] != nil }
        }
    }

    // MARK: - reading families

    static func family(_ name: String, in sample: SampleRecord) -> MetricFamilyWire? {
        sample.families?.first { $0.name == name }
    }

    static func cell(_ name: String, in sample: SampleRecord, _ value: (MetricFamilyWire) -> String) -> Cell {
        if let f = family(name, in: sample) { return .value(value(f)) }
        return sample.missing?[name] != nil ? .absent : .notScraped
    }

    /// The samples of a counter or gauge family (not `_bucket`/`_sum`/`_count`), matching `labels`.
    static func plain(_ f: MetricFamilyWire, where labels: [String: String] = [:]) -> [MetricSampleWire] {
        f.samples.filter { s in s.name == f.name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
    }

    static func sum(_ f: MetricFamilyWire, where labels: [String: String] = [:]) -> Double? {
        let samples = plain(f, where: labels)
        return samples.isEmpty ? nil : samples.reduce(0) { $0 + $1.value.value }
    }

    /// A counter family's increase since `before`, series by series (a series that went down restarted:
    /// its value is taken whole; a series new since `before` counts from 0).
    static func increase(_ f: MetricFamilyWire, _ before: MetricFamilyWire?) -> Double {
        var earlier: [String: Double] = [:]
        for s in before.map({ plain($0) }) ?? [] { earlier[PromHistogram.key(s.labels)] = s.value.value }
        return plain(f).reduce(0) { total, s in
            let b = earlier[PromHistogram.key(s.labels)] ?? 0
            return total + (s.value.value >= b ? s.value.value - b : s.value.value)
        }
    }

    /// `value (label=value)` pairs of a family, e.g. `success 1` or `mutating 0, readOnly 3`.
    static func byLabel(_ f: MetricFamilyWire, _ label: String) -> String {
        let samples = plain(f).sorted { ($0.labels[label] ?? "") < ($1.labels[label] ?? "") }
        guard !samples.isEmpty else { return "no series" }
        return samples.map { "\($0.labels[label] ?? "?") \(Format.count($0.value.value))" }.joined(separator: ", ")
    }

    static func storesText(_ f: MetricFamilyWire) -> String {
        let samples = plain(f).filter { $0.value.value > 0 }
        guard !samples.isEmpty else { return "no series" }
        var byServer: [String: Int] = [:]
        for s in samples { byServer[s.labels["server"] ?? "?", default: 0] += 1 }
        let parts = byServer.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(samples.count) resource types (\(parts))"
    }

    /// The p99 of a histogram family (all its series summed, those matching `labels`) over the window.
    static func p99(_ f: MetricFamilyWire, _ before: MetricFamilyWire?, where labels: [String: String] = [:])
        -> String
    {
        func matching(_ family: MetricFamilyWire) -> [PromHistogram] {
            PromHistogram.series(from: family).filter { h in labels.allSatisfy { h.labels[$0.key] == $0.value } }
        }
        let after = matching(f)
        guard !after.isEmpty else { return "no series" }
        let window = PromHistogram.deltas(after: after, before: before.map(matching) ?? []).series
        guard let total = PromHistogram.aggregate(window, by: "").values.first, (total.observations ?? 0) > 0 else {
            return "no observations"
        }
        return Format.bucketQuantile(total.quantile(0.99))
    }

    static func hitRatio(before: SampleRecord?, after: SampleRecord) -> Cell {
        let hitName = "mc_crd_serves_cache_hit_total"
        let missName = "mc_crd_serves_cache_miss_total"
        let hits = family(hitName, in: after)
        let misses = family(missName, in: after)
        if hits == nil && misses == nil {
            return cell(hitName, in: after) { _ in "" } == .notScraped ? .notScraped : .absent
        }
        let h = hits.map { increase($0, before.flatMap { family(hitName, in: $0) }) } ?? 0
        let m = misses.map { increase($0, before.flatMap { family(missName, in: $0) }) } ?? 0
        guard h + m > 0 else { return .value("no lookups") }
        return .value("\(Format.percent(100 * h / (h + m))) of \(Format.count(h + m))")
    }

    static func runtimeVerdict(_ f: MetricFamilyWire?) -> Verdict {
        guard let f else { return .notCheckable("absent (no runtime created yet, or not exported)") }
        let success = sum(f, where: ["status": "success"]) ?? 0
        let errors = sum(f, where: ["status": "error"]) ?? 0
        if success > 1 { return .broken("\(Format.count(success)) runtimes created") }
        if success == 1 { return .held("1 runtime created") }
        if errors > 0 { return .broken("no runtime created, \(Format.count(errors)) failed creates") }
        return .notCheckable("no runtime created yet")
    }

    static func storesVerdict(_ f: MetricFamilyWire?) -> Verdict {
        guard let f else { return .notCheckable("absent (no shared store made yet, or not exported)") }
        let samples = plain(f)
        guard !samples.isEmpty else { return .notCheckable("no series") }
        let repeated = samples.filter { $0.value.value > 1 }.sorted {
            ($0.labels["resourcePrefix"] ?? "") < ($1.labels["resourcePrefix"] ?? "")
        }
        guard repeated.isEmpty else {
            let names = repeated.prefix(3).map {
                "\($0.labels["resourcePrefix"] ?? "?") ×\(Format.count($0.value.value))"
            }
            return .broken(
                "\(repeated.count) resource types ensured more than once (\(names.joined(separator: ", "))\(repeated.count > 3 ? ", …" : ""))"
            )
        }
        return .held("\(samples.count) resource types, each ensured once")
    }
}

extension Report {
    /// summary.md's "kplane internals" section; empty when no sample carries the families.
    var internalsSection: String {
        let a = internals
        guard a.recorded else { return "" }
        var text = "## kplane internals\n\n"
        text +=
            "kplane's own metrics (contract §5.2) and the upstream ones beside them (§5.3), from the families each phase's sample carries. "
            + "Gauges are read at the sample; counts and p99s are over the phase (since the previous phase's sample). "
            + "`absent`: the target did not expose the family; `not scraped`: the run did not ask for it.\n\n"
        var t = MarkdownTable([""] + a.phases, rightAligned: [false] + a.phases.map { _ in true })
        for row in a.rows { t.add([row.title] + row.cells.map(\.text)) }
        text += t.text
        text += "\nInvariants the contract states:\n\n"
        var v = MarkdownTable(["invariant"] + a.phases, rightAligned: [false] + a.phases.map { _ in false })
        for row in a.invariants { v.add([row.title] + row.verdicts.map(\.text)) }
        text += v.text
        if !a.absentEverywhere.isEmpty {
            text +=
                "\nAbsent from every sample (not exposed by the target): "
                + a.absentEverywhere.map { "`\($0)`" }.joined(separator: ", ") + ".\n"
        }
        return text
    }

    /// The internals of this run's phases.
    public var internals: InternalsAnalysis { InternalsAnalysis(phases: phases) }
}
