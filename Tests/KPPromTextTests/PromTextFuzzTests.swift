import Foundation
import KPTestSupport
import Testing

@testable import KPPromText

/// Hostile input: mutated captures and random bytes must give a result or a `PromTextError`,
/// never a crash, a hang or unbounded memory.
@Suite struct PromTextFuzzTests {
    static let tokens: [[UInt8]] = [
        "{", "}", "\"", "\\", "\\\"", "\\n", "\n", "#", " ", "\t", "=", ",", "+Inf", "-Inf", "NaN", "e+", "1e-05",
        "0x1p3",
        "# TYPE a histogram\n", "# TYPE a summary\n", "# HELP a x\\n\n", "_bucket", "_sum", "_count", "_created",
        "le=\"", "quantile=\"", "__name__", "\r", "\u{00}", "\u{FF}", "9999999999999999999999",
    ].map { Array($0.utf8) }

    @Test(.timeLimit(.minutes(1)))
    func mutatedEtcdMetricsNeverCrash() throws {
        let fixture = [UInt8](try Fixtures.data("etcd-metrics.txt"))
        var parsed = 0
        var rejected = 0
        let iterations = try FuzzInput.run { rng, replay in
            let input = FuzzInput.mutate(fixture, tokens: Self.tokens, &rng)
            do {
                let families = try PromTextParser.parse(Data(input))
                // Whatever parsed must be usable.
                for family in families {
                    _ = family.histogramSeries()
                    _ = family.summarySeries()
                }
                _ = families.value(of: "go_goroutines")
                parsed += 1
            } catch let error as PromTextError {
                #expect(error.line >= 1 && error.column >= 1, "\(replay)")
                #expect(!error.description.contains("\n"), "\(replay): \(error)")
                rejected += 1
            }
        }
        #expect(iterations > 20)
        #expect(parsed > 0 && rejected > 0, "the mutations exercise both paths")
    }

    @Test(.timeLimit(.minutes(1)))
    func randomBytesNeverCrash() throws {
        FuzzInput.run { rng, replay in
            var input = FuzzInput.randomBytes(&rng)
            // Half the time, make it look line-oriented.
            if Bool.random(using: &rng) { input = input.map { $0 % 4 == 0 ? UInt8(ascii: "\n") : $0 & 0x7f } }
            do {
                _ = try PromTextParser.parse(Data(input))
            } catch is PromTextError {
            } catch {
                Issue.record("\(replay): unexpected error \(error)")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func hugeLineIsRejectedWithoutReadingIt() throws {
        // A single 100 MB line: rejected at the line limit (the newline search stops there).
        var input = [UInt8](repeating: UInt8(ascii: "a"), count: 100 << 20)
        input.append(UInt8(ascii: "\n"))
        let limits = PromTextParser.Limits(maxLineBytes: 1 << 20, maxInputBytes: 128 << 20)
        let error = try #require(throws: PromTextError.self) {
            try input.withUnsafeBufferPointer { try PromTextParser.parse(bytes: $0, limits: limits) }
        }
        #expect(error.message == "line is longer than 1048576 bytes")
        // And the default input limit refuses it outright.
        #expect(throws: PromTextError.self) {
            try input.withUnsafeBufferPointer { try PromTextParser.parse(bytes: $0) }
        }
    }
}
