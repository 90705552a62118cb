import Foundation
import KPTestSupport
import Testing

@testable import KPRecords

/// RecordDecoder's fast path (RecordJSONDecoder) must give exactly what JSONDecoder gives: the same
/// record (same encoding, so -0.0 and NaN count too) or the same error, for any line.
@Suite struct RecordJSONDecoderTests {
    /// The line's outcome through RecordDecoder (fast path first) and through JSONDecoder alone.
    static func outcomes(_ line: [UInt8]) -> (fast: Result<Record, RecordError>, reference: Result<Record, RecordError>)
    {
        let decoder = RecordDecoder()
        let fast = line.withUnsafeBytes { bytes in
            Result { () throws(RecordError) -> Record in try decoder.decode(bytes, location: "f:1") }
        }
        let reference = Result { () throws(RecordError) -> Record in
            try decoder.decodeWithJSONDecoder(Data(line), location: "f:1")
        }
        return (fast, reference)
    }

    /// Expects both paths to agree on `line`, down to the bytes of the record re-encoded.
    static func expectSame(
        _ line: [UInt8], _ note: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let (fast, reference) = outcomes(line)
        let text = String(decoding: line, as: UTF8.self)
        if case .failure(let error) = fast, case .failure = reference, fast != reference {
            // JSONDecoder's error for a line with several faults inside one `[String: V]` depends on
            // the order it walks the object in, which changes from one decode to the next: the error
            // must be one JSONDecoder gives for the line.
            let decoder = RecordDecoder()
            let gives = (0..<200).contains { _ in
                (Result { () throws(RecordError) -> Record in
                    try decoder.decodeWithJSONDecoder(Data(line), location: "f:1")
                }) == .failure(error)
            }
            #expect(gives, "\(note()) \(error) is not JSONDecoder's for \(text)", sourceLocation: sourceLocation)
            return
        }
        #expect(fast == reference, "\(note()) \(text)", sourceLocation: sourceLocation)
        if case .success(let a) = fast, case .success(let b) = reference {
            #expect(
                (try? RecordCodec.encode(a)) == (try? RecordCodec.encode(b)), "\(note()) \(text)",
                sourceLocation: sourceLocation)
        }
    }

    /// Whether the fast path decodes `line` itself (rather than handing it to JSONDecoder).
    static func fastPathTakes(_ line: [UInt8]) -> Bool {
        line.withUnsafeBytes { (try? RecordJSONDecoder.decode(RecordDecoder.Envelope.self, from: $0)) != nil }
    }

    @Test(arguments: [1, 2, 3, 42, 1_000_003] as [UInt64])
    func everyKindTakesTheFastPathAndMatches(seed: UInt64) throws {
        for rec in RecordSamples.all(seed: seed) {
            let line = [UInt8](try RecordCodec.encode(rec))
            #expect(Self.fastPathTakes(line), "\(rec.kind) fell back to JSONDecoder")
            Self.expectSame(line, "\(rec.kind)")
            #expect(try RecordDecoder().decode(Data(line), location: "f:1") == rec)
        }
    }

    @Test func frozenFixtureLinesMatch() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/v1/all-kinds", withExtension: "jsonl"))
        let lines = try Data(contentsOf: url).split(separator: UInt8(ascii: "\n"))
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(Self.fastPathTakes([UInt8](line)))
            Self.expectSame([UInt8](line))
        }
    }

    /// A sample line with `field` set to the raw JSON `value`.
    static func sample(_ field: String, _ value: String) -> [UInt8] {
        Array(#"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","\#(field)":\#(value)}"#.utf8)
    }

    /// A sample line with one metric family holding one sample.
    static func family(labels: String = #"{"le":"0.5"}"#, value: String = "2") -> [UInt8] {
        Array(
            (#"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","families":[{"name":"m","type":"histogram","#
                + #""samples":[{"name":"m_bucket","labels":\#(labels),"value":\#(value)}]}]}"#).utf8)
    }

    static let integers = [
        "0", "-0", "1", "01", "1.0", "1.5", "1e3", "1E2", "-1e0", "+1", "0x10", "-", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e400",
        "true", "null", "\"1\"", "[1]",
    ]

    @Test(arguments: integers)
    func integerFieldsMatch(value: String) {
        Self.expectSame(Self.sample("scrape_ns", value))
        Self.expectSame(Array(#"{"kind":"sample","v":1,"t_ns":\#(value),"phase":"p","source":"s"}"#.utf8))
        // `v` is read by the header: a bad one is malformed, not invalid.
        Self.expectSame(Array(#"{"kind":"sample","v":\#(value),"t_ns":1,"phase":"p","source":"s"}"#.utf8))
    }

    static let doubles = [
        "0", "-0", "-0.0", "0e10", "0.1", "0.30000000000000004", "1e-05", "1.5E+3", "123456789012345678901234567890",
        "1.7976931348623157e308", "1.7976931348623159e308", "1e400", "-1e400", "2.2250738585072014e-308",
        "2.2250738585072011e-308", "5e-324", "4.9e-324", "2.4703282292062328e-324", "1e-400", "0.000", "00.5", ".5",
        "5.", "1e", "1e+", "-", "\"NaN\"", "true", "null",
    ]

    @Test(arguments: doubles)
    func doubleFieldsMatch(value: String) {
        Self.expectSame(Self.sample("cpu_seconds", value))
        Self.expectSame(Self.family(value: value))
    }

    @Test func randomDoublesParseAsJSONDecoderParses() {
        var rng = SplitMix64(seed: 20_261_129)
        for _ in 0..<3000 {
            let d: Double
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            case 1: d = Double.random(in: -1e6...1e6, using: &rng)
            default: d = Double.random(in: 0..<1, using: &rng) * pow(10, Double(Int.random(in: -30...30, using: &rng)))
            }
            guard d.isFinite else { continue }
            for text in ["\(d)", String(format: "%.17g", d), String(format: "%.25e", d), String(format: "%.6f", d)] {
                Self.expectSame(Self.sample("cpu_seconds", text), "\(d)")
            }
        }
    }

    static let strings = [
        #""plain""#, #""""#, #""é""#, #""a\u00e9b""#, #""\ud83d\ude00""#, #""\ud83d""#, #""\ude00""#,
        #""\ud83d\u0041""#,
        #""\u0000""#, #""\/\\\"\b\f\n\r\t""#, #""\x""#, #""\u12""#, #""\uZZZZ""#, #""\u00E9""#, "\"\u{FEFF}\"",
        "\"a\u{01}b\"", "\"a\tb\"", "\"e\u{301}\"",
    ]

    @Test(arguments: strings)
    func stringFieldsMatch(value: String) {
        Self.expectSame(Self.sample("error", value))
        Self.expectSame(Array(#"{"kind":"sample","v":1,"t_ns":1,"phase":\#(value),"source":"s"}"#.utf8))
        Self.expectSame(Self.family(labels: #"{"le":\#(value)}"#))
        Self.expectSame(Self.family(labels: #"{\#(value):"x"}"#))
        Self.expectSame(Array(#"{"kind":\#(value),"v":1}"#.utf8))
    }

    @Test func invalidUTF8Matches() {
        for bad: [UInt8] in [
            [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82],
        ] {
            var line = Array(#"{"kind":"sample","v":1,"t_ns":1,"phase":"a"#.utf8)
            line += bad + Array(#"b","source":"s"}"#.utf8)
            Self.expectSame(line)
            // The same bytes inside a field no record has: JSONDecoder still scans it.
            var unknown = Array(#"{"kind":"sample","v":1,"t_ns":1,"phase":"a","source":"s","later":""#.utf8)
            unknown += bad + Array(#""}"#.utf8)
            Self.expectSame(unknown)
        }
    }

    static let shapes =
        [
            // Repeated keys: JSONDecoder keeps the first.
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","phase":"q","source":"s"}"#,
            #"{"kind":"sample","kind":"error","v":1,"t_ns":1,"phase":"p","source":"s","tool":"t","message":"m"}"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","missing":{"a":"1","a":"2"}}"#,
            // Keys spelled with escapes or beyond ASCII.
            #"{"kind":"sample","v":1,"t_ns":1,"ph\u0061se":"p","source":"s"}"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","missing":{"\u00e9":"1","é":"2"}}"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","missing":{"e\u0301":"1","é":"2"}}"#,
            // Whitespace, trailing bytes, a byte-order mark, other top-level values.
            " {\t\"kind\" : \"sample\" ,\r\"v\":1 , \"t_ns\" : 1,\"phase\":\"p\",\"source\":\"s\" } ",
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s"}x"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s"}{}"#,
            "\u{FEFF}{\"kind\":\"sample\",\"v\":1,\"t_ns\":1,\"phase\":\"p\",\"source\":\"s\"}",
            "[]", "{}", "null", "\"sample\"", "1", "", "{", "{\"kind\"}", "{\"kind\":\"sample\",}", "[1,]",
            // Nulls for optional and required fields.
            #"{"kind":"sample","v":null,"t_ns":1,"phase":"p","source":"s","error":null,"families":null}"#,
            #"{"kind":"sample","v":1,"t_ns":null,"phase":"p","source":"s"}"#,
            #"{"kind":null,"v":1}"#, #"{"v":1}"#, #"{"kind":"bogus","v":1}"#, #"{"kind":"sample","v":2}"#,
            // Unknown fields of every shape, deep ones included.
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","x":{"y":[1,2.5,"z",true,false,null,{}]}}"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","x":"# + String(repeating: "[", count: 70)
                + String(repeating: "]", count: 70) + "}",
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","x":"# + String(repeating: "[", count: 600)
                + String(repeating: "]", count: 600) + "}",
            // A record of the wrong shape.
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","missing":{"a":1}}"#,
            #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","families":[{"name":"m","type":"t","samples":{}}]}"#,
        ] + familyShapes

    /// Metric families, which the fast path builds without `init(from:)`: every optional, value form,
    /// unknown, repeated or escaped key, and wrong shape must come out as JSONDecoder has them.
    static let familyShapes: [String] = [
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":1}]}"#,
        #"{"name":"m","type":"gauge","help":null,"samples":[{"name":"m","labels":{"a":"b"},"value":-0.0,"timestamp_ms":null}]}"#,
        #"{"name":"m","type":"gauge","help":"h","samples":[{"name":"m","labels":{},"value":2.5,"timestamp_ms":17}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":"NaN"},{"name":"m","labels":{},"value":"+Inf"}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":"Inf"},{"name":"m","labels":{},"value":"-Inf"}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":"inf"}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":true}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":1,"timestamp_ms":1.5}]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"value":1,"extra":[1]}]}"#,
        #"{"name":"m","type":"gauge","extra":{},"samples":[]}"#,
        #"{"name":"m","name":"n","type":"gauge","samples":[]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{},"labels":{"a":"b"},"value":1}]}"#,
        #"{"name":"m","type":"gauge","samples":[]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","value":1}]}"#,
        #"{"name":"m","samples":[]}"#,
        #"{"name":"m","type":"gauge","help":1,"samples":[]}"#,
        #"{"name":"m","type":"gauge","samples":[{"name":"m","labels":{"a":1},"value":1}]}"#,
        #"{"name":"m","type":"gauge","samples":[1]}"#,
        #"{"name":"m","type":"gauge","samples":null}"#,
    ].map { #"{"kind":"sample","v":1,"t_ns":1,"phase":"p","source":"s","families":["# + $0 + "]}" }

    @Test func familiesTakeTheFastPath() {
        #expect(Self.fastPathTakes(Array(Self.familyShapes[1].utf8)))
        #expect(Self.fastPathTakes(Array(Self.familyShapes[3].utf8)))
        #expect(!Self.fastPathTakes(Array(Self.familyShapes[8].utf8)))
    }

    @Test(arguments: shapes)
    func documentShapesMatch(line: String) {
        Self.expectSame(Array(line.utf8))
    }

    /// Two faults inside one `[String: Int64]` (and `ends` twice): JSONDecoder names either fault.
    @Test func severalFaultsInOneMapMatchOneOfJSONDecoders() {
        Self.expectSame(
            Array(
                (#"{"counts":{"bookmarks":3,"ends":{"gonm":70366.5,"unit":"ns"},"ends":{"gone":1},"events":9,"#
                    + #""list_errors":0,"lists":3,"matched":7,"reestablished":3,"stopped":4,"unmatched":1},"#
                    + #""end_ns":2,"kind":"watch_interval","open":4,"start_ns":1,"v":1}"#).utf8))
    }

    static let labelSets = [
        #"{}"#, #"{"a":"1","a":"2"}"#, #"{"a":"1","b":null}"#, #"{"a":1}"#, #"[]"#, #"null"#,
        "{" + (0..<40).map { #""k\#($0)":"v\#($0)""# }.joined(separator: ",") + "}",
        "{" + (0..<40).map { #""k\#($0 % 39)":"v\#($0)""# }.joined(separator: ",") + "}",
    ]

    @Test(arguments: labelSets)
    func labelMapsMatch(labels: String) {
        Self.expectSame(Self.family(labels: labels))
    }

    @Test(arguments: ["2", "\"NaN\"", "\"+Inf\"", "\"Inf\"", "\"-Inf\"", "\"nan\"", "null", "true", "[]"])
    func promValuesMatch(value: String) {
        Self.expectSame(Self.family(value: value))
    }

    /// A load interval whose response histogram's `buckets` is `buckets` (raw JSON).
    static func loadInterval(buckets: String) -> [UInt8] {
        let histogram =
            #"{"buckets":\#(buckets),"count":3,"highest":100,"lowest":1,"significant_digits":3,"unit":"ns"}"#
        let op =
            #"{"by_status":{"200":3},"bytes_received":1,"bytes_sent":1,"conflicts":0,"count":3,"errors":0,"op":"read","#
            + #""response":\#(histogram),"retries":0,"service":\#(histogram)}"#
        return Array(
            (#"{"end_ns":2,"generator":{"backlog":0,"cpu_seconds":0.5,"inflight_peak":1,"schedule_lag":\#(histogram)},"#
                + #""kind":"load_interval","ops":[\#(op)],"start_ns":1,"v":1}"#).utf8)
    }

    @Test(arguments: [
        "[]", "[[1,2]]", "[[1,2],[3,4]]", "[[1,2,3]]", "[[]]", "[[1,null]]", "[[1,[2]]]", "[[1,2],3]", "[[1,2.5]]",
        "[[1,1e3]]", "[[-9223372036854775808,1]]", "[[9223372036854775808,1]]", "null", "{}", "[null]",
    ])
    func histogramPairsMatch(buckets: String) {
        Self.expectSame(Self.loadInterval(buckets: buckets))
    }

    static let tokens: [[UInt8]] = [
        "\"", "\\", "\\u", "\\ud800", "\\udc00", "{", "}", "[", "]", ":", ",", "null", "true", "0", "-0", "1e3", "1.0",
        "1e999", "1e-999", "\"kind\":", "\"v\":2", "\"t_ns\":", "é", "\u{FF}", "\u{00}", "\t", "\r",
        "\"labels\":{\"a\":\"1\",\"a\":\"2\"}",
    ].map { Array($0.utf8) }

    /// Mutated record lines: the two paths agree on every one.
    @Test(.timeLimit(.minutes(1)))
    func mutatedLinesMatch() throws {
        var lines: [[UInt8]] = []
        for seed in [1, 2] as [UInt64] {
            lines += try RecordSamples.all(seed: seed).map { [UInt8](try RecordCodec.encode($0)) }
        }
        var fastTaken = 0
        FuzzInput.run { rng, replay in
            let line = FuzzInput.mutate(lines.randomElement(using: &rng)!, tokens: Self.tokens, &rng)
            if Self.fastPathTakes(line) { fastTaken += 1 }
            Self.expectSame(line, replay)
        }
        #expect(fastTaken > 0, "some mutations stay decodable")
    }
}
