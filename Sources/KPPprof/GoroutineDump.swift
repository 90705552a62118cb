import Foundation

/// Go's goroutine profile in text form (`/debug/pprof/goroutine?debug=1`), parsed.
///
/// The format, written by `runtime/pprof`'s `printCountProfile`, is:
///
/// ```
/// goroutine profile: total 41
/// 3 @ 0x43f076 0x40919b 0x4704c1
/// # labels: {"phase":"steady"}          (only when pprof labels are set)
/// #	0xacf9eb	pkg.(*T).loop+0x8b	/src/pkg/t.go:173
///
/// 1 @ …
/// ```
///
/// Each group is a distinct stack with the number of goroutines on it. Parsing is done on bytes,
/// lines longer than ``maxLineBytes`` are rejected, and the group counts must add up to the
/// header's total, so a corrupt or truncated dump is reported rather than half-read.
public struct GoroutineDump: Hashable, Sendable {
    /// The longest line accepted (1 MiB); real frame lines are a few hundred bytes.
    public static let maxLineBytes = 1 << 20

    /// The `total N` of the header: the number of goroutines.
    public var total: Int
    /// The stack groups in file order (Go writes them by count, descending).
    public var groups: [GoroutineGroup]

    /// Creates a dump from parts.
    public init(total: Int, groups: [GoroutineGroup]) {
        self.total = total
        self.groups = groups
    }

    /// Parses the text of `/debug/pprof/goroutine?debug=1`.
    ///
    /// - Parameter data: The response body.
    /// - Throws: ``GoroutineDumpError`` with the 1-based line of the first problem.
    public init(data: Data) throws {
        self = try data.withUnsafeBytes { try Self.parse(UnsafeRawBufferPointer($0)) }
    }

    /// Parses the text of `/debug/pprof/goroutine?debug=1`.
    ///
    /// - Parameter text: The response body.
    /// - Throws: ``GoroutineDumpError`` with the 1-based line of the first problem.
    public init(text: String) throws {
        try self.init(data: Data(text.utf8))
    }

    /// The groups' goroutine counts per top (innermost) function, largest first.
    ///
    /// Useful to see where goroutines are parked, e.g. `runtime.gopark` callers.
    public func countsByTopFunction() -> [(function: String, count: Int)] {
        var counts: [String: Int] = [:]
        for group in self.groups { counts[group.topFunction ?? "?", default: 0] += group.count }
        return counts.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    private static let header = Array("goroutine profile: total ".utf8)

    private static func parse(_ bytes: UnsafeRawBufferPointer) throws -> GoroutineDump {
        var lineNumber = 0
        var position = 0
        var total: Int?
        var groups: [GoroutineGroup] = []
        var sum = 0

        while position < bytes.count {
            lineNumber += 1
            var end = position
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            guard end - position <= Self.maxLineBytes else {
                throw GoroutineDumpError(line: lineNumber, "line is longer than \(Self.maxLineBytes) bytes")
            }
            var lineEnd = end
            if lineEnd > position, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[position..<lineEnd])
            position = end + 1

            if total == nil {
                guard line.starts(with: Self.header) else {
                    throw GoroutineDumpError(
                        line: lineNumber,
                        "expected \"goroutine profile: total N\"; is this /debug/pprof/goroutine?debug=1?")
                }
                guard let value = parseDecimal(UnsafeRawBufferPointer(rebasing: line[Self.header.count...])) else {
                    throw GoroutineDumpError(line: lineNumber, "the total is not a non-negative integer")
                }
                total = value
                continue
            }
            if line.isEmpty { continue }
            if line[0] == UInt8(ascii: "#") {
                guard !groups.isEmpty else {
                    throw GoroutineDumpError(line: lineNumber, "frame line before the first \"N @ 0x…\" group line")
                }
                let rest = UnsafeRawBufferPointer(rebasing: line[1...])
                if rest.starts(with: Array(" labels: ".utf8)) {
                    groups[groups.count - 1].labels = String(decoding: rest[9...], as: UTF8.self)
                } else {
                    groups[groups.count - 1].frames.append(try parseFrame(rest, lineNumber))
                }
                continue
            }
            let group = try parseGroup(line, lineNumber)
            let (newSum, overflow) = sum.addingReportingOverflow(group.count)
            guard !overflow else { throw GoroutineDumpError(line: lineNumber, "goroutine counts overflow") }
            sum = newSum
            groups.append(group)
        }
        guard let total else {
            throw GoroutineDumpError(line: 1, "input is empty; expected \"goroutine profile: total N\"")
        }
        guard sum == total else {
            throw GoroutineDumpError(
                line: lineNumber,
                "groups add up to \(sum) goroutines but the header says total \(total); the dump is truncated or corrupt"
            )
        }
        return GoroutineDump(total: total, groups: groups)
    }

