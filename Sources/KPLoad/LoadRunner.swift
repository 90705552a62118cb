import Foundation
import KPCore
import KPRecords
import KPStats
import Logging
import Synchronization

/// A whole kp-load run: pre-warm, the load phase, and what people read on stderr.
///
/// ``stop()`` (from a signal) works at any point: during the pre-warm it cancels it and the
/// phase that follows sends nothing, so `load_final` is still written, with `interrupted=true`.
public final class LoadRunner: Sendable {
    public let configuration: LoadConfiguration
    private let transport: any LoadTransport
    private let generator: LoadGenerator
    private let prewarmTask = Mutex<Task<Int64, any Error>?>(nil)
    private let logger: Logger
    /// Snapshot operations (`--snapshot-rps-per-cluster`), run beside the read/write phase.
    public let snapshots: SnapshotLoad?
    private let snapshotResult = Mutex<SnapshotFinalRecord?>(nil)
    /// The snapshot operations' `snapshot_final` once ``run(emit:)`` returned (nil without them).
    public var snapshotFinal: SnapshotFinalRecord? { snapshotResult.withLock { $0 } }

    public convenience init(
        configuration: LoadConfiguration, transport: any LoadTransport, logger: Logger = Logger(label: "kp-load")
    ) {
        self.init(configuration: configuration, transports: [transport], logger: logger)
    }

    /// - Parameter transports: one per driver thread (`--threads`); the pre-warm uses the first.
    public init(
        configuration: LoadConfiguration, transports: [any LoadTransport], logger: Logger = Logger(label: "kp-load"),
        snapshots: SnapshotLoad? = nil
    ) {
        self.snapshots = snapshots
        self.configuration = configuration
        self.transport = transports[0]
        self.generator = LoadGenerator(configuration: configuration, transports: transports)
        self.logger = logger
    }

    /// Stops the run: cancels the pre-warm, or stops the schedule and drains.
    public func stop() {
        generator.stop()
        snapshots?.stop()
        prewarmTask.withLock { $0?.cancel() }
    }

    /// Pre-warms, runs the phase, and passes every record to `emit` as it is made.
    ///
    /// - Throws: the pre-warm's ``KPCore/ToolFailure`` when objects could not be created (the
    ///   load phase then does not run).
    /// - Parameter beforePhase: runs after the pre-warm and before the schedule starts (kp-load's
    ///   watchers open their watches there, so the pre-warm's writes are not among their events).
    public func run(
        beforePhase: (@Sendable () async -> Void)? = nil, emit: @escaping @Sendable (Record) -> Void
    ) async throws -> LoadGenerator.Result {
        let cfg = configuration
        let schedule = cfg.schedule
        let total = (schedule.targetRate[.read] ?? 0) + (schedule.targetRate[.write] ?? 0)
        logger.info(
            "kp-load: \(cfg.hotClusters.count) of \(cfg.clusterCount) clusters hot; \(Self.rate(total)) ops/s for \(Double(cfg.durationNs) / 1e9)s (\(cfg.arrival.rawValue), seed \(cfg.seed)); pre-warming \(cfg.hotClusters.count * cfg.objectsPerCluster) objects of \(cfg.objectBytes) B"
        )

        let prewarmer = Prewarmer(catalog: generator.catalog, transport: transport)
        let task = Task { try await prewarmer.run() }
        prewarmTask.withLock { $0 = task }
        if generator.isStopped { task.cancel() }
        var stored: Int64?
        do {
            stored = try await task.value
        } catch is CancellationError {
            stored = nil
        } catch {
            if !generator.isStopped { throw error }
        }
        if let stored {
            logger.info("kp-load: pre-warm done; stored object size \(stored) B")
        }

        if let beforePhase, !generator.isStopped { await beforePhase() }
        let generator = self.generator
        let storedBytes = stored
        // The snapshot schedule starts with the read/write one and runs on its own threads.
        if generator.isStopped { snapshots?.stop() }
        async let snapshotFinal = snapshots?.run(emit: emit)
        let result: LoadGenerator.Result = await withCheckedContinuation { cont in
            let t = Thread {
                cont.resume(returning: generator.run(storedObjectBytes: storedBytes, emit: emit))
            }
            t.name = "kp-load-reporter"
            t.start()
        }
        report(result)
        if let final = await snapshotFinal {
            snapshotResult.withLock { $0 = final }
            emit(.snapshotFinal(final))
            reportSnapshots(final)
        }
        return result
    }

