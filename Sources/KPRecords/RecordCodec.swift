import Foundation

/// Why a JSON-lines line could not be turned into a record.
public struct RecordError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// Not valid JSON (corrupt or truncated line).
        case malformed(String)
        /// No `kind`, or a kind this build does not know.
        case unknownKind(String)
        /// `v` is newer than this build reads.
        case newerVersion(Int)
        /// Valid JSON of a known kind, but a field is missing or of the wrong type.
        case invalid(String)
    }

    public var reason: Reason
    /// Where the line came from (`path:line`, or `stdin:line`).
    public var location: String

    public init(_ reason: Reason, location: String) {
        self.reason = reason
        self.location = location
    }

    public var description: String {
        switch reason {
        case .malformed(let m): "\(location): not a JSON record (\(m)); the line is skipped"
        case .unknownKind(let k): "\(location): unknown record kind '\(k)'; the line is skipped"
        case .newerVersion(let v):
            "\(location): record v\(v) needs a newer kp-bench (this is \(Schema.toolVersion), reading up to v\(Schema.currentVersion)); upgrade kp-bench to read it"
        case .invalid(let m): "\(location): record does not match its schema (\(m)); the line is skipped"
        }
    }
}

/// Encodes and decodes records as single JSON lines.
///
/// Keys are sorted so that the same records always give the same bytes (a re-run kp-report
/// produces byte-identical output).
public enum RecordCodec {
    public static func makeEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// One line of JSON (no trailing newline).
    public static func encode(_ record: Record) throws -> Data {
        let e = makeEncoder()
        switch record {
        case .endpoint(let r): return try e.encode(r)
        case .runMeta(let r): return try e.encode(r)
        case .runEnd(let r): return try e.encode(r)
        case .bootstrapStep(let r): return try e.encode(r)
        case .bootstrapSummary(let r): return try e.encode(r)
        case .sample(let r): return try e.encode(r)
        case .profile(let r): return try e.encode(r)
        case .scrapeCost(let r): return try e.encode(r)
        case .kneeStep(let r): return try e.encode(r)
        case .kneeResult(let r): return try e.encode(r)
        case .loadInterval(let r): return try encodeSplicingBuckets(r, with: e)
        case .loadFinal(let r): return try encodeSplicingBuckets(r, with: e)
        case .fleetStatus(let r): return try e.encode(r)
        case .fleetMember(let r): return try e.encode(r)
        case .teardownStep(let r): return try e.encode(r)
        case .teardownSummary(let r): return try e.encode(r)
        case .snapshotInterval(let r): return try e.encode(r)
        case .snapshotFinal(let r): return try e.encode(r)
        case .snapshotWarm(let r): return try e.encode(r)
        case .snapshotWarmSummary(let r): return try e.encode(r)
        case .watchInterval(let r): return try e.encode(r)
        case .watchFinal(let r): return try e.encode(r)
        case .restart(let r): return try e.encode(r)
        case .firstRequest(let r): return try e.encode(r)
        case .firstRequestSummary(let r): return try e.encode(r)
        case .error(let r): return try e.encode(r)
        }
    }

