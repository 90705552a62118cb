// gzip (RFC 1952) through the system zlib. Hand-written over CZlib rather than a package such as
// compress-nio because only two one-shot calls are needed and KPPprof must not pull in swift-nio
// (KPReport and KPScrape import KPPprof). The C module is an `internal import` so callers
// never see zlib types.
internal import CZlib
import Foundation

/// One-shot gzip compression and bounded decompression.
///
/// `go tool pprof` and Go's `/debug/pprof/heap` exchange profiles as gzip-compressed
/// `profile.proto` bytes; this is the codec for them. ``decompress(_:maxBytes:)`` stops with an
/// error as soon as the output would pass `maxBytes`, so a small hostile input (a "zip bomb")
/// cannot make it allocate more than the caller allowed. Concatenated gzip members are decoded
/// one after another, as `gunzip` and Go's `gzip.Reader` do.
public enum Gzip {
    /// The default bound for ``decompress(_:maxBytes:)``: 256 MiB.
    ///
    /// A heap profile of a large Go server is a few MiB uncompressed; 256 MiB leaves two orders of
    /// magnitude of room while still refusing a bomb long before memory runs out.
    public static let defaultMaxBytes = 256 << 20

    /// The gzip magic number (`1f 8b`), the first two bytes of every gzip stream.
    public static let magic: [UInt8] = [0x1f, 0x8b]

    /// Whether `data` starts with the gzip magic number.
    ///
    /// A cheap sniff used to accept both gzipped and plain `profile.proto` bytes.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Compresses `data` into a single gzip member.
    ///
    /// - Parameters:
    ///   - data: The bytes to compress (may be empty).
    ///   - level: zlib level 0 (store) … 9 (smallest); 6 is zlib's default trade-off.
    /// - Returns: A complete gzip stream, header and CRC-32 trailer included.
    /// - Throws: ``GzipError`` if zlib rejects the level or runs out of memory.
    public static func compress(_ data: Data, level: Int = 6) throws -> Data {
        guard (0...9).contains(level) else {
            throw GzipError(.badLevel(level))
        }
        guard data.count <= Int(UInt32.max) else { throw GzipError(.inputTooLarge(data.count)) }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // windowBits 31 = 15 (32 KiB window) + 16 (write a gzip header instead of zlib's).
        try check(
            CZlib_deflateInit2(stream, Int32(level), Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
            stream, "deflateInit2")
        defer { deflateEnd(stream) }

        var output = Data()
        var input = [UInt8](data)
        let chunk = 64 << 10
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            var status: Int32 = Z_OK
            repeat {
                let produced = try buffer.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(chunk)
                    status = deflate(stream, Z_FINISH)
                    if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                        try check(status, stream, "deflate")
                    }
                    return chunk - Int(stream.pointee.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Decompresses a gzip stream, refusing to produce more than `maxBytes`.
    ///
    /// Several concatenated gzip members decode to the concatenation of their contents. Anything
    /// after the last member that is not another gzip member is an error, as is a stream that
    /// ends early (truncated download) or fails its CRC-32 check.
    ///
    /// - Parameters:
    ///   - data: The gzip stream.
    ///   - maxBytes: Upper bound on the decompressed size; the default is ``defaultMaxBytes``.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``GzipError`` naming what was wrong: not gzip, corrupt, truncated, or too large.
    public static func decompress(_ data: Data, maxBytes: Int = defaultMaxBytes) throws -> Data {
        guard maxBytes >= 0 else { throw GzipError(.badLimit(maxBytes)) }
        guard isGzip(data) else { throw GzipError(.notGzip) }
        guard data.count <= Int(UInt32.max) else { throw GzipError(.inputTooLarge(data.count)) }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // windowBits 31 = 15 (largest window) + 16 (expect a gzip header, check the CRC-32).
        try check(CZlib_inflateInit2(stream, 31), stream, "inflateInit2")
        defer { inflateEnd(stream) }

        var output = Data()
        var input = [UInt8](data)
        // Grow the output in steps no larger than what is left under the limit (+1 byte, so that
        // reaching the limit exactly is told apart from passing it).
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        try input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = uInt(inBuf.count)
            while true {
                let room = min(buffer.count, maxBytes - output.count + 1)
                var status: Int32 = Z_OK
                let produced = buffer.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = uInt(room)
                    status = inflate(stream, Z_NO_FLUSH)
                    return room - Int(stream.pointee.avail_out)
                }
                if output.count + produced > maxBytes {
                    throw GzipError(.tooLarge(maxBytes))
                }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    let left = Int(stream.pointee.avail_in)
                    if left == 0 { return }
                    // Another member may follow; anything else is trailing garbage.
                    let offset = inBuf.count - left
                    guard left >= 2, inBuf[offset] == 0x1f, inBuf[offset + 1] == 0x8b else {
                        throw GzipError(.trailingBytes(left))
                    }
                    try check(inflateReset(stream), stream, "inflateReset")
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: input is used up before the end of the stream.
                    if stream.pointee.avail_in == 0 { throw GzipError(.truncated) }
                    if produced == 0 { throw GzipError(.truncated) }
                case Z_DATA_ERROR, Z_NEED_DICT:
                    throw GzipError(.corrupt(message(stream) ?? "invalid data"))
                default:
                    try check(status, stream, "inflate")
                }
            }
        }
        return output
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
        guard let msg = stream.pointee.msg else { return nil }
        return String(cString: msg)
    }

