import ArgumentParser
import KPCLI
import Logging

/// `kp-launch up`'s flags: the target's mode and its settings per mode.
///
/// ``validate()`` checks the values alone (no files, no environment), so kp-run can parse the
/// arguments it plans to pass before the run starts; ``configuration(environment:logger:)`` then
/// merges the seed's environment variables and checks what depends on the resolved mode.
public struct LaunchUpOptions: ParsableArguments, Sendable {
    // MARK: run and mode
    @Option(
        name: [.customLong("run-dir"), .customLong("run")],
        help: ArgumentHelp(
            "Run directory, e.g. out/demo (created if absent).", valueName: "dir"))
    public var runDir: String

    @Option(
        help: ArgumentHelp(
            "Target mode: sim, local, url or docker (default: implied by the other flags).", valueName: "mode"))
    public var mode: LaunchMode?

    @Flag(help: "Run the bundled emulator kp-sim (same as --mode sim).")
    public var sim = false

    @Option(
        help: ArgumentHelp(
            "HTTPS port for the target (sim/local: default a free loopback port; docker: 6443).", valueName: "port")
    )
    public var port: Int?

    @Option(
        help: ArgumentHelp("How long to wait for /readyz to answer 200 (default: 60s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var readyTimeout = DurationArgument(.seconds(60), text: "60s")

    @Option(
        help: ArgumentHelp(
            "After ready, declare the run stalled (exit 11) when /readyz gets no answer for this long, e.g. 10s (default: off).",
            valueName: "duration"), transform: DurationArgument.transform)
    public var stallTimeout: DurationArgument?

    @Option(
        name: .customLong("apiserver-arg"),
        help: ArgumentHelp(
            "Extra target argument, appended after the contract flags (repeatable), e.g. --apiserver-arg=--max-requests-inflight=800.",
            valueName: "arg"))
    public var apiserverArgs: [String] = []

    // MARK: sim
    @Option(help: ArgumentHelp("kp-sim binary (default: kp-sim next to kp-launch).", valueName: "path"))
    public var simBin: String?

    @Option(
        name: .customLong("sim-arg"),
        help: ArgumentHelp(
            "Extra kp-sim argument (repeatable), e.g. --sim-arg=--fault-latency=fixed:5ms.", valueName: "arg"))
    public var simArgs: [String] = []

    @Flag(
        help:
            "Start a throw-away etcd for kp-sim as local mode does (unless etcd endpoints are given), so its objects survive kp-launch restart."
    )
    public var simEtcd = false

    // MARK: local
    @Option(
        help: ArgumentHelp(
            "Prebuilt kplane apiserver binary; selects local mode. Env: APISERVER_BIN.", valueName: "path"))
    public var apiserverBin: String?

    @Option(
        help: ArgumentHelp(
            "kplane-dev/apiserver checkout, built with go build on first use and when its git HEAD changes; selects local mode. Env: APISERVER_DIR.",
            valueName: "dir"))
    public var apiserverDir: String?

    @Option(
        help: ArgumentHelp(
            "etcd client URLs (comma-separated) for local/sim mode (default: none; local mode then starts a throw-away etcd). Env: ETCD_ENDPOINTS, which wins over this flag.",
            valueName: "urls"))
    public var etcdEndpoints: String?

    @Option(help: ArgumentHelp("etcd binary for the throw-away etcd (default: etcd from PATH).", valueName: "path"))
    public var etcdBin: String?

    // MARK: url
    @Option(
        help: ArgumentHelp(
            "An apiserver that already runs, e.g. https://127.0.0.1:6443; selects url mode. Env: APISERVER_URL. With --mode docker: the compose stack's apiserver base URL (default: \(LaunchConfiguration.defaultDockerURL)).",
            valueName: "url"))
    public var apiserverURL: String?

    @Option(help: ArgumentHelp("File holding the bearer token (url mode). Env: TOKEN_FILE.", valueName: "file"))
    public var tokenFile: String?

    @Option(help: ArgumentHelp("PEM CA bundle verifying the server (url mode). Env: CA_FILE.", valueName: "file"))
    public var caFile: String?

    @Flag(help: "Do not verify the server's TLS certificate (url mode; explicit, and recorded).")
    public var insecureSkipTLSVerify = false

    @Option(
        help: ArgumentHelp(
            "kubeconfig whose current context gives the server, CA and token (url mode). The KUBECONFIG variable is not read.",
            valueName: "file"))
    public var kubeconfig: String?

    // MARK: docker
    @Option(
        help: ArgumentHelp(
            "apiserver image for docker mode (default: \(LaunchConfiguration.defaultImage)). Env: APISERVER_IMAGE.",
            valueName: "image"))
    public var apiserverImage: String?

    @Option(
        help: ArgumentHelp(
            "Compose file for docker mode (default: \(LaunchConfiguration.defaultComposeFile)). Env: COMPOSE_FILE.",
            valueName: "file"))
    public var composeFile: String?

    @Option(
        help: ArgumentHelp(
            "When docker mode pulls images: always (the default), missing, or never (bench a locally built image).",
            valueName: "policy"))
    public var pull: DockerPullPolicy?

    // MARK: output
    @Flag(name: .shortAndLong, help: "Log debug detail on stderr.")
    public var verbose = false

    @Flag(name: .shortAndLong, help: "Only log warnings and errors on stderr.")
    public var quiet = false

    public init() {}

    /// Checks the flags' values on their own: no file, environment variable or clock is read.
    public func validate() throws {
        if sim, let mode, mode != .sim {
            throw ValidationError("--sim and --mode \(mode.rawValue) exclude each other: drop one")
        }
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port \(port) is not a TCP port: give 1-65535, or omit it to pick a free port")
        }
        if readyTimeout.duration <= .zero {
            throw ValidationError("--ready-timeout must be more than 0s, e.g. 60s")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
        if let stallTimeout, stallTimeout.duration <= .zero {
            throw ValidationError(
                "--stall-timeout must be more than 0s, e.g. 10s (omit it to switch the stall watch off)")
        }
    }

    /// The launch these flags and `environment` ask for: a flag wins over its variable, except
    /// `ETCD_ENDPOINTS` (logged on `logger` when it replaces `--etcd-endpoints`).
    ///
    /// Throws a one-line ``LaunchError`` (exit 2) when `--pull` is given outside docker mode.
    public func configuration(environment env: [String: String], logger: Logger) throws -> LaunchConfiguration {
        func fromEnv(_ flag: String?, _ name: String) -> String? {
            LaunchEnvironment.flagFirst(flag, name, in: env)
        }
        var c = LaunchConfiguration(runDir: runDir)
        c.explicitMode = sim ? .sim : mode
        c.port = port
        c.readyTimeout = readyTimeout.duration
        c.stallTimeout = stallTimeout?.duration
        c.apiserverArgs = apiserverArgs
        c.simBin = simBin
        c.simArgs = simArgs
        c.simEtcd = simEtcd
        c.apiserverBin = fromEnv(apiserverBin, "APISERVER_BIN")
        c.apiserverDir = fromEnv(apiserverDir, "APISERVER_DIR")
        let etcd = LaunchEnvironment.etcdEndpoints(flag: etcdEndpoints, environment: env)
        c.etcdEndpoints = etcd.value
        if let overridden = etcd.overridden { logger.notice("\(overridden)") }
        c.etcdBin = etcdBin
        if c.explicitMode == .docker, let apiserverURL {
            c.dockerURL = apiserverURL  // the seed's docker-mode --apiserver-url
        } else {
            c.apiserverURL = fromEnv(apiserverURL, "APISERVER_URL")
        }
        c.tokenFile = tokenFile
        c.caFile = caFile
        c.insecureSkipTLSVerify = insecureSkipTLSVerify
        c.kubeconfig = kubeconfig
        // TOKEN_FILE and CA_FILE only describe a url-mode server; in other modes they are ignored.
        if (try? c.resolveMode()) == .url {
            c.tokenFile = fromEnv(tokenFile, "TOKEN_FILE")
            c.caFile = fromEnv(caFile, "CA_FILE")
        }
        if let image = fromEnv(apiserverImage, "APISERVER_IMAGE") { c.apiserverImage = image }
        if let compose = fromEnv(composeFile, "COMPOSE_FILE") { c.composeFile = compose }
        if let pull {
            // A flag that exists works: outside docker mode nothing is pulled, so --pull would be silently void.
            let resolved = try? c.resolveMode()
            if let resolved, resolved != .docker {
                throw LaunchError(
                    "--pull applies to docker mode only (this launch is \(resolved.rawValue) mode): drop --pull",
                    exitCode: .badInput)
            }
            c.pullPolicy = pull
        }
        return c
    }
}

extension LaunchMode: ExpressibleByArgument {}
extension DockerPullPolicy: ExpressibleByArgument {}
