import Foundation
import KPRecords

extension Report {
    /// `kp-load --knee-steps`: the steps, each against the SLO, and the highest offered rate that held.
    /// Empty when the run has no `knee_step` record.
    var kneeSection: String {
        let steps = data.kneeSteps
        guard !steps.isEmpty || data.kneeResult != nil else { return "" }
        var text = "## Knee\n\n"
        if let r = data.kneeResult {
            text +=
                "SLO: read and write response p99 ≤ \(Format.ms(Double(r.sloP99Ns), 1)) ms, errors ≤ \(Format.fixed(r.sloMaxErrorPercent, 2)) %. "
            let held = r.highestHeldRps.map { "\(Format.fixed($0, 1)) ops/s" }
            let ending = r.endingRps.map { "\(Format.fixed($0, 1)) ops/s" } ?? Format.missing
            let why = r.endingReasons.isEmpty ? "" : " (\(r.endingReasons.joined(separator: "; ")))"
            switch r.result {
            case "knee found":
                text +=
                    "**Highest rate that held: \(held ?? "none")**; \(ending) broke the SLO\(why): the knee lies between them.\n"
            case "all steps held":
                text += "**All steps held**, up to \(held ?? Format.missing): the knee is above the highest step.\n"
            case "unknown above":
                text +=
                    "**Unknown above \(held ?? "the first step")**: kp-load itself was the limit at \(ending)\(why), so this is not the server's knee.\n"
            default:
                text += "Result: \(r.result).\n"
            }
        } else {
            text += "No knee_result record: the search did not finish (see the load logs).\n"
        }
        guard !steps.isEmpty else { return text }
        var t = MarkdownTable(
            ["step", "offered ops/s", "achieved ops/s", "read p99 ms", "write p99 ms", "errors", "verdict", "SLO"],
            rightAligned: [true, true, true, true, true, true, false, false])
        for s in steps {
            t.add([
                String(s.step + 1), Format.fixed(s.offeredRps, 1), Format.fixed(s.achievedRps, 1),
                Format.ms(s.readP99Ns.map(Double.init), 2), Format.ms(s.writeP99Ns.map(Double.init), 2),
                "\(s.errors) of \(s.operations)", s.verdict, s.judgement,
            ])
        }
        return text + "\n" + t.text
    }
}

extension Report {
    /// report.html's knee chart: read and write p99 per step against the offered rate, the SLO as a
    /// dashed line, a marker at the highest rate that held. Empty without `knee_step` records.
    var kneeCharts: String {
        let steps = data.kneeSteps
        guard !steps.isEmpty else { return "" }
        var c = SVGChart(
            id: "chart-knee", title: "Response-time p99 per knee step", xLabel: "offered rate (ops/s)",
            yLabel: "p99 (ms)")
        for (i, op) in ["read", "write"].enumerated() {
            let points = steps.compactMap { s -> (x: Double, y: Double)? in
                guard let p = op == "read" ? s.readP99Ns : s.writeP99Ns else { return nil }
                return (s.offeredRps, Double(p) / 1e6)
            }
            if !points.isEmpty { c.series.append(.init("\(op) p99", kind: .line, points: points, color: i)) }
        }
        if let r = data.kneeResult, let a = steps.map(\.offeredRps).min(), let b = steps.map(\.offeredRps).max() {
            let slo = Double(r.sloP99Ns) / 1e6
            c.series.append(.init("SLO p99", kind: .line, points: [(a, slo), (b, slo)], color: 2, dashed: true))
            if let held = r.highestHeldRps { c.markers.append(.init(x: held, label: "highest held")) }
        }
        return c.figure(noData: "no step finished an operation")
    }
}
