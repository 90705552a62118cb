import Foundation
import KPTestSupport

/// Helpers for tests that run real processes: free loopback ports, binaries, the built tools.
enum ProcessSupport {
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw POSIXError(.EINVAL) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

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

struct ToolMissing: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A throw-away etcd on free loopback ports with a temp data dir and pprof on; stopped and removed on deinit.
final class EtcdProcess {
    let clientURL: String
    private let process = Process()
    private let dir: TempDir

    init() throws {
        guard let etcd = ProcessSupport.which("etcd") else {
            throw ToolMissing(
                "etcd is not installed: apt-get install etcd-server (Debian package etcd-server provides /usr/bin/etcd)"
            )
        }
        dir = try TempDir()
        let client = try ProcessSupport.freePort()
        var peer = try ProcessSupport.freePort()
        while peer == client { peer = try ProcessSupport.freePort() }
        clientURL = "http://127.0.0.1:\(client)"
        let peerURL = "http://127.0.0.1:\(peer)"
        process.executableURL = URL(fileURLWithPath: etcd)
        process.arguments = [
            "--name", "kpscrape", "--data-dir", dir.path + "/data",
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "kpscrape=\(peerURL)", "--enable-pprof",
        ]
        let log =
            FileHandle(forWritingAtPath: dir.path + "/etcd.log")
            ?? {
                FileManager.default.createFile(atPath: dir.path + "/etcd.log", contents: nil)
                return FileHandle(forWritingAtPath: dir.path + "/etcd.log")!
            }()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !ProcessSupport.accepts(port: client) {
            if !process.isRunning || Date() > deadline {
                let text = (try? String(contentsOfFile: dir.path + "/etcd.log", encoding: .utf8)) ?? ""
                stop()
                throw ToolMissing("etcd did not start listening on \(clientURL): \(text.suffix(400))")
            }
            usleep(50_000)
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
