import Foundation
import KPLaunch
import Testing

/// Every pre-flight error: the exact one line on stderr, the exit code, and nothing left behind.
@Suite("kp-launch pre-flight errors")
struct PreflightErrorTests {
    /// Runs `kp-launch up --run-dir <tmp>/run args` and returns status, stderr and the run dir.
    func up(_ args: [String], env: [String: String] = [:]) throws -> (LaunchHarness.Result, String) {
        let dir = try LaunchHarness.tempDir("pre")
        let result = try LaunchHarness.run(
            LaunchHarness.kpLaunch, ["up", "--run-dir", dir + "/run"] + args, env: env, timeout: 30)
        return (result, dir)
    }

    /// Checks status and the exact single stderr line, that no secret or pid file remains, and removes the dir.
    func expectError(
        _ args: [String], env: [String: String] = [:], status: Int32, line: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let (result, dir) = try up(args, env: env)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(result.status == status, "exit status for \(args)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n").map(String.init).filter { !$0.contains(" info kp-launch:") }
        #expect(lines == ["kp-launch: error: " + line], sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty || result.stdout.contains("\"kind\":\"error\""), sourceLocation: sourceLocation)
        for file in ["target/token", "target/tokens.csv", "target/sa.key", "launch.pid"] {
            #expect(
                !FileManager.default.fileExists(atPath: dir + "/run/" + file), "\(file) left behind",
                sourceLocation: sourceLocation)
        }
    }

    @Test("a taken --port names its holder: exit 2")
    func portTaken() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        // ss names this test process; its name is the test binary's (truncated to 15 characters by the kernel).
        let name = String((LaunchHarness.read("/proc/self/comm")).trimmingCharacters(in: .whitespacesAndNewlines))
        try expectError(
            ["--sim", "--port", "\(port)"], status: 2,
            line:
                "port \(port) (--port) is already in use by \(name) (pid \(getpid())): stop that process or pick another port with --port"
        )
    }

    @Test("an unreachable etcd: exit 13")
    func etcdUnreachable() throws {
        let port = try PortProbe.freeLoopbackPort()
        try expectError(
            ["--apiserver-bin", LaunchHarness.kpSim, "--etcd-endpoints", "http://127.0.0.1:\(port)"], status: 13,
            line:
                "etcd at http://127.0.0.1:\(port) is unreachable (connection refused): start etcd there, or point --etcd-endpoints/ETCD_ENDPOINTS at a running etcd"
        )
    }

    @Test("a missing or non-executable binary: exit 2")
    func binaryMissing() throws {
        try expectError(
            ["--apiserver-bin", "/nonexistent/apiserver"], status: 2,
            line:
                "--apiserver-bin/APISERVER_BIN /nonexistent/apiserver does not exist: check the path, or build it (go build -o bin/apiserver ./cmd/apiserver)"
        )
        let dir = try LaunchHarness.tempDir("noexec")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(
            atPath: dir + "/apiserver", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        try expectError(
            ["--apiserver-bin", dir + "/apiserver"], env: ["APISERVER_BIN": ""], status: 2,
            line:
                "--apiserver-bin/APISERVER_BIN \(dir)/apiserver is not an executable file: chmod +x it, or check the path, or build it (go build -o bin/apiserver ./cmd/apiserver)"
        )
        try expectError(
            ["--sim", "--sim-bin", dir + "/nope"], status: 2,
            line: "--sim-bin \(dir)/nope does not exist: check the path")
    }

    @Test("conflicting modes: exit 2, never a silent fallback")
    func conflictingModes() throws {
        try expectError(
            ["--apiserver-bin", "/bin/true", "--apiserver-url", "https://127.0.0.1:6443"], status: 2,
            line:
                "--apiserver-bin/APISERVER_BIN and --apiserver-url/APISERVER_URL select different modes: give one target (unset the other flag or environment variable)"
        )
        try expectError(
            ["--sim"], env: ["APISERVER_URL": "https://127.0.0.1:6443"], status: 2,
            line: "--mode sim conflicts with --apiserver-url/APISERVER_URL, which selects url mode: drop one of them")
        try expectError(
            ["--sim", "--mode", "local"], status: 2,
            line: "--sim and --mode local exclude each other: drop one (see kp-launch --help)")
        try expectError(
            ["--apiserver-bin", "/bin/true", "--apiserver-dir", "/tmp"], status: 2,
            line:
                "--apiserver-bin/APISERVER_BIN and --apiserver-dir/APISERVER_DIR exclude each other: give the binary or the checkout"
        )
        try expectError(
            ["--sim", "--etcd-bin", "/usr/bin/etcd"], status: 2,
            line: "--etcd-bin cannot be used in sim mode: drop it, or choose the mode it belongs to")
    }

    @Test("an unreadable token file, and url mode without CA: exit 2")
    func unreadableTokenFile() throws {
        try expectError(
            [
                "--apiserver-url", "https://127.0.0.1:6443", "--token-file", "/nonexistent/token",
                "--insecure-skip-tls-verify",
            ],
            status: 2,
            line:
                "--token-file/TOKEN_FILE /nonexistent/token is not a readable file: check the path and its permissions")
        try expectError(
            ["--apiserver-url", "https://127.0.0.1:6443", "--token-file", "/etc/hostname"], status: 2,
            line:
                "url mode needs --ca-file/CA_FILE (the PEM bundle that verifies https://127.0.0.1:6443) or, explicitly, --insecure-skip-tls-verify"
        )
        try expectError(
            ["--kubeconfig", "/nonexistent/kubeconfig"], status: 2,
            line: "--kubeconfig /nonexistent/kubeconfig is not readable: check the path and its permissions")
    }

    @Test("local mode without etcd anywhere: exit 14; --apiserver-dir without go: exit 14")
    func missingTools() throws {
        try expectError(
            ["--apiserver-bin", LaunchHarness.kpSim], env: ["PATH": "/nonexistent"], status: 14,
            line:
                "local mode needs etcd: set ETCD_ENDPOINTS/--etcd-endpoints to a running etcd, or install etcd so kp-launch can start a throw-away one (apt-get install etcd-server)"
        )
        let checkout = try LaunchHarness.tempDir("checkout")
        defer { try? FileManager.default.removeItem(atPath: checkout) }
        try FileManager.default.createDirectory(atPath: checkout + "/cmd/apiserver", withIntermediateDirectories: true)
        try expectError(
            ["--apiserver-dir", checkout], env: ["PATH": "/nonexistent"], status: 14,
            line:
                "go is not on PATH, and --apiserver-dir needs it to build \(checkout): install Go (apt-get install golang-go, or go.dev/dl for the version in go.mod), or pass a prebuilt --apiserver-bin"
        )
        try expectError(
            ["--apiserver-dir", "/nonexistent/checkout"], status: 2,
            line:
                "--apiserver-dir/APISERVER_DIR /nonexistent/checkout is not a directory: give the path of a kplane-dev/apiserver checkout"
        )
    }

    @Test("a target that exits during start-up: exit 10 with its status")
    func targetExitsBeforeReady() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let dir = try LaunchHarness.tempDir("early")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/apiserver"
        try "#!/bin/sh\necho 'E1129 bind: address already in use' >&2\nexit 3\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let result = try LaunchHarness.run(
            LaunchHarness.kpLaunch, ["up", "--run-dir", dir + "/run2", "--sim", "--sim-bin", script], timeout: 30)
        #expect(result.status == 10, "\(result.stderr)")
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.hasPrefix("kp-launch: error: the target failed before it was ready: kp-sim (pid "))
        #expect(
            line.hasSuffix(
                ") exited with status 3 (last stderr line: E1129 bind: address already in use); see \(dir)/run2/logs/target.stderr.log"
            ))
        #expect(LaunchHarness.read(dir + "/run2/logs/target.stderr.log").contains("address already in use"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/run2/target/token"))
    }

    @Test("down with no run up: exit 2")
    func downWithoutRun() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let dir = try LaunchHarness.tempDir("down")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try LaunchHarness.run(LaunchHarness.kpLaunch, ["down", "--run-dir", dir])
        #expect(result.status == 2)
        #expect(result.stderr == "kp-launch: error: no run is up in \(dir) (no launch.pid): nothing to stop\n")
        try "999999\n".write(toFile: dir + "/launch.pid", atomically: true, encoding: .utf8)
        let stale = try LaunchHarness.run(LaunchHarness.kpLaunch, ["down", "--run-dir", dir])
        #expect(stale.status == 2)
        #expect(
            stale.stderr.contains("launch.pid names pid 999999, which is not a running kp-launch (stale file removed)"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/launch.pid"))
    }

    @Test("--help explains modes and shows examples")
    func help() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let result = try LaunchHarness.run(LaunchHarness.kpLaunch, ["up", "--help"])
        #expect(result.status == 0)
        for needle in [
            "--apiserver-bin", "--apiserver-url", "--sim-arg", "--etcd-endpoints", "Examples:",
            "docker (the seed's default)",
        ] {
            #expect(result.stdout.contains(needle), "help lacks \(needle)")
        }
    }
}
