/// Parses the header block libcurl handed to the header callback into ``HTTPResponse/headers``.
///
/// The block is the raw lines of the final response (`HTTP/2 200`, `name: value`, …, empty line);
/// the C header callback already dropped interim 1xx blocks. Names are lower-cased (HTTP/2 sends
/// them lower-case already), values trimmed, repeated names joined with ", ".
/// Hand-written over bytes: Foundation has no parser for a raw header block, and this runs once per
/// response on the client's hot path.
enum HeaderBlock {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: String] {
        var headers: [String: String] = [:]
        guard !bytes.isEmpty else { return headers }
        var lineStart = 0
        let end = bytes.count
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let next = lineEnd + 1
            var contentEnd = lineEnd
            if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if let colon = indexOfColon(bytes, lineStart, contentEnd), colon > lineStart {
                let name = lowercasedASCII(bytes, lineStart, colon)
                var vs = colon + 1
                while vs < contentEnd && (bytes[vs] == UInt8(ascii: " ") || bytes[vs] == UInt8(ascii: "\t")) { vs += 1 }
                var ve = contentEnd
                while ve > vs && (bytes[ve - 1] == UInt8(ascii: " ") || bytes[ve - 1] == UInt8(ascii: "\t")) { ve -= 1 }
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[vs..<ve]), as: UTF8.self)
                if let existing = headers[name] {
                    headers[name] = existing + ", " + value
                } else {
                    headers[name] = value
                }
            }
            lineStart = next
        }
        return headers
    }

    /// The first ':' of a header line; nil for the status line and the empty line ending the block.
    private static func indexOfColon(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        if to - from >= 5 && b[from] == UInt8(ascii: "H") && b[from + 1] == UInt8(ascii: "T")
            && b[from + 2] == UInt8(ascii: "T") && b[from + 3] == UInt8(ascii: "P") && b[from + 4] == UInt8(ascii: "/")
        {
            return nil
        }
        var i = from
        while i < to {
            if b[i] == UInt8(ascii: ":") { return i }
            i += 1
        }
        return nil
    }

    private static func lowercasedASCII(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        String(unsafeUninitializedCapacity: to - from) { out in
            for i in from..<to {
                let c = b[i]
                out[i - from] = (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) ? c + 32 : c
            }
            return to - from
        }
    }
}
