import Foundation
import KPRunModel
import Testing

/// The run model is the one definition of a scenario: every sample once, every file named by RunLayout.
@Suite struct RunModelTests {
    @Test(arguments: Scenario.all.map(\.name))
    func eachSampleIsTakenExactlyOnce(_ name: String) throws {
        let s = try #require(Scenario.named(name))
        let phases = s.phases
        #expect(Set(phases).count == phases.count, "\(name) takes a sample twice: \(phases)")
        #expect(!phases.contains(Scenario.launchSample.phase))
        // Every scenario that creates VCPs starts with the seed's baseline; observe creates none.
        #expect(phases.first == (s.createsVCPs ? "baseline" : "observe-start"))
    }

    @Test func loadScenariosEndWithTheirPostLoadSample() {
        for s in Scenario.all where s.drivesLoad {
            #expect(s.phases.contains("post-load"), "\(s.name)")
            // The sample right after the last load step is post-load (what the load left behind).
            let lastLoad = s.steps.lastIndex { if case .load = $0 { true } else { false } }!
            #expect(s.steps[lastLoad + 1] == .sample("post-load", pprof: true), "\(s.name)")
        }
    }

    @Test func namesAndLoadNamesComeFromTheTable() {
        #expect(
            Scenario.names == [
                "bootstrap", "mixed-hot", "mixed-uniform", "fleet-bootstrap", "teardown", "snapshot", "watch-fanout",
                "churn", "restart", "observe",
            ])
        #expect(Scenario.loadNames == ["mixed-hot", "mixed-uniform", "snapshot", "watch-fanout"])
        #expect(Scenario.named("watch-fanout")!.watches)
        #expect(!Scenario.named("mixed-hot")!.watches)
        #expect(Scenario.named("snapshot")!.snapshotReads)
        #expect(Scenario.namesText.hasSuffix(" or observe"))
    }

    @Test func recordFilesFollowTheSteps() {
        #expect(Scenario.named("bootstrap")!.recordFiles() == ["bootstrap.jsonl"])
        #expect(
            Scenario.named("mixed-hot")!.recordFiles(loadShards: 3) == [
                "bootstrap.jsonl", "load-0-of-3.jsonl", "load-1-of-3.jsonl", "load-2-of-3.jsonl",
            ])
        #expect(
            Scenario.named("watch-fanout")!.recordFiles() == ["bootstrap.jsonl", "nowatch-load.jsonl", "load.jsonl"])
        #expect(
            Scenario.named("snapshot")!.recordFiles() == ["bootstrap.jsonl", "snapshot-warm.jsonl", "load.jsonl"])
        #expect(Scenario.named("teardown")!.recordFiles() == ["bootstrap.jsonl", "teardown.jsonl"])
    }

    @Test func layoutNamesFiles() {
        #expect(RunLayout.loadFile() == "load.jsonl")
        #expect(RunLayout.loadFile(prefix: RunLayout.nowatchLoadPrefix, shard: 1, of: 2) == "nowatch-load-1-of-2.jsonl")
        #expect(RunLayout.loadFile(shard: 0, of: 1) == "load.jsonl")
        #expect(RunLayout.profile(kind: "heap", run: "r", phase: "steady") == "pprof/heap-r-steady.pb.gz")
        #expect(RunLayout.profile(kind: "goroutine", run: "r", phase: "steady") == "pprof/goroutine-r-steady.txt")
        #expect(RunLayout.log("kp-load") == "logs/kp-load.log")
    }

    /// docs/architecture.md's run-directory table names every file of the layout.
    @Test func architectureDocListsTheLayout() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let names =
            RunLayout.recordFiles + RunLayout.reportFiles + [
                RunLayout.launch, RunLayout.phase, RunLayout.launchPid, RunLayout.kubeconfig, RunLayout.runSet,
                RunLayout.junit,
                RunLayout.logs + "/", RunLayout.pprof + "/", RunLayout.target + "/",
                RunLayout.loadFile(shard: 0, of: 2).replacingOccurrences(of: "0-of-2", with: "I-of-N"),
                RunLayout.loadFile(prefix: RunLayout.nowatchLoadPrefix),
            ]
        for name in names { #expect(doc.contains("`\(name)`"), "docs/architecture.md lacks `\(name)`") }
    }
}
