import ArgumentParser
import KPBootstrap
import KPCLI
import KPLaunch
import KPLoad
import KPReport
import KPRun
import KPScrape

/// Every tool command of the plan, checked with that tool's own option group before anything starts.
extension RunCommand {
    /// Parses the arguments of every tool command that every run of this invocation would start
    /// (``KPRun/RunPlan/commands()``) with the tool's own `ParsableArguments` type, its `validate()`
    /// included. kp-run restates none of the tools' rules: a value a tool would refuse in the middle
    /// of a run is refused here, before launch, in the tool's own words.
    func validateStepArguments() throws {
        let dir = "\(out)/\(runName)"
        // The runs of a set share most commands (one folder is given to every plan, so a repeat's or
        // a sweep's samples are the same lines): each distinct command line is parsed once.
        var checked = Set<[String]>()
        for settings in plannedRuns {
            for command in RunPlan(settings: settings, dir: dir, runName: runName).commands()
            where checked.insert([command.tool] + command.args).inserted {
                if let problem = Self.refusal(of: command) {
                    throw ValidationError("\(problem) (\(command.tool)'s own check of the \(command.phase) step)")
                }
            }
        }
    }

    /// What the command's tool says of its arguments, or nil when it takes them.
    static func refusal(of command: RunPlan.Command) -> String? {
        func check<T: ParsableArguments>(_ type: T.Type, _ arguments: [String]) -> String? {
            type.refusal(of: arguments)
        }
        let rest = Array(command.args.dropFirst())
        switch (command.tool, command.args.first) {
        case ("kp-load", _): return check(LoadOptions.self, command.args)
        case ("kp-bootstrap", _): return check(BootstrapOptions.self, command.args)
        case ("kp-scrape", _): return check(ScrapeOptions.self, command.args)
        case ("kp-launch", "up"): return check(LaunchUpOptions.self, rest)
        case ("kp-launch", "down"): return check(LaunchDownOptions.self, rest)
        case ("kp-launch", "restart"): return check(LaunchRestartOptions.self, rest)
        case ("kp-report", "meta"): return check(MetaOptions.self, rest)
        case ("kp-report", "check"): return check(CheckOptions.self, rest)
        case ("kp-report", "end"): return check(EndOptions.self, rest)
        case ("kp-report", "history") where command.args.dropFirst().first == "add":
            return check(HistoryAddOptions.self, Array(command.args.dropFirst(2)))
        case ("kp-report", _): return check(FoldOptions.self, command.args)
        default: return nil
        }
    }
}
