import Foundation

/// The fast path of ``RecordDecoder``: a `Decoder` over one line of JSON, scanned by hand.
///
/// Hand-written because `JSONDecoder` costs 0.3–1 µs per value (measured on histogram pairs; its
/// containers are reached through existentials, with generic metadata looked up per value), and a
/// mixed or watch run's records are megabytes of histogram pairs and Prometheus samples: JSONDecoder
/// took about half of a fold's CPU (perf). This decoder scans the line once into a flat array of nodes
/// (``JSONTape``) and decodes from it; the collections records are made of (`[String: V]`, `[[Int64]]`)
/// are built directly from the nodes.
///
/// It never gives a result `JSONDecoder` would not. It decodes only what it is sure of and gives up
/// (throws ``Unsupported``) on anything else, and ``RecordDecoder`` then decodes the line with
/// `JSONDecoder`, which gives the value or the error it always gave. It gives up on: anything but
/// strict RFC 8259 JSON (strings of valid UTF-8 without raw control bytes, `\u` escapes without lone
/// surrogates, at most ``maxDepth`` levels); a repeated key (JSONDecoder keeps the first), in a struct's
/// object bytewise and among a `[String: V]`'s keys by Swift string equality, as JSONDecoder compares
/// them; in a struct's object, a key with an escape or a non-ASCII byte (compared by canonical
/// equivalence there), and a key asked for that is not ASCII; an integer that is not a plain
/// `-?[0-9]+` fitting its type (JSONDecoder also takes `1e3` and `1.0`); a floating-point value that is
/// not finite, is subnormal, or rounds a non-zero number to zero; `Float`; and `Data`, `Date`, `URL`
/// and `Decimal`, which JSONDecoder decodes its own way. So its errors carry no coding path or
/// message: none leaves ``RecordDecoder``.
enum RecordJSONDecoder {
    /// Why the fast path gave up (never shown: the line is then decoded by `JSONDecoder`).
    struct Unsupported: Error {}

    /// Deepest nesting scanned; JSONDecoder allows more, so a deeper line goes to it.
    static let maxDepth = 64

    /// Decodes `T` from one JSON text, or throws ``Unsupported``.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let tape = try JSONTape(bytes)
        let value = try tape.decode(T.self, at: 0)
        if tape.gaveUp { throw Unsupported() }
        return value
    }
}

/// One JSON text as a flat array of nodes in document order: a container's members follow it, each
/// object member as its key's node then its value's. It points into the text's bytes, so it is used
/// only while they are (inside ``RecordJSONDecoder/decode(_:from:)``).
final class JSONTape {
    enum Kind: UInt8 {
        case object, array, string, number, trueValue, falseValue, null
    }

    struct Node {
        var kind: Kind
        /// A string without escapes or non-ASCII bytes (its bytes are the string); a number that is a
        /// plain integer, `-?[0-9]+`.
        var simple: Bool
        /// The token's first byte (a string's first byte after its quote).
        var start: Int32
        /// The token's bytes (a string's between its quotes).
        var length: Int32
        /// Members of an object, elements of an array.
        var count: Int32
        /// The node after this value and everything inside it.
        var next: Int32
    }

    let base: UnsafePointer<UInt8>
    let nodes: [Node]
    /// Set when a step that cannot throw (`contains`) met something the fast path does not decode; the
    /// whole decode is then given up.
    var gaveUp = false

    init(_ bytes: UnsafeRawBufferPointer) throws {
        guard let raw = bytes.baseAddress, bytes.count > 0, bytes.count < Int(Int32.max) else {
            throw RecordJSONDecoder.Unsupported()
        }
        base = raw.assumingMemoryBound(to: UInt8.self)
        var scanner = JSONScanner(base: base, count: bytes.count)
        try scanner.scanDocument()
        nodes = scanner.nodes
    }

    // MARK: Scalars

