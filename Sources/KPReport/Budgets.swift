import Foundation
import KPCore
import Yams

/// Absolute limits per figure, read from a YAML file (`--budgets FILE`, budgets.example.yaml).
///
/// ```yaml
/// version: 1
/// budgets:
///   per_vcp.heap_inuse_bytes:      # a figure key (FigureCatalog) …
///     max: 2.5MiB                  # … at most this (a number in the figure's unit, or with a unit)
///     severity: error              # error: the run exits 7 when broken; warning: said, exit 0
///   "load.*.achieved_rps":         # … or a glob over keys (fnmatch: * ? [..]): every match is held to it
///     min: 10
///     severity: warning
/// ```
///
/// Unlike compare's thresholds, a budget needs no baseline: the run's own figure is held against
/// the limit. Every name must be a key of ``FigureCatalog`` (or a glob matching one), so a typo is
/// bad input before the run starts. ``evaluate(_:)`` is the one decision; kp-report states it and
/// kp-run passes kp-report's exit code on.
public struct Budgets: Sendable, Equatable {
    public enum Severity: String, Sendable, Codable {
        /// A broken budget fails the run: exit 7 (``KPCore/KPExitCode/budgetBroken``).
        case error
        /// A broken budget is reported (summary.md, result.json, junit.xml as skipped); exit 0.
        case warning
    }

    /// Which side of the limit holds.
    public enum Bound: String, Sendable, Codable {
        /// Held when the figure is at most the limit.
        case max
        /// Held when the figure is at least the limit.
        case min
    }

    /// One entry of the file.
    public struct Entry: Sendable, Equatable {
        /// The key or glob the entry names.
        public var pattern: String
        public var bound: Bound
        /// In the figure's unit (``FigureSpec/unit``).
        public var limit: Double
        public var severity: Severity
    }

    public var entries: [Entry]

