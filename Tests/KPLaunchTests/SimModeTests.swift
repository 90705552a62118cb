import Foundation
import KPRecords
import Testing

/// kp-launch up in sim mode, end to end with the built binaries: record, files, kubectl, down.
@Suite("kp-launch sim mode", .serialized)
struct SimModeTests {
    @Test("up --sim publishes a complete endpoint record, private secrets, working kubeconfigs; down leaves nothing")
    func simUpKubectlDown() throws {
        guard LaunchHarness.requireBuiltTools(),
            let kubectl = LaunchHarness.requireCommand("kubectl", aptPackage: "kubernetes-client")
        else { return }
        let run = try LaunchHarness.Run(name: "simrun", args: ["--sim"])
        var targetPid: Int32 = 0
        defer { run.cleanUp(extraPids: [targetPid]) }
        guard let record = run.waitForEndpoint() else { return }
        targetPid = record.pid ?? 0
        let files = run.runDir

        // The record: every field sim mode can fill.
        #expect(record.mode == "sim")
        #expect(record.emulator == true)
        #expect(record.target == "kp-sim")
        #expect(record.targetVersion == "v1.34.0")
        #expect(record.url.hasPrefix("https://127.0.0.1:"))
        #expect(record.caFile == files + "/target/certs/apiserver.crt")
        #expect(record.tokenFile == files + "/target/token")
        #expect(record.insecureSkipTLSVerify == false)
        #expect(record.launcherPid == run.process.processIdentifier)
        #expect(record.pid != nil && record.pid != record.launcherPid)
        #expect(record.etcdManaged == false)
        #expect(record.etcdPrefix?.hasPrefix("/registry-kpbench-simrun-") == true)
        #expect(record.runDir == files)
        #expect(record.kubeconfig == files + "/kubeconfig")
        #expect(record.logFiles == [files + "/logs/target.stdout.log", files + "/logs/target.stderr.log"])
        #expect(record.readyNs != nil && record.readyNs! > record.launchedNs)
        #expect(run.records.first == .endpoint(record), "stdout carries the same endpoint record")
        let pidText = LaunchHarness.read(files + "/launch.pid").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pidText == String(run.process.processIdentifier))