    /// The snapshot operations' line on stderr.
    private func reportSnapshots(_ f: SnapshotFinalRecord) {
        let w = f.window.requests
        let resp = try? LatencyHistogram(wire: w.response)
        let serv = try? LatencyHistogram(wire: w.service)
        let perResponse = w.count > 0 ? Double(f.window.items) / Double(max(1, w.count - w.errors)) : 0
        logger.info(
            "kp-load: snapshots n=\(w.count) errors=\(w.errors) achieved \(String(format: "%.2f", f.achievedRps)) of \(Self.rate(f.targetRps))/s; response p50 \(Self.ms(resp?.percentile(50))) p99 \(Self.ms(resp?.percentile(99))) | service p50 \(Self.ms(serv?.percentile(50))) p99 \(Self.ms(serv?.percentile(99))); \(String(format: "%.1f", perResponse)) items per answer, largest \(f.window.maxBytes) B"
        )
        if f.generatorLimited {
            StandardError.write(
                "kp-load: the snapshot schedule fell behind (lag p99 over --max-lag): its latencies describe kp-load too\n"
            )
        }
    }

    private static func rate(_ r: Double) -> String {
        r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    private static func ms(_ ns: Int64?) -> String {
        guard let ns else { return "-" }
        return String(format: "%.2fms", Double(ns) / 1e6)
    }

    /// The human summary on stderr; the generator-limited warning is loud on purpose.
    private func report(_ r: LoadGenerator.Result) {
        let f = r.final
        var lines: [String] = []
        for w in f.ops where w.count > 0 {
            let resp = try? LatencyHistogram(wire: w.response)
            let serv = try? LatencyHistogram(wire: w.service)
            lines.append(
                "  \(w.op.padding(toLength: 12, withPad: " ", startingAt: 0)) n=\(w.count) errors=\(w.errors) conflicts=\(w.conflicts) "
                    + "response p50 \(Self.ms(resp?.percentile(50))) p99 \(Self.ms(resp?.percentile(99))) max \(Self.ms(resp?.max)) | "
                    + "service p50 \(Self.ms(serv?.percentile(50))) p99 \(Self.ms(serv?.percentile(99)))")
        }
        let lag = try? LatencyHistogram(wire: f.generator.scheduleLag)
        let achieved = f.achievedRps.values.reduce(0, +)
        let target = f.targetRps.values.reduce(0, +)
        lines.append(
            "  generator: achieved \(String(format: "%.1f", achieved)) of \(Self.rate(target)) ops/s; schedule lag p50 \(Self.ms(lag?.percentile(50))) p99 \(Self.ms(lag?.percentile(99))) max \(Self.ms(lag?.max)); in-flight peak \(f.generator.inflightPeak); backlog \(f.generator.backlog); CPU \(String(format: "%.2f", f.generator.cpuSeconds))s"
        )
        logger.info("kp-load: \(f.interrupted ? "interrupted" : "done")\n\(lines.joined(separator: "\n"))")
        if let why = f.targetSaturationReason, f.targetSaturated == true, !f.generatorLimited {
            StandardError.write(
                """
                kp-load: \(why).
                kp-load kept its own schedule; the operations waited on the server, so this is a server
                result: the latencies above are the server's at this offered rate.

                """)
        }
        if f.generatorLimited {
            let bar = String(repeating: "!", count: 78)
            StandardError.write(
                """
                \(bar)
                kp-load: GENERATOR-LIMITED: kp-load could not keep its own schedule, so these latencies
                describe the load generator as much as the server. Do not use them as server figures.
                \(r.limitReasons.map { "  - \($0)" }.joined(separator: "\n"))
                Lower the rate, give kp-load more CPU (--threads, its own cores, or shards with --shard I/N),
                or raise --max-lag knowingly.
                \(bar)

                """)
        }
    }
}
