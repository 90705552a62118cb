import Foundation
import KPCore
import Logging
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// A failure to start: one line for stderr and the exit status to use.
public struct SimStartError: Error, CustomStringConvertible {
    /// The one-line message.
    public var message: String
    /// 2 for bad input (flags, files), 1 for the environment (port taken, etcd down).
    public var exitCode: Int32

    public var description: String { self.message }
}

/// The running emulator: a TLS listener with a hand-built swift-nio pipeline (NIOSSL → ALPN →
/// HTTP/2 with an inline stream multiplexer and one ``HTTP2StreamHandler`` per stream, or
/// HTTP/1.1) in front of ``SimApplication``.
///
/// Why not Hummingbird (+TLS, +HTTP2), the framework the project would otherwise use: libcurl
/// resets every HTTP/2 stream it has finished, swift-nio-http2's rapid-reset defence then closes the
/// connection with GOAWAY after ~200 resets per 30 s, and Hummingbird's `HTTP2ChannelConfiguration`
/// does not expose `streamResetFrameRateLimit`. Under load that meant errors and reconnects that the
/// real apiserver would not cause (platform notes). This pipeline raises the limit and ends each
/// response with END_STREAM on its last DATA frame; a test shows 50k requests over one connection
/// with zero resets and zero reconnects.
///
/// ```swift
/// var configuration = SimConfiguration()
/// configuration.securePort = 0
/// configuration.certDir = tmp + "/certs"
/// let server = try await SimServer.start(configuration)
/// // https://127.0.0.1:\(server.port)/clusters/c-001/control-plane/readyz
/// await server.shutdown()
/// ```
public final class SimServer: Sendable {
    /// The shared emulator state (metrics, store, VCPs).
    public let context: SimContext
    /// The bound TCP port.
    public let port: Int
    /// The certificate clients should trust (the serving certificate itself).
    public let certificatePath: String
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let etcd: EtcdClient?
    private let crashTimer: Task<Void, Never>?
    private let fleet: FleetController

    private init(
        context: SimContext, port: Int, certificatePath: String, group: MultiThreadedEventLoopGroup,
        serverChannel: any Channel, etcd: EtcdClient?, crashTimer: Task<Void, Never>?, fleet: FleetController
    ) {
        self.context = context
        self.port = port
        self.certificatePath = certificatePath
        self.group = group
        self.serverChannel = serverChannel
        self.etcd = etcd
        self.crashTimer = crashTimer
        self.fleet = fleet
    }

    /// The default crash action: one line on stderr, then exit status 3 without cleanup.
    public static let exitOnCrash: @Sendable (String) -> Void = { reason in
        StandardError.write("kp-sim: injected crash: \(reason)\n")
        exit(3)
    }