    func bytes(_ node: Node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(node.start), count: Int(node.length))
    }

    func string(at i: Int) throws -> String {
        let node = nodes[i]
        guard node.kind == .string else { throw RecordJSONDecoder.Unsupported() }
        if node.simple { return String(decoding: bytes(node), as: UTF8.self) }
        return String(decoding: JSONScanner.unescape(bytes(node)), as: UTF8.self)
    }

    func bool(at i: Int) throws -> Bool {
        switch nodes[i].kind {
        case .trueValue: return true
        case .falseValue: return false
        default: throw RecordJSONDecoder.Unsupported()
        }
    }

    func integer<T: FixedWidthInteger>(_: T.Type, at i: Int) throws -> T {
        let node = nodes[i]
        guard node.kind == .number, node.simple else { throw RecordJSONDecoder.Unsupported() }
        let digits = bytes(node)
        let negative = digits[0] == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for k in (negative ? 1 : 0)..<digits.count {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digits[k] &- UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw RecordJSONDecoder.Unsupported() }
            magnitude = sum
        }
        if !negative {
            guard let v = T(exactly: magnitude) else { throw RecordJSONDecoder.Unsupported() }
            return v
        }
        guard magnitude <= UInt64(Int64.max) + 1 else { throw RecordJSONDecoder.Unsupported() }
        let signed = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        guard let v = T(exactly: signed) else { throw RecordJSONDecoder.Unsupported() }
        return v
    }

    func double(at i: Int) throws -> Double {
        let node = nodes[i]
        guard node.kind == .number else { throw RecordJSONDecoder.Unsupported() }
        let text = bytes(node)
        // Up to 15 digits, an integer converts exactly: no rounding to agree on (`-0` is -0.0).
        if node.simple && text.count <= 15 {
            let d = Double(try integer(Int64.self, at: i))
            return d == 0 && text[0] == UInt8(ascii: "-") ? -0.0 : d
        }
        // Otherwise the correctly rounded conversion, as JSONDecoder's (a number token is ASCII).
        guard let d = Double(String(decoding: text, as: UTF8.self)), d.isFinite, !d.isSubnormal else {
            throw RecordJSONDecoder.Unsupported()
        }
        if d == 0 {
            // Zero only from a zero mantissa: a non-zero one that underflowed is JSONDecoder's to judge.
            for c in text {
                if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { break }
                if c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") { throw RecordJSONDecoder.Unsupported() }
            }
        }
        return d
    }

    // MARK: Values

    func decode<T: Decodable>(_: T.Type, at i: Int) throws -> T {
        // The primitives directly (Array and Dictionary elements arrive here generically).
        if T.self == String.self { return try string(at: i) as! T }
        if T.self == Int64.self { return try integer(Int64.self, at: i) as! T }
        if T.self == Int.self { return try integer(Int.self, at: i) as! T }
        if T.self == Double.self { return try double(at: i) as! T }
        if T.self == Bool.self { return try bool(at: i) as! T }
        // The collections records are made of, built directly: through `init(from:)` each element
        // would cost a container and a generic-metadata lookup.
        if T.self == [String: String].self { return try dictionary(at: i, string(at:)) as! T }
        if T.self == [String: Int64].self { return try dictionary(at: i) { try integer(Int64.self, at: $0) } as! T }
        if T.self == [String: Int].self { return try dictionary(at: i) { try integer(Int.self, at: $0) } as! T }
        if T.self == [String: Double].self { return try dictionary(at: i, double(at:)) as! T }
        if T.self == [[Int64]].self { return try int64Pairs(at: i) as! T }
        if T.self == [MetricFamilyWire].self { return try metricFamilies(at: i) as! T }
        // JSONDecoder decodes these its own way, not through their `init(from:)`.
        if T.self == Data.self || T.self == Date.self || T.self == URL.self || T.self == Decimal.self {
            throw RecordJSONDecoder.Unsupported()
        }
        return try T(from: TapeDecoder(tape: self, node: i))
    }

    /// A `[String: V]` from an object. A repeated key (by Swift string equality, as JSONDecoder's) gives up.
    func dictionary<V>(at i: Int, _ value: (Int) throws -> V) throws -> [String: V] {
        let node = nodes[i]
        guard node.kind == .object else { throw RecordJSONDecoder.Unsupported() }
        var result: [String: V] = [:]
        result.reserveCapacity(Int(node.count))
        var k = i + 1
        for _ in 0..<node.count {
            guard result.updateValue(try value(k + 1), forKey: try string(at: k)) == nil else {
                throw RecordJSONDecoder.Unsupported()
            }
            k = Int(nodes[k + 1].next)
        }
        return result
    }

    /// A `[[Int64]]` from an array of arrays of integers (a histogram's `[value, count]` pairs).
    func int64Pairs(at i: Int) throws -> [[Int64]] {
        let node = nodes[i]
        guard node.kind == .array else { throw RecordJSONDecoder.Unsupported() }
        var result: [[Int64]] = []
        result.reserveCapacity(Int(node.count))
        var e = i + 1
        for _ in 0..<node.count {
            let inner = nodes[e]
            guard inner.kind == .array else { throw RecordJSONDecoder.Unsupported() }
            var values: [Int64] = []
            values.reserveCapacity(Int(inner.count))
            // Element k is node e + 1 + k while the elements before it are numbers (one node each);
            // the first that is not a number throws before any index past it is used.
            for k in 0..<Int(inner.count) { values.append(try integer(Int64.self, at: e + 1 + k)) }
            result.append(values)
            e = Int(inner.next)
        }
        return result
    }

    // MARK: Metric families

    /// A sample record's `families`, built directly: they are most of a run's record bytes (every
    /// `--metric` family with all its buckets, in every phase and series sample), and through
    /// `init(from:)` each of their samples cost a keyed container, key searches and a generic-metadata
    /// lookup per field. The answers are the synthesized `Decodable`'s (`help` and `timestamp_ms`
    /// absent or null: nil); a key that is not one of theirs, repeated, or not plain ASCII gives up.
    func metricFamilies(at i: Int) throws -> [MetricFamilyWire] {
        let node = nodes[i]
        guard node.kind == .array else { throw RecordJSONDecoder.Unsupported() }
        var out: [MetricFamilyWire] = []
        out.reserveCapacity(Int(node.count))
        var e = i + 1
        for _ in 0..<node.count {
            out.append(try metricFamily(at: e))
            e = Int(nodes[e].next)
        }
        return out
    }

    func metricFamily(at i: Int) throws -> MetricFamilyWire {
        let node = nodes[i]
        guard node.kind == .object else { throw RecordJSONDecoder.Unsupported() }
        var name: Int?
        var type: Int?
        var help: Int?
        var samples: Int?
        var k = i + 1
        for _ in 0..<node.count {
            let v = k + 1
            if key(k, equals: "name") {
                try Self.once(&name, v)
            } else if key(k, equals: "type") {
                try Self.once(&type, v)
            } else if key(k, equals: "help") {
                try Self.once(&help, v)
            } else if key(k, equals: "samples") {
                try Self.once(&samples, v)
            } else {
                throw RecordJSONDecoder.Unsupported()
            }
            k = Int(nodes[v].next)
        }
        guard let name, let type, let samples, nodes[samples].kind == .array else {
            throw RecordJSONDecoder.Unsupported()
        }
        let count = Int(nodes[samples].count)
        var list: [MetricSampleWire] = []
        list.reserveCapacity(count)
        var e = samples + 1
        for _ in 0..<count {
            list.append(try metricSample(at: e))
            e = Int(nodes[e].next)
        }
        return MetricFamilyWire(
            name: try string(at: name), type: try string(at: type),
            help: try help.flatMap { nodes[$0].kind == .null ? nil : try string(at: $0) }, samples: list)
    }

    func metricSample(at i: Int) throws -> MetricSampleWire {
        let node = nodes[i]
        guard node.kind == .object else { throw RecordJSONDecoder.Unsupported() }
        var name: Int?
        var labels: Int?
        var value: Int?
        var timestamp: Int?
        var k = i + 1
        for _ in 0..<node.count {
            let v = k + 1
            if key(k, equals: "name") {
                try Self.once(&name, v)
            } else if key(k, equals: "labels") {
                try Self.once(&labels, v)
            } else if key(k, equals: "value") {
                try Self.once(&value, v)
            } else if key(k, equals: "timestamp_ms") {
                try Self.once(&timestamp, v)
            } else {
                throw RecordJSONDecoder.Unsupported()
            }
            k = Int(nodes[v].next)
        }
        guard let name, let labels, let value else { throw RecordJSONDecoder.Unsupported() }
        return MetricSampleWire(
            name: try string(at: name), labels: try dictionary(at: labels, string(at:)),
            value: try promValue(at: value),
            timestampMs: try timestamp.flatMap { nodes[$0].kind == .null ? nil : try integer(Int64.self, at: $0) })
    }

    /// ``PromValue``: a number, or one of the strings its `init(from:)` takes for NaN and ±Inf.
    func promValue(at i: Int) throws -> PromValue {
        switch nodes[i].kind {
        case .number: return PromValue(try double(at: i))
        case .string:
            if key(i, equals: "NaN") { return PromValue(.nan) }
            if key(i, equals: "+Inf") || key(i, equals: "Inf") { return PromValue(.infinity) }
            if key(i, equals: "-Inf") { return PromValue(-.infinity) }
            throw RecordJSONDecoder.Unsupported()
        default: throw RecordJSONDecoder.Unsupported()
        }
    }

    /// Sets a member's value node, giving up when the key came before.
    private static func once(_ slot: inout Int?, _ node: Int) throws {
        guard slot == nil else { throw RecordJSONDecoder.Unsupported() }
        slot = node
    }

    /// Whether string node `k` is plain (no escape, ASCII) and its bytes are `text`'s.
    func key(_ k: Int, equals text: StaticString) -> Bool {
        let node = nodes[k]
        guard node.kind == .string, node.simple, Int(node.length) == text.utf8CodeUnitCount else { return false }
        return node.length == 0 || memcmp(base + Int(node.start), text.utf8Start, Int(node.length)) == 0
    }

    /// Whether key node `k` is the ASCII string `key`.
    func key(_ k: Int, is key: String) -> Bool {
        let node = nodes[k]
        let utf8 = key.utf8
        guard utf8.count == Int(node.length) else { return false }
        if node.length == 0 { return true }
        let have = bytes(node)
        if let equal = utf8.withContiguousStorageIfAvailable({ want in
            memcmp(have.baseAddress!, want.baseAddress!, want.count) == 0
        }) {
            return equal
        }
        return have.elementsEqual(utf8)
    }
}

