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
    private struct Header: Decodable {
        var kind: String?
        var v: Int?
    }

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
        case .loadInterval(let r): return try e.encode(r)
        case .loadFinal(let r): return try e.encode(r)
        case .fleetStatus(let r): return try e.encode(r)
        case .fleetMember(let r): return try e.encode(r)
        case .teardownStep(let r): return try e.encode(r)
        case .teardownSummary(let r): return try e.encode(r)
        case .watchInterval(let r): return try e.encode(r)
        case .watchFinal(let r): return try e.encode(r)
        case .error(let r): return try e.encode(r)
        }
    }

    public static func encode<R: KPRecord>(_ record: R) throws -> Data {
        try makeEncoder().encode(record)
    }

    /// Decodes one line; `location` names it in errors.
    public static func decode(_ line: Data, location: String) throws(RecordError) -> Record {
        let d = JSONDecoder()
        let header: Header
        do {
            header = try d.decode(Header.self, from: line)
        } catch {
            throw RecordError(.malformed(shortReason(error)), location: location)
        }
        guard let kindName = header.kind else { throw RecordError(.unknownKind("<none>"), location: location) }
        guard let kind = RecordKind(rawValue: kindName) else {
            throw RecordError(.unknownKind(kindName), location: location)
        }
        let v = header.v ?? 1
        if v > Schema.currentVersion { throw RecordError(.newerVersion(v), location: location) }
        do {
            switch kind {
            case .endpoint: return .endpoint(try d.decode(EndpointRecord.self, from: line))
            case .runMeta: return .runMeta(try d.decode(RunMetaRecord.self, from: line))
            case .runEnd: return .runEnd(try d.decode(RunEndRecord.self, from: line))
            case .bootstrapStep: return .bootstrapStep(try d.decode(BootstrapStepRecord.self, from: line))
            case .bootstrapSummary: return .bootstrapSummary(try d.decode(BootstrapSummaryRecord.self, from: line))
            case .sample: return .sample(try d.decode(SampleRecord.self, from: line))
            case .profile: return .profile(try d.decode(ProfileRecord.self, from: line))
            case .loadInterval: return .loadInterval(try d.decode(LoadIntervalRecord.self, from: line))
            case .loadFinal: return .loadFinal(try d.decode(LoadFinalRecord.self, from: line))
            case .fleetStatus: return .fleetStatus(try d.decode(FleetStatusRecord.self, from: line))
            case .fleetMember: return .fleetMember(try d.decode(FleetMemberRecord.self, from: line))
            case .teardownStep: return .teardownStep(try d.decode(TeardownStepRecord.self, from: line))
            case .teardownSummary: return .teardownSummary(try d.decode(TeardownSummaryRecord.self, from: line))
            case .watchInterval: return .watchInterval(try d.decode(WatchIntervalRecord.self, from: line))
            case .watchFinal: return .watchFinal(try d.decode(WatchFinalRecord.self, from: line))
            case .error: return .error(try d.decode(ErrorRecord.self, from: line))
            }
        } catch {
            throw RecordError(.invalid(shortReason(error)), location: location)
        }
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