    /// Validates inputs, connects to etcd (if configured), binds, and starts serving.
    ///
    /// - Parameters:
    ///   - configuration: what to run.
    ///   - logger: where diagnostics go.
    ///   - onCrash: what a crash fault does (default: exit 3).
    /// - Throws: ``SimStartError`` with one line naming the input or condition and the fix.
    public static func start(
        _ configuration: SimConfiguration, logger: Logger = Logger(label: "kp-sim"),
        onCrash: @escaping @Sendable (String) -> Void = SimServer.exitOnCrash
    ) async throws(SimStartError) -> SimServer {
        func input<T>(_ body: () throws(SimConfigurationError) -> T) throws(SimStartError) -> T {
            do { return try body() } catch { throw SimStartError(message: error.message, exitCode: 2) }
        }
        let tokens = try input { () throws(SimConfigurationError) in
            try configuration.tokenAuthFile.map(TokenAuthenticator.load(path:)) ?? TokenAuthenticator()
        }
        try input { () throws(SimConfigurationError) in
            for file in configuration.serviceAccountKeyFiles {
                try ServiceAccountKey.check(file, flag: "--service-account-key-file")
            }
            if let file = configuration.serviceAccountSigningKeyFile {
                try ServiceAccountKey.check(file, flag: "--service-account-signing-key-file")
            }
        }
        let certificate: ServingCertificate
        do {
            certificate = try await ServingCertificate.prepare(configuration)
        } catch {
            throw SimStartError(message: error.message, exitCode: 2)
        }
        let tls = try input { () throws(SimConfigurationError) in try certificate.tlsConfiguration() }
        let sslContext: NIOSSLContext
        do {
            sslContext = try NIOSSLContext(configuration: tls)
        } catch {
            throw SimStartError(
                message: "kp-sim: cannot use the serving certificate \(certificate.certificatePath): \(error)",
                exitCode: 2)
        }
        for flag in configuration.unknownFlags {
            logger.info("ignoring unsupported flag", metadata: ["flag": "\(flag)"])
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        var etcd: EtcdClient?
        var etcdRevision: UInt64 = 0
        if !configuration.etcdServers.isEmpty {
            var failures: [String] = []
            for endpoint in configuration.etcdServers {
                do {
                    let client = try EtcdClient(endpoint: endpoint, group: group)
                    etcdRevision = try await client.status()
                    etcd = client
                    break
                } catch {
                    failures.append("\(endpoint): \(error)")
                }
            }
            if etcd == nil {
                try? await group.shutdownGracefully()
                throw SimStartError(
                    message:
                        "kp-sim: etcd is unreachable (\(failures.joined(separator: "; "))); start etcd or fix --etcd-servers",
                    exitCode: 1)
            }
        }

        let context = SimContext(configuration: configuration, tokens: tokens, persistence: etcd, logger: logger)
        // Objects an earlier kp-sim stored under the prefix carry versions at most etcd's revision.
        context.store.advanceResourceVersion(to: etcdRevision)
        let application = SimApplication(context: context, onCrash: onCrash)
        await VirtualControlPlane.bootstrap(cluster: configuration.rootControlPlaneName, context: context)
        let fleet = FleetController(context: context)
        await fleet.start()

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                context.metrics.connectionsAccepted.wrappingAdd(1, ordering: .relaxed)
                context.metrics.connectionsOpen.wrappingAdd(1, ordering: .relaxed)
                channel.closeFuture.whenComplete { _ in
                    context.metrics.connectionsOpen.wrappingSubtract(1, ordering: .relaxed)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    // One TLS record per flush, as Go's server writes (see FlushCoalescer).
                    try channel.pipeline.syncOperations.addHandler(FlushCoalescer())
                    try channel.pipeline.syncOperations.addHandler(
                        ApplicationProtocolNegotiationHandler { result, channel in
                            Self.configureProtocol(result, channel: channel, application: application)
                        })
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: configuration.bindAddress, port: configuration.securePort)
                .get()
        } catch {
            fleet.stop()
            try? await group.shutdownGracefully()
            throw SimStartError(
                message: "kp-sim: cannot listen on \(configuration.bindAddress):\(configuration.securePort): \(error) "
                    + "(is the port taken? choose another --secure-port, or 0 for any free port)", exitCode: 1)
        }
        let port = serverChannel.localAddress?.port ?? configuration.securePort
        context.setBoundPort(port)
        if let portFile = configuration.portFile {
            do {
                try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile))
            } catch {
                fleet.stop()
                try? await serverChannel.close()
                try? await group.shutdownGracefully()
                throw SimStartError(message: "--sim-port-file \(portFile): cannot write it (\(error))", exitCode: 2)
            }
        }
        var crashTimer: Task<Void, Never>?
        if let after = configuration.faults.crashAfter {
            crashTimer = context.tasks.spawn(.faultTimer) {
                do {
                    try await context.faultArming.waitUntilArmed()
                    try await Task.sleep(for: after)
                } catch { return }
                onCrash("--fault-crash-after=\(after) elapsed")
            }
        }
        logger.info(
            "serving",
            metadata: [
                "url": "https://\(configuration.bindAddress):\(port)", "version": "\(SimVersion.current)",
                "store": "\(etcd.map { "etcd \($0.endpoint) prefix \(configuration.etcdPrefix)" } ?? "memory")",
                "ca": "\(certificate.certificatePath)",
            ])
        return SimServer(
            context: context, port: port, certificatePath: certificate.certificatePath, group: group,
            serverChannel: serverChannel, etcd: etcd, crashTimer: crashTimer, fleet: fleet)
    }

    private static func configureProtocol(_ result: ALPNResult, channel: any Channel, application: SimApplication)
        -> EventLoopFuture<Void>
    {
        channel.eventLoop.makeCompletedFuture {
            switch result {
            case .negotiated("h2"):
                var connection = NIOHTTP2Handler.ConnectionConfiguration()
                connection.initialSettings = [
                    HTTP2Setting(parameter: .maxConcurrentStreams, value: 1000),
                    HTTP2Setting(parameter: .maxHeaderListSize, value: HPACKDecoder.defaultMaxHeaderListSize),
                    HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
                ]
                connection.maximumConnectionGlitches = 1 << 30
                connection.targetWindowSize = 8 << 20
                var stream = NIOHTTP2Handler.StreamConfiguration()
                // libcurl resets streams it has fully read; never treat that as an attack (platform notes).
                // NIOHTTP2 preallocates one timestamp slot per permitted event, so the limit is a rate
                // (10,000 per 250 ms = 40,000 resets/s, far above what one client can send) rather
                // than an "infinite" count, which would reserve gigabytes per connection.
                stream.streamResetFrameRateLimit.maximumCount = 10_000
                stream.streamResetFrameRateLimit.windowLength = .milliseconds(250)
                stream.streamErrorRateLimit.maximumCount = 10_000
                stream.streamErrorRateLimit.windowLength = .milliseconds(250)
                stream.targetWindowSize = 1 << 20
                try channel.pipeline.syncOperations.addHandler(RSTStreamCounter(metrics: application.context.metrics))
                _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .server, connectionConfiguration: connection, streamConfiguration: stream
                ) { streamChannel in
                    streamChannel.eventLoop.makeCompletedFuture {
                        try streamChannel.pipeline.syncOperations.addHandler(
                            HTTP2StreamHandler(application: application))
                    }
                }
            default:
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(HTTP1Handler(application: application))
            }
        }
    }

    /// Stops accepting, ends watches and VCP tasks, waits up to 2 s for in-flight requests, and releases resources.
    public func shutdown() async {
        self.crashTimer?.cancel()
        self.fleet.stop()
        try? await self.serverChannel.close()
        self.context.registry.stopAll()
        self.context.informers.stopAll()
        self.context.store.finishWatches()
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline, (self.context.tasks.snapshot()[.requestHandler] ?? 0) > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        self.etcd?.close()
        try? await self.group.shutdownGracefully()
    }
}
