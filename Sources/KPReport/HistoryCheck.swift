import Foundation
import KPCore
import Yams

/// The checked-in Otava config (history/otava.yaml): the `kp-bench` template's time column,
/// attributes and each metric's direction.
public struct HistoryOtavaConfig: Sendable, Equatable {
    public var timeColumn: String
    public var attributes: [String]
    /// Figure column → Otava direction: -1 lower is better, 1 higher is better.
    public var directions: [String: Int]

    public static let templateName = "kp-bench"

    public init(timeColumn: String = "time", attributes: [String], directions: [String: Int]) {
        self.timeColumn = timeColumn
        self.attributes = attributes
        self.directions = directions
    }

    /// Reads the `kp-bench` template of the Otava config at `path`.
    public init(path: String) throws(HistoryError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HistoryError(
                "--config \(path): cannot be read; give Otava's config for the history (history/otava.yaml)")
        }
        let root: Any?
        do { root = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw HistoryError("--config \(path): not YAML (\(error)); fix the file")
        }
        guard let top = root as? [String: Any], let templates = top["templates"] as? [String: Any],
            let t = templates[Self.templateName] as? [String: Any]
        else {
            throw HistoryError(
                "--config \(path): no templates.\(Self.templateName); start from history/otava.yaml")
        }
        guard let metrics = t["metrics"] as? [String: Any], !metrics.isEmpty else {
            throw HistoryError(
                "--config \(path): templates.\(Self.templateName).metrics is empty; list each figure with its direction"
            )
        }
        var directions: [String: Int] = [:]
        for (k, v) in metrics {
            let d = (v as? [String: Any])?["direction"]
            guard let n = (d as? Int) ?? (d as? String).flatMap(Int.init), n == 1 || n == -1 else {
                throw HistoryError(
                    "--config \(path): metric \(k) needs direction 1 (higher is better) or -1 (lower is better)")
            }
            directions[k] = n
        }
        self.init(
            timeColumn: t["time_column"] as? String ?? "time",
            attributes: (t["attributes"] as? [String]) ?? ["run_id", "commit", "branch"], directions: directions)
    }
}

/// `kp-report history check`: Apache Otava's change points over the history, and the gate (exit 5 when
/// one worse than `minChangePercent` lies in the last `lastRuns` runs of its series).
///
/// A history holds many scenarios, N and branches, and Otava reads every metric of every row as a
/// number; so the check gives Otava one test per (scenario, N, branch), each with the figures all of
/// that series' runs have, and runs Otava once over all of them (`otava analyze … --output json`,
/// config in a temporary file named by `OTAVA_CONFIG`). From a CSV history each test reads a CSV of its
/// rows; from PostgreSQL each test is a query Otava runs itself.
public struct HistoryCheck: Sendable {
    /// One series Otava analyses.
    public struct Series: Sendable, Equatable {
        public var scenario: String
        public var clusters: String
        public var branch: String
        /// Oldest first.
        public var rows: [HistoryRow]
        /// The figures every row has and the config gives a direction.
        public var metrics: [String]

        /// Otava's test name: `<scenario>-<N>`, with `@<branch>` when the branch is set.
        public var name: String { "\(scenario)-\(clusters)" + (branch.isEmpty ? "" : "@\(branch)") }
    }

    /// One change point Otava found.
    public struct ChangePoint: Sendable, Equatable {
        public var series: String
        public var metric: String
        /// The index in the series (oldest 0) of the first run after the change.
        public var index: Int
        /// How many runs the series has from this one to the newest, this one included.
        public var runsAgo: Int
        public var commit: String
        public var runID: String
        public var meanBefore: Double
        public var meanAfter: Double
        public var changePercent: Double
        public var p: Double
        public var direction: Int
        /// The change goes the wrong way for the metric.
        public var worse: Bool
        /// Worse by at least the minimum change, in the last runs: the gate's finding.
        public var gates: Bool
    }

