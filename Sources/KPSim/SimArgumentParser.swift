import Foundation

/// Parses kp-sim's command line: kube-apiserver's flag style plus `--sim-*` and `--fault-*`.
///
/// Hand-written rather than swift-argument-parser because kp-sim must accept the upstream
/// kube-apiserver flag surface as-is: `--flag=value` and `--flag value`, pflag booleans
/// (`--anonymous-auth`, `--anonymous-auth=false`), the single-dash `-v=2`, and, above all, *any
/// unknown upstream flag* without failing (it is logged instead). ArgumentParser rejects unknown
/// options by design and has no pass-through mode for interleaved unknown `--k v` pairs.
public enum SimArgumentParser {
    /// What a flag does with its value.
    struct Flag: Sendable {
        var name: String
        var value: String  // value name for help; "" for a boolean
        var help: String
        var apply: @Sendable (inout SimConfiguration, String) throws(SimConfigurationError) -> Void
        var isBool: Bool { self.value.isEmpty }
    }

    /// The result of parsing: a configuration, or a request for help/version text.
    public enum Outcome: Sendable {
        case run(SimConfiguration)
        case help(String)
        case version(String)
    }

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``SimConfigurationError`` with one line naming the flag and the fix.
    public static func parse(_ arguments: [String]) throws(SimConfigurationError) -> Outcome {
        var config = SimConfiguration()
        let table = Dictionary(uniqueKeysWithValues: flags.map { ($0.name, $0) })
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help(usage()) }
            if argument == "--version" { return .version("kp-sim \(SimVersion.current)") }
            guard argument.hasPrefix("-"), argument.count > 1 else {
                throw SimConfigurationError(
                    "kp-sim: unexpected argument '\(argument)'; flags take the form --name=value")
            }
            var body = argument.drop(while: { $0 == "-" })
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                inlineValue = String(body[body.index(after: equals)...])
                body = body[..<equals]
            }
            let name = String(body)
            guard let flag = table[name] else {
                // Unknown flag: take `--foo bar` as a value only when the next token is not a flag.
                var value = inlineValue
                if value == nil, index < arguments.count, !arguments[index].hasPrefix("-") {
                    value = arguments[index]
                    index += 1
                }
                config.unknownFlags.append(value.map { "--\(name)=\($0)" } ?? "--\(name)")
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if flag.isBool {
                value = "true"
            } else {
                guard index < arguments.count else {
                    throw SimConfigurationError("--\(name) needs a value: --\(name)=\(flag.value)")
                }
                value = arguments[index]
                index += 1
            }
            try flag.apply(&config, value)
        }
        try validate(config)
        return .run(config)
    }

    static func validate(_ config: SimConfiguration) throws(SimConfigurationError) {
        if (config.tlsCertFile == nil) != (config.tlsPrivateKeyFile == nil) {
            throw SimConfigurationError("--tls-cert-file and --tls-private-key-file must be given together")
        }
        if config.rootControlPlaneName.isEmpty || config.rootControlPlaneName.contains("/") {
            throw SimConfigurationError(
                "--root-control-plane-name: '\(config.rootControlPlaneName)' must be non-empty and contain no '/'")
        }
    }

    static func usage() -> String {
        var lines = [
            "kp-sim \(SimVersion.current): an emulator of the kplane apiserver wire contract (never the real server).",
            "",
            "Usage: kp-sim [--flag=value ...]",
            "Unknown kube-apiserver flags are accepted and logged. See docs/kp-sim.md.",
            "",
        ]
        for flag in flags {
            let spelled = flag.isBool ? "--\(flag.name)" : "--\(flag.name)=\(flag.value)"
            lines.append(
                "  \(spelled.padding(toLength: max(spelled.count, 44), withPad: " ", startingAt: 0)) \(flag.help)")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Value helpers

    static func bool(_ text: String, _ flag: String) throws(SimConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "t", "yes": return true
        case "false", "0", "f", "no": return false
        default: throw SimConfigurationError("--\(flag): '\(text)' is not a boolean; use true or false")
        }
    }

    static func int(_ text: String, _ flag: String, min: Int = 0) throws(SimConfigurationError) -> Int {
        guard let value = Int(text), value >= min else {
            throw SimConfigurationError("--\(flag): '\(text)' is not an integer >= \(min)")
        }
        return value
    }

    static func duration(_ text: String, _ flag: String) throws(SimConfigurationError) -> Duration {
        guard let value = DurationText.parse(text) else {
            throw SimConfigurationError("--\(flag): '\(text)' is not a duration; use e.g. 200ms, 5s or 1m")
        }
        return value
    }

    /// Parses a byte size: plain bytes or with a Ki/Mi/Gi (or K/M/G) suffix.
    static func bytes(_ text: String, _ flag: String) throws(SimConfigurationError) -> Int {
        let suffixes: [(String, Int)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("K", 1000), ("M", 1_000_000), ("G", 1_000_000_000),
        ]
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 { return Int(value * Double(factor)) }
        }
        guard let value = Int(text), value >= 0 else {
            throw SimConfigurationError("--\(flag): '\(text)' is not a byte size; use e.g. 2097152 or 2Mi")
        }
        return value
    }

    static func oneOf(_ text: String, _ flag: String, _ allowed: [String]) throws(SimConfigurationError) -> String {
        guard allowed.contains(text) else {
            throw SimConfigurationError(
                "--\(flag): '\(text)' is not valid; use one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    static func httpStatus(_ text: String, _ flag: String, allowed: [Int]) throws(SimConfigurationError) -> Int {
        guard let value = Int(text), allowed.contains(value) else {
            throw SimConfigurationError(
                "--\(flag): '\(text)' is not supported; use one of \(allowed.map(String.init).joined(separator: ", "))")
        }
        return value
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: - The flag table

    static let flags: [Flag] = [
        Flag(
            name: "etcd-servers", value: "URLS",
            help: "etcd v3 endpoints (http://host:port, comma-separated); unset = in-memory store"
        ) {
            config, value throws(SimConfigurationError) in
            let servers = list(value)
            for server in servers where !server.hasPrefix("http://") {
                throw SimConfigurationError(
                    "--etcd-servers: '\(server)' must be an http:// URL (TLS to etcd is not supported)")
            }
            config.etcdServers = servers
        },
        Flag(name: "etcd-prefix", value: "PREFIX", help: "key prefix in etcd (default /registry)") { config, value in
            config.etcdPrefix = value.hasSuffix("/") && value.count > 1 ? String(value.dropLast()) : value
        },
        Flag(
            name: "cert-dir", value: "DIR",
            help: "where apiserver.crt/apiserver.key are written when no TLS files are given"
        ) {
            config, value in config.certDir = value
        },
        Flag(name: "secure-port", value: "PORT", help: "HTTPS port (0 = any free port; default 6443)") {
            config, value throws(SimConfigurationError) in
            let port = try int(value, "secure-port")
            guard port <= 65535 else {
                throw SimConfigurationError("--secure-port: '\(value)' is not a port (0-65535)")
            }
            config.securePort = port
        },
        Flag(name: "bind-address", value: "IP", help: "listen address; loopback only (default 127.0.0.1)") {
            config, value throws(SimConfigurationError) in
            guard value.hasPrefix("127.") || value == "::1" || value == "localhost" else {
                throw SimConfigurationError(
                    "--bind-address: '\(value)' is not a loopback address; kp-sim listens on 127.0.0.1 or ::1 only")
            }
            config.bindAddress = value == "localhost" ? "127.0.0.1" : value
        },
        Flag(name: "tls-cert-file", value: "FILE", help: "serving certificate (PEM); with --tls-private-key-file") {
            config, value in
            config.tlsCertFile = value
        },
        Flag(name: "tls-private-key-file", value: "FILE", help: "serving key (PEM)") { config, value in
            config.tlsPrivateKeyFile = value
        },
        Flag(name: "token-auth-file", value: "FILE", help: "static token CSV: token,user,uid,\"group1,group2\"") {
            config, value in
            config.tokenAuthFile = value
        },
        Flag(
            name: "anonymous-auth", value: "",
            help: "let unauthenticated clients read /readyz /livez /healthz /version (default true)"
        ) {
            config, value throws(SimConfigurationError) in config.anonymousAuth = try bool(value, "anonymous-auth")
        },
        Flag(
            name: "authorization-mode", value: "MODES",
            help: "accepted (RBAC, AlwaysAllow, ...); every valid token is allowed everything"
        ) {
            config, value throws(SimConfigurationError) in
            let modes = list(value)
            for mode in modes where !["AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node"].contains(mode) {
                throw SimConfigurationError(
                    "--authorization-mode: unknown mode '\(mode)'; use RBAC, AlwaysAllow, Node, Webhook or ABAC")
            }
            config.authorizationModes = modes
        },
        Flag(
            name: "service-account-key-file", value: "FILE",
            help: "must be a readable PEM key (checked, otherwise unused)"
        ) { config, value in
            config.serviceAccountKeyFiles.append(value)
        },
        Flag(
            name: "service-account-signing-key-file", value: "FILE",
            help: "must be a readable PEM private key (checked, otherwise unused)"
        ) {
            config, value in config.serviceAccountSigningKeyFile = value
        },
        Flag(name: "service-account-issuer", value: "ISSUER", help: "accepted") { config, value in
            config.serviceAccountIssuer = value
        },
        Flag(name: "api-audiences", value: "LIST", help: "accepted") { config, value in
            config.apiAudiences = list(value)
        },
        Flag(name: "allow-privileged", value: "", help: "accepted") { config, value throws(SimConfigurationError) in
            config.allowPrivileged = try bool(value, "allow-privileged")
        },
        Flag(name: "service-cluster-ip-range", value: "CIDR", help: "accepted") { config, value in
            config.serviceClusterIPRange = value
        },
        Flag(
            name: "service-cidr-sharing-mode", value: "MODE",
            help: "shared | per-cluster (accepted, no ServiceCIDR objects are made)"
        ) {
            config, value throws(SimConfigurationError) in
            config.serviceCIDRSharingMode = try oneOf(value, "service-cidr-sharing-mode", ["shared", "per-cluster"])
        },
        Flag(
            name: "kubernetes-service-mode", value: "MODE",
            help: "shared | per-cluster-autoip (accepted, no Service objects are made)"
        ) {
            config, value throws(SimConfigurationError) in
            config.kubernetesServiceMode = try oneOf(
                value, "kubernetes-service-mode", ["shared", "per-cluster-autoip"])
        },
        Flag(
            name: "root-control-plane-name", value: "NAME",
            help: "the cluster served at un-prefixed paths (default root)"
        ) { config, value in
            config.rootControlPlaneName = value
        },
        Flag(name: "enable-aggregator-routing", value: "", help: "accepted") {
            config, value throws(SimConfigurationError) in
            config.enableAggregatorRouting = try bool(value, "enable-aggregator-routing")
        },
        Flag(name: "v", value: "LEVEL", help: "log verbosity: 0-2 info, 3+ one line per request, 6+ trace") {
            config, value throws(SimConfigurationError) in
            config.verbosity = try int(value, "v")
        },
        // Emulator flags
        Flag(
            name: "sim-ready-delay", value: "DURATION",
            help: "/readyz answers 500 for this long after start, as while post-start hooks run (default 0s)"
        ) {
            config, value throws(SimConfigurationError) in config.readyDelay = try duration(value, "sim-ready-delay")
        },
        Flag(
            name: "sim-namespace-delay", value: "DURATION",
            help: "delay before a new VCP's system namespaces appear (default 200ms)"
        ) {
            config, value throws(SimConfigurationError) in
            config.namespaceDelay = try duration(value, "sim-namespace-delay")
        },
        Flag(
            name: "sim-crd-establish-delay", value: "DURATION",
            help: "delay before a CRD is NamesAccepted+Established (default 300ms)"
        ) {
            config, value throws(SimConfigurationError) in
            config.crdEstablishDelay = try duration(value, "sim-crd-establish-delay")
        },
        Flag(
            name: "sim-vcp-memory-bytes", value: "BYTES",
            help: "malloc'd, written memory each VCP retains (default 2Mi)"
        ) {
            config, value throws(SimConfigurationError) in
            config.vcpMemoryBytes = try bytes(value, "sim-vcp-memory-bytes")
        },
        Flag(
            name: "sim-informer-memory-bytes", value: "BYTES",
            help: "malloc'd, written memory each live informer retains besides its object copies (default 64Ki)"
        ) {
            config, value throws(SimConfigurationError) in
            config.informerMemoryBytes = try bytes(value, "sim-informer-memory-bytes")
        },
        Flag(name: "sim-vcp-tasks", value: "N", help: "long-lived tasks each VCP runs (default 2)") {
            config, value throws(SimConfigurationError) in
            config.vcpTasks = try int(value, "sim-vcp-tasks")
        },
        Flag(
            name: "sim-evict-on-delete", value: "",
            help: "evict a VCP (free its memory, cancel its tasks) when its last CRD is deleted (default false)"
        ) {
            config, value throws(SimConfigurationError) in config.evictOnDelete = try bool(value, "sim-evict-on-delete")
        },
        Flag(name: "sim-vcp-task-interval", value: "DURATION", help: "period of each VCP task's loop (default 10s)") {
            config, value throws(SimConfigurationError) in
            let interval = try duration(value, "sim-vcp-task-interval")
            guard interval > .zero else { throw SimConfigurationError("--sim-vcp-task-interval: must be > 0") }
            config.vcpTaskInterval = interval
        },
        Flag(name: "sim-seed", value: "N", help: "seed for fault decisions (default: system random)") {
            config, value throws(SimConfigurationError) in
            guard let seed = UInt64(value) else {
                throw SimConfigurationError("--sim-seed: '\(value)' is not an unsigned integer")
            }
            config.seed = seed
        },
        Flag(
            name: "sim-port-file", value: "FILE",
            help: "write the bound port here once listening (useful with --secure-port=0)"
        ) {
            config, value in config.portFile = value
        },
        Flag(
            name: "sim-watch-history", value: "N",
            help: "watch events kept per resource type, all VCPs together; older → 410 (default 1000)"
        ) {
            config, value throws(SimConfigurationError) in
            config.watchHistory = try int(value, "sim-watch-history", min: 1)
        },
        Flag(
            name: "sim-watch-bookmark-interval", value: "DURATION",
            help: "period of BOOKMARK events on watches that allow them (default 1m)"
        ) {
            config, value throws(SimConfigurationError) in
            let interval = try duration(value, "sim-watch-bookmark-interval")
            guard interval > .zero else {
                throw SimConfigurationError("--sim-watch-bookmark-interval: must be > 0, e.g. 1m")
            }
            config.watchBookmarkInterval = interval
        },
        Flag(
            name: "sim-max-concurrency", value: "N",
            help:
                "serve at most N API requests at once, all VCPs together; the rest wait FIFO (probes and /metrics never wait; default unlimited)"
        ) {
            config, value throws(SimConfigurationError) in
            config.maxConcurrency = try int(value, "sim-max-concurrency", min: 1)
        },
        // Fault flags
        Flag(name: "fault-latency", value: "SPEC", help: "fixed:5ms | uniform:1ms-10ms | lognormal:p50=5ms,p99=50ms") {
            config, value throws(SimConfigurationError) in config.faults.latency = try FaultPlan.parseLatency(value)
        },
        Flag(name: "fault-error-rate", value: "P", help: "probability an API request fails with --fault-error-status") {
            config, value throws(SimConfigurationError) in
            config.faults.errorRate = try FaultPlan.parseRate(value, flag: "--fault-error-rate")
        },
        Flag(name: "fault-error-status", value: "CODE", help: "429, 500 or 503 (default 503)") {
            config, value throws(SimConfigurationError) in
            config.faults.errorStatus = try httpStatus(value, "fault-error-status", allowed: [429, 500, 503])
        },
        Flag(
            name: "fault-stall", value: "SPEC",
            help: "hold all responses: D/P (for D every P) or D@S (once, S after start)"
        ) {
            config, value throws(SimConfigurationError) in config.faults.stall = try FaultPlan.parseStall(value)
        },
        Flag(name: "fault-crash-after", value: "DURATION", help: "exit with status 3 this long after start") {
            config, value throws(SimConfigurationError) in
            config.faults.crashAfter = try duration(value, "fault-crash-after")
        },
        Flag(name: "fault-crash-after-vcps", value: "N", help: "exit with status 3 when the Nth VCP is created") {
            config, value throws(SimConfigurationError) in
            config.faults.crashAfterVCPs = try int(value, "fault-crash-after-vcps", min: 1)
        },
        Flag(
            name: "fault-reset-rate", value: "P",
            help: "probability an API request's stream (HTTP/2) or connection (HTTP/1.1) is reset"
        ) {
            config, value throws(SimConfigurationError) in
            config.faults.resetRate = try FaultPlan.parseRate(value, flag: "--fault-reset-rate")
        },
        Flag(name: "fault-metrics-delay", value: "DURATION", help: "delay every /metrics response") {
            config, value throws(SimConfigurationError) in
            config.faults.metricsDelay = try duration(value, "fault-metrics-delay")
        },
        Flag(name: "fault-metrics-malformed", value: "", help: "serve /metrics with malformed lines") {
            config, value throws(SimConfigurationError) in
            config.faults.metricsMalformed = try bool(value, "fault-metrics-malformed")
        },
        Flag(name: "fault-pprof-status", value: "CODE", help: "answer /debug/pprof/* with this status (400-599)") {
            config, value throws(SimConfigurationError) in
            config.faults.pprofStatus = try httpStatus(value, "fault-pprof-status", allowed: Array(400...599))
        },
        Flag(
            name: "fault-arm-file", value: "FILE",
            help: "faults stay dormant until FILE exists; stall and crash-after times count from then"
        ) {
            config, value throws(SimConfigurationError) in
            guard !value.isEmpty else {
                throw SimConfigurationError("--fault-arm-file: give a file path, e.g. /tmp/run/arm")
            }
            config.faults.armFile = value
        },
    ]
}

/// The emulator's version, sent in every response as `X-KP-Sim`.
public enum SimVersion {
    /// The version string.
    public static let current = "0.1.0"
}
