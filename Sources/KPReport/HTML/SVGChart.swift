import Foundation

/// A small SVG chart writer: axes with units and tick labels, a legend, linear or log axes,
/// shaded bands, vertical markers, and line / step / point / bar series.
///
/// Hand-written rather than a vendored JS library (docs/reports.md, "report.html"): the page must
/// be byte-identical on re-fold, readable without JavaScript and fetch nothing, and none of the
/// Swift packages available here draws charts. Every number goes through ``Format`` (fixed decimals,
/// no locale), so the same data gives the same bytes. Non-finite values (and values ≤ 0 on a log
/// axis) are dropped, never drawn; the `data-points` attribute of the `<svg>` counts the points that
/// were drawn, which `make report-check` asserts is above zero for every chart.
public struct SVGChart: Sendable {
    /// How a series is drawn.
    public enum Kind: Sendable { case line, step, points, bars }

    public struct Series: Sendable {
        public var name: String
        public var kind: Kind
        public var points: [(x: Double, y: Double)]
        /// Palette index (see ``palette``).
        public var color: Int
        public var dashed: Bool
        /// Dots on the vertices of a short line (off for computed curves, whose vertices are not data).
        public var vertices = true
        /// Points only: per point, a link (and its tooltip) the point opens; nil or a shorter list leaves
        /// the rest plain.
        public var links: [(href: String, title: String)?]?
        public init(
            _ name: String, kind: Kind = .line, points: [(x: Double, y: Double)], color: Int, dashed: Bool = false
        ) {
            self.name = name
            self.kind = kind
            self.points = points
            self.color = color
            self.dashed = dashed
        }
    }

    /// A shaded x range with a label (a phase), named with its colour in the legend.
    public struct Band: Sendable {
        public var from: Double
        public var to: Double
        public var label: String
        /// Fill colour; nil alternates two pale tints by position.
        public var color: String?
        public init(from: Double, to: Double, label: String, color: String? = nil) {
            self.from = from
            self.to = to
            self.label = label
            self.color = color
        }
    }

    /// A dashed vertical line with a label (a phase sample).
    public struct Marker: Sendable {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    /// Colour-blind-safe palette (Okabe–Ito, with black replaced by a dark blue-grey).
    public static let palette = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D", "#4D5D6B",
    ]

    public var id: String
    public var title: String
    public var xLabel: String
    /// The y axis title; a "\n" starts a second line.
    public var yLabel: String
    public var xLog = false
    public var yLog = false
    /// Category names for a categorical x axis: x values are then indices 0…n−1.
    public var xCategories: [String]?
    public var yFromZero = true
    /// Values the y axis must reach besides the data (headroom above a bound line).
    public var yInclude: [Double] = []
    /// A fixed y range (before rounding to ticks), so charts that are read together share one axis;
    /// it must cover the data (``sharedYRange(_:)`` computes one that covers several charts').
    public var yRange: (lo: Double, hi: Double)?
    public var width = 1180
    public var height = 330
    public var series: [Series] = []
    public var bands: [Band] = []
    public var markers: [Marker] = []
    /// One line under the title (what the chart shows, how it was computed).
    public var note: String?

    public init(id: String, title: String, xLabel: String, yLabel: String) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    // Layout (px).
    static let left = 78.0, right = 24.0, top = 58.0, bottom = 50.0

    /// Points of a series that can be drawn on these axes.
    func drawable(_ s: Series) -> [(x: Double, y: Double)] { s.points.filter(canDraw) }

    /// Whether a point can be drawn on these axes.
    func canDraw(_ p: (x: Double, y: Double)) -> Bool {
        p.x.isFinite && p.y.isFinite && (!xLog || p.x > 0) && (!yLog || p.y > 0)
    }

    /// The number of points drawn (the `data-points` attribute).
    public var drawnPoints: Int { series.reduce(0) { $0 + drawable($1).count } }

    /// The y axis: from ``yRange`` when set, else from the data, ``yInclude`` and 0 where it applies.
    var yAxis: Axis {
        if let r = yRange { return Axis(values: [r.lo, r.hi], log: yLog, categorical: false) }
        var ys = series.flatMap(drawable).map(\.y) + yInclude
        if yFromZero && !yLog { ys.append(0) }
        if series.contains(where: { $0.kind == .bars }) && !yLog { ys.append(0) }
        return Axis(values: ys, log: yLog, categorical: false)
    }

    /// The y axis's ends after rounding to ticks (the `data-y-range` attribute).
    public var yAxisRange: (lo: Double, hi: Double) {
        let a = yAxis
        return (a.lo, a.hi)
    }

