import Foundation
import KPLaunch
import KPTestSupport
import Testing

/// kp-launch's docker mode end to end, run as a user runs it, against the fake `docker` in
/// Fixtures/fake-docker (these machines have no engine, no registry and no compose v2).
///
/// The fake's `compose up` starts kp-sim on 127.0.0.1 at the port kp-launch passes, with the token
/// file and SA key the compose environment names, so the readiness wait, the certificate copy and
/// TLS verification all run for real; every docker call is logged, so the tests can check the exact
/// command sequence, the environment, and that `compose down -v` follows on every exit path.
@Suite(.serialized) struct DockerModeRunTests {
    /// One test's sandbox: run dir, fake docker on PATH, the fake's state, free ports.
    final class Sandbox {
        let root: String
        let fakeBin: String
        let state: String
        let log: String
        let apiPort: Int
        let etcdPort: Int
        var env: [String: String]
        var process: Process?
        let stdoutPath: String
        let stderrPath: String

        init(name: String = "bootstrap-200", pathOnlyFake: Bool = false) throws {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "kpbench-docker-\(UUID().uuidString.prefix(8))"
                ).path
            fakeBin = root + "/bin"
            state = root + "/engine"
            log = root + "/docker.log"
            stdoutPath = root + "/kp-launch.stdout"
            stderrPath = root + "/kp-launch.stderr"
            try FileManager.default.createDirectory(atPath: fakeBin, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: fakeBin + "/docker", withDestinationPath: Tools.fakeDocker)
            apiPort = try PortProbe.freeLoopbackPort()
            var e = try PortProbe.freeLoopbackPort()
            while e == apiPort { e = try PortProbe.freeLoopbackPort() }
            etcdPort = e
            runName = name
            var base = ProcessInfo.processInfo.environment
            for key in [
                "APISERVER_BIN", "APISERVER_DIR", "APISERVER_URL", "APISERVER_IMAGE", "ETCD_ENDPOINTS", "COMPOSE_FILE",
                "TOKEN_FILE", "CA_FILE", "KUBECONFIG", "ETCD_PORT", "COMPOSE_PROJECT_NAME",
            ] {
                base[key] = nil
            }
            base["PATH"] = pathOnlyFake ? fakeBin : fakeBin + ":" + (base["PATH"] ?? "/usr/bin:/bin")
            base["FAKE_DOCKER_LOG"] = log
            base["FAKE_DOCKER_STATE"] = state
            base["FAKE_DOCKER_KPSIM"] = Tools.binDir + "/kp-sim"
            base["ETCD_PORT"] = String(etcdPort)
            env = base
        }

        let runName: String
        var runDir: String { root + "/out/" + runName }

