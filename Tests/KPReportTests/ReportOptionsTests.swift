import ArgumentParser
import Foundation
import KPCLI
import KPCore
import Testing

@testable import KPReport

/// kp-report's option groups as kp-run uses them: `parse` on an argument list, before anything starts.
@Suite("KPReport option groups")
struct ReportOptionsTests {
    /// The one line a bad argument list gets, or nil when it parses.
    static func error<T: ParsableArguments>(_ type: T.Type, _ arguments: [String]) -> String? {
        type.refusal(of: arguments)
    }

    /// A bad argument list and a piece of the line it must get (naming the flag when there is one).
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var names: String
        var check: @Sendable ([String]) -> String?
        var testDescription: String { arguments.joined(separator: " ") }

        static func of<T: ParsableArguments>(_ type: T.Type, _ arguments: [String], _ names: String) -> Case {
            Case(arguments: arguments, names: names, check: { ReportOptionsTests.error(type, $0) })
        }
    }

    static let shard = ["--shard", "cpu=8,memory=16Gi"]

    static let badCases: [Case] = [
        .of(FoldOptions.self, [], "<run-dir>"),
        .of(FoldOptions.self, ["out/x", "--bogus"], "--bogus"),
        .of(CheckOptions.self, ["out/x", "--max-load-error-percent", "101"], "--max-load-error-percent"),
        .of(CheckOptions.self, ["out/x", "--max-load-error-percent=-1"], "--max-load-error-percent"),
        .of(EndOptions.self, ["--status", "fine", "--phase", "p", "--exit-code", "0"], "--status"),
        .of(EndOptions.self, ["--status", "failed", "--phase", "", "--exit-code", "0"], "--phase"),
        .of(EndOptions.self, ["--status", "failed", "--phase", "load", "--exit-code", "256"], "--exit-code"),
        .of(MetaOptions.self, ["--run", "", "--scenario", "bootstrap"], "--run"),
        .of(MetaOptions.self, ["--run", "r", "--scenario", "nope"], "--scenario 'nope'"),
        .of(MetaOptions.self, ["--run", "r", "--scenario", "bootstrap", "--flag", "clusters"], "--flag 'clusters'"),
        .of(MetaOptions.self, ["--run", "r", "--scenario", "bootstrap", "--flag", "a=1", "--flag", "a=2"], "--flag a"),
        .of(CompareOptions.self, ["--alpha", "1", "a", "--", "b"], "--alpha"),
        .of(CompareOptions.self, ["a", "b"], "separate the two sides with --"),
        .of(CompareOptions.self, ["a", "--", "b", "--alpha", "0.1"], "'--alpha' after the run directories"),
        .of(CompareOptions.self, ["a", "--", "b", "--", "c"], "more than one --"),
        .of(CompareOptions.self, ["--", "b"], "side A is empty"),
        .of(CompareOptions.self, ["a", "--"], "side B is empty"),
        .of(SweepOptions.self, ["--out", "x"], "give the run directories of the sweep"),
        .of(CapacityOptions.self, ["sweep"], "give the shard: --shard"),
        .of(
            CapacityOptions.self, ["sweep", "--shard", "cpu=8,memory=16Gi", "--shard-file", "f"],
            "--shard and --shard-file"),
        .of(CapacityOptions.self, ["sweep", "--shard", "bogus"], "--shard 'bogus'"),
        .of(CapacityOptions.self, ["sweep"] + shard + ["--for", "0"], "--for 0"),
        .of(CapacityOptions.self, ["sweep"] + shard + ["--target", "abc"], "--target 'abc'"),
        .of(CapacityOptions.self, ["sweep"] + shard + ["--hard-stop", "101%"], "--hard-stop"),
        .of(
            CapacityOptions.self, ["sweep"] + shard + ["--target", "95%", "--hard-stop", "90%"],
            "--target 95% is above --hard-stop"),
        .of(
            CapacityOptions.self, ["sweep"] + shard + ["--mix", "idle=50,hot=50"],
            "--mix 'idle=50,hot=50' gives hot VCPs"),
        .of(CapacityOptions.self, ["sweep"] + shard + ["--mix", "busy=100"], "--mix"),
        .of(HistoryAddOptions.self, ["out/r"], "--history FILE.csv or as --dsn"),
        .of(HistoryAddOptions.self, ["--history", "h.csv", "--dsn", "postgresql://h/db", "out/r"], "one of them"),
        .of(HistoryAddOptions.self, ["--dsn", "mysql://h/db", "out/r"], "--dsn 'mysql://h/db'"),
        .of(HistoryAddOptions.self, ["--dsn", "postgresql://h/db", "--table", "Bad;", "out/r"], "--table 'Bad;'"),
        .of(HistoryAddOptions.self, ["--history", "", "out/r"], "--history is empty"),
        .of(HistoryAddOptions.self, ["--history", "h.csv"], "give at least one run directory"),
        .of(HistoryCheckOptions.self, ["--history", "h.csv", "--min-change=-1"], "--min-change must be 0 or more"),
        .of(HistoryCheckOptions.self, ["--history", "h.csv", "--min-change", "nan"], "--min-change must be 0 or more"),
        .of(HistoryCheckOptions.self, ["--history", "h.csv", "--last", "0"], "--last must be 1 or more"),
        .of(HistoryShowOptions.self, ["--out", "x.html"], "--history FILE.csv or as --dsn"),
    ]

    @Test("each bad argument list is refused with one line naming the flag or the fix", arguments: badCases)
    func refuses(_ c: Case) {
        let message = c.check(c.arguments)
        #expect(message?.contains(c.names) == true, "\(c.arguments): \(message ?? "parsed")")
        #expect(message?.contains("\n") == false, "one line: \(message ?? "")")
    }

    @Test("the defaults parse, as the help says")
    func defaults() throws {
        let fold = try FoldOptions.parse(["out/x"])
        #expect(fold.runDir == "out/x" && fold.out == nil && !fold.quiet && fold.budgets == nil)
        #expect(try CheckOptions.parse(["out/x"]).maxLoadErrorPercent == 1)
        let end = try EndOptions.parse(["--status", "interrupted", "--phase", "load", "--exit-code", "130"])
        #expect(end.status == .interrupted && end.reason == nil && end.record.exitCode == 130)
        let meta = try MetaOptions.parse(["--run", "r", "--scenario", "mixed-hot", "--flag", "clusters=200"])
        #expect(meta.flags == ["clusters=200"])
        let cmp = try CompareOptions.parse(["out/a", "--", "out/b"])
        #expect(cmp.out == "out/compare" && cmp.alpha == 0.05 && cmp.thresholds == nil)
        #expect(try cmp.sides() == (["out/a"], ["out/b"]))
        #expect(try SweepOptions.parse(["out/n50", "out/n100"]).out == "out/sweep")
        let cap = try CapacityOptions.parse(["out/sweep"] + Self.shard)
        #expect(cap.target == "80%" && cap.hardStop == "90%" && cap.mix == nil && cap.forN == nil && cap.out == nil)
        let inputs = try cap.inputs()
        #expect(inputs.target == 0.8 && inputs.hardStop == 0.9)
        let check = try HistoryCheckOptions.parse(["--history", "h.csv"])
        #expect(check.minChange == 5 && check.last == 10 && check.analysis.config == "history/otava.yaml")
        #expect(check.analysis.otava == "otava" && check.store.table == HistoryPostgres.defaultTable)
        #expect(try HistoryShowOptions.parse(["--dsn", "postgresql://h/db"]).out == "out/history.html")
        #expect(try HistoryAddOptions.parse(["--history", "h.csv", "out/r"]).branch == nil)
    }

    @Test("--status takes exactly the statuses a run can end with")
    func statuses() {
        #expect(RunEndStatus.allCases.map(\.rawValue) == RunMarkers.statuses)
    }

    @Test("compare --help before the directories asks for help, not for a --")
    func compareHelp() {
        #expect(throws: (any Error).self) { try CompareOptions.parse(["--help"]) }
        do {
            _ = try CompareOptions.parse(["--help"])
        } catch {
            #expect(CompareOptions.exitCode(for: error) == .success)
        }
    }

    @Test("parsing reads no file: paths that do not exist parse, and checkInputs names them")
    func parsingIsPure() throws {
        let missing = "/nonexistent/kp-report-\(UUID().uuidString)"
        let fold = try FoldOptions.parse([missing, "--budgets", missing + ".yaml"])
        #expect(throws: ValidationError.self) { try fold.checkInputs() }
        let check = try CheckOptions.parse([missing])
        #expect(throws: ValidationError.self) { try check.checkInputs() }
        let cmp = try CompareOptions.parse([missing, "--", missing])
        #expect(throws: ValidationError.self) { try cmp.checkInputs() }
        let sweep = try SweepOptions.parse([missing])
        #expect(throws: ValidationError.self) { try sweep.checkInputs() }
        let cap = try CapacityOptions.parse(["out/sweep", "--shard-file", missing])
        #expect(throws: ValidationError.self) { try cap.checkInputs() }
        let add = try HistoryAddOptions.parse(["--history", missing + ".csv", missing])
        #expect(throws: ValidationError.self) { try add.checkInputs() }
    }

    @Test("checkInputs: the run directory, --out and the budgets file, each a one-line error")
    func foldCheckInputs() throws {
        let fixture = try RunFixture()
        defer { fixture.cleanup() }
        let file = fixture.path("not-a-dir")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        func message(_ arguments: [String]) -> String? {
            do {
                try FoldOptions.parse(arguments).checkInputs()
                return nil
            } catch { return FoldOptions.message(for: error) }
        }
        #expect(message([fixture.dir]) == nil)
        #expect(
            message([fixture.dir + "/nope"])?.hasPrefix("run directory '\(fixture.dir)/nope' does not exist") == true)
        #expect(
            message([fixture.dir, "--out", file])?.hasPrefix("--out '\(file)' exists and is not a directory") == true)
        #expect(message([fixture.dir, "--budgets", file])?.contains(file) == true)
    }

    @Test("fold names the command for a folder that is a sweep or a comparison, not one run")
    func foldTellsSetsApart() throws {
        let fixture = try RunFixture()
        defer { fixture.cleanup() }
        let log = ReportLog(info: { _ in }, warning: { _ in })
        let tool = FoldTool(options: try FoldOptions.parse([fixture.dir]), log: log)
        #expect(throws: InputError.self) { _ = try tool.run() }
        for name in ["n100", "n50", "A"] {
            try FileManager.default.createDirectory(atPath: fixture.path(name), withIntermediateDirectories: true)
        }
        #expect(
            FoldTool.setCommand(fixture.dir)
                == "kp-report sweep --out \(fixture.dir) \(fixture.dir)/n50 \(fixture.dir)/n100")
        try FileManager.default.createDirectory(atPath: fixture.path("B"), withIntermediateDirectories: true)
        #expect(
            FoldTool.setCommand(fixture.dir)
                == "kp-report compare --out \(fixture.dir) \(fixture.dir)/A -- \(fixture.dir)/B")
        do {
            _ = try tool.run()
            Issue.record("a comparison folder folded as one run")
        } catch {
            #expect("\(error)".contains("is not one run: fold it with kp-report compare"), "\(error)")
        }
        #expect(FoldTool.exitCodeNames[4] == "incomplete-data")
    }
}
