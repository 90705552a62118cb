import Foundation
import KPLaunch
import Testing
import Yams

/// docker/docker-compose.yaml, parsed with Yams and checked against the contract.
@Suite struct DockerComposeFileTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let composePath = repoRoot + "/docker/docker-compose.yaml"

    func yaml() throws -> [String: Any] {
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    func service(_ name: String) throws -> [String: Any] {
        let services = try #require(try yaml()["services"] as? [String: Any])
        return try #require(services[name] as? [String: Any], "no service \(name)")
    }

    @Test func imagesAndTags() throws {
        #expect(try service("etcd")["image"] as? String == "quay.io/coreos/etcd:v3.5.18")
        #expect(try service("apiserver")["image"] as? String == "${APISERVER_IMAGE:-kplanedev/apiserver:latest}")
        let image = try DockerComposeFile.interpolate(
            try #require(try service("apiserver")["image"] as? String), environment: [:])
        #expect(image == "kplanedev/apiserver:latest")
        #expect(
            try DockerComposeFile.interpolate(
                "${APISERVER_IMAGE:-kplanedev/apiserver:latest}", environment: ["APISERVER_IMAGE": "me/apiserver:dev"])
                == "me/apiserver:dev")
        #expect(try yaml()["name"] as? String == "kp-bench")
    }

    /// The apiserver gets the contract's §1.1 flag set, verbatim and in order, with container paths.
    @Test func apiserverArgumentsAreTheContractFlagSet() throws {
        let command = try #require(try service("apiserver")["command"] as? [String])
        let env = [
            "ETCD_PREFIX": "/registry-kpbench-t-1", "APISERVER_PORT": "7443", "KPBENCH_TOKENS_CSV": "/r/tokens.csv",
            "KPBENCH_SA_KEY": "/r/sa.key",
        ]
        let resolved = try command.map { try DockerComposeFile.interpolate($0, environment: env) }
        var contract = ContractFlags.arguments(
            etcdServers: "http://etcd:2379", etcdPrefix: "/registry-kpbench-t-1", certDir: "/tmp/certs",
            securePort: 7443,
            tokenAuthFile: "/kpbench/tokens.csv", serviceAccountKeyFile: "/kpbench/sa.key")
        // ContractFlags ends with --bind-address (loopback, for processes on the host); in the container
        // the apiserver listens on all interfaces and the host side of the port is bound to 127.0.0.1.
        #expect(contract.removeLast() == "--bind-address=127.0.0.1")
        #expect(resolved == contract)
        #expect(resolved.count == 17)
        // The same through KPLaunch's reader.
        let file = try DockerComposeFile.load(Self.composePath)
        #expect(try file.apiserverArguments(environment: env) == contract)
        #expect(file.defaultProjectName == "kp-bench")
        // The cert dir is writable by the nonroot user: under /tmp.
        #expect(resolved.contains("--cert-dir=/tmp/certs"))
        #expect(DockerTargetRunner.containerCertPath == "/tmp/certs/apiserver.crt")
    }

    @Test func runSettingsComeFromTheEnvironment() throws {
        let command = try #require(try service("apiserver")["command"] as? [String])
        // A missing etcd prefix is an error, not a silent default shared between runs.
        #expect(throws: LaunchError.self) {
            try command.map { try DockerComposeFile.interpolate($0, environment: [:]) }
        }
        let user = try #require(try service("apiserver")["user"] as? String)
        #expect(
            try DockerComposeFile.interpolate(user, environment: ["KPBENCH_UID": "1000", "KPBENCH_GID": "1001"])
                == "1000:1001")
        // Every variable the file reads is one kp-launch sets.
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .joined(separator: "\n")
        var names = Set<String>()
        var rest = body[...]
        while let r = rest.range(of: "${") {
            let after = rest[r.upperBound...]
            names.insert(String(after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }))
            rest = after
        }
        #expect(names == Set(DockerCompose.Variable.all))
    }

    @Test func hostPortsAreLoopbackOnly() throws {
        let api = try #require(try service("apiserver")["ports"] as? [String])
        let etcd = try #require(try service("etcd")["ports"] as? [String])
        #expect(api == ["127.0.0.1:${APISERVER_PORT:-6443}:${APISERVER_PORT:-6443}"])
        #expect(etcd == ["127.0.0.1:${ETCD_PORT:-2379}:2379"])
        #expect(try DockerComposeFile.interpolate(api[0], environment: [:]) == "127.0.0.1:6443:6443")
        for s in ["apiserver", "etcd"] {
            #expect(try service(s)["network_mode"] == nil)
        }
    }

    @Test func secretsAreMountedReadOnly() throws {
        let volumes = try #require(try service("apiserver")["volumes"] as? [[String: Any]])
        #expect(volumes.count == 2)
        for v in volumes {
            #expect(v["type"] as? String == "bind")
            #expect(v["read_only"] as? Bool == true)
        }
        let env = ["KPBENCH_TOKENS_CSV": "/run/t/tokens.csv", "KPBENCH_SA_KEY": "/run/t/sa.key"]
        let pairs = try volumes.map {
            (
                try DockerComposeFile.interpolate(try #require($0["source"] as? String), environment: env),
                $0["target"] as? String
            )
        }
        #expect(pairs.map(\.0) == ["/run/t/tokens.csv", "/run/t/sa.key"])
        #expect(pairs.map(\.1) == ["/kpbench/tokens.csv", "/kpbench/sa.key"])
        // etcd's data is a named volume, so `compose down -v` removes it.
        let etcdVolumes = try #require(try service("etcd")["volumes"] as? [[String: Any]])
        #expect(etcdVolumes.first?["type"] as? String == "volume")
        #expect((try yaml()["volumes"] as? [String: Any])?.keys.contains("etcd-data") == true)
    }

    @Test func etcdHealthCheckGatesTheApiserver() throws {
        let health = try #require(try service("etcd")["healthcheck"] as? [String: Any])
        let test = try #require(health["test"] as? [String])
        #expect(test.first == "CMD")
        #expect(test.contains("endpoint") && test.contains("health") && test.contains { $0.hasSuffix("etcdctl") })
        let depends = try #require(try service("apiserver")["depends_on"] as? [String: Any])
        #expect((depends["etcd"] as? [String: Any])?["condition"] as? String == "service_healthy")
        let etcdCommand = try #require(try service("etcd")["command"] as? [String])
        #expect(etcdCommand.contains("--advertise-client-urls=http://etcd:2379"))
        #expect(etcdCommand.contains("--listen-client-urls=http://0.0.0.0:2379"))
    }

    @Test func interpolationForms() throws {
        let env = ["A": "x", "E": ""]
        #expect(
            try DockerComposeFile.interpolate("$$A ${A} $A-${B:-d} ${E:-d} ${E-d} ${A:+alt} ${B+alt}", environment: env)
                == "$A x x-d d  alt ")
        #expect(throws: LaunchError.self) { try DockerComposeFile.interpolate("${E:?needed}", environment: env) }
        #expect(try DockerComposeFile.interpolate("${E?needed}", environment: env) == "")
        #expect(throws: LaunchError.self) { try DockerComposeFile.interpolate("${A", environment: env) }
        #expect(try DockerComposeFile.interpolate("cost $5", environment: env) == "cost $5")
    }

    @Test func badComposeFilesAreOneLineErrors() throws {
        #expect(
            throws: LaunchError.badInput(
                "--compose-file/COMPOSE_FILE /nonexistent/compose.yaml cannot be read (looked for /nonexistent/compose.yaml): run kp-launch from the kp-bench checkout, or pass the compose file with --compose-file"
            )
        ) {
            try DockerComposeFile.load("/nonexistent/compose.yaml")
        }
        #expect(throws: LaunchError.self) { try DockerComposeFile.parse("services:\n  etcd: {}\n", path: "/x.yaml") }
        #expect(throws: LaunchError.self) {
            try DockerComposeFile.parse("services:\n  etcd: {}\n  apiserver: {command: --v=2}\n", path: "/x.yaml")
        }
        #expect(throws: LaunchError.self) { try DockerComposeFile.parse("services: [", path: "/x.yaml") }
        let unnamed = try DockerComposeFile.parse(
            "services:\n  etcd: {}\n  apiserver: {command: [--v=2]}\n", path: "/a/My Stack.d/c.yaml")
        #expect(unnamed.defaultProjectName == "mystackd")
    }
}
