import Foundation
import Testing

@testable import KPRecords

@Suite struct JSONLReaderTests {
    func tempFile(_ content: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kprec-\(UUID().uuidString).jsonl")
            .path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func damagedLinesAreNamedAndReadingGoesOn() throws {
        let good = String(
            decoding: try RecordCodec.encode(ErrorRecord(tNs: 1, tool: "t", message: "a", input: nil).record),
            as: UTF8.self)
        let newer = #"{"kind":"error","v":9,"t_ns":1,"tool":"t","message":"x"}"#
        let content = [good, "{not json", "", newer, good, String(good.prefix(20))].joined(separator: "\n")
        let path = try tempFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let items = try JSONLReader.read(path: path)
        #expect(items.count == 5)  // the blank line is not an item
        #expect((try? items[0].get()) != nil)
        guard case .failure(let e2) = items[1] else {
            Issue.record("corrupt line accepted")
            return
        }
        #expect(e2.location == "\(path):2")
        guard case .failure(let e4) = items[2] else {
            Issue.record("newer line accepted")
            return
        }
        #expect(e4.reason == .newerVersion(9) && e4.location == "\(path):4")
        #expect((try? items[3].get()) != nil)
        guard case .failure(let e6) = items[4] else {
            Issue.record("truncated last line accepted")
            return
        }
        #expect(e6.location == "\(path):6")
    }

    @Test func missingFileIsAnError() {
        #expect(throws: JSONLReader.ReaderError.self) { _ = try JSONLReader.read(path: "/nonexistent/x.jsonl") }
    }

    @Test func writerAppendsWholeLinesFromManyThreads() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kpw-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try JSONLWriter(appendingTo: path)
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            try! writer.write(
                ErrorRecord(tNs: Int64(i), tool: "t", message: String(repeating: "x", count: i * 10), input: nil))
        }
        let items = try JSONLReader.read(path: path)
        #expect(items.count == 400)
        let ts = Set(
            items.compactMap { item -> Int64? in
                if case .success(.error(let e)) = item { return e.tNs } else { return nil }
            })
        #expect(ts.count == 400)
    }
}
