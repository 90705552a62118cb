import KPRecords

/// Fully populated records of every kind (every optional set), generated from a seed.
enum RecordSamples {
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func histogram(_ r: inout RNG) -> HistogramWire {
        let n = Int.random(in: 1...5, using: &r)
        var v: Int64 = 1000
        var buckets: [[Int64]] = []
        for _ in 0..<n {
            v += Int64.random(in: 1...100_000, using: &r)
            buckets.append([v, Int64.random(in: 1...50, using: &r)])
        }
        let count = buckets.reduce(0) { $0 + $1[1] }
        return HistogramWire(
            unit: "ns", lowest: 1, highest: 3_600_000_000_000, significantDigits: 3, count: count,
            min: buckets.first![0], max: buckets.last![0], sum: Double(count) * 1234.5, buckets: buckets)
    }

    static func str(_ r: inout RNG, _ prefix: String) -> String {
        // Includes characters that need JSON escaping.
        let specials = ["\"", "\\", "/", "\n", "é", "✓", "\t"]
        return prefix + "-\(Int.random(in: 0...9999, using: &r))"
            + specials[Int.random(in: 0..<specials.count, using: &r)]
    }

    static func all(seed: UInt64) -> [Record] {
        var r = RNG(state: seed)
        var ep = EndpointRecord(
            url: "https://127.0.0.1:\(Int.random(in: 1024...65535, using: &r))", caFile: str(&r, "/ca"),
            tokenFile: str(&r, "/tok"), insecureSkipTLSVerify: Bool.random(using: &r), mode: "sim", target: "kp-sim",
            emulator: true, launchedNs: Int64.random(in: 0...Int64.max / 2, using: &r),
            startedAt: "2026-11-29T04:30:00.000Z")
        ep.targetVersion = "v1.34.0"
        ep.tlsServerName = "localhost"
        ep.pid = Int32.random(in: 1...99999, using: &r)
        ep.launcherPid = 42
        ep.container = str(&r, "c")
        ep.image = "kplanedev/apiserver:latest"
        ep.imageDigest = "sha256:abc"
        ep.composeProject = "kpbench"
        ep.etcdEndpoints = "http://127.0.0.1:2379"
        ep.etcdPrefix = "/registry-x"
        ep.etcdManaged = true
        ep.runDir = "out/x"
        ep.kubeconfig = "out/x/kubeconfig"
        ep.logFiles = ["a.log", "b.log"]
        ep.targetArgs = ["--secure-port=1", "--v=2"]
        ep.readyNs = 77
        ep.targetCommit = "eaf7cd02df2c"

        var meta = RunMetaRecord(
            run: "bootstrap-200", scenario: "bootstrap", startedAt: "2026-11-29T04:30:00.000Z", startNs: 5,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 24 << 30, kernel: "6.1", os: "Debian"),
            flags: ["clusters": "200", "workers": "12", "note": str(&r, "n")])
        meta.harness = HarnessBuild(commit: str(&r, "c0ffee"), dirty: true, build: "release")
        let end = RunEndRecord(
            status: "interrupted", phase: "steady", reason: str(&r, "why"), exitCode: 130,
            endedAt: "2026-11-29T05:00:00.000Z", tNs: 9)
        let step = BootstrapStepRecord(
            cluster: "c-001", step: "crd_established", startNs: 10, endNs: 20, attempts: 3, outcome: "timeout",
            statusCounts: ["200": 2, "503": 1], retries: 1, error: str(&r, "e"), existed: true)
        let sum = BootstrapSummaryRecord(
            clusters: 200, ok: 199, failed: 1, workers: 12, startNs: 1, endNs: 2, requests: 1000,
            retriesByStatus: ["503": 4], interrupted: false, firstError: "x", fleet: "fb", stepsStartNs: 2)
        var sample = SampleRecord(tNs: 3, phase: "baseline", source: "https://127.0.0.1:1/metrics")
        sample.scrapeNs = 1200
        sample.cpuSeconds = 1.25
        sample.heapInuseBytes = 1e6
        sample.heapAllocBytes = 9e5
        sample.rssBytes = 2e7
        sample.goroutines = 130
        sample.openFds = 12
        sample.missing = ["go_goroutines": "not exposed"]
        sample.error = "HTTP 500"
        sample.families = [
            MetricFamilyWire(
                name: "apiserver_request_duration_seconds", type: "histogram", help: "h\\n",
                samples: [
                    MetricSampleWire(
                        name: "apiserver_request_duration_seconds_bucket", labels: ["le": "+Inf", "verb": "GET"],
                        value: PromValue(5)),
                    MetricSampleWire(name: "x_nan", labels: [:], value: PromValue(.nan), timestampMs: 1),
                    MetricSampleWire(name: "x_inf", labels: [:], value: PromValue(.infinity)),
                    MetricSampleWire(name: "x_ninf", labels: [:], value: PromValue(-.infinity)),
                ])
        ]
        let prof = ProfileRecord(
            tNs: 4, phase: "steady", profile: "heap", path: "pprof/heap.pb.gz", bytes: 100, status: "ok",
            httpStatus: 200, error: "none")
        var cost = ScrapeCostRecord(tNs: 5, source: "https://127.0.0.1:6443/metrics", scrapes: 20)
        cost.idleStartNs = 5
        cost.idleStartCPUSeconds = 1.25
        cost.burstStartNs = 1_000_000_005
        cost.burstStartCPUSeconds = 1.31
        cost.burstEndNs = 1_100_000_005
        cost.burstEndCPUSeconds = 1.52
        cost.cpuStepSeconds = 0.01
        cost.scrapeNsTotal = 99_000_000
        cost.bodyBytes = 12_345
        cost.rssBytesBefore = 1e8
        cost.rssBytesAfter = 1.01e8
        cost.heapInuseBytesBefore = 5e7
        cost.heapInuseBytesAfter = 5.2e7
        cost.heapAllocBytesBefore = 4e7
        cost.heapAllocBytesAfter = 4.5e7
        cost.allocBytesTotalBefore = 1e9
        cost.allocBytesTotalAfter = 1.02e9
        cost.missing = ["go_goroutines": "not exposed"]
        cost.error = str(&r, "e")
        let kneeStep = KneeStepRecord(
            step: 1, startNs: 10, endNs: 20, offeredRps: 400, achievedRps: 398.5, readP99Ns: 4_000_000,
            writeP99Ns: 9_000_000, errors: 2, operations: 4000, verdict: "ok", judgement: "held",
            reasons: [str(&r, "r")])
        let kneeResult = KneeResultRecord(
            result: "knee found", sloP99Ns: 50_000_000, sloMaxErrorPercent: 1, highestHeldRps: 400, endingStep: 2,
            endingRps: 800, endingReasons: [str(&r, "w")], steps: 3)
        let op = OpWindow(
            op: "write", count: 10, errors: 1, byStatus: ["200": 9, "409": 1], conflicts: 1, retries: 0,
            response: histogram(&r), service: histogram(&r), bytesSent: 100, bytesReceived: 200)
        let gen = GeneratorWindow(scheduleLag: histogram(&r), inflightPeak: 5, backlog: 0, cpuSeconds: 0.5)
        let interval = LoadIntervalRecord(startNs: 1, endNs: 2, ops: [op], generator: gen)
        let final = LoadFinalRecord(
            startNs: 1, endNs: 3, targetRps: ["write": 5], achievedRps: ["write": 4.99], ops: [op], generator: gen,
            perCluster: [ClusterLoadWire(cluster: "c-000", op: "read", count: 3, errors: 0, response: histogram(&r))],
            generatorLimited: true, generatorLimitReason: "lag", storedObjectBytes: 1300, interrupted: false,
            settings: ["hot-percent": "10"])
        let err = ErrorRecord(tNs: 8, tool: "kp-scrape", message: str(&r, "m"), input: "--phase")
        let fleet = FleetStatusRecord(
            fleet: "fb", replicas: 3, namePrefix: "fb-", names: ["a", str(&r, "b")], startNs: 1, endNs: 9, createdNs: 2,
            readyNs: 8,
            requests: 7, statusCounts: ["201": 1, "200": 6], readyReplicas: 3, observedGeneration: 1, transitions: 4,
            outcome: "ok",
            error: str(&r, "e"))
        let member = FleetMemberRecord(
            fleet: "fb", cluster: "fb-0000", phase: "Ready", previous: "Pending", tNs: 5, message: str(&r, "m"))
        let tStep = TeardownStepRecord(
            cluster: "c-000", step: "etcd_keys", outcome: "ok", startNs: 1, endNs: 2, keysDeleted: 7, objectsDeleted: 1,
            statusCounts: ["200": 8], error: str(&r, "e"))
        let tSum = TeardownSummaryRecord(
            clusters: 2, ok: 1, failed: 1, keysDeleted: 7, objectsDeleted: 3, etcd: "skipped",
            skippedReason: str(&r, "etcd not controlled by this run"),
            startNs: 1, endNs: 3, interrupted: false)
        let sWindow = SnapshotWindow(requests: op, items: 40, maxItems: 9, maxBytes: 8000)
        let sInterval = SnapshotIntervalRecord(startNs: 1, endNs: 2, window: sWindow)
        let sFinal = SnapshotFinalRecord(
            startNs: 1, endNs: 3, clusters: 2, ratePerCluster: 2, targetRps: 4, achievedRps: 3.9, warm: true,
            resources: ["configmaps", str(&r, "res")], window: sWindow, scheduleLag: histogram(&r),
            generatorLimited: false, interrupted: true)
        let sWarm = SnapshotWarmRecord(
            cluster: "c-001", status: "200", startNs: 1, endNs: 2, bytes: 5000, liveResources: 4, resources: 3,
            items: 9, error: str(&r, "e"))
        let sWarmSum = SnapshotWarmSummaryRecord(
            clusters: 2, ok: 1, failed: 1, latency: histogram(&r), bytes: 5000, items: 9, startNs: 1, endNs: 3,
            interrupted: false)
        let counts = WatchCounts(
            events: 9, matched: 7, unmatched: 1, bookmarks: 3, ends: ["gone": 1, "transport": 2],
            reestablished: 3, lists: 3, listErrors: 0, delivery: histogram(&r), deliveryFromResponse: histogram(&r),
            deliveryBeforeResponse: 2, stopped: 4)
        let wInterval = WatchIntervalRecord(startNs: 1, endNs: 2, open: 4, counts: counts)
        let wFinal = WatchFinalRecord(
            watchers: 4, watchersPerCluster: 2, clusters: 2, resources: ["memwidgets", str(&r, "configmaps")],
            startNs: 1, endNs: 3, eventsPerSecond: 4.5, counts: counts, interrupted: false)
        let restart = RestartRecord(
            outcome: "ok", mode: "sim", requestedNs: 1, stopNs: 2, stoppedNs: 3, startedNs: 4, readyNs: 9, pid: 77,
            container: str(&r, "c"), etcdEndpoints: "http://127.0.0.1:2379", etcdPrefix: "/registry-kpbench-r-1",
            error: str(&r, "e"))
        let firstRequest = FirstRequestRecord(
            cluster: "c-001", outcome: "ok", startNs: 1, endNs: 5, attempts: 2, objects: 0,
            statusCounts: ["503": 1, "200": 1], error: str(&r, "e"))
        let firstSummary = FirstRequestSummaryRecord(
            clusters: 2, ok: 1, failed: 1, workers: 12, startNs: 1, endNs: 6, interrupted: false,
            firstError: str(&r, "c-002: HTTP 404"))
        return [
            restart.record, firstRequest.record, firstSummary.record,
            ep.record, meta.record, end.record, step.record, sum.record, sample.record, prof.record, cost.record,
            kneeStep.record, kneeResult.record,
            interval.record,
            final.record,
            fleet.record, member.record, tStep.record, tSum.record, err.record, sInterval.record, sFinal.record,
            sWarm.record, sWarmSum.record, wInterval.record, wFinal.record,
        ]
    }
}
