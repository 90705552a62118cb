import Foundation
import KPStats

/// `kp-report capacity`: how many VCPs fit on a kplane `ControlPlaneShard` of a given
/// `spec.capacity`, from a sweep over N (the idle class) and optionally a mixed-* run (the hot class).
///
/// The model (docs/reports.md, "Capacity"): at steady a resource is fixed + marginal × N (the
/// sweep's least-squares fit); a hot VCP adds its load cost, (post-load − steady) / hot VCPs of the
/// loaded runs. The shard's conservative use of a resource at N VCPs with a hot share p is
///
///     fixed + N × upper(marginal) + p × N × upper(per-hot-VCP cost)
///
/// with upper() the 95 % bound; beyond the largest N measured the idle part is the larger of that
/// and the upper 95 % prediction bound of the fit at N, and the answer says it extrapolates. The
/// VCPs that fit are the largest N whose conservative use stays within the utilisation × the limit,
/// for memory (RSS) and CPU, capped by maxControlPlanes; the smallest names the binding resource.
public struct Capacity: Sendable {
    /// The files capacity writes (and, when the output folder holds sweep.html, a section of it).
    public static let outputFiles = ["capacity.md", "capacity.json"]
    /// Where the search stops when nothing bounds the count.
    public static let searchLimit = 1_000_000

    /// A value with its 95 % interval; no bounds when there is no interval (one run, two sizes).
    public struct Interval: Sendable, Codable, Equatable {
        public var value: Double
        public var low: Double?
        public var high: Double?
        public init(_ value: Double, low: Double? = nil, high: Double? = nil) {
            self.value = value
            self.low = low
            self.high = high
        }
        /// The conservative figure: the upper bound, else the value.
        public var upper: Double { high ?? value }
        static func + (a: Interval, b: Interval) -> Interval {
            Interval(
                a.value + b.value, low: a.low.flatMap { l in b.low.map { l + $0 } },
                high: a.high.flatMap { h in b.high.map { h + $0 } })
        }
        func scaled(_ k: Double) -> Interval { Interval(value * k, low: low.map { $0 * k }, high: high.map { $0 * k }) }
    }

    /// A resource's per-VCP cost at steady, from the sweep's fit.
    public struct Cost: Sendable {
        /// `rss_bytes`, `heap_inuse_bytes`, `cpu_cores`, `goroutines`, `open_fds`.
        public var key: String
        public var title: String
        /// `bytes`, `cores` or `count`.
        public var unit: String
        public var fit: LinearFit
        public var marginal: Interval
        public var fixed: Interval
        /// sweep.md's "linear in N".
        public var linearity: String
    }

    /// A resource's cost per hot VCP beyond an idle VCP's, from the loaded runs.
    public struct HotCost: Sendable {
        public var key: String
        public var title: String
        public var unit: String
        /// One value per loaded run.
        public var perRun: [Double]
        /// Their mean with its 95 % interval (Student t, runs − 1 df; none from one run).
        public var estimate: Interval
    }

    /// A class profile as the sharding design's estimates: cores, bytes and requests/s per VCP.
    public struct ClassProfile: Sendable {
        public var name: String
        public var cpuEstimate: Interval?
        public var memEstimate: Interval?
        public var requestRateEstimate: Interval?
        public var source: String
    }

    /// The VCPs that fit at one utilisation of the shard.
    public struct Answer: Sendable {
        public var label: String
        public var utilisation: Double
        public var controlPlanes: Int
        /// `memory`, `cpu`, `maxControlPlanes`, or `none` (nothing bounds the count up to ``searchLimit``).
        public var binding: String
        /// Per resource with a limit: the VCPs it allows; nil when it allows the whole search range.
        public var byResource: [(resource: String, controlPlanes: Int?)]
        /// True when ``controlPlanes`` lies beyond the largest N measured.
        public var extrapolated: Bool
        /// The conservative use at ``controlPlanes``: bytes, cores, requests/s.
        public var memory: Double?
        public var cpu: Double?
        public var requestRate: Double?
    }

    /// One pod field for `--for N`, with the field's value at both ends of the interval.
    public struct PodLine: Sendable {
        public var field: String
        public var value: String
        public var low: String?
        public var high: String?
        public var basis: String
    }

