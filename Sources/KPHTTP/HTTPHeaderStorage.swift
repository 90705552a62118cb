import Synchronization

/// The headers of one ``HTTPResponse``: kept as the raw name/value bytes libcurl delivered and
/// turned into a dictionary only when someone reads ``HTTPResponse/headers``.
///
/// A load generator never looks at most responses' headers, and building a `[String: String]`
/// per response (a String and a hash per header) would be the largest share of KPHTTP's own cost
/// per request; copying the bytes is a tenth of that. The storage is immutable apart from that
/// cache, which is computed deterministically under a mutex, so a response stays a value.
final class HTTPHeaderStorage: Sendable {
    /// "name\0value\0" pairs in arrival order, names lower-cased (see `kp_collect_headers`).
    private let raw: [UInt8]
    private let parsed: Mutex<[String: String]?>

    init(raw: [UInt8]) {
        self.raw = raw
        self.parsed = Mutex(nil)
    }

    init(dictionary: [String: String]) {
        self.raw = []
        self.parsed = Mutex(dictionary)
    }

    static let empty = HTTPHeaderStorage(dictionary: [:])

    /// Names lower-cased; repeated names joined with ", " in arrival order.
    var dictionary: [String: String] {
        parsed.withLock { cache in
            if let cache { return cache }
            let built = Self.parse(raw)
            cache = built
            return built
        }
    }

    /// The value of one header without building the dictionary (`name` lower-case).
    func value(_ name: String) -> String? {
        if let cached = parsed.withLock({ $0 }) { return cached[name] }
        return Self.parse(raw)[name]
    }

    static func parse(_ raw: [UInt8]) -> [String: String] {
        var headers = [String: String](minimumCapacity: 12)
        raw.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                var j = i
                while j < b.count && b[j] != 0 { j += 1 }
                var k = j + 1
                while k < b.count && b[k] != 0 { k += 1 }
                guard k <= b.count, j < b.count else { break }
                let name = String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self)
                let value = String(decoding: UnsafeBufferPointer(rebasing: b[(j + 1)..<min(k, b.count)]), as: UTF8.self)
                // One hash for the usual first occurrence; a repeat is looked up again and joined.
                if let existing = headers.updateValue(value, forKey: name) {
                    headers[name] = existing + ", " + value
                }
                i = k + 1
            }
        }
        return headers
    }
}
