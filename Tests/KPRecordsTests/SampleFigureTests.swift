import Foundation
import KPRecords
import Testing

/// `SampleRecord.figures` is the one metric → field table: each entry's `field` must be the JSON key
/// its key path is written under, and every figure field of the record must be in the table.
@Suite struct SampleFigureTests {
    @Test func tableMatchesTheRecordsJSONKeys() throws {
        var sample = SampleRecord(tNs: 1, phase: "baseline", source: "https://127.0.0.1:1/metrics")
        for (index, figure) in SampleRecord.figures.enumerated() {
            sample[keyPath: figure.keyPath] = Double(index + 1) * 1.5
        }
        let json = try #require(JSONSerialization.jsonObject(with: RecordCodec.encode(sample)) as? [String: Any])
        for (index, figure) in SampleRecord.figures.enumerated() {
            #expect(json[figure.field] as? Double == Double(index + 1) * 1.5, "\(figure.field)")
            #expect(SampleRecord.figure(field: figure.field)?.metric == figure.metric)
        }
        let numericKeys = Set(json.filter { $0.value is NSNumber }.keys)
            .subtracting(["t_ns", "scrape_ns", "v"])
        #expect(numericKeys == Set(SampleRecord.figures.map(\.field)))
        #expect(Set(SampleRecord.figures.map(\.metric)).count == SampleRecord.figures.count)
    }
}
