import Foundation
import Yams

/// Regression limits per figure, read from a YAML file (`kp-report compare --thresholds FILE`).
///
/// ```yaml
/// version: 1
/// default:                       # optional: every figure not matched below
///   relative_percent: 10
/// figures:
///   per_vcp.heap_inuse_bytes:    # a figure key (compare.csv's `figure` column) …
///     relative_percent: 10       # … beyond 10 % worse
///     absolute: 65536            # … and more than 64 KiB/VCP worse (the figure's unit)
///     polarity: lower            # lower | higher is better; default: the figure's own
///   "load.*.response_p99_ms":    # … or a glob over keys (fnmatch: * ? [..])
///     relative_percent: 20
/// ```
///
/// A change breaches its limit when it is significant (p < α, at least 4 runs a side), worse by
/// the polarity, and beyond **every** limit the entry gives (so `absolute` is a floor below which
/// a relative jump of a tiny figure does not fail). An exact key wins over a glob; among globs
/// the longest pattern wins. Figures matched by nothing are reported but never gate.
public struct Thresholds: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        /// How much worse, in % of A's median, a change may be.
        public var relativePercent: Double?
        /// How much worse, in the figure's unit, a change may be.
        public var absolute: Double?
        /// Overrides the figure's own polarity.
        public var polarity: FigureSpec.Polarity?
        /// The key or pattern the limit came from (`default` for the default).
        public var source: String
    }

    public var defaultLimit: Limit?
    /// Keys and patterns in the file's order.
    public var entries: [(pattern: String, limit: Limit)]

    public static func == (a: Thresholds, b: Thresholds) -> Bool {
        a.defaultLimit == b.defaultLimit && a.entries.map(\.pattern) == b.entries.map(\.pattern)
            && a.entries.map(\.limit) == b.entries.map(\.limit)
    }

    /// Reads and checks `path`.
    ///
    /// - Throws: ``ThresholdsError`` with one line naming the file, the entry and the fix.
    public init(path: String) throws(ThresholdsError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ThresholdsError(
                "thresholds file '\(path)' cannot be read: pass a YAML file like thresholds.example.yaml")
        }
        try self.init(yaml: text, name: path)
    }

    /// Parses thresholds YAML; `name` is used in error messages.
    public init(yaml: String, name: String = "thresholds") throws(ThresholdsError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ThresholdsError("\(name): not valid YAML (\(first)): see thresholds.example.yaml")
        }
        guard let root, let top = root.mapping else {
            throw ThresholdsError(
                "\(name): expected a mapping with 'figures:' (and optional 'version: 1', 'default:'): see thresholds.example.yaml"
            )
        }
        var defaultLimit: Limit?
        var entries: [(String, Limit)] = []
        for (k, v) in top {
            guard let key = k.string else { throw ThresholdsError("\(name): top-level keys must be strings") }
            switch key {
            case "version":
                guard v.int == 1 else {
                    throw ThresholdsError("\(name): version \(v.string ?? "?") is not supported: use version: 1")
                }
            case "default":
                defaultLimit = try Self.limit(v, source: "default", name: name)
            case "figures":
                guard let m = v.mapping else {
                    throw ThresholdsError("\(name): 'figures' must be a mapping of figure key → limits")
                }
                for (fk, fv) in m {
                    guard let pattern = fk.string, !pattern.isEmpty else {
                        throw ThresholdsError(
                            "\(name): figure keys must be non-empty strings, e.g. per_vcp.heap_inuse_bytes")
                    }
                    entries.append((pattern, try Self.limit(fv, source: pattern, name: name)))
                }
            default:
                throw ThresholdsError("\(name): unknown key '\(key)': use version, default, figures")
            }
        }
        if defaultLimit == nil && entries.isEmpty {
            throw ThresholdsError("\(name): no limits: give 'figures:' entries or a 'default:'")
        }
        self.defaultLimit = defaultLimit
        self.entries = entries
    }

    static func limit(_ node: Node, source: String, name: String) throws(ThresholdsError) -> Limit {
        guard let m = node.mapping else {
            throw ThresholdsError(
                "\(name): '\(source)' must be a mapping with relative_percent, absolute and/or polarity")
        }
        var limit = Limit(source: source)
        for (k, v) in m {
            let key = k.string ?? ""
            switch key {
            case "relative_percent", "absolute":
                guard let d = v.float, d.isFinite, d >= 0 else {
                    throw ThresholdsError("\(name): '\(source)'.\(key) must be a number ≥ 0 (got '\(v.string ?? "?")')")
                }
                if key == "absolute" { limit.absolute = d } else { limit.relativePercent = d }
            case "polarity":
                guard let p = v.string.flatMap(FigureSpec.Polarity.init(rawValue:)) else {
                    throw ThresholdsError(
                        "\(name): '\(source)'.polarity must be lower or higher (got '\(v.string ?? "?")')")
                }
                limit.polarity = p
            default:
                throw ThresholdsError(
                    "\(name): '\(source)' has unknown key '\(key)': use relative_percent, absolute, polarity")
            }
        }
        if limit.relativePercent == nil && limit.absolute == nil {
            throw ThresholdsError("\(name): '\(source)' gives no limit: set relative_percent and/or absolute")
        }
        return limit
    }

    /// The limit for a figure key: the exact entry, else the longest matching glob, else the default.
    public func limit(for key: String) -> Limit? {
        if let e = entries.first(where: { $0.pattern == key }) { return e.limit }
        let globs = entries.filter { $0.pattern != key && fnmatch($0.pattern, key, 0) == 0 }
        if let best = globs.max(by: { $0.pattern.count < $1.pattern.count }) { return best.limit }
        return defaultLimit
    }

    /// Whether a change from `a` to `b` is beyond every limit `limit` gives, in the worse direction.
    public static func beyond(_ limit: Limit, a: Double, b: Double, polarity: FigureSpec.Polarity) -> Bool {
        let worse = polarity == .lowerIsBetter ? b - a : a - b
        guard worse > 0 else { return false }
        if let r = limit.relativePercent {
            guard a != 0 else { return limit.absolute.map { worse > $0 } ?? true }
            if worse / abs(a) * 100 <= r { return false }
        }
        if let abs = limit.absolute, worse <= abs { return false }
        return true
    }
}

/// A thresholds file that cannot be used: one line naming the file, the entry and the fix.
public struct ThresholdsError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
