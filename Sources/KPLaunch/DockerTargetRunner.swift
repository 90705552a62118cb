import Foundation
import KPCore
import Logging

/// Docker mode's settings that are not user flags of their own.
public struct DockerRunnerSettings: Sendable {
    /// `--pull` for `compose up` (kp-launch `--pull`).
    public var pull: DockerPullPolicy = .always
    /// etcd's host port on 127.0.0.1 (`ETCD_PORT`, default 2379).
    public var etcdPort: Int = 2379
    /// How often supervision asks compose for the containers' state.
    public var superviseInterval: Duration = .seconds(2)
    /// How often the serving certificate copy is retried until the apiserver has written it.
    public var certPollInterval: Duration = .milliseconds(200)
    /// Upper bound for quick docker commands (info, ps, cp, inspect).
    public var commandTimeout: Duration = .seconds(15)
    /// Upper bound for `compose up` (it may pull images).
    public var upTimeout: Duration = .seconds(600)
    /// Upper bound for `compose down` and `compose logs`.
    public var downTimeout: Duration = .seconds(120)

    /// The defaults.
    public init() {}
}

/// Docker mode: the kplane apiserver and etcd as containers from `docker/docker-compose.yaml`.
///
/// - ``preflight(_:)``: ``DockerPreflight`` (CLI, engine, compose v2, host ports), then reads the
///   compose file (project name, the apiserver's arguments).
/// - ``start(_:)``: `compose down -v --remove-orphans` (a clean launch, whatever an earlier run left),
///   `compose up -d --pull <policy> --force-recreate` with the run's settings in the environment
///   (``DockerCompose/Variable``), records the image digest (`docker image inspect`) and the
///   apiserver container, and copies the serving certificate out of the container
///   (`compose cp apiserver:/tmp/certs/apiserver.crt`) into `<run>/target/certs/` as soon as the
///   apiserver has written it, so the launcher can verify TLS.
/// - ``supervise()``: polls `compose ps`; a container that is not running ends the run.
/// - ``stop()``: saves `logs/apiserver.log` and `logs/etcd.log` (`compose logs`), then
///   `compose down -v --remove-orphans`.
///
/// The endpoint URL is the seed's `--apiserver-url`, `https://127.0.0.1:<port>` unless given with
/// `--mode docker` (``LaunchConfiguration/dockerEndpoint()``); the published port is bound to
/// 127.0.0.1, so the traffic stays on loopback. Inside the container the apiserver listens on all
/// interfaces, and kube-apiserver's self-signed certificate then names `localhost` (and the
/// container's own address) but not 127.0.0.1 (`SecureServingOptions.MaybeDefaultWithSelfSignedCerts`).
/// The contract's clients skip verification for it (kplane-contract.md §1.2); kp-bench verifies it
/// instead: the endpoint's `tls_server_name` is `localhost`, the kubeconfig's `tls-server-name` too,
/// and kp-bench's own clients verify the chain against the certificate copied out of this
/// container, leaving out only the name check (``KPHTTP/HTTPClientConfiguration/tlsServerName``).
public final class DockerTargetRunner: TargetRunner, @unchecked Sendable {
    public let mode = LaunchMode.docker
    /// The user's settings.
    public let configuration: LaunchConfiguration
    /// Docker mode's own settings.
    public let settings: DockerRunnerSettings
    private let executor: any DockerCommandExecutor

    private struct Prepared {
        var compose: DockerCompose
        var environment: [String: String]
        var targetArgs: [String]
        var files: RunFiles
        var logger: Logger
    }

    private let lock = NSLock()
    private var prepared: Prepared?
    private var stackCreated = false
    private var stopped = false
    private var certCopy: Task<Void, Never>?
    /// What ``start(_:)`` returned (``restart(_:)`` returns it again: the same container and URL).
    private var started: StartedTarget?
    /// True while ``restart(_:)`` restarts the apiserver container, and the number of restarts begun:
    /// supervision does not judge a `compose ps` that overlapped one.
    private var restarting = false
    private var restarts = 0

