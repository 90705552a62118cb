import KPPromText
import KPRecords

/// The process figures a `sample` record carries, read as the kplane memory test reads them.
///
/// The memory test's `parsePromGauge` takes the first exposition line that starts with `"<name> "`,
/// i.e. the first **unlabelled** sample of that name; so does ``fill(_:from:)``. A figure that is
/// not there is never guessed: it is named in `missing` with the reason.
public enum SampleFigures {
    /// Metric name → the `SampleRecord` field it fills (``KPRecords/SampleRecord/figures``, the one table).
    public static var figures: [(metric: String, field: WritableKeyPath<SampleRecord, Double?>)] {
        SampleRecord.figures.map { ($0.metric, $0.keyPath) }
    }

    /// Fills the figures of `record` from parsed families and names every absent one in `missing`.
    public static func fill(_ record: inout SampleRecord, from families: [MetricFamily]) {
        var missing = record.missing ?? [:]
        for (metric, field) in figures {
            switch lookup(metric, in: families) {
            case .value(let v): record[keyPath: field] = v
            case .absent(let reason): missing[metric] = reason
            }
        }
        record.missing = missing.isEmpty ? nil : missing
    }

    /// Marks every figure absent because the whole scrape failed.
    public static func markAllMissing(_ record: inout SampleRecord, reason: String) {
        var missing = record.missing ?? [:]
        for (metric, field) in figures {
            record[keyPath: field] = nil
            missing[metric] = reason
        }
        record.missing = missing
    }

    enum Lookup: Equatable {
        case value(Double)
        case absent(String)
    }

    static func lookup(_ metric: String, in families: [MetricFamily]) -> Lookup {
        var labelledOnly = false
        for family in families {
            for sample in family.samples where sample.name == metric {
                if sample.labels.isEmpty {
                    guard sample.value.isFinite else {
                        return .absent("non-finite value \(sample.value) (JSON cannot carry it as a figure)")
                    }
                    return .value(sample.value)
                }
                labelledOnly = true
            }
        }
        return .absent(
            labelledOnly ? "only labelled samples exposed (the memory test reads the unlabelled line)" : "not exposed")
    }
}
