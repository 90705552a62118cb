import Foundation
import KPRecords
import KPRunModel
import KPStats

/// The seed's "Sizing a pod" table, derived from the measured figures.
///
/// Rules (documented in docs/reports.md):
/// - `requests.memory` = RSS at steady (mixed runs: the larger of steady and post-load) × 1.10,
///   rounded up to a multiple of 64 MiB.
/// - `limits.memory` = peak RSS during the cold start (the post-bootstrap sample, or a larger
///   continuous sample between the bootstrap's start and it) × 1.20, rounded up to 64 MiB.
/// - `requests.cpu` = average CPU over the steady phase (mixed runs: over the load phase, i.e.
///   the post-load row), in millicores rounded up to 10m.
/// - `limits.cpu` = peak CPU during the bootstrap, in whole cores rounded up: the highest
///   interval between consecutive continuous samples that overlaps the bootstrap, or, without
///   a time series, the post-bootstrap average (which understates the peak; the table says so).
public struct SizingAdvice: Sendable {
    /// One recommendation.
    public struct Line: Sendable {
        public var field: String
        /// A Kubernetes quantity (`5Gi`, `250m`, `4`), or "—".
        public var value: String
        /// How it was derived, with the observed figure.
        public var basis: String
    }

    public static let memoryRequestHeadroom = 1.10
    public static let memoryLimitFactor = 1.20
    public static let memoryStep = 64.0 * 1_048_576

    public var lines: [Line] = []
    /// Peak RSS and CPU seen during the cold start, for the worked-example table.
    public var peakRSS: Double?
    public var peakCPUPercent: Double?
    public var peakCPUIsAverage = false

    public init(phases: PhaseAnalysis, data: RunData) {
        let mixed =
            data.loadFinal != nil
            || (data.runMeta.flatMap { Scenario.named($0.scenario) }?.phases.contains("post-load") ?? false)
        let steadyRSS = phases.row("steady").flatMap { $0.sample.rssBytes }
        let postLoadRSS = phases.row("post-load").flatMap { $0.sample.rssBytes }
        let requestRSS: Double? = mixed ? [steadyRSS, postLoadRSS].compactMap { $0 }.max() : steadyRSS

        // Cold-start window: bootstrap start (or baseline) to the post-bootstrap sample.
        let post = phases.row("post-bootstrap")
        let windowStart =
            BootstrapAnalysis.span(data)?.startNs ?? phases.row("baseline")?.sample.tNs
        let windowEnd = post?.sample.tNs ?? data.bootstrapSummary?.endNs
        var peak = post?.sample.rssBytes
        var peakCPU: Double?
        if let ws = windowStart, let we = windowEnd {
            let series = data.seriesSamples
            for s in series where s.tNs >= ws && s.tNs <= we {
                if let r = s.rssBytes { peak = Swift.max(peak ?? r, r) }
            }
            for (a, b) in zip(series, series.dropFirst()) where b.tNs > ws && a.tNs < we {
                if let c = PhaseMath.cpuPercent(
                    cpuBefore: a.cpuSeconds, tBeforeNs: a.tNs, cpuAfter: b.cpuSeconds, tAfterNs: b.tNs)
                {
                    peakCPU = Swift.max(peakCPU ?? c, c)
                }
            }
        }
        if peakCPU == nil, let avg = post?.cpuPercent {
            peakCPU = avg
            peakCPUIsAverage = true
        }
        peakRSS = peak
        peakCPUPercent = peakCPU

        let steadyLabel = mixed ? "RSS at steady/post-load (larger)" : "RSS at steady"
        lines.append(
            Line(
                field: "resources.requests.memory",
                value: Self.memoryQuantity(requestRSS.map { $0 * Self.memoryRequestHeadroom }),
                basis: requestRSS.map { "\(steadyLabel) \(Format.bytes($0)) + 10% headroom, rounded up to 64Mi" }
                    ?? "\(steadyLabel) not measured"))
        lines.append(
            Line(
                field: "resources.limits.memory", value: Self.memoryQuantity(peak.map { $0 * Self.memoryLimitFactor }),
                basis: peak.map { "peak RSS during the cold start \(Format.bytes($0)) × 1.2, rounded up to 64Mi" }
                    ?? "post-bootstrap RSS not measured"))
        let cpuRow = mixed ? phases.row("post-load") : phases.row("steady")
        let cpuLabel = mixed ? "average CPU over the load phase (post-load row)" : "average CPU over the steady phase"
        lines.append(
            Line(
                field: "resources.requests.cpu", value: Self.cpuRequest(cpuRow?.cpuPercent),
                basis: cpuRow?.cpuPercent.map { "\(cpuLabel) \(Format.percent($0)) of one core, rounded up to 10m" }
                    ?? "\(cpuLabel) not measured"))
        lines.append(
            Line(
                field: "resources.limits.cpu", value: Self.cpuLimit(peakCPU),
                basis: peakCPU.map {
                    (peakCPUIsAverage
                        ? "average CPU from baseline to post-bootstrap \(Format.percent($0)) (no time series: the burst's peak is higher)"
                        : "peak CPU during the bootstrap \(Format.percent($0)) (time series)")
                        + ", whole cores rounded up; or leave unset and scale with an HPA"
                } ?? "bootstrap CPU not measured"))
    }

    /// Bytes as a Kubernetes memory quantity, rounded up to 64 MiB (`640Mi`, `5Gi`).
    public static func memoryQuantity(_ bytes: Double?) -> String {
        guard let bytes, bytes.isFinite, bytes > 0 else { return Format.missing }
        let steps = (bytes / memoryStep).rounded(.up)
        let mib = Int(steps) * 64
        return mib % 1024 == 0 ? "\(mib / 1024)Gi" : "\(mib)Mi"
    }

    /// CPU % of one core as millicores rounded up to 10m (at least 10m).
    public static func cpuRequest(_ percent: Double?) -> String {
        guard let percent, percent.isFinite, percent >= 0 else { return Format.missing }
        let m = Swift.max(10, Int((PhaseMath.millicores(percent: percent) / 10 - 1e-9).rounded(.up)) * 10)
        return "\(m)m"
    }

    /// CPU % of one core as whole cores rounded up (at least 1).
    public static func cpuLimit(_ percent: Double?) -> String {
        guard let percent, percent.isFinite, percent >= 0 else { return Format.missing }
        return "\(Swift.max(1, Int((percent / 100 - 1e-9).rounded(.up))))"
    }
}
