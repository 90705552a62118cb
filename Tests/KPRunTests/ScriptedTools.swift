import Foundation
import KPCore
import KPRecords
import KPRunModel

@testable import KPRun

#if canImport(Glibc)
    import Glibc
#endif

/// The kp-* tools as a script for ``FakeSupervisor``: each answers its spawn by writing the records
/// the orchestrator reads from it, where the command line says, and ends with the code the test sets.
///
/// - kp-launch up: its endpoint record on stdout (and endpoint.json), then runs until `kp-launch down`;
///   or, with `launchFailure`, an error record and its `kp-launch: error:` line, then that exit code.
/// - kp-scrape: with `--interval`, runs until stopped; with `--burst`, one scrape_cost record; else one
///   sample record for `--phase`.
/// - kp-bootstrap: bootstrap_summary (teardown_summary with `--teardown`).
/// - kp-load: snapshot_warm_summary with `--snapshot-warm-pass`; else its first interval record (and
///   a watch_interval with watchers), then load_final and `loadExit`. A load phase the scenario
///   samples during keeps running until that sample is taken; with `signalDuringLoad` the signal is
///   posted and kp-load runs until the orchestrator stops it.
/// - kp-report: meta and end exit 0; check prints `checkText` and exits `checkExit`; the fold says
///   `foldMessage` as its error line (when set) and exits `foldExit`.
final class ScriptedTools: @unchecked Sendable {
    /// The fake this script answers for; the fake keeps the script (its `answer`), not the reverse.
    unowned let fake: FakeSupervisor
    let plan: RunPlan

    var launchFailure: (code: Int32, message: String)?
    var loadExit: Int32 = 0
    /// kp-load's error record with a non-zero `loadExit` (its own reason).
    var loadMessage: String?
    var signalDuringLoad: Int32?
    var checkExit: Int32 = 0
    var checkText = ""
    var foldExit: Int32 = 0
    var foldMessage: String?

    private var launchPid: pid_t?
    /// kp-load processes waiting for the sample taken during their phase.
    private var loadsAwaitingSample: [FakeSupervisor.Spawn] = []

    init(fake: FakeSupervisor, plan: RunPlan) {
        self.fake = fake
        self.plan = plan
        fake.answer = { self.answer($0) }
    }

    static let emptyHistogram = HistogramWire(
        unit: "ns", lowest: 1, highest: 3_600_000_000_000, significantDigits: 3, count: 0, min: nil, max: nil,
        sum: nil, buckets: [])
    static let generator = GeneratorWindow(scheduleLag: emptyHistogram, inflightPeak: 0, backlog: 0, cpuSeconds: 0)

