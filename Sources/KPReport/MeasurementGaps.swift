import Foundation
import KPRecords

/// What a run set out to measure but did not get: failed samples, missing profiles, and the share
/// of load operations that failed.
///
/// A run can pass through every phase and still lack data: a `/metrics` scrape that timed out or
/// was not Prometheus text leaves a sample with `error` and no figures (kp-scrape never invents or
/// carries a figure forward), a failing pprof endpoint leaves a `profile` record with `status`
/// `failed`. kp-report lists these in summary.md's INCOMPLETE line; `kp-report check` turns them
/// into the run's exit code (docs/faults.md).
public struct MeasurementGaps: Sendable {
    /// Phase samples whose scrape failed as a whole: (phase, reason).
    public var failedSamples: [(phase: String, reason: String)] = []
    /// Continuous (`series`) samples that failed, out of how many, and the first reason.
    public var failedSeries = 0
    public var seriesTotal = 0
    public var firstSeriesError: String?
    /// Series samples that failed while a restart had the target down on purpose (scenario restart:
    /// from the `restart` record's `requested_ns` to its `ready_ns`); not counted in ``failedSeries``.
    public var restartSeries = 0
    /// Profiles that were asked for but are not on disk.
    public var missingProfiles: [ProfileListing.Missing] = []
    /// Load operations (`read` + `write`) that ended, that failed, and the failures by status or error class.
    public var loadOperations: Int64 = 0
    public var loadErrors: Int64 = 0
    public var loadErrorsByStatus: [String: Int64] = [:]

    /// Gathers the gaps of a folded run.
    public init(data: RunData, profiles: ProfileListing) {
        var byPhase: [String: [SampleRecord]] = [:]
        for s in data.phaseSamples { byPhase[s.phase, default: []].append(s) }
        for (phase, samples) in byPhase where samples.allSatisfy({ $0.error != nil }) {
            failedSamples.append((phase, samples.last?.error ?? "failed"))
        }
        failedSamples.sort { a, b in
            (byPhase[a.phase]?.last?.tNs ?? 0, a.phase) < (byPhase[b.phase]?.last?.tNs ?? 0, b.phase)
        }
        seriesTotal = data.seriesSamples.count
        var failed = data.seriesSamples.filter { $0.error != nil }
        if let r = data.restart {
            let down = r.requestedNs...(r.readyNs ?? Int64.max)
            restartSeries = failed.filter { down.contains($0.tNs) }.count
            failed.removeAll { down.contains($0.tNs) }
        }
        failedSeries = failed.count
        firstSeriesError = failed.first?.error
        missingProfiles = profiles.missing
        if let final = data.loadFinal {
            for op in final.ops where op.op == "read" || op.op == "write" {
                loadOperations += op.count
                loadErrors += op.errors
                for (status, n) in op.byStatus where !(status.hasPrefix("2") && status.count == 3) {
                    loadErrorsByStatus[status, default: 0] += n
                }
            }
        }
    }

    /// Percentage of load operations that failed; nil without a load phase.
    public var loadErrorPercent: Double? {
        loadOperations > 0 ? 100 * Double(loadErrors) / Double(loadOperations) : nil
    }

    /// One clause per kind of missing measurement, for the INCOMPLETE line; empty when nothing is missing.
    public var missingMeasurements: [String] {
        var out: [String] = []
        for f in failedSamples {
            out.append("the \(f.phase) sample failed (\(Self.short(f.reason))); its figures are missing")
        }
        if failedSeries > 0 {
            out.append(
                "\(failedSeries) of \(seriesTotal) series samples failed (first: \(Self.short(firstSeriesError ?? "?")))"
            )
        }
        for p in missingProfiles {
            out.append("the \(p.profile) profile at \(p.phase) is missing (\(Self.short(p.reason)))")
        }
        return out
    }

    /// The failed load operations as one clause, e.g. `1200 of 1200 load operations failed (100.0%: 503 ×1200)`.
    public var loadErrorClause: String? {
        guard let pct = loadErrorPercent, loadErrors > 0 else { return nil }
        let statuses = loadErrorsByStatus.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        return
            "\(loadErrors) of \(loadOperations) load operations failed (\(Format.fixed(pct, 1))%\(statuses.isEmpty ? "" : ": \(statuses)"))"
    }

    /// A reason cut to one short line.
    static func short(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }
}
