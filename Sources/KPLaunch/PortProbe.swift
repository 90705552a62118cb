import Foundation

/// Loopback TCP port helpers: pick a free port, and find out who holds a taken one.
public enum PortProbe {
    /// A port that is free on 127.0.0.1 right now (the kernel's pick for port 0).
    ///
    /// Another process could take it before the target binds it; the readiness wait then fails
    /// with the target's own bind error in its log.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw LaunchError.failure("cannot create a socket to find a free port: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var addr = loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            throw LaunchError.failure(
                "cannot bind 127.0.0.1:0 to find a free port: \(String(cString: strerror(errno)))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True when a listener could bind `127.0.0.1:port` now.
    ///
    /// Binding (with `SO_REUSEADDR`, as servers do) rather than connecting also catches a listener
    /// on `0.0.0.0`, and ignores connections lingering in TIME_WAIT.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// The process listening on `port`, as `name (pid N)`, from `ss -ltnpH`; nil when unknown
    /// (ss missing, or the listener belongs to another user and we are not root).
    public static func holder(of port: Int) async -> String? {
        guard let ss = ChildProcess.findInPath("ss"),
            let result = try? await ChildProcess.run(ss, ["-ltnpH", "sport = :\(port)"]),
            result.termination.isSuccess
        else { return nil }
        return parseHolder(ssOutput: result.stdout)
    }

    /// Extracts `name (pid N)` from `ss -ltnp` output such as `users:(("etcd",pid=42,fd=7))`.
    public static func parseHolder(ssOutput: String) -> String? {
        guard let users = ssOutput.range(of: "users:((\"") else { return nil }
        let rest = ssOutput[users.upperBound...]
        guard let nameEnd = rest.firstIndex(of: "\"") else { return nil }
        let name = rest[..<nameEnd]
        guard let pidStart = rest.range(of: "pid=") else { return String(name) }
        let digits = rest[pidStart.upperBound...].prefix(while: \.isNumber)
        return digits.isEmpty ? String(name) : "\(name) (pid \(digits))"
    }

    /// Throws a one-line error (exit 2) naming the holder when `port` is taken.
    public static func requireFree(_ port: Int, flag: String) async throws {
        guard (1...65535).contains(port) else {
            throw LaunchError.badInput(
                "\(flag) \(port) is not a TCP port: give 1-65535, or omit it to pick a free port")
        }
        if isFree(port) { return }
        let who = await holder(of: port).map { " by \($0)" } ?? ""
        throw LaunchError.badInput(
            "port \(port) (\(flag)) is already in use\(who): stop that process or pick another port with --port")
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}
