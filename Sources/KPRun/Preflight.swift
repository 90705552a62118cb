import Foundation
import KPRunModel

#if canImport(Glibc)
    import Glibc
#endif

/// kp-run's pre-flight: before anything starts, will the runs' directories fit in `--out`, and (when
/// kp-run starts the target on this machine) will the target fit in memory?
///
/// The estimates are pure functions of the runs' settings; the free bytes and available memory are
/// inputs, read from the machine by ``check(runs:out:)`` (statvfs of `--out`, MemAvailable from
/// /proc/meminfo). A check whose figure cannot be read is skipped.
public enum Preflight {
    // MARK: - Sizes of what a run writes

    // Measured in the committed runs (results/*/, made on kp-sim at 50 and 200 VCPs, files as written:
    // `zcat` for the *.jsonl.gz ones), rounded up.

    /// One bootstrap record (`bootstrap_step`, Fleet `fleet_member`): bootstrap-200's bootstrap.jsonl is
    /// 187,592 B in 1,001 lines (187 B a line), fleet-bootstrap-200's 217,678 B in 1,202 (181 B).
    static let bootstrapRecordBytes = 190.0
    /// Bootstrap records per VCP: five steps (bootstrap-200: 1,000 step records for 200 VCPs), plus one
    /// member record with a Fleet (fleet-bootstrap-200: 1,200).
    static let bootstrapRecordsPerVCP = 5.0
    /// teardown.jsonl per VCP: teardown-200 wrote 71,071 B in 401 lines for 200 VCPs (two steps each).
    static let teardownBytesPerVCP = 360.0
    /// snapshot-warm.jsonl per VCP: snapshot-200 wrote 36,452 B in 201 lines for 200 VCPs.
    static let snapshotWarmBytesPerVCP = 185.0
    /// One `sample` record in samples.jsonl: a fixed part plus a part per VCP (whole histograms with
    /// per-VCP series). demo (50 VCPs) post-bootstrap: 345,735 B; bootstrap-200: 1,270,394 B (6.2 KB a
    /// VCP over 37 KB); mixed-hot-200 post-load: 1,673,938 B (8.4 KB a VCP). Samples before the
    /// bootstrap are 12–18 KB; each is counted at the largest size.
    static let sampleBaseBytes = 40_000.0
    static let sampleBytesPerVCP = 8_400.0
    /// One timeseries.jsonl line (one per --series-interval for the whole run): 256 B at 50 and at
    /// 200 VCPs (demo: 6,365 B in 25 lines; bootstrap-200: 7,675 B in 30; its size does not grow with N).
    static let timeseriesLineBytes = 300.0
    /// One pprof pair (heap-*.pb.gz + goroutine-*.txt) per profiled sample. kp-sim's: 0.6–0.8 KB and
    /// 0.5–1.1 KB (results/*/pprof/). A real apiserver's are far larger and not measured here: the seed
    /// puts a bootstrap run's outputs, two profiled samples, under 100 MB "mostly pprof", so 32 MiB a pair.
    static let pprofPairBytesSim = 4_096.0
    static let pprofPairBytes = 32.0 * 1_048_576
    /// load.jsonl: one `load_interval` a second per kp-load process, a fixed part (the generator's
    /// schedule-lag histogram, 5.7 KB in mixed-hot-200) plus a part per operation a second (its latency
    /// histograms: 24,962 B at 500 ops/s in mixed-hot-200, 50 B; snapshot-200's load and snapshot
    /// intervals 34,262 B at 520 ops/s, 66 B).
    static let loadIntervalBaseBytes = 6_000.0
    static let loadIntervalBytesPerOpPerSecond = 70.0
    /// The final records per kp-load process (`load_final`, `snapshot_final`): whole-run histograms plus
    /// one entry per hot cluster. snapshot-200: 856,884 + 55,048 B; `per_cluster` in mixed-hot-200's
    /// load_final: 143,791 B for 20 hot clusters (7.2 KB each).
    static let loadFinalBaseBytes = 1_048_576.0
    static let loadFinalBytesPerHotCluster = 7_500.0
    /// Watch streams: `watch_interval` per second, per watcher (watch-fanout-200: 17,478 B a second for
    /// 200 watchers, 87 B), and `watch_final` (133,051 B).
    static let watchIntervalBytesPerWatcher = 90.0
    static let watchFinalBytes = 262_144.0
    /// Everything else in a run directory (meta, endpoint, launch records, the report, CL2 files, the
    /// tools' logs): the committed runs hold 0.2–0.5 MB of them.
    static let otherFilesBytes = 4.0 * 1_048_576
    /// The target's own log in logs/ when kp-run starts a real apiserver: an allowance, not measured
    /// (kp-sim's is under 1 KB).
    static let targetLogBytes = 32.0 * 1_048_576
    /// A repeat set's, sweep's or comparison's own report beside its runs.
    static let seriesReportBytes = 2.0 * 1_048_576
    /// What the estimate is multiplied by: the sizes above are from kp-sim at 200 VCPs, a real server's
    /// histograms and a slower bootstrap (more timeseries lines) can be larger.
    public static let safetyFactor = 2.0

