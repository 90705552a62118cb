import KPRecords

extension Report {
    /// Clusters whose CRD create found the CRD already there (`bootstrap_step.existed`, kp-bootstrap
    /// `--allow-existing`): VCPs an earlier run left on the server. Sorted by name.
    public var existingClusters: [String] {
        Set(data.steps.filter { $0.step == "crd_create" && $0.existed == true }.map(\.cluster)).sorted()
    }

    /// summary.md's warning when some VCPs were there before the run, naming the figures that this
    /// makes wrong; nil when every VCP was created by the run.
    ///
    /// Such a VCP already ran at the baseline sample, so its cost is inside the baseline: every
    /// per-VCP figure divides only the new VCPs' cost by all N, and the bootstrap steps of such a VCP
    /// time a re-use, not a creation.
    var existingVCPsWarning: String? {
        let existing = existingClusters
        guard !existing.isEmpty else { return nil }
        let n = phases.vcps.map(String.init) ?? "?"
        let shown = existing.prefix(3).joined(separator: ", ") + (existing.count > 3 ? ", …" : "")
        var sections = [
            "Headline (per-VCP heap, RSS, goroutines)", "Per VCP (every column)",
            "Sizing a pod (the per-VCP rule of thumb)",
            "Bootstrap (the bootstrap time and the step durations)",
        ]
        if snapshotWarmCosts != nil || data.snapshotWarmSummary != nil {
            sections.append("Snapshot (first-warm cost per VCP, when the earlier run warmed them)")
        }
        if data.teardownSummary != nil || !data.teardownSteps.isEmpty {
            sections.append("Teardown (the cost it compares the return with)")
        }
        return "**Existing VCPs:** \(existing.count) of \(n) VCPs were already on the server when the run began "
            + "(\(shown): their CRD create answered 409 AlreadyExists, counted as created by --allow-existing). "
            + "They already ran at the baseline sample, so these figures understate what a new VCP costs: "
            + sections.joined(separator: "; ")
            + ". To measure them, run against a freshly started server or with cluster names no earlier run used (--name-format)."
    }
}
