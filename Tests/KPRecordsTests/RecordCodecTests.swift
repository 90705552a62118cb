import Foundation
import Testing

@testable import KPRecords

@Suite struct RecordCodecTests {
    @Test(arguments: [1, 2, 3, 42, 1_000_003] as [UInt64])
    func everyKindRoundTrips(seed: UInt64) throws {
        let records = RecordSamples.all(seed: seed)
        #expect(Set(records.map(\.kind)) == Set(RecordKind.allCases))
        for rec in records {
            let line = try RecordCodec.encode(rec)
            let back = try RecordCodec.decode(line, location: "t:1")
            #expect(back == rec, "round trip changed \(rec.kind)")
            // Byte-identical re-encoding (sorted keys): re-running a fold gives the same bytes.
            #expect(try RecordCodec.encode(back) == line)
        }
    }

    /// Load records write their histograms' pairs by hand (RecordCodec.encodeSplicingBuckets): the
    /// bytes must be exactly JSONEncoder's, whatever the strings around them hold.
    @Test(arguments: [1, 2, 3, 42, 1_000_003] as [UInt64])
    func loadRecordsEncodeAsJSONEncoderDoes(seed: UInt64) throws {
        for rec in RecordSamples.all(seed: seed) {
            let plain: Data
            switch rec {
            case .loadInterval(var r):
                plain = try RecordCodec.makeEncoder().encode(r)
                // An empty histogram, a negative value and a unit needing no marker check the edges.
                r.ops[0].service.buckets = []
                r.ops[0].response.buckets.append([Int64.max, -7])
                #expect(try RecordCodec.encode(.loadInterval(r)) == RecordCodec.makeEncoder().encode(r))
            case .loadFinal(let r):
                plain = try RecordCodec.makeEncoder().encode(r)
                #expect(r.perCluster.contains { !$0.response.buckets.isEmpty })
            default:
                continue
            }
            let fast = try RecordCodec.encode(rec)
            #expect(fast == plain, "\(String(decoding: fast, as: UTF8.self))")
            #expect(!String(decoding: fast, as: UTF8.self).contains(RecordCodec.bucketMarker))
        }
    }

    @Test func linesCarryKindAndVersion() throws {
        for rec in RecordSamples.all(seed: 7) {
            let obj = try JSONSerialization.jsonObject(with: RecordCodec.encode(rec)) as! [String: Any]
            #expect(obj["kind"] as? String == rec.kind.rawValue)
            #expect(obj["v"] as? Int == Schema.currentVersion)
        }
    }

    @Test func newerVersionIsRejectedWithTheFix() {
        let line = Data(#"{"kind":"sample","v":2,"t_ns":1,"phase":"x","source":"y"}"#.utf8)
        #expect {
            _ = try RecordCodec.decode(line, location: "samples.jsonl:3")
        } throws: { error in
            let e = error as! RecordError
            return e.reason == .newerVersion(2)
                && e.description.hasPrefix("samples.jsonl:3: record v2 needs a newer kp-bench")
        }
    }

    @Test func unknownKindAndMissingFieldAreNamed() {
        #expect(throws: RecordError(.unknownKind("bogus"), location: "f:1")) {
            _ = try RecordCodec.decode(Data(#"{"kind":"bogus","v":1}"#.utf8), location: "f:1")
        }
        #expect(throws: RecordError(.invalid("missing field 'phase'"), location: "f:2")) {
            _ = try RecordCodec.decode(Data(#"{"kind":"sample","v":1,"t_ns":1,"source":"y"}"#.utf8), location: "f:2")
        }
    }

    @Test func unknownKeysAreIgnored() throws {
        let line = Data(#"{"kind":"error","v":1,"t_ns":1,"tool":"x","message":"m","future_field":[1,2]}"#.utf8)
        guard case .error(let e) = try RecordCodec.decode(line, location: "f:1") else {
            Issue.record("wrong kind")
            return
        }
        #expect(e.message == "m")
    }

    /// Frozen v1 lines must keep decoding in every later build.
    @Test func frozenV1FixturesDecode() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/v1/all-kinds", withExtension: "jsonl"))
        let items = try JSONLReader.read(path: url.path)
        let records = try items.map { try $0.get() }
        #expect(Set(records.map(\.kind)) == Set(RecordKind.allCases))
    }

    /// Every kind and every field name written must be documented in docs/records.md.
    @Test func everyFieldIsDocumented() throws {
        let docURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../docs/records.md")
        let doc = try String(contentsOf: docURL, encoding: .utf8)
        for rec in RecordSamples.all(seed: 9) {
            #expect(doc.contains("`\(rec.kind.rawValue)`"), "kind \(rec.kind.rawValue) not in docs/records.md")
            let obj = try JSONSerialization.jsonObject(with: RecordCodec.encode(rec))
            for key in Self.keys(obj) {
                #expect(doc.contains("`\(key)`"), "field \(key) of \(rec.kind.rawValue) not in docs/records.md")
            }
        }
    }

    static func keys(_ obj: Any) -> Set<String> {
        var out = Set<String>()
        if let d = obj as? [String: Any] {
            for (k, v) in d {
                // Keys of free-form maps (flags, status counts, labels) are data, not schema.
                if [
                    "flags", "status_counts", "retries_by_status", "labels", "by_status", "missing", "target_rps",
                    "achieved_rps", "settings",
                ].contains(k) {
                    out.insert(k)
                    continue
                }
                out.insert(k)
                out.formUnion(keys(v))
            }
        } else if let a = obj as? [Any] {
            for v in a { out.formUnion(keys(v)) }
        }
        return out
    }
}
