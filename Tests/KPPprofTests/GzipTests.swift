import Foundation
import Testing

@testable import KPPprof

@Suite struct GzipTests {
    @Test(arguments: [0, 1, 100, 70_000, 1_000_000])
    func roundTrip(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        // Half random, half repetitive, so both stored and compressed blocks occur.
        let bytes = (0..<size).map { $0 % 2 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8($0 % 7) }
        let data = Data(bytes)
        let compressed = try Gzip.compress(data)
        #expect(Gzip.isGzip(compressed))
        #expect(try Gzip.decompress(compressed) == data)
    }

    @Test func interoperatesWithSystemGzip() throws {
        // gzip(1) output must decode, and our output must be accepted by gzip -t.
        let text = Data(String(repeating: "kp-bench gzip interop\n", count: 500).utf8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kpgz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("a.txt")
        try text.write(to: plain)
        try run("/bin/gzip", ["-k", plain.path])
        let theirs = try Data(contentsOf: dir.appendingPathComponent("a.txt.gz"))
        #expect(try Gzip.decompress(theirs) == text)
        let ours = dir.appendingPathComponent("b.txt.gz")
        try Gzip.compress(text).write(to: ours)
        try run("/bin/gzip", ["-t", ours.path])
    }

    @Test func concatenatedMembersDecodeToConcatenation() throws {
        let a = Data("first member ".utf8)
        let b = Data("second member".utf8)
        let joined = try Gzip.compress(a) + Gzip.compress(b)
        #expect(try Gzip.decompress(joined) == a + b)
    }

    @Test func limitIsExactAndEnforced() throws {
        let data = Data(repeating: 0, count: 10_000)
        let compressed = try Gzip.compress(data, level: 9)
        #expect(try Gzip.decompress(compressed, maxBytes: 10_000) == data)
        #expect(throws: GzipError(.tooLarge(9_999))) { try Gzip.decompress(compressed, maxBytes: 9_999) }
    }

    @Test func zipBombStopsAtLimitCheaply() throws {
        // 64 MiB of zeros compresses to ~64 KiB; with a 1 MiB limit we must stop early.
        let bomb = try Gzip.compress(Data(count: 64 << 20), level: 9)
        #expect(bomb.count < 200_000)
        #expect(throws: GzipError(.tooLarge(1 << 20))) { try Gzip.decompress(bomb, maxBytes: 1 << 20) }
    }

    @Test func rejectsNonGzipTruncatedCorruptAndTrailing() throws {
        let good = try Gzip.compress(Data("hello, profile".utf8))
        #expect(throws: GzipError(.notGzip)) { try Gzip.decompress(Data("plain".utf8)) }
        #expect(throws: GzipError(.notGzip)) { try Gzip.decompress(Data()) }
        #expect(throws: GzipError(.truncated)) { try Gzip.decompress(good.prefix(good.count - 4)) }
        #expect(throws: GzipError(.truncated)) { try Gzip.decompress(good.prefix(5)) }
        var badCRC = good
        badCRC[badCRC.count - 8] ^= 0xff
        #expect(throws: GzipError(.corrupt("incorrect data check"))) { try Gzip.decompress(badCRC) }
        #expect(throws: GzipError(.trailingBytes(3))) { try Gzip.decompress(good + Data([1, 2, 3])) }
        #expect(throws: GzipError(.badLevel(10))) { try Gzip.compress(good, level: 10) }
    }

    @Test func errorDescriptionsAreOneLine() {
        let kinds: [GzipError.Kind] = [
            .notGzip, .truncated, .corrupt("x"), .tooLarge(1), .trailingBytes(2), .inputTooLarge(3), .badLevel(11),
            .badLimit(-1), .zlib(function: "inflate", code: -2, message: nil),
        ]
        for kind in kinds {
            let text = GzipError(kind).description
            #expect(text.hasPrefix("gzip: "))
            #expect(!text.contains("\n"))
        }
    }

    private func run(_ tool: String, _ args: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = args
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) \(args) failed")
    }
}
