internal import CCurl

/// Reads the final response's headers from libcurl's header store into ``HTTPResponse/headers``.
///
/// libcurl keeps every response header of a transfer for its headers API; walking that store with
/// `curl_easy_nextheader` at completion costs less than a `CURLOPT_HEADERFUNCTION` callback per
/// header line plus parsing those lines again. Only `CURLH_HEADER` of the last request is read, so
/// interim 1xx responses, trailers and CONNECT headers are not included. Names are lower-cased
/// (HTTP/2 sends them lower-case already); repeated names are joined with ", " in arrival order.
enum ResponseHeaders {
    static func collect(_ handle: UnsafeMutableRawPointer) -> [String: String] {
        // Sized once for a typical response: growing a dictionary rehashes it.
        var headers = [String: String](minimumCapacity: 12)
        var prev: UnsafeMutablePointer<curl_header>? = nil
        while let h = curl_easy_nextheader(handle, UInt32(CURLH_HEADER), -1, prev) {
            prev = h
            guard let rawName = h.pointee.name else { continue }
            let name = lowercasedName(rawName)
            let value = h.pointee.value.map { String(cString: $0) } ?? ""
            // One hash for the usual, first occurrence; a repeat is looked up again and joined.
            if let existing = headers.updateValue(value, forKey: name) {
                headers[name] = existing + ", " + value
            }
        }
        return headers
    }

    /// The name as a String, lower-cased only when it holds an ASCII capital (HTTP/1.1 servers).
    static func lowercasedName(_ name: UnsafePointer<CChar>) -> String {
        let length = strlen(name)
        let bytes = UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self)
        var hasUpper = false
        for i in 0..<length where bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "Z") {
            hasUpper = true
            break
        }
        if !hasUpper { return String(cString: name) }
        return String(unsafeUninitializedCapacity: length) { out in
            for i in 0..<length {
                let c = bytes[i]
                out[i] = (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) ? c + 32 : c
            }
            return length
        }
    }
}
