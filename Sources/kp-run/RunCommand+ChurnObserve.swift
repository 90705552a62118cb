import ArgumentParser
import KPCLI
import KPRun
import KPRunModel

/// The churn and observe scenarios' flags, checked before anything starts.
extension RunCommand {
    /// Names the churn scenario uses over the largest run of this command (0 without churn).
    var churnNamesUsed: Int {
        let sides = [scenario] + (bScenario.map { [$0] } ?? [])
        guard sides.contains(where: { (Scenario.named($0)?.churnCycles ?? 0) > 0 }) else { return 0 }
        return ChurnPlan(
            clusters: max(clusters, sizeList.max() ?? 0), percent: churnPercent ?? ChurnPlan.defaultPercent,
            cycles: churnCycles ?? ChurnPlan.defaultCycles
        ).namesUsed
    }

    /// `--churn-cycles`/`--churn-percent` apply to churn only; `--observe-duration` to observe only.
    /// observe watches one server: in url mode (APISERVER_URL) the live one something else loads; in
    /// the other modes the clean server kp-launch starts, as for every scenario.
    func validateChurnAndObserve() throws {
        let sides = [scenario] + (bScenario.map { [$0] } ?? [])
        let churns = sides.contains { (Scenario.named($0)?.churnCycles ?? 0) > 0 }
        if !churns {
            for (flag, given) in [("--churn-cycles", churnCycles != nil), ("--churn-percent", churnPercent != nil)]
            where given {
                throw ValidationError("\(flag) applies to --scenario churn only (this run is \(scenario)): drop it")
            }
        }
        if let c = churnCycles, !(2...1000).contains(c) {
            throw ValidationError(
                "--churn-cycles must be a whole number from 2 to 1000 (got '\(c)'): the per-cycle fit needs the steady sample and two cycles"
            )
        }
        if let p = churnPercent, !(p > 0 && p <= 100) {
            throw ValidationError(
                "--churn-percent must be above 0 and at most 100 (got '\(RunSettings.number(p))')")
        }
        let observes = sides.contains { Scenario.named($0)?.createsVCPs == false }
        if let o = observeDuration {
            if !observes {
                throw ValidationError(
                    "--observe-duration applies to --scenario observe only (this run is \(scenario)): drop it")
            }
            if o.duration <= .zero {
                throw ValidationError("--observe-duration must be longer than 0 (got '\(o.text)')")
            }
        }
        if observes && (comparing || sizes != nil) {
            throw ValidationError(
                "--scenario observe watches one server and creates nothing: drop --sizes and --a-bin/--b-bin/--a-sim-args/--b-sim-args/--b-scenario"
            )
        }
    }
}