/// Scans one JSON text into ``JSONTape`` nodes, checking RFC 8259's grammar as it goes.
///
/// A struct working on a raw pointer with local indices: no byte is reached through a class
/// property or Swift collection indexing, so the loop pays no exclusivity or bounds checks.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var i = 0
    var nodes: [JSONTape.Node] = []

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
        nodes.reserveCapacity(count / 8)
    }

    mutating func scanDocument() throws {
        skipSpace()
        try scanValue(depth: 0)
        skipSpace()
        guard i == count else { throw RecordJSONDecoder.Unsupported() }
    }

    private mutating func skipSpace() {
        while i < count {
            let c = base[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func expect(_ c: UInt8) throws {
        guard i < count, base[i] == c else { throw RecordJSONDecoder.Unsupported() }
        i += 1
    }

    private mutating func append(_ kind: JSONTape.Kind, simple: Bool, start: Int, length: Int) {
        let index = Int32(nodes.count)
        nodes.append(
            JSONTape.Node(
                kind: kind, simple: simple, start: Int32(start), length: Int32(length), count: 0, next: index + 1))
    }

    private mutating func scanValue(depth: Int) throws {
        guard i < count else { throw RecordJSONDecoder.Unsupported() }
        switch base[i] {
        case UInt8(ascii: "{"): try scanContainer(.object, close: UInt8(ascii: "}"), depth: depth)
        case UInt8(ascii: "["): try scanContainer(.array, close: UInt8(ascii: "]"), depth: depth)
        case UInt8(ascii: "\""): try scanString()
        case UInt8(ascii: "t"): try scanLiteral("true", .trueValue)
        case UInt8(ascii: "f"): try scanLiteral("false", .falseValue)
        case UInt8(ascii: "n"): try scanLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw RecordJSONDecoder.Unsupported()
        }
    }

    private mutating func scanContainer(_ kind: JSONTape.Kind, close: UInt8, depth: Int) throws {
        guard depth < RecordJSONDecoder.maxDepth else { throw RecordJSONDecoder.Unsupported() }
        let me = nodes.count
        append(kind, simple: false, start: i, length: 1)
        i += 1
        skipSpace()
        var members: Int32 = 0
        if i < count && base[i] == close {
            i += 1
        } else {
            while true {
                skipSpace()
                if kind == .object {
                    guard i < count, base[i] == UInt8(ascii: "\"") else { throw RecordJSONDecoder.Unsupported() }
                    try scanString()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                }
                try scanValue(depth: depth + 1)
                members += 1
                skipSpace()
                guard i < count else { throw RecordJSONDecoder.Unsupported() }
                if base[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                try expect(close)
                break
            }
        }
        nodes[me].count = members
        nodes[me].next = Int32(nodes.count)
    }

    private mutating func scanLiteral(_ word: StaticString, _ kind: JSONTape.Kind) throws {
        let n = word.utf8CodeUnitCount
        guard count - i >= n, memcmp(base + i, word.utf8Start, n) == 0 else { throw RecordJSONDecoder.Unsupported() }
        append(kind, simple: false, start: i, length: n)
        i += n
    }

    private func isDigit(_ k: Int) -> Bool {
        k < count && base[k] >= UInt8(ascii: "0") && base[k] <= UInt8(ascii: "9")
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func scanNumber() throws {
        let start = i
        if base[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw RecordJSONDecoder.Unsupported() }
        if base[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        var plain = true
        if i < count && base[i] == UInt8(ascii: ".") {
            plain = false
            i += 1
            guard isDigit(i) else { throw RecordJSONDecoder.Unsupported() }
            while isDigit(i) { i += 1 }
        }
        if i < count && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            plain = false
            i += 1
            if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { throw RecordJSONDecoder.Unsupported() }
            while isDigit(i) { i += 1 }
        }
        append(.number, simple: plain, start: start, length: i - start)
    }

    private func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The four hex digits of a `\u` escape whose `u` is at `k`.
    private func hex4(at k: Int) throws -> UInt32 {
        guard k + 4 < count else { throw RecordJSONDecoder.Unsupported() }
        var v: UInt32 = 0
        for j in 1...4 {
            guard let h = hexValue(base[k + j]) else { throw RecordJSONDecoder.Unsupported() }
            v = v << 4 | h
        }
        return v
    }

    /// A string from its opening quote; checks escapes (surrogates paired) and UTF-8.
    private mutating func scanString() throws {
        i += 1
        let start = i
        var simple = true
        while true {
            guard i < count else { throw RecordJSONDecoder.Unsupported() }
            let c = base[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw RecordJSONDecoder.Unsupported() }
            if c == UInt8(ascii: "\\") {
                simple = false
                i += 1
                guard i < count else { throw RecordJSONDecoder.Unsupported() }
                switch base[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    let unit = try hex4(at: i)
                    i += 5
                    if unit >= 0xDC00 && unit <= 0xDFFF { throw RecordJSONDecoder.Unsupported() }
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        guard i + 1 < count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else {
                            throw RecordJSONDecoder.Unsupported()
                        }
                        let low = try hex4(at: i + 1)
                        guard low >= 0xDC00 && low <= 0xDFFF else { throw RecordJSONDecoder.Unsupported() }
                        i += 6
                    }
                default:
                    throw RecordJSONDecoder.Unsupported()
                }
                continue
            }
            if c < 0x80 {
                i += 1
                continue
            }
            simple = false
            try scanUTF8Sequence()
        }
        append(.string, simple: simple, start: start, length: i - start)
        i += 1
    }

    /// One well-formed multi-byte UTF-8 sequence at `i` (Unicode's table 3-7), or throws.
    private mutating func scanUTF8Sequence() throws {
        let c = base[i]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw RecordJSONDecoder.Unsupported()
        }
        guard count - i >= length else { throw RecordJSONDecoder.Unsupported() }
        guard base[i + 1] >= low && base[i + 1] <= high else { throw RecordJSONDecoder.Unsupported() }
        for k in 2..<length where base[i + k] < 0x80 || base[i + k] > 0xBF { throw RecordJSONDecoder.Unsupported() }
        i += length
    }

    /// The UTF-8 bytes of a string the scanner accepted (so every escape is well-formed).
    static func unescape(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var k = 0
        func hex4(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for j in 0..<4 {
                let c = text[at + j]
                let h: UInt32 =
                    switch c {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
                    default: UInt32(c - UInt8(ascii: "A") + 10)
                    }
                v = v << 4 | h
            }
            return v
        }
        while k < text.count {
            let c = text[k]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                k += 1
                continue
            }
            let e = text[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(k)
                k += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(k + 2) - 0xDC00)
                    k += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: out.append(e)  // \" \\ \/
            }
        }
        return out
    }
}