    /// Creates the runner; `executor` runs docker (the real CLI, or a script in tests).
    public init(
        configuration: LaunchConfiguration, settings: DockerRunnerSettings = DockerRunnerSettings(),
        executor: any DockerCommandExecutor = ProcessDockerExecutor()
    ) {
        self.configuration = configuration
        self.settings = settings
        self.executor = executor
    }

    /// The serving certificate's path inside the apiserver container (`--cert-dir=/tmp/certs`).
    public static let containerCertPath = "/tmp/certs/apiserver.crt"
    /// The host name the apiserver's self-signed certificate names (it binds all interfaces).
    public static let certificateName = "localhost"

    public func preflight(_ context: TargetLaunchContext) async throws {
        if context.port == settings.etcdPort {
            throw LaunchError.badInput(
                "--port \(context.port) is etcd's host port in docker mode: pick another --port, or move etcd with ETCD_PORT"
            )
        }
        let checks = DockerPreflight(
            executor: executor, explicitlyAsked: configuration.explicitMode == .docker, runName: context.files.runName,
            commandTimeout: settings.commandTimeout)
        let tools = try await checks.checkTools()
        let file = try DockerComposeFile.load(configuration.composeFile)
        let override =
            configuration.apiserverArgs.isEmpty ? nil : context.files.runDir + "/docker-compose.override.yaml"
        let compose = DockerCompose(composeFile: file.path, overrideFile: override, project: file.defaultProjectName)
        let environment = DockerCompose.environment(
            image: configuration.apiserverImage, apiserverPort: context.port, etcdPort: settings.etcdPort,
            etcdPrefix: context.etcdPrefix, files: context.files)
        let args = try file.apiserverArguments(environment: environment) + configuration.apiserverArgs
        try await checks.checkPorts(
            [
                .init(
                    port: context.port, service: "apiserver", fix: "give the apiserver another host port with --port"),
                .init(port: settings.etcdPort, service: "etcd", fix: "move etcd to another host port with ETCD_PORT"),
            ], compose: compose)
        context.logger.info(
            "docker mode: engine \(tools.engineVersion), compose \(tools.composeVersion), project \(compose.project), image \(configuration.apiserverImage), --pull \(settings.pull.rawValue)"
        )
        lock.withLock {
            prepared = Prepared(
                compose: compose, environment: environment, targetArgs: ["/apiserver"] + args, files: context.files,
                logger: context.logger)
        }
        if let override {
            try writeOverride(override, composeFile: file)
        }
    }

