import Foundation
import KPCore

/// A child process started in its own session, so that it and every process it starts can be
/// signalled as one group, and reaped by a dedicated thread, so that it never lingers as a zombie.
///
/// Written on `posix_spawn` rather than `Foundation.Process` because kp-launch needs three things
/// `Process` does not offer on Linux: a new session (`POSIX_SPAWN_SETSID`, so SIGTERM to the
/// process group reaches the whole tree the target starts), signal dispositions reset to default
/// in the child (kp-launch itself ignores SIGINT/SIGTERM while KPCLI's `SignalWatcher` handles
/// them, and ignored dispositions survive `exec`), and stdout/stderr opened straight onto log
/// files with every other descriptor closed. The glibc extensions for the last two
/// (`posix_spawn_file_actions_addclosefrom_np`, `..._addchdir_np`, glibc ≥ 2.34) are not
/// exported by Swift's Glibc module, so they are looked up with `dlsym`.
public final class ChildProcess: @unchecked Sendable {
    /// How a process ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// `exit(code)`.
        case exited(Int32)
        /// Killed by a signal.
        case signaled(Int32)

        /// `exited with status 1`, `was killed by signal 9 (SIGKILL)`.
        public var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .signaled(let sig):
                return "was killed by signal \(sig)\(ChildProcess.signalName(sig).map { " (\($0))" } ?? "")"
            }
        }

        /// True for `exit(0)`.
        public var isSuccess: Bool { self == .exited(0) }
    }

    /// Where a child's stdout or stderr goes.
    public enum Output: Sendable {
        /// Appended to this file (created 0644 if absent).
        case append(String)
        /// Discarded.
        case null
    }

    /// The process id; also the process group and session id.
    public let pid: Int32
    /// The argument vector it was started with (program first).
    public let arguments: [String]

    private let lock = NSLock()
    private var termination: Termination?
    private var waiters: [CheckedContinuation<Termination, Never>] = []

    private init(pid: Int32, arguments: [String]) {
        self.pid = pid
        self.arguments = arguments
    }

    /// Starts `executable` with `arguments` in a new session.
    ///
    /// - Parameters:
    ///   - executable: absolute or relative path of the program (not searched in PATH; see ``findInPath(_:)``).
    ///   - arguments: arguments after the program name.
    ///   - directory: working directory of the child; nil keeps kp-launch's.
    ///   - stdout: where standard output goes.
    ///   - stderr: where standard error goes.
    ///   - environment: the child's environment; nil inherits kp-launch's.
    /// - Throws: ``LaunchError`` (exit 2) naming the program, or the directory or output file that
    ///   kept it from starting (a failed chdir never starts the child elsewhere).
    public static func spawn(
        _ executable: String, _ arguments: [String], directory: String? = nil, stdout: Output, stderr: Output,
        environment: [String: String]? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else {
            throw LaunchError.failure("cannot start \(executable): posix_spawn_file_actions_init failed")
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Each file action is only recorded here (it runs in the child); a non-zero return means it
        // was not recorded, and the child would start without it: fail instead.
        func check(_ rc: Int32, _ action: String) throws {
            guard rc == 0 else {
                throw LaunchError.failure(
                    "cannot start \(executable): \(action) failed: \(String(cString: strerror(rc)))")
            }
        }
        try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "opening /dev/null as stdin")
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .append(let path):
                try check(
                    posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644),
                    "opening \(path) for fd \(fd)")
            case .null:
                try check(
                    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0),
                    "opening /dev/null for fd \(fd)")
            }
        }
        if let closeFrom = GlibcSpawnExtensions.addCloseFrom {
            try check(closeFrom(&actions, 3), "closing descriptors from 3")
        }
        if let directory {
            guard let addChdir = GlibcSpawnExtensions.addChdir else {
                throw LaunchError.failure(
                    "cannot start \(executable) in \(directory): this libc lacks posix_spawn_file_actions_addchdir_np (glibc ≥ 2.29 needed)"
                )
            }
            try check(directory.withCString { addChdir(&actions, $0) }, "changing to \(directory)")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(
            &attributes, Int16(GlibcSpawnExtensions.setsid | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [executable] + arguments
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in
                posix_spawn(&pid, executable, &actions, &attributes, cArgv, cEnv)
            }
        }
        if rc != 0 {
            // glibc runs the file actions in the child before exec and returns their error here; say
            // which one failed rather than blaming the program for a bad directory or log file.
            if let problem = spawnProblem(directory: directory, outputs: [stdout, stderr]) {
                throw LaunchError.badInput("cannot start \(executable): \(problem)")
            }
            throw LaunchError.badInput(
                "cannot start \(executable): \(String(cString: strerror(rc))); check the path and that it is an executable file"
            )
        }
        let child = ChildProcess(pid: pid, arguments: argv)
        child.startReaper()
        return child
    }

    /// Which file action keeps a child from starting: the working directory or an output file; nil
    /// when both are usable (then the program itself is the problem).
    private static func spawnProblem(directory: String?, outputs: [Output]) -> String? {
        if let directory {
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                return
                    "its working directory \(directory) cannot be entered (\(String(cString: strerror(errno)))); check that it exists and is a directory"
            }
            let searchable = fchdirCheck(fd)
            close(fd)
            if let searchable {
                return "its working directory \(directory) cannot be entered (\(searchable)); check its permissions"
            }
        }
        for case .append(let path) in outputs {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd < 0 {
                return
                    "its output file \(path) cannot be opened (\(String(cString: strerror(errno)))); check that its directory exists and is writable"
            }
            close(fd)
        }
        return nil
    }

    /// nil when the directory behind `fd` may be entered (search permission), else why not.
    private static func fchdirCheck(_ fd: Int32) -> String? {
        faccessat(fd, ".", X_OK, 0) == 0 ? nil : String(cString: strerror(errno))
    }

    /// Runs a short command to completion, returning its termination and standard output.
    ///
    /// Standard error goes to `stderr`. The process group is killed if the calling task is cancelled.
    public static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil, stderr: Output = .null
    ) async throws -> (termination: Termination, stdout: String) {
        let capture = FileManager.default.temporaryDirectory
            .appendingPathComponent("kp-launch-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).out").path
        defer { unlink(capture) }
        let child = try spawn(executable, arguments, directory: directory, stdout: .append(capture), stderr: stderr)
        let termination = await withTaskCancellationHandler {
            await child.waitForExit()
        } onCancel: {
            child.signalGroup(SIGKILL)
        }
        let text = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
        return (termination, text)
    }

    /// The termination, if the process has ended and been reaped.
    public var exitStatus: Termination? {
        lock.lock()
        defer { lock.unlock() }
        return termination
    }

    /// Waits until the process ends.
    public func waitForExit() async -> Termination {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let termination {
                lock.unlock()
                continuation.resume(returning: termination)
                return
            }
            waiters.append(continuation)
            lock.unlock()
        }
    }

    /// Waits until the process ends or `timeout` passes; nil on timeout.
    public func waitForExit(timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let t = exitStatus { return t }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    /// Sends `signal` to the child's whole process group (ignored if the group is gone).
    public func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// Stops the whole process tree: SIGTERM to the group, SIGKILL after `grace`, and SIGKILL to any
    /// group member left behind once the leader has exited.
    @discardableResult
    public func stop(grace: Duration) async -> Termination {
        if let t = exitStatus {
            signalGroup(SIGKILL)  // stragglers of a leader that already ended
            return t
        }
        signalGroup(SIGTERM)
        signalGroup(SIGCONT)  // a stopped (SIGSTOP, debugger) process only acts on SIGTERM once continued
        if let t = await waitForExit(timeout: grace) {
            signalGroup(SIGKILL)
            return t
        }
        signalGroup(SIGKILL)
        return await waitForExit()
    }

    // MARK: - Internals

    private func startReaper() {
        let pid = self.pid
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                if errno != EINTR {
                    self.finish(.exited(-1))
                    return
                }
            }
            let signal = status & 0x7f
            self.finish(signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal))
        }
        thread.name = "kp-launch reaper \(pid)"
        thread.start()
    }

    private func finish(_ t: Termination) {
        lock.lock()
        termination = t
        let ws = waiters
        waiters = []
        lock.unlock()
        for w in ws { w.resume(returning: t) }
    }

    /// The conventional name of a signal number (`SIGKILL`), when it is a common one.
    public static func signalName(_ sig: Int32) -> String? {
        switch sig {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGTERM: "SIGTERM"
        default: nil
        }
    }

    /// The first executable file called `name` in PATH, or nil (``ExecutableSearch/find(_:path:)``).
    public static func findInPath(_ name: String) -> String? {
        ExecutableSearch.find(name)
    }
}

/// glibc's posix_spawn extensions, looked up at run time (Swift's Glibc module does not export them).
enum GlibcSpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// `POSIX_SPAWN_SETSID` (glibc ≥ 2.26, `<spawn.h>` under `__USE_GNU`, value 0x80): run the child in a new session.
    static let setsid: Int32 = 0x80

    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, name) else { return nil }
        return unsafeBitCast(sym, to: T.self)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers + [nil])
}
