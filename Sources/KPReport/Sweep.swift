import Foundation
import KPRunModel
import KPStats

/// A sweep over N: every steady-phase resource fitted against the number of VCPs by least
/// squares, so the fixed cost (intercept) and the marginal cost per VCP (slope) each come with a
/// 95 % confidence interval.
///
/// N is each run's `clusters` flag (run_meta), else the report's N. Linearity is judged two ways
/// (documented in docs/reports.md): R² below ``minRSquared``, or, with at least 4 distinct N, the
/// curvature sign pattern — the mean residual at the smallest and the largest N share a sign and
/// every N in between has the other sign, which is what a straight line fitted to a convex or
/// concave curve leaves.
public struct Sweep: Sendable {
    /// The files sweep writes.
    public static let outputFiles = ["sweep.md", "sweep.csv", "sweep.html"]
    /// R² below this says "not linear".
    public static let minRSquared = 0.90

    /// One fitted resource.
    public struct Fit: Sendable {
        public var figure: ResourceFigure?
        public var key: String
        public var title: String
        public var unit: String
        /// (run, N, value at steady) per run that has the figure.
        public var points: [(run: String, n: Double, value: Double)]
        public var fit: LinearFit?
        /// The resource at baseline across the runs (min, max).
        public var baselineRange: (Double, Double)?
        /// Why the resource is not linear in N; nil when it looks linear (or cannot be fitted).
        public var nonLinear: String?
        /// Why there is no fit.
        public var noFit: String?
        /// Whether the points can say anything about linearity: a line passes through any two
        /// cluster counts (R² = 1, no residual left), so linearity needs three or more.
        public var linearityTestable: Bool { Set(points.map(\.n)).count >= 3 }
        /// "linear in N" as sweep.md and sweep.csv say it.
        var linearityText: String {
            guard fit != nil else { return noFit ?? "no fit" }
            guard linearityTestable else { return Sweep.untestedLinearity }
            return nonLinear.map { "NO: \($0)" } ?? "yes"
        }
    }

    /// What a fit through two cluster counts says about linearity.
    static let untestedLinearity = "untested: 2 cluster counts (a line fits any two; run 3 or more)"

    public var runs: [String]
    public var fits: [Fit] = []
    public var isEmulator: Bool
    /// The runs split into valid and left out; only valid runs are fitted.
    public var members: RunSetMembers
    /// (run, N) of the valid runs, in input order; in a sweep over CRDs per VCP, (run, K).
    public var sizes: [(run: String, n: Double)]
    /// What the sweep varies: nil for N, ``KPRunModel/RunSetPlan/Axis/crdsPerCluster`` for K at one N
    /// (from runset.json), when the fit's slope is the cost per CRD and, divided by N, per CRD per VCP.
    public var axis: RunSetPlan.Axis?
    /// A sweep over K: the N every valid run has (nil when they differ or none says).
    public var clustersAtEveryK: Double?

    /// `directory` and `plan`: the sweep's folder and its runset.json, when it was made by kp-run.
    public init(runs: [String], directory: String? = nil, plan: RunSetPlan? = nil) {
        self.init(runs: runs, reports: runs.map { Report(directory: $0) }, directory: directory, plan: plan)
    }

