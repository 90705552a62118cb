import Foundation
import KPRecords
import KPRunModel
import KPStats

/// The seed's "Sizing a pod" advice: the four pod fields, each derived from an observed figure.
///
/// Rules (documented in docs/reports.md):
/// - `requests.memory` = RSS at steady (mixed runs: the larger of steady and post-load) × 1.10,
///   rounded up to a multiple of 64 MiB.
/// - `limits.memory` = the peak RSS × 1.20, rounded up to 64 MiB, and never below the request.
///   The peak is the highest RSS of every sample of the run, phase samples and the whole series.
/// - `requests.cpu` = average CPU over the steady phase (mixed runs: over the load phase, i.e.
///   the post-load row), in millicores rounded up to 10m (at least 10m).
/// - `limits.cpu` = the peak CPU in whole cores rounded up, at least 1 and never below the
///   request. The peak is the highest average CPU over one interval between consecutive `series`
///   samples, or a phase row's average when that is higher; with phase averages only (no time
///   series) a burst shorter than the phase goes higher, and the advice says so.
public struct SizingAdvice: Sendable {
    /// One recommendation.
    public struct Line: Sendable {
        public var field: String
        /// A Kubernetes quantity (`5Gi`, `250m`, `4`), or "—".
        public var value: String
        /// How it was derived, with the observed figure.
        public var basis: String
    }

    /// The highest RSS or CPU of the run and where it was seen.
    public struct Peak: Sendable, Equatable {
        /// Bytes (RSS) or % of one core (CPU).
        public var value: Double
        /// The sample's time (CPU: the end of the interval), CLOCK_MONOTONIC ns.
        public var tNs: Int64
        /// The sample or interval: `the post-load sample`, `a series sample at 270.3 s`,
        /// `series samples 225.3–230.3 s`, `the post-load row's average over 120.6 s`.
        public var source: String
        /// CPU only: true when the peak is a whole phase's average (no shorter interval was higher).
        public var isPhaseAverage: Bool
    }

    public static let memoryRequestHeadroom = 1.10
    public static let memoryLimitFactor = 1.20
    public static let memoryStep = 64.0 * 1_048_576

    /// The four pod fields in the seed's order: requests.memory, limits.memory, requests.cpu, limits.cpu.
    public var lines: [Line] = []
    public var peakRSS: Peak?
    public var peakCPU: Peak?
    /// The phase whose RSS the memory request comes from, and whose CPU the CPU request comes from.
    public var requestRSSPhase: String?
    public var requestCPUPhase: String?
    /// Idle CPU per VCP in millicores: (steady − baseline CPU %) × 10 / N.
    public var idleMillicoresPerVCP: Double?
    /// CPU per hot VCP under load in millicores: (post-load − steady CPU %) × 10 / hot VCPs, when the
    /// post-load row's interval is the load phase (it starts at the steady sample).
    public var loadMillicoresPerHotVCP: Double?
    /// The VCPs that got load, and what each got (`20 reads/s + 5 writes/s`).
    public var hotVCPs: Int?
    public var hotVCPRates: String?

