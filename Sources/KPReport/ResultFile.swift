import Foundation
import KPCore
import KPRecords

/// `result.json`: the run's verdict for CI systems (docs/records.md, "result.json").
///
/// Versioned like the records (`v`); new fields are additive. Written by every fold, byte-identical
/// on re-fold (keys sorted, no clock: times come from the records).
public struct ResultFile: Codable, Sendable, Equatable {
    public static let version = 1

    /// One threshold or SLO that was checked.
    public struct Check: Codable, Sendable, Equatable {
        /// `api_call_slo`, `load_error_percent`, `generator_limited`.
        public var name: String
        /// `client` / `server` for SLO checks.
        public var source: String?
        /// `all` or a cluster id, for SLO checks.
        public var cluster: String?
        /// The op or verb, for SLO checks.
        public var call: String?
        public var value: Double
        public var threshold: Double
        public var unit: String
        /// `held`, `missed` or `inconclusive`.
        public var verdict: String
        public var note: String?
        /// Server SLO checks: the bounds of the histogram bucket the p99 lies in, in seconds (`value` is
        /// only an estimate inside it). The lower one is 0 for the first bucket; the upper one is
        /// absent for the `+Inf` bucket.
        public var bucketLowerSeconds: Double?
        public var bucketUpperSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case name, source, cluster, call, value, threshold, unit, verdict, note
            case bucketLowerSeconds = "bucket_lower_seconds"
            case bucketUpperSeconds = "bucket_upper_seconds"
        }
    }

    public struct Versions: Codable, Sendable, Equatable {
        public var kpBench: String?
        /// The kp-bench commit, whether its checkout was dirty, and debug or release (run_meta's harness).
        public var kpBenchCommit: String?
        public var kpBenchDirty: Bool?
        public var kpBenchBuild: String?
        public var kpReport: String
        public var recordsSchema: Int
        public var target: String?
        public var targetVersion: String?
        public var targetCommit: String?
        public var emulator: Bool?
        public var image: String?
        public var imageDigest: String?
        enum CodingKeys: String, CodingKey {
            case kpBench = "kp_bench"
            case kpBenchCommit = "kp_bench_commit"
            case kpBenchDirty = "kp_bench_dirty"
            case kpBenchBuild = "kp_bench_build"
            case kpReport = "kp_report"
            case recordsSchema = "records_schema"
            case target
            case targetVersion = "target_version"
            case targetCommit = "target_commit"
            case emulator, image
            case imageDigest = "image_digest"
        }
    }

    public struct SLOSummary: Codable, Sendable, Equatable {
        public var held: Bool
        public var checks: Int
        public var missed: Int
        public var inconclusive: Int
    }

    /// One figure of the headline (``HeadlineFigure``): key, title and unit as in ``Report/figures``.
    public struct HeadlineEntry: Codable, Sendable, Equatable {
        public var key: String
        public var title: String
        public var value: Double
        public var unit: String
        /// What the value is measured from, as summary.md's headline says it.
        public var basis: String
        /// What the value is held against (an achieved rate's target), in its unit.
        public var target: Double?
    }

    /// One absolute budget held against one figure (`--budgets FILE`; ``BudgetResult``).
    public struct Budget: Codable, Sendable, Equatable {
        /// The figure key (a glob's entry gives one budget per figure it matches).
        public var figure: String
        /// The budget file's key or glob.
        public var pattern: String
        /// `max` or `min`.
        public var bound: String
        /// In the figure's unit.
        public var limit: Double
        /// Absent when the run has no such figure.
        public var measured: Double?
        public var unit: String
        /// `error` or `warning`.
        public var severity: String
        /// `held`, `broken` or `unmeasured`.
        public var verdict: String
    }

    public var kind = "result"
    public var v = ResultFile.version
    public var run: String?
    public var scenario: String?
    /// `complete`, `incomplete` or `failed`.
    public var status: String
    /// run_end's own status (`complete`, `incomplete`, `failed`, `interrupted`); absent without run_end.
    public var runStatus: String?
    public var phase: String?
    public var exitCode: Int?
    public var exitName: String?
    public var reasons: [String]
    public var checks: [Check]
    public var slo: SLOSummary?
    public var versions: Versions
    public var settings: [String: String]
    public var startedAt: String?
    public var endedAt: String?
    public var dataProblems: Int
    public var files: [String]
    /// Every budget's verdict (absent when the fold was given no budgets).
    public var budgets: [Budget]?
    /// The headline's figures: the seed's row, then the scenario's own.
    public var headline: [HeadlineEntry]?
    /// The clusters that got load, by name, and the seed that chose them (runs with a load).
    public var hotClusters: [String]?
    public var loadSeed: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, run, scenario, status
        case runStatus = "run_status"
        case phase
        case exitCode = "exit_code"
        case exitName = "exit_name"
        case reasons, checks, slo, versions, settings
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case dataProblems = "data_problems"
        case files, headline, budgets
        case hotClusters = "hot_clusters"
        case loadSeed = "load_seed"
    }
}

