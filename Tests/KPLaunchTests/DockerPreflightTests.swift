import Foundation
import KPCLI
import Testing

@testable import KPLaunch

/// A docker CLI played by a closure: records every call, answers as scripted.
final class ScriptedDocker: DockerCommandExecutor, @unchecked Sendable {
    let path: String?
    private let respond: @Sendable ([String]) -> DockerCommandResult
    private let lock = NSLock()
    private var recorded: [[String]] = []

    init(path: String? = "/usr/bin/docker", respond: @escaping @Sendable ([String]) -> DockerCommandResult) {
        self.path = path
        self.respond = respond
    }

    var calls: [[String]] { lock.withLock { recorded } }

    func locateDocker() -> String? { path }

    func run(_ arguments: [String], environment: [String: String], timeout: Duration, outputFile: String?) async throws
        -> DockerCommandResult
    {
        lock.withLock { recorded.append(arguments) }
        return respond(arguments)
    }

    static func ok(_ stdout: String = "") -> DockerCommandResult {
        DockerCommandResult(termination: .exited(0), stdout: stdout)
    }
    static func fail(_ stderr: String) -> DockerCommandResult {
        DockerCommandResult(termination: .exited(1), stderr: stderr)
    }

    /// A healthy engine with compose v2; `overrides` replaces answers by first argument(s).
    static func healthy(_ overrides: [String: DockerCommandResult] = [:]) -> ScriptedDocker {
        ScriptedDocker { args in
            let key = args.prefix(2).joined(separator: " ")
            if let o = overrides[key] ?? overrides[args[0]] { return o }
            switch key {
            case "info --format": return ok("27.3.1\n")
            case "compose version": return ok("Docker Compose version v2.29.7\n")
            default: return ok()
            }
        }
    }
}

@Suite struct DockerPreflightTests {
    let noEngine = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"

    func preflight(_ docker: ScriptedDocker, explicit: Bool = true, run: String = "bootstrap-200") -> DockerPreflight {
        DockerPreflight(executor: docker, explicitlyAsked: explicit, runName: run)
    }

    @Test func healthyToolsPass() async throws {
        let docker = ScriptedDocker.healthy()
        let tools = try await preflight(docker).checkTools()
        #expect(tools == .init(docker: "/usr/bin/docker", engineVersion: "27.3.1", composeVersion: "v2.29.7"))
        #expect(docker.calls == [["info", "--format", "{{.ServerVersion}}"], ["compose", "version"]])
    }

