/// Names of run_meta's flags that say which target a run measured (kp-run records them; kp-report
/// compare sets them aside as "the target", the one thing A and B are meant to differ in).
public enum RunFlags {
    /// The target-selection variables kp-run records (and kp-launch reads from its environment).
    public static let targetVariables = [
        "APISERVER_BIN", "APISERVER_DIR", "APISERVER_URL", "APISERVER_IMAGE", "ETCD_ENDPOINTS", "COMPOSE_FILE",
    ]
    /// Every flag that names the target: the variables, `target` (kp-sim) and kp-launch's extra
    /// arguments (`launch-args`, e.g. a side's kp-sim settings).
    public static let targetKeys: Set<String> = Set(targetVariables + ["target", "launch-args"])
}
