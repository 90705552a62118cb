import Foundation
import Testing

@testable import KPPromText

@Suite struct PromTextParserTests {
    /// Found by the fuzz test (KP_FUZZ_SEED=3116198412560844120): an escaped newline in a quoted
    /// label value reached the error message as a real one. Errors are one line.
    @Test func errorQuotingAnEscapedNewlineStaysOneLine() throws {
        let text = "# TYPE h histogram\nh_bucket{le=\"0.\\n008\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
        #expect {
            try PromTextParser.parse(Data(text.utf8))
        } throws: { error in
            let e = error as! PromTextError
            return e.line == 2 && !e.description.contains("\n") && e.description.contains(#"le="0.\n008""#)
        }
    }

    @Test func escapesInHelpAndLabels() throws {
        let text = #"""
            # HELP weird_total A \\ backslash,\nnewline and "quotes".
            # TYPE weird_total counter
            weird_total{path="C:\\dir",quote="say \"hi\"",nl="a\nb",empty=""} 3
            weird_total{utf8="größe ✓"} 4

            """#
        let families = try PromTextParser.parse(text)
        let family = try #require(families.family(named: "weird_total"))
        #expect(family.help == "A \\ backslash,\nnewline and \"quotes\".")
        #expect(family.type == .counter)
        #expect(family.samples[0].labels == ["path": "C:\\dir", "quote": "say \"hi\"", "nl": "a\nb", "empty": ""])
        #expect(family.samples[1].labels == ["utf8": "größe ✓"])
    }

    @Test(arguments: [
        ("1", 1.0), ("-0", -0.0), ("42.5", 42.5), ("1.5e-05", 1.5e-05), ("1E3", 1000), ("+7", 7), (".5", 0.5),
        ("5.", 5),
        ("3.5139584e+07", 3.5139584e+07), ("123456789012345678901234", 123456789012345678901234.0),
        ("+Inf", .infinity), ("-Inf", -.infinity), ("inf", .infinity), ("Infinity", .infinity),
        ("1.7976931348623157e308", .greatestFiniteMagnitude), ("1e400", .infinity),
        ("4.9e-324", .leastNonzeroMagnitude),
    ])
    func values(text: String, expected: Double) throws {
        let families = try PromTextParser.parse("m \(text)\n")
        let value = try #require(families.value(of: "m"))
        #expect(value == expected)
        #expect(value.sign == expected.sign)
    }

    @Test func nanAndTimestamps() throws {
        let families = try PromTextParser.parse("a NaN\nb 1 1700000000123\nc 2 -5\nd{x=\"y\"}\t3\t 42  \n")
        #expect(try #require(families.value(of: "a")).isNaN)
        #expect(families.family(named: "b")?.samples.first?.timestampMs == 1_700_000_000_123)
        #expect(families.family(named: "c")?.samples.first?.timestampMs == -5)
        #expect(
            families.family(named: "d")?.samples.first
                == MetricSample(name: "d", labels: ["x": "y"], value: 3, timestampMs: 42))
        #expect(families.map(\.type) == [.untyped, .untyped, .untyped, .untyped])
    }

    @Test func groupsSuffixedSamplesUnderTheirFamily() throws {
        let text = """
            # TYPE req_seconds histogram
            req_seconds_bucket{code="200",le="0.1"} 5
            req_seconds_bucket{code="200",le="+Inf"} 7
            req_seconds_sum{code="200"} 1.25
            req_seconds_count{code="200"} 7
            req_seconds_created{code="200"} 1.7e9
            req_seconds_bucket{code="500",le="+Inf"} 1
            req_seconds_bucket{code="500",le="0.1"} 0
            req_seconds_count{code="500"} 1
            # TYPE rpc summary
            rpc{quantile="0.99"} 0.5
            rpc_sum 10
            rpc_count 20
            # TYPE g gauge
            g 1
            g_sum 2
            g_bucket 3
            other_count 4
            """
        let families = try PromTextParser.parse(text)
        #expect(families.map(\.name) == ["req_seconds", "rpc", "g", "g_sum", "g_bucket", "other_count"])
        #expect(families.map(\.type) == [.histogram, .summary, .gauge, .untyped, .untyped, .untyped])
        #expect(families[0].samples.count == 8)
        let ok = try #require(families.histogram(named: "req_seconds", labels: ["code": "200"]))
        #expect(ok.buckets == [.init(le: 0.1, count: 5), .init(le: .infinity, count: 7)])
        #expect(ok.sum == 1.25)
        #expect(ok.count == 7)
        let failed = try #require(families.histogram(named: "req_seconds", labels: ["code": "500"]))
        #expect(failed.buckets.map(\.le) == [0.1, .infinity], "sorted by le")
        #expect(failed.sum == nil)
        #expect(families.family(named: "req_seconds")?.histogramSeries().count == 2)
        #expect(families.histogram(named: "req_seconds") == nil, "no unlabelled series")
        #expect(families.value(of: "req_seconds_count", labels: ["code": "500"]) == 1)
        #expect(families.summary(named: "rpc")?.quantiles.first?.value == 0.5)
        #expect(families.summary(named: "rpc")?.count == 20)
        #expect(families.histogram(named: "rpc") == nil)
    }

    @Test func tolerantSyntax() throws {
        // Blank lines, CRLF, comments, trailing comma, blanks inside braces, empty label set, untyped TYPE.
        let text = "\n# just a comment\r\n#\n# TYPE u untyped\r\nu{ a = \"1\" , b=\"2\", } 1\r\nv{} 2\r\n   w 3"
        let families = try PromTextParser.parse(text)
        #expect(families.map(\.name) == ["u", "v", "w"])
        #expect(families[0].samples[0].labels == ["a": "1", "b": "2"])
        #expect(families.value(of: "v") == 2)
        #expect(families.value(of: "w") == 3)
        #expect(try PromTextParser.parse("").isEmpty)
    }

    @Test(arguments: [
        ("m", 1, 2, "expected a value"),
        ("m 0x1p3", 1, 3, "invalid value \"0x1p3\""),
        ("m 1_000", 1, 3, "invalid value"),
        ("m abc", 1, 3, "invalid value"),
        ("m 1 2 3", 1, 7, "unexpected text after the timestamp"),
        ("m 1 1.5", 1, 5, "invalid timestamp"),
        ("m 1 99999999999999999999", 1, 5, "invalid timestamp"),
        ("9m 1", 1, 1, "expected a metric name"),
        ("m{a=\"1\" 1", 1, 9, "expected , or } after the value of label a"),
        ("m{a=1} 1", 1, 5, "expected \" to start the value of label a"),
        ("m{a\"1\"} 1", 1, 4, "expected = after label name a"),
        ("m{a=\"1} 1", 1, 5, "unterminated label value"),
        ("m{a=\"\\t\"} 1", 1, 6, "invalid escape sequence in label value"),
        ("m{a=\"1\",a=\"2\"} 1", 1, 9, "duplicate label name a"),
        ("m{__name__=\"x\"} 1", 1, 3, "label name __name__ is reserved"),
        ("m{1a=\"x\"} 1", 1, 3, "expected a label name"),
        ("m{a=\"x\"", 1, 8, "unterminated label set"),
        ("ok 1\n# TYPE m gauge\n# TYPE m counter", 3, 8, "second # TYPE line for m"),
        ("# HELP m a\n# HELP m b", 2, 8, "second # HELP line for m"),
        ("m 1\n# TYPE m gauge", 2, 8, "# TYPE line for m comes after its samples"),
        ("# TYPE m histogramm", 1, 10, "unknown metric type \"histogramm\""),
        ("# TYPE m gauge extra", 1, 16, "unexpected text after the metric type"),
        ("# TYPE m-x gauge", 1, 9, "invalid character in metric name"),
        ("# HELP m bad \\t escape", 1, 14, "invalid escape sequence in HELP text"),
        ("# TYPE h histogram\nh_bucket 1", 2, 1, "histogram bucket h_bucket has no le label"),
        ("# TYPE h histogram\nh_bucket{le=\"x\"} 1", 2, 1, "which is not a number"),
        ("# TYPE h histogram\nh 1", 2, 1, "needs a _bucket, _sum, _count or _created suffix"),
        ("# TYPE s summary\ns 1", 2, 1, "summary s sample has no quantile label"),
    ])
    func errorsNameLineAndColumn(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(throws: PromTextError.self) { try PromTextParser.parse(text) }
        #expect(error.message.contains(message), "\(error)")
        #expect(error.line == line, "\(error)")
        #expect(error.column == column, "\(error)")
        #expect(error.description == "line \(line), column \(column): \(error.message)")
        #expect(!error.description.contains("\n"))
    }

    @Test func rejectsInvalidUTF8() throws {
        var data = Data("m{a=\"".utf8)
        data.append(contentsOf: [0xff, 0xfe])
        data.append(contentsOf: Data("\"} 1\n".utf8))
        let error = try #require(throws: PromTextError.self) { try PromTextParser.parse(data) }
        #expect(error.message == "label value is not valid UTF-8")
    }

    @Test func limitsRejectLongLinesAndHugeInputCheaply() throws {
        let limits = PromTextParser.Limits(maxLineBytes: 100, maxInputBytes: 1000)
        let long = "m{a=\"" + String(repeating: "x", count: 200) + "\"} 1\n"
        let error = try #require(throws: PromTextError.self) { try PromTextParser.parse(long, limits: limits) }
        #expect(error.line == 1)
        #expect(error.message == "line is longer than 100 bytes")
        #expect(try PromTextParser.parse(String(repeating: "x", count: 98) + " 1", limits: limits).count == 1)
        let big = String(repeating: "m 1\n", count: 300)
        #expect(throws: PromTextError.self) { try PromTextParser.parse(big, limits: limits) }
    }

    @Test func parseFloatIsStrict() {
        #expect(PromTextParser.parseFloat("0.25") == 0.25)
        #expect(PromTextParser.parseFloat("+Inf") == .infinity)
        for bad in ["", "+", "-", ".", "e5", "1e", "1e+", "0x10", "1,5", " 1", "1 ", "infx", "nana", "--1"] {
            #expect(PromTextParser.parseFloat(bad) == nil, "\(bad)")
        }
    }
}