/// The `Decoder` (and single-value container) of one node.
struct TapeDecoder: Decoder, SingleValueDecodingContainer {
    let tape: JSONTape
    let node: Int

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try TapeKeyedContainer<Key>(tape: tape, object: node))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TapeUnkeyedContainer(tape: tape, array: node)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { tape.nodes[node].kind == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try tape.bool(at: node) }
    func decode(_ type: String.Type) throws -> String { try tape.string(at: node) }
    func decode(_ type: Double.Type) throws -> Double { try tape.double(at: node) }
    func decode(_ type: Float.Type) throws -> Float { throw RecordJSONDecoder.Unsupported() }
    func decode(_ type: Int.Type) throws -> Int { try tape.integer(Int.self, at: node) }
    func decode(_ type: Int8.Type) throws -> Int8 { try tape.integer(Int8.self, at: node) }
    func decode(_ type: Int16.Type) throws -> Int16 { try tape.integer(Int16.self, at: node) }
    func decode(_ type: Int32.Type) throws -> Int32 { try tape.integer(Int32.self, at: node) }
    func decode(_ type: Int64.Type) throws -> Int64 { try tape.integer(Int64.self, at: node) }
    func decode(_ type: UInt.Type) throws -> UInt { try tape.integer(UInt.self, at: node) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try tape.integer(UInt8.self, at: node) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try tape.integer(UInt16.self, at: node) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try tape.integer(UInt32.self, at: node) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try tape.integer(UInt64.self, at: node) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try tape.decode(T.self, at: node) }
}

