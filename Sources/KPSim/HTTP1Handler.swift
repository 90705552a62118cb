import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests (clients that do not negotiate h2); one request at a time per
/// connection, as NIO's pipelining handler delivers them.
final class HTTP1Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let application: SimApplication
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var task: Task<Void, Never>?

    init(application: SimApplication) {
        self.application = application
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = nil
        case .body(var buffer):
            if self.body == nil { self.body = buffer } else { self.body!.writeBuffer(&buffer) }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.dispatch(context: context, head: head)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead) {
        var fields: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            fields[key] = fields[key].map { "\($0), \(value)" } ?? value
        }
        let bodyBytes = self.body.map { Array($0.readableBytesView) } ?? []
        if !bodyBytes.isEmpty {
            self.application.context.allocations.transient(CallSite.requestBodies, bytes: bodyBytes.count)
        }
        let request = SimRequest(method: head.method.rawValue, target: head.uri, headers: fields, body: bodyBytes)
        let keepAlive = head.isKeepAlive
        let version = head.version
        let application = self.application
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        self.task = Task {
            let response = await application.context.tasks.track(.requestHandler) { await application.handle(request) }
            switch response.body {
            case .bytes(let bytes):
                loop.after(response.hold) {
                    let (handler, context) = bound.value
                    var headers = handler.headers(response, keepAlive: keepAlive)
                    headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
                    context.write(
                        handler.wrapOutboundOut(
                            .head(
                                HTTPResponseHead(
                                    version: version, status: .init(statusCode: response.status), headers: headers))),
                        promise: nil)
                    if !bytes.isEmpty {
                        context.write(
                            handler.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))),
                            promise: nil)
                    }
                    handler.end(context: context, keepAlive: keepAlive)
                    response.slot?.release()
                }
            case .reset:
                loop.after(response.hold) {
                    bound.value.1.close(promise: nil)
                    response.slot?.release()
                }
            case .stream(let chunks):
                await response.waitOutHold()
                loop.execute {
                    let (handler, context) = bound.value
                    var headers = handler.headers(response, keepAlive: keepAlive)
                    headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
                    context.writeAndFlush(
                        handler.wrapOutboundOut(
                            .head(
                                HTTPResponseHead(
                                    version: version, status: .init(statusCode: response.status), headers: headers))),
                        promise: nil)
                    // A watch is long-running: out of --sim-max-concurrency once its head is written.
                    response.slot?.release()
                }
                await application.context.tasks.track(.watchStream) {
                    for await chunk in chunks {
                        loop.execute {
                            let (handler, context) = bound.value
                            context.writeAndFlush(
                                handler.wrapOutboundOut(
                                    .body(.byteBuffer(context.channel.allocator.buffer(bytes: chunk)))), promise: nil)
                        }
                    }
                }
                loop.execute {
                    let (handler, context) = bound.value
                    handler.end(context: context, keepAlive: keepAlive)
                }
            }
        }
    }

    private func headers(_ response: SimResponse, keepAlive: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        return headers
    }

    private func end(context: ChannelHandlerContext, keepAlive: Bool) {
        let promise: EventLoopPromise<Void>? = keepAlive ? nil : context.eventLoop.makePromise()
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: promise)
        if let promise {
            let channel = context.channel
            promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
