import Foundation
import KPRecords

/// The kp-bench build a run is made with: the commit of the checkout the tools were built in and
/// whether it had uncommitted changes, and the build configuration.
///
/// The checkout is found by walking up from the tool's own executable (`/proc/self/exe`: the tools
/// run from `<checkout>/.build/<config>/`) to a folder with `.git`; git answers once per run
/// (`rev-parse HEAD`, `status --porcelain --untracked-files=no`). Without a checkout or git,
/// `KP_BENCH_COMMIT` (set by an image build, say) gives the commit and dirtiness stays unknown.
public enum HarnessFacts {
    /// The build of the running tool; `configuration` is the caller's (`#if DEBUG`: each executable
    /// is compiled with the package's configuration).
    public static func current(
        configuration: String, executable: String = "/proc/self/exe",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> HarnessBuild {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: executable)) ?? executable
        if let root = checkout(containing: exe), let commit = git(root, ["rev-parse", "HEAD"]) {
            let status = git(root, ["status", "--porcelain", "--untracked-files=no"])
            return HarnessBuild(commit: commit, dirty: status.map { !$0.isEmpty }, build: configuration)
        }
        let env = environment["KP_BENCH_COMMIT"].flatMap { $0.isEmpty ? nil : $0 }
        return HarnessBuild(commit: env, dirty: nil, build: configuration)
    }

    /// The nearest folder at or above `path`'s folder holding `.git`, nil when none does.
    static func checkout(containing path: String) -> String? {
        var dir = (path as NSString).deletingLastPathComponent
        while !dir.isEmpty && dir != "/" {
            if FileManager.default.fileExists(atPath: dir + "/.git") { return dir }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// git's trimmed stdout for `args` in `dir`, nil when git is missing or fails.
    static func git(_ dir: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