    /// `3 @ 0x43f076 0x40919b`
    private static func parseGroup(_ line: UnsafeRawBufferPointer, _ lineNumber: Int) throws -> GoroutineGroup {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count >= 2, fields[1].elementsEqual([UInt8(ascii: "@")]) else {
            throw GoroutineDumpError(line: lineNumber, "expected a group line \"N @ 0x…\" or a frame line \"#\\t0x…\"")
        }
        guard let count = parseDecimal(UnsafeRawBufferPointer(rebasing: fields[0])) else {
            throw GoroutineDumpError(line: lineNumber, "group count is not a non-negative integer")
        }
        var pcs: [UInt64] = []
        pcs.reserveCapacity(fields.count - 2)
        for field in fields.dropFirst(2) {
            guard let pc = parseHex(UnsafeRawBufferPointer(rebasing: field)) else {
                throw GoroutineDumpError(line: lineNumber, "program counter is not 0x-prefixed hex")
            }
            pcs.append(pc)
        }
        return GoroutineGroup(count: count, pcs: pcs, frames: [], labels: nil)
    }

    /// `\t0xacf9eb\tpkg.f+0x8b\t\tpkg/file.go:173` (tabs repeated for alignment) or `\t0x4704c1` alone.
    private static func parseFrame(_ rest: UnsafeRawBufferPointer, _ lineNumber: Int) throws -> GoroutineFrame {
        let fields = rest.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: true)
        guard let pcField = fields.first, let pc = parseHex(UnsafeRawBufferPointer(rebasing: pcField)) else {
            throw GoroutineDumpError(line: lineNumber, "frame line must start with \"#\\t0x<pc>\"")
        }
        var frame = GoroutineFrame(pc: pc, function: "", offset: nil, file: "", line: 0)
        if fields.count >= 2 {
            let symbol = Array(fields[1])
            // The offset is the last "+0x…"; function names themselves may contain '+' only rarely.
            if let plus = symbol.lastIndex(of: UInt8(ascii: "+")),
                let offset = symbol[(plus + 1)...].withUnsafeBytes({ parseHex($0) })
            {
                frame.function = String(decoding: symbol[..<plus], as: UTF8.self)
                frame.offset = offset
            } else {
                frame.function = String(decoding: symbol, as: UTF8.self)
            }
        }
        if fields.count >= 3 {
            let location = Array(fields[2...].joined(separator: [UInt8(ascii: "\t")]))
            if let colon = location.lastIndex(of: UInt8(ascii: ":")),
                let line = location[(colon + 1)...].withUnsafeBytes({ parseDecimal($0) })
            {
                frame.file = String(decoding: location[..<colon], as: UTF8.self)
                frame.line = line
            } else {
                throw GoroutineDumpError(line: lineNumber, "frame location must be \"file:line\"")
            }
        }
        return frame
    }

    private static func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func parseHex(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count > 2, bytes.count <= 18, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") else {
            return nil
        }
        var value: UInt64 = 0
        for byte in bytes[2...] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}

/// Goroutines that share one stack.
public struct GoroutineGroup: Hashable, Sendable {
    /// How many goroutines have this stack.
    public var count: Int
    /// The program counters of the `N @ …` line, innermost first.
    public var pcs: [UInt64]
    /// The symbolized frames, innermost first (may be more than `pcs` when calls were inlined).
    public var frames: [GoroutineFrame]
    /// The raw `# labels: {…}` text, if the goroutines carry pprof labels.
    public var labels: String?

    /// Creates a group.
    public init(count: Int, pcs: [UInt64], frames: [GoroutineFrame], labels: String?) {
        self.count = count
        self.pcs = pcs
        self.frames = frames
        self.labels = labels
    }

    /// The innermost frame's function, e.g. `runtime.gopark` callers such as `net.(*netFD).Read`.
    public var topFunction: String? { self.frames.first?.function }
}

/// One `#\t0x…\tfunc+0x…\tfile:line` frame line.
public struct GoroutineFrame: Hashable, Sendable {
    /// The program counter.
    public var pc: UInt64
    /// The function name (`""` if Go printed the pc alone).
    public var function: String
    /// The offset of `pc` from the function's entry, if printed.
    public var offset: UInt64?
    /// The source file (`""` if not printed).
    public var file: String
    /// The source line (0 if not printed).
    public var line: Int

    /// Creates a frame.
    public init(pc: UInt64, function: String, offset: UInt64?, file: String, line: Int) {
        self.pc = pc
        self.function = function
        self.offset = offset
        self.file = file
        self.line = line
    }
}

/// A goroutine dump that cannot be parsed.
///
/// The ``description`` is one line: `goroutine dump line N: what was wrong`.
public struct GoroutineDumpError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The 1-based line of the problem.
    public let line: Int
    /// What was wrong.
    public let message: String

    init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "goroutine dump line \(self.line): \(self.message)" }
}
