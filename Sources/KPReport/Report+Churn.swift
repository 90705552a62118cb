import Foundation
import KPRecords
import KPRunModel
import KPStats

/// What churn leaves behind (scenario churn): one figure fitted against the cycle.
///
/// The points are the steady sample (cycle 0: N VCPs, none churned yet) and each cycle's sample
/// (`churn-k`: k·m VCPs deleted and as many created since, still N live). The slope of the
/// least-squares line (KPStats' ``LinearFit``, the sweep's fit) is the growth per cycle; divided by
/// m it is the growth per churned VCP, with the slope's 95 % interval (Student's t, n − 2 degrees of
/// freedom) divided likewise. The verdict: the interval contains 0, "flat"; the growth per churned
/// VCP is under 5 % of what a VCP costs (``costPerVCP``, (steady − baseline) / N; the teardown
/// scenario's ``TeardownReturn/noneFraction``, also read from the estimate), "flat" too, with the
/// figure (a churned VCP leaves less than a twentieth of its cost: store objects, allocator noise, not
/// the VCP); otherwise above 0, "leaks X per churned VCP", below 0, "falls X per churned VCP". Without
/// an interval (fewer than 3 points) there is no verdict.
public struct ChurnFit: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable {
        case leaks, flat, falls
        /// The interval excludes 0 but the growth per churned VCP is under ``ChurnFit/materialFraction`` of a VCP's cost.
        case flatUnderCost
    }
    /// Below this share of a VCP's cost per churned VCP, a change is called flat.
    public static let materialFraction = TeardownReturn.noneFraction
    /// What one VCP costs, (steady − baseline) / N; nil when unknown.
    public var costPerVCP: Double?
    public var figure: ResourceFigure
    /// (cycle, value) points, steady first.
    public var points: [(cycle: Int, value: Double)]
    public var fit: LinearFit
    /// VCPs deleted (and created) per cycle.
    public var perCycle: Int

    public static func == (a: ChurnFit, b: ChurnFit) -> Bool {
        a.figure == b.figure && a.fit == b.fit && a.perCycle == b.perCycle && a.costPerVCP == b.costPerVCP
            && a.points.map(\.cycle) == b.points.map(\.cycle) && a.points.map(\.value) == b.points.map(\.value)
    }

    /// nil with fewer than 2 points or no VCP churned per cycle.
    public init?(
        figure: ResourceFigure, points: [(cycle: Int, value: Double)], perCycle: Int, costPerVCP: Double? = nil
    ) {
        guard perCycle > 0, let fit = LinearFit(x: points.map { Double($0.cycle) }, y: points.map(\.value)) else {
            return nil
        }
        self.figure = figure
        self.points = points
        self.fit = fit
        self.perCycle = perCycle
        self.costPerVCP = costPerVCP
    }

    public var perCycleSlope: Double { fit.slope }
    public var perVCP: Double { fit.slope / Double(perCycle) }
    /// The per-VCP slope's 95 % interval; nil with fewer than 3 points.
    public var perVCPInterval: (Double, Double)? {
        fit.slopeInterval.map { ($0.0 / Double(perCycle), $0.1 / Double(perCycle)) }
    }
    public var verdict: Verdict? {
        guard let (lo, hi) = perVCPInterval else { return nil }
        if lo <= 0 && hi >= 0 { return .flat }
        if let c = costPerVCP, c > 0, abs(perVCP) < Self.materialFraction * c { return .flatUnderCost }
        return lo > 0 ? .leaks : .falls
    }

    /// A per-VCP value in the figure's unit: KiB for bytes, a count otherwise.
    public func show(_ v: Double) -> String {
        figure.isBytes ? Format.kib(v) + " KiB" : Format.fixed(v, 2)
    }

    /// "leaks 2048.0 KiB per churned VCP", "flat", "falls …"; "no verdict (…)" without an interval.
    public var verdictText: String {
        switch verdict {
        case .leaks: "leaks \(show(perVCP)) per churned VCP"
        case .falls: "falls \(show(-perVCP)) per churned VCP"
        case .flat: "flat"
        case .flatUnderCost:
            "flat (\(perVCP > 0 ? "+" : "")\(show(perVCP)) per churned VCP, under \(Int(Self.materialFraction * 100)) % of a VCP's cost \(show(costPerVCP ?? 0)))"
        case nil: "no verdict (an interval needs 3 points: steady and two cycles)"
        }
    }
}

extension Report {
    /// The churn plan of this run from run_meta (nil for another scenario, or without its flags).
    var churnPlan: ChurnPlan? {
        let cycles = scenarioModel.churnCycles
        guard cycles > 0, let flags = data.runMeta?.flags, let n = flags["clusters"].flatMap(Int.init) else {
            return nil
        }
        let percent = flags[ChurnPlan.percentFlag].flatMap(Double.init) ?? ChurnPlan.defaultPercent
        return ChurnPlan(clusters: n, percent: percent, cycles: cycles)
    }

