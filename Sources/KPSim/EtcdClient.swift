import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A minimal client for etcd's v3 JSON gateway (`POST /v3/kv/put`, `/v3/kv/range`,
/// `/v3/kv/deleterange`, `/v3/maintenance/status`) over plain HTTP/1.1.
///
/// Hand-built on NIOHTTP1 because KPSim must not use KPHTTP (the client under test) and the
/// gateway needs only four JSON POSTs; a small pool of keep-alive connections carries
/// pipelined requests, answered in order.
public final class EtcdClient: ObjectPersistence {
    /// An etcd call that failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let group: any EventLoopGroup
    private let host: String
    private let port: Int
    private let slots: Mutex<[EventLoopFuture<any Channel>?]>
    private let next = Atomic<Int>(0)
    private let slotCount: Int
    /// The endpoint in use.
    public let endpoint: String

    /// Creates a client for an `http://host:port` endpoint.
    public init(endpoint: String, group: any EventLoopGroup, connections: Int = 4) throws(SimConfigurationError) {
        guard let url = URL(string: endpoint), url.scheme == "http", let host = url.host else {
            throw SimConfigurationError("--etcd-servers: '\(endpoint)' is not an http://host:port URL")
        }
        self.endpoint = endpoint
        self.host = host
        self.port = url.port ?? 2379
        self.group = group
        self.slotCount = max(1, connections)
        self.slots = Mutex(Array(repeating: nil, count: max(1, connections)))
    }

    /// Puts `value` at `key`.
    public func put(key: String, value: [UInt8]) async throws {
        let body: JSONValue = [
            "key": .string(Data(key.utf8).base64EncodedString()), "value": .string(Data(value).base64EncodedString()),
        ]
        try await self.call("/v3/kv/put", body)
    }

    /// Deletes `key`.
    public func delete(key: String) async throws {
        try await self.call("/v3/kv/deleterange", ["key": .string(Data(key.utf8).base64EncodedString())])
    }

    /// Every key under `prefix` with its value, in key order (one `/v3/kv/range` with the prefix's range end).
    public func range(prefix: String) async throws -> [(key: String, value: [UInt8])] {
        let start = Array(prefix.utf8)
        let body: JSONValue = [
            "key": .string(Data(start).base64EncodedString()),
            "range_end": .string(Data(Self.prefixEnd(start)).base64EncodedString()),
        ]
        let response = try JSONValue.parse(try await self.call("/v3/kv/range", body))
        var out: [(key: String, value: [UInt8])] = []
        for kv in response["kvs"]?.arrayValue ?? [] {
            guard let key = kv["key"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                throw Failure(description: "etcd \(self.endpoint)/v3/kv/range answered a key that is not base64")
            }
            let value = kv["value"]?.stringValue.flatMap { Data(base64Encoded: $0) } ?? Data()
            out.append((String(decoding: key, as: UTF8.self), [UInt8](value)))
        }
        return out
    }

    /// The range end that selects every key starting with `prefix` (etcd's `clientv3.GetPrefixRangeEnd`).
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// Checks that etcd answers (`/v3/maintenance/status`); returns its current revision.
    @discardableResult
    public func status() async throws -> UInt64 {
        let response = try JSONValue.parse(try await self.call("/v3/maintenance/status", [:]))
        return response["header"]?["revision"]?.stringValue.flatMap { UInt64($0) } ?? 0
    }

    @discardableResult
    private func call(_ path: String, _ body: JSONValue) async throws -> [UInt8] {
        let channel = try await self.channel()
        let promise = channel.eventLoop.makePromise(of: (Int, [UInt8]).self)
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(self.host):\(self.port)")
        headers.add(name: "content-type", value: "application/json")
        let bytes = body.serialized()
        headers.add(name: "content-length", value: String(bytes.count))
        let call = EtcdCall(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
            body: ByteBuffer(bytes: bytes), promise: promise)
        channel.writeAndFlush(call).cascadeFailure(to: promise)
        let (status, response) = try await promise.futureResult.get()
        guard status == 200 else {
            throw Failure(
                description:
                    "etcd \(self.endpoint)\(path) answered \(status): \(String(decoding: response.prefix(200), as: UTF8.self))"
            )
        }
        return response
    }

    private func channel() async throws -> any Channel {
        let slot = self.next.wrappingAdd(1, ordering: .relaxed).oldValue % self.slotCount
        var lastError: (any Error)?
        for _ in 0..<2 {
            let future: EventLoopFuture<any Channel> = self.slots.withLock { slots in
                if let existing = slots[slot] { return existing }
                let connecting = self.connect()
                slots[slot] = connecting
                return connecting
            }
            do {
                let channel = try await future.get()
                if channel.isActive { return channel }
            } catch {
                lastError = error
            }
            // Dead or failed connection: forget it and try once more.
            self.slots.withLock { slots in
                if let current = slots[slot], current === future { slots[slot] = nil }
            }
        }
        throw Failure(
            description:
                "cannot connect to etcd at \(self.endpoint): \(lastError.map { "\($0)" } ?? "connection closed")")
    }

    private func connect() -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: self.group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(EtcdResponseHandler())
                }
            }
            .connect(host: self.host, port: self.port)
    }

    /// Closes all connections.
    public func close() {
        let futures = self.slots.withLock { slots in
            let all = slots.compactMap { $0 }
            slots = slots.map { _ in nil }
            return all
        }
        for future in futures { future.whenSuccess { $0.close(promise: nil) } }
    }
}

struct EtcdCall: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var promise: EventLoopPromise<(Int, [UInt8])>
}

/// Writes pipelined requests and completes their promises in order as responses arrive.
final class EtcdResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = EtcdCall
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: [EventLoopPromise<(Int, [UInt8])>] = []
    private var status = 0
    private var body: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = self.unwrapOutboundIn(data)
        self.pending.append(call.promise)
        context.write(self.wrapOutboundOut(.head(call.head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(call.body))), promise: nil)
        context.write(self.wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
            self.body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            self.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            if !self.pending.isEmpty { self.pending.removeFirst().succeed((self.status, self.body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(EtcdClient.Failure(description: "etcd connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        let pending = self.pending
        self.pending.removeAll()
        for promise in pending { promise.fail(error) }
    }
}