    /// Seconds of bootstrap per VCP assumed for the timeseries: kp-sim bootstrapped 200 VCPs in about
    /// 12 s (bootstrap-200); a real server is assumed 40 times slower.
    static let bootstrapSecondsPerVCP = 0.5
    /// Launch (until ready) and one sample, at most, for the timeseries' run time.
    static let launchSeconds = 60.0
    static let sampleSeconds = 10.0

    // MARK: - Disk

    /// The samples of a run: (kp-scrape samples, of which profiled): the launch sample and the scenario's.
    static func samples(_ s: RunSettings) -> (all: Int, profiled: Int) {
        let samples = [Scenario.launchSample] + s.scenario.samples
        return (samples.count, samples.filter(\.pprof).count)
    }

    /// Hot clusters of the load phase (the run model's rule, kp-load's).
    static func hotClusters(_ s: RunSettings) -> Int {
        Scenario.hotCount(of: s.clusters, percent: s.hotPercent)
    }

    /// True when kp-run starts the target on this machine (local, sim and docker mode; not url mode).
    static func startsTarget(_ s: RunSettings) -> Bool {
        (s.environment["APISERVER_URL"] ?? "").isEmpty
    }

    /// Bytes one run writes into its run directory, without the safety factor.
    public static func diskBytes(_ s: RunSettings) -> Double {
        let n = Double(s.clusters)
        var bytes = otherFilesBytes
        if startsTarget(s) && !s.sim { bytes += targetLogBytes }
        var seconds = launchSeconds
        for step in s.scenario.steps {
            if case .wait(let w) = step { seconds += s.duration(w).seconds }
            if case .bootstrap = step {
                let perVCP = bootstrapRecordsPerVCP + (s.scenario.fleetName != nil ? 1 : 0)
                bytes += n * perVCP * bootstrapRecordBytes
                seconds += n * bootstrapSecondsPerVCP
            }
            if case .teardown = step {
                bytes += n * teardownBytesPerVCP
                seconds += n * bootstrapSecondsPerVCP
            }
            if case .snapshotWarm = step {
                bytes += n * snapshotWarmBytesPerVCP
                seconds += n * bootstrapSecondsPerVCP
            }
            if case .churn = step {
                // One cycle: a teardown of m VCPs and a bootstrap of m new ones.
                let m = Double(s.churnPlan.perCycle)
                bytes += m * (teardownBytesPerVCP + bootstrapRecordsPerVCP * bootstrapRecordBytes)
                seconds += 2 * m * bootstrapSecondsPerVCP
            }
        }
        let (all, profiled) = samples(s)
        bytes += Double(all) * (sampleBaseBytes + n * sampleBytesPerVCP)
        bytes += Double(profiled) * (s.sim ? pprofPairBytesSim : pprofPairBytes)
        seconds += Double(all) * sampleSeconds
        let hot = Double(hotClusters(s))
        let shards = Double(max(1, s.loadShards))
        let load = s.loadDuration.seconds
        for phase in s.scenario.loads {
            var opsPerSecond = hot * (s.writeRPS + s.readRPS)
            if phase.snapshotReads { opsPerSecond += hot * s.snapshotRPS }
            bytes +=
                load * (shards * loadIntervalBaseBytes + opsPerSecond * loadIntervalBytesPerOpPerSecond)
                + shards * loadFinalBaseBytes + hot * loadFinalBytesPerHotCluster
            if phase.watchers {
                let watchers = hot * Double(s.watchersPerCluster)
                bytes += load * watchers * watchIntervalBytesPerWatcher + shards * watchFinalBytes
            }
            seconds += load
        }
        bytes += (seconds / max(s.seriesInterval.seconds, 0.001)).rounded(.up) * timeseriesLineBytes
        return bytes
    }

