import Foundation
import KPRecords

/// What a teardown gave back, per VCP (scenario teardown, contract §3.5).
public struct TeardownReturn: Sendable, Equatable {
    public var figure: ResourceFigure
    /// `(steady − baseline) / N`: what a VCP cost.
    public var costPerVCP: Double
    /// `(steady − post-teardown) / N`: what came back after its data was deleted.
    public var returnedPerVCP: Double

    /// Below this fraction of the cost, nothing is said to have come back (noise of a settling heap).
    public static let noneFraction = 0.05

    /// `returned / cost`, nil when the VCPs cost nothing measurable.
    public var fraction: Double? { costPerVCP > 0 ? returnedPerVCP / costPerVCP : nil }

    /// The share of the cost that came back, in %: ``fraction`` × 100, at most 100 (what came back
    /// beyond the cost was not the VCPs': ``moreThanCost``); negative when the figure grew.
    public var returnedPercent: Double? { fraction.map { min($0, 1) * 100 } }

    /// True when at most ``noneFraction`` of the cost came back (or the figure grew).
    public var noneReturned: Bool { (fraction ?? 0) <= Self.noneFraction }

    /// True when more came back than the VCPs cost: the post-teardown sample is below the baseline
    /// (the server also released state it held before the bootstrap, or the baseline caught a transient).
    public var moreThanCost: Bool { costPerVCP > 0 && returnedPerVCP > costPerVCP }

    /// How far the post-teardown sample is below the baseline, per VCP: `returned − cost`
    /// (`(baseline − post-teardown) / N`); positive only when ``moreThanCost``.
    public var belowBaselinePerVCP: Double { returnedPerVCP - costPerVCP }

    /// The figures of one run, nil for a figure a sample lacks. N must be positive.
    public static func compute(baseline: SampleRecord, steady: SampleRecord, postTeardown: SampleRecord, vcps: Int)
        -> [TeardownReturn]
    {
        guard vcps > 0 else { return [] }
        return [ResourceFigure.heapInuse, .rss, .goroutines].compactMap { f in
            guard let b = f.value(in: baseline), let s = f.value(in: steady), let p = f.value(in: postTeardown) else {
                return nil
            }
            return TeardownReturn(figure: f, costPerVCP: (s - b) / Double(vcps), returnedPerVCP: (s - p) / Double(vcps))
        }
    }
}

extension Report {
    /// What the teardown gave back per VCP; nil without baseline, steady and post-teardown samples or
    /// without a positive N.
    var teardownReturns: [TeardownReturn]? {
        guard let post = phases.row("post-teardown"), let base = phases.row("baseline"),
            let steady = phases.row("steady"), let n = phases.vcps, n > 0
        else { return nil }
        return TeardownReturn.compute(baseline: base.sample, steady: steady.sample, postTeardown: post.sample, vcps: n)
    }

    /// kp-bootstrap --teardown's time, `teardown_summary` start to end; nil without a summary or when a
    /// signal cut the teardown short.
    var teardownWallNs: Int64? {
        guard let s = data.teardownSummary, !s.interrupted, s.endNs >= s.startNs else { return nil }
        return s.endNs - s.startNs
    }

    /// `## Teardown`: how much of the per-VCP heap, RSS and goroutines came back after each VCP's test
    /// objects, CRD and (with an etcd the run controls) etcd keys were deleted. Empty without a
    /// `post-teardown` sample and without teardown records.
    var teardownSection: String {
        let post = phases.row("post-teardown")
        guard post != nil || data.teardownSummary != nil || !data.teardownSteps.isEmpty else { return "" }
        var text = "## Teardown\n\n"
        if let s = data.teardownSummary {
            text += "kp-bootstrap --teardown: \(Format.count(s.ok)) of \(Format.count(s.clusters)) clusters torn down"
            if s.failed > 0 { text += ", **\(Format.count(s.failed)) failed**" }
            text +=
                "; \(Format.count(s.objectsDeleted)) API objects (test objects and CRDs) and \(Format.count(s.keysDeleted)) etcd keys deleted"
            text += s.etcd == "deleted" ? ".\n" : "; etcd keys not deleted: \(s.skippedReason ?? "skipped").\n"
            if let ns = teardownWallNs {
                text += "\nTeardown time: \(Format.seconds(ns)) (first step to the last step's end).\n"
            }
            if s.interrupted { text += "\nThe teardown was interrupted.\n" }
        } else {
            text +=
                "No teardown_summary record (kp-bootstrap --teardown did not finish); \(data.teardownSteps.count) teardown_step records.\n"
        }
        let failures = data.teardownSteps.filter { $0.outcome != "ok" }
        if let first = failures.first {
            text +=
                "\n\(failures.count) steps not ok; first: \(first.cluster) \(first.step) \(first.outcome): \(first.error ?? "?")\n"
        }
        guard post != nil, phases.row("baseline") != nil, phases.row("steady") != nil else {
            return text
                + "\nReturned per VCP: not computed: the run needs baseline, steady and post-teardown samples.\n"
        }
        guard let n = phases.vcps, n > 0 else {
            return text
                + "\nReturned per VCP: not computed: the number of VCPs is unknown or zero (\(phases.vcpsSource)).\n"
        }
        let figures = teardownReturns ?? []
        text +=
            "\nReturned per VCP = (steady − post-teardown) / N against the cost (steady − baseline) / N, N = \(n) VCPs (\(phases.vcpsSource)). "
        text +=
            "The contract (§3.1, §3.5) says per-VCP state is never evicted, so none should come back; the figures say what did.\n\n"
        for r in figures {
            let show: (Double) -> String = { r.figure.isBytes ? Format.kib($0) + " KiB" : Format.fixed($0, 2) }
            let total: (Double) -> String = { r.figure.isBytes ? Format.bytes($0) : Format.fixed($0, 0) }
            if r.costPerVCP <= 0 {
                text +=
                    "- \(r.figure.title): the VCPs cost nothing measurable (\(show(r.costPerVCP)) per VCP); nothing to return.\n"
            } else if r.moreThanCost {
                text +=
                    "- \(r.figure.title): returned \(show(r.returnedPerVCP)) per VCP, **more than the VCPs cost** (\(show(r.costPerVCP)) per VCP): post-teardown is below the baseline by \(total(r.belowBaselinePerVCP * Double(n))) (\(show(r.belowBaselinePerVCP)) per VCP); the server also released state it held before the bootstrap, or the baseline caught a transient.\n"
            } else if r.noneReturned {
                text +=
                    "- \(r.figure.title): **none returned** (\(show(r.returnedPerVCP)) of \(show(r.costPerVCP)) per VCP).\n"
            } else {
                text +=
                    "- \(r.figure.title): returned \(show(r.returnedPerVCP)) of \(show(r.costPerVCP)) per VCP (\(Format.fixed(r.returnedPercent, 0)) %).\n"
            }
        }
        if figures.isEmpty { text += "No figure is present in all three samples.\n" }
        if data.endpoint?.emulator == true { text += "\nThese are kp-sim's figures, not kplane's.\n" }
        return text
    }
}
