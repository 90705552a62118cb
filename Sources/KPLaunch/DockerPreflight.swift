import Foundation

/// Docker mode's checks before anything is started, each failing with one line that says what
/// is wrong and how to fix it.
///
/// In order: the docker CLI is in PATH; the engine answers (`docker info`); compose is v2 or later
/// (`docker compose version`); the host ports are free or held by this project's own compose stack
/// (which the run removes first). Missing tools exit 14 (``KPCore/KPExitCode/missingTool``), a taken
/// port exits 2. When the user did not ask for docker (it is the default mode), tool errors also
/// say how to run the same job without docker, and nothing else is run in its place.
public struct DockerPreflight: Sendable {
    /// A host port the stack publishes and what it is for.
    public struct HostPort: Sendable, Equatable {
        /// The port on 127.0.0.1.
        public var port: Int
        /// `apiserver` or `etcd`.
        public var service: String
        /// How to choose another port, e.g. `give the apiserver another port with --port`.
        public var fix: String

        /// Creates a port to check.
        public init(port: Int, service: String, fix: String) {
            self.port = port
            self.service = service
            self.fix = fix
        }
    }

    /// Runs docker.
    public var executor: any DockerCommandExecutor
    /// True when the user chose docker mode (`--mode docker`); false when it is the default.
    public var explicitlyAsked: Bool
    /// The run's name, used to suggest the matching make target.
    public var runName: String
    /// Upper bound for each check command (a `DOCKER_HOST` that does not answer must not hang the run).
    public var commandTimeout: Duration

    /// Creates the pre-flight.
    public init(
        executor: any DockerCommandExecutor, explicitlyAsked: Bool, runName: String,
        commandTimeout: Duration = .seconds(15)
    ) {
        self.executor = executor
        self.explicitlyAsked = explicitlyAsked
        self.runName = runName
        self.commandTimeout = commandTimeout
    }

    /// What the tool checks found.
    public struct Tools: Sendable, Equatable {
        /// The docker CLI's path.
        public var docker: String
        /// The engine's version (`docker info`).
        public var engineVersion: String
        /// Compose's version, e.g. `v2.29.7`.
        public var composeVersion: String
    }

    /// Checks the CLI, the engine and compose v2, in that order.
    public func checkTools() async throws -> Tools {
        guard let docker = executor.locateDocker() else {
            throw missing(
                "docker mode needs the docker CLI and there is none in PATH: install Docker Engine with the compose v2 plugin (https://docs.docker.com/engine/install/)"
            )
        }
        let info = try await executor.run(
            DockerCompose.info, environment: [:], timeout: commandTimeout, outputFile: nil)
        guard info.succeeded else {
            throw missing(
                "the Docker engine is not reachable (docker info: \(info.reason)): start it (sudo systemctl start docker), or check DOCKER_HOST and that your user may use the docker socket"
            )
        }
        let version = try await executor.run(
            DockerCompose.composeVersion, environment: [:], timeout: commandTimeout, outputFile: nil)
        let install =
            "install the docker-compose-plugin package from Docker's apt repository (https://docs.docker.com/compose/install/linux/); the Python docker-compose 1.x is not supported"
        guard version.succeeded else {
            throw missing("docker compose v2 is not installed (docker compose version: \(version.reason)): \(install)")
        }
        guard let (major, text) = DockerCompose.parseComposeVersion(version.stdout) else {
            throw missing(
                "docker compose version printed no version number (\(version.reason)): docker mode needs compose v2; \(install)"
            )
        }
        guard major >= 2 else {
            throw missing("docker compose is \(text), but docker mode needs compose v2 (v2.x): \(install)")
        }
        return Tools(
            docker: docker, engineVersion: info.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            composeVersion: text)
    }

    /// Fails when a port is taken by anything other than `compose`'s own stack.
    ///
    /// - Parameters:
    ///   - ports: the host ports the stack publishes.
    ///   - compose: this project's stack; its containers may hold the ports (the run removes them first).
    ///   - isFree: whether a port can be bound on 127.0.0.1 now.
    ///   - holder: the process listening on a port (from `ss -ltnp`), when it can be told.
    public func checkPorts(
        _ ports: [HostPort], compose: DockerCompose, isFree: @Sendable (Int) -> Bool = PortProbe.isFree,
        holder: @Sendable (Int) async -> String? = { await PortProbe.holder(of: $0) }
    ) async throws {
        let taken = ports.filter { !isFree($0.port) }
        if taken.isEmpty { return }
        let ps = try await executor.run(compose.ps, environment: [:], timeout: commandTimeout, outputFile: nil)
        let ours = Set(ps.succeeded ? DockerCompose.parseContainers(ps.stdout).flatMap(\.publishedPorts) : [])
        for port in taken where !ours.contains(port.port) {
            var by = ""
            let names = try await executor.run(
                DockerCompose.containersPublishing(port.port), environment: [:], timeout: commandTimeout,
                outputFile: nil)
            let containers = names.succeeded ? names.stdout.split(whereSeparator: \.isNewline).map(String.init) : []
            if !containers.isEmpty {
                by = " by container \(containers.joined(separator: ", "))"
            } else if let process = await holder(port.port) {
                by = " by \(process)"
            }
            throw LaunchError.badInput(
                "port \(port.port) (\(port.service)) is held\(by), which is not this project's compose stack (\(compose.project)): stop it, or \(port.fix)"
            )
        }
    }

    /// A missing-tool error (exit 14), with the way to run without docker when docker was only the default.
    func missing(_ message: String) -> LaunchError {
        LaunchError.missingTool(
            explicitlyAsked
                ? message : "\(message). Docker mode is the default when no target is given; \(withoutDocker)")
    }

    /// How to run the same job without docker: the make target matching the run, locally or on the emulator.
    public var withoutDocker: String {
        let target = Self.makeTarget(forRun: runName) ?? "bootstrap-200"
        return
            "to run the same job without docker, use a local apiserver (make \(target) APISERVER_BIN=/path/to/apiserver) or the emulator (make demo)"
    }

    /// `bootstrap-200` for a run named after a make target (`bootstrap-N`, `mixed-hot-N`, `mixed-uniform-N`).
    static func makeTarget(forRun run: String) -> String? {
        for prefix in ["bootstrap-", "mixed-hot-", "mixed-uniform-"] where run.hasPrefix(prefix) {
            let n = run.dropFirst(prefix.count)
            if !n.isEmpty, n.allSatisfy(\.isNumber) { return run }
        }
        return nil
    }
}
