import Foundation

/// The docker command lines of docker mode, built from the run's settings; no side effects.
///
/// Every compose command names the file and the project explicitly (`-f <file> -p <project>`),
/// so a `COMPOSE_PROJECT_NAME` or `COMPOSE_FILE` in the user's environment cannot point kp-launch
/// at another stack.
public struct DockerCompose: Sendable, Equatable {
    /// The compose file, absolute.
    public var composeFile: String
    /// An extra file merged after ``composeFile`` (`--apiserver-arg` values), absolute; nil for none.
    public var overrideFile: String?
    /// The compose project name.
    public var project: String

    /// Creates the command builder for one stack.
    public init(composeFile: String, overrideFile: String? = nil, project: String) {
        self.composeFile = composeFile
        self.overrideFile = overrideFile
        self.project = project
    }

    /// `compose -f <file> [-f <override>] -p <project> <arguments>`.
    public func compose(_ arguments: [String]) -> [String] {
        var args = ["compose", "-f", composeFile]
        if let overrideFile { args += ["-f", overrideFile] }
        return args + ["-p", project] + arguments
    }

    /// Removes the stack with its volumes (etcd's data) and any orphan containers.
    public var down: [String] { compose(["down", "-v", "--remove-orphans"]) }

    /// Creates and starts fresh containers, pulling per `pull`.
    public func up(pull: DockerPullPolicy) -> [String] {
        compose(["up", "-d", "--pull", pull.rawValue, "--force-recreate"])
    }

    /// Restarts `service`'s container (stop, then start the same container: its volumes and files stay).
    public func restart(service: String) -> [String] { compose(["restart", service]) }

    /// Every container of the stack, running or not, one JSON object each.
    public var ps: [String] { compose(["ps", "--all", "--format", "json"]) }

    /// Copies `containerPath` out of `service`'s container into the host directory `hostDir` (ending in `/`).
    public func copy(service: String, containerPath: String, to hostDir: String) -> [String] {
        compose(["cp", "\(service):\(containerPath)", hostDir.hasSuffix("/") ? hostDir : hostDir + "/"])
    }

    /// The whole log of `service`, with timestamps.
    public func logs(service: String) -> [String] {
        compose(["logs", "--no-color", "--timestamps", service])
    }

    /// `docker image inspect <image>`: a JSON array with the image's `Id` and `RepoDigests`.
    public static func imageInspect(_ image: String) -> [String] { ["image", "inspect", image] }

    /// `docker info` reduced to the server version: fails when the engine is not reachable.
    public static let info = ["info", "--format", "{{.ServerVersion}}"]

    /// `docker compose version`: prints `Docker Compose version v2.x.y` when the v2 plugin is installed.
    public static let composeVersion = ["compose", "version"]

    /// Containers of any project publishing host `port` (names only).
    public static func containersPublishing(_ port: Int) -> [String] {
        ["ps", "--filter", "publish=\(port)", "--format", "{{.Names}}"]
    }

    // MARK: - Environment

    /// The variables docker/docker-compose.yaml reads.
    public enum Variable {
        public static let image = "APISERVER_IMAGE"
        public static let apiserverPort = "APISERVER_PORT"
        public static let etcdPort = "ETCD_PORT"
        public static let etcdPrefix = "ETCD_PREFIX"
        public static let tokensCSV = "KPBENCH_TOKENS_CSV"
        public static let saKey = "KPBENCH_SA_KEY"
        public static let uid = "KPBENCH_UID"
        public static let gid = "KPBENCH_GID"
        /// Every variable above, in the order they are documented.
        public static let all = [image, apiserverPort, etcdPort, etcdPrefix, tokensCSV, saKey, uid, gid]
    }

    /// The environment a run passes to compose: image, ports, etcd prefix, the run's secret files
    /// and the user the apiserver runs as (kp-launch's own, so the 0600 secrets stay readable).
    public static func environment(
        image: String, apiserverPort: Int, etcdPort: Int, etcdPrefix: String, files: RunFiles,
        uid: UInt32 = getuid(), gid: UInt32 = getgid()
    ) -> [String: String] {
        [
            Variable.image: image,
            Variable.apiserverPort: String(apiserverPort),
            Variable.etcdPort: String(etcdPort),
            Variable.etcdPrefix: etcdPrefix,
            Variable.tokensCSV: files.tokensCSV,
            Variable.saKey: files.saKey,
            Variable.uid: String(uid),
            Variable.gid: String(gid),
        ]
    }

    // MARK: - Parsing docker's answers

    /// One container from `docker compose ps --format json`.
    public struct Container: Sendable, Equatable {
        /// Container name, e.g. `kp-bench-apiserver-1`.
        public var name: String
        /// Compose service, e.g. `apiserver`.
        public var service: String
        /// `running`, `exited`, `created`, `restarting`, …
        public var state: String
        /// Exit code (meaningful once exited).
        public var exitCode: Int
        /// `healthy`, `unhealthy`, `starting`, or empty.
        public var health: String
        /// Host ports the container publishes.
        public var publishedPorts: [Int]
    }

    /// Parses `docker compose ps --format json`: one JSON object per line (compose ≥ 2.21) or one
    /// JSON array (older 2.x). Lines that are not JSON objects are skipped.
    public static func parseContainers(_ output: String) -> [Container] {
        var objects: [[String: Any]] = []
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("["),
            let array = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]]
        {
            objects = array
        } else {
            for line in trimmed.split(whereSeparator: \.isNewline) {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    objects.append(object)
                }
            }
        }
        return objects.map { o in
            let publishers = (o["Publishers"] as? [[String: Any]]) ?? []
            return Container(
                name: o["Name"] as? String ?? "", service: o["Service"] as? String ?? "",
                state: (o["State"] as? String ?? "").lowercased(),
                exitCode: (o["ExitCode"] as? NSNumber)?.intValue ?? 0,
                health: (o["Health"] as? String ?? "").lowercased(),
                publishedPorts: publishers.compactMap { ($0["PublishedPort"] as? NSNumber)?.intValue }.filter { $0 > 0 }
            )
        }
    }

    /// The major version and the version text from `docker compose version` output such as
    /// `Docker Compose version v2.29.7` or `2.29.7`; nil when there is no version number.
    public static func parseComposeVersion(_ output: String) -> (major: Int, text: String)? {
        for word in output.split(whereSeparator: { $0 == " " || $0.isNewline || $0 == "," }) {
            let text = word.hasPrefix("v") ? word.dropFirst() : word[...]
            let parts = text.split(separator: ".")
            if parts.count >= 2, let major = Int(parts[0]), Int(parts[1].prefix(while: \.isNumber)) != nil {
                return (major, String(word))
            }
        }
        return nil
    }

    /// The image's digest from `docker image inspect` output: the registry digest
    /// (`sha256:…` from `RepoDigests`) when the image came from a registry, else its local `Id`.
    public static func parseImageDigest(_ output: String) -> String? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]],
            let image = array.first
        else { return nil }
        if let repoDigest = (image["RepoDigests"] as? [String])?.first, let at = repoDigest.lastIndex(of: "@") {
            return String(repoDigest[repoDigest.index(after: at)...])
        }
        return image["Id"] as? String
    }
}
