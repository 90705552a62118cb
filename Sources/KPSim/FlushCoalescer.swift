import NIOCore

/// Joins the byte buffers written between two flushes into one write, so TLS seals one record per
/// flush rather than one per buffer.
///
/// Why: NIOHTTP2 writes a frame's 9-byte header and its payload as separate buffers, and
/// NIOSSLHandler seals every buffer as its own TLS record, so without this handler a small GET answer
/// leaves kp-sim as three records (HEADERS, a DATA frame's header, its payload). Go's HTTP/2 server —
/// kplane's — writes frames into a `bufio.Writer` and hands TLS one slice per flush: one record for
/// such an answer. A client that reads record by record (OpenSSL without read-ahead, as libcurl uses
/// it: a 5-byte header read, then the body) pays two `recvfrom` calls per record: six per answer
/// against three records (`strace -c` of libcurl at 2 000 Gets/s: 6.4 per request), about two against
/// one. Nothing in swift-nio or swift-nio-ssl coalesces writes, so kp-sim has this handler.
///
/// Sits between `NIOSSLServerHandler` and everything above it. Buffers are joined up to
/// ``maximumBytes`` (one TLS record's plaintext, 16 KiB); a larger pending write goes out unflushed
/// and a new one starts, so big list answers are not copied into one huge buffer. Write promises
/// complete when the joined write does. Unflushed writes are failed if the handler is removed or
/// the channel closes, as NIO does for any unflushed write.
final class FlushCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The most plaintext one TLS record carries (RFC 8446 §5.1).
    static let maximumBytes = 16 * 1024

    private var pending: ByteBuffer?
    /// Whether `pending` is a buffer this handler allocated (safe to append to without a copy-on-write).
    private var pendingOwned = false
    private var promise: EventLoopPromise<Void>?

    init() {}

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = self.unwrapOutboundIn(data)
        if var joined = self.pending {
            if joined.readableBytes + buffer.readableBytes > Self.maximumBytes {
                self.forward(context: context)
                self.pending = buffer
                self.pendingOwned = false
            } else {
                self.pending = nil
                if !self.pendingOwned {
                    // Sized for these two; later parts grow it (a small answer does not take 16 KiB).
                    var owned = context.channel.allocator.buffer(
                        capacity: joined.readableBytes + buffer.readableBytes)
                    owned.writeImmutableBuffer(joined)
                    joined = owned
                    self.pendingOwned = true
                }
                joined.writeImmutableBuffer(buffer)
                self.pending = joined
            }
        } else {
            self.pending = buffer
            self.pendingOwned = false
        }
        if let promise {
            if let held = self.promise {
                held.futureResult.cascade(to: promise)
            } else {
                self.promise = promise
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        self.forward(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .input { self.failPending(ChannelError.ioOnClosedChannel) }
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failPending(ChannelError.ioOnClosedChannel)
    }

    /// Passes the joined buffer on (without a flush) with the promise that stands for its parts.
    private func forward(context: ChannelHandlerContext) {
        guard let buffer = self.pending else { return }
        let promise = self.promise
        self.pending = nil
        self.promise = nil
        self.pendingOwned = false
        context.write(self.wrapOutboundOut(buffer), promise: promise)
    }

    private func failPending(_ error: any Error) {
        self.pending = nil
        self.pendingOwned = false
        let promise = self.promise
        self.promise = nil
        promise?.fail(error)
    }
}
