import Foundation
import KPPprof
import KPRecords
import Testing

@testable import KPReport

@Suite struct ReportDamageTests {
    @Test func damagedLinesAreSkippedAndListed() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        // bootstrap.jsonl line 2 corrupt (11 records follow... insert a bad line after line 1).
        var lines = try f.read("bootstrap.jsonl").split(separator: "\n").map(String.init)
        lines.insert("{\"kind\":\"bootstrap_step\",\"v\":1,garbage", at: 1)
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: f.path("bootstrap.jsonl"), atomically: true, encoding: .utf8)
        // samples.jsonl: a truncated last line (writer killed mid-write), and a newer schema version.
        try f.append(
            "samples.jsonl", "{\"kind\":\"sample\",\"v\":9,\"t_ns\":1,\"phase\":\"steady\",\"source\":\"x\"}\n")
        try f.append("samples.jsonl", "{\"kind\":\"sample\",\"v\":1,\"t_ns\":17")
        // endpoint.json missing.
        try FileManager.default.removeItem(atPath: f.path("endpoint.json"))

        let report = Report(directory: f.dir)
        try report.write(to: f.dir)
        let md = try f.read("summary.md")
        #expect(md.contains("## Data problems"))
        #expect(md.contains("- bootstrap.jsonl:2: not a JSON record"))
        #expect(md.contains("- samples.jsonl:4: record v9 needs a newer kp-bench"))
        #expect(md.contains("- samples.jsonl:5: not a JSON record"))
        #expect(md.contains("- endpoint.json: missing"))
        #expect(
            md.contains(
                "Incomplete tables: Bootstrap, Deltas, Observer cost, Per VCP, Phases, Profiles, Run, Server-side latency, Sizing a pod."
            ))
        #expect(md.contains("**Data problems:** 4"))
        // Everything else is still folded: all 20 steps and all three phases.
        #expect(report.data.steps.count == 20)
        #expect(report.phases.rows.count == 3)
        #expect(md.contains("| target | — (no endpoint.json) |"))
        #expect(
            report.problems.map(\.location) == [
                "bootstrap.jsonl:2", "endpoint.json", "samples.jsonl:4", "samples.jsonl:5",
            ])
    }

    @Test func onlyMetaStillWritesAReport() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try f.write("meta.jsonl", [Fixtures.meta().record])
        let report = Report(directory: f.dir)
        try report.write(to: f.dir)
        let md = try f.read("summary.md")
        #expect(md.contains("**INCOMPLETE:**"))
        #expect(md.contains("no sample for phase baseline, post-bootstrap, steady"))
        #expect(md.contains("No phase samples"))
        #expect(md.contains("No bootstrap records"))
        #expect(try f.read("phases.csv") == Report.phasesColumns.joined(separator: ",") + "\n")
    }

    @Test func unreadableHistogramIsAProblemNotACrash() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        var text = try f.read("load.jsonl")
        // Break the write response histogram's count so its buckets no longer add up.
        text = text.replacingOccurrences(of: "\"count\":100,\"highest\"", with: "\"count\":101,\"highest\"")
        try text.write(toFile: f.path("load.jsonl"), atomically: true, encoding: .utf8)
        let report = Report(directory: f.dir)
        #expect(report.problems.contains { $0.message.contains("add up to 100 but count is 101") })
        #expect(report.latencyCSV.split(separator: "\n").count == 3)
    }

    /// An archived run (results/) keeps its big record files as `*.jsonl.gz`: the fold is the same.
    @Test func gzippedRecordFilesFoldToTheSameReport() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.mixedRun(f)
        let plain = Report(directory: f.dir)
        for name in ["samples.jsonl", "load.jsonl", "timeseries.jsonl"]
        where FileManager.default.fileExists(atPath: f.path(name)) {
            try Gzip.compress(f.readBytes(name)).write(to: URL(fileURLWithPath: f.path(name + ".gz")))
            try FileManager.default.removeItem(atPath: f.path(name))
        }
        let zipped = Report(directory: f.dir)
        #expect(zipped.problems.isEmpty, "\(zipped.problems)")
        #expect(zipped.summaryMarkdown == plain.summaryMarkdown)
        #expect(zipped.phasesCSV == plain.phasesCSV && zipped.latencyCSV == plain.latencyCSV)
        #expect(zipped.data.phaseSamples.count == plain.data.phaseSamples.count && !plain.data.phaseSamples.isEmpty)
        #expect(zipped.data.loadFinal != nil && zipped.data.missingFiles == plain.data.missingFiles)

        // A damaged archive is a data problem located in the .gz, not a crash; the rest still folds.
        try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: f.path("load.jsonl.gz")))
        let damaged = Report(directory: f.dir)
        #expect(damaged.problems.contains { $0.location == "load.jsonl.gz" && $0.message.hasPrefix("read failed:") })
        #expect(damaged.phases.rows.count == plain.phases.rows.count)
    }

    /// A gzipped file is decoded in pieces cut at line ends: the items, damage and line numbers
    /// included, are those of one read of the whole file, wherever the cuts fall.
    @Test func piecesOfAGzippedFileReadAsOneRead() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        var text = ""
        for i in 0..<60 {
            let sample = Fixtures.sample("baseline", t: Int64(i) * Fixtures.s, cpu: 1, heap: 2, rss: 3, gor: 4)
            text += String(decoding: try RecordCodec.encode(.sample(sample)), as: UTF8.self)
            switch i % 7 {
            case 1: text += "\n{\"kind\":\"sample\",\"v\":1,\"t_ns\":\n"
            case 2: text += "\n   \n"
            case 3: text += "\r\n{\"kind\":\"no_such_kind\",\"v\":1}\n"
            case 4: text += "\n\n"
            default: text += "\n"
            }
        }
        text += "{\"kind\":\"samp"  // cut short, no newline
        let raw = Data(text.utf8)
        try Gzip.compress(raw).write(to: URL(fileURLWithPath: f.path("samples.jsonl.gz")))
        var whole: [JSONLReader.Item] = []
        try JSONLReader.forEachLine(data: raw, name: "samples.jsonl.gz") { whole.append($0) }
        #expect(whole.count(where: { if case .failure = $0 { true } else { false } }) == 19)
        let source = RunData.RecordSource(file: "samples.jsonl", path: f.path("samples.jsonl.gz"), compressed: true)
        for size in [1, 50, 333, 1000, raw.count, 1 << 20] {
            let outcomes = RunData.decodeInParallel([source], pieceBytes: size)
            #expect(outcomes.count == 1)
            #expect(outcomes[0].allSatisfy { $0.failure == nil })
            #expect(outcomes[0].flatMap(\.items) == whole, "pieces of \(size) bytes")
            if size == 1 { #expect(outcomes[0].count > 60) }
        }
    }

    @Test func writeFailureIsReported() throws {
        let f = try RunFixture()
        defer { f.cleanup() }
        try Fixtures.bootstrapRun(f)
        #expect(throws: ReportWriteError.self) { try Report(directory: f.dir).write(to: f.path("no-such-dir")) }
    }
}
