import KPStats

/// compare.html and sweep.html: the charts behind compare.md and sweep.md (docs/reports.md).
///
/// Both pages reuse ``HTMLPage`` (same CSS and CSP) and ``SVGChart``; the tables come from the very
/// Markdown compare.md / sweep.md hold (``SummaryHTML``), so page and file never disagree. Every
/// number goes through ``Format``, so re-running on the same inputs gives the same bytes.

/// A value in a chart-friendly unit: bytes in MiB, bytes per VCP, watcher or answer in KiB, others as they are.
enum ChartUnit {
    static func scale(_ unit: String) -> (divisor: Double, label: String) {
        switch unit {
        case "bytes": return (1_048_576, "MiB")
        case "bytes/VCP": return (1024, "KiB/VCP")
        case "bytes/watcher": return (1024, "KiB/watcher")
        case "bytes/answer": return (1024, "KiB/answer")
        default: return (1, unit)
        }
    }
}

extension Compare {
    /// Rows that get a chart: a value on at least one side.
    public var chartedRows: [Row] { rows.filter { !($0.a.isEmpty && $0.b.isEmpty) } }

    /// The strip plot of one figure: A's and B's runs as points, each side's median as a bar across.
    func chart(_ r: Row, index: Int) -> SVGChart {
        let (div, unit) = ChartUnit.scale(r.spec.unit)
        // The verdict in the title; change and p open the caption (a 580 px title holds ~55 characters).
        let title = "\(r.spec.title): \(r.verdict.rawValue)"
        var c = SVGChart(id: "cmp-\(index)", title: title, xLabel: "side", yLabel: unit)
        c.width = 580
        c.height = 300
        c.yFromZero = false
        c.xCategories = ["A (\(r.a.count) runs)", "B (\(r.b.count) runs)"]
        // Spread equal values sideways (deterministic, by rank) so every run stays visible.
        func strip(_ v: [Double], at x: Double) -> [(x: Double, y: Double)] {
            let sorted = v.sorted()
            let w = 0.3
            return sorted.enumerated().map { i, y in
                let off = sorted.count > 1 ? (Double(i) / Double(sorted.count - 1) - 0.5) * w : 0
                return (x + off, y / div)
            }
        }
        func medianBar(_ m: Double?, at x: Double) -> [(x: Double, y: Double)] {
            guard let m else { return [] }
            return [(x - 0.25, m / div), (x + 0.25, m / div)]
        }
        c.series = [
            .init("A runs", kind: .points, points: strip(r.a, at: 0), color: 0),
            .init("B runs", kind: .points, points: strip(r.b, at: 1), color: 1),
            .init("A median", kind: .line, points: medianBar(r.aMedian, at: 0), color: 0),
            .init("B median", kind: .line, points: medianBar(r.bMedian, at: 1), color: 1),
        ]
        c.series[2].vertices = false
        c.series[3].vertices = false
        c.note =
            "change \(Self.percent(r.changePercent)), p = \(Self.pText(r.test?.p)); A \(r.spec.format(r.aMedian)) → B \(r.spec.format(r.bMedian)); \(r.polarity == .lowerIsBetter ? "lower" : "higher") is better"
            + (r.limit.map { "; limit \(Self.limitText($0, r.spec))\(r.breach ? " (BEYOND)" : "")" } ?? "") + "."
        return c
    }

    /// compare.html.
    public var html: String {
        var header = ""
        if isEmulator {
            header +=
                "<div class=\"notice\">\(SummaryHTML.inline(Report.emulatorNotice.replacingOccurrences(of: "> ", with: "", options: .anchored)))</div>\n"
        }
        header += "<p>"
        if tooFewRuns { header += "<span class=\"status warn\">too few valid runs to call</span>" }
        if thresholds != nil {
            header +=
                breaches.isEmpty
                ? "<span class=\"status ok\">no regression beyond a threshold</span>"
                : "<span class=\"status bad\">REGRESSION: \(breaches.count) figure(s)</span>"
        }
        let better = rows.filter { $0.verdict == .better }.count
        let worse = rows.filter { $0.verdict == .worse }.count
        header +=
            "<span class=\"status ok\">\(better) better</span><span class=\"status \(worse > 0 ? "bad" : "ok")\">\(worse) worse</span></p>\n"
        var charts = "<div class=\"grid2\">\n"
        for (i, r) in chartedRows.enumerated() {
            charts += chart(r, index: i).figure(noData: "no value on either side")
        }
        charts += "</div>\n"
        var md = markdown
        let notice = Report.emulatorNotice + "\n\n"
        if md.hasPrefix(notice) { md = String(md.dropFirst(notice.count)) }
        return HTMLPage(
            title: "kp-bench compare", header: header,
            sections: [
                .init(
                    id: "charts", title: "A and B per figure",
                    body:
                        "<p>Each point is one run; the bar across is the side's median. Title: the verdict; caption: change of the medians, Mann–Whitney p.</p>\n"
                        + charts),
                .init(
                    id: "tables", title: "Tables (as in compare.md)",
                    body: "<div class=\"tables\">\n" + SummaryHTML.render(md) + "</div>\n"),
            ]
        ).render()
    }
}

