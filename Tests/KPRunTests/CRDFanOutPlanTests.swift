import Foundation
import KPRunModel
import Testing

@testable import KPRun

/// `--crds-per-cluster K` reaches kp-bootstrap and run_meta; `--crd-sweep` makes one run per K; every
/// sample asks for the families of summary.md's "kplane internals".
@Suite struct CRDFanOutPlanTests {
    static func value(_ flag: String, in args: [String]) -> String? {
        args.firstIndex(of: flag).map { args[$0 + 1] }
    }

    @Test func oneCRDPerVCPLeavesEveryCommandAndFlagAsItWas() {
        let plan = RunPlan(settings: .forTests("teardown", clusters: 20, sim: true), dir: "/o/r", runName: "r")
        #expect(!plan.bootstrap().args.contains("--crds-per-cluster"))
        #expect(!plan.teardown().args.contains("--crds-per-cluster"))
        #expect(!plan.settings.metaFlags().contains { $0.hasPrefix("crds-per-cluster=") })
    }

    @Test func kCRDsPerVCPReachTheBootstrapTheTeardownAndRunMeta() {
        var settings = RunSettings.forTests("teardown", clusters: 20, sim: true)
        settings.crdsPerCluster = 3
        let plan = RunPlan(settings: settings, dir: "/o/r", runName: "r")
        #expect(Self.value("--crds-per-cluster", in: plan.bootstrap().args) == "3")
        #expect(Self.value("--crds-per-cluster", in: plan.teardown().args) == "3")
        #expect(settings.metaFlags().contains("crds-per-cluster=3"))
    }

    @Test func samplesAskForTheInternalsFamilies() {
        let plan = RunPlan(settings: .forTests("bootstrap", clusters: 20, sim: true), dir: "/o/r", runName: "r")
        let args = plan.sample("steady", pprof: false).args
        let asked = args.indices.filter { args[$0] == "--metric" }.map { args[$0 + 1] }
        #expect(Set(InternalsFamilies.all).isSubset(of: Set(asked)))
    }

    @Test func aCRDSweepIsOneRunPerKThenTheFit() {
        let base = RunSettings.forTests("bootstrap", clusters: 20, sim: true)
        let series = RunSeries(base: base, runName: "bootstrap-20-crd-sweep", supervisor: FakeSupervisor())
        let items = series.crdSweepItems(dir: "/o/s", crds: [1, 2, 4], repeat: 1)
        guard case .begin(let dir, let plan) = items.first, case .fold(let foldDir) = items.last else {
            Issue.record("a sweep begins with its runset.json and ends with its fold")
            return
        }
        #expect(dir == "/o/s" && foldDir == "/o/s")
        #expect(plan.kind == .sweep && plan.axis == .crdsPerCluster && plan.groups == ["k1", "k2", "k4"])
        let runs = items.compactMap { item -> (String, Int, Int)? in
            guard case .run(_, let d, let s, _) = item else { return nil }
            return (d, s.crdsPerCluster, s.clusters)
        }
        #expect(runs.map(\.0) == ["/o/s/k1", "/o/s/k2", "/o/s/k4"])
        #expect(runs.map(\.1) == [1, 2, 4])
        #expect(runs.allSatisfy { $0.2 == 20 })
    }
}
