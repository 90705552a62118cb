import ArgumentParser
import Foundation
import KPCLI
import KPRecords

/// How a run ended, as `kp-report end --status` takes it (``RunMarkers/statuses``).
public enum RunEndStatus: String, Sendable, CaseIterable, ExpressibleByArgument {
    case complete, incomplete, failed, interrupted
}

/// `kp-report check`'s flags.
public struct CheckOptions: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("Run directory, e.g. out/mixed-hot-200.", valueName: "run-dir"))
    public var runDir: String

    @Option(
        help: ArgumentHelp(
            "Largest share of failed load operations (0-100) a valid run may have.", valueName: "percent"))
    public var maxLoadErrorPercent: Double = 1

    public init() {}

    public func validate() throws {
        guard maxLoadErrorPercent >= 0 && maxLoadErrorPercent <= 100 else {
            throw ValidationError("--max-load-error-percent must be between 0 and 100 (got \(maxLoadErrorPercent))")
        }
    }

    /// The checks that read the disk: the run directory exists.
    public func checkInputs() throws {
        guard PathKind.isDirectory(runDir) else {
            throw ValidationError("run directory '\(runDir)' does not exist: pass out/<run> as written by kp-run")
        }
    }
}

/// `kp-report check RUN_DIR`: whether a run that went through every phase got everything it measured.
public enum CheckTool {
    /// Says on stdout what the run is missing and returns the exit code it deserves: 12 when too many
    /// load operations failed, 4 when measurements are missing, else 0.
    public static func run(_ options: CheckOptions) throws -> KPExitCode {
        try options.checkInputs()
        let report = Report(directory: options.runDir)
        let gaps = report.gaps
        let limit = options.maxLoadErrorPercent
        if let pct = gaps.loadErrorPercent, pct > limit, let clause = gaps.loadErrorClause {
            print("load: \(clause), over the \(Format.fixed(limit, 1))% a valid run may have")
            return .targetErrors
        }
        let phases = report.phases.missingPhases
        let missing =
            (phases.isEmpty ? [] : ["no sample for phase " + phases.joined(separator: ", ")])
            + gaps.missingMeasurements
        if !missing.isEmpty {
            print("measurements missing: " + missing.joined(separator: "; "))
            return .incompleteData
        }
        return .ok
    }
}

/// `kp-report end`'s flags.
public struct EndOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "complete, incomplete (every phase ran, some measurements missing), failed or interrupted.",
            valueName: "status"))
    public var status: RunEndStatus

    @Option(
        help: ArgumentHelp("The phase the run was in when it ended (report when complete).", valueName: "phase"))
    public var phase: String

    @Option(help: ArgumentHelp("Why it ended early (one line).", valueName: "text"))
    public var reason: String?

    @Option(help: ArgumentHelp("The exit code the run finishes with (docs/cli.md).", valueName: "n"))
    public var exitCode: Int

    public init() {}

    public func validate() throws {
        if phase.isEmpty { throw ValidationError("--phase must not be empty: name the phase the run ended in") }
        guard (0...255).contains(exitCode) else {
            throw ValidationError("--exit-code must be 0…255 (got \(exitCode))")
        }
    }

    /// The run_end record these flags describe, stamped now.
    public var record: RunEndRecord {
        RunMarkers.runEnd(status: status.rawValue, phase: phase, reason: reason, exitCode: exitCode)
    }
}

/// `kp-report meta`'s flags.
public struct MetaOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Run name (the folder under out/).", valueName: "name"))
    public var run: String

    @Option(help: ArgumentHelp("Scenario: \(RunMarkers.scenarios.joined(separator: ", ")).", valueName: "scenario"))
    public var scenario: String

    @Option(
        name: .customLong("flag"),
        help: ArgumentHelp(
            "A run setting as key=value (repeatable), e.g. --flag clusters=200.", valueName: "key=value"))
    public var flags: [String] = []

    public init() {}

    public func validate() throws {
        if run.isEmpty { throw ValidationError("--run must not be empty: give the run's folder name") }
        guard RunMarkers.scenarios.contains(scenario) else {
            throw ValidationError(
                "--scenario '\(scenario)' is unknown: use \(RunMarkers.scenarios.joined(separator: ", "))")
        }
        do {
            _ = try RunMarkers.parseFlags(flags)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The run_meta record these flags describe, stamped now with this machine's facts (a fact that
    /// cannot be read is said on `log` and left out) and this kp-bench build (`configuration`:
    /// debug or release).
    public func record(configuration: String, log: ReportLog) throws -> RunMetaRecord {
        let parsed = try RunMarkers.parseFlags(flags)
        let facts = HostFacts.current()
        for p in facts.problems { log.warning("host fact unavailable: \(p)") }
        return RunMarkers.runMeta(
            run: run, scenario: scenario, flags: parsed, host: facts.host,
            harness: HarnessFacts.current(configuration: configuration))
    }
}
