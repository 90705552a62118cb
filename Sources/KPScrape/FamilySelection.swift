import KPPromText
import KPRecords

/// Picks whole metric families (`--metric NAME`) out of a scrape, in their wire form.
public enum FamilySelection {
    /// The families named in `names`, in that order, with every sample (all histogram buckets,
    /// `_sum`, `_count`); names that are absent come back in `missing` with the reason `not exposed`.
    public static func select(_ names: [String], from families: [MetricFamily]) -> (
        families: [MetricFamilyWire], missing: [String: String]
    ) {
        var out: [MetricFamilyWire] = []
        var missing: [String: String] = [:]
        for name in names {
            guard let family = families.first(where: { $0.name == name }) else {
                missing[name] = "not exposed"
                continue
            }
            out.append(wire(family))
        }
        return (out, missing)
    }

    /// One family in the record schema's form.
    public static func wire(_ family: MetricFamily) -> MetricFamilyWire {
        MetricFamilyWire(
            name: family.name, type: family.type.rawValue, help: family.help,
            samples: family.samples.map {
                MetricSampleWire(
                    name: $0.name, labels: $0.labels, value: PromValue($0.value), timestampMs: $0.timestampMs)
            })
    }
}
