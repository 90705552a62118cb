import Foundation
import KPCore

/// Appends records as JSON lines to a file descriptor, one `write(2)` per record.
///
/// Each record reaches the kernel as soon as it is written, so a crash or a kill loses nothing
/// that was already measured. Thread-safe: concurrent writers never interleave within a line.
/// A record is appended whole or not at all: when a write fails part-way (a full disk, the file
/// size limit) on a regular file, the file is cut back to its last whole line before the error is
/// thrown (``KPCore/FileOutput/appendLine(fd:_:)``).
public final class JSONLWriter: @unchecked Sendable {
    private let fd: Int32
    private let ownsFD: Bool
    /// The file's path for messages; nil: looked up from the descriptor when a write fails.
    private let path: String?
    private let lock = NSLock()

    /// Writes to standard output.
    public static let stdout = JSONLWriter(fd: STDOUT_FILENO, ownsFD: false)

    public init(fd: Int32, ownsFD: Bool) {
        self.fd = fd
        self.ownsFD = ownsFD
        self.path = nil
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.ownsFD = true
        self.path = path
    }

    /// Opens `path` for appending (created with mode 0644 if absent).
    public convenience init(appendingTo path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw WriterError(path: path, message: String(cString: strerror(errno)))
        }
        self.init(fd: fd, path: path)
    }

    deinit {
        if ownsFD { close(fd) }
    }

    public func write(_ record: Record) throws {
        var data = try RecordCodec.encode(record)
        data.append(0x0A)
        try writeLine(data)
    }

    public func write<R: KPRecord>(_ record: R) throws {
        try write(record.record)
    }

    /// Writes raw bytes that already end in a newline (a pass-through of another stream's line).
    public func writeLine(_ data: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        do {
            try FileOutput.appendLine(fd: fd, data)
        } catch {
            let fallback = fd == STDOUT_FILENO ? "stdout" : "fd \(fd)"
            throw WriterError(path: path ?? FileOutput.name(ofFD: fd, fallback: fallback), message: error.reason)
        }
    }

    public struct WriterError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "cannot write \(path): \(message)" }
    }
}
