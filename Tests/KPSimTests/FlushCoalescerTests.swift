import NIOCore
import NIOEmbedded
import Testing

@testable import KPSim

@Suite("FlushCoalescer: one write (so one TLS record) per flush")
struct FlushCoalescerTests {
    static func buffer(_ channel: EmbeddedChannel, _ bytes: [UInt8]) -> ByteBuffer {
        var b = channel.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        return b
    }

    @Test("the buffers written before a flush leave as one buffer, in order, and every write's promise succeeds")
    func joinsWritesUntilFlush() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescer())
        // An HTTP/2 answer as NIOHTTP2 writes it: HEADERS frame, a DATA frame's 9-byte header, its payload.
        let parts: [[UInt8]] = [
            Array(repeating: 1, count: 14), Array(repeating: 2, count: 9), Array(repeating: 3, count: 1274),
        ]
        var promises: [EventLoopFuture<Void>] = []
        for part in parts {
            let p = channel.eventLoop.makePromise(of: Void.self)
            channel.write(Self.buffer(channel, part), promise: p)
            promises.append(p.futureResult)
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing leaves before the flush")
        channel.flush()
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(out.readableBytesView) == parts.flatMap { $0 })
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "one buffer per flush")
        for f in promises { try f.wait() }
        // A lone write passes through as it is.
        channel.writeAndFlush(Self.buffer(channel, [7, 7]), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [7, 7])
        #expect(try channel.finish().isClean)
    }

    @Test("more than one TLS record's worth (16 KiB) is split at write boundaries, nothing lost or reordered")
    func splitsAtTheRecordSize() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescer())
        let parts: [[UInt8]] = (0..<5).map { Array(repeating: UInt8($0), count: 6000) }
        for part in parts { channel.write(Self.buffer(channel, part), promise: nil) }
        channel.flush()
        var outs: [[UInt8]] = []
        while let b = try channel.readOutbound(as: ByteBuffer.self) { outs.append(Array(b.readableBytesView)) }
        #expect(outs.allSatisfy { $0.count <= FlushCoalescer.maximumBytes })
        #expect(outs.map(\.count) == [12000, 12000, 6000])
        #expect(outs.flatMap { $0 } == parts.flatMap { $0 })
        _ = try channel.finish()
    }

    @Test("writes not yet flushed when the channel closes fail their promises (as NIO fails unflushed writes)")
    func unflushedWritesFailOnClose() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescer())
        let p1 = channel.eventLoop.makePromise(of: Void.self)
        let p2 = channel.eventLoop.makePromise(of: Void.self)
        channel.write(Self.buffer(channel, [1]), promise: p1)
        channel.write(Self.buffer(channel, [2]), promise: p2)
        _ = try? channel.finish()
        #expect(throws: (any Error).self) { try p1.futureResult.wait() }
        #expect(throws: (any Error).self) { try p2.futureResult.wait() }
    }
}
