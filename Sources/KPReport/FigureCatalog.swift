import Foundation
import KPRunModel

/// Every figure key a run can report (``Report/figures``), with its unit: what a gate may name.
///
/// Compare's thresholds match these keys with globs and let an unmatched key pass; a budgets file
/// (``Budgets``) is checked against this list before a run starts, so a misspelt figure is bad input
/// rather than a budget that silently never applies. The keys are built from the same vocabulary as
/// ``Report/figures``: the run model's phases (``KPRunModel/Scenario``), ``ResourceFigure``,
/// ``LoadAnalysis/opOrder``, the headline's own figures (``Report/headlineOnlyFigures``);
/// KPReportTests.BudgetTests checks that every figure a fixture run of
/// each scenario reports is listed here with its unit.
public enum FigureCatalog {
    /// One group of keys: `prefix` + one of `names`, each with a unit, for each of `placeholders`
    /// (`<phase>`, `<op>`) or once.
    struct Group: Sendable {
        /// The key before the last part, with `<x>` standing for each of `values` (e.g. `load.<op>.`).
        var prefix: String
        var placeholder: String?
        var values: [String]
        var names: [(name: String, unit: String)]

        var keys: [(key: String, unit: String)] {
            let prefixes =
                placeholder.map { p in values.map { prefix.replacingOccurrences(of: p, with: $0) } } ?? [prefix]
            return prefixes.flatMap { pre in names.map { (pre + $0.name, $0.unit) } }
        }

        /// `load.<op>.{response_p50_ms,…}` (op: write, read, …), for error messages.
        var text: String {
            let list = names.count == 1 ? names[0].name : "{" + names.map(\.name).joined(separator: ",") + "}"
            let head = prefix + list
            guard let placeholder else { return head }
            let name = placeholder.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
            return head + " (\(name): " + values.joined(separator: ", ") + ")"
        }
    }

    /// Phase labels of every scenario's samples, the launch sample first, each once.
    static var phases: [String] {
        var out = [Scenario.launchSample.phase]
        for s in Scenario.all { for p in s.phases where !out.contains(p) { out.append(p) } }
        return out
    }

    /// The per-VCP resources (steady) and the scenario figures measured on heap, RSS and goroutines.
    static let perVCPResources: [ResourceFigure] = [.heapInuse, .heapAlloc, .rss, .goroutines, .openFds]
    static let scenarioResources: [ResourceFigure] = [.heapInuse, .rss, .goroutines]

    static func perUnit(_ f: ResourceFigure, _ of: String) -> String {
        f.isBytes ? "bytes/\(of)" : (f == .openFds ? "fds/\(of)" : "goroutines/\(of)")
    }

    static var groups: [Group] {
        let perVCP = perVCPResources.map { ($0.rawValue, perUnit($0, "VCP")) }
        let phase =
            [("cpu_percent", "%")]
            + Report.phaseFigures.map { ($0.0.rawValue, $0.1) }
        let load: [(String, String)] =
            [50, 90, 99].map { ("response_p\($0)_ms", "ms") } + [("achieved_rps", "ops/s"), ("errors", "ops")]
        let reads: [(String, String)] =
            [50, 99].map { ("response_p\($0)_ms", "ms") } + [
                ("bytes_per_answer", "bytes/answer"), ("achieved_rps", "ops/s"), ("errors", "ops"),
            ]
        return [
            Group(prefix: "bootstrap.", values: [], names: [("wall_seconds", "s")]),
            Group(prefix: "per_vcp.", values: [], names: perVCP),
            Group(prefix: "<phase>.", placeholder: "<phase>", values: phases, names: phase),
            Group(prefix: "load.<op>.", placeholder: "<op>", values: LoadAnalysis.opOrder, names: load),
            Group(
                prefix: "load.", values: [],
                names: [("achieved_rps", "ops/s"), ("target_rps", "ops/s"), ("error_percent", "%")]),
            Group(
                prefix: "load.per_hot_vcp.", values: [],
                names: scenarioResources.map { ($0.rawValue, perUnit($0, "VCP")) }),
            Group(
                prefix: "snapshot.warm_per_vcp.", values: [],
                names: scenarioResources.map { ($0.rawValue, perUnit($0, "VCP")) }),
            Group(prefix: "snapshot.warm_pass.", values: [], names: [50, 99].map { ("latency_p\($0)_ms", "ms") }),
            Group(prefix: "snapshot.<reads>.", placeholder: "<reads>", values: ["reads", "reads_warm"], names: reads),
            Group(
                prefix: "watch.per_watcher.", values: [],
                names: scenarioResources.map { ($0.rawValue, perUnit($0, "watcher")) }),
            Group(
                prefix: "watch.", values: [],
                names: [50, 99].map { ("delivery_p\($0)_ms", "ms") } + [
                    ("events_per_second", "events/s"), ("ends_abnormal", "count"),
                ]),
            Group(
                prefix: "teardown.returned_per_vcp.", values: [],
                names: scenarioResources.map { ($0.rawValue, perUnit($0, "VCP")) }),
            Group(
                prefix: "teardown.returned_percent.", values: [], names: scenarioResources.map { ($0.rawValue, "%") }),
            Group(prefix: "teardown.", values: [], names: [("wall_seconds", "s")]),
            Group(prefix: "fleet.", values: [], names: [("ready_seconds", "s")]),
            Group(
                prefix: "restart.", values: [],
                names: [("ready_seconds", "s"), ("all_answered_seconds", "s"), ("first_request_p99_ms", "ms")]),
        ]
    }

    /// Every key with its unit, in report order.
    public static var entries: [(key: String, unit: String)] { groups.flatMap(\.keys) }

    /// The unit of `key`; nil when no run reports such a figure.
    public static func unit(of key: String) -> String? { entries.first { $0.key == key }?.unit }

    /// The keys an exact key or a glob (fnmatch: `*`, `?`, `[..]`) names.
    public static func keys(matching pattern: String) -> [String] {
        entries.map(\.key).filter { $0 == pattern || fnmatch(pattern, $0, 0) == 0 }
    }

    /// The valid keys in a few words each group, for a one-line error message.
    public static var text: String { groups.map(\.text).joined(separator: "; ") }
}

extension FigureCatalog.Group {
    init(prefix: String, placeholder: String? = nil, values: [String], names: [(String, String)]) {
        self.prefix = prefix
        self.placeholder = placeholder
        self.values = values
        self.names = names.map { (name: $0.0, unit: $0.1) }
    }
}