    public init(runs: [String], reports: [Report], directory: String? = nil, plan: RunSetPlan? = nil) {
        self.runs = runs
        let axis = plan?.axis
        self.axis = axis
        isEmulator = reports.contains { $0.isEmulator }
        members = RunSetMembers(runs: runs, reports: reports, directory: directory, plan: plan)
        let runs = members.valid.map(\.path)
        let reports = members.valid.map(\.report)
        sizes = zip(runs, reports).compactMap { run, r in Self.x(of: r, axis: axis).map { (run, $0) } }
        let ns = Set(reports.compactMap { Self.n(of: $0) })
        clustersAtEveryK = axis != nil && ns.count == 1 ? ns.first : nil
        var resources: [(ResourceFigure?, String, String, String, (Report) -> Double?, (Report) -> Double?)] = []
        for (figure, unit) in Report.phaseFigures {
            resources.append(
                (
                    figure, figure.rawValue, figure.title, unit,
                    { $0.phases.row("steady").flatMap { figure.value(in: $0.sample) } },
                    { $0.phases.row("baseline").flatMap { figure.value(in: $0.sample) } }
                ))
        }
        resources.append(
            (
                nil, "cpu_percent", "idle CPU %", "%", { $0.phases.row("steady")?.cpuPercent },
                { $0.phases.row("baseline")?.cpuPercent }
            ))
        for (figure, key, title, unit, steady, baseline) in resources {
            var points: [(String, Double, Double)] = []
            var base: [Double] = []
            for (run, r) in zip(runs, reports) {
                if let b = baseline(r) { base.append(b) }
                guard let n = Self.x(of: r, axis: axis), let v = steady(r) else { continue }
                points.append((run, n, v))
            }
            var f = Fit(
                figure: figure, key: key, title: title, unit: unit, points: points, fit: nil,
                baselineRange: base.isEmpty ? nil : (base.min()!, base.max()!), nonLinear: nil, noFit: nil)
            let distinct = Set(points.map(\.1)).count
            if distinct < 2 {
                f.noFit =
                    "too few valid runs: needs valid runs at two or more \(axis == nil ? "cluster" : "CRD") counts (has \(distinct))"
            } else if let lf = LinearFit(x: points.map(\.1), y: points.map(\.2)) {
                f.fit = lf
                f.nonLinear = Self.nonLinearity(points: points.map { ($0.1, $0.2) }, fit: lf)
            }
            fits.append(f)
        }
    }

    /// The swept value of a run: N, or for ``KPRunModel/RunSetPlan/Axis/crdsPerCluster`` its
    /// `crds-per-cluster` flag (1 when its run_meta has none).
    public static func x(of r: Report, axis: RunSetPlan.Axis?) -> Double? {
        guard axis == .crdsPerCluster else { return n(of: r) }
        guard let flags = r.data.runMeta?.flags else { return nil }
        return Double(flags["crds-per-cluster"].flatMap { Int($0) } ?? 1)
    }

    /// N of a run: its `clusters` flag, else the VCPs the report divides by.
    public static func n(of r: Report) -> Double? {
        if let c = r.data.runMeta?.flags["clusters"], let n = Int(c) { return Double(n) }
        return r.phases.vcps.map(Double.init)
    }

