import Foundation
import KPCore
import KPRecords
import Logging

/// The supervisor's pid file (`launch.pid`), `kp-launch down` and `kp-launch restart`.
///
/// `down` writes `launch.down` (its own pid) before it sends SIGTERM, so the supervisor can tell
/// a requested stop (exit 0) from a signal sent by someone else (exit 143).
public enum RunControl {
    /// `launch.down`: present while a `kp-launch down` is stopping the run.
    public static func downMarker(_ files: RunFiles) -> String { files.runDir + "/launch.down" }

    /// Writes `launch.pid` with this process's pid.
    static func writePid(_ files: RunFiles) throws {
        do {
            try FileOutput.writeAtomically("\(getpid())\n", to: files.pidFile)
        } catch {
            throw LaunchError.badInput("\(error); check that the run directory is writable")
        }
    }

    /// The pid in `launch.pid`, if the file exists and holds a number.
    public static func readPid(_ files: RunFiles) -> Int32? {
        guard let text = try? String(contentsOfFile: files.pidFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True when `pid` is a live (not zombie) kp-launch process.
    public static func isLiveLauncher(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        if processState(pid) == "Z" { return false }
        guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        let argv0 = cmdline.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (argv0 as NSString).lastPathComponent.hasPrefix("kp-launch")
    }

    /// The state letter from `/proc/<pid>/stat` (`R`, `S`, `Z`...), nil when the process is gone.
    static func processState(_ pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }

    /// `launch.restart`: a restart request to the supervisor (`kp-launch restart` writes it with its
    /// CLOCK_MONOTONIC ns; `kp-launch up` takes it within 50 ms).
    public static func restartRequest(_ files: RunFiles) -> String { files.runDir + "/launch.restart" }
    /// `launch.restarted`: the supervisor's answer, one record line (`restart`, or `error` when it
    /// refused and did nothing).
    public static func restartAnswer(_ files: RunFiles) -> String { files.runDir + "/launch.restarted" }

    /// Takes a pending restart request: its time (CLOCK_MONOTONIC ns), the file removed.
    static func takeRestartRequest(_ files: RunFiles) -> Int64? {
        let path = restartRequest(files)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        unlink(path)
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? MonotonicClock.now()
    }

    /// Asks the kp-launch up of `runDir` to restart its target keeping its storage, and waits up to
    /// `timeout` for its answer: the `restart` record (outcome ok or failed), or an `error` record when
    /// it refused (url mode).
    ///
    /// - Throws: ``LaunchError``: exit 2 when no run is up there, exit 1 when no answer came in time or
    ///   the supervisor ended first.
    public static func restart(runDir: String, timeout: Duration, logger: Logger) async throws -> Record {
        let files = RunFiles(runDir: runDir)
        guard FileManager.default.fileExists(atPath: files.runDir) else {
            throw LaunchError.badInput(
                "--run-dir \(runDir) does not exist: give the run directory that kp-launch up used")
        }
        guard let pid = readPid(files), isLiveLauncher(pid) else {
            throw LaunchError.badInput(
                "no run is up in \(runDir) (no live kp-launch in launch.pid): start one with kp-launch up --run-dir \(runDir)"
            )
        }
        let answer = restartAnswer(files)
        unlink(answer)
        do {
            try FileOutput.writeAtomically("\(MonotonicClock.now())\n", to: restartRequest(files))
        } catch {
            throw LaunchError.failure("cannot write \(restartRequest(files)): \(error)")
        }
        logger.info("asked kp-launch (pid \(pid)) to restart the target; waiting up to \(formatSeconds(timeout))")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: answer), data.last == 0x0A {
                unlink(answer)
                return try RecordCodec.decode(data.dropLast(), location: answer)
            }
            if !isLiveLauncher(pid) {
                unlink(restartRequest(files))
                throw LaunchError.failure(
                    "kp-launch (pid \(pid)) ended before it answered the restart; see \(files.logsDir)/kp-launch.log")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        unlink(restartRequest(files))
        throw LaunchError.failure(
            "kp-launch (pid \(pid)) did not answer the restart within \(formatSeconds(timeout)); see \(files.logsDir)")
    }

    /// Stops the run supervised from `runDir`: SIGTERM to the kp-launch in `launch.pid`, then waits
    /// up to `timeout` for it to exit (it stops its target and etcd first).
    ///
    /// - Throws: ``LaunchError``: exit 2 when no run is up there, exit 1 when it does not stop in time.
    public static func down(runDir: String, timeout: Duration, logger: Logger) async throws {
        let files = RunFiles(runDir: runDir)
        guard FileManager.default.fileExists(atPath: files.runDir) else {
            throw LaunchError.badInput(
                "--run-dir \(runDir) does not exist: give the run directory that kp-launch up used")
        }
        guard let pid = readPid(files) else {
            throw LaunchError.badInput("no run is up in \(runDir) (no launch.pid): nothing to stop")
        }
        guard isLiveLauncher(pid) else {
            unlink(files.pidFile)
            throw LaunchError.badInput(
                "no run is up in \(runDir): launch.pid names pid \(pid), which is not a running kp-launch (stale file removed)"
            )
        }
        try? FileOutput.writeAtomically("\(getpid())\n", to: downMarker(files))
        guard kill(pid, SIGTERM) == 0 else {
            unlink(downMarker(files))
            throw LaunchError.failure(
                "cannot signal kp-launch (pid \(pid)): \(String(cString: strerror(errno))); are you the user that started it?"
            )
        }
        logger.info(
            "sent SIGTERM to kp-launch (pid \(pid)); waiting up to \(formatSeconds(timeout)) for it to stop the run")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isLiveLauncher(pid) {
                logger.info("run in \(runDir) stopped")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LaunchError.failure(
            "kp-launch (pid \(pid)) did not stop within \(formatSeconds(timeout)); see \(files.logsDir), or kill -9 \(pid) and its target"
        )
    }
}
