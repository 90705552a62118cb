import Foundation
import KPCore
import Logging

/// The supervisor's pid file (`launch.pid`) and `kp-launch down`.
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
