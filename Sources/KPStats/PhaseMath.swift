/// The arithmetic between two resource samples: deltas, CPU utilisation, per-VCP cost.
///
/// Every function returns nil instead of a number when an input is missing or the result would
/// be meaningless (a zero-length interval, a counter that went backwards, no VCPs), so a
/// report shows "—" with a reason rather than an invented figure.
public enum PhaseMath {
    /// `after − before`; nil when either is missing.
    public static func delta(_ before: Double?, _ after: Double?) -> Double? {
        guard let before, let after, before.isFinite, after.isFinite else { return nil }
        return after - before
    }

    /// Average CPU utilisation between two scrapes of `process_cpu_seconds_total`, in percent
    /// of one core (100 % = one core busy the whole interval, 250 % = two and a half cores).
    ///
    /// `cpuBefore`/`cpuAfter` are cumulative CPU seconds; `tBeforeNs`/`tAfterNs` the
    /// CLOCK_MONOTONIC times of the scrapes. nil when a reading is missing, when the interval is
    /// not positive, or when the counter went down (the process restarted in between).
    public static func cpuPercent(cpuBefore: Double?, tBeforeNs: Int64, cpuAfter: Double?, tAfterNs: Int64) -> Double? {
        guard let d = delta(cpuBefore, cpuAfter), d >= 0, tAfterNs > tBeforeNs else { return nil }
        let seconds = Double(tAfterNs - tBeforeNs) / 1e9
        return d / seconds * 100
    }

    /// Per-VCP cost of a figure: `(value − baseline) / vcps`.
    ///
    /// nil when either figure is missing or `vcps` is not positive. A negative result is
    /// returned as is (the figure shrank; the report shows it rather than hiding it).
    public static func perVCP(_ value: Double?, baseline: Double?, vcps: Int) -> Double? {
        guard vcps > 0, let d = delta(baseline, value) else { return nil }
        return d / Double(vcps)
    }

    /// Millicores for a CPU percentage (100 % = 1000m).
    public static func millicores(percent: Double) -> Double { percent * 10 }
}
