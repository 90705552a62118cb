import Foundation

/// Reads JSON-lines record streams, tolerating damage.
///
/// A corrupt, truncated or unknown line never stops the read: it is returned as a
/// ``RecordError`` naming `file:line`, and reading goes on with the next line. A last line
/// without its newline (a writer killed mid-write) is decoded if it is complete JSON and
/// reported as damaged otherwise.
public enum JSONLReader {
    /// One line's outcome.
    public typealias Item = Result<Record, RecordError>

    /// Longest line accepted; longer lines are skipped (bounded memory on hostile input).
    public static let maxLineBytes = 64 << 20

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
    public static func forEachLine(handle: FileHandle, name: String, _ body: (Item) throws -> Void) throws {
        try forEachLine(chunks: { handle.readData(ofLength: 1 << 16) }, name: name, body)
    }

    /// Reads lines from bytes already in memory (e.g. a decompressed `*.jsonl.gz`), as from a file.
    public static func forEachLine(data: Data, name: String, _ body: (Item) throws -> Void) throws {
        var offset = data.startIndex
        try forEachLine(
            chunks: {
                let end = data.index(offset, offsetBy: 1 << 16, limitedBy: data.endIndex) ?? data.endIndex
                defer { offset = end }
                return data[offset..<end]
            }, name: name, body)
    }

    /// The line splitter: `nextChunk` returns the next bytes, empty at the end.
    private static func forEachLine(chunks nextChunk: () -> Data, name: String, _ body: (Item) throws -> Void) throws {
        var buffer = Data()
        var lineNo = 0
        var skipping = false  // inside an over-long line
        func emit(_ line: Data) throws {
            lineNo += 1
            let trimmed = line.last == 0x0D ? line.dropLast() : line[...]
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            do {
                try body(.success(try RecordCodec.decode(Data(trimmed), location: "\(name):\(lineNo)")))
            } catch let e as RecordError {
                try body(.failure(e))
            }
        }
        while true {
            let chunk = nextChunk()
            if chunk.isEmpty { break }
            buffer.append(chunk)
            // Walk the lines with an index and drop the consumed prefix once per chunk
            // (removing each line from the front would copy the rest of the buffer per line).
            var lineStart = buffer.startIndex
            while let nl = buffer[lineStart...].firstIndex(of: 0x0A) {
                let line = buffer[lineStart..<nl]
                if skipping {
                    skipping = false
                    lineNo += 1
                    try body(
                        .failure(
                            RecordError(
                                .malformed("line longer than \(maxLineBytes) bytes"), location: "\(name):\(lineNo)")))
                } else {
                    try emit(Data(line))
                }
                lineStart = buffer.index(after: nl)
            }
            buffer.removeSubrange(buffer.startIndex..<lineStart)
            if buffer.count > maxLineBytes {
                skipping = true
                buffer.removeAll(keepingCapacity: false)
            }
        }
        if skipping {
            lineNo += 1
            try body(
                .failure(
                    RecordError(.malformed("line longer than \(maxLineBytes) bytes"), location: "\(name):\(lineNo)")))
        } else if !buffer.isEmpty {
            try emit(buffer)
        }
    }

    public struct ReaderError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }
}
