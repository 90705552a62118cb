/// Turns summary.md into HTML, so report.html shows the very tables summary.md has (one source).
///
/// Hand-written for the subset kp-report itself writes (headings, GitHub tables with `\|` escapes and
/// `---:` alignment, `- ` lists, `> ` quotes, paragraphs, `**bold**`, `` `code` ``, `[text](#anchor)`)
/// rather than Ink (available here): Ink passes raw HTML through, and summary.md carries text from
/// the target and the records (error messages, URLs) that must be shown escaped, never interpreted;
/// a CSP-blocked `<img>` from a hostile error message would also break `make report-check`.
enum SummaryHTML {
    /// HTML for a whole summary.md; every `##` heading gets an id (`## Data problems` → `data-problems`).
    static func render(_ markdown: String, skipTitle: Bool = true) -> String {
        var out = ""
        var lines = markdown.components(separatedBy: "\n")[...]
        var paragraph: [String] = []
        func flush() {
            if !paragraph.isEmpty {
                out += "<p>" + paragraph.map(inline).joined(separator: "<br>\n") + "</p>\n"
                paragraph = []
            }
        }
        while let line = lines.first {
            lines = lines.dropFirst()
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                flush()
                continue
            }
            if line.hasPrefix("#") {
                flush()
                let level = line.prefix { $0 == "#" }.count
                let text = String(line.dropFirst(level)).trimmingCharacters(in: .whitespaces)
                if level == 1 && skipTitle { continue }
                let tag = "h\(min(level + 1, 6))"
                out += "<\(tag) id=\"\(anchor(text))\">\(inline(text))</\(tag)>\n"
            } else if line.hasPrefix("|") {
                flush()
                var rows = [line]
                while let next = lines.first, next.hasPrefix("|") {
                    rows.append(next)
                    lines = lines.dropFirst()
                }
                out += table(rows)
            } else if line.hasPrefix("- ") {
                flush()
                var items = [String(line.dropFirst(2))]
                while let next = lines.first, next.hasPrefix("- ") {
                    items.append(String(next.dropFirst(2)))
                    lines = lines.dropFirst()
                }
                out += "<ul>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</ul>\n"
            } else if line.hasPrefix("> ") {
                flush()
                out += "<blockquote class=\"notice\">\(inline(String(line.dropFirst(2))))</blockquote>\n"
            } else {
                paragraph.append(line)
            }
        }
        flush()
        return out
    }

    /// GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped.
    static func anchor(_ text: String) -> String {
        var o = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" {
                o.append(ch)
            } else if ch == " " {
                o.append("-")
            }
        }
        return o
    }

    /// Splits a table row on unescaped `|`.
    static func cells(_ row: String) -> [String] {
        var s = Substring(row.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("|") { s = s.dropFirst() }
        if s.hasSuffix("|") && !s.hasSuffix("\\|") { s = s.dropLast() }
        var out: [String] = []
        var cur = ""
        var escaped = false
        for ch in s {
            if escaped {
                if ch != "|" { cur.append("\\") }
                cur.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "|" {
                out.append(cur.trimmingCharacters(in: .whitespaces))
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        if escaped { cur.append("\\") }
        out.append(cur.trimmingCharacters(in: .whitespaces))
        return out
    }

    static func table(_ rows: [String]) -> String {
        guard rows.count >= 2 else { return "<p>\(inline(rows.joined(separator: " ")))</p>\n" }
        let header = cells(rows[0])
        let aligns = cells(rows[1]).map { $0.hasSuffix(":") }
        let emptyHeader = header.allSatisfy(\.isEmpty)
        var o = "<table>\n"
        if !emptyHeader {
            o +=
                "<thead><tr>"
                + header.enumerated().map { i, h in
                    "<th\(i < aligns.count && aligns[i] ? " class=\"r\"" : "")>\(inline(h))</th>"
                }.joined() + "</tr></thead>\n"
        }
        o += "<tbody>\n"
        for row in rows.dropFirst(2) {
            o +=
                "<tr>"
                + cells(row).enumerated().map { i, c in
                    "<td\(i < aligns.count && aligns[i] ? " class=\"r\"" : "")>\(inline(c))</td>"
                }.joined() + "</tr>\n"
        }
        return o + "</tbody></table>\n"
    }

    /// Escapes the text, then applies `code`, **bold** and [text](#anchor) (only in-page links).
    static func inline(_ text: String) -> String {
        // Code spans first: their content is literal.
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "`") {
            out += emphasis(String(rest[..<open]))
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "`") else {
                out += emphasis(String(rest[open...]))
                rest = ""
                break
            }
            out += "<code>" + SVGChart.escape(String(after[..<close])) + "</code>"
            rest = after[after.index(after: close)...]
        }
        out += emphasis(String(rest))
        return out
    }

    static func emphasis(_ text: String) -> String {
        var s = SVGChart.escape(text)
        // **bold**: complete pairs only; an unmatched ** stays literal.
        let parts = s.components(separatedBy: "**")
        if parts.count >= 3 {
            let paired = (parts.count - 1) / 2 * 2
            var o = parts[0]
            for i in 1..<parts.count {
                o += (i <= paired ? (i % 2 == 1 ? "<strong>" : "</strong>") : "**") + parts[i]
            }
            s = o
        }
        // [text](#anchor): in-page links only; anything else stays text.
        var o = ""
        var rest = Substring(s)
        while let lb = rest.firstIndex(of: "["), let rb = rest[lb...].firstIndex(of: "]"),
            rest.index(after: rb) < rest.endIndex, rest[rest.index(after: rb)] == "(",
            let rp = rest[rb...].firstIndex(of: ")")
        {
            let label = rest[rest.index(after: lb)..<rb]
            let target = rest[rest.index(rb, offsetBy: 2)..<rp]
            o += rest[..<lb]
            if target.hasPrefix("#")
                && target.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            {
                o += "<a href=\"\(target)\">\(label)</a>"
            } else {
                o += rest[lb...rp]
            }
            rest = rest[rest.index(after: rp)...]
        }
        return o + rest
    }
}
