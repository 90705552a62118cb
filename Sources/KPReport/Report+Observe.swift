import Foundation
import KPRecords
import KPRunModel

extension Report {
    /// The observe scenario's two samples.
    static let observeStart = "observe-start"
    static let observeEnd = "observe-end"

    /// `## Observed` (scenario observe): the live server at the watch's start and end and the series'
    /// lowest and highest values between them; kp-bench created no VCP and wrote nothing. Empty for
    /// any other scenario.
    var observedSection: String {
        guard !scenarioModel.createsVCPs else { return "" }
        let start = phases.row(Self.observeStart)
        let end = phases.row(Self.observeEnd)
        var text = "## Observed\n\n"
        text +=
            "A live server that kp-bench did not start: no VCP created, no object written, only `/metrics` and pprof read. "
        if let s = start?.sample, let e = end?.sample {
            let series = data.seriesSamples.filter { $0.tNs >= s.tNs && $0.tNs <= e.tNs }
            text +=
                "Samples \(Self.observeStart) and \(Self.observeEnd) (each with pprof) \(Format.seconds(e.tNs - s.tNs)) apart"
            text +=
                "\(data.runMeta?.flags["observe-duration"].map { " (--observe-duration \($0))" } ?? ""), and \(series.count) series samples between them"
            text += "\(data.runMeta?.flags["series-interval"].map { " (every \($0))" } ?? "").\n\n"
            var t = MarkdownTable(["figure", Self.observeStart, Self.observeEnd, "change", "series min", "series max"])
            for f in [ResourceFigure.heapInuse, .heapAlloc, .rss, .goroutines, .openFds] {
                let a = f.value(in: s)
                let b = f.value(in: e)
                let values = series.compactMap { f.value(in: $0) }
                let show: (Double?) -> String = { f.isBytes ? Format.bytes($0) : Format.count($0) }
                let change: String =
                    if let a, let b { f.isBytes ? Format.signedBytes(b - a) : Format.signed(b - a, 0) } else {
                        Format.missing
                    }
                t.add([f.title, show(a), show(b), change, show(values.min()), show(values.max())])
            }
            text += t.text
            if let cpu = end?.cpuPercent {
                text +=
                    "\nCPU over the watch (\(Self.observeStart) to \(Self.observeEnd)): \(Format.fixed(cpu, 1)) % of one core.\n"
            }
        } else {
            let lacking = [Self.observeStart, Self.observeEnd].filter { phases.row($0) == nil }
            text += "Not compared: the run lacks the \(lacking.joined(separator: " and ")) sample.\n"
        }
        if data.endpoint?.emulator == true { text += "\nThe observed server is kp-sim, not kplane.\n" }
        return text
    }
}
