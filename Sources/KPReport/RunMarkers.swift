import Foundation
import KPCore
import KPRecords
import KPRunModel

/// The `run_meta` and `run_end` records that `kp-report meta` and `kp-report end` print for the
/// run script to append to `meta.jsonl`.
public enum RunMarkers {
    /// Scenarios a run can be (the run model's).
    public static let scenarios = Scenario.names
    /// How a run can end: `incomplete` went through every phase but some measurements are missing.
    public static let statuses = ["complete", "incomplete", "failed", "interrupted"]

    /// Parses `key=value` flag arguments into a dictionary.
    ///
    /// - Throws: ``InputProblem`` for an argument without `=`, an empty key, or a repeated key.
    public static func parseFlags(_ args: [String]) throws(InputProblem) -> [String: String] {
        var flags: [String: String] = [:]
        for arg in args {
            guard let eq = arg.firstIndex(of: "="), eq != arg.startIndex else {
                throw InputProblem("--flag '\(arg)' is not key=value: write it as --flag clusters=200")
            }
            let key = String(arg[..<eq])
            guard flags[key] == nil else {
                throw InputProblem("--flag \(key) is given twice: give each setting once")
            }
            flags[key] = String(arg[arg.index(after: eq)...])
        }
        return flags
    }

    /// A `run_meta` record stamped now, with this machine's facts.
    public static func runMeta(
        run: String, scenario: String, flags: [String: String], host: HostInfo, harness: HarnessBuild? = nil
    ) -> RunMetaRecord {
        var r = RunMetaRecord(
            run: run, scenario: scenario, startedAt: WallClock.now(), startNs: MonotonicClock.now(), host: host,
            flags: flags)
        r.harness = harness
        return r
    }

    /// A `run_end` record stamped now.
    public static func runEnd(status: String, phase: String, reason: String?, exitCode: Int) -> RunEndRecord {
        RunEndRecord(
            status: status, phase: phase, reason: reason, exitCode: exitCode, endedAt: WallClock.now(),
            tNs: MonotonicClock.now())
    }
}

/// Bad input to a kp-report subcommand: one line naming the input and the fix.
public struct InputProblem: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
