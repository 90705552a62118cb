import Foundation
import KPRun
import Testing

/// kp-run passes a tool's verdict on in the tool's own words: its last error record, else its error line.
@Suite struct ToolVerdictTests {
    func temp() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("kp-verdict-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func append(_ path: String, _ text: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try #require(FileHandle(forWritingAtPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    @Test func errorRecordWinsOverTheLogLine() throws {
        let d = try temp()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let records = "\(d)/launch.jsonl"
        let log = "\(d)/kp-launch.log"
        let mark = ToolVerdict.mark(records: records, log: log)
        try append(log, "kp-launch: starting\nkp-launch: error: from the log\n")
        try append(
            records,
            #"{"kind":"error","v":1,"t_ns":1,"tool":"kp-launch","message":"the docker engine is not reachable"}"# + "\n"
        )
        #expect(ToolVerdict.reason(tool: "kp-launch", since: mark) == "the docker engine is not reachable")
    }

    @Test func logLineWhenNoRecordAndOnlySinceTheMark() throws {
        let d = try temp()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let log = "\(d)/kp-scrape.log"
        try append(log, "kp-scrape: error: an earlier sample's failure\n")
        let mark = ToolVerdict.mark(records: nil, log: log)
        #expect(ToolVerdict.reason(tool: "kp-scrape", since: mark) == nil)
        try append(log, "noise\nkp-scrape: error: sample 'steady' failed: timed out\nmore noise\n")
        #expect(ToolVerdict.reason(tool: "kp-scrape", since: mark) == "sample 'steady' failed: timed out")
    }
}