    private static func check(_ status: Int32, _ stream: UnsafeMutablePointer<z_stream>, _ function: String) throws {
        guard status == Z_OK else {
            throw GzipError(.zlib(function: function, code: Int(status), message: message(stream)))
        }
    }
}

/// Why a gzip operation failed.
///
/// The ``description`` is one line naming the problem and, where there is one, the fix.
public struct GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The failure kinds.
    public enum Kind: Equatable, Sendable {
        /// The input does not start with the gzip magic number `1f 8b`.
        case notGzip
        /// The stream ended before the gzip trailer.
        case truncated
        /// zlib rejected the data (bad header, bad block, CRC mismatch); the payload is zlib's message.
        case corrupt(String)
        /// The decompressed data would exceed the limit (in bytes).
        case tooLarge(Int)
        /// Bytes that are not a gzip member follow the last member (the payload is their count).
        case trailingBytes(Int)
        /// The input is larger than zlib's 32-bit length field allows in one call (4 GiB).
        case inputTooLarge(Int)
        /// The compression level is outside 0...9.
        case badLevel(Int)
        /// The decompression limit is negative.
        case badLimit(Int)
        /// Any other zlib failure: the function, its return code and zlib's message.
        case zlib(function: String, code: Int, message: String?)
    }

    /// What went wrong.
    public let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch self.kind {
        case .notGzip: return "gzip: input is not gzip (no 1f 8b magic number)"
        case .truncated: return "gzip: input ends before the end of the gzip stream (truncated download?)"
        case .corrupt(let message): return "gzip: corrupt data: \(message)"
        case .tooLarge(let limit):
            return "gzip: decompressed size exceeds the limit of \(limit) bytes; raise maxBytes if the input is trusted"
        case .trailingBytes(let count): return "gzip: \(count) bytes of non-gzip data after the end of the stream"
        case .inputTooLarge(let count): return "gzip: input of \(count) bytes exceeds the 4 GiB one-shot limit"
        case .badLevel(let level): return "gzip: compression level must be 0...9 (got \(level))"
        case .badLimit(let limit): return "gzip: maxBytes must be >= 0 (got \(limit))"
        case .zlib(let function, let code, let message):
            return "gzip: zlib \(function) failed with code \(code)\(message.map { ": \($0)" } ?? "")"
        }
    }
}
