import NIOCore

/// Counts inbound HTTP/2 RST_STREAM frames by reading frame headers off the decrypted byte stream.
///
/// NIOHTTP2's inline stream multiplexer consumes RST_STREAM frames internally (and silently
/// ignores those for already-closed streams, which is exactly the libcurl pattern to detect), so
/// the count is taken on the wire: this pass-through handler sits between TLS and
/// `NIOHTTP2Handler`, skips the 24-byte client preface, then walks the 9-byte frame headers
/// (24-bit length, 8-bit type) and counts type 0x3. It never modifies or holds bytes.
final class RSTStreamCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let metrics: RequestMetrics
    private var prefaceRemaining = 24
    private var header: [UInt8] = []
    private var payloadRemaining = 0

    init(metrics: RequestMetrics) {
        self.metrics = metrics
        self.header.reserveCapacity(9)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count {
                if self.prefaceRemaining > 0 {
                    let skip = min(self.prefaceRemaining, bytes.count - index)
                    self.prefaceRemaining -= skip
                    index += skip
                } else if self.payloadRemaining > 0 {
                    let skip = min(self.payloadRemaining, bytes.count - index)
                    self.payloadRemaining -= skip
                    index += skip
                } else {
                    self.header.append(bytes[index])
                    index += 1
                    if self.header.count == 9 {
                        let length = Int(self.header[0]) << 16 | Int(self.header[1]) << 8 | Int(self.header[2])
                        if self.header[3] == 0x3 {
                            self.metrics.rstStreamReceived.wrappingAdd(1, ordering: .relaxed)
                        }
                        self.payloadRemaining = length
                        self.header.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        context.fireChannelRead(data)
    }
}
