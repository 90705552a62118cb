import Foundation
import KPCLI
import KPRecords
import Logging
import Testing

@testable import KPLaunch

@Suite("KPLaunch units")
struct LaunchUnitTests {
    @Test("the contract flag set, verbatim and in order (contract §1.1), then --bind-address and extras")
    func contractFlags() {
        let args = ContractFlags.arguments(
            etcdServers: "http://127.0.0.1:2379", etcdPrefix: "/registry-kpbench-x-1", certDir: "/r/target/certs",
            securePort: 6443,
            tokenAuthFile: "/r/target/tokens.csv", serviceAccountKeyFile: "/r/target/sa.key", extra: ["--a=1"])
        #expect(
            args == [
                "--etcd-servers=http://127.0.0.1:2379", "--etcd-prefix=/registry-kpbench-x-1",
                "--cert-dir=/r/target/certs",
                "--secure-port=6443", "--enable-aggregator-routing=true", "--authorization-mode=RBAC",
                "--anonymous-auth=true",
                "--token-auth-file=/r/target/tokens.csv", "--allow-privileged=true",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--service-cidr-sharing-mode=shared", "--kubernetes-service-mode=shared",
                "--service-account-issuer=test",
                "--api-audiences=test,https://kubernetes.default.svc",
                "--service-account-signing-key-file=/r/target/sa.key",
                "--service-account-key-file=/r/target/sa.key", "--v=2", "--bind-address=127.0.0.1", "--a=1",
            ])
        #expect(
            ContractFlags.arguments(
                etcdServers: nil, etcdPrefix: "/p", certDir: "c", securePort: 1, tokenAuthFile: "t",
                serviceAccountKeyFile: "k"
            ).first == "--etcd-prefix=/p")
    }

    @Test("etcd prefixes are unique per run and clean keys")
    func etcdPrefix() {
        #expect(
            ContractFlags.etcdPrefix(runName: "Bootstrap 200/x_y:z", unixNanos: 42)
                == "/registry-kpbench-bootstrap-200-x-y-z-42")
        #expect(
            ContractFlags.etcdPrefix(runName: "demo", unixNanos: 1)
                != ContractFlags.etcdPrefix(runName: "demo", unixNanos: 2))
    }

    @Test("mode resolution follows the seed and refuses conflicts")
    func modes() throws {
        var c = LaunchConfiguration(runDir: "out/x")
        #expect(try c.resolveMode() == .docker)
        c.apiserverBin = "/bin/apiserver"
        #expect(try c.resolveMode() == .local)
        c.explicitMode = .local
        #expect(try c.resolveMode() == .local)
        c.explicitMode = .sim
        #expect(throws: LaunchError.self) { try c.resolveMode() }
        c = LaunchConfiguration(runDir: "out/x")
        c.apiserverDir = "../apiserver"
        #expect(try c.resolveMode() == .local)
        c.apiserverURL = "https://h:6443"
        #expect(throws: LaunchError.self) { try c.resolveMode() }
        c = LaunchConfiguration(runDir: "out/x")
        c.kubeconfig = "k"
        #expect(try c.resolveMode() == .url)
        c.explicitMode = .sim
        #expect(throws: LaunchError.self) { try c.resolveMode() }
        c = LaunchConfiguration(runDir: "out/x")
        c.explicitMode = .sim
        #expect(try c.resolveMode() == .sim)
    }

    @Test("secrets: 0600 files, a 256-bit hex token, a PKCS#1 RSA-2048 key")
    func secrets() async throws {
        let dir = try LaunchHarness.tempDir("secrets")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = RunFiles(runDir: dir)
        let oldMask = umask(0)  // even a permissive umask must not widen the modes
        defer { umask(oldMask) }
        try await RunSecrets.write(files)
        #expect(LaunchHarness.mode(files.targetDir) == 0o700)
        for path in [files.tokensCSV, files.tokenFile, files.saKey] {
            #expect(LaunchHarness.mode(path) == 0o600, "\(path)")
        }
        let token = LaunchHarness.read(files.tokenFile).trimmingCharacters(in: .newlines)
        #expect(token.count == 64 && token.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(RunSecrets.newToken() != RunSecrets.newToken())
        let pem = LaunchHarness.read(files.saKey)
        #expect(pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n") && pem.hasSuffix("-----END RSA PRIVATE KEY-----\n"))
        let openssl = try #require(LaunchHarness.requireCommand("openssl", aptPackage: "openssl"))
        let check = try LaunchHarness.run(openssl, ["rsa", "-in", files.saKey, "-check", "-noout"])
        #expect(check.status == 0 && check.stdout == "RSA key ok\n", "\(check.stderr)")
        let text = try LaunchHarness.run(openssl, ["rsa", "-in", files.saKey, "-noout", "-text"])
        #expect(text.stdout.hasPrefix("Private-Key: (2048 bit"), "\(text.stdout.prefix(80))")
        // PKCS#1 DER starts SEQUENCE { INTEGER 0, INTEGER n ... }, PKCS#8 would have a SEQUENCE (the algorithm) third.
        let der = Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())!
        #expect(Array(der.prefix(2)) == [0x30, 0x82] && Array(der[4...6]) == [0x02, 0x01, 0x00] && der[7] == 0x02)
        RunSecrets.remove(files.secrets)
        #expect(!FileManager.default.fileExists(atPath: files.saKey))
    }

    @Test("secrets: without a working openssl, one line naming it and the fix")
    func secretsWithoutOpenSSL() async throws {
        let dir = try LaunchHarness.tempDir("no-openssl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = RunFiles(runDir: dir)
        let missing = await #expect(throws: LaunchError.self) { try await RunSecrets.write(files, openssl: nil) }
        #expect(missing?.exitCode == .missingTool)
        #expect(
            missing?.message
                == "openssl is not on PATH; kp-launch makes the service-account key \(files.saKey) with it: install openssl (Debian: apt-get install openssl)"
        )
        let failing = await #expect(throws: LaunchError.self) {
            try await RunSecrets.writeServiceAccountKey(files.saKey, openssl: "/bin/false")
        }
        #expect(failing?.exitCode == .failure)
        #expect(failing?.message.hasPrefix("/bin/false genrsa exited with status 1 (no message)") == true)
        #expect(failing?.message.contains("apt-get install openssl") == true)
        #expect(failing.map { !$0.message.contains("\n") } == true)
    }

    @Test("the ss owner of a port is parsed from ss -ltnp")
    func ssParsing() {
        let line = "LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:* users:((\"etcd\",pid=4242,fd=7))\n"
        #expect(PortProbe.parseHolder(ssOutput: line) == "etcd (pid 4242)")
        #expect(PortProbe.parseHolder(ssOutput: "LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:*\n") == nil)
    }

    @Test("free-port probing finds free ports and sees taken ones")
    func ports() throws {
        let port = try PortProbe.freeLoopbackPort()
        #expect(PortProbe.isFree(port))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(fd, 1)
        #expect(!PortProbe.isFree(port))
    }

    @Test("kubeconfigs: root and VCP shapes name the token file only; reading resolves relative paths")
    func kubeconfigs() throws {
        var endpoint = EndpointRecord(
            url: "https://127.0.0.1:6443", caFile: "/r/target/certs/apiserver.crt", tokenFile: "/r/target/token",
            mode: "sim",
            target: "kp-sim", emulator: true, launchedNs: 1, startedAt: "t")
        let vcp = Kubeconfig.virtualControlPlane("c-001", endpoint: endpoint)
        #expect(
            try vcp.yaml() == """
                apiVersion: v1
                kind: Config
                clusters:
                - name: kplane-c-001
                  cluster:
                    server: https://127.0.0.1:6443/clusters/c-001/control-plane
                    certificate-authority: /r/target/certs/apiserver.crt
                users:
                - name: kplane-c-001
                  user:
                    tokenFile: /r/target/token
                contexts:
                - name: kplane-c-001
                  context:
                    cluster: kplane-c-001
                    user: kplane-c-001
                current-context: kplane-c-001

                """)
        #expect(try Kubeconfig.parse(try vcp.yaml()) == vcp)
        endpoint.insecureSkipTLSVerify = true
        let insecure = try Kubeconfig.root(for: endpoint, runName: "demo").yaml()
        #expect(insecure.contains("insecure-skip-tls-verify: true") && !insecure.contains("certificate-authority"))
        #expect(insecure.contains("name: kp-bench-demo"))
        #expect(Kubeconfig.isValidClusterName("c-001") && Kubeconfig.isValidClusterName("a.b_c"))
        #expect(
            !Kubeconfig.isValidClusterName("-x") && !Kubeconfig.isValidClusterName("a/b")
                && !Kubeconfig.isValidClusterName(""))

        let dir = try LaunchHarness.tempDir("kc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        apiVersion: v1
        clusters:
        - cluster: {certificate-authority: ca.crt, server: "https://10.0.0.5:6443"}
          name: a
        - cluster: {server: "https://other:6443"}
          name: b
        contexts:
        - context: {cluster: a, user: admin}
          name: one
        current-context: one
        users:
        - name: admin
          user: {tokenFile: secrets/tok}
        """.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        let resolved = try Kubeconfig.resolveCurrentContext(path: dir + "/config")
        #expect(resolved.server == "https://10.0.0.5:6443")
        #expect(resolved.caFile == dir + "/ca.crt")
        #expect(resolved.tokenFile == dir + "/secrets/tok")
        #expect(resolved.token == nil && resolved.insecureSkipTLSVerify == false)
        try "current-context: none\n".write(toFile: dir + "/bad", atomically: true, encoding: .utf8)
        #expect(throws: LaunchError.badInput("--kubeconfig \(dir)/bad: current-context none is not among its contexts"))
        {
            try Kubeconfig.resolveCurrentContext(path: dir + "/bad")
        }
    }

    @Test("docker mode plugs in through DockerMode's TargetRunnerProvider conformance")
    func dockerPlugIn() throws {
        // This build contains Docker*.swift: the provider must be found without the launcher naming its type.
        #expect(DockerMode.provider != nil)
        let runner = try Launcher.makeRunner(mode: .docker, configuration: LaunchConfiguration(runDir: "out/x"))
        #expect(runner.mode == .docker)
    }

    @Test("child processes run in their own session and are reaped; stop kills the whole group")
    func childProcessGroups() async throws {
        let dir = try LaunchHarness.tempDir("child")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A shell that ignores nothing and starts a grandchild that ignores SIGTERM: only SIGKILL to the group ends it.
        let child = try ChildProcess.spawn(
            "/bin/sh",
            ["-c", "sh -c 'trap \"\" TERM; echo $$ > \(dir)/grandchild; while :; do sleep 0.05; done' & wait"],
            stdout: .append(dir + "/out"), stderr: .append(dir + "/out"))
        let deadline = Date().addingTimeInterval(5)
        while LaunchHarness.read(dir + "/grandchild").isEmpty && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let grandchild =
            Int32(LaunchHarness.read(dir + "/grandchild").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(grandchild > 0)
        #expect(getpgid(child.pid) == child.pid && getsid(child.pid) == child.pid, "new session and group")
        #expect(getpgid(grandchild) == child.pid)
        let t = await child.stop(grace: .milliseconds(300))
        #expect(t == .signaled(SIGTERM))
        #expect(
            LaunchHarness.waitNoLeftovers([child.pid, grandchild], timeout: 3).isEmpty, "grandchild and zombies gone")

        let result = try await ChildProcess.run("/bin/sh", ["-c", "echo hi; exit 4"])
        #expect(result.termination == .exited(4) && result.stdout == "hi\n")
        #expect(ChildProcess.Termination.signaled(9).description == "was killed by signal 9 (SIGKILL)")
    }

    @Test("a child starts in its directory; a directory or log file it cannot use fails the spawn, named")
    func childProcessFileActions() async throws {
        let dir = try LaunchHarness.tempDir("child-dir")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let result = try await ChildProcess.run("/bin/sh", ["-c", "pwd -P"], directory: work)
        #expect(result.termination == .exited(0))
        #expect(result.stdout == URL(fileURLWithPath: work).resolvingSymlinksInPath().path + "\n")

        // A missing directory: no child starts anywhere else, and the error names the directory.
        let marker = dir + "/started"
        #expect {
            _ = try ChildProcess.spawn(
                "/bin/sh", ["-c", "touch \(marker)"], directory: dir + "/missing", stdout: .null, stderr: .null)
        } throws: { error in
            let e = error as? LaunchError
            return e?.exitCode == .badInput
                && e?.message.contains("working directory \(dir)/missing cannot be entered") == true
        }
        // A file where the directory should be.
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        #expect {
            _ = try ChildProcess.spawn(
                "/bin/sh", ["-c", "touch \(marker)"], directory: dir + "/file", stdout: .null, stderr: .null)
        } throws: { error in
            (error as? LaunchError)?.message.contains("working directory \(dir)/file cannot be entered") == true
        }
        // A log file in a directory that does not exist.
        #expect {
            _ = try ChildProcess.spawn(
                "/bin/sh", ["-c", "touch \(marker)"], stdout: .append(dir + "/nologs/out.log"), stderr: .null)
        } throws: { error in
            (error as? LaunchError)?.message.contains("output file \(dir)/nologs/out.log cannot be opened") == true
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("--apiserver-dir builds once, reuses the binary while HEAD is unchanged, rebuilds on a new commit")
    func apiserverBuild() async throws {
        guard let go = LaunchHarness.requireCommand("go", aptPackage: "golang-go"),
            let git = LaunchHarness.requireCommand("git", aptPackage: "git")
        else { return }
        let dir = try LaunchHarness.tempDir("checkout")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/cmd/apiserver", withIntermediateDirectories: true)
        try "module example.com/fakeapiserver\n\ngo 1.19\n".write(
            toFile: dir + "/go.mod", atomically: true, encoding: .utf8)
        try "package main\n\nfunc main() { println(\"v1\") }\n".write(
            toFile: dir + "/cmd/apiserver/main.go", atomically: true, encoding: .utf8)
        let gitEnv = [
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
        ]
        for args in [["init", "-q"], ["add", "."], ["commit", "-qm", "one"]] {
            #expect(try LaunchHarness.run(git, ["-C", dir] + args, env: gitEnv).status == 0)
        }
        let logger = Logger(label: "test")
        let first = try await ApiserverBuild.ensureBinary(
            dir: dir, buildLog: dir + "/build.log", goBinary: go, logger: logger)
        #expect(first.built && first.path == dir + "/.kp-bench/apiserver")
        #expect(FileManager.default.isExecutableFile(atPath: first.path))
        let head1 = try LaunchHarness.run(git, ["-C", dir, "rev-parse", "HEAD"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(LaunchHarness.read(ApiserverBuild.stampPath(dir: dir)) == head1 + "\n")
        #expect(first.commit == head1)
        let second = try await ApiserverBuild.ensureBinary(
            dir: dir, buildLog: dir + "/build.log", goBinary: go, logger: logger)
        #expect(!second.built && second.commit == head1)
        #expect(
            try LaunchHarness.run(git, ["-C", dir, "commit", "-q", "--allow-empty", "-m", "two"], env: gitEnv).status
                == 0)
        let third = try await ApiserverBuild.ensureBinary(
            dir: dir, buildLog: dir + "/build.log", goBinary: go, logger: logger)
        #expect(third.built)

        try "package main\n\nfunc main() { syntax error }\n".write(
            toFile: dir + "/cmd/apiserver/main.go", atomically: true, encoding: .utf8)
        #expect(try LaunchHarness.run(git, ["-C", dir, "commit", "-qam", "broken"], env: gitEnv).status == 0)
        await #expect(throws: LaunchError.self) {
            try await ApiserverBuild.ensureBinary(dir: dir, buildLog: dir + "/build.log", goBinary: go, logger: logger)
        }
        #expect(
            !FileManager.default.fileExists(atPath: ApiserverBuild.stampPath(dir: dir)),
            "a failed build leaves no stamp")
    }
}
