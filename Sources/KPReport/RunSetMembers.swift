import Foundation
import KPRunModel

/// The runs of a run set (a repeat set, a sweep, one side of a comparison) split into those whose
/// figures the set uses and those it leaves out, each with its reason (``Report/invalidReasons``);
/// with the set's ``RunSetPlan``, also how many of the asked runs ended. Repeat sets, sweeps and
/// comparisons all fold their figures from ``valid`` only, so a broken run never moves a median.
public struct RunSetMembers: Sendable {
    /// One run of the set: its path, its name in the set's files, its folded report.
    public struct Member: Sendable {
        public var path: String
        public var name: String
        public var report: Report
    }

    /// Every run found, in the set's order.
    public var members: [Member]
    /// The runs whose figures the set uses.
    public var valid: [Member]
    /// The runs left out, with why.
    public var leftOut: [(member: Member, reason: String)]
    /// Runs used whose report lacks some measurements (the figures they have are used).
    public var withGaps: [(member: Member, reason: String)]
    /// How many runs the set asked for, from its plan; nil without a plan.
    public var asked: Int?
    /// Asked-for runs that left no run directory (the set stopped before them), by name.
    public var notRun: [String]

    /// `runs` are paths; names are shown relative to `directory` when they lie under it.
    public init(runs: [String], reports: [Report], directory: String? = nil, plan: RunSetPlan? = nil) {
        func name(_ path: String) -> String {
            guard let directory else { return path }
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        }
        members = zip(runs, reports).map { Member(path: $0, name: name($0), report: $1) }
        valid = []
        leftOut = []
        withGaps = []
        for m in members {
            let invalid = m.report.invalidReasons
            if !invalid.isEmpty {
                leftOut.append((m, invalid.joined(separator: "; ")))
                continue
            }
            valid.append(m)
            let gaps = m.report.incompleteReasons
            if !gaps.isEmpty { withGaps.append((m, gaps.joined(separator: "; "))) }
        }
        asked = plan?.runs.count
        let found = Set(members.map(\.name))
        notRun = plan?.runs.filter { !found.contains($0) } ?? []
    }

    /// Runs that ended (recorded run_end), valid or not.
    public var ended: Int { members.filter { $0.report.data.runEnd != nil }.count }

    /// True when the set did not get every run it asked for, or some runs ended without a valid result.
    public var isIncomplete: Bool { !leftOut.isEmpty || !notRun.isEmpty || (asked.map { ended < $0 } ?? false) }

    /// The set's status lines (markdown): "k of n runs ended", the runs left out with their reasons,
    /// the runs used with gaps. Empty when every asked run ended valid and complete.
    public var markdown: String { endedMarkdown + lists(side: nil) }

    /// "**INCOMPLETE: k of n runs ended** (not run: …)" when the plan asked for more than ended.
    public var endedMarkdown: String {
        guard let asked, ended < asked || !notRun.isEmpty else { return "" }
        var text = "\n**INCOMPLETE: \(ended) of \(asked) runs ended**"
        if !notRun.isEmpty { text += " (not run: \(notRun.joined(separator: ", ")))" }
        return text + ". The figures below come from the valid runs among them.\n"
    }

    /// The runs left out and the runs used with gaps, each with its reason; `side` ("A", "B") heads
    /// the lists of one side of a comparison.
    public func lists(side: String?) -> String {
        var text = ""
        if !leftOut.isEmpty {
            let count = "\(leftOut.count) of \(members.count) runs not valid"
            text += side.map { "\n\($0): left out (\(count)):\n\n" } ?? "\nLeft out of every figure (\(count)):\n\n"
            for (m, reason) in leftOut { text += "- \(m.name): \(reason)\n" }
        }
        if !withGaps.isEmpty {
            let note = "a missing figure is left out of its count"
            text += side.map { "\n\($0): used, with gaps (\(note)):\n\n" } ?? "\nUsed, with gaps (\(note)):\n\n"
            for (m, reason) in withGaps { text += "- \(m.name): \(reason)\n" }
        }
        return text
    }

    /// One line for a tool's stderr: "k of n runs ended; m left out (…)"; nil when there is nothing to say.
    public var warning: String? {
        var parts: [String] = []
        if let asked, ended < asked { parts.append("\(ended) of \(asked) runs ended") }
        if !leftOut.isEmpty {
            parts.append(
                "\(leftOut.count) run(s) left out as not valid: " + leftOut.map(\.member.name).joined(separator: ", "))
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
