import Foundation
import Testing

@testable import KPRecords

/// Hostile input for `JSONLReader`: mutated record files and random bytes must read as a list of
/// per-line successes and failures, never a crash, a throw or a hang. (Written by the parsers'
/// owner; the mutation helpers are a fileprivate copy of Tests/KPPromTextTests/FuzzInput.swift.)
@Suite struct JSONLReaderFuzzTests {
    static let tokens: [[UInt8]] = [
        "\n", "\r\n", "{", "}", "[", "]", "\"", "\\", "\\u0000", ":", ",", "null", "1e999", "-0", "\"kind\":", "\"v\":99",
        "\"v\":1", "\u{FF}", "\u{00}",
    ].map { Array($0.utf8) }

    func withTempFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kpfuzz-\(UUID().uuidString).jsonl").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedRecordFilesReadLineByLine() throws {
        guard let url = Bundle.module.url(forResource: "all-kinds", withExtension: "jsonl", subdirectory: "Fixtures/v1") else {
            Issue.record("Fixtures/v1/all-kinds.jsonl is missing from the test bundle")
            return
        }
        let fixture = [UInt8](try Data(contentsOf: url))
        var good = 0
        var bad = 0
        try FuzzRun.run { rng, replay in
            let input = FuzzRun.mutate(fixture, tokens: Self.tokens, &rng)
            let items = try withTempFile(input) { try JSONLReader.read(path: $0) }
            let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect(items.count <= lines, "\(replay): more items than lines")
            for item in items {
                switch item {
                case .success: good += 1
                case .failure(let error): bad += 1; #expect(!"\(error)".isEmpty, "\(replay)")
                }
            }
        }
        #expect(good > 0 && bad > 0, "the mutations exercise both paths")
    }

    @Test(.timeLimit(.minutes(1)))
    func randomBytesReadLineByLine() throws {
        try FuzzRun.run { rng, replay in
            var input = FuzzRun.randomBytes(&rng)
            if Bool.random(using: &rng) { input = input.map { $0 % 5 == 0 ? UInt8(ascii: "\n") : $0 } }
            let items = try withTempFile(input) { try JSONLReader.read(path: $0) }
            let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect(items.count <= lines, "\(replay)")
        }
    }
}

/// SplitMix64: a seeded generator so a failing case can be replayed from `KP_FUZZ_SEED`.
private struct FuzzRNG: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Time-bounded mutation runs (`KP_FUZZ_SECONDS`, default 1.5 s; `KP_FUZZ_SEED`).
private enum FuzzRun {
    static func run(_ body: (inout FuzzRNG, _ replay: String) throws -> Void) rethrows {
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["KP_FUZZ_SECONDS"].flatMap(Double.init) ?? 1.5
        let seed = environment["KP_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        let deadline = Date().addingTimeInterval(seconds)
        var iteration: UInt64 = 0
        repeat {
            var rng = FuzzRNG(state: seed &+ iteration &* 0x2545_F491_4F6C_DD1D)
            try body(&rng, "KP_FUZZ_SEED=\(seed) iteration \(iteration)")
            iteration += 1
        } while Date() < deadline
    }

    static func randomBytes(_ rng: inout FuzzRNG, maxCount: Int = 4096) -> [UInt8] {
        (0..<Int.random(in: 0...maxCount, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func mutate(_ input: [UInt8], tokens: [[UInt8]], _ rng: inout FuzzRNG) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...64, using: &rng)))
            case 3 where !bytes.isEmpty:
                bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + Int.random(in: 1...256, using: &rng))], at: position)
            case 4: bytes = Array(bytes.prefix(position))
            case 5 where !tokens.isEmpty: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: position)
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
            }
        }
        return bytes
    }
}
