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
