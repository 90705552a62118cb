/// The metric families every one-shot sample carries whole (kp-scrape `--metric`) for summary.md's
/// "kplane internals" (contract §5.2–5.3): kplane's own `mc_*` families, client-go's workqueue
/// families (kplane's queues `mc_fleet_controller` and `mc_shared_crd_status` among them), and the
/// upstream families that show the server's insides: in-flight requests, API Priority and Fairness,
/// the watch cache, etcd request latency and Go's GC pauses.
public enum InternalsFamilies {
    /// kplane's `mc_*` families (contract §5.2).
    public static let kplane = [
        "mc_storage_ensure_store_total", "mc_storage_base_decorator_total", "mc_cel_env_build_total",
        "mc_cel_env_cache_hit_total", "mc_cel_env_cache_size", "mc_crd_runtime_create_total",
        "mc_crd_serves_lookup_total", "mc_crd_serves_cache_hit_total", "mc_crd_serves_cache_miss_total",
        "mc_crd_serves_lookup_latency_seconds",
    ]
    /// client-go's workqueue families (by queue: the `name` label).
    public static let workqueue = [
        "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds",
        "workqueue_work_duration_seconds",
    ]
    /// Upstream kube-apiserver families (contract §5.3).
    public static let upstream = [
        "apiserver_current_inflight_requests", "apiserver_flowcontrol_current_executing_requests",
        "apiserver_flowcontrol_current_inqueue_requests", "apiserver_flowcontrol_rejected_requests_total",
        "apiserver_watch_cache_events_received_total", "apiserver_watch_cache_events_dispatched_total",
        "etcd_request_duration_seconds", "go_gc_duration_seconds",
    ]
    /// Every family, in the order above.
    public static let all = kplane + workqueue + upstream
    /// kplane's own queues (contract §5.2).
    public static let kplaneQueues = ["mc_fleet_controller", "mc_shared_crd_status"]
}