        // The exact contract flag set, in order, then --bind-address.
        let port = URL(string: record.url)!.port!
        #expect(
            record.targetArgs.map { Array($0.dropFirst()) } == [
                "--etcd-prefix=\(record.etcdPrefix!)", "--cert-dir=\(files)/target/certs", "--secure-port=\(port)",
                "--enable-aggregator-routing=true", "--authorization-mode=RBAC", "--anonymous-auth=true",
                "--token-auth-file=\(files)/target/tokens.csv", "--allow-privileged=true",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--service-cidr-sharing-mode=shared", "--kubernetes-service-mode=shared",
                "--service-account-issuer=test",
                "--api-audiences=test,https://kubernetes.default.svc",
                "--service-account-signing-key-file=\(files)/target/sa.key",
                "--service-account-key-file=\(files)/target/sa.key", "--v=2", "--bind-address=127.0.0.1",
            ])

        // Secrets: 0600, well-formed, and the token nowhere else.
        for secret in ["tokens.csv", "token", "sa.key"] {
            #expect(LaunchHarness.mode(files + "/target/" + secret) == 0o600, "\(secret) must be 0600")
        }
        let token = LaunchHarness.read(files + "/target/token").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count >= 32 && token.allSatisfy(\.isHexDigit), "token: ≥128 random bits as hex")
        #expect(LaunchHarness.read(files + "/target/tokens.csv") == "\(token),admin,admin,system:masters\n")
        #expect(LaunchHarness.read(files + "/target/sa.key").hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        let kubeconfigText = LaunchHarness.read(files + "/kubeconfig")
        #expect(kubeconfigText.contains("tokenFile: \(files)/target/token"))
        #expect(kubeconfigText.contains("certificate-authority: \(files)/target/certs/apiserver.crt"))
        var places =
            LaunchHarness.allFileContents(under: files + "/logs") + [
                ("endpoint.json", LaunchHarness.read(files + "/endpoint.json")), ("kubeconfig", kubeconfigText),
                ("launch stdout", LaunchHarness.read(run.stdoutPath)), ("launch stderr", run.stderr),
            ]
        places.append(("kp-sim argv", LaunchHarness.commandLine(targetPid)))
        places.append(("kp-launch argv", LaunchHarness.commandLine(run.process.processIdentifier)))
        #expect(
            LaunchHarness.commandLine(targetPid).contains("--token-auth-file="), "the argv scan reads the live kp-sim")
        for (place, text) in places {
            #expect(!text.contains(token), "the token leaked into \(place)")
        }

        // kubectl with the root kubeconfig, and with a VCP kubeconfig from `kp-launch kubeconfig`.
        let version = try LaunchHarness.kubectl(
            kubectl, kubeconfig: files + "/kubeconfig", ["get", "--raw", "/version"], until: { $0.status == 0 })
        #expect(version.status == 0, "kubectl get --raw /version: \(version.stderr)")
        #expect(version.stdout.contains("\"gitVersion\":\"v1.34.0\""))
        let vcp = try LaunchHarness.run(LaunchHarness.kpLaunch, ["kubeconfig", "--run", files, "--cluster", "c-001"])
        #expect(vcp.status == 0, "\(vcp.stderr)")
        #expect(vcp.stdout.contains("server: \(record.url)/clusters/c-001/control-plane"))
        #expect(vcp.stdout.contains("name: kplane-c-001"))
        #expect(vcp.stdout.contains("current-context: kplane-c-001"))
        #expect(!vcp.stdout.contains(token))
        let vcpFile = run.dir + "/c-001.kubeconfig"
        try vcp.stdout.write(toFile: vcpFile, atomically: true, encoding: .utf8)
        let ns = try LaunchHarness.kubectl(
            kubectl, kubeconfig: vcpFile, ["get", "ns", "default", "-o", "name"], until: { $0.status == 0 })
        #expect(ns.status == 0, "kubectl get ns default in c-001: \(ns.stderr)")
        #expect(ns.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "namespace/default")

        // down: the supervisor exits 0, the process table holds nothing of the run, secrets are gone.
        let down = try LaunchHarness.run(LaunchHarness.kpLaunch, ["down", "--run-dir", files])
        #expect(down.status == 0, "down: \(down.stderr)")
        let status = LaunchHarness.waitForExit(run.process, timeout: 20)
        #expect(status == 0, "kp-launch stopped by down exits 0; stderr: \(run.stderr)")
        let left = LaunchHarness.waitNoLeftovers([run.process.processIdentifier, targetPid])
        #expect(
            left.isEmpty, "processes left after down: \(left.map { "\($0.pid) \(LaunchHarness.commandLine($0.pid))" })")
        for gone in ["target/tokens.csv", "target/token", "target/sa.key", "launch.pid", "launch.down"] {
            #expect(!FileManager.default.fileExists(atPath: files + "/" + gone), "\(gone) must be removed")
        }
        for kept in ["target/certs/apiserver.crt", "logs/target.stderr.log", "endpoint.json", "kubeconfig"] {
            #expect(FileManager.default.fileExists(atPath: files + "/" + kept), "\(kept) must be kept")
        }
    }

    @Test("--sim-arg reaches kp-sim after the contract flags; SIGINT stops the run with exit 130")
    func simArgsAndSigint() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let run = try LaunchHarness.Run(
            name: "simargs",
            args: ["--sim", "--sim-arg=--fault-latency=fixed:5ms", "--apiserver-arg=--max-requests-inflight=800"])
        var targetPid: Int32 = 0
        defer { run.cleanUp(extraPids: [targetPid]) }
        guard let record = run.waitForEndpoint() else { return }
        targetPid = record.pid ?? 0
        #expect(
            record.targetArgs?.suffix(3) == [
                "--bind-address=127.0.0.1", "--fault-latency=fixed:5ms", "--max-requests-inflight=800",
            ])
        #expect(
            LaunchHarness.commandLine(targetPid).hasSuffix("--fault-latency=fixed:5ms --max-requests-inflight=800 "))
        kill(run.process.processIdentifier, SIGINT)
        #expect(LaunchHarness.waitForExit(run.process, timeout: 20) == 130)
        #expect(LaunchHarness.waitNoLeftovers([run.process.processIdentifier, targetPid]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/target/token"))
    }

    @Test("the target killed with SIGKILL mid-run: kp-launch writes an error record and exits 10")
    func targetCrashExits10() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let run = try LaunchHarness.Run(name: "crash", args: ["--sim"])
        var targetPid: Int32 = 0
        defer { run.cleanUp(extraPids: [targetPid]) }
        guard let record = run.waitForEndpoint(), let pid = record.pid else { return }
        targetPid = pid
        kill(pid, SIGKILL)
        #expect(LaunchHarness.waitForExit(run.process, timeout: 20) == 10, "stderr: \(run.stderr)")
        let last = run.records.last
        guard case .error(let error) = last else {
            Issue.record("expected an error record last on stdout, got \(String(describing: last))")
            return
        }
        #expect(error.tool == "kp-launch")
        #expect(
            error.message.hasPrefix(
                "the target failed during the run: kp-sim (pid \(pid)) was killed by signal 9 (SIGKILL)"))
        #expect(error.message.hasSuffix("; see \(run.runDir)/logs/target.stderr.log"))
        #expect(error.input == run.runDir + "/logs")
        #expect(run.stderr.hasSuffix("kp-launch: error: \(error.message)\n"), "the same one line on stderr")
        #expect(LaunchHarness.waitNoLeftovers([run.process.processIdentifier, pid]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/target/tokens.csv"))
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/launch.pid"))
    }

    @Test("url mode against a running run, by flags and by its kubeconfig")
    func urlModeAgainstRunningSim() throws {
        guard LaunchHarness.requireBuiltTools() else { return }
        let sim = try LaunchHarness.Run(name: "urlbase", args: ["--sim"])
        var targetPid: Int32 = 0
        defer { sim.cleanUp(extraPids: [targetPid]) }
        guard let base = sim.waitForEndpoint() else { return }
        targetPid = base.pid ?? 0

        let byFlags = try LaunchHarness.Run(
            name: "urlflags",
            args: ["--apiserver-url", base.url + "/", "--token-file", base.tokenFile, "--ca-file", base.caFile!])
        defer { byFlags.cleanUp() }
        if let record = byFlags.waitForEndpoint() {
            #expect(record.mode == "url")
            #expect(record.url == base.url)
            #expect(record.emulator == true && record.target == "kp-sim")
            #expect(record.tokenFile == base.tokenFile && record.caFile == base.caFile)
            #expect(record.pid == nil && record.etcdManaged == nil)
            kill(byFlags.process.processIdentifier, SIGTERM)
            #expect(LaunchHarness.waitForExit(byFlags.process, timeout: 10) == 143)
            #expect(
                FileManager.default.fileExists(atPath: base.tokenFile), "url mode never deletes the user's token file")
        }

        // A kubeconfig with the token and CA inline: kp-launch writes them to 0600 files and removes them at the end.
        let token = LaunchHarness.read(base.tokenFile).trimmingCharacters(in: .whitespacesAndNewlines)
        let caData = try Data(contentsOf: URL(fileURLWithPath: base.caFile!)).base64EncodedString()
        let inline = sim.dir + "/inline.kubeconfig"
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "\(base.url)", certificate-authority-data: \(caData)}
        users:
        - name: u
          user: {token: \(token)}
        contexts:
        - name: x
          context: {cluster: c, user: u}
        current-context: x
        """.write(toFile: inline, atomically: true, encoding: .utf8)
        let byKubeconfig = try LaunchHarness.Run(name: "urlkc", args: ["--kubeconfig", inline])
        defer { byKubeconfig.cleanUp() }
        if let record = byKubeconfig.waitForEndpoint() {
            #expect(record.mode == "url" && record.url == base.url)
            #expect(record.tokenFile == byKubeconfig.runDir + "/target/token")
            #expect(record.caFile == byKubeconfig.runDir + "/target/ca.crt")
            #expect(LaunchHarness.mode(record.tokenFile) == 0o600 && LaunchHarness.mode(record.caFile!) == 0o600)
            #expect(!LaunchHarness.read(byKubeconfig.runDir + "/endpoint.json").contains(token))
            #expect(!LaunchHarness.read(byKubeconfig.runDir + "/kubeconfig").contains(token))
            let down = try LaunchHarness.run(LaunchHarness.kpLaunch, ["down", "--run-dir", byKubeconfig.runDir])
            #expect(down.status == 0)
            #expect(LaunchHarness.waitForExit(byKubeconfig.process, timeout: 10) == 0)
            #expect(!FileManager.default.fileExists(atPath: record.tokenFile))
            #expect(!FileManager.default.fileExists(atPath: record.caFile!))
        }
    }
}