    /// A load record (``LoadIntervalRecord`` or ``LoadFinalRecord``): the same bytes as `e.encode(r)`,
    /// at a fraction of the cost. JSONEncoder spends about a µs on each `[value, count]` pair of a
    /// histogram (a nested container apiece), and kp-load writes thousands of pairs a second: that is
    /// an eighth of kp-load's CPU at 2 000 requests/s (perf, docs/load.md). So the record is encoded
    /// with every non-empty histogram's `buckets` emptied and its `unit` replaced by a numbered marker,
    /// and the pairs are then written into the text by hand. With sorted keys, a histogram's
    /// `"buckets"` is its first key and `"unit"` its last, and a histogram holds no nested object, so the
    /// `"buckets":[]` just before a marker is that histogram's. Hand-written because JSONEncoder has no
    /// way to take pre-encoded JSON. Units that would need escaping fall back to the plain encoder.
    static func encodeSplicingBuckets<R: LoadHistogramCarrier>(_ r: R, with e: JSONEncoder) throws -> Data {
        var copy = r
        var saved: [(unit: String, buckets: [[Int64]])] = []
        var plain = false
        copy.forEachHistogram { h in
            guard !h.buckets.isEmpty else { return }
            if h.unit.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                plain = true
                return
            }
            saved.append((h.unit, h.buckets))
            h.unit = "\(bucketMarker)\(saved.count - 1)"
            h.buckets = []
        }
        if plain || saved.isEmpty { return try e.encode(r) }
        let text = [UInt8](try e.encode(copy))
        let marker = Array("\"unit\":\"\(bucketMarker)".utf8)
        let empty = Array("\"buckets\":[]".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.count + saved.reduce(0) { $0 + $1.buckets.count * 16 })
        var from = 0
        var i = 0
        var lastEmpty = -1
        func matches(_ pattern: [UInt8], at k: Int) -> Bool {
            guard k + pattern.count <= text.count else { return false }
            for j in pattern.indices where text[k + j] != pattern[j] { return false }
            return true
        }
        func appendInt(_ v: Int64) {
            if v < 0 { out.append(UInt8(ascii: "-")) }
            // Digits least significant first, then reversed in place.
            let first = out.count
            var m = v.magnitude
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(m % 10))
                m /= 10
            } while m > 0
            out[first...].reverse()
        }
        while i < text.count {
            if text[i] == UInt8(ascii: "\"") && matches(empty, at: i) {
                lastEmpty = i
                i += empty.count
                continue
            }
            if text[i] == UInt8(ascii: "\"") && matches(marker, at: i) {
                var k = i + marker.count
                var index = 0
                while k < text.count && text[k] >= UInt8(ascii: "0") && text[k] <= UInt8(ascii: "9") {
                    index = index * 10 + Int(text[k] - UInt8(ascii: "0"))
                    k += 1
                }
                guard lastEmpty >= from, index < saved.count, k < text.count, text[k] == UInt8(ascii: "\"") else {
                    return try e.encode(r)
                }
                out.append(contentsOf: text[from..<lastEmpty])
                out.append(contentsOf: "\"buckets\":[".utf8)
                for (j, pair) in saved[index].buckets.enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(UInt8(ascii: "["))
                    for (q, v) in pair.enumerated() {
                        if q > 0 { out.append(UInt8(ascii: ",")) }
                        appendInt(v)
                    }
                    out.append(UInt8(ascii: "]"))
                }
                out.append(UInt8(ascii: "]"))
                out.append(contentsOf: text[(lastEmpty + empty.count)..<i])
                out.append(contentsOf: "\"unit\":\"".utf8)
                out.append(contentsOf: saved[index].unit.utf8)
                out.append(UInt8(ascii: "\""))
                i = k + 1
                from = i
                lastEmpty = -1
                continue
            }
            i += 1
        }
        out.append(contentsOf: text[from...])
        return Data(out)
    }

    /// Stands in for a histogram's unit while ``encodeSplicingBuckets(_:with:)`` encodes the rest.
    static let bucketMarker = "kp-buckets-marker-"

    public static func encode<R: KPRecord>(_ record: R) throws -> Data {
        try makeEncoder().encode(record)
    }

    /// Decodes one line; `location` names it in errors.
    public static func decode(_ line: Data, location: String) throws(RecordError) -> Record {
        try RecordDecoder().decode(line, location: location)
    }

    static func shortReason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at '\(path)'"
        case DecodingError.dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "invalid JSON" : "invalid value at '\(path)'"
        default: return "\(error)"
        }
    }
}

/// Decodes record lines.
///
/// A line goes to ``RecordJSONDecoder`` first, which decodes the JSON kp-bench writes several times
/// faster than `JSONDecoder`, reading the header (`kind`, `v`) and the record in one parse, but gives
/// up on anything it is not sure of. A line it gives up on (every damaged line among them) is decoded
/// by `JSONDecoder`, one kept for every line, as ``decodeWithJSONDecoder(_:location:)`` says: that gives
/// the value, or the error with its meaning. Bytes that are not JSON, or a header of the wrong shape,
/// are `malformed`; a missing or unknown kind is `unknownKind`; a `v` above ``Schema/currentVersion``
/// is `newerVersion`; a record that does not match its type is `invalid`.
public struct RecordDecoder: Sendable {
    private let decoder = JSONDecoder()

    private struct Header: Decodable {
        var kind: String?
        var v: Int?
    }

    public init() {}

