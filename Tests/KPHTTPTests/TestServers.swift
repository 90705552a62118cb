import Foundation
import Testing

/// Real servers on 127.0.0.1 for the KPHTTP tests: each test starts what it needs and stops it
/// (processes terminated, temp dirs removed) before it returns.
enum TestServers {
    struct MissingTool: Error, CustomStringConvertible {
        var tool: String
        var package: String
        var description: String { "\(tool) not found on PATH: install it with `apt-get install \(package)`" }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The absolute path of `tool` on PATH, or a ``MissingTool`` naming the Debian package.
    static func tool(_ tool: String, package: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw MissingTool(tool: tool, package: package)
    }

    /// A temp dir removed at `cleanup()`.
    final class TempDir: Sendable {
        let path: String
        init() throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("kphttp-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            path = base.path
        }
        func file(_ name: String) -> String { "\(path)/\(name)" }
        func write(_ name: String, _ content: String) throws -> String {
            let p = file(name)
            try content.write(toFile: p, atomically: true, encoding: .utf8)
            return p
        }
        func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A self-signed certificate (it is its own CA) made by `openssl req -x509`, for IP 127.0.0.1
    /// unless `subjectAltName` names something else.
    struct Certificate {
        var certPath: String
        var keyPath: String
    }

    static func makeCertificate(in dir: TempDir, name: String, subjectAltName: String = "IP:127.0.0.1") throws
        -> Certificate
    {
        let openssl = try tool("openssl", package: "openssl")
        let cert = dir.file("\(name)-cert.pem")
        let key = dir.file("\(name)-key.pem")
        let (status, output) = try run(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=\(subjectAltName)",
            ])
        if status != 0 { throw StartFailure(description: "openssl req failed: \(output)") }
        return Certificate(certPath: cert, keyPath: key)
    }

    /// Runs a command to completion; returns its exit status and combined output.
    static func run(_ path: String, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A loopback TCP port that was free a moment ago (bound to port 0, then closed).
    static func freePort() throws -> Int {
        let listener = try Listener()
        let port = listener.port
        listener.close()
        return port
    }

    /// A bound, listening TCP socket on 127.0.0.1 that never accepts: the kernel completes the
    /// handshake, and nothing ever answers. `close()` ends it.
    final class Listener: @unchecked Sendable {
        let fd: Int32
        let port: Int
        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw StartFailure(description: "socket: errno \(errno)") }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = 0
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0, listen(fd, 16) == 0 else {
                Glibc.close(fd)
                throw StartFailure(description: "bind/listen: errno \(errno)")
            }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            guard named == 0 else {
                Glibc.close(fd)
                throw StartFailure(description: "getsockname: errno \(errno)")
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: addr.sin_port))
        }
        func close() { Glibc.close(fd) }
    }

    /// True once something accepts TCP connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }

    /// A server process started by a test; `stop()` terminates it and waits for it.
    final class ServerProcess: @unchecked Sendable {
        let process: Process
        let port: Int
        init(process: Process, port: Int) {
            self.process = process
            self.port = port
        }
        /// SIGKILL, not SIGTERM: children of the test runner inherit its blocked-signal mask, in which
        /// SIGTERM is blocked, so `terminate()` would never end them.
        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
    }

    /// nghttpd serving `docroot` over TLS (HTTP/2 only) on a free loopback port.
    static func startNghttpd(docroot: String, certificate: Certificate, extraArgs: [String] = []) throws
        -> ServerProcess
    {
        let nghttpd = try tool("nghttpd", package: "nghttp2-server")
        for _ in 0..<5 {
            let port = try freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: nghttpd)
            p.arguments =
                ["--address=127.0.0.1", "-d", docroot] + extraArgs + [
                    String(port), certificate.keyPath, certificate.certPath,
                ]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline && p.isRunning {
                if canConnect(port: port) { return ServerProcess(process: p, port: port) }
                usleep(10_000)
            }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()  // the port was taken meanwhile, or nghttpd failed: try another port
        }
        throw StartFailure(description: "nghttpd did not start listening on 127.0.0.1")
    }

    /// The Python HTTP/1.1-over-TLS test server (`python3 server.py CERT KEY`): it binds port 0 and
    /// prints the port. Paths: `/echo` (JSON of method, path, Authorization, X-Test, body length),
    /// `/status/404` (a Kubernetes Status body), `/hang` (never answers), `/partial` (promises
    /// 100000 bytes, sends 100, closes), `/rst` (sends headers, then resets the connection).
    static func startPythonTLSServer(certificate: Certificate, in dir: TempDir) throws -> ServerProcess {
        let python = try tool("python3", package: "python3")
        let script = try dir.write("server.py", pythonServerScript)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, certificate.certPath, certificate.keyPath]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let server = ServerProcess(process: p, port: 0)
        var line = Data()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
            if line.contains(UInt8(ascii: "\n")) { break }
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(text) else {
            server.stop()
            throw StartFailure(description: "python TLS server did not print its port (got '\(text)')")
        }
        return ServerProcess(process: p, port: port)
    }

    static let pythonServerScript = #"""
        import http.server, json, socket, ssl, struct, sys, threading, time

        cert, key = sys.argv[1], sys.argv[2]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def reply(self, status, body, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Repeated", "a")
                self.send_header("X-Repeated", "b")
                self.end_headers()
                self.wfile.write(body)
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.startswith("/echo"):
                    self.reply(200, json.dumps({
                        "method": self.command, "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "x_test": self.headers.get("X-Test"),
                        "body": body.decode("utf-8", "replace"),
                    }).encode())
                elif self.path == "/status/404":
                    self.reply(404, json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                        "reason": "NotFound", "message": "things \"x\" not found", "code": 404}).encode())
                elif self.path == "/hang":
                    time.sleep(60)
                elif self.path == "/partial":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"x" * 100)
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif self.path == "/rst":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                    time.sleep(0.05)
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                else:
                    self.reply(404, b"no such path", "text/plain")
            do_GET = handle_any
            do_POST = handle_any
            do_PUT = handle_any
            do_DELETE = handle_any
            do_PATCH = handle_any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            def finish_request(self, request, client_address):
                # TLS handshake in the connection's own thread, so a silent client cannot block accept().
                try:
                    tls = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self.RequestHandlerClass(tls, client_address, self)

        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
