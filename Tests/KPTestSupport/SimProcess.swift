import Foundation

/// Runs the built kp-sim on a free loopback port (`--secure-port=0` + `--sim-port-file`) with a token
/// CSV and a self-signed certificate in a temp dir; stops it and removes the dir on deinit.
public final class SimProcess {
    public let url: String
    public let tokenFile: String
    public let caFile: String
    public let dir: String
    private let process = Process()

    /// `prefix` names the temp dir (which test made it).
    public init(prefix: String = "kptest", extraArgs: [String] = []) throws {
        dir = NSTemporaryDirectory() + prefix + "-sim-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        tokenFile = dir + "/token"
        try "smoketoken".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try "smoketoken,admin,admin,\"system:masters\"\n".write(toFile: dir + "/tokens.csv", atomically: true, encoding: .utf8)
        caFile = dir + "/certs/apiserver.crt"
        process.executableURL = URL(fileURLWithPath: try BuiltTools.path("kp-sim"))
        process.arguments = [
            "--secure-port=0", "--bind-address=127.0.0.1", "--cert-dir=\(dir)/certs", "--token-auth-file=\(dir)/tokens.csv",
            "--authorization-mode=RBAC", "--sim-port-file=\(dir)/port",
        ] + extraArgs
        FileManager.default.createFile(atPath: dir + "/sim.log", contents: nil)
        let log = FileHandle(forWritingAtPath: dir + "/sim.log")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var port: Int?
        while port == nil {
            if let text = try? String(contentsOfFile: dir + "/port", encoding: .utf8),
                let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0
            {
                port = p
            } else if !process.isRunning || Date() > deadline {
                let logText = (try? String(contentsOfFile: dir + "/sim.log", encoding: .utf8)) ?? ""
                if process.isRunning {
                    process.terminate()
                    process.waitUntilExit()
                }
                try? FileManager.default.removeItem(atPath: dir)
                throw BuiltTools.Missing("kp-sim did not report its port: \(logText.suffix(500))")
            } else {
                usleep(50_000)
            }
        }
        url = "https://127.0.0.1:\(port!)"
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// The products `swift test` built next to the test bundle.
public enum BuiltTools {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    public static func path(_ name: String) throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let candidates = [dir + "/" + name, URL(fileURLWithPath: dir).deletingLastPathComponent().path + "/" + name]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Missing("\(name) is not built next to the tests (looked in \(dir)): run `swift build --product \(name)` with the same --scratch-path first")
        }
        return found
    }

    /// Runs a tool to its end: (exit status, stdout, stderr).
    public static func run(_ path: String, _ args: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, o, String(decoding: e, as: UTF8.self))
    }
}