    func answer(_ s: FakeSupervisor.Spawn) -> FakeSupervisor.Reply {
        let now = MonotonicClock.now()
        switch s.tool {
        case "kp-launch":
            if s.args.first == "down" {
                if let l = launchPid { fake.post(exit: 0, of: l) }
                return .exit(0)
            }
            if s.args.first == "restart" {
                fake.emit(
                    RestartRecord(
                        outcome: "ok", mode: "sim", requestedNs: now, stopNs: now, stoppedNs: now, startedNs: now,
                        readyNs: now
                    ).record, from: s)
                return .exit(0)
            }
            launchPid = s.pid
            if let failure = launchFailure {
                fake.emit(
                    ErrorRecord(tNs: now, tool: "kp-launch", message: failure.message, input: nil).record, from: s)
                fake.say("kp-launch: error: \(failure.message)", from: s)
                return .exit(failure.code)
            }
            let e = EndpointRecord(
                url: "https://127.0.0.1:6443", caFile: "target/certs/ca.crt", tokenFile: "target/token", mode: "sim",
                target: "kp-sim", emulator: true, launchedNs: now, startedAt: WallClock.now())
            if let dir = s.value("--run-dir"), let line = try? RecordCodec.encode(e.record) {
                FakeSupervisor.append(line + Data("\n".utf8), to: RunLayout.path(dir, RunLayout.endpoint))
            }
            fake.emit(e.record, from: s)
            return .running
        case "kp-scrape":
            if s.args.contains("--interval") { return .running }
            if s.args.contains("--burst") {
                fake.emit(
                    ScrapeCostRecord(tNs: now, source: "https://127.0.0.1:6443/metrics", scrapes: 20).record, from: s)
                return .exit(0)
            }
            fake.emit(
                SampleRecord(tNs: now, phase: s.value("--phase") ?? "?", source: "https://127.0.0.1:6443/metrics")
                    .record, from: s)
            let loads = loadsAwaitingSample
            loadsAwaitingSample = []
            for l in loads {
                writeLoadEnd(l)
                fake.post(exit: loadExit, of: l.pid)
            }
            return .exit(0)
        case "kp-bootstrap":
            let clusters = Int(s.value("--clusters") ?? "") ?? plan.settings.clusters
            if s.args.contains("--first-request") {
                fake.emit(
                    FirstRequestSummaryRecord(
                        clusters: clusters, ok: clusters, failed: 0, workers: plan.settings.workers, startNs: now,
                        endNs: now, interrupted: false, firstError: nil
                    ).record, from: s)
            } else if s.args.contains("--teardown") {
                fake.emit(
                    TeardownSummaryRecord(
                        clusters: clusters, ok: clusters, failed: 0, keysDeleted: 0, objectsDeleted: clusters,
                        etcd: "skipped", skippedReason: "the run does not control etcd", startNs: now, endNs: now,
                        interrupted: false
                    ).record, from: s)
            } else {
                fake.emit(
                    BootstrapSummaryRecord(
                        clusters: clusters, ok: clusters, failed: 0, workers: plan.settings.workers, startNs: now,
                        endNs: now, requests: clusters * 5, retriesByStatus: [:], interrupted: false, firstError: nil
                    ).record, from: s)
            }
            return .exit(0)
        case "kp-load":
            if s.args.contains("--snapshot-warm-pass") {
                let n = plan.settings.clusters
                fake.emit(
                    SnapshotWarmSummaryRecord(
                        clusters: n, ok: n, failed: 0, latency: Self.emptyHistogram, bytes: 0, items: 0, startNs: now,
                        endNs: now, interrupted: false
                    ).record, from: s)
                return .exit(0)
            }
            fake.emit(
                LoadIntervalRecord(startNs: now, endNs: now, ops: [], generator: Self.generator).record, from: s)
            if s.args.contains("--watchers-per-cluster") {
                let counts = WatchCounts(
                    events: 0, matched: 0, unmatched: 0, bookmarks: 0, ends: [:], reestablished: 0, lists: 0,
                    listErrors: 0, delivery: Self.emptyHistogram, deliveryFromResponse: Self.emptyHistogram,
                    deliveryBeforeResponse: 0)
                fake.emit(WatchIntervalRecord(startNs: now, endNs: now, open: 0, counts: counts).record, from: s)
            }
            if let sig = signalDuringLoad {
                fake.post(signal: sig)
                return .running
            }
            if load(of: s)?.sampleDuring != nil {
                loadsAwaitingSample.append(s)
                return .running
            }
            writeLoadEnd(s)
            return .exit(loadExit)
        case "kp-report":
            switch s.args.first {
            case "check":
                if !checkText.isEmpty { fake.write(checkText, from: s) }
                return .exit(checkExit)
            case plan.dir:
                if let foldMessage { fake.say("kp-report: error: \(foldMessage)", from: s) }
                return .exit(foldExit)
            default:
                return .exit(0)
            }
        default:
            fake.say("\(s.tool): error: not a tool this script knows", from: s)
            return .exit(127)
        }
    }

    /// The scenario's load step a kp-load command belongs to (by the plan's command for it).
    func load(of s: FakeSupervisor.Spawn) -> Scenario.Load? {
        plan.settings.scenario.loads.first { l in
            plan.load(l).contains { $0.args == s.args && s.stdout.path == plan.file($0.stdout!) }
        }
    }

    /// What kp-load writes at its end: load_final (50 ops/s asked, 40 achieved), and its error record
    /// when it fails with `loadMessage`.
    func writeLoadEnd(_ s: FakeSupervisor.Spawn) {
        let now = MonotonicClock.now()
        let limited = loadExit == KPExitCode.generatorLimited.rawValue
        let final = LoadFinalRecord(
            startNs: now, endNs: now, targetRps: ["write": 10, "read": 40], achievedRps: ["write": 8, "read": 32],
            ops: [], generator: Self.generator, perCluster: [], generatorLimited: limited,
            generatorLimitReason: limited ? loadMessage : nil, storedObjectBytes: nil, interrupted: false,
            settings: [:], targetSaturated: loadExit == KPExitCode.targetSaturated.rawValue)
        fake.emit(final.record, from: s)
        if loadExit != 0, let m = loadMessage {
            fake.emit(ErrorRecord(tNs: now, tool: "kp-load", message: m, input: nil).record, from: s)
        }
    }
}