    public var sweep: Sweep
    public var sweepDirectory: String
    public var loadedPath: String?
    public var shard: ShardCapacity
    public var target: Double
    public var hardStop: Double
    public var mix: ClassMix
    /// RSS, heap in-use, CPU, goroutines, fds (those the sweep could fit).
    public var costs: [Cost] = []
    public var hotCosts: [HotCost] = []
    /// Loaded runs used, with their hot VCPs; and those left out, with why.
    public var loadedRuns: [(run: String, hotVCPs: Int)] = []
    public var loadedLeftOut: [(run: String, reason: String)] = []
    public var profiles: [ClassProfile] = []
    public var answers: [Answer] = []
    /// `--for N`.
    public var forN: Int?
    public var podLines: [PodLine] = []
    /// The distinct N of the sweep's valid runs, ascending.
    public var measuredN: [Double]
    /// Why a resource of the shard is not considered (no fit).
    public var notes: [String] = []

    public var largestMeasured: Double { measuredN.last ?? 0 }

    public init(
        sweep: Sweep, sweepDirectory: String, loaded: RunSetMembers? = nil, loadedPath: String? = nil,
        shard: ShardCapacity, target: Double = 0.8, hardStop: Double = 0.9, mix: ClassMix? = nil, forN: Int? = nil
    ) throws(CapacityInputError) {
        self.sweep = sweep
        self.sweepDirectory = sweepDirectory
        self.loadedPath = loadedPath
        self.shard = shard
        self.target = target
        self.hardStop = hardStop
        self.mix =
            mix
            ?? (loaded == nil ? ClassMix(idlePercent: 100, hotPercent: 0) : ClassMix(idlePercent: 90, hotPercent: 10))
        self.forN = forN
        measuredN = Array(Set(sweep.sizes.map(\.n))).sorted()
        guard measuredN.count >= 2 else {
            throw CapacityInputError(
                "\(sweepDirectory): the valid runs span \(measuredN.count) cluster count(s): capacity needs a sweep with valid runs at two or more"
                    + (sweep.members.warning.map { " (\($0))" } ?? ""))
        }
        guard target <= hardStop else {
            throw CapacityInputError(
                "--target \(Format.trimmed(target * 100))% is above --hard-stop \(Format.trimmed(hardStop * 100))%: the target must not exceed the hard stop"
            )
        }
        for (key, sweepKey, title, unit, scale) in [
            ("rss_bytes", "rss_bytes", "RSS", "bytes", 1.0),
            ("heap_inuse_bytes", "heap_inuse_bytes", "heap in-use", "bytes", 1),
            ("cpu_cores", "cpu_percent", "CPU", "cores", 0.01), ("goroutines", "goroutines", "goroutines", "count", 1),
            ("open_fds", "open_fds", "fds", "count", 1),
        ] {
            guard let f = sweep.fits.first(where: { $0.key == sweepKey }), f.fit != nil,
                let fit = LinearFit(x: f.points.map(\.n), y: f.points.map { $0.value * scale })
            else {
                notes.append("\(title): no fit (\(sweep.fits.first { $0.key == sweepKey }?.noFit ?? "no run has it"))")
                continue
            }
            costs.append(
                Cost(
                    key: key, title: title, unit: unit, fit: fit,
                    marginal: Interval(fit.slope, low: fit.slopeInterval?.0, high: fit.slopeInterval?.1),
                    fixed: Interval(fit.intercept, low: fit.interceptInterval?.0, high: fit.interceptInterval?.1),
                    linearity: f.linearityText))
        }
        if let loaded { hotFromLoaded(loaded) }
        if self.mix.hotPercent > 0 && loadedRuns.isEmpty {
            throw CapacityInputError(
                loaded == nil
                    ? "--mix gives hot VCPs \(Format.trimmed(self.mix.hotPercent))% but no --loaded run: pass --loaded out/mixed-hot-N or --mix idle=100"
                    : "--loaded '\(loadedPath ?? "")' has no valid run with a load phase"
                        + (loadedLeftOut.first.map { " (\($0.run): \($0.reason))" } ?? "")
                        + ": pass a mixed-hot run, or --mix idle=100")
        }
        guard
            (shard.memoryBytes != nil && cost("rss_bytes") != nil)
                || (shard.cpuCores != nil && cost("cpu_cores") != nil)
        else {
            throw CapacityInputError(
                "\(sweepDirectory): the sweep has no RSS or CPU fit for the shard's limits: re-run the sweep with /metrics scraped"
            )
        }
        profiles = classProfiles()
        answers = [answer("target", target), answer("hard stop", hardStop)]
        if let forN { podLines = pod(for: Double(forN)) }
    }

