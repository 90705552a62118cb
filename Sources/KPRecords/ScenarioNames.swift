/// The scenario names a run can carry (`run_meta.scenario`, `settings.scenario`): the one list that
/// kp-run's scenario table, `kp-report meta` and kp-load check against.
public enum ScenarioNames {
    /// Every scenario kp-run runs, in the order its help lists them.
    public static let all = [
        "bootstrap", "mixed-hot", "mixed-uniform", "fleet-bootstrap", "teardown", "snapshot", "watch-fanout",
    ]
    /// The scenarios with a load phase, which kp-load drives.
    public static let load = ["mixed-hot", "mixed-uniform", "snapshot", "watch-fanout"]
}
