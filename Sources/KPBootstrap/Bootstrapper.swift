import Foundation
import KPCore
import KPHTTP
import KPRecords
import Synchronization

/// Bootstraps many VCPs concurrently, exactly as the 200-VCP memory test does (contract §4.2).
///
/// `workers` tasks each take the next cluster and run its five ``BootstrapStep``s in order; a step that
/// does not end `ok` ends that cluster (its later steps are not run). Each step's record is handed to
/// `onStep` as soon as the step ends, so a crash or kill loses nothing already measured. Cancelling the
/// task that calls ``run()`` (the tool does so on SIGINT/SIGTERM) stops new clusters from starting and
/// ends in-flight steps as `interrupted`; the summary then has `interrupted: true` and counts only
/// clusters that finished.
public struct Bootstrapper: Sendable {
    /// One cluster's end state, reported to `onCluster` when the cluster is done.
    public struct ClusterResult: Sendable, Equatable {
        public var cluster: String
        /// True when all five steps ended `ok`.
        public var ok: Bool
        /// True when a signal cut the cluster short (it counts as neither ok nor failed).
        public var interrupted: Bool
        /// The step that did not end `ok`, and why.
        public var failedStep: BootstrapStep?
        public var error: String?
    }

    public let configuration: BootstrapConfiguration
    private let transport: any HTTPTransport
    private let onStep: @Sendable (BootstrapStepRecord) -> Void
    private let onCluster: @Sendable (ClusterResult) -> Void

    /// - Parameters:
    ///   - transport: the HTTP client (``KPHTTP/HTTPClient`` in the tool, a fake in tests); it adds the token.
    ///   - onStep: called once per step as it ends, from any task; must be thread-safe (``KPRecords/JSONLWriter`` is).
    ///   - onCluster: called once per cluster as it ends (progress, error lines).
    public init(
        configuration: BootstrapConfiguration, transport: any HTTPTransport,
        onStep: @escaping @Sendable (BootstrapStepRecord) -> Void,
        onCluster: @escaping @Sendable (ClusterResult) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.onStep = onStep
        self.onCluster = onCluster
    }

    private struct Tally: Sendable {
        var next = 0
        var ok = 0
        var failed = 0
        var requests = 0
        var retriesByStatus: [String: Int] = [:]
        var firstError: String?
    }

    /// Shared between the worker tasks (a `Mutex` cannot be captured by escaping closures directly).
    private final class SharedTally: Sendable {
        let state = Mutex(Tally())
        func withLock<R: Sendable>(_ body: (inout Tally) -> R) -> R { state.withLock { body(&$0) } }
    }

    /// Runs every cluster (or until cancelled) and returns the `bootstrap_summary` record.
    public func run() async -> BootstrapSummaryRecord {
        let startNs = MonotonicClock.now()
        let tally = SharedTally()
        let clusters = configuration.clusters
        let workers = max(1, min(configuration.workers, clusters.count))
        let runner = StepRunner(configuration: configuration, transport: transport)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while !Task.isCancelled {
                        let index: Int? = tally.withLock { t in
                            guard t.next < clusters.count else { return nil }
                            defer { t.next += 1 }
                            return t.next
                        }
                        guard let index else { return }
                        let result = await bootstrap(clusters[index], runner: runner, tally: tally)
                        onCluster(result)
                    }
                }
            }
        }
        let endNs = MonotonicClock.now()
        let t = tally.withLock { $0 }
        return BootstrapSummaryRecord(
            clusters: clusters.count, ok: t.ok, failed: t.failed, workers: workers, startNs: startNs, endNs: endNs,
            requests: t.requests, retriesByStatus: t.retriesByStatus, interrupted: Task.isCancelled,
            firstError: t.firstError)
    }

    private func bootstrap(_ cluster: String, runner: StepRunner, tally: SharedTally) async -> ClusterResult {
        // readyz and namespace once; then each CRD step for every test CRD before the next step.
        let crds = configuration.crdsPerCluster
        let plan = BootstrapStep.allCases.flatMap { step in (0..<(step.isCRDStep ? crds : 1)).map { (step, $0) } }
        for (step, crd) in plan {
            let result = await runner.run(step, cluster: cluster, crd: crd)
            onStep(result.record)
            let outcome = result.record.outcome
            let interrupted = outcome == StepOutcome.interrupted
            let summaryLine = "\(cluster) \(step.rawValue) \(outcome): \(result.record.error ?? "")"
            tally.withLock { t in
                t.requests += result.record.attempts
                t.retriesByStatus.merge(result.retriesByStatus, uniquingKeysWith: +)
                if !result.ok && !interrupted {
                    t.failed += 1
                    if t.firstError == nil { t.firstError = summaryLine }
                }
            }
            if !result.ok {
                return ClusterResult(
                    cluster: cluster, ok: false, interrupted: interrupted, failedStep: step, error: result.record.error)
            }
        }
        tally.withLock { $0.ok += 1 }
        return ClusterResult(cluster: cluster, ok: true, interrupted: false, failedStep: nil, error: nil)
    }
}