    public struct Outcome: Sendable {
        public var series: [Series]
        public var changePoints: [ChangePoint]
        /// Figure columns of the history that the config has no direction for (not analysed).
        public var unconfigured: [String]
        public var skipped: [String]
        public var gating: [ChangePoint] { changePoints.filter(\.gates) }
    }

    public var config: HistoryOtavaConfig
    public var minChangePercent: Double
    public var lastRuns: Int
    /// The `otava` program.
    public var otava: String

    /// A series needs this many runs before Otava can split it.
    public static let minimumRuns = 4

    /// Otava keeps its own defaults for the test: change points with p < 0.001, no minimum magnitude
    /// (the gate applies `minChangePercent`).
    public init(config: HistoryOtavaConfig, minChangePercent: Double, lastRuns: Int, otava: String) {
        self.config = config
        self.minChangePercent = minChangePercent
        self.lastRuns = lastRuns
        self.otava = otava
    }

    /// The table split into series (in order of first appearance), rows oldest first.
    public func series(of table: HistoryTable) -> (series: [Series], skipped: [String]) {
        var order: [String] = []
        var groups: [String: [HistoryRow]] = [:]
        for r in table.rows {
            let key = [r.scenario, r.clusters, r.branch].joined(separator: "\u{1f}")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        var out: [Series] = []
        var skipped: [String] = []
        for key in order {
            let rows = HistoryTime.sorted(groups[key]!)
            let first = rows[0]
            let metrics = table.figureColumns.filter { c in
                config.directions[c] != nil && rows.allSatisfy { $0.figures[c] != nil }
            }
            let s = Series(
                scenario: first.scenario, clusters: first.clusters, branch: first.branch, rows: rows, metrics: metrics)
            if rows.count < Self.minimumRuns {
                skipped.append("\(s.name): \(rows.count) run(s), fewer than \(Self.minimumRuns)")
            } else if metrics.isEmpty {
                skipped.append("\(s.name): no figure that every run has")
            } else {
                out.append(s)
            }
        }
        return (out, skipped)
    }

    /// The check over a CSV history: the series' rows go to Otava as CSV files in a temporary folder.
    public func run(table: HistoryTable) throws(HistoryError) -> Outcome {
        try run(table: table, postgres: nil)
    }

    /// The check over a history read from `postgres` (Otava reads the table itself, one query per series).
    public func run(table: HistoryTable, postgres: HistoryPostgres?) throws(HistoryError) -> Outcome {
        let (series, skipped) = self.series(of: table)
        let unconfigured = table.figureColumns.filter { config.directions[$0] == nil }
        guard !series.isEmpty else {
            return Outcome(series: [], changePoints: [], unconfigured: unconfigured, skipped: skipped)
        }
        let dir = NSTemporaryDirectory() + "kp-history-check-\(getpid())-\(UUID().uuidString.prefix(8))"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw HistoryError("cannot create a temporary folder \(dir): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var yaml =
            "# Written by kp-report history check from history/otava.yaml's template, one test per series.\ntests:\n"
        for (i, s) in series.enumerated() {
            yaml += "  \(Self.yamlString(s.name)):\n"
            if let postgres {
                yaml += "    type: postgres\n"
                yaml += "    query: \(Self.yamlString(try Self.query(s, table: postgres.table)))\n"
            } else {
                let file = "\(dir)/series-\(i).csv"
                var t = HistoryTable(columns: HistoryRow.attributeColumns + s.metrics, rows: s.rows)
                t.columns = HistoryRow.attributeColumns + s.metrics
                do { try FileOutput.writeAtomically(t.csv, to: file) } catch {
                    throw HistoryError("cannot write \(file): \(error)")
                }
                yaml += "    type: csv\n    file: \(Self.yamlString(file))\n"
            }
            yaml += "    time_column: \(Self.yamlString(config.timeColumn))\n"
            yaml += "    attributes: [\(config.attributes.map(Self.yamlString).joined(separator: ", "))]\n"
            yaml += "    metrics:\n"
            for m in s.metrics { yaml += "      \(Self.yamlString(m)): {direction: \(config.directions[m]!)}\n" }
        }
        let configPath = dir + "/otava.yaml"
        do { try FileOutput.writeAtomically(yaml, to: configPath) } catch {
            throw HistoryError("cannot write \(configPath): \(error)")
        }
        guard let exe = ExecutableSearch.find(otava) else {
            throw HistoryError(
                "\(otava) not found: install Apache Otava (scripts/install-deps.sh test installs the pinned apache-otava), or give --otava PATH"
            )
        }
        var env = ProcessInfo.processInfo.environment
        env["OTAVA_CONFIG"] = configPath
        // Otava also reads ~/.otava/otava.yaml; HOME points elsewhere so only this config counts.
        env["HOME"] = dir
        if let postgres { env.merge(postgres.otavaEnvironment) { $1 } }
        let args =
            ["analyze"] + series.map(\.name) + ["--output", "json"]
            + (postgres != nil ? ["--branch", Self.postgresBranchParameter] : [])
        let r = HistoryProcess.run(exe, args, environment: env)
        let otavaError = r.stderr.split(separator: "\n").first { $0.hasPrefix("ERROR") }.map(String.init)
        guard r.status == 0 else {
            throw HistoryError(
                "otava exit \(r.status): \(otavaError ?? r.stderr.split(separator: "\n").last.map(String.init) ?? "no message")"
            )
        }
        var found: [String: [[String: Any]]] = [:]
        for line in r.stdout.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            for (k, v) in obj { found[k] = v as? [[String: Any]] ?? [] }
        }
        var points: [ChangePoint] = []
        for s in series {
            guard let groups = found[s.name] else {
                throw HistoryError("otava gave no result for \(s.name): \(otavaError ?? "no message on stderr")")
            }
            for g in groups {
                let attrs = g["attributes"] as? [String: Any] ?? [:]
                for c in g["changes"] as? [[String: Any]] ?? [] {
                    guard let metric = c["metric"] as? String, let direction = config.directions[metric] else {
                        continue
                    }
                    let index = Self.int(c["index"]) ?? 0
                    let before = Self.double(c["mean_before"]) ?? .nan
                    let after = Self.double(c["mean_after"]) ?? .nan
                    let change = before != 0 ? (after / before - 1) * 100 : .nan
                    let worse = Double(direction) * change < 0
                    let runsAgo = s.rows.count - index
                    let row = index < s.rows.count ? s.rows[index] : nil
                    points.append(
                        ChangePoint(
                            series: s.name, metric: metric, index: index, runsAgo: runsAgo,
                            commit: attrs["commit"] as? String ?? row?.commit ?? "",
                            runID: attrs["run_id"] as? String ?? row?.runID ?? "", meanBefore: before, meanAfter: after,
                            changePercent: change, p: Self.double(c["pvalue"]) ?? .nan, direction: direction,
                            worse: worse,
                            gates: worse && abs(change) >= minChangePercent && runsAgo <= lastRuns))
                }
            }
        }
        return Outcome(series: series, changePoints: points, unconfigured: unconfigured, skipped: skipped)
    }

    /// The lines `kp-report history check` prints: each change point, then the verdict.
    public func lines(_ o: Outcome) -> [String] {
        var out: [String] = []
        for c in o.changePoints {
            let word = c.gates ? "WORSE" : c.worse ? "worse" : "better"
            out.append(
                "change point: \(c.series) \(c.metric) at commit \(c.commit.isEmpty ? "(unknown)" : c.commit) (run \(c.runID), \(c.runsAgo) run(s) ago): \(Self.number(c.meanBefore)) → \(Self.number(c.meanAfter)) (\(Format.signed(c.changePercent, 1)) %), p = \(Self.pText(c.p)); \(word)"
            )
        }
        let analysed = "\(o.series.count) series, \(o.series.reduce(0) { $0 + $1.rows.count }) runs"
        if o.gating.isEmpty {
            out.append(
                "history: \(o.changePoints.count) change point(s) in \(analysed); none worse by \(Format.fixed(minChangePercent, 1)) % or more in the last \(lastRuns) run(s)"
            )
        } else {
            out.append(
                "history: REGRESSION: \(o.gating.count) change point(s) worse by \(Format.fixed(minChangePercent, 1)) % or more in the last \(lastRuns) run(s) (\(o.changePoints.count) in \(analysed))"
            )
        }
        return out
    }

    // MARK: - helpers

    /// The query Otava runs for one series: its rows that have every metric, oldest first. The
    /// series' scenario, N and branch come from the table; only plain names are put into the SQL (as
    /// quoted literals), anything else is refused.
    static func query(_ s: Series, table: String) throws(HistoryError) -> String {
        for (what, v) in [("scenario", s.scenario), ("clusters", s.clusters), ("branch", s.branch)] {
            guard v.range(of: "^[A-Za-z0-9._/@+-]*$", options: .regularExpression) != nil else {
                throw HistoryError(
                    "the history's \(what) '\(v)' has characters Otava's query cannot hold; use letters, digits and ._/@+-"
                )
            }
        }
        for m in s.metrics where m.range(of: "^[a-z0-9_.]+$", options: .regularExpression) == nil {
            throw HistoryError("the history's column '\(m)' is not a figure key; remove it from the table")
        }
        var q = "SELECT * FROM \"\(table)\" WHERE scenario = '\(s.scenario)' AND clusters = '\(s.clusters)'"
        q += " AND branch = '\(s.branch)'"
        for m in s.metrics { q += " AND \"\(m)\" IS NOT NULL" }
        // Otava 0.8.0 passes no query parameters to pg8000 unless the query has %{BRANCH}, and pg8000
        // then fails (len(None)); so the query takes the branch placeholder as a harmless parameter
        // (the check passes --branch, see ``postgresBranchParameter``).
        return q + " AND CAST(%{BRANCH} AS text) IS NOT NULL ORDER BY \"time\", run_id"
    }

    /// The value the PostgreSQL queries' `%{BRANCH}` parameter gets (only made non-null; the branch
    /// each series selects is in its query).
    static let postgresBranchParameter = "kp-bench"

    static func yamlString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func double(_ v: Any?) -> Double? {
        if let d = v as? Double { return d }
        if let n = v as? NSNumber { return n.doubleValue }
        if let s = v as? String { return Double(s) }
        return nil
    }

    static func int(_ v: Any?) -> Int? {
        if let i = v as? Int { return i }
        if let s = v as? String { return Int(s) }
        return nil
    }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return Format.missing }
        return String(format: "%.6g", v)
    }

    static func pText(_ p: Double) -> String {
        guard p.isFinite else { return Format.missing }
        return p < 0.000001 ? "< 0.000001" : Format.fixed(p, 6)
    }
}

/// The history's time column read back (as kp-report writes it, or PostgreSQL's ISO output).
enum HistoryTime {
    static func date(_ s: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: s) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: s) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        for format in [
            "yyyy-MM-dd HH:mm:ss.SSSSSSXXX", "yyyy-MM-dd HH:mm:ss.SSSXXX", "yyyy-MM-dd HH:mm:ssXXX",
            "yyyy-MM-dd HH:mm:ss.SSXXX", "yyyy-MM-dd HH:mm:ss.SXXX",
        ] {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }

    /// Rows oldest first (stable: equal or unreadable times keep their order).
    static func sorted(_ rows: [HistoryRow]) -> [HistoryRow] {
        let keyed = rows.enumerated().map { (i, r) in (i, date(r["time"]) ?? .distantPast, r) }
        return keyed.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.2)
    }
}