    /// Why `fit` does not describe the points as a line, or nil.
    static func nonLinearity(points: [(Double, Double)], fit: LinearFit) -> String? {
        var reasons: [String] = []
        if let r2 = fit.rSquared, r2 < minRSquared {
            reasons.append("R² \(Format.fixed(r2, 3)) < \(Format.fixed(minRSquared, 2))")
        }
        var byN: [Double: [Double]] = [:]
        for (p, r) in zip(points, fit.residuals) { byN[p.0, default: []].append(r) }
        let ns = byN.keys.sorted()
        if ns.count >= 4 {
            let signs = ns.map { n -> Int in
                let m = byN[n]!.reduce(0, +) / Double(byN[n]!.count)
                return m > 0 ? 1 : (m < 0 ? -1 : 0)
            }
            let ends = signs.first!
            if ends != 0 && signs.last! == ends && signs.dropFirst().dropLast().allSatisfy({ $0 == -ends }) {
                reasons.append(
                    "residuals curve (\(ends > 0 ? "+ at both ends, − between: concave up, dearer per VCP at large N" : "− at both ends, + between: concave down, cheaper per VCP at large N"))"
                )
            }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    func format(_ unit: String, _ v: Double?) -> String {
        FigureSpec(key: "", title: "", unit: unit, polarity: .lowerIsBetter).format(v)
    }

    func perVCP(_ unit: String, _ v: Double?) -> String {
        guard let v else { return Format.missing }
        switch unit {
        case "bytes": return Format.fixed(v / 1024, 1) + " KiB"
        case "%": return Format.fixed(v, 4) + "%"
        default: return Format.fixed(v, 4)
        }
    }

    /// sweep.md.
    public var markdown: String {
        if axis == .crdsPerCluster { return crdMarkdown }
        var text = ""
        if isEmulator { text += Report.emulatorNotice + "\n\n" }
        text += "# kp-bench sweep over N\n\n"
        text +=
            "\(runs.count) runs, \(members.valid.count) valid; N from each valid run's clusters flag: "
            + sizes.map { "\(($0.run as NSString).lastPathComponent)@\(Format.trimmed($0.n))" }.joined(separator: ", ")
            + ".\n"
        text += members.markdown
        text += "\n## Fit at steady: value = fixed + marginal × N\n\n"
        var t = MarkdownTable([
            "resource", "points", "marginal per VCP (slope)", "95% CI", "fixed (intercept)", "95% CI", "R²",
            "baseline range", "linear in N",
        ])
        for f in fits {
            guard let lf = f.fit else {
                t.add([
                    f.title, "\(f.points.count)", Format.missing, "", Format.missing, "", Format.missing,
                    baselineText(f), f.noFit ?? "no fit",
                ])
                continue
            }
            t.add([
                f.title, "\(f.points.count)", perVCP(f.unit, lf.slope),
                lf.slopeInterval.map { "\(perVCP(f.unit, $0.0)) … \(perVCP(f.unit, $0.1))" } ?? "— (2 points)",
                format(f.unit, lf.intercept),
                lf.interceptInterval.map { "\(format(f.unit, $0.0)) … \(format(f.unit, $0.1))" } ?? "— (2 points)",
                lf.rSquared.map { Format.fixed($0, 4) } ?? Format.missing, baselineText(f),
                f.linearityText,
            ])
        }
        text += t.text
        text +=
            "\nIntervals are 95 % (Student t, n − 2 degrees of freedom). \"Not linear\" means R² < \(Format.fixed(Self.minRSquared, 2)) "
            + "or, with 4+ distinct N, residuals with one sign at both ends and the other sign in between (a curve). "
            + "The fixed cost should sit near the baseline range; the per-run summaries keep their (steady − baseline) / N columns.\n"
        text += "\n## Residuals (value − fit)\n\n"
        let fitted = fits.filter { $0.fit != nil }
        var rt = MarkdownTable(["run", "N"] + fitted.map(\.title))
        for (run, n) in sizes {
            var row = [(run as NSString).lastPathComponent, Format.trimmed(n)]
            for f in fitted {
                if let i = f.points.firstIndex(where: { $0.run == run }) {
                    let r = f.fit!.residuals[i]
                    row.append((r >= 0 ? "+" : "-") + format(f.unit, abs(r)))
                } else {
                    row.append(Format.missing)
                }
            }
            rt.add(row)
        }
        text += rt.text
        return text
    }

    func baselineText(_ f: Fit) -> String {
        guard let (lo, hi) = f.baselineRange else { return Format.missing }
        return "\(format(f.unit, lo)) … \(format(f.unit, hi))"
    }

    /// sweep.csv: one row per resource, raw numbers (bytes, counts, %; slope per VCP).
    public var csv: String {
        if axis == .crdsPerCluster { return crdCSV }
        var t = CSVTable([
            "resource", "unit", "points", "distinct_n", "slope_per_vcp", "slope_ci_low", "slope_ci_high", "intercept",
            "intercept_ci_low", "intercept_ci_high", "r_squared", "baseline_min", "baseline_max", "linear", "note",
        ])
        for f in fits {
            let lf = f.fit
            t.add([
                f.key, f.unit, "\(f.points.count)", "\(Set(f.points.map(\.n)).count)", Format.csv(lf?.slope, 6),
                Format.csv(lf?.slopeInterval?.0, 6), Format.csv(lf?.slopeInterval?.1, 6), Format.csv(lf?.intercept, 3),
                Format.csv(lf?.interceptInterval?.0, 3), Format.csv(lf?.interceptInterval?.1, 3),
                Format.csv(lf?.rSquared, 6),
                Format.csv(f.baselineRange?.0, 3), Format.csv(f.baselineRange?.1, 3),
                lf == nil || !f.linearityTestable ? "" : (f.nonLinear == nil ? "true" : "false"),
                f.nonLinear ?? f.noFit ?? (lf != nil && !f.linearityTestable ? Self.untestedLinearity : ""),
            ])
        }
        return t.text
    }

    /// Writes sweep.md, sweep.csv and sweep.html into `directory`; sweep.html keeps the capacity
    /// section of the capacity.json that `kp-report capacity` left there.
    public func write(to directory: String) throws(ReportWriteError) {
        try Report.writeAtomically(markdown, to: (directory as NSString).appendingPathComponent("sweep.md"))
        try Report.writeAtomically(csv, to: (directory as NSString).appendingPathComponent("sweep.csv"))
        try Report.writeAtomically(
            html(capacity: CapacityFile.read(directory: directory)),
            to: (directory as NSString).appendingPathComponent("sweep.html"))
    }
}
