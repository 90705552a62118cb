import Foundation

/// Cuts a streamed response body into lines and hands each complete line to a handler: the body
/// sink of ``HTTPClient/stream(_:onLine:completion:)`` (a Kubernetes watch sends one JSON event
/// per line).
///
/// Hand-written because it sits between libcurl's write callback and the handler: no Swift
/// package offers a synchronous, allocation-free line splitter over raw buffers. A line that
/// ends inside one write callback is passed straight from libcurl's buffer; only a line split
/// across callbacks is copied into `partial`.
///
/// `@unchecked Sendable`: handed to the driver once through its mutex-protected inbox, then used
/// only on the driver thread.
final class HTTPLineSplitter: @unchecked Sendable {
    typealias Handler = @Sendable (UnsafeRawBufferPointer) -> Void

    private var partial: [UInt8] = []
    private let onLine: Handler
    /// Longest line kept; a longer one stops the transfer (a runaway body must not take the harness's memory).
    let maxLineBytes: Int
    /// Set when a line went past ``maxLineBytes``.
    private(set) var overflowed = false

    init(maxLineBytes: Int, onLine: @escaping Handler) {
        self.maxLineBytes = maxLineBytes
        self.onLine = onLine
    }

    /// Consumes one chunk; returns false when the transfer must stop (a line too long).
    func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let newline = UInt8(ascii: "\n")
        var start = 0
        let n = chunk.count
        var i = 0
        while i < n {
            if chunk[i] == newline {
                if partial.isEmpty {
                    if i > start { onLine(UnsafeRawBufferPointer(rebasing: chunk[start..<i])) }
                } else {
                    partial.append(contentsOf: chunk[start..<i])
                    if partial.count > maxLineBytes { return tooLong() }
                    partial.withUnsafeBytes { onLine($0) }
                    partial.removeAll(keepingCapacity: partial.count <= 64 * 1024)
                }
                start = i + 1
            }
            i += 1
        }
        if start < n {
            partial.append(contentsOf: chunk[start..<n])
            if partial.count > maxLineBytes { return tooLong() }
        }
        return true
    }

    /// The body ended: a last line without a newline is still a line.
    func finish() {
        if !partial.isEmpty && !overflowed { partial.withUnsafeBytes { onLine($0) } }
        partial.removeAll()
    }

    private func tooLong() -> Bool {
        overflowed = true
        partial.removeAll()
        return false
    }
}
