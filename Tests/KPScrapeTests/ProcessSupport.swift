import Foundation
import KPTestSupport

/// Helpers for tests that run real processes: free loopback ports, binaries, the built tools.
enum ProcessSupport {
    /// The full path of `name` on PATH, if any.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A product built next to the test bundle (e.g. `kp-scrape`); `swift test` builds every product first.
    static func builtTool(_ name: String) throws -> String { try BuiltTools.path(name) }

    /// Runs a process to its end; returns (exit status, stdout, stderr).
    static func run(_ path: String, _ args: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try BuiltTools.run(path, args)
    }
}