    /// Free bytes `runs` need in `--out`: the sum over the runs (a repeat set, sweep or comparison runs
    /// one after another and keeps every run), plus the series' own report, times ``safetyFactor``.
    public static func diskNeed(_ runs: [RunSettings]) -> Int64 {
        var bytes = runs.reduce(0) { $0 + diskBytes($1) }
        if runs.count > 1 { bytes += seriesReportBytes }
        return Int64((bytes * safetyFactor).rounded(.up))
    }

    // MARK: - Memory

    /// Memory the target needs for `clusters` VCPs, from the seed's table (shared spec, "Free memory":
    /// ≥ 3 GiB for 200 VCPs, ≥ 6 GiB for 1000, ≥ 8 GiB for 2000, the peak RSS of the bootstrap burst):
    /// linear between those points, the last slope (2 GiB per 1000 VCPs) beyond 2000, and below 200 in
    /// proportion to 3 GiB at 200 (15.36 MiB a VCP) but never less than ``memoryFloor``.
    public static func memoryNeed(clusters: Int) -> Int64 {
        let gib = 1_073_741_824.0
        let n = Double(max(0, clusters))
        let need: Double =
            if n < 200 {
                max(Double(memoryFloor), 3 * gib * n / 200)
            } else if n <= 1000 {
                (3 + 3 * (n - 200) / 800) * gib
            } else {
                (6 + 2 * (n - 1000) / 1000) * gib
            }
        return Int64(need.rounded(.up))
    }

    /// The least memory asked for, however few the VCPs: 512 MiB (the server and etcd themselves).
    public static let memoryFloor: Int64 = 512 * 1_048_576

    /// RSS as a function of N measured by an earlier sweep of the same target (`kp-report sweep`'s
    /// `rss_bytes` row): the upper ends of its 95 % intervals, so the check stays on the safe side.
    public struct MemoryFit: Sendable, Equatable {
        public var intercept: Double
        public var slopePerVCP: Double
        /// The sweep.csv it came from, for the message.
        public var source: String
        public init(intercept: Double, slopePerVCP: Double, source: String) {
            self.intercept = intercept
            self.slopePerVCP = slopePerVCP
            self.source = source
        }
        public func need(clusters: Int) -> Int64 { Int64((intercept + slopePerVCP * Double(clusters)).rounded(.up)) }
    }

