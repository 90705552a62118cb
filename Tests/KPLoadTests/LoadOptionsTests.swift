import ArgumentParser
import Foundation
import KPRunModel
import Testing

@testable import KPLoad

/// kp-load's flag rules as kp-run relies on them: `LoadOptions.parse` on an argument list, with no
/// file, server or clock involved.
@Suite struct LoadOptionsTests {
    static let target = ["--url", "https://127.0.0.1:1"]

    struct Bad: CustomTestStringConvertible, Sendable {
        var args: [String]
        /// The flag the one-line error must name.
        var names: String
        var testDescription: String { args.joined(separator: " ") }
    }

    /// Every rule of ``LoadOptions/validate()`` at least once, and each value ArgumentParser refuses.
    static let bad: [Bad] = [
        Bad(args: ["--scenario", "soak"], names: "--scenario"),
        Bad(args: ["--scenario", "bootstrap"], names: "--scenario"),
        Bad(args: ["--scenario", "mixed-uniform", "--hot-percent", "50"], names: "--hot-percent"),
        Bad(args: ["--hot-percent", "0"], names: "--hot-percent"),
        Bad(args: ["--hot-percent", "101"], names: "--hot-percent"),
        Bad(args: ["--clusters", "0"], names: "--clusters"),
        Bad(args: ["--write-rps-per-cluster", "-1"], names: "--write-rps-per-cluster"),
        Bad(args: ["--read-rps-per-cluster", "2000000"], names: "--read-rps-per-cluster"),
        Bad(args: ["--snapshot-rps-per-cluster", "-2"], names: "--snapshot-rps-per-cluster"),
        Bad(args: ["--snapshot-rps-per-cluster", "1", "--snapshot-resources", "a,,b"], names: "--snapshot-resources"),
        Bad(args: ["--snapshot-rps-per-cluster", "1", "--snapshot-resources", "Pods"], names: "--snapshot-resources"),
        Bad(args: ["--snapshot-warm-pass", "--snapshot-rps-per-cluster", "1"], names: "--snapshot-warm-pass"),
        Bad(args: ["--snapshot-warm-pass", "--shard", "0/2"], names: "--shard"),
        Bad(args: ["--snapshot-warm"], names: "--snapshot-rps-per-cluster"),
        Bad(args: ["--snapshot-resources", "configmaps"], names: "--snapshot-rps-per-cluster"),
        Bad(args: ["--write-rps-per-cluster", "0", "--read-rps-per-cluster", "0"], names: "--write-rps-per-cluster"),
        Bad(args: ["--object-bytes", "2000000"], names: "--object-bytes"),
        Bad(args: ["--objects-per-cluster", "0"], names: "--objects-per-cluster"),
        Bad(args: ["--namespace", "Bad_NS"], names: "--namespace"),
        Bad(args: ["--arrival", "burst"], names: "--arrival"),
        Bad(args: ["--conflict-policy", "ignore"], names: "--conflict-policy"),
        Bad(args: ["--max-conflict-retries", "-1"], names: "--max-conflict-retries"),
        Bad(args: ["--max-inflight", "0"], names: "--max-inflight"),
        Bad(args: ["--max-connections", "-1"], names: "--max-connections"),
        Bad(args: ["--threads", "65"], names: "--threads"),
        Bad(args: ["--shard", "2/2"], names: "--shard"),
        Bad(args: ["--load-duration", "0"], names: "--load-duration"),
        Bad(args: ["--load-duration", "90"], names: "--load-duration"),
        Bad(args: ["--request-timeout", "0s"], names: "--request-timeout"),
        Bad(args: ["--max-lag", "0s"], names: "--max-lag"),
        Bad(args: ["--report-interval", "0"], names: "--report-interval"),
        Bad(args: ["--report-interval", "5ms"], names: "--report-interval"),
        Bad(args: ["--watchers-per-cluster", "1001"], names: "--watchers-per-cluster"),
        Bad(args: ["--watch-resources", "memwidgets,pods"], names: "--watch-resources"),
        Bad(args: ["--watch-resources", ""], names: "--watch-resources"),
        Bad(args: ["--watch-timeout", "500ms"], names: "--watch-timeout"),
        Bad(args: ["--name-format", "c-%s"], names: "--name-format"),
        Bad(args: ["--knee-steps", "400,200"], names: "--knee-steps"),
        Bad(args: ["--knee-steps", "200,400", "--shard", "0/2"], names: "--knee-steps"),
        Bad(args: ["--knee-steps", "200,400", "--watchers-per-cluster", "1"], names: "--knee-steps"),
        Bad(args: ["--knee-p99", "0"], names: "--knee-p99"),
        Bad(args: ["--knee-max-error-percent", "120"], names: "--knee-max-error-percent"),
        Bad(args: [], names: "--url"),
    ]

