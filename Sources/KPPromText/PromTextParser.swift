import Foundation

/// A parser for the Prometheus text exposition format, version 0.0.4.
///
/// Hand-written because no Swift package parses this format; the rules follow Prometheus'
/// `expfmt` text parser (`github.com/prometheus/common/expfmt/text_parse.go`):
///
/// - `# HELP name text` (escapes `\\` and `\n`) and `# TYPE name type`; other `#` lines are comments.
/// - `name{label="value",…} value [timestamp_ms]`, label values with escapes `\\`, `\"`, `\n`;
///   values are decimal floats (`1.5e-05`), `+Inf`, `-Inf` or `NaN`, never hex.
/// - `_bucket`, `_sum`, `_count` and `_created` samples join the histogram or summary family named
///   by `# TYPE`; any other sample without a family starts an ``MetricType/untyped`` one.
/// - A second `# TYPE`/`# HELP` for a family, or `# TYPE` after the family's samples, is an error.
///
/// It works on UTF-8 bytes, not `Character`s: kp-scrape parses every scrape with it. Lines longer
/// than ``Limits/maxLineBytes`` are rejected without scanning past the limit, so a hostile 100 MB
/// line costs one bounded scan.
public enum PromTextParser {
    /// Bounds that keep hostile input cheap.
    public struct Limits: Sendable, Hashable {
        /// The longest accepted line in bytes (default 1 MiB; etcd's longest is under 300).
        public var maxLineBytes: Int
        /// The largest accepted input in bytes (default 64 MiB; etcd's /metrics is ~150 KB).
        public var maxInputBytes: Int

        /// Creates limits.
        public init(maxLineBytes: Int = 1 << 20, maxInputBytes: Int = 64 << 20) {
            self.maxLineBytes = maxLineBytes
            self.maxInputBytes = maxInputBytes
        }
    }

    /// Parses an exposition from text.
    ///
    /// - Parameters:
    ///   - text: The `/metrics` body.
    ///   - limits: Size bounds (see ``Limits``).
    /// - Returns: The metric families in order of first appearance.
    /// - Throws: ``PromTextError`` with the line and column of the first problem.
    public static func parse(_ text: String, limits: Limits = Limits()) throws -> [MetricFamily] {
        var text = text
        return try text.withUTF8 { try self.parse(bytes: $0, limits: limits) }
    }

    /// Parses an exposition from bytes (UTF-8).
    ///
    /// - Parameters:
    ///   - data: The `/metrics` body.
    ///   - limits: Size bounds (see ``Limits``).
    /// - Returns: The metric families in order of first appearance.
    /// - Throws: ``PromTextError`` with the line and column of the first problem.
    public static func parse(_ data: Data, limits: Limits = Limits()) throws -> [MetricFamily] {
        try data.withUnsafeBytes { try self.parse(bytes: $0.bindMemory(to: UInt8.self), limits: limits) }
    }