/// An object's members by key.
struct TapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let tape: JSONTape
    let object: Int
    /// Value node by key, for objects of more than ``linearMembers`` members (fewer are searched).
    private let index: [String: Int]?
    private static var linearMembers: Int { 16 }

    init(tape: JSONTape, object: Int) throws {
        let node = tape.nodes[object]
        guard node.kind == .object else { throw RecordJSONDecoder.Unsupported() }
        self.tape = tape
        self.object = object
        // Keys must be plain ASCII and not repeat (see RecordJSONDecoder).
        var keys: [Int] = []
        keys.reserveCapacity(Int(node.count))
        var k = object + 1
        for _ in 0..<node.count {
            guard tape.nodes[k].simple else { throw RecordJSONDecoder.Unsupported() }
            keys.append(k)
            k = Int(tape.nodes[k + 1].next)
        }
        if keys.count > Self.linearMembers {
            var index: [String: Int] = [:]
            index.reserveCapacity(keys.count)
            for k in keys {
                let name = String(decoding: tape.bytes(tape.nodes[k]), as: UTF8.self)
                guard index.updateValue(k + 1, forKey: name) == nil else { throw RecordJSONDecoder.Unsupported() }
            }
            self.index = index
        } else {
            for a in keys.indices {
                let na = tape.nodes[keys[a]]
                for b in (a + 1)..<keys.count {
                    let nb = tape.nodes[keys[b]]
                    if na.length == nb.length
                        && memcmp(tape.base + Int(na.start), tape.base + Int(nb.start), Int(na.length)) == 0
                    {
                        throw RecordJSONDecoder.Unsupported()
                    }
                }
            }
            self.index = nil
        }
    }

    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        var keys: [Key] = []
        var k = object + 1
        for _ in 0..<tape.nodes[object].count {
            if let key = Key(stringValue: String(decoding: tape.bytes(tape.nodes[k]), as: UTF8.self)) {
                keys.append(key)
            }
            k = Int(tape.nodes[k + 1].next)
        }
        return keys
    }

    /// The value node of `key`, nil when the object has no such key.
    private func valueNode(_ key: Key) -> Int? {
        let name = key.stringValue
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else {
            tape.gaveUp = true
            return nil
        }
        if let index { return index[name] }
        var k = object + 1
        for _ in 0..<tape.nodes[object].count {
            if tape.key(k, is: name) { return k + 1 }
            k = Int(tape.nodes[k + 1].next)
        }
        return nil
    }

    private func required(_ key: Key) throws -> Int {
        guard let v = valueNode(key) else { throw RecordJSONDecoder.Unsupported() }
        return v
    }

    /// The value node of `key`, nil when it is absent or null (`decodeIfPresent`).
    private func present(_ key: Key) -> Int? {
        guard let v = valueNode(key), tape.nodes[v].kind != .null else { return nil }
        return v
    }

    func contains(_ key: Key) -> Bool { valueNode(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { tape.nodes[try required(key)].kind == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try tape.bool(at: required(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try tape.string(at: required(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try tape.double(at: required(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw RecordJSONDecoder.Unsupported() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try tape.integer(Int.self, at: required(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try tape.integer(Int8.self, at: required(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try tape.integer(Int16.self, at: required(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try tape.integer(Int32.self, at: required(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try tape.integer(Int64.self, at: required(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try tape.integer(UInt.self, at: required(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try tape.integer(UInt8.self, at: required(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try tape.integer(UInt16.self, at: required(key))
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try tape.integer(UInt32.self, at: required(key))
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try tape.integer(UInt64.self, at: required(key))
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try tape.decode(T.self, at: required(key))
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try present(key).map { try tape.bool(at: $0) }
    }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try present(key).map { try tape.string(at: $0) }
    }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try present(key).map { try tape.double(at: $0) }
    }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try present(key).map { try tape.integer(Int.self, at: $0) }
    }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try present(key).map { try tape.integer(Int64.self, at: $0) }
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try tape.decode(T.self, at: $0) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(try TapeKeyedContainer<NestedKey>(tape: tape, object: required(key)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TapeUnkeyedContainer(tape: tape, array: required(key))
    }

    func superDecoder() throws -> any Decoder { throw RecordJSONDecoder.Unsupported() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw RecordJSONDecoder.Unsupported() }
}

/// An array's elements in order.
struct TapeUnkeyedContainer: UnkeyedDecodingContainer {
    let tape: JSONTape
    let count: Int?
    private(set) var currentIndex = 0
    /// The node of the element at `currentIndex`.
    private var cursor: Int

    init(tape: JSONTape, array: Int) throws {
        let node = tape.nodes[array]
        guard node.kind == .array else { throw RecordJSONDecoder.Unsupported() }
        self.tape = tape
        count = Int(node.count)
        cursor = array + 1
    }

    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= count! }

    /// The current element's node; moves past it.
    private mutating func next() throws -> Int {
        guard !isAtEnd else { throw RecordJSONDecoder.Unsupported() }
        let node = cursor
        cursor = Int(tape.nodes[node].next)
        currentIndex += 1
        return node
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw RecordJSONDecoder.Unsupported() }
        guard tape.nodes[cursor].kind == .null else { return false }
        _ = try next()
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try tape.bool(at: next()) }
    mutating func decode(_ type: String.Type) throws -> String { try tape.string(at: next()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try tape.double(at: next()) }
    mutating func decode(_ type: Float.Type) throws -> Float { throw RecordJSONDecoder.Unsupported() }
    mutating func decode(_ type: Int.Type) throws -> Int { try tape.integer(Int.self, at: next()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try tape.integer(Int8.self, at: next()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try tape.integer(Int16.self, at: next()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try tape.integer(Int32.self, at: next()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try tape.integer(Int64.self, at: next()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try tape.integer(UInt.self, at: next()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try tape.integer(UInt8.self, at: next()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try tape.integer(UInt16.self, at: next()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try tape.integer(UInt32.self, at: next()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try tape.integer(UInt64.self, at: next()) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try tape.decode(T.self, at: next()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(try TapeKeyedContainer<NestedKey>(tape: tape, object: next()))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TapeUnkeyedContainer(tape: tape, array: next())
    }

    mutating func superDecoder() throws -> any Decoder { TapeDecoder(tape: tape, node: try next()) }
}