    @Test("a bad argument list is refused with one line naming the flag", arguments: bad)
    func refused(_ row: Bad) {
        let args = row.args.isEmpty ? [] : Self.target + row.args
        #expect {
            _ = try LoadOptions.parse(args)
        } throws: { error in
            let message = LoadOptions.message(for: error)
            return message.contains(row.names) && !message.contains("\n")
        }
    }

    @Test("the defaults parse, with the values kp-load's help states")
    func defaults() throws {
        let o = try LoadOptions.parse(Self.target)
        #expect(o.scenario == .mixedHot)
        #expect(o.scenario.fixedHotPercent == nil)
        #expect(o.arrival == .even)
        #expect(o.conflictPolicy == .count)
        #expect(o.clusters == nil && o.hotPercent == nil && o.seed == nil && o.shard == nil && o.threads == nil)
        #expect(o.nameFormat == "c-%03d")
        #expect(o.writeRpsPerCluster == 5 && o.readRpsPerCluster == 20)
        #expect(o.loadDuration.text == "2m" && o.loadDuration.nanoseconds == 120_000_000_000)
        #expect(o.maxLag.nanoseconds == LoadConfiguration.defaultMaxLagMs * 1_000_000)
        #expect(o.reportInterval.text == "1s" && o.requestTimeout.text == "10s" && o.watchTimeout.text == "5m")
        #expect(o.kneeP99.text == "50ms" && o.kneeMaxErrorPercent == 1)
        #expect(o.objectBytes == 1024 && o.objectsPerCluster == 5 && o.namespace == "default")
        #expect(o.maxConflictRetries == 5 && o.maxInflight == 10_000 && o.maxConnections == 4)
        #expect(!o.http1 && !o.snapshotWarm && !o.snapshotWarmPass && o.snapshotRpsPerCluster == 0)
        #expect(o.watchersPerCluster == 0)
        #expect(try o.watchResourceKinds() == [.memwidgets])
    }

    @Test("typed choices: every load scenario of the run model, both arrivals and conflict policies")
    func choices() throws {
        #expect(LoadScenario.allValueStrings == Scenario.loadNames)
        for name in Scenario.loadNames {
            let o = try LoadOptions.parse(Self.target + ["--scenario", name])
            #expect(o.scenario.name == name)
            #expect(o.scenario.fixedHotPercent == Scenario.named(name)?.fixedHotPercent)
        }
        let u = try LoadOptions.parse(Self.target + ["--scenario", "mixed-uniform", "--hot-percent", "100"])
        #expect(u.scenario.fixedHotPercent == 100)
        let o = try LoadOptions.parse(
            Self.target + [
                "--arrival", "poisson", "--conflict-policy", "retry", "--watch-resources",
                "configmaps, memwidgets,configmaps",
            ])
        #expect(o.arrival == .poisson && o.conflictPolicy == .retry)
        #expect(try o.watchResourceKinds() == [.configmaps, .memwidgets])
    }

    @Test("the files a flag names are checked by checkInputs, not by parse: kp-run parses before they exist")
    func bootstrapFile() throws {
        let missing = NSTemporaryDirectory() + "kp-load-options-\(UUID().uuidString).jsonl"
        let o = try LoadOptions.parse(Self.target + ["--bootstrap", missing])
        #expect {
            try o.checkInputs()
        } throws: { error in
            LoadOptions.message(for: error).contains("--bootstrap \(missing) is not a readable file")
        }
        #expect(throws: Never.self) { try LoadOptions.parse(Self.target).checkInputs() }
        // The target's files likewise: kp-run passes --endpoint out/<run>/endpoint.json before kp-launch wrote it.
        for args in [["--endpoint", missing], Self.target + ["--ca-file", missing]] {
            let o = try LoadOptions.parse(args)
            #expect {
                try o.checkInputs()
            } throws: { error in
                LoadOptions.message(for: error).contains(missing)
            }
        }
    }

    @Test("the clusters: --clusters names by --name-format, 200 by default")
    func clusters() throws {
        let three = LoadTool(options: try LoadOptions.parse(Self.target + ["--clusters", "3", "--name-format", "v%d"]))
        #expect(try three.clusters() == ["v0", "v1", "v2"])
        let all = try LoadTool(options: try LoadOptions.parse(Self.target)).clusters()
        #expect(all.count == 200 && all.first == "c-000" && all.last == "c-199")
    }

    @Test("settings record each flag as given and what the run resolved")
    func settings() throws {
        let tool = LoadTool(
            options: try LoadOptions.parse(
                Self.target + [
                    "--scenario", "mixed-uniform", "--arrival", "poisson", "--conflict-policy", "retry",
                    "--load-duration", "90s", "--snapshot-rps-per-cluster", "2", "--snapshot-resources", "configmaps",
                ]))
        let s = tool.settings(
            seed: 7, percent: 100, clusterSource: "20", shard: LoadShard(index: 1, count: 2), hotTotal: 20,
            hotInShard: 10, threads: 2)
        #expect(s["scenario"] == "mixed-uniform" && s["arrival"] == "poisson" && s["conflict_policy"] == "retry")
        #expect(s["load_duration"] == "90s" && s["seed"] == "7" && s["hot_percent"] == "100.0")
        #expect(s["shard"] == "1/2" && s["shard_index"] == "1" && s["shard_count"] == "2")
        #expect(s["snapshot_resources"] == "configmaps" && s["watch_resources"] == "memwidgets")
        #expect(s["bootstrap"] == "" && s["threads"] == "2" && s["hot_clusters"] == "10")
    }
}
