import Foundation
import KPCore
import KPRecords
import Yams

/// The subset of a kubeconfig kp-launch reads and writes: clusters, users with a bearer token
/// (inline or by file), contexts and the current context.
///
/// kp-launch writes kubeconfigs that name the token *file* (`tokenFile:`), never the token, so a
/// kubeconfig can be shown or shared without leaking the credential.
public struct Kubeconfig: Codable, Sendable, Equatable {
    /// A named entry of `clusters`, `users` or `contexts`.
    public struct Named<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
        public var name: String
        public var value: Value

        public init(name: String, value: Value) {
            self.name = name
            self.value = value
        }

        enum ClusterKeys: String, CodingKey { case name, cluster, user, context }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: ClusterKeys.self)
            name = try c.decode(String.self, forKey: .name)
            for key in [ClusterKeys.cluster, .user, .context] where c.contains(key) {
                value = try c.decode(Value.self, forKey: key)
                return
            }
            throw DecodingError.keyNotFound(
                ClusterKeys.cluster, .init(codingPath: c.codingPath, debugDescription: "entry \(name) has no body"))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: ClusterKeys.self)
            try c.encode(name, forKey: .name)
            let key: ClusterKeys = Value.self == Cluster.self ? .cluster : (Value.self == User.self ? .user : .context)
            try c.encode(value, forKey: key)
        }
    }

    /// How to reach a server.
    public struct Cluster: Codable, Sendable, Equatable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        /// The name the server's certificate is checked against instead of the server URL's host.
        public var tlsServerName: String?

        public init(
            server: String?, certificateAuthority: String? = nil, certificateAuthorityData: String? = nil,
            insecureSkipTLSVerify: Bool? = nil, tlsServerName: String? = nil
        ) {
            self.server = server
            self.certificateAuthority = certificateAuthority
            self.certificateAuthorityData = certificateAuthorityData
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.tlsServerName = tlsServerName
        }

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    /// Credentials: kp-bench uses bearer tokens only.
    public struct User: Codable, Sendable, Equatable {
        public var token: String?
        public var tokenFile: String?

        public init(token: String? = nil, tokenFile: String? = nil) {
            self.token = token
            self.tokenFile = tokenFile
        }
    }

    /// A cluster/user pair.
    public struct Context: Codable, Sendable, Equatable {
        public var cluster: String
        public var user: String

        public init(cluster: String, user: String) {
            self.cluster = cluster
            self.user = user
        }
    }

    public var apiVersion: String? = "v1"
    public var kind: String? = "Config"
    public var clusters: [Named<Cluster>]?
    public var users: [Named<User>]?
    public var contexts: [Named<Context>]?
    public var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, clusters, users, contexts
        case currentContext = "current-context"
    }

    /// A kubeconfig with one cluster, user and context, all called `name`, as the current context.
    public init(
        name: String, server: String, caFile: String?, insecureSkipTLSVerify: Bool, tokenFile: String,
        tlsServerName: String? = nil
    ) {
        clusters = [
            Named(
                name: name,
                value: Cluster(
                    server: server, certificateAuthority: insecureSkipTLSVerify ? nil : caFile,
                    insecureSkipTLSVerify: insecureSkipTLSVerify ? true : nil,
                    tlsServerName: insecureSkipTLSVerify ? nil : tlsServerName))
        ]
        users = [Named(name: name, value: User(tokenFile: tokenFile))]
        contexts = [Named(name: name, value: Context(cluster: name, user: name))]
        currentContext = name
    }

    /// The kubeconfig for a run's root cluster: context `kp-bench-<run>`, server = the endpoint URL.
    public static func root(for endpoint: EndpointRecord, runName: String) -> Kubeconfig {
        Kubeconfig(
            name: "kp-bench-\(runName)", server: endpoint.url, caFile: endpoint.caFile,
            insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify, tokenFile: endpoint.tokenFile,
            tlsServerName: endpoint.tlsServerName)
    }

    /// The kubeconfig for VCP `cluster` of a run, named `kplane-<cluster>` as the kplane CLI names
    /// it, with server `<url>/clusters/<cluster>/control-plane` (contract §7).
    public static func virtualControlPlane(_ cluster: String, endpoint: EndpointRecord) -> Kubeconfig {
        Kubeconfig(
            name: "kplane-\(cluster)", server: "\(endpoint.url)/clusters/\(cluster)/control-plane",
            caFile: endpoint.caFile,
            insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify, tokenFile: endpoint.tokenFile,
            tlsServerName: endpoint.tlsServerName)
    }

    /// True for a VCP name the server routes: `^[A-Za-z0-9][A-Za-z0-9_.-]*$` (kplane's OpenAPI pattern).
    public static func isValidClusterName(_ name: String) -> Bool {
        ClusterNames.isRoutable(name)
    }

    /// YAML text.
    public func yaml() throws -> String {
        try YAMLEncoder().encode(self)
    }

    /// Parses kubeconfig YAML (or JSON, which is YAML).
    public static func parse(_ text: String) throws -> Kubeconfig {
        try YAMLDecoder().decode(Kubeconfig.self, from: text)
    }

    /// What url mode needs from a kubeconfig's current context.
    public struct Resolved: Sendable, Equatable {
        public var server: String
        /// CA path, made absolute against the kubeconfig's directory.
        public var caFile: String?
        /// Base64 CA bundle (`certificate-authority-data`).
        public var caData: String?
        public var insecureSkipTLSVerify: Bool
        /// Inline token; written to a 0600 file by the caller.
        public var token: String?
        /// Token file, made absolute against the kubeconfig's directory.
        public var tokenFile: String?
    }

    /// Resolves the current context of the kubeconfig at `path`.
    ///
    /// - Throws: ``LaunchError`` (exit 2) naming the file and what is missing.
    public static func resolveCurrentContext(path: String) throws -> Resolved {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LaunchError.badInput("--kubeconfig \(path) is not readable: check the path and its permissions")
        }
        let config: Kubeconfig
        do {
            config = try parse(text)
        } catch {
            throw LaunchError.badInput(
                "--kubeconfig \(path) is not a kubeconfig (YAML parse failed: \(String(describing: error).split(separator: "\n").first ?? "")): pass a kubeconfig file"
            )
        }
        guard let contextName = config.currentContext, !contextName.isEmpty else {
            throw LaunchError.badInput(
                "--kubeconfig \(path) has no current-context: set one with kubectl config use-context")
        }
        guard let context = config.contexts?.first(where: { $0.name == contextName })?.value else {
            throw LaunchError.badInput("--kubeconfig \(path): current-context \(contextName) is not among its contexts")
        }
        guard let cluster = config.clusters?.first(where: { $0.name == context.cluster })?.value,
            let server = cluster.server
        else {
            throw LaunchError.badInput(
                "--kubeconfig \(path): cluster \(context.cluster) of context \(contextName) is missing or has no server"
            )
        }
        let user = config.users?.first(where: { $0.name == context.user })?.value ?? User()
        let base = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
        func absolute(_ p: String?) -> String? {
            guard let p, !p.isEmpty else { return nil }
            return p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p)
        }
        return Resolved(
            server: server, caFile: absolute(cluster.certificateAuthority), caData: cluster.certificateAuthorityData,
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false, token: user.token,
            tokenFile: absolute(user.tokenFile))
    }
}
