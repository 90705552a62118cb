import Foundation
import KPRunModel

/// A sweep over the test CRDs per VCP, K, at one N (`make sweep-crds`, runset.json axis
/// `crds-per-cluster`): the same least-squares fit as the sweep over N, value = fixed + marginal × K,
/// whose slope is what one more CRD in every VCP costs the server and, divided by N, what one CRD in
/// one VCP costs.
extension Sweep {
    /// `N` or `K`: the swept quantity's letter.
    var axisLetter: String { axis == nil ? "N" : "K" }

    /// The marginal cost per CRD per VCP: the slope over K divided by N.
    func perCRDPerVCP(_ slope: Double?) -> Double? {
        guard let slope, let n = clustersAtEveryK, n > 0 else { return nil }
        return slope / n
    }

    /// A per-CRD-per-VCP cost: bytes in bytes (small), others as per-VCP figures.
    func perCRDPerVCPText(_ unit: String, _ v: Double?) -> String {
        guard let v else { return Format.missing }
        return unit == "bytes" ? Format.fixed(v / 1024, 2) + " KiB" : perVCP(unit, v)
    }

    /// sweep.md of a sweep over K.
    var crdMarkdown: String {
        var text = ""
        if isEmulator { text += Report.emulatorNotice + "\n\n" }
        text += "# kp-bench sweep over K (test CRDs per VCP)\n\n"
        text +=
            "\(runs.count) runs, \(members.valid.count) valid; K from each valid run's crds-per-cluster flag (1 when absent): "
            + sizes.map { "\(($0.run as NSString).lastPathComponent)@\(Format.trimmed($0.n))" }.joined(separator: ", ")
            + "; N = " + (clustersAtEveryK.map(Format.trimmed) ?? "not the same in every run (no per-VCP figure)")
            + ".\n"
        text += members.markdown
        text += "\n## Fit at steady: value = fixed + marginal × K\n\n"
        var t = MarkdownTable([
            "resource", "points", "marginal per CRD (slope)", "95% CI", "per CRD per VCP (slope / N)", "95% CI",
            "fixed (intercept)", "R²", "linear in K",
        ])
        for f in fits {
            guard let lf = f.fit else {
                t.add([
                    f.title, "\(f.points.count)", Format.missing, "", Format.missing, "", Format.missing,
                    Format.missing,
                    f.noFit ?? "no fit",
                ])
                continue
            }
            t.add([
                f.title, "\(f.points.count)", format(f.unit, lf.slope),
                lf.slopeInterval.map { "\(format(f.unit, $0.0)) … \(format(f.unit, $0.1))" } ?? "— (2 points)",
                perCRDPerVCPText(f.unit, perCRDPerVCP(lf.slope)),
                lf.slopeInterval.map {
                    "\(perCRDPerVCPText(f.unit, perCRDPerVCP($0.0))) … \(perCRDPerVCPText(f.unit, perCRDPerVCP($0.1)))"
                } ?? "— (2 points)",
                format(f.unit, lf.intercept), lf.rSquared.map { Format.fixed($0, 4) } ?? Format.missing,
                f.linearityText.replacingOccurrences(of: "cluster counts", with: "CRD counts"),
            ])
        }
        text += t.text
        text +=
            "\nThe slope is what one more test CRD in each of the N VCPs adds at steady; divided by N it is the cost of one CRD in one VCP. "
            + "Intervals are 95 % (Student t, n − 2 degrees of freedom). The fixed cost is the server with N VCPs and no CRD.\n"
        return text
    }

    /// sweep.csv of a sweep over K.
    var crdCSV: String {
        var t = CSVTable([
            "resource", "unit", "points", "distinct_k", "clusters", "slope_per_crd", "slope_ci_low", "slope_ci_high",
            "slope_per_crd_per_vcp", "intercept", "r_squared", "note",
        ])
        for f in fits {
            let lf = f.fit
            t.add([
                f.key, f.unit, "\(f.points.count)", "\(Set(f.points.map(\.n)).count)",
                Format.csv(clustersAtEveryK, 0), Format.csv(lf?.slope, 6), Format.csv(lf?.slopeInterval?.0, 6),
                Format.csv(lf?.slopeInterval?.1, 6), Format.csv(perCRDPerVCP(lf?.slope), 6),
                Format.csv(lf?.intercept, 3), Format.csv(lf?.rSquared, 6), f.nonLinear ?? f.noFit ?? "",
            ])
        }
        return t.text
    }
}
