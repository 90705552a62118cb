import Foundation
import KPTestSupport
import Testing

@testable import KPPromText

@Suite struct PromTextWriterTests {
    @Test func writesLikeGoClient() throws {
        let families = [
            MetricFamily(
                name: "go_goroutines", type: .gauge, help: "Number of goroutines.",
                samples: [
                    MetricSample(name: "go_goroutines", value: 44)
                ]),
            MetricFamily(
                name: "req", type: .histogram, help: "a \\ b\nc",
                samples: [
                    MetricSample(name: "req_bucket", labels: ["le": "0.5", "code": "a\"b\\c\nd"], value: 1),
                    MetricSample(name: "req_bucket", labels: ["le": "+Inf", "code": "x"], value: 2),
                    MetricSample(name: "req_sum", value: 1.5e-05),
                    MetricSample(name: "req_count", value: 2, timestampMs: 17),
                ]),
            MetricFamily(
                name: "u", samples: [MetricSample(name: "u", value: -.infinity), MetricSample(name: "u", value: .nan)]),
        ]
        let text = PromTextWriter.text(families)
        #expect(
            text == """
                # HELP go_goroutines Number of goroutines.
                # TYPE go_goroutines gauge
                go_goroutines 44
                # HELP req a \\\\ b\\nc
                # TYPE req histogram
                req_bucket{code="a\\"b\\\\c\\nd",le="0.5"} 1
                req_bucket{code="x",le="+Inf"} 2
                req_sum 1.5e-05
                req_count 2 17
                u -Inf
                u NaN

                """)
        #expect(try PromTextParser.parse(text) == families)
    }

    @Test(arguments: [
        0.0, -0.0, 1, -1, 0.1, 1e15, 1e16, 123456789.123, 2.2250738585072014e-308, .greatestFiniteMagnitude,
    ])
    func formatRoundTrips(value: Double) {
        let text = PromTextWriter.format(value)
        let back = PromTextParser.parseFloat(text)
        #expect(back == value, "\(text)")
        #expect(back?.sign == value.sign, "\(text)")
    }

    /// Property: for random valid families, parse(write(families)) == families.
    @Test(.timeLimit(.minutes(1)))
    func randomFamiliesRoundTrip() throws {
        let iterations = try FuzzInput.run { rng, replay in
            let families = Self.randomFamilies(&rng)
            let text = PromTextWriter.text(families)
            let parsed = try PromTextParser.parse(text)
            #expect(parsed.count == families.count, "\(replay)\n\(text)")
            for (a, b) in zip(parsed, families) where a != b {
                #expect(a.name == b.name && a.type == b.type && a.help == b.help, "\(replay)")
                for (x, y) in zip(a.samples, b.samples) where x != y {
                    #expect(x == y, "\(replay)")
                }
                #expect(a.samples.count == b.samples.count, "\(replay)")
            }
        }
        #expect(iterations > 10)
    }

    static func randomFamilies(_ rng: inout SplitMix64) -> [MetricFamily] {
        let nameChars = Array("abcxyz_:09")
        let valueChars: [Character] = ["a", " ", "\"", "\\", "\n", "{", "}", "=", ",", "é", "✓", "#"]
        func string(_ chars: [Character], _ max: Int) -> String {
            String((0..<Int.random(in: 0...max, using: &rng)).map { _ in chars.randomElement(using: &rng)! })
        }
        func value() -> Double {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: return .nan
            case 1: return .infinity
            case 2: return -.infinity
            case 3: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
            case 4: return Double(bitPattern: rng.next())  // any bit pattern, including subnormals
            default: return Double.random(in: -1e6...1e6, using: &rng)
            }
        }
        func labels() -> [String: String] {
            var labels: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                labels["l" + string(Array("abc_09"), 4)] = string(valueChars, 8)
            }
            return labels
        }
        var families: [MetricFamily] = []
        for i in 0..<Int.random(in: 0...6, using: &rng) {
            // "m<i>x…" names cannot be another family's name plus a suffix.
            let name = "m\(i)x" + string(nameChars, 6)
            let type = MetricType.allCases.randomElement(using: &rng)!
            // HELP text cannot start with a blank: the format skips blanks after the name (as expfmt).
            let help: String? = Bool.random(using: &rng) ? "h" + string(valueChars, 12) : nil
            var samples: [MetricSample] = []
            for _ in 0..<Int.random(in: (type == .untyped && help == nil ? 1 : 0)...4, using: &rng) {
                let timestamp: Int64? =
                    Bool.random(using: &rng) ? Int64.random(in: -1_000_000...Int64.max, using: &rng) : nil
                var sampleLabels = labels()
                var sampleName = name
                switch type {
                case .histogram:
                    let suffix = ["_bucket", "_sum", "_count", "_created"].randomElement(using: &rng)!
                    sampleName += suffix
                    if suffix == "_bucket" { sampleLabels["le"] = PromTextWriter.format(value()) }
                case .summary:
                    let suffix = ["", "_sum", "_count", "_created"].randomElement(using: &rng)!
                    sampleName += suffix
                    if suffix.isEmpty {
                        sampleLabels["quantile"] = PromTextWriter.format(Double.random(in: 0...1, using: &rng))
                    }
                default:
                    break
                }
                samples.append(
                    MetricSample(name: sampleName, labels: sampleLabels, value: value(), timestampMs: timestamp))
            }
            families.append(MetricFamily(name: name, type: type, help: help, samples: samples))
        }
        return families
    }
}
