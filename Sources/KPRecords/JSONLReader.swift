import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads JSON-lines record streams, tolerating damage.
///
/// A corrupt, truncated or unknown line never stops the read: it is returned as a
/// ``RecordError`` naming `file:line`, and reading goes on with the next line. A last line
/// without its newline (a writer killed mid-write) is decoded if it is complete JSON and
/// reported as damaged otherwise.
public enum JSONLReader {
    /// One line's outcome.
    public typealias Item = Result<Record, RecordError>

    /// Longest line accepted (bytes before its newline); longer lines are skipped, each reported as
    /// one damaged line (bounded memory on hostile input).
    public static let maxLineBytes = 64 << 20

    /// Bytes asked of `read(2)` at a time when reading a file or a pipe.
    static let chunkBytes = 1 << 20

    /// Reads a whole file. A missing file is an error the caller reports; damage inside is per line.
    public static func read(path: String) throws -> [Item] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReaderError(path: path, message: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        var items: [Item] = []
        try forEachLine(handle: handle, name: path) { items.append($0) }
        return items
    }

    /// Reads lines from a handle as they arrive (e.g. stdin in a pipeline), calling `body` per line.
    /// A failed `read(2)` (EIO, EISDIR) throws a ``ReaderError`` after the lines before it.
    public static func forEachLine(handle: FileHandle, name: String, _ body: (Item) throws -> Void) throws {
        try forEachLine(fd: handle.fileDescriptor, name: name, chunkBytes: chunkBytes, maxLineBytes: maxLineBytes, body)
    }

    /// Reads lines from bytes already in memory (e.g. a decompressed `*.jsonl.gz`), as from a file.
    public static func forEachLine(data: Data, name: String, _ body: (Item) throws -> Void) throws {
        try forEachLine(data: data, name: name, maxLineBytes: maxLineBytes, body)
    }

    /// ``forEachLine(data:name:_:)`` with a line limit of the caller's (tests use small ones).
    static func forEachLine(data: Data, name: String, maxLineBytes: Int, _ body: (Item) throws -> Void) throws {
        var lines = LineSplitter(maxLineBytes: maxLineBytes)
        let decoder = RecordDecoder()
        try data.withUnsafeBytes { bytes in
            try lines.feed(bytes) { try deliver($0, $1, name: name, maxLineBytes, decoder, body) }
        }
        try lines.finish { try deliver($0, $1, name: name, maxLineBytes, decoder, body) }
    }

    /// ``forEachLine(handle:name:_:)`` on a descriptor, reading at most `chunkBytes` at a time (tests use
    /// small chunks to put line ends on every side of a chunk boundary).
    static func forEachLine(
        fd: Int32, name: String, chunkBytes: Int, maxLineBytes: Int, _ body: (Item) throws -> Void
    ) throws {
        var lines = LineSplitter(maxLineBytes: maxLineBytes)
        let decoder = RecordDecoder()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n = readSome(fd, into: chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReaderError(path: name, message: "read failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            try lines.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n])) {
                try deliver($0, $1, name: name, maxLineBytes, decoder, body)
            }
        }
        try lines.finish { try deliver($0, $1, name: name, maxLineBytes, decoder, body) }
    }

    /// Turns one line into an item for `body`: blank lines (nothing but spaces and tabs, after an
    /// optional trailing CR) are counted but not delivered.
    private static func deliver(
        _ lineNo: Int, _ line: LineSplitter.Line, name: String, _ maxLineBytes: Int, _ decoder: RecordDecoder,
        _ body: (Item) throws -> Void
    ) throws {
        switch line {
        case .tooLong:
            try body(
                .failure(
                    RecordError(.malformed("line longer than \(maxLineBytes) bytes"), location: "\(name):\(lineNo)")))
        case .bytes(let bytes):
            var count = bytes.count
            if count > 0 && bytes[count - 1] == 0x0D { count -= 1 }
            var blank = true
            for i in 0..<count where bytes[i] != 0x20 && bytes[i] != 0x09 {
                blank = false
                break
            }
            if blank { return }
            let item: Item
            do {
                item = .success(
                    try decoder.decode(
                        UnsafeRawBufferPointer(rebasing: bytes[0..<count]), location: "\(name):\(lineNo)"))
            } catch {
                item = .failure(error)
            }
            try body(item)
        }
    }

    public struct ReaderError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }
}

/// `read(2)` into `buffer`: the byte count, 0 at the end, -1 with `errno` set.
private func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}

/// Cuts a byte stream, fed in chunks of any size, into lines.
///
/// Each chunk is searched with `memchr` inside the caller's `withUnsafeBytes`: no byte is touched
/// through Swift collection indexing, so a 2 MB line costs one pass at memory speed. A line that lies
/// wholly in one chunk is handed over in place; only the start of a line that a chunk boundary cuts is
/// copied (into `carry`) until its newline arrives.
struct LineSplitter {
    /// One line, without its `\n`.
    enum Line {
        /// The line's bytes, valid only during the call they are passed to.
        case bytes(UnsafeRawBufferPointer)
        /// The line exceeded `maxLineBytes`; its bytes were dropped as they came.
        case tooLong
    }

    let maxLineBytes: Int
    /// Lines ended so far (the number of the line last handed over).
    private(set) var lineNo = 0
    /// The start of a line whose newline has not arrived yet.
    private var carry: [UInt8] = []
    /// The current line is over `maxLineBytes`: its bytes are dropped until its newline.
    private var skipping = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Hands every line that `chunk` ends to `body` (with its 1-based number) and keeps the unended rest.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Int, Line) throws -> Void) rethrows {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        while start < chunk.count {
            guard let hit = memchr(base + start, 0x0A, chunk.count - start) else {
                keep(UnsafeRawBufferPointer(start: base + start, count: chunk.count - start))
                return
            }
            let newline = base.distance(to: UnsafeRawPointer(hit))
            try endLine(UnsafeRawBufferPointer(start: base + start, count: newline - start), body)
            start = newline + 1
        }
    }

    /// At the end of the stream: hands over a last line that had no newline.
    mutating func finish(_ body: (Int, Line) throws -> Void) rethrows {
        if skipping {
            skipping = false
            lineNo += 1
            try body(lineNo, .tooLong)
        } else if !carry.isEmpty {
            lineNo += 1
            defer { carry = [] }
            try carry.withUnsafeBytes { try body(lineNo, .bytes($0)) }
        }
    }

    /// Holds the start of an unended line (or drops it once the line is too long).
    private mutating func keep(_ part: UnsafeRawBufferPointer) {
        if skipping { return }
        if carry.count + part.count > maxLineBytes {
            skipping = true
            carry = []
            return
        }
        carry.append(contentsOf: part)
    }

    /// Ends the current line with `last`, its bytes up to the newline in this chunk.
    private mutating func endLine(_ last: UnsafeRawBufferPointer, _ body: (Int, Line) throws -> Void) rethrows {
        lineNo += 1
        if skipping || carry.count + last.count > maxLineBytes {
            skipping = false
            carry = []
            try body(lineNo, .tooLong)
        } else if carry.isEmpty {
            try body(lineNo, .bytes(last))
        } else {
            carry.append(contentsOf: last)
            // Keep a few MB of room for the next cut line; let a larger one go.
            defer { carry.removeAll(keepingCapacity: carry.count <= 4 << 20) }
            try carry.withUnsafeBytes { try body(lineNo, .bytes($0)) }
        }
    }
}
