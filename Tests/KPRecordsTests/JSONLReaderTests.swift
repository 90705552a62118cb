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

    static func errorLine(_ i: Int, message: String = "m") throws -> String {
        String(
            decoding: try RecordCodec.encode(
                ErrorRecord(tNs: Int64(i), tool: "t", message: message, input: nil).record),
            as: UTF8.self)
    }

    @Test func lastLineWithoutNewlineIsRead() throws {
        let a = try Self.errorLine(1)
        let b = try Self.errorLine(2)
        for content in [a + "\n" + b, a + "\r\n" + b + "\r", "\n\n" + a + "\n \t\n" + b] {
            let path = try tempFile(content)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let fromFile = try JSONLReader.read(path: path)
            var fromData: [JSONLReader.Item] = []
            try JSONLReader.forEachLine(data: Data(content.utf8), name: path) { fromData.append($0) }
            #expect(fromFile == fromData)
            #expect(
                fromFile.map { try? $0.get() } == [
                    try RecordCodec.decode(Data(a.utf8), location: ""),
                    try RecordCodec.decode(Data(b.utf8), location: ""),
                ])
        }
        // A last line cut short is damaged, and named by its number.
        let path = try tempFile(a + "\n\n" + b.dropLast(3))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let items = try JSONLReader.read(path: path)
        #expect(items.count == 2)
        guard case .failure(let e) = items.last else {
            Issue.record("a cut last line was accepted")
            return
        }
        #expect(e.location == "\(path):3")
    }

    /// Reading in chunks of any size gives what reading the bytes whole gives, wherever the chunk
    /// boundaries fall (inside a line, on its CR, on its newline, between lines).
    @Test func linesCutByChunkBoundariesReadWhole() throws {
        var lines = try (0..<12).map { try Self.errorLine($0, message: String(repeating: "x", count: $0 * 7)) }
        lines[3] = ""
        lines[5] = "{not json"
        lines[7] = "  \t"
        lines[9] += "\r"
        let content = lines.joined(separator: "\n")
        let path = try tempFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var whole: [JSONLReader.Item] = []
        try JSONLReader.forEachLine(data: Data(content.utf8), name: "f") { whole.append($0) }
        #expect(whole.count == 10)
        #expect(whole.filter { (try? $0.get()) == nil }.count == 1)
        for chunk in Array(1...40) + [63, 64, 65, 127, 500, 1 << 16] {
            let fd = open(path, O_RDONLY)
            #expect(fd >= 0)
            defer { close(fd) }
            var chunked: [JSONLReader.Item] = []
            try JSONLReader.forEachLine(fd: fd, name: "f", chunkBytes: chunk, maxLineBytes: JSONLReader.maxLineBytes) {
                chunked.append($0)
            }
            #expect(chunked == whole, "chunks of \(chunk) bytes")
        }
    }

    /// A line over the limit is one damaged line, whichever way it arrives; the next line is read.
    @Test func overLongLinesAreSkippedAndNamed() throws {
        let limit = 60
        let fits = try Self.errorLine(1, message: "")
        let exact = try Self.errorLine(2, message: String(repeating: "y", count: limit - fits.utf8.count))
        let over = try Self.errorLine(3, message: String(repeating: "y", count: limit - fits.utf8.count + 1))
        #expect(exact.utf8.count == limit && over.utf8.count == limit + 1)
        let long = String(repeating: "z", count: 500)
        let content = [fits, over, exact, long, fits, long].joined(separator: "\n")
        let path = try tempFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var whole: [JSONLReader.Item] = []
        try JSONLReader.forEachLine(data: Data(content.utf8), name: "f", maxLineBytes: limit) { whole.append($0) }
        let tooLong = RecordError.Reason.malformed("line longer than \(limit) bytes")
        #expect(whole.count == 6)
        #expect((try? whole[0].get()) != nil && (try? whole[2].get()) != nil && (try? whole[4].get()) != nil)
        for (i, item) in whole.enumerated() where [1, 3, 5].contains(i) {
            #expect(item == .failure(RecordError(tooLong, location: "f:\(i + 1)")))
        }
        for chunk in [1, 7, 59, 60, 61, 64, 200, 4096] {
            let fd = open(path, O_RDONLY)
            #expect(fd >= 0)
            defer { close(fd) }
            var chunked: [JSONLReader.Item] = []
            try JSONLReader.forEachLine(fd: fd, name: "f", chunkBytes: chunk, maxLineBytes: limit) {
                chunked.append($0)
            }
            #expect(chunked == whole, "chunks of \(chunk) bytes")
        }
    }

    @Test func readFailureIsAnError() throws {
        // A directory opens for reading; reading it fails with EISDIR.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kprec-dir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: JSONLReader.ReaderError.self) { _ = try JSONLReader.read(path: dir) }
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