    /// Reads the `rss_bytes` fit of a sweep folder's sweep.csv (`--preflight-sweep DIR`). Throws a
    /// one-line problem naming the file and the fix.
    public static func memoryFit(sweepDirectory dir: String) throws(PreflightInputError) -> MemoryFit {
        let path = (dir as NSString).appendingPathComponent("sweep.csv")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PreflightInputError(
                "--preflight-sweep \(dir): no readable sweep.csv there: give the folder `make sweep` (kp-report sweep --out) wrote"
            )
        }
        let lines = text.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first,
            let row = lines.dropFirst().first(where: { $0.first == "rss_bytes" }), row.count == header.count
        else {
            throw PreflightInputError(
                "--preflight-sweep \(path) has no rss_bytes row: re-run kp-report sweep on that sweep")
        }
        let cell = Dictionary(uniqueKeysWithValues: zip(header, row))
        func number(_ keys: [String]) -> Double? { keys.lazy.compactMap { cell[$0].flatMap(Double.init) }.first }
        guard let slope = number(["slope_ci_high", "slope_per_vcp"]),
            let intercept = number(["intercept_ci_high", "intercept"]), slope > 0
        else {
            throw PreflightInputError(
                "--preflight-sweep \(path): its rss_bytes row has no fit (too few sizes?): sweep at least two sizes")
        }
        return MemoryFit(intercept: intercept, slopePerVCP: slope, source: path)
    }

    // MARK: - The check

    /// The one-line problem when `runs` do not fit, else nil.
    ///
    /// - Parameters:
    ///   - out: the `--out` directory, for the message.
    ///   - freeDisk: bytes free to an unprivileged user in `out` (nil: not checked).
    ///   - availableMemory: MemAvailable in bytes (nil: not checked). Checked only for runs whose target
    ///     kp-run starts; runs go one after another, so the largest run's need counts.
    public static func problem(
        runs: [RunSettings], out: String, freeDisk: Int64?, availableMemory: Int64?, fit: MemoryFit? = nil
    ) -> String? {
        var problems: [String] = []
        var fixes: [String] = []
        let disk = diskNeed(runs)
        if let freeDisk, disk > freeDisk {
            let what = runs.count > 1 ? "these \(runs.count) runs need" : "this run needs"
            problems.append("\(what) about \(format(disk)) of disk in --out \(out) but \(format(freeDisk)) is free")
            fixes.append("free disk space there or choose another --out (OUT=…)")
        }
        if let availableMemory, let most = runs.filter(startsTarget).map(\.clusters).max() {
            // The seed's table is the floor; an earlier sweep of this target raises it when it measured more.
            let table = memoryNeed(clusters: most)
            let measured = fit?.need(clusters: most) ?? 0
            let memory = max(table, measured)
            if memory > availableMemory {
                let rule = measured > table ? " (from \(fit!.source): RSS fit, upper 95 % bounds)" : ""
                problems.append(
                    "a target with \(most) VCPs needs about \(format(memory)) of memory\(rule) but \(format(availableMemory)) is available"
                )
                fixes.append("free memory or lower --clusters/--sizes")
            }
        }
        guard !problems.isEmpty else { return nil }
        return "pre-flight: \(problems.joined(separator: "; ")): \(fixes.joined(separator: " and ")), "
            + "or pass --skip-preflight (SKIP_PREFLIGHT=1) to run anyway"
    }

    /// ``problem(runs:out:freeDisk:availableMemory:)`` with this machine's free space in `out` and
    /// its available memory.
    public static func check(runs: [RunSettings], out: String, fit: MemoryFit? = nil) -> String? {
        problem(runs: runs, out: out, freeDisk: freeBytes(atPath: out), availableMemory: availableMemory(), fit: fit)
    }

    /// Bytes free to an unprivileged user on the file system holding `path` (statvfs), or nil.
    public static func freeBytes(atPath path: String) -> Int64? {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return nil }
        return Int64(st.f_bavail) * Int64(st.f_frsize)
    }

    /// MemAvailable from /proc/meminfo in bytes, or nil (no /proc, or an older kernel without it).
    public static func availableMemory(meminfo path: String = "/proc/meminfo") -> Int64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return memAvailable(in: text)
    }

    /// The `MemAvailable:   123456 kB` line of a /proc/meminfo text, in bytes.
    public static func memAvailable(in meminfo: String) -> Int64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let words = line.split(separator: " ")
            guard words.count >= 2, let kib = Int64(words[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// Bytes as "1.5 GiB", "120 MiB", "900 KiB".
    public static func format(_ bytes: Int64) -> String {
        let b = Double(bytes)
        if b >= 1_073_741_824 { return String(format: "%.1f GiB", b / 1_073_741_824) }
        if b >= 1_048_576 { return String(format: "%.0f MiB", b / 1_048_576) }
        return String(format: "%.0f KiB", b / 1024)
    }
}

/// A bad `--preflight-sweep` input: one line naming the file and the fix (exit 2).
public struct PreflightInputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
