import KPRunModel

@testable import KPRun

extension RunSettings {
    /// Settings for the KPRun tests: the seed's defaults (30 s warmup, 15 s settle, 90 s steady wait,
    /// 2 m load, 10 % hot, 5 + 20 ops/s per hot cluster, 5 s series) unless a test gives its own.
    static func forTests(
        _ scenario: String, clusters: Int = 200, workers: Int = 12,
        waits: (warmup: Int, settle: Int, steady: Int) = (
            30, 15, 90
        ), loadSeconds: Int = 120, hotPercent: Double = 10, seriesSeconds: Int = 5, requestTimeoutSeconds: Int = 10,
        stepDeadlineSeconds: Int = 60, maxLagMs: Int = 50, shards: Int = 1, sim: Bool = false, binDir: String = "/bin",
        environment: [String: String] = [:], seed: UInt64 = 42
    ) -> RunSettings {
        func d(_ s: Int) -> RunDuration { RunDuration(text: "\(s)s", duration: .seconds(s)) }
        var s = RunSettings(
            scenario: Scenario.named(scenario)!, clusters: clusters, workers: workers, warmup: d(waits.warmup),
            postBootstrapSettle: d(waits.settle), steadyWait: d(waits.steady), loadDuration: d(loadSeconds),
            hotPercent: hotPercent, writeRPS: 5, readRPS: 20, objectBytes: 1024, seriesInterval: d(seriesSeconds),
            requestTimeout: d(requestTimeoutSeconds), stepDeadline: d(stepDeadlineSeconds), maxErrorPercent: 1,
            maxLag: RunDuration(text: "\(maxLagMs)ms", duration: .milliseconds(maxLagMs)), nameFormat: nil,
            allowExisting: false, sim: sim, loadShards: shards, binDir: binDir, launchArgs: [],
            environment: environment)
        s.seed = seed
        // Scenario observe's watch is one more wait: the steady wait's length here, not its 10m default.
        s.observeDuration = d(waits.steady)
        return s
    }
}
