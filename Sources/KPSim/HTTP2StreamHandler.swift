import NIOCore
import NIOHPACK
import NIOHTTP2

/// Serves one HTTP/2 stream: collects HEADERS and DATA, runs the application, writes the response.
///
/// Framing rule (see docs/platform notes on libcurl): the response ends with END_STREAM on the
/// last DATA frame, or on HEADERS when there is no body; never with a separate empty DATA frame.
/// Only streamed (watch) bodies, whose last chunk is not known in advance, end with an empty
/// END_STREAM DATA frame.
final class HTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let application: SimApplication
    private var requestHeaders: HPACKHeaders?
    private var body: ByteBuffer?
    private var dispatched = false
    private var task: Task<Void, Never>?

    init(application: SimApplication) {
        self.application = application
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            if self.requestHeaders == nil { self.requestHeaders = headers.headers }
            if headers.endStream { self.dispatch(context: context) }
        case .data(let payload):
            if case .byteBuffer(var buffer) = payload.data {
                if self.body == nil {
                    self.body = buffer
                } else {
                    self.body!.writeBuffer(&buffer)
                }
            }
            if payload.endStream { self.dispatch(context: context) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func dispatch(context: ChannelHandlerContext) {
        guard !self.dispatched, let headers = self.requestHeaders else { return }
        self.dispatched = true
        var method = "GET"
        var target = "/"
        var fields: [String: String] = [:]
        for (name, value, _) in headers {
            switch name {
            case ":method": method = value
            case ":path": target = value
            case _ where name.hasPrefix(":"): break
            default:
                let key = name.lowercased()
                fields[key] = fields[key].map { "\($0), \(value)" } ?? value
            }
        }
        let bodyBytes = self.body.map { Array($0.readableBytesView) } ?? []
        if !bodyBytes.isEmpty {
            self.application.context.allocations.transient(CallSite.requestBodies, bytes: bodyBytes.count)
        }
        let request = SimRequest(method: method, target: target, headers: fields, body: bodyBytes)
        let application = self.application
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        self.task = Task {
            let response = await application.context.tasks.track(.requestHandler) { await application.handle(request) }
            switch response.body {
            case .bytes(let bytes):
                loop.after(response.hold) {
                    let (handler, context) = bound.value
                    handler.writeHead(
                        context: context, response: response, contentLength: bytes.count, endStream: bytes.isEmpty)
                    if !bytes.isEmpty {
                        let buffer = context.channel.allocator.buffer(bytes: bytes)
                        context.write(
                            handler.wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: true))),
                            promise: nil)
                    }
                    context.flush()
                    response.slot?.release()
                }
            case .reset:
                application.context.metrics.rstStreamSent.wrappingAdd(1, ordering: .relaxed)
                loop.after(response.hold) {
                    let (_, context) = bound.value
                    // Closing an open stream channel sends RST_STREAM.
                    context.close(promise: nil)
                    response.slot?.release()
                }
            case .stream(let chunks):
                await response.waitOutHold()
                loop.execute {
                    let (handler, context) = bound.value
                    handler.writeHead(context: context, response: response, contentLength: nil, endStream: false)
                    context.flush()
                    // A watch is long-running: out of --sim-max-concurrency once its head is written.
                    response.slot?.release()
                }
                await application.context.tasks.track(.watchStream) {
                    for await chunk in chunks {
                        loop.execute {
                            let (handler, context) = bound.value
                            let buffer = context.channel.allocator.buffer(bytes: chunk)
                            context.writeAndFlush(
                                handler.wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: false))),
                                promise: nil)
                        }
                    }
                }
                loop.execute {
                    let (handler, context) = bound.value
                    let empty = context.channel.allocator.buffer(capacity: 0)
                    context.writeAndFlush(
                        handler.wrapOutboundOut(.data(.init(data: .byteBuffer(empty), endStream: true))), promise: nil)
                }
            }
        }
    }

    private func writeHead(context: ChannelHandlerContext, response: SimResponse, contentLength: Int?, endStream: Bool)
    {
        var headers = HPACKHeaders()
        headers.add(name: ":status", value: String(response.status))
        for (name, value) in response.headers { headers.add(name: name.lowercased(), value: value) }
        if let contentLength { headers.add(name: "content-length", value: String(contentLength)) }
        context.write(self.wrapOutboundOut(.headers(.init(headers: headers, endStream: endStream))), promise: nil)
    }
}