    public func start(_ context: TargetLaunchContext) async throws -> StartedTarget {
        guard let p = lock.withLock({ prepared }) else {
            throw LaunchError.failure("internal: start called before preflight")
        }
        let files = p.files
        try RunSecrets.makeDirectory(files.certDir, mode: 0o755)
        unlink(files.servingCert)  // an earlier run's certificate must not pass for this one's
        try? FileManager.default.removeItem(atPath: incomingDir(files))

        let cleared = try await runLogged(p.compose.down, p, timeout: settings.downTimeout)
        guard cleared.succeeded else {
            throw LaunchError.failure(
                "docker compose down (clearing any earlier stack) failed: \(cleared.reason); see \(composeLog(files))")
        }
        try lock.withLock {
            if stopped { throw CancellationError() }
            stackCreated = true
        }
        p.logger.info(
            "docker compose up -d --pull \(settings.pull.rawValue) --force-recreate (project \(p.compose.project), image \(configuration.apiserverImage))"
        )
        let up = try await runLogged(p.compose.up(pull: settings.pull), p, timeout: settings.upTimeout)
        guard up.succeeded else {
            let reason = up.reason
            let etcdFailed = reason.contains(DockerComposeFile.etcdService) && reason.lowercased().contains("unhealthy")
            throw LaunchError(
                "docker compose up failed: \(reason); see \(composeLog(files))\(etcdFailed ? " and \(files.logsDir)/etcd.log" : "")",
                exitCode: etcdFailed ? .etcdFailed : .failure)
        }

        var digest: String?
        let inspect = try await executor.run(
            DockerCompose.imageInspect(configuration.apiserverImage), environment: p.environment,
            timeout: settings.commandTimeout, outputFile: nil)
        if inspect.succeeded { digest = DockerCompose.parseImageDigest(inspect.stdout) }
        if digest == nil {
            p.logger.warning(
                "cannot read the digest of \(configuration.apiserverImage) (docker image inspect: \(inspect.reason)); image_digest stays empty"
            )
        }
        let ps = try await executor.run(
            p.compose.ps, environment: p.environment, timeout: settings.commandTimeout, outputFile: nil)
        let container = DockerCompose.parseContainers(ps.stdout).first {
            $0.service == DockerComposeFile.apiserverService
        }?.name

        let copy = Task { [self] in await copyCertificate(p) }
        let keep = lock.withLock { () -> Bool in
            if stopped { return false }
            certCopy = copy
            return true
        }
        if !keep {
            copy.cancel()
            throw CancellationError()
        }
        let url = try configuration.dockerEndpoint().url
        let result = StartedTarget(
            url: url, caFile: files.servingCert,
            tlsServerName: URL(string: url)?.host == Self.certificateName ? nil : Self.certificateName,
            tokenFile: files.tokenFile,
            container: container, image: configuration.apiserverImage, imageDigest: digest,
            composeProject: p.compose.project,
            etcdEndpoints: "http://127.0.0.1:\(settings.etcdPort)", etcdPrefix: context.etcdPrefix, etcdManaged: true,
            targetArgs: p.targetArgs, logFiles: [apiserverLog(files), etcdLog(files), composeLog(files)])
        lock.withLock { started = result }
        return result
    }

    /// `docker compose restart apiserver`: the same container stops and starts again with its flags,
    /// its serving certificate and the etcd container (and its volume) untouched. Both times in the
    /// result are when the command returned (compose does not say when the stop ended).
    public func restart(_ context: TargetLaunchContext) async throws -> RestartedTarget {
        guard
            let (p, previous) = lock.withLock({ () -> (Prepared, StartedTarget)? in
                guard let prepared, let started, !stopped else { return nil }
                restarting = true
                restarts += 1
                return (prepared, started)
            })
        else {
            throw LaunchError.failure("internal: restart called before the stack was started")
        }
        defer { lock.withLock { restarting = false } }
        let result = try await runLogged(
            p.compose.restart(service: DockerComposeFile.apiserverService), p, timeout: settings.upTimeout)
        guard result.succeeded else {
            throw LaunchError.failure(
                "docker compose restart \(DockerComposeFile.apiserverService) failed: \(result.reason); see \(composeLog(p.files))"
            )
        }
        let now = MonotonicClock.now()
        return RestartedTarget(target: previous, stoppedNs: now, startedNs: now)
    }