        /// Starts `kp-launch up --run-dir <run> <args>` in the repository root (so the default
        /// docker/docker-compose.yaml is used).
        func startLaunch(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Tools.binDir + "/kp-launch")
            p.arguments = ["up", "--run-dir", runDir] + args
            p.environment = env
            p.currentDirectoryURL = URL(fileURLWithPath: DockerComposeFileTests.repoRoot)
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            p.standardError = FileHandle(forWritingAtPath: stderrPath)
            p.standardInput = FileHandle.nullDevice
            try p.run()
            process = p
        }

        /// Waits for kp-launch to exit; returns its status (-1 after `timeout` seconds, then killed).
        func waitForExit(timeout: Double = 60) -> Int32 {
            guard let p = process else { return -1 }
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                return -1
            }
            return p.terminationStatus
        }

        /// Waits until `path` exists; false after `timeout` seconds or when kp-launch exited.
        func waitForFile(_ path: String, timeout: Double = 60) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if FileManager.default.fileExists(atPath: path) { return true }
                if process?.isRunning == false { return FileManager.default.fileExists(atPath: path) }
                usleep(20_000)
            }
            return false
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

        /// Every docker call's argv, in order.
        var calls: [[String]] { lines("ARGV") }
        /// The compose variables of every compose call (except `compose version`), in order.
        var composeEnvs: [[String: String]] {
            lines("ENV").map {
                Dictionary(
                    uniqueKeysWithValues: $0.map { kv in
                        let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
                        return (parts[0], parts.count > 1 ? parts[1] : "")
                    })
            }
        }

        private func lines(_ tag: String) -> [[String]] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            // Complete lines only: a call whose line is still being written has not been logged yet.
            guard let end = text.lastIndex(of: "\n") else { return [] }
            return text[..<end].split(separator: "\n").compactMap { line in
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                return fields.first == tag ? Array(fields.dropFirst()) : nil
            }
        }

        /// The kp-sim the fake started, if it is still alive.
        var livePodPid: Int32? {
            guard let text = try? String(contentsOfFile: state + "/apiserver.pid", encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0
            else { return nil }
            return pid
        }

        func endpoint() throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: runDir + "/endpoint.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Stops whatever is left (a failed test must not leak kp-launch or kp-sim) and removes the sandbox.
        func cleanUp() {
            if let p = process, p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
            if let pid = livePodPid { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    /// Where the built tools and the fixture live.
    enum Tools {
        static var binDir: String { BuiltTools.binDir }
        static let fakeDocker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/fake-docker"
        ).path

        static func requireBuilt() throws {
            for tool in ["kp-launch", "kp-sim"] {
                try #require(
                    FileManager.default.isExecutableFile(atPath: binDir + "/" + tool),
                    "\(tool) is not built next to the tests: swift build --product \(tool) with the same --scratch-path"
                )
            }
        }
    }

    func compose(_ s: Sandbox, _ args: [String]) -> [String] {
        ["compose", "-f", DockerComposeFileTests.composePath, "-p", "kp-bench"] + args
    }

    /// The calls kp-launch makes before the target is up, with ports free and nothing scripted to fail.
    func startSequence(_ s: Sandbox, pull: String = "always", image: String = "kplanedev/apiserver:latest")
        -> [[String]]
    {
        [
            ["info", "--format", "{{.ServerVersion}}"],
            ["compose", "version"],
            compose(s, ["down", "-v", "--remove-orphans"]),
            compose(s, ["up", "-d", "--pull", pull, "--force-recreate"]),
            ["image", "inspect", image],
            compose(s, ["ps", "--all", "--format", "json"]),
        ]
    }

    func stopSequence(_ s: Sandbox) -> [[String]] {
        [
            compose(s, ["logs", "--no-color", "--timestamps", "apiserver"]),
            compose(s, ["logs", "--no-color", "--timestamps", "etcd"]),
            compose(s, ["down", "-v", "--remove-orphans"]),
        ]
    }

    /// The calls between start and stop: certificate copies and supervision polls only.
    func middleIsPolling(_ s: Sandbox, _ middle: ArraySlice<[String]>) -> Bool {
        let cp = compose(s, ["cp", "apiserver:/tmp/certs/apiserver.crt", s.runDir + "/target/certs-incoming/"])
        let ps = compose(s, ["ps", "--all", "--format", "json"])
        return middle.allSatisfy { $0 == cp || $0 == ps } && middle.contains(cp)
    }

    @Test func fullRunRecordsTheStackAndCleansUpOnDown() throws {
        try Tools.requireBuilt()
        let s = try Sandbox()
        defer { s.cleanUp() }
        try s.startLaunch(["--port", String(s.apiPort)])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "no endpoint.json; stderr: \(s.stderr)")
        let record = try s.endpoint()
        #expect(record["mode"] as? String == "docker")
        // The seed's URL; the apiserver's self-signed certificate names localhost, which TLS is checked against.
        #expect(record["url"] as? String == "https://127.0.0.1:\(s.apiPort)")
        #expect(record["tls_server_name"] as? String == "localhost")
        let kubeconfig = try String(contentsOfFile: s.runDir + "/kubeconfig", encoding: .utf8)
        #expect(kubeconfig.contains("tls-server-name: localhost"))
        #expect(record["image"] as? String == "kplanedev/apiserver:latest")
        #expect((record["image_digest"] as? String)?.hasPrefix("sha256:") == true)
        #expect(record["compose_project"] as? String == "kp-bench")
        #expect(record["container"] as? String == "kp-bench-apiserver-1")
        #expect(record["etcd_endpoints"] as? String == "http://127.0.0.1:\(s.etcdPort)")
        #expect(record["etcd_managed"] as? Bool == true)
        #expect(record["emulator"] as? Bool == true)  // the fake's "container" is kp-sim
        #expect(record["insecure_skip_tls_verify"] as? Bool != true)
        let ca = try #require(record["ca_file"] as? String)
        #expect(ca == s.runDir + "/target/certs/apiserver.crt")
        let pem = try String(contentsOfFile: ca, encoding: .utf8)
        let served = try String(contentsOfFile: s.state + "/apiserver/tmp/certs/apiserver.crt", encoding: .utf8)
        #expect(pem == served)  // copied out of the "container", and TLS verified against it
        let args = try #require(record["target_args"] as? [String])
        #expect(args.first == "/apiserver")
        #expect(args.contains("--secure-port=\(s.apiPort)"))
        #expect(args.contains("--token-auth-file=/kpbench/tokens.csv"))
        let prefix = try #require(record["etcd_prefix"] as? String)
        #expect(prefix.hasPrefix("/registry-kpbench-bootstrap-200-"))
        #expect(args.contains("--etcd-prefix=\(prefix)"))

        // The environment compose gets names the run's files and settings.
        let upEnv = try #require(s.composeEnvs.dropFirst().first)  // [0] is the clean-up down
        #expect(upEnv["APISERVER_IMAGE"] == "kplanedev/apiserver:latest")
        #expect(upEnv["APISERVER_PORT"] == String(s.apiPort))
        #expect(upEnv["ETCD_PORT"] == String(s.etcdPort))
        #expect(upEnv["ETCD_PREFIX"] == prefix)
        #expect(upEnv["KPBENCH_TOKENS_CSV"] == s.runDir + "/target/tokens.csv")
        #expect(upEnv["KPBENCH_SA_KEY"] == s.runDir + "/target/sa.key")
        #expect(upEnv["KPBENCH_UID"] == String(getuid()))
        #expect(upEnv["KPBENCH_GID"] == String(getgid()))

        let down = try ToolProcess.run(Tools.binDir + "/kp-launch", ["down", "--run-dir", s.runDir], env: s.env)
        #expect(down.status == 0, "kp-launch down: \(down.stderr)")
        #expect(s.waitForExit() == 0, "stderr: \(s.stderr)")

        let calls = s.calls
        let start = startSequence(s)
        let stop = stopSequence(s)
        #expect(Array(calls.prefix(start.count)) == start)
        #expect(Array(calls.suffix(stop.count)) == stop)
        #expect(middleIsPolling(s, calls.dropFirst(start.count).dropLast(stop.count)))
        #expect(s.livePodPid == nil, "the fake's down must have stopped kp-sim")
        let apiserverLog = try String(contentsOfFile: s.runDir + "/logs/apiserver.log", encoding: .utf8)
        #expect(apiserverLog.contains("apiserver-1  | "))
        let etcdLog = try String(contentsOfFile: s.runDir + "/logs/etcd.log", encoding: .utf8)
        #expect(etcdLog.contains("etcd-1  | "))
        let composeLog = try String(contentsOfFile: s.runDir + "/logs/compose.log", encoding: .utf8)
        #expect(composeLog.contains("Container kp-bench-apiserver-1  Started"))
        // Secrets are gone, the certificate stays.
        #expect(!FileManager.default.fileExists(atPath: s.runDir + "/target/tokens.csv"))
        #expect(!FileManager.default.fileExists(atPath: s.runDir + "/target/sa.key"))
        #expect(FileManager.default.fileExists(atPath: ca))
    }

    /// `kp-launch restart` in docker mode: `compose restart apiserver`, the same container and URL,
    /// ready again, a `restart` record on kp-launch up's stdout and as the answer, supervision untroubled.
    @Test func restartRestartsTheApiserverContainer() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "restart-2")
        defer { s.cleanUp() }
        try s.startLaunch(["--port", String(s.apiPort)])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "no endpoint.json; stderr: \(s.stderr)")
        let before = try #require(s.livePodPid)
        let restart = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["restart", "--run-dir", s.runDir], env: s.env, timeout: 60)
        #expect(restart.status == 0, "kp-launch restart: \(restart.stderr)")
        let answer = try #require(
            try JSONSerialization.jsonObject(with: Data(restart.stdout.utf8)) as? [String: Any], "\(restart.stdout)")
        #expect(answer["kind"] as? String == "restart")
        #expect(answer["outcome"] as? String == "ok")
        #expect(answer["mode"] as? String == "docker")
        #expect(answer["container"] as? String == "kp-bench-apiserver-1")
        #expect(answer["etcd_prefix"] as? String == (try s.endpoint())["etcd_prefix"] as? String)
        #expect((answer["ready_ns"] as? Int ?? 0) > (answer["started_ns"] as? Int ?? Int.max))
        let after = try #require(s.livePodPid)
        #expect(after != before, "the fake's restart must have started a new kp-sim")
        #expect(s.calls.contains(compose(s, ["restart", "apiserver"])))
        #expect(s.stdout.contains("\"kind\":\"restart\""))
        // Supervision goes on: the run is still up, and stops cleanly.
        #expect(s.process?.isRunning == true, "stderr: \(s.stderr)")
        let down = try ToolProcess.run(Tools.binDir + "/kp-launch", ["down", "--run-dir", s.runDir], env: s.env)
        #expect(down.status == 0, "kp-launch down: \(down.stderr)")
        #expect(s.waitForExit() == 0, "stderr: \(s.stderr)")
        #expect(s.livePodPid == nil)
    }

    @Test func pullPolicyAndImageAreSelectable() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "local-image")
        defer { s.cleanUp() }
        s.env["APISERVER_IMAGE"] = "kplane-dev/apiserver:dev"
        s.env["FAKE_DOCKER_REPO_DIGESTS"] = "none"
        try s.startLaunch(["--port", String(s.apiPort), "--pull", "never", "--mode", "docker"])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "stderr: \(s.stderr)")
        let record = try s.endpoint()
        #expect(record["image"] as? String == "kplane-dev/apiserver:dev")
        // A local image has no registry digest: its image id is recorded.
        let id = try #require(record["image_digest"] as? String)
        #expect(id.hasPrefix("sha256:") && id.count == 71)
        s.process?.interrupt()
        #expect(s.waitForExit() == 130)
        let calls = s.calls
        let start = startSequence(s, pull: "never", image: "kplane-dev/apiserver:dev")
        #expect(Array(calls.prefix(start.count)) == start)
        #expect(s.composeEnvs.allSatisfy { $0["APISERVER_IMAGE"] == "kplane-dev/apiserver:dev" })
        #expect(Array(calls.suffix(3)) == stopSequence(s))

        let bad = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir, "--pull", "sometimes"], env: s.env)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("sometimes"))
    }

    /// The seed's `--apiserver-url` in docker mode: the stack's base URL, whose port is the published
    /// port; the APISERVER_URL variable still means url mode, so with --mode docker it conflicts.
    @Test func apiserverURLIsDockerModesBaseURL() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "docker-url")
        defer { s.cleanUp() }
        let url = "https://127.0.0.1:\(s.apiPort)"

        var withVariable = s.env
        withVariable["APISERVER_URL"] = url
        let conflict = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir, "--mode", "docker"], env: withVariable)
        #expect(conflict.status == 2, "\(conflict.stderr)")
        #expect(conflict.stderr.contains("APISERVER_URL"), "\(conflict.stderr)")
        let mismatch = try ToolProcess.run(
            Tools.binDir + "/kp-launch",
            ["up", "--run-dir", s.runDir, "--mode", "docker", "--apiserver-url", url, "--port", "1"], env: s.env)
        #expect(mismatch.status == 2, "\(mismatch.stderr)")
        #expect(mismatch.stderr.contains("--port 1"), "\(mismatch.stderr)")
        #expect(s.calls.isEmpty, "bad input must not reach docker: \(s.calls)")

        try s.startLaunch(["--mode", "docker", "--apiserver-url", url + "/"])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "stderr: \(s.stderr)")
        let record = try s.endpoint()
        #expect(record["mode"] as? String == "docker")
        #expect(record["url"] as? String == url)
        let args = try #require(record["target_args"] as? [String])
        #expect(args.contains("--secure-port=\(s.apiPort)"))
        s.process?.interrupt()
        #expect(s.waitForExit() == 130)
        #expect(Array(s.calls.suffix(3)) == stopSequence(s))
    }

    @Test func sigintStopsAndRemovesTheStack() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "sigint")
        defer { s.cleanUp() }
        try s.startLaunch(["--port", String(s.apiPort)])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "stderr: \(s.stderr)")
        #expect(s.livePodPid != nil)
        s.process?.interrupt()
        #expect(s.waitForExit() == 130, "stderr: \(s.stderr)")
        #expect(Array(s.calls.suffix(3)) == stopSequence(s))
        #expect(s.livePodPid == nil)
        #expect(FileManager.default.fileExists(atPath: s.runDir + "/logs/apiserver.log"))
    }

    /// SIGINT while `compose up` still pulls: the pull is killed, and the stack is still removed.
    @Test func sigintDuringUpStillRunsDown() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "sigint-pull")
        defer { s.cleanUp() }
        s.env["FAKE_DOCKER_UP"] = "hang"
        try s.startLaunch(["--port", String(s.apiPort)])
        let up = compose(s, ["up", "-d", "--pull", "always", "--force-recreate"])
        let deadline = Date().addingTimeInterval(30)
        while !s.calls.contains(up) && Date() < deadline { usleep(20_000) }
        try #require(s.calls.contains(up), "stderr: \(s.stderr)")
        s.process?.interrupt()
        #expect(s.waitForExit(timeout: 20) == 130, "stderr: \(s.stderr)")
        #expect(Array(s.calls.suffix(3)) == stopSequence(s))
        #expect(!FileManager.default.fileExists(atPath: s.runDir + "/endpoint.json"))
    }

    @Test func crashedApiserverEndsTheRunAndStillCleansUp() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "crash")
        defer { s.cleanUp() }
        try s.startLaunch(["--port", String(s.apiPort), "--apiserver-image", "kplanedev/apiserver:v0.0.10"])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "stderr: \(s.stderr)")
        let pid = try #require(s.livePodPid)
        kill(pid, SIGKILL)
        #expect(s.waitForExit(timeout: 30) == 10, "stderr: \(s.stderr)")
        #expect(
            s.stderr.contains(
                "the apiserver container kp-bench-apiserver-1 exited with status 137 unexpectedly; see \(s.runDir)/logs/apiserver.log"
            ))
        #expect(s.stdout.contains("\"kind\":\"error\""))
        #expect(Array(s.calls.suffix(3)) == stopSequence(s))
        #expect(s.calls.contains(["image", "inspect", "kplanedev/apiserver:v0.0.10"]))
    }

    @Test func failedUpStillRunsDown() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "up-fails")
        defer { s.cleanUp() }
        s.env["FAKE_DOCKER_UP"] = "fail"
        try s.startLaunch(["--port", String(s.apiPort)])
        #expect(s.waitForExit() == 1)
        let errors = s.stderr.split(separator: "\n").filter { $0.contains("error") }
        #expect(errors.count == 1, "\(s.stderr)")
        #expect(
            s.stderr.contains(
                "docker compose up failed: Error response from daemon: pull access denied for kplanedev/apiserver, repository does not exist or may require 'docker login'; see \(s.runDir)/logs/compose.log"
            ))
        let calls = s.calls
        #expect(Array(calls.prefix(4)) == Array(startSequence(s).prefix(4)))
        #expect(Array(calls.dropFirst(4)) == stopSequence(s))
        #expect(!FileManager.default.fileExists(atPath: s.runDir + "/endpoint.json"))
    }

    @Test func unhealthyEtcdIsAnEtcdFailure() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "etcd-unhealthy")
        defer { s.cleanUp() }
        s.env["FAKE_DOCKER_UP"] = "etcd-unhealthy"
        try s.startLaunch(["--port", String(s.apiPort)])
        #expect(s.waitForExit() == 13)
        #expect(
            s.stderr.contains(
                "docker compose up failed: dependency failed to start: container kp-bench-etcd-1 is unhealthy"))
        #expect(Array(s.calls.suffix(3)) == stopSequence(s))
    }

    /// `make bootstrap-200` on a machine without an engine: kp-launch with no target flags fails
    /// at once, says how to run the job locally or on the emulator, and runs nothing else.
    @Test func noEngineInDefaultModeFailsFastWithTheWayOut() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "bootstrap-200", pathOnlyFake: true)
        defer { s.cleanUp() }
        s.env["FAKE_DOCKER_INFO"] = "fail"
        let r = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir], env: s.env, cwd: DockerComposeFileTests.repoRoot
        )
        #expect(r.status == 14)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "the Docker engine is not reachable (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)"
            ))
        #expect(r.stderr.contains("make bootstrap-200 APISERVER_BIN=/path/to/apiserver"))
        #expect(r.stderr.contains("make demo"))
        #expect(r.stdout.isEmpty)
        #expect(s.calls == [["info", "--format", "{{.ServerVersion}}"]])
        // Fails at once rather than after a wait: no engine wait or health poll ran (the calls above), and the
        // wall clock, with room for a loaded 2-core machine (a fixed 1 s could be crossed by chance).
        #expect(r.seconds < 10.0, "took \(r.seconds) s")
        #expect(!FileManager.default.fileExists(atPath: s.runDir + "/target/tokens.csv"))
    }

    @Test func missingComposeV2WhenDockerWasAskedFor() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "no-compose")
        defer { s.cleanUp() }
        s.env["FAKE_DOCKER_COMPOSE"] = "missing"
        let r = try ToolProcess.run(
            Tools.binDir + "/kp-launch",
            ["up", "--run-dir", s.runDir, "--mode", "docker", "--port", String(s.apiPort)], env: s.env,
            cwd: DockerComposeFileTests.repoRoot)
        #expect(r.status == 14)
        #expect(
            r.stderr.contains(
                "docker compose v2 is not installed (docker compose version: See 'docker --help'): install the docker-compose-plugin package from Docker's apt repository"
            ))
        #expect(!r.stderr.contains("make demo"))  // docker was asked for: no detour suggested
        #expect(s.calls == [["info", "--format", "{{.ServerVersion}}"], ["compose", "version"]])
    }

    @Test func noDockerCLIAtAll() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "no-cli", pathOnlyFake: true)
        defer { s.cleanUp() }
        try FileManager.default.removeItem(atPath: s.fakeBin + "/docker")
        let r = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir], env: s.env, cwd: DockerComposeFileTests.repoRoot
        )
        #expect(r.status == 14)
        #expect(r.stderr.contains("docker mode needs the docker CLI and there is none in PATH"))
        #expect(r.stderr.contains("make bootstrap-200 APISERVER_BIN=/path/to/apiserver"))
    }

    @Test func etcdPortHeldByAnotherProcess() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "port-taken")
        defer { s.cleanUp() }
        let listener = try Listener(port: s.etcdPort)
        defer { listener.close() }
        let r = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir, "--port", String(s.apiPort)], env: s.env,
            cwd: DockerComposeFileTests.repoRoot)
        #expect(r.status == 2)
        #expect(r.stderr.contains("port \(s.etcdPort) (etcd) is held"))
        #expect(
            r.stderr.contains(
                "which is not this project's compose stack (kp-bench): stop it, or move etcd to another host port with ETCD_PORT"
            ))
        #expect(!s.calls.contains { $0.contains("up") })
    }

    @Test func apiserverPortHeldByAnotherProcess() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "api-port-taken")
        defer { s.cleanUp() }
        let listener = try Listener(port: s.apiPort)
        defer { listener.close() }
        let r = try ToolProcess.run(
            Tools.binDir + "/kp-launch", ["up", "--run-dir", s.runDir, "--port", String(s.apiPort)], env: s.env,
            cwd: DockerComposeFileTests.repoRoot)
        #expect(r.status == 2)
        #expect(r.stderr.contains("port \(s.apiPort) (apiserver) is held"))
        #expect(r.stderr.contains("stop it, or give the apiserver another host port with --port"))
    }

    /// Both ports are held by an earlier run of this project's stack: that is no error, the run's
    /// `compose down` removes it first (here: the fake's down stops the processes holding the ports).
    @Test func portsHeldByOurOwnLeftoverStackAreTakenDownFirst() throws {
        try Tools.requireBuilt()
        let s = try Sandbox(name: "leftover")
        defer { s.cleanUp() }
        let holders = try [s.apiPort, s.etcdPort].map { try PortHolder(port: $0) }
        defer { for holder in holders { holder.stop() } }
        s.env["FAKE_DOCKER_OURS_PORTS"] = "\(s.apiPort) \(s.etcdPort)"
        s.env["FAKE_DOCKER_LEFTOVER_PIDS"] = holders.map { String($0.pid) }.joined(separator: " ")
        try s.startLaunch(["--port", String(s.apiPort)])
        try #require(s.waitForFile(s.runDir + "/endpoint.json"), "stderr: \(s.stderr)")
        s.process?.terminate()
        #expect(s.waitForExit() == 143)
        let calls = s.calls
        try #require(calls.count > 4)
        #expect(calls[2] == compose(s, ["ps", "--all", "--format", "json"]))  // whose ports are these?
        #expect(calls[3] == compose(s, ["down", "-v", "--remove-orphans"]))
        #expect(calls[4] == compose(s, ["up", "-d", "--pull", "always", "--force-recreate"]))
    }
}