extension Sweep {
    /// Fits that get a chart: at least one point.
    public var chartedFits: [Fit] { fits.filter { !$0.points.isEmpty } }

    /// The N at which the line and band are drawn: 24 even steps over the runs' N.
    public static func drawnN(_ f: Fit) -> [Double] {
        let ns = f.points.map(\.n)
        guard let lo = ns.min(), let hi = ns.max(), hi > lo else { return [] }
        return (0...24).map { lo + (hi - lo) * Double($0) / 24 }
    }

    /// (N, lower, fitted, upper) of the 95 % band for the mean at each drawn N; empty without a band.
    public static func band(_ f: Fit) -> [(n: Double, lower: Double, fit: Double, upper: Double)] {
        guard let lf = f.fit else { return [] }
        return drawnN(f).compactMap { n in lf.meanInterval(at: n).map { (n, $0.0, lf.predict(n), $0.1) } }
    }

    func chart(_ f: Fit, index: Int) -> SVGChart {
        let (div, unit) = ChartUnit.scale(f.unit)
        var title = f.title
        if let lf = f.fit {
            title +=
                ": fixed \(format(f.unit, lf.intercept)) + \(perVCP(f.unit, lf.slope)) × \(axisLetter), R² \(lf.rSquared.map { Format.fixed($0, 4) } ?? Format.missing)"
        }
        var c = SVGChart(
            id: "sweep-\(index)", title: title, xLabel: axis == nil ? "N (VCPs)" : "K (CRDs per VCP)",
            yLabel: "\(unit) at steady")
        c.height = 320
        if let lf = f.fit {
            c.series.append(
                .init("fit", kind: .line, points: Self.drawnN(f).map { ($0, lf.predict($0) / div) }, color: 1))
            let band = Self.band(f)
            if !band.isEmpty {
                c.series.append(
                    .init(
                        "95% band (mean)", kind: .line, points: band.map { ($0.n, $0.upper / div) }, color: 2,
                        dashed: true))
                c.series.append(
                    .init("", kind: .line, points: band.map { ($0.n, $0.lower / div) }, color: 2, dashed: true))
            }
            for i in c.series.indices { c.series[i].vertices = false }
            c.note =
                band.isEmpty
                ? "Two points: no degrees of freedom left, no band."
                : "Band: fit ± t·s·√(1/n + (N − N̄)²/Sxx), Student t with \(lf.n - 2) df."
                    + (f.nonLinear.map { " Not linear: \($0)." } ?? "")
        } else {
            c.note = "No fit: \(f.noFit ?? "no fit")."
        }
        // The runs last, drawn over the line and band.
        c.series.append(.init("runs", kind: .points, points: f.points.map { ($0.n, $0.value / div) }, color: 0))
        return c
    }

    /// sweep.html.
    public var html: String { html(capacity: nil) }

    /// sweep.html with the capacity section of `capacity` (kp-report capacity's capacity.json) after the fits.
    public func html(capacity: CapacityFile?) -> String {
        var header = ""
        if isEmulator {
            header +=
                "<div class=\"notice\">\(SummaryHTML.inline(Report.emulatorNotice.replacingOccurrences(of: "> ", with: "", options: .anchored)))</div>\n"
        }
        let notLinear = fits.filter { $0.nonLinear != nil }.count
        let fitted = fits.filter { $0.fit != nil }
        if !fitted.isEmpty && fitted.allSatisfy({ !$0.linearityTestable }) {
            // Two cluster counts: every fit is exact, so "0 not linear" would claim a test never made.
            header +=
                "<p><span class=\"status warn\">linearity untested: runs at 2 cluster counts (a line fits any two; run 3 or more)</span></p>\n"
        } else {
            header +=
                "<p><span class=\"status \(notLinear > 0 ? "warn" : "ok")\">\(notLinear) of \(fitted.count) fits not linear</span></p>\n"
        }
        var charts = ""
        for (i, f) in chartedFits.enumerated() {
            charts += chart(f, index: i).figure(noData: "no run has this resource")
        }
        var md = markdown
        let notice = Report.emulatorNotice + "\n\n"
        if md.hasPrefix(notice) { md = String(md.dropFirst(notice.count)) }
        return HTMLPage(
            title: "kp-bench sweep over \(axisLetter)", header: header,
            sections: [.init(id: "charts", title: "Fits at steady", body: charts)]
                + (capacity.map { [$0.htmlSection] } ?? [])
                + [
                    .init(
                        id: "tables", title: "Tables (as in sweep.md)",
                        body: "<div class=\"tables\">\n" + SummaryHTML.render(md) + "</div>\n")
                ]
        ).render()
    }
}