    /// Decodes one line (no newline); `location` names it in errors.
    public func decode(_ line: UnsafeRawBufferPointer, location: @autoclosure () -> String) throws(RecordError)
        -> Record
    {
        if let envelope = try? RecordJSONDecoder.decode(Envelope.self, from: line) { return envelope.record }
        return try decodeWithJSONDecoder(Data(line), location: location())
    }

    /// ``decode(_:location:)-(UnsafeRawBufferPointer,_)`` of a `Data`.
    public func decode(_ line: Data, location: @autoclosure () -> String) throws(RecordError) -> Record {
        let fast = line.withUnsafeBytes { try? RecordJSONDecoder.decode(Envelope.self, from: $0) }
        if let fast { return fast.record }
        return try decodeWithJSONDecoder(line, location: location())
    }

    /// The line by `JSONDecoder`, the reference for every value and every error: the header first
    /// (a failure there is `malformed`), then the record of its kind (a failure there is `invalid`).
    func decodeWithJSONDecoder(_ line: Data, location: @autoclosure () -> String) throws(RecordError) -> Record {
        let d = decoder
        let header: Header
        do {
            header = try d.decode(Header.self, from: line)
        } catch {
            throw RecordError(.malformed(RecordCodec.shortReason(error)), location: location())
        }
        guard let kindName = header.kind else { throw RecordError(.unknownKind("<none>"), location: location()) }
        guard let kind = RecordKind(rawValue: kindName) else {
            throw RecordError(.unknownKind(kindName), location: location())
        }
        let v = header.v ?? 1
        if v > Schema.currentVersion { throw RecordError(.newerVersion(v), location: location()) }
        do {
            switch kind {
            case .endpoint: return .endpoint(try d.decode(EndpointRecord.self, from: line))
            case .runMeta: return .runMeta(try d.decode(RunMetaRecord.self, from: line))
            case .runEnd: return .runEnd(try d.decode(RunEndRecord.self, from: line))
            case .bootstrapStep: return .bootstrapStep(try d.decode(BootstrapStepRecord.self, from: line))
            case .bootstrapSummary: return .bootstrapSummary(try d.decode(BootstrapSummaryRecord.self, from: line))
            case .sample: return .sample(try d.decode(SampleRecord.self, from: line))
            case .profile: return .profile(try d.decode(ProfileRecord.self, from: line))
            case .scrapeCost: return .scrapeCost(try d.decode(ScrapeCostRecord.self, from: line))
            case .kneeStep: return .kneeStep(try d.decode(KneeStepRecord.self, from: line))
            case .kneeResult: return .kneeResult(try d.decode(KneeResultRecord.self, from: line))
            case .loadInterval: return .loadInterval(try d.decode(LoadIntervalRecord.self, from: line))
            case .loadFinal: return .loadFinal(try d.decode(LoadFinalRecord.self, from: line))
            case .fleetStatus: return .fleetStatus(try d.decode(FleetStatusRecord.self, from: line))
            case .fleetMember: return .fleetMember(try d.decode(FleetMemberRecord.self, from: line))
            case .teardownStep: return .teardownStep(try d.decode(TeardownStepRecord.self, from: line))
            case .teardownSummary: return .teardownSummary(try d.decode(TeardownSummaryRecord.self, from: line))
            case .snapshotInterval: return .snapshotInterval(try d.decode(SnapshotIntervalRecord.self, from: line))
            case .snapshotFinal: return .snapshotFinal(try d.decode(SnapshotFinalRecord.self, from: line))
            case .snapshotWarm: return .snapshotWarm(try d.decode(SnapshotWarmRecord.self, from: line))
            case .snapshotWarmSummary:
                return .snapshotWarmSummary(try d.decode(SnapshotWarmSummaryRecord.self, from: line))
            case .watchInterval: return .watchInterval(try d.decode(WatchIntervalRecord.self, from: line))
            case .watchFinal: return .watchFinal(try d.decode(WatchFinalRecord.self, from: line))
            case .restart: return .restart(try d.decode(RestartRecord.self, from: line))
            case .firstRequest: return .firstRequest(try d.decode(FirstRequestRecord.self, from: line))
            case .firstRequestSummary:
                return .firstRequestSummary(try d.decode(FirstRequestSummaryRecord.self, from: line))
            case .error: return .error(try d.decode(ErrorRecord.self, from: line))
            }
        } catch {
            throw RecordError(.invalid(RecordCodec.shortReason(error)), location: location())
        }
    }