    public init(phases: PhaseAnalysis, data: RunData) {
        let mixed =
            data.loadFinal != nil
            || (data.runMeta.flatMap { Scenario.named($0.scenario) }?.phases.contains("post-load") ?? false)
        let runStart = PhaseAnalysis.runStartNs(data)
        func at(_ t: Int64) -> String { runStart.map { " at \(Format.seconds(t - $0))" } ?? "" }

        // Memory request: steady RSS, or for a mixed run the larger of steady and post-load.
        var requestRSS: Double?
        for phase in mixed ? ["steady", "post-load"] : ["steady"] {
            if let r = phases.row(phase)?.sample.rssBytes, r > (requestRSS ?? -1) {
                requestRSS = r
                requestRSSPhase = phase
            }
        }

        // Peak RSS: every sample of the run, phase and series; the earliest of equal highs.
        for s in (data.phaseSamples + data.seriesSamples).sorted(by: { $0.tNs < $1.tNs }) {
            guard let r = s.rssBytes, r > (peakRSS?.value ?? -1) else { continue }
            let series = s.phase == "series"
            peakRSS = Peak(
                value: r, tNs: s.tNs,
                source: (series ? "a series sample" : "the \(s.phase) sample") + at(s.tNs)
                    + Self.stretch(s.tNs, data: data, series: series),
                isPhaseAverage: false)
        }

        // Peak CPU: each interval between consecutive series samples, and each phase row's average.
        let series = data.seriesSamples.filter { $0.cpuSeconds != nil }
        for (a, b) in zip(series, series.dropFirst()) {
            guard
                let c = PhaseMath.cpuPercent(
                    cpuBefore: a.cpuSeconds, tBeforeNs: a.tNs, cpuAfter: b.cpuSeconds, tAfterNs: b.tNs),
                c > (peakCPU?.value ?? -1)
            else { continue }
            let span = runStart.map { "\(Format.fixed(Double(a.tNs - $0) / 1e9, 1))–\(Format.seconds(b.tNs - $0))" }
            peakCPU = Peak(
                value: c, tNs: b.tNs,
                source: "series samples \(span ?? Format.seconds(b.tNs - a.tNs))"
                    + Self.stretch(a.tNs + (b.tNs - a.tNs) / 2, data: data, series: true),
                isPhaseAverage: false)
        }
        for row in phases.rows {
            guard let c = row.cpuPercent, c > (peakCPU?.value ?? -1) else { continue }
            peakCPU = Peak(
                value: c, tNs: row.sample.tNs,
                source: "the \(row.phase) row's average over \(Format.seconds(row.cpuIntervalNs))",
                isPhaseAverage: true)
        }

        let cpuRow = mixed ? phases.row("post-load") : phases.row("steady")
        requestCPUPhase = cpuRow?.cpuPercent == nil ? nil : cpuRow?.phase

        // Requests first; each limit is at least its request.
        let requestMiB = Self.memoryMiB(requestRSS.map { $0 * Self.memoryRequestHeadroom })
        let peakMiB = Self.memoryMiB(peakRSS.map { $0.value * Self.memoryLimitFactor })
        let limitMiB = [requestMiB, peakMiB].compactMap { $0 }.max()
        let requestMillicores = Self.cpuRequestMillicores(cpuRow?.cpuPercent)
        let peakCores = Self.cpuLimitCores(peakCPU?.value)
        let requestCores = requestMillicores.map { Int((Double($0) / 1000 - 1e-9).rounded(.up)) }
        let limitCores = peakCores.map { Swift.max($0, requestCores ?? 1) }

        let rssLabel = "RSS at \(requestRSSPhase ?? "steady")" + (mixed ? " (the larger of steady and post-load)" : "")
        lines.append(
            Line(
                field: "resources.requests.memory", value: Self.memoryText(requestMiB),
                basis: requestRSS.map {
                    "\(rssLabel) \(Format.bytes($0)) + 10% headroom = \(Format.bytes($0 * Self.memoryRequestHeadroom)), rounded up to 64Mi"
                } ?? "\(mixed ? "RSS at steady/post-load" : "RSS at steady") not measured"))
        var limitBasis: String
        if let p = peakRSS {
            limitBasis =
                "peak RSS \(Format.bytes(p.value)) × 1.2 = \(Format.bytes(p.value * Self.memoryLimitFactor)), rounded up to 64Mi"
            if let l = limitMiB, let pm = peakMiB, l > pm {
                limitBasis += ", raised to the request"
            } else {
                limitBasis += "; never below the request"
            }
        } else {
            limitBasis = requestMiB == nil ? "RSS not measured" : "no peak RSS: the request"
        }
        lines.append(Line(field: "resources.limits.memory", value: Self.memoryText(limitMiB), basis: limitBasis))
        let cpuLabel = mixed ? "average CPU over the load phase (post-load row)" : "average CPU over the steady phase"
        lines.append(
            Line(
                field: "resources.requests.cpu", value: requestMillicores.map { "\($0)m" } ?? Format.missing,
                basis: cpuRow?.cpuPercent.map {
                    "\(cpuLabel) \(Format.percent($0)) of one core = \(Format.fixed(PhaseMath.millicores(percent: $0), 0))m, rounded up to 10m"
                } ?? "\(cpuLabel) not measured"))
        var cpuBasis = "peak CPU not measured"
        if let p = peakCPU {
            cpuBasis =
                "peak CPU \(Format.percent(p.value)) of one core (\(p.source)"
                + (p.isPhaseAverage ? "; a shorter burst goes higher" : "") + "), whole cores rounded up"
            if let l = limitCores, let pc = peakCores, l > pc {
                cpuBasis += ", raised to the request"
            } else {
                cpuBasis += ", at least 1 and never below the request"
            }
            cpuBasis += "; or leave it unset and scale with an HPA"
        }
        lines.append(
            Line(field: "resources.limits.cpu", value: limitCores.map(String.init) ?? Format.missing, basis: cpuBasis))

        // CPU per VCP: idle over N, and under load over the VCPs that got it.
        if let n = phases.vcps, n > 0, let s = phases.row("steady")?.cpuPercent,
            let b = phases.row("baseline")?.cpuPercent
        {
            idleMillicoresPerVCP = PhaseMath.millicores(percent: s - b) / Double(n)
        }
        if let final = data.loadFinal, let post = phases.row("post-load"), post.cpuFrom == "steady",
            let p = post.cpuPercent, let s = phases.row("steady")?.cpuPercent
        {
            let hot = Set(final.perCluster.map(\.cluster)).count
            if hot > 0 {
                hotVCPs = hot
                loadMillicoresPerHotVCP = PhaseMath.millicores(percent: p - s) / Double(hot)
                let rates = ["read", "write"].compactMap { op in
                    final.targetRps[op].map { "\(Format.trimmed($0 / Double(hot))) \(op)s/s" }
                }
                hotVCPRates = rates.isEmpty ? nil : rates.joined(separator: " + ")
            }
        }
    }