    public func cost(_ key: String) -> Cost? { costs.first { $0.key == key } }
    public func hotCost(_ key: String) -> HotCost? { hotCosts.first { $0.key == key } }

    /// The per-hot-VCP costs of every valid loaded run that had a load phase with hot VCPs.
    mutating func hotFromLoaded(_ loaded: RunSetMembers) {
        for (m, reason) in loaded.leftOut { loadedLeftOut.append((m.path, reason)) }
        var values: [String: [Double]] = [:]
        for m in loaded.valid {
            let r = m.report
            guard let hot = r.sizing.hotVCPs, hot > 0, let final = r.data.loadFinal,
                let steady = r.phases.row("steady")?.sample, let post = r.phases.row("post-load")?.sample
            else {
                loadedLeftOut.append(
                    (m.path, "no load phase with hot VCPs, steady and post-load samples (not a mixed-* run)"))
                continue
            }
            loadedRuns.append((m.path, hot))
            for figure in [ResourceFigure.rss, .heapInuse, .goroutines, .openFds] {
                if let a = figure.value(in: post), let b = figure.value(in: steady) {
                    values[figure.rawValue, default: []].append((a - b) / Double(hot))
                }
            }
            if let mc = r.sizing.loadMillicoresPerHotVCP { values["cpu_cores", default: []].append(mc / 1000) }
            let rate = final.achievedRps.values.reduce(0, +)
            values["request_rate", default: []].append(rate / Double(hot))
        }
        for (key, title, unit) in [
            ("rss_bytes", "RSS", "bytes"), ("heap_inuse_bytes", "heap in-use", "bytes"), ("cpu_cores", "CPU", "cores"),
            ("goroutines", "goroutines", "count"), ("open_fds", "fds", "count"), ("request_rate", "requests", "req/s"),
        ] {
            guard let v = values[key], let m = SampleSummary.meanInterval(v) else { continue }
            let estimate = Interval(m.mean, low: m.halfWidth.map { m.mean - $0 }, high: m.halfWidth.map { m.mean + $0 })
            hotCosts.append(HotCost(key: key, title: title, unit: unit, perRun: v, estimate: estimate))
        }
    }

    /// The idle class (the sweep's marginal cost) and the hot class (idle plus the load cost per hot VCP).
    func classProfiles() -> [ClassProfile] {
        let cpu = cost("cpu_cores")?.marginal
        let mem = cost("rss_bytes")?.marginal
        var out = [
            ClassProfile(
                name: "idle", cpuEstimate: cpu, memEstimate: mem, requestRateEstimate: Interval(0, low: 0, high: 0),
                source: "the sweep's marginal cost per VCP at steady (no client traffic)")
        ]
        if !loadedRuns.isEmpty {
            func plus(_ a: Interval?, _ b: Interval?) -> Interval? { a.flatMap { x in b.map { x + $0 } } }
            let hot = loadedRuns.map(\.hotVCPs)
            out.append(
                ClassProfile(
                    name: "hot", cpuEstimate: plus(cpu, hotCost("cpu_cores")?.estimate),
                    memEstimate: plus(mem, hotCost("rss_bytes")?.estimate),
                    requestRateEstimate: hotCost("request_rate")?.estimate,
                    source:
                        "idle + (post-load − steady) / hot VCPs of \(loadedRuns.count) loaded run(s), \(hot.map { String($0) }.joined(separator: ", ")) hot VCPs, at the measured request rate"
                ))
        }
        return out
    }

    /// The shard's resources that can bound the count: (name, cost, per-hot-VCP cost, limit).
    var bounded: [(name: String, cost: Cost, hot: Interval?, limit: Double)] {
        var out: [(String, Cost, Interval?, Double)] = []
        if let m = shard.memoryBytes, let c = cost("rss_bytes") {
            out.append(("memory", c, hotCost("rss_bytes")?.estimate, m))
        }
        if let m = shard.cpuCores, let c = cost("cpu_cores") {
            out.append(("cpu", c, hotCost("cpu_cores")?.estimate, m))
        }
        return out
    }