    /// A whole line for ``RecordJSONDecoder``: its header, then the record its `kind` names, from one
    /// parse. A header that is not a known kind of a version this build reads throws (the line then
    /// goes to ``decodeWithJSONDecoder(_:location:)``, which says why).
    struct Envelope: Decodable {
        enum HeaderKeys: String, CodingKey {
            case kind, v
        }

        var record: Record

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: HeaderKeys.self)
            guard let kindName = try c.decodeIfPresent(String.self, forKey: .kind),
                let kind = RecordKind(rawValue: kindName),
                (try c.decodeIfPresent(Int.self, forKey: .v) ?? 1) <= Schema.currentVersion
            else { throw RecordJSONDecoder.Unsupported() }
            record = try Self.record(kind, from: decoder)
        }

        private static func record(_ kind: RecordKind, from d: any Decoder) throws -> Record {
            switch kind {
            case .endpoint: .endpoint(try EndpointRecord(from: d))
            case .runMeta: .runMeta(try RunMetaRecord(from: d))
            case .runEnd: .runEnd(try RunEndRecord(from: d))
            case .bootstrapStep: .bootstrapStep(try BootstrapStepRecord(from: d))
            case .bootstrapSummary: .bootstrapSummary(try BootstrapSummaryRecord(from: d))
            case .sample: .sample(try SampleRecord(from: d))
            case .profile: .profile(try ProfileRecord(from: d))
            case .scrapeCost: .scrapeCost(try ScrapeCostRecord(from: d))
            case .kneeStep: .kneeStep(try KneeStepRecord(from: d))
            case .kneeResult: .kneeResult(try KneeResultRecord(from: d))
            case .loadInterval: .loadInterval(try LoadIntervalRecord(from: d))
            case .loadFinal: .loadFinal(try LoadFinalRecord(from: d))
            case .fleetStatus: .fleetStatus(try FleetStatusRecord(from: d))
            case .fleetMember: .fleetMember(try FleetMemberRecord(from: d))
            case .teardownStep: .teardownStep(try TeardownStepRecord(from: d))
            case .teardownSummary: .teardownSummary(try TeardownSummaryRecord(from: d))
            case .snapshotInterval: .snapshotInterval(try SnapshotIntervalRecord(from: d))
            case .snapshotFinal: .snapshotFinal(try SnapshotFinalRecord(from: d))
            case .snapshotWarm: .snapshotWarm(try SnapshotWarmRecord(from: d))
            case .snapshotWarmSummary: .snapshotWarmSummary(try SnapshotWarmSummaryRecord(from: d))
            case .watchInterval: .watchInterval(try WatchIntervalRecord(from: d))
            case .watchFinal: .watchFinal(try WatchFinalRecord(from: d))
            case .restart: .restart(try RestartRecord(from: d))
            case .firstRequest: .firstRequest(try FirstRequestRecord(from: d))
            case .firstRequestSummary: .firstRequestSummary(try FirstRequestSummaryRecord(from: d))
            case .error: .error(try ErrorRecord(from: d))
            }
        }
    }
}

/// A record whose histograms ``RecordCodec`` writes by hand (see `encodeSplicingBuckets`).
protocol LoadHistogramCarrier: Encodable {
    /// Calls `body` on every histogram of the record, in any order.
    mutating func forEachHistogram(_ body: (inout HistogramWire) -> Void)
}

extension OpWindow {
    mutating func forEachHistogram(_ body: (inout HistogramWire) -> Void) {
        body(&response)
        body(&service)
        if var h = firstByte {
            body(&h)
            firstByte = h
        }
    }
}

extension GeneratorWindow {
    mutating func forEachHistogram(_ body: (inout HistogramWire) -> Void) {
        body(&scheduleLag)
        if var h = schedulerLag {
            body(&h)
            schedulerLag = h
        }
    }
}

extension LoadIntervalRecord: LoadHistogramCarrier {
    mutating func forEachHistogram(_ body: (inout HistogramWire) -> Void) {
        for i in ops.indices { ops[i].forEachHistogram(body) }
        generator.forEachHistogram(body)
    }
}

extension LoadFinalRecord: LoadHistogramCarrier {
    mutating func forEachHistogram(_ body: (inout HistogramWire) -> Void) {
        for i in ops.indices { ops[i].forEachHistogram(body) }
        generator.forEachHistogram(body)
        for i in perCluster.indices { body(&perCluster[i].response) }
    }
}
