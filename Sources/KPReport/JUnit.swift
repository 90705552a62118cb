import Foundation

/// `junit.xml`: a run's budgets and checks, or a comparison's thresholds, as JUnit test cases, so CI
/// systems (GitLab, Jenkins, GitHub test reporters) list them as tests (docs/reports.md, "JUnit").
///
/// The XML follows the Ant/Jenkins JUnit schema (Tests/Fixtures/junit.xsd): `testsuites` → one
/// `testsuite` per kind → one `testcase` per budget, check or threshold. A case that broke carries
/// `<failure message type>` with the figure, the limit and the measured value; a warning budget that
/// broke, an inconclusive check and a budget or threshold with nothing to judge are `<skipped
/// message>`: GitLab and Jenkins count and list skipped cases with their message without failing
/// the pipeline, where a passed case's `<system-out>` would stay hidden behind a click.
///
/// Written by hand: no XML library is among kp-bench's packages, and the format is a few elements.
/// No clock and no host: the same report gives the same bytes.
public struct JUnitReport: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case passed
        /// `message`: one line; `detail`: the element's text (figure, limit, measured, one per line).
        case failed(message: String, type: String, detail: String)
        case skipped(message: String)
    }

    public struct TestCase: Sendable, Equatable {
        public var name: String
        public var classname: String
        public var outcome: Outcome
        /// `<system-out>`: what the case measured, for a passed case too.
        public var output: String?
    }

    public struct Suite: Sendable, Equatable {
        public var name: String
        public var cases: [TestCase]
        public var failures: Int { cases.filter { if case .failed = $0.outcome { true } else { false } }.count }
        public var skipped: Int { cases.filter { if case .skipped = $0.outcome { true } else { false } }.count }
    }

    public var name: String
    public var suites: [Suite]

    public var tests: Int { suites.reduce(0) { $0 + $1.cases.count } }
    public var failures: Int { suites.reduce(0) { $0 + $1.failures } }
    public var skipped: Int { suites.reduce(0) { $0 + $1.skipped } }

    /// The document.
    public var xml: String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"\(Self.escape(name))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\">\n"
        for s in suites {
            out +=
                "  <testsuite name=\"\(Self.escape(s.name))\" tests=\"\(s.cases.count)\" failures=\"\(s.failures)\" errors=\"0\" skipped=\"\(s.skipped)\">\n"
            for c in s.cases {
                out += "    <testcase name=\"\(Self.escape(c.name))\" classname=\"\(Self.escape(c.classname))\""
                guard c.outcome != .passed || c.output != nil else {
                    out += "/>\n"
                    continue
                }
                out += ">\n"
                switch c.outcome {
                case .passed: break
                case .failed(let message, let type, let detail):
                    out +=
                        "      <failure message=\"\(Self.escape(message))\" type=\"\(Self.escape(type))\">\(Self.escape(detail))</failure>\n"
                case .skipped(let message):
                    out += "      <skipped message=\"\(Self.escape(message))\"/>\n"
                }
                if let o = c.output { out += "      <system-out>\(Self.escape(o))</system-out>\n" }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// Text for an attribute or element: the five XML entities escaped, tabs and newlines as
    /// character references (attribute values keep them), and characters XML 1.0 cannot hold
    /// (other C0 controls, lone surrogates are impossible in Swift strings, U+FFFE/U+FFFF) as U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

extension Report {
    /// junit.xml of this run: a `budgets` suite (``budgetResults``) and a `checks` suite (result.json's
    /// checks: load errors, generator limit, API-call SLO per source, call and cluster); nil when the
    /// run has neither.
    public var junit: JUnitReport? {
        let run = data.runMeta?.run ?? "run"
        let scenario = data.runMeta?.scenario ?? "bootstrap"
        var suites: [JUnitReport.Suite] = []
        let budgets = budgetResults
        if !budgets.isEmpty {
            suites.append(
                .init(
                    name: "budgets",
                    cases: budgets.map { b in
                        let name = "\(b.spec.key) \(b.limitText)"
                        let detail =
                            "figure: \(b.spec.key) (\(b.spec.title))\nlimit: \(b.entry.bound.rawValue) \(b.spec.format(b.entry.limit)) (\(Format.trimmed(b.entry.limit)) \(b.spec.unit))\nmeasured: \(b.measured.map { "\(b.spec.format($0)) (\(Format.trimmed($0)) \(b.spec.unit))" } ?? "not measured")\nseverity: \(b.entry.severity.rawValue)"
                        let outcome: JUnitReport.Outcome
                        switch (b.verdict, b.entry.severity) {
                        case (.held, _): outcome = .passed
                        case (.broken, .error): outcome = .failed(message: b.line, type: "budget", detail: detail)
                        case (.broken, .warning): outcome = .skipped(message: "warning budget broken: " + b.line)
                        case (.unmeasured, _): outcome = .skipped(message: "not measured in this run: " + b.line)
                        }
                        return .init(
                            name: name, classname: "kp-bench.\(scenario).budgets", outcome: outcome, output: detail)
                    }))
        }
        let checks = result(exitCodeNames: [:], files: []).checks
        if !checks.isEmpty {
            suites.append(
                .init(
                    name: "checks",
                    cases: checks.map { c in
                        var name = c.name
                        for part in [c.source, c.call, c.cluster] { if let part { name += " \(part)" } }
                        let line =
                            "\(name): measured \(Format.trimmed(c.value)) \(c.unit), limit \(Format.trimmed(c.threshold)) \(c.unit)"
                            + (c.note.map { " (\($0))" } ?? "")
                        let detail =
                            "check: \(name)\nlimit: \(Format.trimmed(c.threshold)) \(c.unit)\nmeasured: \(Format.trimmed(c.value)) \(c.unit)\nverdict: \(c.verdict)"
                            + (c.note.map { "\nnote: \($0)" } ?? "")
                        let outcome: JUnitReport.Outcome =
                            switch c.verdict {
                            case "held": .passed
                            case "missed": .failed(message: line, type: c.name, detail: detail)
                            default: .skipped(message: "\(c.verdict): " + line)
                            }
                        return .init(
                            name: name, classname: "kp-bench.\(scenario).checks", outcome: outcome, output: detail)
                    }))
        }
        return suites.isEmpty ? nil : JUnitReport(name: "kp-bench \(run)", suites: suites)
    }
}

extension Compare {
    /// junit.xml of a comparison: one case per figure that a threshold covers; nil without thresholds.
    /// Beyond its limit: failed; too few runs or absent on a side: skipped; else passed.
    public var junit: JUnitReport? {
        guard thresholds != nil else { return nil }
        let cases: [JUnitReport.TestCase] = rows.compactMap { r in
            guard let limit = r.limit else { return nil }
            let limitText = Self.limitText(limit, r.spec)
            let measured =
                "A \(r.spec.format(r.aMedian)) → B \(r.spec.format(r.bMedian)) (\(Self.percent(r.changePercent))), p = \(Self.pText(r.test?.p)), n \(r.a.count)/\(r.b.count)"
            let detail =
                "figure: \(r.spec.key) (\(r.spec.title))\nlimit: worse by more than \(limitText) (\(limit.source)), polarity \(r.polarity.rawValue)\nmeasured: \(measured)\nverdict: \(r.verdict.rawValue)"
            let line = "\(r.spec.key): \(measured), beyond \(limitText) (\(limit.source))"
            let outcome: JUnitReport.Outcome
            if r.breach {
                outcome = .failed(message: line, type: "regression", detail: detail)
            } else if r.verdict == .tooFewRuns || r.verdict == .missing {
                outcome = .skipped(message: "\(r.verdict.rawValue): \(r.spec.key)")
            } else {
                outcome = .passed
            }
            return .init(
                name: "\(r.spec.key) within \(limitText)", classname: "kp-bench.compare.thresholds", outcome: outcome,
                output: detail)
        }
        return JUnitReport(name: "kp-bench compare", suites: [.init(name: "thresholds", cases: cases)])
    }
}