extension Report {
    /// The result record; `exitCodeNames` maps exit codes to names (kp-report passes KPExitCode's).
    public func result(exitCodeNames: [Int: String], files: [String]? = nil) -> ResultFile {
        let end = data.runEnd
        let reasons = incompleteReasons
        let status: String
        if let end, end.status == "failed" || end.status == "interrupted" {
            status = "failed"
        } else if reasons.isEmpty {
            status = "complete"
        } else {
            status = "incomplete"
        }
        var checks: [ResultFile.Check] = []
        func r6(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
        if let l = load {
            let ops = l.ops.filter { $0.op == "read" || $0.op == "write" }
            let count = ops.reduce(Int64(0)) { $0 + $1.count }
            if count > 0 {
                let pct = Double(ops.reduce(Int64(0)) { $0 + $1.errors }) / Double(count) * 100
                let limit = data.runMeta?.flags["max-error-percent"].flatMap(Double.init) ?? 1
                checks.append(
                    .init(
                        name: "load_error_percent", value: r6(pct), threshold: limit, unit: "%",
                        verdict: pct <= limit ? "held" : "missed",
                        note: "failed read + write operations, of \(count)"))
            }
            checks.append(
                .init(
                    name: "generator_limited", value: l.final.generatorLimited ? 1 : 0, threshold: 0, unit: "bool",
                    verdict: l.final.generatorLimited ? "missed" : "held", note: l.final.generatorLimitReason))
        }
        let slo = self.slo
        for c in slo?.checks ?? [] {
            let bucket = c.bucket?.quantile
            checks.append(
                .init(
                    name: "api_call_slo", source: c.source, cluster: c.cluster, call: c.call, value: r6(c.p99Seconds),
                    threshold: c.thresholdSeconds, unit: "s", verdict: c.verdict.rawValue, note: c.note,
                    bucketLowerSeconds: bucket.map { Swift.max(0, $0.lowerBound) },
                    bucketUpperSeconds: bucket.flatMap { $0.upperBound.isFinite ? $0.upperBound : nil }))
        }
        let e = data.endpoint
        // The code the run ends with, as kp-run exits: run_end's, or 7 when the run itself ended 0 and
        // this fold's budgets have a broken error budget (kp-run passes the fold's 7 on).
        var exitCode = end?.exitCode
        if exitCode == 0, !budgetResults.broken(.error).isEmpty { exitCode = Int(KPExitCode.budgetBroken.rawValue) }
        return ResultFile(
            run: data.runMeta?.run, scenario: data.runMeta?.scenario, status: status, runStatus: end?.status,
            phase: end?.phase,
            exitCode: exitCode, exitName: exitCode.flatMap { exitCodeNames[$0] }, reasons: reasons,
            checks: checks,
            slo: slo.map {
                .init(
                    held: $0.held, checks: $0.checks.count, missed: $0.count(.missed),
                    inconclusive: $0.count(.inconclusive))
            },
            versions: .init(
                kpBench: data.runMeta?.kpBenchVersion, kpBenchCommit: data.runMeta?.harness?.commit,
                kpBenchDirty: data.runMeta?.harness?.dirty, kpBenchBuild: data.runMeta?.harness?.build,
                kpReport: Schema.toolVersion,
                recordsSchema: Schema.currentVersion,
                target: e?.target, targetVersion: e?.targetVersion, targetCommit: e?.targetCommit,
                emulator: e?.emulator, image: e?.image,
                imageDigest: e?.imageDigest),
            settings: data.runMeta?.flags ?? [:], startedAt: data.runMeta?.startedAt ?? e?.startedAt,
            endedAt: end?.endedAt,
            dataProblems: problems.count,
            files: files ?? (Array(Self.outputFiles.dropLast()) + perfDataFiles.map(\.name)),
            headline: headlineEntries, hotClusters: hotClusters, loadSeed: loadSeed)
    }
}
