import Foundation

/// The one way tests run a program to its end: both pipes read at once (a program that fills one
/// while the test reads the other cannot block), a timeout, and optionally a signal sent mid-run.
public enum ProcessRunner {
    public struct Result: Sendable {
        /// Exit status; -1 when the timeout killed it.
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        public var seconds: Double
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `path` with `args` (the environment is this process's, with `env` on top), feeding it
    /// `stdin` (else /dev/null), waiting at most `timeout` seconds (then SIGKILL, status -1). With
    /// `signal`, sends it once the first time `when` returns true (checked every 20 ms).
    ///
    /// Started through env(1) with default signal handling: this test process may have set
    /// SIGINT/SIGTERM to SIG_IGN (in-process signal watchers), which a child would inherit and a
    /// shell script could not trap.
    public static func run(
        _ path: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, stdin: Data? = nil,
        timeout: Double = 120, signal: (number: Int32, when: () -> Bool)? = nil
    ) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=INT,TERM,HUP,QUIT", path] + args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = stdin.map { _ in Pipe() }
        p.standardInput = input ?? FileHandle.nullDevice
        let start = Date()
        try p.run()
        let outData = Locked(Data())
        let errData = Locked(Data())
        // Blocking reads and the write on threads of their own, not Dispatch's shared pool: a test
        // that runs tools beside work on that pool (FakeTransport's delayed answers) must not starve it.
        let g = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            g.enter()
            Thread {
                box.set(pipe.fileHandleForReading.readDataToEndOfFile())
                g.leave()
            }.start()
        }
        if let input, let stdin {
            Thread {
                try? input.fileHandleForWriting.write(contentsOf: stdin)
                try? input.fileHandleForWriting.close()
            }.start()
        }
        let deadline = Date().addingTimeInterval(timeout)
        var signalled = signal == nil
        while p.isRunning && Date() < deadline {
            if !signalled, let signal, signal.when() {
                kill(p.processIdentifier, signal.number)
                signalled = true
            }
            usleep(20_000)
        }
        var status: Int32
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            status = -1
        } else {
            status = p.terminationStatus
        }
        _ = g.wait(timeout: .now() + 10)
        return Result(
            status: status, stdout: outData.get(), stderr: errData.get(), seconds: Date().timeIntervalSince(start))
    }
}

/// A value shared between threads behind a lock.
public final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    public init(_ v: T) { value = v }
    public func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    public func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
}
