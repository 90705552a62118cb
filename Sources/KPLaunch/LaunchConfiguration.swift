import Foundation

/// Everything the user asked kp-launch `up` for, resolved from flags and environment variables.
///
/// Built by the `kp-launch` executable; ``LaunchConfiguration/resolveMode()`` applies the seed's
/// rules (a binary or checkout → local, a URL → url, `--sim` → sim, nothing → docker).
public struct LaunchConfiguration: Sendable {
    /// The run directory, e.g. `out/demo`.
    public var runDir: String
    /// The mode asked for explicitly with `--mode` (or `--sim`); nil means implied by the other settings.
    public var explicitMode: LaunchMode?
    /// HTTPS port for the target; nil picks a free loopback port (sim/local) or 6443 (docker).
    public var port: Int?
    /// How long to wait for `/readyz` = 200.
    public var readyTimeout: Duration = .seconds(60)
    /// After ready: how long the target may leave `/readyz` unanswered before the run is declared
    /// stalled (exit 11); nil switches the stall watch off (see ``StallWatch``).
    public var stallTimeout: Duration?
    /// Time between SIGTERM and SIGKILL when stopping what was started.
    public var stopGrace: Duration = .seconds(5)
    /// Extra target arguments appended after the contract flag set (`--apiserver-arg`, repeated).
    public var apiserverArgs: [String] = []

    // MARK: sim
    /// kp-sim binary; nil looks next to kp-launch's own executable.
    public var simBin: String?
    /// Extra kp-sim arguments, e.g. `--fault-latency=fixed:5ms` (`--sim-arg`, repeated).
    public var simArgs: [String] = []
    /// Give kp-sim a throw-away etcd as local mode has (`--sim-etcd`), unless etcd endpoints are given,
    /// so that its objects are kept in etcd and survive `kp-launch restart`.
    public var simEtcd = false

    // MARK: local
    /// Prebuilt apiserver binary (`--apiserver-bin`, `APISERVER_BIN`).
    public var apiserverBin: String?
    /// apiserver source checkout built with `go build` (`--apiserver-dir`, `APISERVER_DIR`).
    public var apiserverDir: String?
    /// etcd client URLs (`--etcd-endpoints`, `ETCD_ENDPOINTS`); nil in local mode starts a throw-away etcd.
    public var etcdEndpoints: String?
    /// etcd binary for the throw-away etcd; nil searches PATH.
    public var etcdBin: String?

    // MARK: url
    /// An apiserver that already runs (`--apiserver-url`, `APISERVER_URL`).
    public var apiserverURL: String?
    /// Bearer token file for url mode (`--token-file`, `TOKEN_FILE`).
    public var tokenFile: String?
    /// CA bundle for url mode (`--ca-file`, `CA_FILE`).
    public var caFile: String?
    /// Skip TLS verification (url mode only; explicit).
    public var insecureSkipTLSVerify = false
    /// kubeconfig whose current context gives server, CA and token (url mode).
    public var kubeconfig: String?

    // MARK: docker
    /// The seed's default image.
    public static let defaultImage = "kplanedev/apiserver:latest"
    /// The compose file, relative to the repository root.
    public static let defaultComposeFile = "docker/docker-compose.yaml"
    /// The seed's `--apiserver-url` default: where docker mode reaches the compose stack's apiserver.
    public static let defaultDockerURL = "https://127.0.0.1:6443"
    /// apiserver image (`--apiserver-image`, `APISERVER_IMAGE`).
    public var apiserverImage = LaunchConfiguration.defaultImage
    /// Compose file (`--compose-file`, `COMPOSE_FILE`).
    public var composeFile = LaunchConfiguration.defaultComposeFile
    /// When `compose up` pulls images (`--pull always|missing|never`).
    public var pullPolicy = DockerPullPolicy.always
    /// Docker mode's base URL of the apiserver (the seed's `--apiserver-url`, given with `--mode
    /// docker`); nil: `https://127.0.0.1:<port>`, the seed's default. Its port is the published port.
    public var dockerURL: String?

    /// Docker mode's base URL and the host port it implies (the URL's port, else 443 for https), or
    /// a one-line error (exit 2) when it is not an https URL of a server root or disagrees with `--port`.
    public func dockerEndpoint() throws -> (url: String, port: Int) {
        guard let given = dockerURL else {
            let port = port ?? 6443
            return ("https://127.0.0.1:\(port)", port)
        }
        var url = given
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("https://"), let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
            parsed.path.isEmpty, parsed.query == nil
        else {
            throw LaunchError.badInput(
                "--apiserver-url '\(given)' (docker mode) is not the https URL of a server root: write it as https://127.0.0.1:6443"
            )
        }
        let urlPort = parsed.port ?? 443
        if let port, port != urlPort {
            throw LaunchError.conflict(
                "--port \(port) and --apiserver-url \(given) name different ports: docker mode publishes the apiserver on the URL's port, so give one of them"
            )
        }
        return (url, urlPort)
    }

    /// Creates a configuration for `runDir` with every other setting at its default.
    public init(runDir: String) {
        self.runDir = runDir
    }

    /// The mode these settings select, or a one-line error when they conflict (exit 2).
    ///
    /// Never falls back silently: settings that belong to another mode than the one selected are an error.
    public func resolveMode() throws -> LaunchMode {
        var implied: [(LaunchMode, String)] = []
        if apiserverBin != nil { implied.append((.local, "--apiserver-bin/APISERVER_BIN")) }
        if apiserverDir != nil { implied.append((.local, "--apiserver-dir/APISERVER_DIR")) }
        if apiserverURL != nil { implied.append((.url, "--apiserver-url/APISERVER_URL")) }
        if kubeconfig != nil && apiserverURL == nil { implied.append((.url, "--kubeconfig")) }
        if apiserverBin != nil && apiserverDir != nil {
            throw LaunchError.conflict(
                "--apiserver-bin/APISERVER_BIN and --apiserver-dir/APISERVER_DIR exclude each other: give the binary or the checkout"
            )
        }
        let modes = Set(implied.map(\.0))
        if modes.count > 1 {
            let names = implied.map(\.1).joined(separator: " and ")
            throw LaunchError.conflict(
                "\(names) select different modes: give one target (unset the other flag or environment variable)")
        }
        if let explicitMode {
            if let (mode, name) = implied.first, mode != explicitMode {
                throw LaunchError.conflict(
                    "--mode \(explicitMode.rawValue) conflicts with \(name), which selects \(mode.rawValue) mode: drop one of them"
                )
            }
            return explicitMode
        }
        return implied.first?.0 ?? .docker
    }
}