    public func supervise() async -> TargetFailure? {
        guard let p = lock.withLock({ prepared }) else { return nil }
        var failures = 0
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: settings.superviseInterval)
                let before = lock.withLock { restarting ? -1 : restarts }
                let ps = try await executor.run(
                    p.compose.ps, environment: p.environment, timeout: settings.commandTimeout, outputFile: nil)
                guard ps.succeeded else {
                    failures += 1
                    if failures >= 3 {
                        return TargetFailure(
                            .target,
                            "docker compose ps failed \(failures) times in a row (\(ps.reason)); the Docker engine may have stopped"
                        )
                    }
                    continue
                }
                failures = 0
                if lock.withLock({ restarting || restarts != before }) { continue }
                let containers = DockerCompose.parseContainers(ps.stdout)
                if let failure = Self.failure(in: containers, files: p.files) { return failure }
            } catch {
                return nil  // cancelled
            }
        }
        return nil
    }

    /// The first service of the stack that is not running, as a failure; nil when both run.
    static func failure(in containers: [DockerCompose.Container], files: RunFiles) -> TargetFailure? {
        for (service, component) in [
            (DockerComposeFile.apiserverService, TargetFailure.Component.target),
            (DockerComposeFile.etcdService, .etcd),
        ] {
            let log = "\(files.logsDir)/\(service).log"
            guard let c = containers.first(where: { $0.service == service }) else {
                return TargetFailure(
                    component, "the \(service) container is gone (removed outside kp-launch?); see \(log)")
            }
            if c.state != "running" {
                let how = c.state == "exited" ? "exited with status \(c.exitCode)" : "is \(c.state)"
                return TargetFailure(component, "the \(service) container \(c.name) \(how) unexpectedly; see \(log)")
            }
        }
        return nil
    }

    public func stop() async {
        let (p, created, copy) = lock.withLock { () -> (Prepared?, Bool, Task<Void, Never>?) in
            stopped = true
            defer {
                stackCreated = false
                certCopy = nil
            }
            return (prepared, stackCreated, certCopy)
        }
        copy?.cancel()
        await copy?.value
        guard let p else { return }
        try? FileManager.default.removeItem(atPath: incomingDir(p.files))
        guard created else { return }
        for service in [DockerComposeFile.apiserverService, DockerComposeFile.etcdService] {
            let path = "\(p.files.logsDir)/\(service).log"
            _ = FileManager.default.createFile(atPath: path, contents: nil)  // this run's log only
            let logs = try? await executor.run(
                p.compose.logs(service: service), environment: p.environment, timeout: settings.downTimeout,
                outputFile: path)
            if logs?.succeeded != true {
                p.logger.warning(
                    "could not save the \(service) container's log to \(path) (docker compose logs \(logs.map { "\($0.termination)" } ?? "could not run"))"
                )
            }
        }
        let down = try? await runLogged(p.compose.down, p, timeout: settings.downTimeout)
        if let down, down.succeeded {
            p.logger.info(
                "docker compose down -v: removed project \(p.compose.project) and its etcd volume; logs in \(p.files.logsDir)"
            )
        } else {
            let command = (["docker"] + p.compose.down).joined(separator: " ")
            p.logger.error(
                "docker compose down failed (\(down?.reason ?? "could not run")): remove the stack yourself with: \(command)"
            )
        }
    }

    // MARK: - Internals

    private func composeLog(_ files: RunFiles) -> String { files.logsDir + "/compose.log" }
    private func apiserverLog(_ files: RunFiles) -> String { files.logsDir + "/apiserver.log" }
    private func etcdLog(_ files: RunFiles) -> String { files.logsDir + "/etcd.log" }
    private func incomingDir(_ files: RunFiles) -> String { files.targetDir + "/certs-incoming" }

    /// Runs a compose command and appends the command line and its output to `logs/compose.log`.
    private func runLogged(_ args: [String], _ p: Prepared, timeout: Duration) async throws -> DockerCommandResult {
        let result = try await executor.run(args, environment: p.environment, timeout: timeout, outputFile: nil)
        var text = "$ docker \(args.joined(separator: " "))\n" + result.stdout + result.stderr
        if !text.hasSuffix("\n") { text += "\n" }
        text += "# \(result.timedOut ? "timed out after \(timeout)" : "\(result.termination)")\n"
        if let handle = FileHandle(forWritingAtPath: composeLog(p.files))
            ?? {
                _ = FileManager.default.createFile(atPath: composeLog(p.files), contents: nil)
                return FileHandle(forWritingAtPath: composeLog(p.files))
            }()
        {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        }
        return result
    }

    /// Copies the serving certificate out of the container once the apiserver has written it
    /// completely, then moves it into place atomically (the launcher waits for that file).
    private func copyCertificate(_ p: Prepared) async {
        let incoming = incomingDir(p.files)
        let copied = incoming + "/apiserver.crt"
        let deadline = ContinuousClock.now + configuration.readyTimeout
        var last = "not tried"
        while !Task.isCancelled && ContinuousClock.now < deadline {
            try? FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
            let args = p.compose.copy(
                service: DockerComposeFile.apiserverService, containerPath: Self.containerCertPath, to: incoming)
            if let result = try? await executor.run(
                args, environment: p.environment, timeout: settings.commandTimeout, outputFile: nil)
            {
                if result.succeeded, let pem = try? String(contentsOfFile: copied, encoding: .utf8),
                    Self.isCompletePEM(pem)
                {
                    if rename(copied, p.files.servingCert) == 0 {
                        try? FileManager.default.removeItem(atPath: incoming)
                        p.logger.debug("copied the apiserver's serving certificate to \(p.files.servingCert)")
                        return
                    }
                    last = "cannot move it to \(p.files.servingCert): \(String(cString: strerror(errno)))"
                } else {
                    last = result.succeeded ? "the copied file is not a complete PEM certificate yet" : result.reason
                }
            }
            try? await Task.sleep(for: settings.certPollInterval)
        }
        if !Task.isCancelled {
            p.logger.warning("gave up copying \(Self.containerCertPath) out of the apiserver container: \(last)")
        }
    }

    /// True when `pem` holds at least one certificate and no block is cut off.
    static func isCompletePEM(_ pem: String) -> Bool {
        let begins = pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
        let ends = pem.components(separatedBy: "-----END CERTIFICATE-----").count - 1
        return begins > 0 && begins == ends
            && pem.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("-----END CERTIFICATE-----")
    }

    /// Writes the compose override that appends `--apiserver-arg` values to the apiserver's command.
    private func writeOverride(_ path: String, composeFile: DockerComposeFile) throws {
        // `$` is compose's interpolation character: extra arguments are taken literally.
        let command =
            composeFile.apiserverCommand
            + configuration.apiserverArgs.map { $0.replacingOccurrences(of: "$", with: "$$") }
        let quoted = command.map { "      - " + Self.yamlQuoted($0) }.joined(separator: "\n")
        let text = """
            # Written by kp-launch for this run: the compose file's apiserver command plus --apiserver-arg values.
            services:
              \(DockerComposeFile.apiserverService):
                command:
            \(quoted)

            """
        do {
            try FileOutput.writeAtomically(text, to: path)
        } catch {
            throw LaunchError.badInput("\(error); check that the run directory is writable")
        }
    }

    /// A YAML double-quoted scalar (JSON string syntax is valid YAML).
    static func yamlQuoted(_ s: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]))
            ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}

extension DockerMode: TargetRunnerProvider {
    /// The docker-mode runner; rejects settings that docker mode cannot honour (exit 2).
    ///
    /// Reads `ETCD_PORT` (etcd's host port, default 2379) from the environment, as the compose file does.
    public static func makeRunner(configuration: LaunchConfiguration) throws -> any TargetRunner {
        if configuration.etcdEndpoints != nil {
            throw LaunchError.conflict(
                "--etcd-endpoints/ETCD_ENDPOINTS cannot be used in docker mode (the compose stack runs its own etcd): unset it, or give --apiserver-bin/APISERVER_BIN for local mode"
            )
        }
        _ = try configuration.dockerEndpoint()
        var settings = DockerRunnerSettings()
        settings.pull = configuration.pullPolicy
        if let text = ProcessInfo.processInfo.environment[DockerCompose.Variable.etcdPort], !text.isEmpty {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw LaunchError.badInput("ETCD_PORT=\(text) is not a TCP port: give 1-65535, or unset it for 2379")
            }
            settings.etcdPort = port
        }
        return DockerTargetRunner(configuration: configuration, settings: settings)
    }
}