    @Test func noDockerCLI() async throws {
        let docker = ScriptedDocker(path: nil) { _ in ScriptedDocker.ok() }
        let error = await #expect(throws: LaunchError.self) { try await preflight(docker).checkTools() }
        #expect(error?.exitCode == .missingTool)
        #expect(
            error?.message
                == "docker mode needs the docker CLI and there is none in PATH: install Docker Engine with the compose v2 plugin (https://docs.docker.com/engine/install/)"
        )
        #expect(docker.calls.isEmpty)
    }

    @Test func engineNotReachable() async throws {
        let docker = ScriptedDocker.healthy(["info --format": ScriptedDocker.fail(noEngine)])
        let error = await #expect(throws: LaunchError.self) { try await preflight(docker).checkTools() }
        #expect(error?.exitCode == .missingTool)
        #expect(
            error?.message
                == "the Docker engine is not reachable (docker info: \(noEngine)): start it (sudo systemctl start docker), or check DOCKER_HOST and that your user may use the docker socket"
        )
        #expect(docker.calls.count == 1)
    }

    /// Docker was only the default: the error says how to run the same job without docker.
    @Test func defaultModeSaysHowToRunWithoutDocker() async throws {
        let docker = ScriptedDocker.healthy(["info --format": ScriptedDocker.fail(noEngine)])
        let error = await #expect(throws: LaunchError.self) {
            try await preflight(docker, explicit: false, run: "mixed-hot-1000").checkTools()
        }
        let message = try #require(error?.message)
        #expect(
            message.hasSuffix(
                "Docker mode is the default when no target is given; to run the same job without docker, use a local apiserver (make mixed-hot-1000 APISERVER_BIN=/path/to/apiserver) or the emulator (make demo)"
            ))
        #expect(!message.contains("\n"))
        let other = await #expect(throws: LaunchError.self) {
            try await preflight(docker, explicit: false, run: "demo-x").checkTools()
        }
        #expect(other?.message.contains("make bootstrap-200 APISERVER_BIN=/path/to/apiserver") == true)
        let noCLI = await #expect(throws: LaunchError.self) {
            try await preflight(ScriptedDocker(path: nil) { _ in ScriptedDocker.ok() }, explicit: false).checkTools()
        }
        #expect(noCLI?.message.contains("(make demo)") == true)
    }

    @Test func composeV2Missing() async throws {
        let docker = ScriptedDocker.healthy([
            "compose version": ScriptedDocker.fail("docker: 'compose' is not a docker command.\nSee 'docker --help'")
        ])
        let error = await #expect(throws: LaunchError.self) { try await preflight(docker).checkTools() }
        #expect(error?.exitCode == .missingTool)
        #expect(
            error?.message
                == "docker compose v2 is not installed (docker compose version: See 'docker --help'): install the docker-compose-plugin package from Docker's apt repository (https://docs.docker.com/compose/install/linux/); the Python docker-compose 1.x is not supported"
        )
    }

    @Test func composeV1Rejected() async throws {
        let docker = ScriptedDocker.healthy([
            "compose version": ScriptedDocker.ok("docker-compose version 1.29.2, build unknown\n")
        ])
        let error = await #expect(throws: LaunchError.self) { try await preflight(docker).checkTools() }
        #expect(error?.exitCode == .missingTool)
        #expect(
            error?.message.hasPrefix(
                "docker compose is 1.29.2, but docker mode needs compose v2 (v2.x): install the docker-compose-plugin package"
            ) == true)
        let garbled = ScriptedDocker.healthy(["compose version": ScriptedDocker.ok("hello\n")])
        let e2 = await #expect(throws: LaunchError.self) { try await preflight(garbled).checkTools() }
        #expect(e2?.message.hasPrefix("docker compose version printed no version number") == true)
    }

    let compose = DockerCompose(composeFile: "/r/docker/docker-compose.yaml", project: "kp-bench")
    let ports: [DockerPreflight.HostPort] = [
        .init(port: 6443, service: "apiserver", fix: "give the apiserver another host port with --port"),
        .init(port: 2379, service: "etcd", fix: "move etcd to another host port with ETCD_PORT"),
    ]

    @Test func freePortsAskNothing() async throws {
        let docker = ScriptedDocker.healthy()
        try await preflight(docker).checkPorts(ports, compose: compose, isFree: { _ in true }, holder: { _ in nil })
        #expect(docker.calls.isEmpty)
    }

    @Test func portsHeldByOurOwnStackAreFine() async throws {
        let ps =
            #"{"Name":"kp-bench-apiserver-1","Service":"apiserver","State":"running","Publishers":[{"PublishedPort":6443}]}"#
            + "\n"
            + #"{"Name":"kp-bench-etcd-1","Service":"etcd","State":"running","Publishers":[{"PublishedPort":2379}]}"#
        let docker = ScriptedDocker.healthy(["compose -f": ScriptedDocker.ok(ps)])
        try await preflight(docker).checkPorts(
            ports, compose: compose, isFree: { _ in false }, holder: { _ in "docker-proxy (pid 1)" })
        #expect(docker.calls == [compose.ps])
    }

    @Test func portHeldByAProcessIsNamed() async throws {
        let docker = ScriptedDocker.healthy()
        let error = await #expect(throws: LaunchError.self) {
            try await preflight(docker).checkPorts(
                ports, compose: compose, isFree: { $0 != 2379 }, holder: { _ in "etcd (pid 4242)" })
        }
        #expect(error?.exitCode == .badInput)
        #expect(
            error?.message
                == "port 2379 (etcd) is held by etcd (pid 4242), which is not this project's compose stack (kp-bench): stop it, or move etcd to another host port with ETCD_PORT"
        )
        #expect(docker.calls == [compose.ps, ["ps", "--filter", "publish=2379", "--format", "{{.Names}}"]])
    }

    @Test func portHeldByAnotherContainerIsNamed() async throws {
        let docker = ScriptedDocker.healthy(["ps": ScriptedDocker.ok("other-apiserver\n")])
        let error = await #expect(throws: LaunchError.self) {
            try await preflight(docker).checkPorts(
                ports, compose: compose, isFree: { $0 != 6443 }, holder: { _ in nil })
        }
        #expect(
            error?.message
                == "port 6443 (apiserver) is held by container other-apiserver, which is not this project's compose stack (kp-bench): stop it, or give the apiserver another host port with --port"
        )
    }

    @Test func unknownHolderStillFails() async throws {
        let error = await #expect(throws: LaunchError.self) {
            try await preflight(ScriptedDocker.healthy()).checkPorts(
                ports, compose: compose, isFree: { $0 != 6443 }, holder: { _ in nil })
        }
        #expect(
            error?.message.hasPrefix("port 6443 (apiserver) is held, which is not this project's compose stack") == true
        )
    }
}