/// A separate process listening on a loopback port (a stand-in for a leftover container's port).
final class PortHolder {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init(port: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            "import signal,socket,sys,time\nsignal.signal(signal.SIGTERM, signal.SIG_DFL)\nsignal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])\ns=socket.socket()\ns.bind(('127.0.0.1',int(sys.argv[1])))\ns.listen()\ntime.sleep(300)",
            String(port),
        ]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while PortProbe.isFree(port) && Date() < deadline && process.isRunning { usleep(10_000) }
        try #require(!PortProbe.isFree(port), "python3 did not take port \(port)")
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A TCP listener on 127.0.0.1, holding a port for a test.
final class Listener {
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok =
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            } == 0 && listen(fd, 4) == 0
        try #require(ok, "cannot listen on 127.0.0.1:\(port)")
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// Runs a tool to completion, capturing its output.
enum ToolProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    static func run(_ path: String, _ args: [String], env: [String: String], cwd: String? = nil, timeout: Double = 60)
        throws -> Result
    {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kpbench-tool-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        p.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
        p.standardError = FileHandle(forWritingAtPath: dir + "/err")
        p.standardInput = FileHandle.nullDevice
        let start = Date()
        try p.run()
        let deadline = start.addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        var status = Int32(-1)
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        } else {
            status = p.terminationStatus
        }
        let seconds = Date().timeIntervalSince(start)
        let read = { (name: String) in (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "" }
        return Result(status: status, stdout: read("out"), stderr: read("err"), seconds: seconds)
    }
}
