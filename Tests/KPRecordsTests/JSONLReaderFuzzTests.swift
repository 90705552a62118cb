import Foundation
import KPTestSupport
import Testing

@testable import KPRecords

/// Hostile input for `JSONLReader`: mutated record files and random bytes must read as a list of
/// per-line successes and failures, never a crash, a throw or a hang. (Mutation helpers:
/// KPTestSupport's FuzzInput, shared with the Prometheus-text and pprof fuzz tests.)
@Suite struct JSONLReaderFuzzTests {
    static let tokens: [[UInt8]] = [
        "\n", "\r\n", "{", "}", "[", "]", "\"", "\\", "\\u0000", ":", ",", "null", "1e999", "-0", "\"kind\":",
        "\"v\":99",
        "\"v\":1", "\u{FF}", "\u{00}",
    ].map { Array($0.utf8) }

    func withTempFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kpfuzz-\(UUID().uuidString).jsonl")
            .path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedRecordFilesReadLineByLine() throws {
        guard let url = Bundle.module.url(forResource: "all-kinds", withExtension: "jsonl", subdirectory: "Fixtures/v1")
        else {
            Issue.record("Fixtures/v1/all-kinds.jsonl is missing from the test bundle")
            return
        }
        let fixture = [UInt8](try Data(contentsOf: url))
        var good = 0
        var bad = 0
        try FuzzInput.run { rng, replay in
            let input = FuzzInput.mutate(fixture, tokens: Self.tokens, &rng)
            let items = try withTempFile(input) { try JSONLReader.read(path: $0) }
            let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect(items.count <= lines, "\(replay): more items than lines")
            for item in items {
                switch item {
                case .success: good += 1
                case .failure(let error):
                    bad += 1
                    #expect(!"\(error)".isEmpty, "\(replay)")
                }
            }
        }
        #expect(good > 0 && bad > 0, "the mutations exercise both paths")
    }

    @Test(.timeLimit(.minutes(1)))
    func randomBytesReadLineByLine() throws {
        try FuzzInput.run { rng, replay in
            var input = FuzzInput.randomBytes(&rng)
            if Bool.random(using: &rng) { input = input.map { $0 % 5 == 0 ? UInt8(ascii: "\n") : $0 } }
            let items = try withTempFile(input) { try JSONLReader.read(path: $0) }
            let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect(items.count <= lines, "\(replay)")
        }
    }
}