    /// Parses an exposition from a buffer of UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - bytes: The `/metrics` body.
    ///   - limits: Size bounds (see ``Limits``).
    /// - Returns: The metric families in order of first appearance.
    /// - Throws: ``PromTextError`` with the line and column of the first problem.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, limits: Limits = Limits()) throws -> [MetricFamily] {
        guard bytes.count <= limits.maxInputBytes else {
            throw PromTextError(
                line: 1, column: 1,
                "input is \(bytes.count) bytes, over the limit of \(limits.maxInputBytes); is this really a /metrics body?"
            )
        }
        var state = State(bytes: bytes, maxLineBytes: limits.maxLineBytes)
        try state.run()
        return state.families
    }

    /// Parses a float as the text format writes it: decimal (`1.5e-05`, `42`), `+Inf`, `-Inf`, `NaN`.
    ///
    /// Hex floats, `_` digit separators and empty strings are rejected (nil).
    ///
    /// - Parameter text: The number's text.
    /// - Returns: The value, or nil if `text` is not a valid number.
    public static func parseFloat(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parseFloat($0) }
    }

    /// Parses a float from bytes; see ``parseFloat(_:)``.
    static func parseFloat(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        parseFloat(UnsafeBufferPointer(rebasing: bytes))
    }

    static func parseFloat(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = bytes.count
        guard count > 0, count <= 64 else { return nil }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < count else { return nil }
        // Inf / Infinity / NaN, any case (as Go's strconv.ParseFloat).
        let first = bytes[i] | 0x20
        if first == UInt8(ascii: "i") || first == UInt8(ascii: "n") {
            let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[i...]), as: UTF8.self).lowercased()
            if word == "inf" || word == "infinity" { return negative ? -.infinity : .infinity }
            if word == "nan" { return .nan }
            return nil
        }
        // Decimal grammar: digits [. digits] [e [+-] digits], at least one mantissa digit.
        var mantissaDigits = 0
        var integer: UInt64 = 0
        var isInteger = true
        while i < count, bytes[i] &- UInt8(ascii: "0") < 10 {
            if mantissaDigits < 19 { integer = integer &* 10 &+ UInt64(bytes[i] &- UInt8(ascii: "0")) }
            mantissaDigits += 1
            i += 1
        }
        if i < count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            while i < count, bytes[i] &- UInt8(ascii: "0") < 10 {
                mantissaDigits += 1
                i += 1
            }
        }
        guard mantissaDigits > 0 else { return nil }
        if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while i < count, bytes[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            guard i > start else { return nil }
        }
        guard i == count else { return nil }
        // Fast path: integers below 2^53 convert exactly.
        if isInteger, mantissaDigits <= 15 {
            let value = Double(integer)
            return negative ? -value : value
        }
        // The grammar is checked, so the standard library's correctly rounded conversion applies.
        return Double(String(decoding: bytes, as: UTF8.self))
    }
}

/// The parser's working state over one input buffer.
private struct State {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxLineBytes: Int
    var families: [MetricFamily] = []
    var indexByName: [String: Int] = [:]
    /// Families whose `# TYPE` / `# HELP` line was seen.
    var typed = Set<Int>()
    var helped = Set<Int>()

    /// Current line: 1-based number and its byte range.
    var lineNumber = 0
    var lineStart = 0
    var lineEnd = 0
    /// Cache of the last sample name, so runs of the same metric share one String.
    var lastNameStart = 0
    var lastNameCount = 0
    var lastName = ""
    var lastFamily = -1

    init(bytes: UnsafeBufferPointer<UInt8>, maxLineBytes: Int) {
        self.bytes = bytes
        self.maxLineBytes = maxLineBytes
    }

    mutating func run() throws {
        var position = 0
        let count = self.bytes.count
        while position < count {
            self.lineNumber += 1
            // Find the newline, looking no further than the line limit.
            let limit = min(count, position + self.maxLineBytes + 1)
            var end = position
            if let base = self.bytes.baseAddress,
                let hit = memchr(base + position, Int32(UInt8(ascii: "\n")), limit - position)
            {
                end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            } else {
                end = limit
            }
            if end - position > self.maxLineBytes {
                throw PromTextError(
                    line: self.lineNumber, column: self.maxLineBytes + 1,
                    "line is longer than \(self.maxLineBytes) bytes")
            }
            self.lineStart = position
            self.lineEnd = end
            if end > position, self.bytes[end - 1] == UInt8(ascii: "\r") { self.lineEnd -= 1 }
            position = end + 1
            try self.parseLine()
        }
    }

    func error(at index: Int, _ message: String) -> PromTextError {
        PromTextError(line: self.lineNumber, column: index - self.lineStart + 1, message)
    }

    func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    func skipBlanks(_ i: inout Int) {
        while i < self.lineEnd, self.isBlank(self.bytes[i]) { i += 1 }
    }

    static func isNameStart(_ b: UInt8) -> Bool {
        (b | 0x20) &- UInt8(ascii: "a") < 26 || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
    }

    static func isNameChar(_ b: UInt8) -> Bool { isNameStart(b) || b &- UInt8(ascii: "0") < 10 }