    /// Reads and checks `path`.
    ///
    /// - Throws: ``BudgetsError`` with one line naming the file, the entry and the fix.
    public init(path: String) throws(BudgetsError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BudgetsError("budgets file '\(path)' cannot be read: pass a YAML file like budgets.example.yaml")
        }
        try self.init(yaml: text, name: path)
    }

    /// Parses budgets YAML; `name` is used in error messages.
    public init(yaml: String, name: String = "budgets") throws(BudgetsError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw BudgetsError("\(name): not valid YAML (\(first)): see budgets.example.yaml")
        }
        guard let root, let top = root.mapping else {
            throw BudgetsError(
                "\(name): expected a mapping with 'budgets:' (and optional 'version: 1'): see budgets.example.yaml")
        }
        var entries: [Entry] = []
        for (k, v) in top {
            guard let key = k.string else { throw BudgetsError("\(name): top-level keys must be strings") }
            switch key {
            case "version":
                guard v.int == 1 else {
                    throw BudgetsError("\(name): version \(v.string ?? "?") is not supported: use version: 1")
                }
            case "budgets":
                guard let m = v.mapping else {
                    throw BudgetsError("\(name): 'budgets' must be a mapping of figure key → max or min and severity")
                }
                for (fk, fv) in m {
                    guard let pattern = fk.string, !pattern.isEmpty else {
                        throw BudgetsError(
                            "\(name): figure keys must be non-empty strings, e.g. per_vcp.heap_inuse_bytes")
                    }
                    entries.append(try Self.entry(fv, pattern: pattern, name: name))
                }
            default:
                throw BudgetsError("\(name): unknown key '\(key)': use version, budgets")
            }
        }
        if entries.isEmpty { throw BudgetsError("\(name): no budgets: give 'budgets:' entries") }
        self.entries = entries
    }

    static func entry(_ node: Node, pattern: String, name: String) throws(BudgetsError) -> Entry {
        let keys = FigureCatalog.keys(matching: pattern)
        guard let first = keys.first else {
            throw BudgetsError(
                "\(name): unknown figure '\(pattern)': use a figure key or a glob over them: \(FigureCatalog.text)")
        }
        // A glob over figures of different units would hold them to one number: refuse it.
        let units = Set(keys.compactMap(FigureCatalog.unit(of:)))
        guard units.count == 1, let unit = units.first else {
            throw BudgetsError(
                "\(name): '\(pattern)' matches figures in \(units.sorted().joined(separator: ", ")): one limit needs one unit, narrow the glob (e.g. \(first))"
            )
        }
        guard let m = node.mapping else {
            throw BudgetsError("\(name): '\(pattern)' must be a mapping with max or min and severity")
        }
        var bound: (Bound, Double)?
        var severity: Severity?
        for (k, v) in m {
            let key = k.string ?? ""
            switch key {
            case "max", "min":
                if bound != nil {
                    throw BudgetsError("\(name): '\(pattern)' gives both max and min: give one of them")
                }
                let value = try Self.value(v, unit: unit, field: "'\(pattern)'.\(key)", name: name)
                bound = (key == "max" ? .max : .min, value)
            case "severity":
                guard let s = v.string.flatMap(Severity.init(rawValue:)) else {
                    throw BudgetsError(
                        "\(name): '\(pattern)'.severity must be error or warning (got '\(v.string ?? "?")')")
                }
                severity = s
            default:
                throw BudgetsError("\(name): '\(pattern)' has unknown key '\(key)': use max or min, and severity")
            }
        }
        guard let bound else {
            throw BudgetsError("\(name): '\(pattern)' gives no limit: set max (at most) or min (at least)")
        }
        guard let severity else {
            throw BudgetsError("\(name): '\(pattern)' gives no severity: add severity: error or severity: warning")
        }
        return Entry(pattern: pattern, bound: bound.0, limit: bound.1, severity: severity)
    }

    /// Byte multipliers a byte figure's limit may carry (`2.5MiB`, `512Ki`, `64KiB`, `100B`).
    static let byteUnits: [(String, Double)] = [
        ("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10), ("Ti", 0x1p40), ("Gi", 0x1p30),
        ("Mi", 0x1p20), ("Ki", 0x1p10), ("B", 1),
    ]

    /// A limit in the figure's unit: a number, a size with a binary unit for byte figures, or a
    /// duration (Go's grammar: `50ms`, `1.5s`) for figures in ms or s.
    static func value(_ node: Node, unit: String, field: String, name: String) throws(BudgetsError) -> Double {
        let text = (node.string ?? "").trimmingCharacters(in: .whitespaces)
        if let d = Double(text), d.isFinite { return d }
        if unit.hasPrefix("bytes") {
            for (suffix, factor) in byteUnits where text.hasSuffix(suffix) {
                if let d = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), d.isFinite, d >= 0
                {
                    return d * factor
                }
            }
            throw BudgetsError(
                "\(name): \(field) '\(text)' is not a size: give \(unit) as a number or with a unit, e.g. 2.5MiB, 512KiB"
            )
        }
        if unit == "ms" || unit == "s" {
            do {
                let d = try DurationGrammar.parseNonNegative(text)
                return DurationGrammar.seconds(d) * (unit == "ms" ? 1000 : 1)
            } catch {
                throw BudgetsError(
                    "\(name): \(field) '\(text)' is not a duration (\(error)): give \(unit) as a number or a duration, e.g. 50ms, 1.5s"
                )
            }
        }
        throw BudgetsError("\(name): \(field) '\(text)' is not a number: give it in the figure's unit (\(unit))")
    }

    /// Every budget held against a run's figures: one result per figure an entry names (an exact
    /// key, or each figure a glob matches), or one `unmeasured` result when the run has none of them.
    public func evaluate(_ figures: [FigureValue]) -> [BudgetResult] {
        var out: [BudgetResult] = []
        for e in entries {
            let matched = figures.filter { $0.spec.key == e.pattern || fnmatch(e.pattern, $0.spec.key, 0) == 0 }
            if matched.isEmpty {
                let key = FigureCatalog.keys(matching: e.pattern).first ?? e.pattern
                let unit = FigureCatalog.unit(of: key) ?? ""
                out.append(
                    BudgetResult(
                        entry: e,
                        spec: FigureSpec(key: e.pattern, title: e.pattern, unit: unit, polarity: .lowerIsBetter),
                        measured: nil))
                continue
            }
            for f in matched { out.append(BudgetResult(entry: e, spec: f.spec, measured: f.value)) }
        }
        return out
    }
}

/// One budget held against one figure of a run.
public struct BudgetResult: Sendable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        case held
        case broken
        /// The run has no such figure (another scenario's, or a sample that failed).
        case unmeasured
    }

    public var entry: Budgets.Entry
    public var spec: FigureSpec
    public var measured: Double?

    public var verdict: Verdict {
        guard let m = measured else { return .unmeasured }
        switch entry.bound {
        case .max: return m <= entry.limit ? .held : .broken
        case .min: return m >= entry.limit ? .held : .broken
        }
    }

    /// `≤ 1.5 MiB` / `≥ 10.00`: the limit in the figure's unit.
    public var limitText: String { (entry.bound == .max ? "≤ " : "≥ ") + spec.format(entry.limit) }

    /// `per_vcp.heap_inuse_bytes: measured 2048.0 KiB, max ≤ 1536.0 KiB (error)`.
    public var line: String {
        let measuredText = measured.map { spec.format($0) } ?? "not measured"
        return "\(spec.key): measured \(measuredText), limit \(limitText) (\(entry.severity.rawValue))"
    }
}

extension [BudgetResult] {
    /// Broken budgets of `severity`.
    public func broken(_ severity: Budgets.Severity) -> [BudgetResult] {
        filter { $0.verdict == .broken && $0.entry.severity == severity }
    }
}

/// A budgets file that cannot be used: one line naming the file, the entry and the fix.
public struct BudgetsError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
