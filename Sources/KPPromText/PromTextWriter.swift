/// Writes metric families in the Prometheus text exposition format 0.0.4.
///
/// The inverse of ``PromTextParser``: `PromTextParser.parse(PromTextWriter.text(families))` gives
/// back `families` (a property the tests check on random input). Useful to emulate a `/metrics`
/// endpoint. Output is deterministic: families and samples in the given order, labels sorted by
/// name with `le` and `quantile` last (as Go's client library writes them), values in the shortest
/// form that reads back exactly (`44`, `1.5e-05`, `+Inf`, `NaN`).
public enum PromTextWriter {
    /// The exposition text for `families`.
    ///
    /// - Parameter families: The families to write; samples keep their full names (`x_bucket`).
    /// - Returns: `# HELP` (if any), `# TYPE` (unless untyped) and one line per sample.
    public static func text(_ families: [MetricFamily]) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(0) { $0 + 64 * ($1.samples.count + 2) })
        for family in families {
            if let help = family.help {
                out += "# HELP \(family.name) \(self.escape(help, quotes: false))\n"
            }
            if family.type != .untyped {
                out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            }
            for sample in family.samples {
                out += sample.name
                if !sample.labels.isEmpty {
                    out += "{"
                    var first = true
                    for (name, value) in sample.labels.sorted(by: self.labelOrder) {
                        if !first { out += "," }
                        first = false
                        out += "\(name)=\"\(self.escape(value, quotes: true))\""
                    }
                    out += "}"
                }
                out += " "
                out += self.format(sample.value)
                if let timestamp = sample.timestampMs { out += " \(timestamp)" }
                out += "\n"
            }
        }
        return out
    }

    /// A value as the text format writes it: `+Inf`, `-Inf`, `NaN`, integers without a fraction,
    /// others in Swift's shortest round-trip form (`1.5e-05`, `0.25`).
    ///
    /// - Parameter value: The value.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), value.magnitude < 1e15, !(value == 0 && value.sign == .minus) {
            return String(Int64(value))
        }
        return value.description
    }

    private static func labelOrder(_ a: (key: String, value: String), _ b: (key: String, value: String)) -> Bool {
        let aLast = a.key == "le" || a.key == "quantile"
        let bLast = b.key == "le" || b.key == "quantile"
        if aLast != bLast { return bLast }
        return a.key < b.key
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        guard
            text.utf8.contains(where: {
                $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\""))
            })
        else { return text }
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
