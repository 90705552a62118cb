import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// kp-bench's one EINTR-safe write loop and one atomic file write.
///
/// Hand-written on POSIX calls rather than `Data.write(options: .atomic)`: that one does not fsync,
/// and its errors do not say which file failed with which errno; ours fsync before the rename, so
/// a crash right after a tool says it wrote a file cannot leave a half-written one behind.
public enum FileOutput {
    /// Writes every byte of `bytes` to `fd`: retries after EINTR and continues after short writes.
    ///
    /// - Throws: the errno of the first failed `write(2)` (EPIPE, ENOSPC, EBADF, …).
    public static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(FileOutputError) {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileOutputError(path: nil, errno: errno)
            }
            base += n
            left -= n
        }
    }

    /// ``writeAll(fd:_:)`` for `Data`.
    public static func writeAll(fd: Int32, _ data: Data) throws(FileOutputError) {
        let failure = data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> FileOutputError? in
            do throws(FileOutputError) {
                try writeAll(fd: fd, buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Appends one whole line (a record and its newline) to `fd`: one `write(2)`, continued only after
    /// EINTR or a short write, so the line is never interleaved with another writer's. When a write
    /// fails part-way (ENOSPC, EFBIG, EIO) and `fd` is a regular file, the file is truncated back to
    /// the length it had before this line, so it holds whole lines only; then the error is thrown.
    ///
    /// The length before is the file's size when `fd` is O_APPEND, else the descriptor's offset when it
    /// is at the end of the file (a shell's `>` redirect); a descriptor positioned inside its file, a
    /// pipe or a terminal is left as the failed write left it.
    ///
    /// - Throws: the errno of the failed `write(2)`.
    public static func appendLine(fd: Int32, _ data: Data) throws(FileOutputError) {
        var st = stat()
        var restore: off_t?
        var appending = false
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG {
            let flags = fcntl(fd, F_GETFL)
            appending = flags >= 0 && flags & O_APPEND != 0
            if appending {
                restore = st.st_size
            } else if lseek(fd, 0, SEEK_CUR) == st.st_size {
                restore = st.st_size
            }
        }
        do {
            try writeAll(fd: fd, data)
        } catch {
            if let restore {
                while ftruncate(fd, restore) != 0 && errno == EINTR {}
                if !appending { lseek(fd, restore, SEEK_SET) }
            }
            throw error
        }
    }

    /// The file `fd` writes to, for messages: its path when it is a regular file (from
    /// `/proc/self/fd`), else `fallback`.
    public static func name(ofFD fd: Int32, fallback: String) -> String {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return fallback }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard n > 0 else { return fallback }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `data` to a temporary file beside `path` (same directory, so the rename cannot cross
    /// file systems), fsyncs it and renames it over `path`: a reader sees the old file or the whole
    /// new one, never half of it. The temporary file is removed on every failure.
    ///
    /// - Throws: ``FileOutputError`` naming `path` and the errno.
    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws(FileOutputError) {
        let dir = (path as NSString).deletingLastPathComponent
        let name = ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let tmp = dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileOutputError(path: path, errno: errno) }
        do {
            try writeAll(fd: fd, data)
        } catch {
            close(fd)
            unlink(tmp)
            throw FileOutputError(path: path, errno: error.errno)
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            unlink(tmp)
            throw FileOutputError(path: path, errno: e)
        }
        if close(fd) != 0 {
            let e = errno
            unlink(tmp)
            throw FileOutputError(path: path, errno: e)
        }
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw FileOutputError(path: path, errno: e)
        }
    }

    /// Creates the output directory `dir` (and its parents) if needed and checks it is a writable
    /// directory; returns the one-line problem, naming `flag`, or nil when it is ready.
    public static func prepareDirectory(_ dir: String, flag: String) -> String? {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { return "\(flag) \(dir) exists and is not a directory: give a directory path" }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                return
                    "\(flag) \(dir) cannot be created (\(error.localizedDescription)): check the path and its permissions"
            }
        }
        if !FileManager.default.isWritableFile(atPath: dir) {
            return "\(flag) \(dir) is not writable: check its permissions"
        }
        return nil
    }

    /// ``writeAtomically(_:to:mode:)`` for UTF-8 text.
    public static func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o644) throws(FileOutputError) {
        try writeAtomically(Data(text.utf8), to: path, mode: mode)
    }
}

/// A failed write: the file (nil for a bare descriptor) and the errno.
public struct FileOutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String?
    public var errno: Int32
    public init(path: String?, errno: Int32) {
        self.path = path
        self.errno = errno
    }
    /// strerror's text for ``errno``.
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { path.map { "cannot write \($0): \(reason)" } ?? reason }
}

/// The tools' stderr: each text in one write, as given, with every write error ignored. A tool's stderr is
/// often a log file in the run directory, and on a full disk that write fails; Foundation's
/// `FileHandle.write(_:)` traps on such an error (the tool would die with SIGILL instead of saying
/// why and exiting with its code), and there is nowhere left to report it.
public enum StandardError {
    public static func write(_ text: String) {
        try? FileOutput.writeAll(fd: 2, Data(text.utf8))
    }
}