    /// Where a time falls in the run, for naming a peak's sample: during the bootstrap or the load
    /// phase, else after the latest phase sample before it.
    static func stretch(_ t: Int64, data: RunData, series: Bool) -> String {
        if let f = data.loadFinal, t >= f.startNs && t <= f.endNs { return ", during the load phase" }
        if let b = BootstrapAnalysis.span(data), t >= b.startNs && t <= b.endNs { return ", during the bootstrap" }
        guard series else { return "" }
        if let p = data.phaseSamples.last(where: { $0.tNs < t }) { return ", after the \(p.phase) sample" }
        return ""
    }

    /// Bytes as whole MiB rounded up to a multiple of 64; nil when absent or not positive.
    public static func memoryMiB(_ bytes: Double?) -> Int? {
        guard let bytes, bytes.isFinite, bytes > 0 else { return nil }
        return Int((bytes / memoryStep).rounded(.up)) * 64
    }

    /// MiB as a Kubernetes memory quantity (`640Mi`, `5Gi`), or "—".
    static func memoryText(_ mib: Int?) -> String {
        guard let mib else { return Format.missing }
        return mib % 1024 == 0 ? "\(mib / 1024)Gi" : "\(mib)Mi"
    }

    /// Bytes as a Kubernetes memory quantity, rounded up to 64 MiB (`640Mi`, `5Gi`).
    public static func memoryQuantity(_ bytes: Double?) -> String { memoryText(memoryMiB(bytes)) }

    /// CPU % of one core as millicores rounded up to 10 (at least 10).
    public static func cpuRequestMillicores(_ percent: Double?) -> Int? {
        guard let percent, percent.isFinite, percent >= 0 else { return nil }
        return Swift.max(10, Int((PhaseMath.millicores(percent: percent) / 10 - 1e-9).rounded(.up)) * 10)
    }

    /// CPU % of one core as millicores rounded up to 10m (at least 10m).
    public static func cpuRequest(_ percent: Double?) -> String {
        cpuRequestMillicores(percent).map { "\($0)m" } ?? Format.missing
    }

    /// CPU % of one core as whole cores rounded up (at least 1).
    public static func cpuLimitCores(_ percent: Double?) -> Int? {
        guard let percent, percent.isFinite, percent >= 0 else { return nil }
        return Swift.max(1, Int((percent / 100 - 1e-9).rounded(.up)))
    }

    /// CPU % of one core as whole cores rounded up (at least 1).
    public static func cpuLimit(_ percent: Double?) -> String {
        cpuLimitCores(percent).map(String.init) ?? Format.missing
    }
}
