import ArgumentParser
import KPBootstrap
import KPCLI

/// `kp-bootstrap`: bootstraps N VCPs as the 200-VCP memory test does and streams one record per step.
@main
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-bootstrap",
        abstract: "Bootstrap N virtual control planes (VCPs) as kplane's 200-VCP memory test does.",
        discussion: """
            Each cluster c runs five steps against B = <url>/clusters/<c>/control-plane, in order: \
            readyz (GET B/readyz until 200; this first request creates the VCP), namespace (GET \
            B/api/v1/namespaces/default until 200), crd_create (POST the test CRD, expects 201), \
            crd_established (GET the CRD until Established=True) and discovery (GET B/apis/<group>/v1 \
            until it lists memwidgets). Workers take clusters in order; there is no client-side rate limit.

            The CRD is the memory test's (group mem-<c>.kplane.dev, plural memwidgets, singular testwidget, \
            kind TestWidget, Namespaced, v1) with one difference: its schema declares spec.data \
            ({type: object, properties: {spec: {type: object, properties: {data: {type: string}}}}}) \
            so that kp-load's payloads survive structural pruning; the test's schema is {type: object}.

            429 and 5xx answers are retried after exponential backoff (--backoff-base doubling up to \
            --backoff-cap, with jitter, raised to Retry-After) and counted; transport errors are retried \
            within the step's deadline; 401 fails at once. stdout gets one bootstrap_step record per step \
            as it ends, then one bootstrap_summary. On SIGINT/SIGTERM no new cluster starts, steps in flight \
            end as 'interrupted', the summary says interrupted=true, and the exit code is 130/143. \
            When any cluster failed (after every record is written) the exit code is the verdict: 12 when \
            failed steps got error answers from the target (429, 5xx, other statuses, resets, transport \
            errors, or 2xx without success before the deadline), 11 when they got no answer at all \
            (timeouts, refused connections), 1 otherwise.

            With --crds-per-cluster K each cluster gets K test CRDs: CRD 0 is the one above, CRD i ≥ 1 the \
            same in group mem<i>-<c>.kplane.dev. After namespace, all K are created, then each is waited \
            for until Established, then each until discovered; those records name their CRD (field crd, \
            absent with K = 1). --teardown deletes all K.

            With --fleet NAME (scenario fleet-bootstrap, contract §3.3) the clusters are made server-side \
            first: one Fleet is POSTed to <url>/apis/kplane.dev/v1/fleets (spec.replicas = --clusters, \
            spec.namePrefix = --fleet-name-prefix, or spec.names = --names) and polled every \
            --fleet-poll-interval until status.readyReplicas = replicas (one fleet_member record per member \
            phase change seen, then one fleet_status record); the members (<prefix><%04d index>, the prefix \
            defaulting to NAME-) then run the same five steps as above, so per-VCP figures compare with a \
            client-driven bootstrap. The bootstrap_summary then starts at the Fleet's create (its fleet field \
            names the Fleet), so its span, the bootstrap time, runs through the Fleet wait to the last \
            member's discovery. A Fleet that does not become ready ends the run with exit 1.

            With --teardown (scenario teardown, contract §3.5) nothing is created: for each cluster (--clusters/\
            --name-format, --names, or --bootstrap FILE = the clusters whose five steps were all ok there) the \
            test objects (memwidgets in namespace default) are listed and deleted, then the test CRD; then, when \
            the endpoint record says kp-launch started a throw-away etcd for this run (etcd_managed, mode sim or \
            local, etcd_endpoints and etcd_prefix set), every key under etcd_prefix containing /clusters/<c>/ is \
            deleted over etcd's v3 JSON gateway, as controlplane-operator deletes a VCP's data; otherwise the etcd \
            step is skipped and the summary says why. stdout gets one teardown_step record per step and one \
            teardown_summary; exit 1 when any cluster failed.

            With --first-request (scenario restart, after the target was restarted with its storage) nothing \
            is created: each cluster (--clusters/--name-format, --names, or --bootstrap FILE) gets its first \
            request, --workers at a time: GET B/apis/mem-<c>.kplane.dev/v1/namespaces/default/memwidgets, \
            which only a server that brought the VCP and its stored test CRD back answers 200 (a 404 fails the \
            cluster: its storage was not kept). 429, 5xx and transport errors are retried after backoff until \
            --readyz-deadline. stdout gets one first_request record per cluster (its latency, retries \
            included) and one first_request_summary (the time until every VCP answered); exit 1 when any \
            cluster failed.
            """)

    @OptionGroup var options: BootstrapOptions

    static func main() async { await ToolMain.run(Self.self) }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        try options.checkInputs()
        let endpoint = try options.target.resolve()
        let tool = BootstrapTool(options: options, endpoint: endpoint)
        let outcome = try await tool.run(stopSignals: SignalWatcher.shared)
        // A stopped run exits 130/143 (SIGINT/SIGTERM) after its records.
        if outcome == .stopped, let code = SignalWatcher.shared.exitCode { throw ExitCode(code.rawValue) }
    }
}