    /// Reads a metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) at `i`; returns its byte range.
    func readName(_ i: inout Int, what: String) throws -> Range<Int> {
        let start = i
        guard i < self.lineEnd, Self.isNameStart(self.bytes[i]) else {
            throw self.error(at: i, "expected a \(what) ([a-zA-Z_:][a-zA-Z0-9_:]*)")
        }
        i += 1
        while i < self.lineEnd, Self.isNameChar(self.bytes[i]) { i += 1 }
        return start..<i
    }

    /// Reads a label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    func readLabelName(_ i: inout Int) throws -> String {
        let start = i
        guard i < self.lineEnd, Self.isNameStart(self.bytes[i]), self.bytes[i] != UInt8(ascii: ":") else {
            throw self.error(at: i, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        }
        i += 1
        while i < self.lineEnd, Self.isNameChar(self.bytes[i]), self.bytes[i] != UInt8(ascii: ":") { i += 1 }
        return self.string(start..<i)
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
    }

    /// Decodes `bytes[range]` that must be valid UTF-8.
    func validString(_ range: Range<Int>, what: String) throws -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: self.bytes[range]), as: UTF8.self) else {
            throw self.error(at: range.lowerBound, "\(what) is not valid UTF-8")
        }
        return text
    }

    mutating func parseLine() throws {
        var i = self.lineStart
        self.skipBlanks(&i)
        guard i < self.lineEnd else { return }  // blank line
        if self.bytes[i] == UInt8(ascii: "#") {
            try self.parseComment(i + 1)
        } else {
            try self.parseSample(i)
        }
    }

    // MARK: - Comments

    mutating func parseComment(_ start: Int) throws {
        var i = start
        self.skipBlanks(&i)
        let keywordStart = i
        while i < self.lineEnd, !self.isBlank(self.bytes[i]) { i += 1 }
        let keyword = UnsafeBufferPointer(rebasing: self.bytes[keywordStart..<i])
        let isHelp = keyword.elementsEqual("HELP".utf8)
        let isType = keyword.elementsEqual("TYPE".utf8)
        guard isHelp || isType else { return }  // an ordinary comment
        self.skipBlanks(&i)
        let nameRange = try self.readName(&i, what: "metric name after # \(isHelp ? "HELP" : "TYPE")")
        let name = self.string(nameRange)
        if i < self.lineEnd, !self.isBlank(self.bytes[i]) {
            throw self.error(at: i, "invalid character in metric name")
        }
        self.skipBlanks(&i)
        let index = self.familyIndex(creating: name)
        if isHelp {
            guard self.helped.insert(index).inserted else {
                throw self.error(at: nameRange.lowerBound, "second # HELP line for \(name)")
            }
            self.families[index].help = try self.unescapeHelp(i..<self.lineEnd)
        } else {
            let typeStart = i
            while i < self.lineEnd, !self.isBlank(self.bytes[i]) { i += 1 }
            let word = self.string(typeStart..<i)
            var end = i
            self.skipBlanks(&end)
            guard let type = MetricType(rawValue: word) else {
                throw self.error(
                    at: typeStart,
                    "unknown metric type \"\(word.prefix(40))\"; expected counter, gauge, histogram, summary or untyped"
                )
            }
            guard end == self.lineEnd else { throw self.error(at: end, "unexpected text after the metric type") }
            guard self.typed.insert(index).inserted else {
                throw self.error(at: nameRange.lowerBound, "second # TYPE line for \(name)")
            }
            guard self.families[index].samples.isEmpty else {
                throw self.error(at: nameRange.lowerBound, "# TYPE line for \(name) comes after its samples")
            }
            self.families[index].type = type
        }
        self.lastFamily = -1
    }

    func unescapeHelp(_ range: Range<Int>) throws -> String {
        guard self.bytes[range].contains(UInt8(ascii: "\\")) else {
            return try self.validString(range, what: "HELP text")
        }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let b = self.bytes[i]
            if b == UInt8(ascii: "\\") {
                guard i + 1 < range.upperBound else { throw self.error(at: i, "HELP text ends with a lone backslash") }
                switch self.bytes[i + 1] {
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                default: throw self.error(at: i, "invalid escape sequence in HELP text; only \\\\ and \\n are allowed")
                }
                i += 2
            } else {
                out.append(b)
                i += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw self.error(at: range.lowerBound, "HELP text is not valid UTF-8")
        }
        return text
    }

    mutating func familyIndex(creating name: String) -> Int {
        if let index = self.indexByName[name] { return index }
        self.families.append(MetricFamily(name: name))
        let index = self.families.count - 1
        self.indexByName[name] = index
        return index
    }

    // MARK: - Samples

    mutating func sampleName(_ range: Range<Int>) -> String {
        if range.count == self.lastNameCount, let base = self.bytes.baseAddress,
            memcmp(base + range.lowerBound, base + self.lastNameStart, range.count) == 0
        {
            self.lastNameStart = range.lowerBound
            return self.lastName
        }
        self.lastName = self.string(range)
        self.lastNameStart = range.lowerBound
        self.lastNameCount = range.count
        self.lastFamily = -1
        return self.lastName
    }

    /// The family a sample named `name` belongs to (expfmt's `setOrCreateCurrentMF`).
    mutating func family(forSample name: String, at column: Int) throws -> Int {
        if let index = self.indexByName[name] {
            if self.families[index].type == .histogram {
                throw self.error(
                    at: column, "sample \(name) of histogram \(name) needs a _bucket, _sum, _count or _created suffix")
            }
            return index
        }
        for suffix in ["_bucket", "_sum", "_count", "_created"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let index = self.indexByName[base] {
                let type = self.families[index].type
                if type == .histogram || (type == .summary && suffix != "_bucket") { return index }
            }
        }
        return self.familyIndex(creating: name)
    }

    mutating func parseSample(_ start: Int) throws {
        var i = start
        let nameRange = try self.readName(&i, what: "metric name")
        let name = self.sampleName(nameRange)
        var labels: [String: String] = [:]
        self.skipBlanks(&i)
        if i < self.lineEnd, self.bytes[i] == UInt8(ascii: "{") {
            i += 1
            try self.parseLabels(&i, into: &labels)
        }
        self.skipBlanks(&i)
        let valueStart = i
        while i < self.lineEnd, !self.isBlank(self.bytes[i]) { i += 1 }
        guard i > valueStart else {
            throw self.error(at: valueStart, "expected a value after the metric name and labels")
        }
        guard let value = PromTextParser.parseFloat(self.bytes[valueStart..<i]) else {
            throw self.error(
                at: valueStart,
                "invalid value \"\(self.string(valueStart..<min(i, valueStart + 40)))\"; expected a decimal float, +Inf, -Inf or NaN"
            )
        }
        self.skipBlanks(&i)
        var timestamp: Int64?
        if i < self.lineEnd {
            let tsStart = i
            while i < self.lineEnd, !self.isBlank(self.bytes[i]) { i += 1 }
            guard let ts = Self.parseInt64(self.bytes[tsStart..<i]) else {
                throw self.error(at: tsStart, "invalid timestamp; expected integer milliseconds")
            }
            timestamp = ts
            self.skipBlanks(&i)
            if i < self.lineEnd { throw self.error(at: i, "unexpected text after the timestamp") }
        }

        let index: Int
        if self.lastFamily >= 0 {
            index = self.lastFamily
        } else {
            index = try self.family(forSample: name, at: nameRange.lowerBound)
            self.lastFamily = index
        }
        try self.checkTypedLabels(name: name, family: index, labels: labels, at: nameRange.lowerBound)
        self.families[index].samples.append(
            MetricSample(name: name, labels: labels, value: value, timestampMs: timestamp))
    }

    /// Histogram buckets need a numeric `le`, summary quantiles a numeric `quantile` (as expfmt).
    func checkTypedLabels(name: String, family index: Int, labels: [String: String], at column: Int) throws {
        let family = self.families[index]
        switch family.type {
        case .histogram where name.utf8.count == family.name.utf8.count + 7:  // _bucket
            guard let le = labels["le"] else {
                throw self.error(at: column, "histogram bucket \(name) has no le label")
            }
            guard PromTextParser.parseFloat(le) != nil else {
                throw self.error(
                    at: column, "histogram bucket \(name) has le=\"\(le.prefix(40))\", which is not a number")
            }
        case .summary where name.utf8.count == family.name.utf8.count:
            guard let q = labels["quantile"] else {
                throw self.error(at: column, "summary \(name) sample has no quantile label")
            }
            guard PromTextParser.parseFloat(q) != nil else {
                throw self.error(at: column, "summary \(name) has quantile=\"\(q.prefix(40))\", which is not a number")
            }
        default:
            break
        }
    }

    /// Parses `a="x",b="y"}` (after the `{`), allowing blanks and a trailing comma.
    func parseLabels(_ i: inout Int, into labels: inout [String: String]) throws {
        while true {
            self.skipBlanks(&i)
            guard i < self.lineEnd else { throw self.error(at: i, "unterminated label set; expected }") }
            if self.bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            let nameStart = i
            let labelName = try self.readLabelName(&i)
            if labelName == "__name__" {
                throw self.error(at: nameStart, "label name __name__ is reserved")
            }
            self.skipBlanks(&i)
            guard i < self.lineEnd, self.bytes[i] == UInt8(ascii: "=") else {
                throw self.error(at: i, "expected = after label name \(labelName)")
            }
            i += 1
            self.skipBlanks(&i)
            guard i < self.lineEnd, self.bytes[i] == UInt8(ascii: "\"") else {
                throw self.error(at: i, "expected \" to start the value of label \(labelName)")
            }
            i += 1
            let value = try self.readLabelValue(&i)
            guard labels.updateValue(value, forKey: labelName) == nil else {
                throw self.error(at: nameStart, "duplicate label name \(labelName)")
            }
            self.skipBlanks(&i)
            guard i < self.lineEnd else { throw self.error(at: i, "unterminated label set; expected }") }
            if self.bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if self.bytes[i] != UInt8(ascii: "}") {
                throw self.error(at: i, "expected , or } after the value of label \(labelName)")
            }
        }
    }

    /// Reads a label value up to its closing quote (after the opening one), handling escapes.
    func readLabelValue(_ i: inout Int) throws -> String {
        let start = i
        var hasEscape = false
        while i < self.lineEnd {
            let b = self.bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") {
                hasEscape = true
                i += 1
            }
            i += 1
        }
        guard i < self.lineEnd else {
            throw self.error(at: start - 1, "unterminated label value; expected a closing \"")
        }
        let range = start..<i
        i += 1  // closing quote
        guard hasEscape else { return try self.validString(range, what: "label value") }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var j = range.lowerBound
        while j < range.upperBound {
            let b = self.bytes[j]
            if b == UInt8(ascii: "\\") {
                switch self.bytes[j + 1] {
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                default:
                    throw self.error(
                        at: j, "invalid escape sequence in label value; only \\\\, \\\" and \\n are allowed")
                }
                j += 2
            } else {
                out.append(b)
                j += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw self.error(at: range.lowerBound, "label value is not valid UTF-8")
        }
        return text
    }

    static func parseInt64(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int64? {
        var i = bytes.startIndex
        var negative = false
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < bytes.endIndex, bytes.endIndex - i <= 19 else { return nil }
        var value: Int64 = 0
        while i < bytes.endIndex {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = plus
            i += 1
        }
        return negative ? -value : value
    }
}

/// A syntax or consistency error in Prometheus text, with its position.
///
/// The ``description`` is one line: `line L, column C: what was wrong`. Columns count bytes from 1.
public struct PromTextError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line number.
    public let line: Int
    /// The 1-based byte column within the line.
    public let column: Int
    /// What was wrong.
    public let message: String

    init(line: Int, column: Int, _ message: String) {
        self.line = line
        self.column = column
        // Messages quote input (a label value may hold an escaped newline, decoded by then); an error
        // is one line, so control characters are shown escaped.
        var oneLine = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\n": oneLine += "\\n"
            case "\r": oneLine += "\\r"
            case "\t": oneLine += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                oneLine += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: oneLine.unicodeScalars.append(scalar)
            }
        }
        self.message = oneLine
    }

    public var description: String { "line \(self.line), column \(self.column): \(self.message)" }
}
