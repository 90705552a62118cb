import ArgumentParser
import KPBootstrap
import KPRun
import KPRunModel

/// `--crds-per-cluster` and `--crd-sweep`: the test CRDs per VCP, for one run or a sweep over them.
extension RunCommand {
    /// The most test CRDs per VCP: kp-bootstrap's own limit.
    static var maxCRDsPerCluster: Int { BootstrapOptions.maxCRDsPerCluster }

    /// `--crd-sweep`'s values of K, in the order given.
    var crdSweepList: [Int] {
        (crdSweep ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }
    }

    func validateCRDs() throws {
        let creates = Scenario.named(scenario)?.createsVCPs ?? true
        // Its range is kp-bootstrap's own check (validateStepArguments).
        if crdsPerCluster != nil {
            if !creates {
                throw ValidationError(
                    "--crds-per-cluster does not apply to --scenario \(scenario): it bootstraps no VCP; drop it")
            }
        }
        guard let crdSweep else { return }
        let example = "e.g. --crd-sweep \"1 2 4\""
        let words = crdSweep.split(whereSeparator: { $0 == " " || $0 == "," })
        if words.isEmpty {
            throw ValidationError("--crd-sweep '\(crdSweep)' lists no values: give CRDs per VCP, \(example)")
        }
        for w in words where !(1...Self.maxCRDsPerCluster).contains(Int(w) ?? 0) {
            throw ValidationError(
                "--crd-sweep '\(crdSweep)': '\(w)' is not a CRD count from 1 to \(Self.maxCRDsPerCluster), \(example)")
        }
        let counts = words.compactMap { Int($0) }
        if let twice = counts.first(where: { k in counts.filter { $0 == k }.count > 1 }) {
            throw ValidationError(
                "--crd-sweep '\(crdSweep)' lists \(twice) twice: each value is one run (or --repeat runs); list each once"
            )
        }
        if counts.count < 2 {
            throw ValidationError(
                "--crd-sweep '\(crdSweep)' gives one value: a sweep fits a line through two or more, \(example)")
        }
        let clash: [(String, Bool)] = [
            ("--sizes", sizes != nil), ("--crds-per-cluster", crdsPerCluster != nil),
            ("--a-bin/--b-bin/--a-sim-args/--b-sim-args/--b-scenario", comparing),
            ("--knee-steps", kneeSteps != nil),
        ]
        if let (flag, _) = clash.first(where: \.1) {
            throw ValidationError("--crd-sweep and \(flag) exclude each other: one run set at a time")
        }
        if !creates {
            throw ValidationError("--crd-sweep does not apply to --scenario \(scenario): it bootstraps no VCP")
        }
    }
}