    /// The conservative use of a resource at `n` VCPs (see the type's comment).
    public func conservativeUse(_ cost: Cost, hot: Interval?, n: Double) -> Double {
        var idle = cost.fit.intercept + n * max(0, cost.marginal.upper)
        if n > largestMeasured, let p = cost.fit.predictionInterval(at: n) { idle = max(idle, p.1) }
        return idle + mix.hotFraction * n * max(0, hot?.upper ?? 0)
    }

    /// The fitted (point) use of a resource at `n` VCPs.
    public func fittedUse(_ cost: Cost, hot: Interval?, n: Double) -> Double {
        cost.fit.predict(n) + mix.hotFraction * n * (hot?.value ?? 0)
    }

    /// The largest N whose conservative use stays within `ceiling`; nil when `end` still does.
    func largestN(_ cost: Cost, hot: Interval?, ceiling: Double, end: Int) -> Int? {
        func fits(_ n: Int) -> Bool { conservativeUse(cost, hot: hot, n: Double(n)) <= ceiling }
        if !fits(0) { return 0 }
        if fits(end) { return nil }
        var lo = 0
        var hi = end
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if fits(mid) { lo = mid } else { hi = mid }
        }
        return lo
    }

    func answer(_ label: String, _ utilisation: Double) -> Answer {
        let end = shard.maxControlPlanes ?? Self.searchLimit
        var by: [(String, Int?)] = []
        var best = (n: end, binding: shard.maxControlPlanes == nil ? "none" : "maxControlPlanes")
        for r in bounded {
            let n = largestN(r.cost, hot: r.hot, ceiling: r.limit * utilisation, end: end)
            by.append((r.name, n))
            if let n, n < best.n || (n == best.n && best.binding == "none") { best = (n, r.name) }
        }
        if let m = shard.maxControlPlanes { by.append(("maxControlPlanes", m)) }
        let n = Double(best.n)
        let mem = cost("rss_bytes").map { conservativeUse($0, hot: hotCost("rss_bytes")?.estimate, n: n) }
        let cpu = cost("cpu_cores").map { conservativeUse($0, hot: hotCost("cpu_cores")?.estimate, n: n) }
        let rate = hotCost("request_rate").map { n * mix.hotFraction * $0.estimate.value }
        return Answer(
            label: label, utilisation: utilisation, controlPlanes: best.n, binding: best.binding, byResource: by,
            extrapolated: n > largestMeasured, memory: mem, cpu: cpu,
            requestRate: rate ?? (mix.hotPercent == 0 ? 0 : nil))
    }

    /// A resource at `n` VCPs: the fit plus the hot share's load cost, with the 95 % interval of the
    /// mean within the measured N and the prediction interval beyond.
    func use(_ cost: Cost, hot: Interval?, n: Double) -> Interval {
        let band = n > largestMeasured ? cost.fit.predictionInterval(at: n) : cost.fit.meanInterval(at: n)
        let idle = Interval(cost.fit.predict(n), low: band?.0, high: band?.1)
        guard let hot else { return idle }
        let h = mix.hotFraction * n
        return idle + Interval(h * hot.value, low: h * (hot.low ?? hot.value), high: h * (hot.high ?? hot.value))
    }

    /// A line through (N, y) of the sweep's valid runs, for the peaks SizingAdvice finds per run.
    func peakFit(_ value: (SizingAdvice) -> Double?) -> LinearFit? {
        var xs: [Double] = []
        var ys: [Double] = []
        for m in sweep.members.valid {
            guard let n = Sweep.n(of: m.report), let v = value(m.report.sizing) else { continue }
            xs.append(n)
            ys.append(v)
        }
        return Set(xs).count >= 2 ? LinearFit(x: xs, y: ys) : nil
    }

    /// `--for N`: SizingAdvice's four pod fields, each from the fitted figure at N (and its interval).
    func pod(for n: Double) -> [PodLine] {
        let beyond = n > largestMeasured
        let kind = beyond ? "prediction interval (extrapolated)" : "interval of the mean"
        let hotRSS = hotCost("rss_bytes")?.estimate
        let hotCPU = hotCost("cpu_cores")?.estimate
        let hotShare =
            mix.hotPercent > 0 ? " + \(Format.trimmed(mix.hotPercent))% hot × the load cost per hot VCP" : ""
        func ends(_ i: Interval, _ f: (Double) -> String) -> (String?, String?) { (i.low.map(f), i.high.map(f)) }
        func peakUse(_ fit: LinearFit?, hot: Interval?, scale: Double) -> Interval? {
            guard let fit else { return nil }
            let band = beyond ? fit.predictionInterval(at: n) : fit.meanInterval(at: n)
            let h = mix.hotFraction * n * scale
            let extra = Interval(
                h * (hot?.value ?? 0), low: h * (hot?.low ?? hot?.value ?? 0), high: h * (hot?.high ?? hot?.value ?? 0))
            return Interval(fit.predict(n), low: band?.0, high: band?.1) + extra
        }
        var lines: [PodLine] = []
        if let rss = cost("rss_bytes").map({ use($0, hot: hotRSS, n: n) }) {
            func request(_ b: Double) -> Int? { SizingAdvice.memoryMiB(b * SizingAdvice.memoryRequestHeadroom) }
            func text(_ b: Double) -> String { SizingAdvice.memoryText(request(b)) }
            let (lo, hi) = ends(rss, text)
            lines.append(
                PodLine(
                    field: "resources.requests.memory", value: text(rss.value), low: lo, high: hi,
                    basis:
                        "RSS at steady fitted at N = \(Format.count(Int(n)))\(hotShare): \(Format.bytes(rss.value)) + 10% headroom, rounded up to 64Mi; \(kind)"
                ))
            let peak = peakUse(peakFit { $0.peakRSS?.value }, hot: hotRSS, scale: 1)
            func limit(_ p: Double?, _ r: Double) -> String {
                let l = [request(r), p.flatMap { SizingAdvice.memoryMiB($0 * SizingAdvice.memoryLimitFactor) }]
                return SizingAdvice.memoryText(l.compactMap { $0 }.max())
            }
            lines.append(
                PodLine(
                    field: "resources.limits.memory", value: limit(peak?.value, rss.value),
                    low: rss.low.map { limit(peak?.low ?? peak?.value, $0) },
                    high: rss.high.map { limit(peak?.high ?? peak?.value, $0) },
                    basis: peak.map {
                        "peak RSS fitted over the sweep's runs at N = \(Format.count(Int(n))): \(Format.bytes($0.value)) × 1.2, rounded up to 64Mi, never below the request"
                    } ?? "no peak RSS in the sweep's runs: the request"))
        }
        if let cpu = cost("cpu_cores").map({ use($0, hot: hotCPU, n: n) }) {
            func text(_ c: Double) -> String { SizingAdvice.cpuRequest(max(0, c) * 100) }
            let (lo, hi) = ends(cpu, text)
            lines.append(
                PodLine(
                    field: "resources.requests.cpu", value: text(cpu.value), low: lo, high: hi,
                    basis:
                        "CPU at steady fitted at N = \(Format.count(Int(n)))\(hotShare): \(Format.fixed(cpu.value * 1000, 1))m, rounded up to 10m; \(kind)"
                ))
            let peak = peakUse(peakFit { $0.peakCPU?.value }, hot: hotCPU, scale: 100)
            func limit(_ p: Double?, _ c: Double) -> String {
                let request = SizingAdvice.cpuRequestMillicores(max(0, c) * 100).map {
                    Int((Double($0) / 1000 - 1e-9).rounded(.up))
                }
                let l = [request, p.flatMap { SizingAdvice.cpuLimitCores(max(0, $0)) }].compactMap { $0 }.max()
                return l.map { String(Swift.max(1, $0)) } ?? Format.missing
            }
            lines.append(
                PodLine(
                    field: "resources.limits.cpu", value: limit(peak?.value, cpu.value),
                    low: cpu.low.map { limit(peak?.low ?? peak?.value, $0) },
                    high: cpu.high.map { limit(peak?.high ?? peak?.value, $0) },
                    basis: peak.map {
                        "peak CPU fitted over the sweep's runs at N = \(Format.count(Int(n))): \(Format.percent($0.value)) of one core, whole cores rounded up, at least 1 and never below the request"
                    } ?? "no peak CPU in the sweep's runs: the request in whole cores"))
        }
        return lines
    }
}
