import Foundation

/// The pre-warmed custom resources kp-load reads and writes, and the bytes it sends for them.
///
/// Objects are `TestWidget`s named `kp-load-<i>` in the CRD kp-bootstrap creates in every
/// cluster (contract §4.2: group `mem-<cid>.kplane.dev`, plural `memwidgets`), with a payload of
/// `--object-bytes` characters in `spec.data` (kp-bootstrap declares `spec.data` in the schema, so
/// the payload survives pruning). URLs and body prefixes are built once, so the hot path only
/// concatenates bytes.
public struct ObjectCatalog: Sendable {
    public let baseURL: String
    public let clusters: [String]
    public let namespace: String
    public let objectBytes: Int
    public let objectsPerCluster: Int
    /// `objectURLs[cluster * objectsPerCluster + object]`.
    private let objectURLs: [String]
    private let bodyPrefixes: [[UInt8]]
    private let filler: [UInt8]

    public init(baseURL: String, clusters: [String], namespace: String, objectBytes: Int, objectsPerCluster: Int) {
        self.baseURL = baseURL
        self.clusters = clusters
        self.namespace = namespace
        self.objectBytes = objectBytes
        self.objectsPerCluster = objectsPerCluster
        var urls: [String] = []
        var prefixes: [[UInt8]] = []
        for c in clusters {
            let group = Self.group(for: c)
            for o in 0..<objectsPerCluster {
                let name = Self.objectName(o)
                urls.append("\(Self.collectionURL(baseURL: baseURL, cluster: c, namespace: namespace))/\(name)")
                prefixes.append(
                    Array(
                        "{\"apiVersion\":\"\(group)/v1\",\"kind\":\"TestWidget\",\"metadata\":{\"name\":\"\(name)\",\"namespace\":\"\(namespace)\""
                            .utf8))
            }
        }
        objectURLs = urls
        bodyPrefixes = prefixes
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        filler = (0..<objectBytes).map { alphabet[$0 % alphabet.count] }
    }

    /// The CRD group of a cluster: `mem-<cid>.kplane.dev`, with `_` turned into `-` (as the smoke test does).
    public static func group(for cluster: String) -> String {
        "mem-\(cluster.replacingOccurrences(of: "_", with: "-")).kplane.dev"
    }

    /// The name of pre-warmed object `i`.
    public static func objectName(_ i: Int) -> String { "kp-load-\(i)" }

    /// `…/clusters/<cid>/control-plane/apis/<group>/v1/namespaces/<ns>/memwidgets`.
    public static func collectionURL(baseURL: String, cluster: String, namespace: String) -> String {
        "\(baseURL)/clusters/\(cluster)/control-plane/apis/\(group(for: cluster))/v1/namespaces/\(namespace)/memwidgets"
    }

    public func collectionURL(cluster: Int) -> String {
        Self.collectionURL(baseURL: baseURL, cluster: clusters[cluster], namespace: namespace)
    }

    public func objectURL(cluster: Int, object: Int) -> String {
        objectURLs[cluster * objectsPerCluster + object]
    }

    /// A full object body: for a create (`resourceVersion` nil) or an Update that must apply to
    /// exactly the version read (optimistic concurrency: a stale version gets 409 Conflict).
    ///
    /// `version` is written as 16 hex digits at the start of the payload, so every Update changes
    /// the stored object (a no-op Update would not reach storage).
    public func body(cluster: Int, object: Int, resourceVersion: String?, version: UInt64) -> Data {
        var out = bodyPrefixes[cluster * objectsPerCluster + object]
        out.reserveCapacity(out.count + objectBytes + 64)
        if let rv = resourceVersion {
            out.append(contentsOf: ",\"resourceVersion\":\"".utf8)
            out.append(contentsOf: rv.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: "},\"spec\":{\"data\":\"".utf8)
        let hex = Array("0123456789abcdef".utf8)
        let stamp = min(16, objectBytes)
        for i in 0..<stamp {
            let shift = UInt64(60 - 4 * i)
            out.append(hex[Int((version >> shift) & 0xF)])
        }
        if objectBytes > stamp { out.append(contentsOf: filler[stamp...]) }
        out.append(contentsOf: "\"}}".utf8)
        return Data(out)
    }

    /// `metadata.resourceVersion` of an object body.
    ///
    /// A byte search for the first `"resourceVersion":"` instead of a JSON parse: this runs on
    /// the HTTP client's thread for every write, and a full parse of a 1 KiB object costs tens of
    /// µs against well under one for the search. In a TestWidget the first such key is the
    /// metadata's (kp-load's own payload holds only [a-z0-9]). Falls back to a full parse when the
    /// server formats JSON with spaces.
    public static func resourceVersion(in body: Data) -> String? {
        let key = Array("\"resourceVersion\":\"".utf8)
        let found: String? = body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            guard n > key.count else { return nil }
            var i = 0
            // Naive search: the key sits in the first few hundred bytes of a Kubernetes object.
            search: while i + key.count < n {
                for j in 0..<key.count where bytes[i + j] != key[j] {
                    i += 1
                    continue search
                }
                var k = i + key.count
                let start = k
                while k < n && bytes[k] != UInt8(ascii: "\"") { k += 1 }
                guard k < n, k > start else { return nil }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<k]), as: UTF8.self)
            }
            return nil
        }
        if let found { return found }
        guard let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let meta = obj["metadata"] as? [String: Any], let rv = meta["resourceVersion"] as? String
        else { return nil }
        return rv
    }
}
