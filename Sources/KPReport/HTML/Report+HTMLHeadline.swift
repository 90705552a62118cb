import KPStats

/// report.html's headline tiles: the figures summary.md's `## Headline` and `## Sizing a pod` print,
/// taken from the same values (``Report/seedRowFigures``, ``Report/headlineFigures``,
/// ``Report/sizing``) and printed the same way, so the page and summary.md cannot disagree.
extension Report {
    /// One tile: what it is, its value, and how it was obtained; `anchor` links to the table it comes from.
    struct HeadlineTile: Equatable {
        var id: String
        var label: String
        var value: String
        var note: String
        var anchor: String
    }

    /// Per-VCP heap and RSS at steady (as the Headline's seed row prints them), the scenario's own
    /// headline figures (p99s, rate, errors, load cost per hot VCP, …), and the pod's requests and limits.
    var headlineTiles: [HeadlineTile] {
        func id(_ key: String) -> String { "tile-" + key.replacingOccurrences(of: ".", with: "-") }
        var out: [HeadlineTile] = []
        for key in ["per_vcp.heap_inuse_bytes", "per_vcp.rss_bytes"] {
            guard let f = seedRowFigures.first(where: { $0.spec.key == key }) else {
                out.append(
                    .init(
                        id: id(key), label: key == "per_vcp.rss_bytes" ? "per-VCP RSS" : "per-VCP heap in-use",
                        value: Format.missing, note: "needs the baseline and steady samples and N", anchor: "headline"))
                continue
            }
            // The Headline row prints per-VCP bytes in MiB with two decimals.
            out.append(
                .init(id: id(key), label: f.spec.title, value: Format.mib2(f.value), note: f.basis, anchor: "headline"))
        }
        for f in headlineFigures {
            out.append(.init(id: id(f.spec.key), label: f.spec.title, value: f.text, note: f.basis, anchor: "headline"))
        }
        func field(_ name: String) -> String {
            sizing.lines.first { $0.field == "resources." + name }?.value ?? Format.missing
        }
        out.append(
            .init(
                id: "tile-requests", label: "pod requests",
                value: "\(field("requests.memory")) · \(field("requests.cpu"))", note: "memory · CPU",
                anchor: "sizing-a-pod"))
        out.append(
            .init(
                id: "tile-limits", label: "pod limits", value: "\(field("limits.memory")) · \(field("limits.cpu"))",
                note: "memory · CPU", anchor: "sizing-a-pod"))
        return out
    }

    /// The tiles as a row of boxes, each linking to its table.
    var headlineHTML: String {
        var o = "<div class=\"tiles\" id=\"headline-tiles\">\n"
        for t in headlineTiles {
            o +=
                "<a class=\"tile\" id=\"\(t.id)\" href=\"#\(t.anchor)\"><span class=\"tile-label\">\(SVGChart.escape(t.label))</span>"
                + "<span class=\"tile-value\">\(SVGChart.escape(t.value))</span>"
                + "<span class=\"tile-note\">\(SVGChart.escape(t.note))</span></a>\n"
        }
        return o + "</div>\n"
    }
}
