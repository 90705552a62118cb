import Foundation
import KPCore
import Logging

/// Builds the apiserver from a source checkout (`--apiserver-dir`), as the smoke tests do:
/// `go build -o D/.kp-bench/apiserver ./cmd/apiserver`.
///
/// The build runs on first use and again whenever `git -C D rev-parse HEAD` differs from the
/// commit recorded in `D/.kp-bench/apiserver.stamp`; a checkout that is not a git repository (or
/// has no git) is rebuilt every time (Go's build cache keeps that cheap). Uncommitted edits do not
/// change HEAD: delete the stamp to force a rebuild.
public enum ApiserverBuild {
    /// The binary built for checkout `dir`.
    public static func binaryPath(dir: String) -> String { dir + "/.kp-bench/apiserver" }
    /// The file recording the commit the binary was built from.
    public static func stampPath(dir: String) -> String { dir + "/.kp-bench/apiserver.stamp" }

    /// Returns the path of an up-to-date binary for `dir`, building it if needed.
    ///
    /// - Parameters:
    ///   - dir: the checkout (absolute or relative to the working directory).
    ///   - buildLog: file receiving `go build`'s output.
    ///   - goBinary: the `go` command; nil searches PATH.
    /// - Returns: the binary's path, whether it was (re)built now, and the commit it was built from
    ///   (nil without git).
    /// - Throws: ``LaunchError``: exit 2 for a bad directory, 14 when `go` is missing, 1 when the build fails.
    public static func ensureBinary(dir rawDir: String, buildLog: String, goBinary: String? = nil, logger: Logger)
        async throws
        -> (path: String, built: Bool, commit: String?)
    {
        let dir = URL(fileURLWithPath: rawDir).standardizedFileURL.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw LaunchError.badInput(
                "--apiserver-dir/APISERVER_DIR \(rawDir) is not a directory: give the path of a kplane-dev/apiserver checkout"
            )
        }
        guard FileManager.default.fileExists(atPath: dir + "/cmd/apiserver", isDirectory: &isDir), isDir.boolValue
        else {
            throw LaunchError.badInput(
                "--apiserver-dir/APISERVER_DIR \(rawDir) has no cmd/apiserver: give the root of a kplane-dev/apiserver checkout"
            )
        }
        guard let go = goBinary ?? ChildProcess.findInPath("go") else {
            throw LaunchError.missingTool(
                "go is not on PATH, and --apiserver-dir needs it to build \(rawDir): install Go (apt-get install golang-go, or go.dev/dl for the version in go.mod), or pass a prebuilt --apiserver-bin"
            )
        }
        let head = await gitHead(dir: dir)
        let binary = binaryPath(dir: dir)
        let stamp = stampPath(dir: dir)
        if let head, FileManager.default.isExecutableFile(atPath: binary),
            (try? String(contentsOfFile: stamp, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                == head
        {
            logger.info("using \(binary), built from \(head.prefix(12)) (HEAD unchanged)")
            return (binary, false, head)
        }
        try RunSecrets.makeDirectory(dir + "/.kp-bench", mode: 0o755)
        unlink(stamp)
        logger.info(
            "building \(binary) from \(head.map { String($0.prefix(12)) } ?? "a checkout without git") (go build ./cmd/apiserver; output in \(buildLog))"
        )
        let started = ContinuousClock.now
        let result = try await ChildProcess.run(
            go, ["build", "-o", binary, "./cmd/apiserver"], directory: dir, stderr: .append(buildLog))
        guard result.termination.isSuccess else {
            let lastLine =
                (try? String(contentsOfFile: buildLog, encoding: .utf8))?
                .split(separator: "\n").last.map(String.init) ?? ""
            throw LaunchError.failure(
                "go build ./cmd/apiserver in \(rawDir) \(result.termination)\(lastLine.isEmpty ? "" : ": \(lastLine)"); full output in \(buildLog)"
            )
        }
        if let head {
            try? FileOutput.writeAtomically(head + "\n", to: stamp)
        }
        logger.info("built \(binary) in \(formatSeconds(ContinuousClock.now - started))")
        return (binary, true, head)
    }

    /// `git -C dir rev-parse HEAD`, or nil without git or outside a repository.
    static func gitHead(dir: String) async -> String? {
        guard let git = ChildProcess.findInPath("git"),
            let result = try? await ChildProcess.run(git, ["-C", dir, "rev-parse", "HEAD"]),
            result.termination.isSuccess
        else { return nil }
        let head = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return head.isEmpty ? nil : head
    }
}

/// `1.25s` style text for logs and messages.
func formatSeconds(_ d: Duration) -> String {
    let c = d.components
    let seconds = Double(c.seconds) + Double(c.attoseconds) / 1e18
    if seconds == seconds.rounded() { return "\(Int(seconds))s" }
    return String(format: "%.2fs", seconds)
}