    /// Heap in-use, RSS and goroutines fitted against the cycle; empty without a churn plan.
    public var churnFits: [ChurnFit] {
        guard let plan = churnPlan else { return [] }
        let base = phases.row("baseline")?.sample
        let steady = phases.row("steady")?.sample
        return [ResourceFigure.heapInuse, .rss, .goroutines].compactMap { f in
            var cost: Double?
            if let b = base.flatMap({ f.value(in: $0) }), let s = steady.flatMap({ f.value(in: $0) }), plan.clusters > 0
            {
                cost = (s - b) / Double(plan.clusters)
            }
            var points: [(cycle: Int, value: Double)] = []
            if let v = phases.row("steady").flatMap({ f.value(in: $0.sample) }) { points.append((0, v)) }
            for k in 1...plan.cycles {
                if let v = phases.row(ChurnPlan.phase(cycle: k)).flatMap({ f.value(in: $0.sample) }) {
                    points.append((k, v))
                }
            }
            return ChurnFit(figure: f, points: points, perCycle: plan.perCycle, costPerVCP: cost)
        }
    }

    /// `## Churn`: each cycle's deletes and creates and its sample, then the fit per figure with its
    /// verdict. Empty for a run without churn.
    var churnSection: String {
        guard let plan = churnPlan else { return "" }
        var text = "## Churn\n\n"
        text +=
            "\(plan.cycles) cycles after the steady sample, each deleting the \(Format.count(plan.perCycle)) oldest VCPs (\(Format.trimmed(plan.percent)) % of \(Format.count(plan.clusters))) as the teardown scenario does (test objects, CRD, and etcd keys when the run controls etcd; the server keeps any in-memory state), then creating \(Format.count(plan.perCycle)) new ones under unused names, then a sample (`churn-k`).\n\n"
        var t = MarkdownTable(
            ["cycle", "deleted", "created", "heap in-use", "RSS", "goroutines"],
            rightAligned: [false, true, true, true, true, true])
        func figures(_ phase: String) -> [String] {
            let s = phases.row(phase)?.sample
            return [
                Format.bytes(s.flatMap { ResourceFigure.heapInuse.value(in: $0) }),
                Format.bytes(s.flatMap { ResourceFigure.rss.value(in: $0) }),
                Format.count(s.flatMap { ResourceFigure.goroutines.value(in: $0) }),
            ]
        }
        t.add(["0 (steady)", "", ""] + figures("steady"))
        for k in 1...plan.cycles {
            let del = k <= data.churnTeardowns.count ? data.churnTeardowns[k - 1] : nil
            let add = k <= data.churnBootstraps.count ? data.churnBootstraps[k - 1] : nil
            t.add(
                [
                    "\(k)", del.map { "\(Format.count($0.ok)) of \(Format.count($0.clusters))" } ?? Format.missing,
                    add.map { "\(Format.count($0.ok)) of \(Format.count($0.clusters))" } ?? Format.missing,
                ] + figures(ChurnPlan.phase(cycle: k)))
        }
        text += t.text + "\n"
        if let first = data.churnFailedSteps.first {
            text +=
                "\(data.churnFailedSteps.count) churn steps not ok; first: \(first.cluster) \(first.step) \(first.outcome): \(first.error ?? "?")\n\n"
        }
        let fits = churnFits
        if fits.isEmpty {
            return text + "No fit: the run lacks two samples with the same figure (steady and churn-k).\n"
        }
        text +=
            "Each figure fitted against the cycle (steady = cycle 0; least squares, KPStats' fit as in the sweep), per churned VCP = slope / \(Format.count(plan.perCycle)). "
        text +=
            "Verdict from the slope's 95 % interval (Student's t, n − 2 degrees of freedom): containing 0, \"flat\"; a growth per churned VCP under \(Int(ChurnFit.materialFraction * 100)) % of a VCP's cost ((steady − baseline) / N), \"flat\" with the figure; otherwise above 0, \"leaks X per churned VCP\", below 0, \"falls X per churned VCP\".\n\n"
        var f = MarkdownTable(
            [
                "figure", "points", "per cycle", "per churned VCP", "95 % interval per churned VCP", "cost per VCP",
                "verdict",
            ],
            rightAligned: [false, true, true, true, true, true, false])
        for c in fits {
            let perCycle = c.figure.isBytes ? Format.signedBytes(c.perCycleSlope) : Format.signed(c.perCycleSlope, 1)
            let interval = c.perVCPInterval.map { "[\(c.show($0.0)), \(c.show($0.1))]" } ?? Format.missing
            let cost = c.costPerVCP.map { c.show($0) } ?? Format.missing
            f.add(["\(c.figure.title)", "\(c.points.count)", perCycle, c.show(c.perVCP), interval, cost, c.verdictText])
        }
        text += f.text + "\n"
        text +=
            "The contract (§3.1, §3.5) says kplane never evicts a VCP's in-memory state, so a churned VCP's cost stays: expect \"leaks\" from kplane.\n"
        if data.endpoint?.emulator == true {
            text +=
                "\nThese are kp-sim's figures, not kplane's (kp-sim keeps a deleted VCP's memory unless started with --sim-evict-on-delete).\n"
        }
        return text
    }
}
