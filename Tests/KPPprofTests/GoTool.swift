import Foundation
import Testing

/// Runs `go tool pprof` as the reference implementation the KPPprof reader and builder are checked against.
///
/// The tests need Debian's `golang-go` (CI's `.ci/run` installs it). When `go` is missing the test
/// fails with the package name instead of silently skipping, so a green run always means "checked".
enum GoTool {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "`go` not found on PATH: install Debian's golang-go (apt-get install golang-go)" }
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func goPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/lib/go/bin", "/usr/bin"] {
            let candidate = "\(dir)/go"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Missing()
    }

    /// `go tool pprof <args> <file>`, returning stdout.
    static func pprof(_ args: [String], data: Data) throws -> String {
        let go = try self.goPath()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kppprof-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("profile.pb.gz")
        try data.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: go)
        process.arguments = ["tool", "pprof"] + args + [file.path]
        var env = ProcessInfo.processInfo.environment
        // pprof writes ~/pprof and go wants a cache directory: keep both inside the temp dir.
        env["HOME"] = dir.path
        env["GOCACHE"] = dir.appendingPathComponent("gocache").path
        env["PPROF_TMPDIR"] = dir.path
        process.environment = env
        // stderr goes to a file so that neither pipe can fill up and block the child.
        let errFile = dir.appendingPathComponent("stderr.txt")
        guard FileManager.default.createFile(atPath: errFile.path, contents: nil) else {
            throw Failed(description: "cannot create \(errFile.path)")
        }
        let errHandle = try FileHandle(forWritingTo: errFile)
        defer { try? errHandle.close() }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            throw Failed(description: "go tool pprof \(args) exited \(process.terminationStatus): \(stderr)")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// Parses the `flat flat% sum% cum cum% name` rows of `go tool pprof -top -raw`/`-top` output
    /// with `-unit=1` style plain numbers (use `-unit=` matching the sample type's unit).
    static func topRows(_ text: String) -> [(flat: Int64, cum: Int64, name: String)] {
        var rows: [(Int64, Int64, String)] = []
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("flat  flat%") {
                inTable = true
                continue
            }
            guard inTable else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let flat = parseNumber(fields[0]), let cum = parseNumber(fields[3]) else {
                continue
            }
            var name = fields[5...].joined(separator: " ")
            // pprof annotates nodes reached through inlined calls; the function is the same.
            for suffix in [" (inline)", " (partial-inline)"] where name.hasSuffix(suffix) {
                name.removeLast(suffix.count)
            }
            rows.append((flat, cum, name))
        }
        return rows
    }

    /// The `Showing nodes accounting for X, Y% of Z total` line's Z.
    static func total(_ text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.contains(" total") && line.contains("of ") {
            guard let ofRange = line.range(of: "of ", options: .backwards) else { continue }
            let rest = line[ofRange.upperBound...].split(separator: " ")
            if let first = rest.first, let value = parseNumber(first) { return value }
        }
        return nil
    }

    private static func parseNumber(_ field: Substring) -> Int64? {
        var text = String(field)
        for suffix in ["B", "ns"] where text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return Int64(text)
    }
}
