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

    /// True when at most ``noneFraction`` of the cost came back (or the figure grew).
    public var noneReturned: Bool { (fraction ?? 0) <= Self.noneFraction }

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
        guard let post, let base = phases.row("baseline"), let steady = phases.row("steady") else {
            return text
                + "\nReturned per VCP: not computed: the run needs baseline, steady and post-teardown samples.\n"
        }
        guard let n = phases.vcps, n > 0 else {
            return text
                + "\nReturned per VCP: not computed: the number of VCPs is unknown or zero (\(phases.vcpsSource)).\n"
        }
        let figures = TeardownReturn.compute(
            baseline: base.sample, steady: steady.sample, postTeardown: post.sample, vcps: n)
        text +=
            "\nReturned per VCP = (steady − post-teardown) / N against the cost (steady − baseline) / N, N = \(n) VCPs (\(phases.vcpsSource)). "
        text +=
            "The contract (§3.1, §3.5) says per-VCP state is never evicted, so none should come back; the figures say what did.\n\n"
        for r in figures {
            let show: (Double) -> String = { r.figure.isBytes ? Format.kib($0) + " KiB" : Format.fixed($0, 2) }
            if r.costPerVCP <= 0 {
                text +=
                    "- \(r.figure.title): the VCPs cost nothing measurable (\(show(r.costPerVCP)) per VCP); nothing to return.\n"
            } else if r.noneReturned {
                text +=
                    "- \(r.figure.title): **none returned** (\(show(r.returnedPerVCP)) of \(show(r.costPerVCP)) per VCP).\n"
            } else {
                text +=
                    "- \(r.figure.title): returned \(show(r.returnedPerVCP)) of \(show(r.costPerVCP)) per VCP (\(Format.fixed((r.fraction ?? 0) * 100, 0)) %).\n"
            }
        }
        if figures.isEmpty { text += "No figure is present in all three samples.\n" }
        if data.endpoint?.emulator == true { text += "\nThese are kp-sim's figures, not kplane's.\n" }
        return text
    }
}
