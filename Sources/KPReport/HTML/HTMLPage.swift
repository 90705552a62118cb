/// One self-contained HTML page: inline CSS and SVG, no script, nothing fetched.
///
/// The Content-Security-Policy `default-src 'none'` (inline styles allowed) makes a browser refuse,
/// and log, any request the page might make; `make report-check` fails on such a log line. Compare
/// and sweep pages (and any later page) build on this type and ``SVGChart`` with their own sections.
public struct HTMLPage: Sendable {
    /// A titled part of the page; `body` is HTML.
    public struct Section: Sendable {
        public var id: String
        public var title: String
        public var body: String
        public init(id: String, title: String, body: String) {
            self.id = id
            self.title = title
            self.body = body
        }
    }

    public var title: String
    /// HTML shown above everything (notices, status lines).
    public var header: String
    public var sections: [Section]

    public init(title: String, header: String, sections: [Section]) {
        self.title = title
        self.header = header
        self.sections = sections
    }

    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"

    public static let css = """
        body { font: 15px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d2630; margin: 0; background: #fff; }
        main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
        h1 { font-size: 26px; margin: 10px 0 6px; }
        h2 { font-size: 21px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d8dee6; }
        h3 { font-size: 17px; margin: 22px 0 8px; }
        h4 { font-size: 15px; margin: 18px 0 6px; }
        nav { font-size: 14px; margin: 6px 0 14px; }
        nav a { margin-right: 14px; }
        a { color: #0b5cad; }
        .notice { background: #fff4d6; border-left: 5px solid #e0a100; padding: 8px 12px; margin: 8px 0; }
        .status { display: inline-block; padding: 3px 10px; border-radius: 4px; font-weight: 600; margin: 2px 8px 2px 0; font-size: 14px; }
        .ok { background: #dff3e4; color: #14532d; } .bad { background: #fde2e1; color: #7f1d1d; } .warn { background: #fff1cc; color: #713f12; }
        figure { margin: 14px 0 22px; }
        figcaption { font-size: 13px; color: #4a5561; margin-top: 2px; max-width: 1150px; }
        svg.chart { max-width: 100%; height: auto; background: #fff; }
        svg .title { font-size: 15px; font-weight: 600; fill: #1d2630; }
        svg .legend { font-size: 12.5px; fill: #1d2630; }
        svg .tick { font-size: 12px; fill: #38424d; }
        svg .axis-title { font-size: 12.5px; fill: #1d2630; }
        svg .grid { stroke: #e3e7ec; stroke-width: 1; }
        svg .frame { fill: none; stroke: #8a96a3; stroke-width: 1; }
        svg .marker { stroke: #5b6672; stroke-width: 1; stroke-dasharray: 3 3; }
        svg .marker-label { font-size: 11px; fill: #3d4752; }
        svg .band-label { font-size: 11.5px; fill: #4d5a68; font-style: italic; }
        .grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 20px; }
        .nodata { color: #6b7580; font-size: 14px; }
        .tables { overflow-x: auto; }
        table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; font-variant-numeric: tabular-nums; }
        th, td { border: 1px solid #d5dbe2; padding: 3px 9px; text-align: left; vertical-align: top; }
        th { background: #f1f4f7; }
        td.r, th.r { text-align: right; }
        tbody tr:nth-child(even) { background: #fafbfc; }
        code { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; background: #f3f5f7; padding: 0 3px; }
        ul { margin: 6px 0; padding-left: 22px; }
        .tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 16px; }
        .tile { display: flex; flex-direction: column; flex: 1 1 140px; padding: 8px 12px; border: 1px solid #d5dbe2; border-radius: 6px; background: #f7f9fb; color: inherit; text-decoration: none; }
        .tile:hover { border-color: #0b5cad; }
        .tile-label { font-size: 13px; color: #4a5561; }
        .tile-value { font-size: 21px; font-weight: 600; font-variant-numeric: tabular-nums; margin: 2px 0; white-space: nowrap; }
        .pair { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
        .pair > figure { max-width: 560px; }
        #client-server th, #client-server td { white-space: nowrap; }
        .tile-note { font-size: 12px; color: #5b6672; }
        """

    /// The whole document.
    public func render() -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(Self.contentSecurityPolicy)\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<title>\(SVGChart.escape(title))</title>\n<style>\n\(Self.css)\n</style>\n</head>\n<body>\n<main>\n"
        o += "<h1>\(SVGChart.escape(title))</h1>\n" + header
        if sections.count > 1 {
            o +=
                "<nav>" + sections.map { "<a href=\"#\($0.id)\">\(SVGChart.escape($0.title))</a>" }.joined()
                + "</nav>\n"
        }
        for s in sections {
            o += "<section id=\"\(s.id)\">\n<h2>\(SVGChart.escape(s.title))</h2>\n\(s.body)</section>\n"
        }
        return o + "</main>\n</body>\n</html>\n"
    }
}