    /// One y range (rounded to ticks) covering every drawable point and ``yInclude`` of these
    /// charts, for ``yRange``; nil when none draws anything. The charts are assumed to share `yLog`.
    public static func sharedYRange(_ charts: [SVGChart]) -> (lo: Double, hi: Double)? {
        let ys = charts.flatMap { c in c.series.flatMap(c.drawable).map(\.y) + c.yInclude }
        guard !ys.isEmpty, let log = charts.first?.yLog else { return nil }
        let a = Axis(values: ys, log: log, categorical: false)
        return (a.lo, a.hi)
    }

    /// An axis end as its tick label reads (`0.1`, `1,000`).
    public func yTickText(_ v: Double) -> String { yAxis.label(v) }

    /// The bands drawn, one per label (the first stretch of a label that appears twice), in order.
    var legendBands: [(label: String, color: String)] {
        var seen: Set<String> = []
        var out: [(String, String)] = []
        for (i, b) in bands.enumerated() where b.to > b.from && seen.insert(b.label).inserted {
            out.append((b.label, bandColor(b, i)))
        }
        return out
    }

    func bandColor(_ b: Band, _ i: Int) -> String { b.color ?? (i % 2 == 0 ? "#E8EEF7" : "#F4EBDD") }

    /// The `<svg>` element.
    public func render() -> String {
        let all = series.flatMap(drawable)
        let w = Double(width)
        let h = Double(height)
        let pw = w - Self.left - Self.right
        let ph = h - Self.top - Self.bottom
        var xs = all.map(\.x) + bands.flatMap { [$0.from, $0.to] } + markers.map(\.x)
        if let c = xCategories { xs = [-0.5, Double(c.count) - 0.5] }
        let xAxis = Axis(
            values: xs.filter { $0.isFinite && (!xLog || $0 > 0) }, log: xLog, categorical: xCategories != nil)
        let yAxis = self.yAxis
        func px(_ x: Double) -> Double { Self.left + xAxis.fraction(x) * pw }
        func py(_ y: Double) -> Double { Self.top + (1 - yAxis.fraction(y)) * ph }
        func f(_ v: Double) -> String { Format.fixed(v, 1) }

        var o =
            "<svg class=\"chart\" id=\"\(Self.escape(id))\" data-points=\"\(all.count)\" data-y-range=\"\(Self.escape(yAxis.label(yAxis.lo))) \(Self.escape(yAxis.label(yAxis.hi)))\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(Self.escape(title))\">\n"
        o += "<text class=\"title\" x=\"\(f(Self.left))\" y=\"18\">\(Self.escape(title))</text>\n"
        // Legend: one row under the title, naming the series that drew something.
        var lx = Self.left
        for s in series where !drawable(s).isEmpty && !s.name.isEmpty {  // unnamed: a second edge of a named band
            let c = Self.palette[s.color % Self.palette.count]
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            switch s.kind {
            case .points: o += "<circle cx=\"\(f(lx + 9))\" cy=\"37\" r=\"4\" fill=\"\(c)\"/>"
            case .bars:
                o +=
                    "<rect x=\"\(f(lx + 2))\" y=\"32\" width=\"14\" height=\"10\" fill=\"\(c)\" fill-opacity=\"0.75\"/>"
            default:
                o +=
                    "<line x1=\"\(f(lx))\" y1=\"37\" x2=\"\(f(lx + 18))\" y2=\"37\" stroke=\"\(c)\" stroke-width=\"2.5\"\(dash)/>"
            }
            o += "<text class=\"legend\" x=\"\(f(lx + 24))\" y=\"41\">\(Self.escape(s.name))</text>\n"
            lx += 24 + Double(s.name.count) * 7.2 + 22
        }
        // The shaded stretches, each with its colour, after the series.
        for (label, color) in legendBands {
            o +=
                "<rect class=\"band-key\" data-band=\"\(Self.escape(label))\" x=\"\(f(lx + 2))\" y=\"31\" width=\"16\" height=\"12\" fill=\"\(color)\" stroke=\"#9aa5b1\" stroke-width=\"0.75\"/>"
            o += "<text class=\"legend\" x=\"\(f(lx + 24))\" y=\"41\">\(Self.escape(label))</text>\n"
            lx += 24 + Double(label.count) * 7.2 + 22
        }
        // Bands, behind everything.
        for (i, b) in bands.enumerated() {
            let x0 = max(Self.left, px(b.from))
            let x1 = min(Self.left + pw, px(b.to))
            guard x1 > x0 else { continue }
            o +=
                "<rect class=\"band\" x=\"\(f(x0))\" y=\"\(f(Self.top))\" width=\"\(f(x1 - x0))\" height=\"\(f(ph))\" fill=\"\(bandColor(b, i))\"/>"
            // Inside the band where the label fits; above the plot, at the band's start, where it does not.
            let fits = x1 - x0 >= Double(b.label.count) * 6.5 + 8
            o +=
                "<text class=\"band-label\" x=\"\(f(x0 + (fits ? 4 : 1)))\" y=\"\(f(fits ? Self.top + 13 : Self.top - 4))\">\(Self.escape(b.label))</text>"
            o += "\n"
        }
        // Grid and ticks.
        for t in yAxis.ticks {
            let y = py(t)
            o +=
                "<line class=\"grid\" x1=\"\(f(Self.left))\" y1=\"\(f(y))\" x2=\"\(f(Self.left + pw))\" y2=\"\(f(y))\"/>"
            o +=
                "<text class=\"tick\" x=\"\(f(Self.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Self.escape(yAxis.label(t)))</text>\n"
        }
        if let cats = xCategories {
            for (i, c) in cats.enumerated() {
                let x = px(Double(i))
                o +=
                    "<line class=\"grid\" x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + ph))\"/>"
                o +=
                    "<text class=\"tick\" x=\"\(f(x))\" y=\"\(f(Self.top + ph + 17))\" text-anchor=\"middle\">\(Self.escape(c))</text>\n"
            }
        } else {
            for t in xAxis.ticks {
                let x = px(t)
                o +=
                    "<line class=\"grid\" x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + ph))\"/>"
                o +=
                    "<text class=\"tick\" x=\"\(f(x))\" y=\"\(f(Self.top + ph + 17))\" text-anchor=\"middle\">\(Self.escape(xAxis.label(t)))</text>\n"
            }
        }
        o +=
            "<rect class=\"frame\" x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(pw))\" height=\"\(f(ph))\"/>\n"
        // Markers.
        for m in markers where m.x.isFinite {
            let x = px(m.x)
            guard x >= Self.left - 0.5 && x <= Self.left + pw + 0.5 else { continue }
            o +=
                "<line class=\"marker\" x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + ph))\"/>"
            // Rotated, reading upwards from the bottom of the plot, left of the line (right of it at
            // the left edge, where the y tick labels are).
            let lx = x - Self.left < 14 ? x + 12 : x - 4
            o +=
                "<text class=\"marker-label\" x=\"\(f(lx))\" y=\"\(f(Self.top + ph - 5))\" transform=\"rotate(-90 \(f(lx)) \(f(Self.top + ph - 5)))\">\(Self.escape(m.label))</text>\n"
        }
        // Series.
        let barSeries = series.filter { $0.kind == .bars }
        for s in series {
            let pts = drawable(s)
            guard !pts.isEmpty else { continue }
            let c = Self.palette[s.color % Self.palette.count]
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            switch s.kind {
            case .line:
                let d = pts.enumerated().map { (i, p) in "\(i == 0 ? "M" : "L")\(f(px(p.x))) \(f(py(p.y)))" }.joined(
                    separator: " ")
                o += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"\(dash)/>\n"
                if pts.count <= 40 && s.vertices {
                    for p in pts { o += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(c)\"/>" }
                    o += "\n"
                }
            case .step:
                var d = "M\(f(px(pts[0].x))) \(f(py(pts[0].y)))"
                for p in pts.dropFirst() { d += " H\(f(px(p.x))) V\(f(py(p.y)))" }
                o += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"\(dash)/>\n"
            case .points:
                if let links = s.links {
                    for (i, p) in s.points.enumerated() where canDraw(p) {
                        let dot =
                            "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(c)\" stroke=\"#fff\" stroke-width=\"1\"/>"
                        if i < links.count, let l = links[i] {
                            o += "<a href=\"\(Self.escape(l.href))\"><title>\(Self.escape(l.title))</title>\(dot)</a>"
                        } else {
                            o += dot
                        }
                    }
                    o += "\n"
                    continue
                }
                for p in pts {
                    o +=
                        "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(c)\" stroke=\"#fff\" stroke-width=\"1\"/>"
                }
                o += "\n"
            case .bars:
                let k = Double(barSeries.count)
                let j = Double(barSeries.firstIndex { $0.name == s.name } ?? 0)
                let xsSorted = Set(pts.map(\.x)).sorted()
                let gap =
                    zip(xsSorted, xsSorted.dropFirst()).map { px($1) - px($0) }.min()
                    ?? (xCategories != nil ? pw / Double(max(1, xCategories!.count)) : 20)
                let bw = max(1, min(40, gap * 0.8) / k)
                let base = py(yLog ? yAxis.lo : max(0, yAxis.lo))
                for p in pts {
                    let x = px(p.x) - bw * k / 2 + j * bw
                    let y = py(p.y)
                    o +=
                        "<rect x=\"\(f(x))\" y=\"\(f(min(y, base)))\" width=\"\(f(bw))\" height=\"\(f(abs(base - y)))\" fill=\"\(c)\" fill-opacity=\"0.75\"/>"
                }
                o += "\n"
            }
        }
        // Axis titles (with units).
        o +=
            "<text class=\"axis-title\" x=\"\(f(Self.left + pw / 2))\" y=\"\(f(h - 8))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        // The y title reads upwards; a second line (after "\n") sits right of the first.
        let yLines = yLabel.split(separator: "\n", omittingEmptySubsequences: false)
        for (k, line) in yLines.enumerated() {
            let x = yLines.count == 1 ? 16 : 13 + 14 * Double(k)
            o +=
                "<text class=\"axis-title\" x=\"\(f(x))\" y=\"\(f(Self.top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(x)) \(f(Self.top + ph / 2)))\">\(Self.escape(String(line)))</text>\n"
        }
        o += "</svg>"
        return o
    }

    /// The chart in a `<figure>` with its note, or a "no data" paragraph when nothing can be drawn.
    public func figure(noData: String) -> String {
        guard drawnPoints > 0 else {
            return "<p class=\"nodata\"><strong>\(Self.escape(title)):</strong> \(Self.escape(noData))</p>\n"
        }
        var o = "<figure>\n" + render() + "\n"
        if let note { o += "<figcaption>\(Self.escape(note))</figcaption>\n" }
        return o + "</figure>\n"
    }

    /// Escapes text for HTML/SVG content and attributes.
    public static func escape(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(ch)
            }
        }
        return o
    }

    /// One axis: range, ticks and tick labels.
    struct Axis {
        var lo: Double
        var hi: Double
        var log: Bool
        var ticks: [Double] = []
        var step: Double = 1

        init(values: [Double], log: Bool, categorical: Bool) {
            self.log = log
            var lo = values.min() ?? 0
            var hi = values.max() ?? 1
            if categorical {
                self.lo = lo
                self.hi = hi
                return
            }
            if log {
                lo = max(lo, 1e-12)
                hi = max(hi, lo)
                var a = Foundation.floor(Foundation.log10(lo))
                var b = Foundation.ceil(Foundation.log10(hi))
                if b <= a { b = a + 1 }
                if b - a > 12 { a = b - 12 }
                self.lo = Foundation.pow(10, a)
                self.hi = Foundation.pow(10, b)
                let decades = Int(b - a)
                for e in Int(a)...Int(b) {
                    let p = Foundation.pow(10, Double(e))
                    ticks.append(p)
                    if decades <= 2 && e < Int(b) { ticks += [2 * p, 5 * p] }
                }
                ticks.sort()
                return
            }
            if hi - lo < 1e-12 {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad
                hi += pad
            }
            let raw = (hi - lo) / 6
            let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
            let r = raw / mag
            step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag
            self.lo = Foundation.floor(lo / step) * step
            self.hi = Foundation.ceil(hi / step) * step
            var t = self.lo
            while t <= self.hi + step * 1e-9 {
                ticks.append(abs(t) < step * 1e-9 ? 0 : t)
                t += step
            }
        }

        /// Position of `v` along the axis, 0…1.
        func fraction(_ v: Double) -> Double {
            if log {
                let a = Foundation.log10(lo)
                let b = Foundation.log10(hi)
                return (Foundation.log10(max(v, lo * 1e-3)) - a) / (b - a)
            }
            return hi > lo ? (v - lo) / (hi - lo) : 0.5
        }

        func label(_ v: Double) -> String {
            if log {
                if v >= 1 { return SVGChart.thousands(v) }
                let places = Int(-Foundation.floor(Foundation.log10(v)))
                return Format.fixed(v, places)
            }
            let places =
                step >= 1
                ? 0
                : Int(Foundation.ceil(-Foundation.log10(step) - 1e-9))
                    + (step * Foundation.pow(10, Foundation.ceil(-Foundation.log10(step) - 1e-9)) == 2.5 ? 1 : 0)
            if places == 0 { return SVGChart.thousands(v) }
            return Format.fixed(v, places)
        }
    }

    /// An integer-valued figure with thousands separators (`12,000`).
    static func thousands(_ v: Double) -> String {
        let s = Format.fixed(v, 0)
        let neg = s.hasPrefix("-")
        let digits = Array(neg ? String(s.dropFirst()) : s)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (neg ? "-" : "") + out
    }
}
