import Foundation
import KPRecords
import KPRunModel
import Testing

/// The docs name only what exists: every `make` target and Make variable in a command of the README or
/// docs/ is one the Makefile has, every record kind is in CHANGELOG.md and docs/records.md, every
/// scenario of the run model has its section in docs/scenarios.md and appears in each list of the
/// scenarios, and every section summary.md prints is in docs/reports.md. Reads files only: no
/// network, no build, no tool run. Each failure names the doc, the line and what is missing.
@Suite struct DocsTruthTests {
    static let root = ToolRunner.repoRoot

    /// The docs a user reads commands from. docs/cli-reference.md is generated from the tools' --help
    /// (HelpTests keeps it in step) and is left out.
    static func docFiles() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: "\(root)/docs")
            .filter { $0.hasSuffix(".md") && $0 != "cli-reference.md" }.sorted().map { "docs/\($0)" }
        return ["README.md", "results/README.md", "deploy/kubernetes/README.md"] + docs
    }

    static func read(_ file: String) throws -> String {
        try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
    }

    /// A piece of code in a Markdown file (a fenced block's line, or an inline `span`) and where it starts.
    struct Snippet: CustomStringConvertible {
        var file: String
        var line: Int
        var code: String
        var description: String { "\(file):\(line): `\(code)`" }
    }

    /// Every fenced block line and every inline code span of `text` (a span may wrap across lines
    /// of one paragraph; line breaks inside it become spaces).
    static func snippets(_ text: String, file: String) -> [Snippet] {
        var out: [Snippet] = []
        var fenced = false
        var paragraph: [(Int, String)] = []
        func flush() {
            guard !paragraph.isEmpty else { return }
            let joined = paragraph.map(\.1).joined(separator: "\n")
            for m in joined.matches(of: #/`([^`]+)`/#) {
                let before = joined[..<m.range.lowerBound].filter { $0 == "\n" }.count
                out.append(
                    Snippet(
                        file: file, line: paragraph[before].0,
                        code: String(m.1).replacingOccurrences(of: "\n", with: " ")))
            }
            paragraph = []
        }
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                flush()
                fenced.toggle()
            } else if fenced {
                out.append(Snippet(file: file, line: i + 1, code: String(line)))
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                flush()
            } else {
                paragraph.append((i + 1, String(line)))
            }
        }
        flush()
        return out
    }

    /// Splits a command line into words as a shell would for the simple cases the docs use: quotes
    /// group, a `#` word starts a comment.
    static func words(_ command: Substring) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var inWord = false
        for c in command {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else if c == "#" && !inWord {
                break
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// One `make …` command of a doc: its targets and its `VAR=value` variables.
    struct MakeCommand: CustomStringConvertible {
        var at: Snippet
        var targets: [String]
        var variables: [String]
        var description: String { at.description }
    }

    /// Every `make …` command in `snippets`: the words after `make` in each part of a snippet between
    /// `;`, `&`, `|` and parentheses.
    static func makeCommands(in snippets: [Snippet]) -> [MakeCommand] {
        var commands: [MakeCommand] = []
        for snippet in snippets {
            for part in snippet.code.split(whereSeparator: { ";&|()".contains($0) }) {
                let all = words(part)
                guard let make = all.firstIndex(of: "make") else { continue }
                var targets: [String] = []
                var variables: [String] = []
                for word in all[(make + 1)...] {
                    let w = word.trimmingCharacters(in: CharacterSet(charactersIn: "[],"))
                    if let v = w.firstMatch(of: #/^([A-Z][A-Z0-9_]*)=/#) {
                        variables.append(String(v.1))
                    } else if w.firstMatch(of: #/^[a-z][a-z0-9<>%._-]*$/#) != nil {
                        targets.append(w)
                    }
                }
                if !targets.isEmpty || !variables.isEmpty {
                    commands.append(MakeCommand(at: snippet, targets: targets, variables: variables))
                }
            }
        }
        return commands
    }

    static func makeCommands(inFile file: String) throws -> [MakeCommand] {
        makeCommands(in: snippets(try read(file), file: file))
    }

    /// What the Makefile defines: its explicit targets, its pattern targets (`bootstrap-%`), and the
    /// variables it reads (assigned, exported, or expanded as `$(VAR)` / `${VAR}`).
    struct Makefile {
        var targets: Set<String> = []
        var patterns: [String] = []
        var variables: Set<String> = []

        init(_ text: String) {
            for line in text.split(separator: "\n") where !line.hasPrefix("\t") && !line.hasPrefix("#") {
                if let m = line.firstMatch(of: #/^([A-Z][A-Z0-9_]*)\s*[?:+]?=/#) {
                    variables.insert(String(m.1))
                    continue
                }
                if line.hasPrefix("export ") {
                    for name in line.split(separator: " ").dropFirst() { variables.insert(String(name)) }
                    continue
                }
                // `a b: deps` (not `$(filter …): …`, whose plain pattern rules follow, nor `.PHONY:`).
                guard let m = line.firstMatch(of: #/^([A-Za-z0-9_%][A-Za-z0-9_%. -]*):(?!=)/#) else { continue }
                for name in m.1.split(separator: " ") {
                    if name.contains("%") { patterns.append(String(name)) } else { targets.insert(String(name)) }
                }
            }
            for m in text.matches(of: #/\$[({]([A-Z][A-Z0-9_]*)[)}]/#) { variables.insert(String(m.1)) }
            for m in text.matches(of: #/\$\((?:if|filter|firstword) \$\(([A-Z][A-Z0-9_]*)\)/#) {
                variables.insert(String(m.1))
            }
        }

        /// True when `make target` names a rule: an explicit target or a pattern with a non-empty stem.
        func has(_ target: String) -> Bool {
            if targets.contains(target) { return true }
            return patterns.contains { pattern in
                let parts = pattern.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
                let (prefix, suffix) = (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                return target.count > prefix.count + suffix.count && target.hasPrefix(prefix)
                    && target.hasSuffix(suffix)
            }
        }
    }

    static func makefile() throws -> Makefile { Makefile(try read("Makefile")) }

    /// A size placeholder (`<N>`) stands for any size; other placeholders (`<scenario>-<N>`) name no
    /// one target and are not checked.
    static func concrete(_ target: String) -> String? {
        let t = target.replacingOccurrences(of: "<N>", with: "200").replacingOccurrences(of: "<n>", with: "200")
        return t.contains("<") || t.contains("%") ? nil : t
    }

    @Test func makefileParseFindsTheRunTargets() throws {
        let m = try Self.makefile()
        for target in ["demo", "test", "help", "bootstrap-200", "bootstrap-37", "watch-fanout-200", "snapshot-5"] {
            #expect(m.has(target), "the Makefile parse does not find \(target): \(m.targets.sorted()) \(m.patterns)")
        }
        #expect(!m.has("bootstrap-"), "a pattern's stem must not be empty")
        #expect(!m.has("no-such-target"))
        #expect(m.variables.isSuperset(of: ["CLUSTERS", "APISERVER_BIN", "RUN_ARGS", "SIM", "WATCHERS"]))
    }

    @Test func commandParseFindsTargetsAndVariables() {
        let text = """
            Run `make bootstrap-200 APISERVER_URL=https://h:6443
            TOKEN_FILE=tok` or `PLAN=1 make demo`; prose that says make targets is not code.

            ```sh
            make sweep SCENARIO=bootstrap SIZES="50 100 200"   # one run per size
            cd x && make compare A="out/a out/b" B=out/c [THRESHOLDS=file]
            ```
            """
        let found = Self.makeCommands(in: Self.snippets(text, file: "t.md"))
        #expect(found.map(\.at.line) == [1, 2, 5, 6])
        #expect(found.map(\.targets) == [["bootstrap-200"], ["demo"], ["sweep"], ["compare"]])
        #expect(
            found.map(\.variables) == [
                ["APISERVER_URL", "TOKEN_FILE"], [], ["SCENARIO", "SIZES"], ["A", "B", "THRESHOLDS"],
            ])
    }

    /// Every `make <target>` in a command of the README or docs/ is a target the Makefile has
    /// (`make snapshot-<N>` through its pattern rule).
    @Test func everyDocumentedMakeTargetExists() throws {
        let makefile = try Self.makefile()
        var checked = 0
        for file in try Self.docFiles() {
            for command in try Self.makeCommands(inFile: file) {
                for target in command.targets {
                    guard let t = Self.concrete(target) else { continue }
                    checked += 1
                    let exists = makefile.has(t)
                    #expect(exists, "\(command): the Makefile has no target \(target)")
                }
            }
        }
        #expect(checked > 40, "only \(checked) make targets found in the docs: is the scan broken?")
    }

    /// Every `VAR=value` given to a `make` command in the README or docs/ is a variable the Makefile
    /// reads (assigns, exports or expands).
    @Test func everyVariableGivenToMakeIsRead() throws {
        let makefile = try Self.makefile()
        var checked = 0
        for file in try Self.docFiles() {
            for command in try Self.makeCommands(inFile: file) {
                for v in command.variables {
                    checked += 1
                    let read = makefile.variables.contains(v)
                    #expect(read, "\(command): the Makefile does not read \(v)")
                }
            }
        }
        #expect(checked > 20, "only \(checked) make variables found in the docs: is the scan broken?")
    }

    /// result.json's `kind` (KPReport's `ResultFile`, which this test target does not link).
    static let resultKind = "result"

    /// Every record kind of the schema is named (backticked) in CHANGELOG.md and docs/records.md.
    @Test func everyRecordKindIsInTheChangelogAndRecordsDoc() throws {
        let kinds = RecordKind.allCases.map(\.rawValue) + [Self.resultKind]
        for file in ["CHANGELOG.md", "docs/records.md"] {
            let text = try Self.read(file)
            for kind in kinds {
                let named = text.contains("`\(kind)`")
                #expect(named, "\(file) does not name the record kind `\(kind)`")
            }
        }
    }

    /// The `## <name>` sections of docs/scenarios.md, by name, with their first line and text.
    static func scenarioSections() throws -> [String: (line: Int, text: String)] {
        var sections: [String: (line: Int, text: String)] = [:]
        var current: String?
        for (i, line) in try read("docs/scenarios.md").split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            if line.hasPrefix("## ") {
                let name = line.dropFirst(3).trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                current = name
                sections[name] = (i + 1, "")
            } else if let c = current {
                sections[c]!.text += line + "\n"
            }
        }
        return sections
    }

    /// The backticked names of the first line of `text` that starts with `- <label>:` (wrapped lines
    /// of the same item included).
    static func item(_ label: String, in text: String) -> [String]? {
        let items = text.components(separatedBy: "\n- ")
        guard let item = items.first(where: { $0.hasPrefix("\(label):") || $0.hasPrefix("- \(label):") }) else {
            return nil
        }
        return item.matches(of: #/`([^`]+)`/#).map { String($0.1) }
    }

    /// docs/scenarios.md has a section per scenario of the run model (and none for another), whose
    /// samples are the model's in order, whose record files include the model's, and whose Make
    /// target is the scenario's own.
    @Test func everyScenarioHasItsSection() throws {
        let sections = try Self.scenarioSections()
        for scenario in Scenario.all {
            guard let (line, text) = sections[scenario.name] else {
                Issue.record("docs/scenarios.md has no section `## \(scenario.name)`")
                continue
            }
            let at = "docs/scenarios.md:\(line) (## \(scenario.name))"
            let samples = [Scenario.launchSample.phase] + scenario.phases
            let documented = Self.item("Samples", in: text)
            let inOrder = documented == samples
            #expect(inOrder, "\(at): Samples should be \(samples), the doc says \(documented ?? [])")
            let files = Self.item("Record files it adds", in: text) ?? []
            for file in scenario.recordFiles() {
                let listed = files.contains(file)
                #expect(listed, "\(at): Record files it adds lacks `\(file)`")
            }
            let make = Self.item("Make", in: text) ?? []
            // A scenario that creates no VCP (observe) has no size: its target is `make <scenario>`.
            let target = make.contains {
                $0.hasPrefix("make \(scenario.name)-")
                    || (!scenario.createsVCPs && $0.hasPrefix("make \(scenario.name) "))
            }
            #expect(target, "\(at): Make names no `make \(scenario.name)-<N>`")
        }
        for (name, section) in sections where Scenario.named(name) == nil {
            Issue.record("docs/scenarios.md:\(section.line): `## \(name)` is not a scenario of the run model")
        }
    }

    /// A list of three or more scenario names in the docs (`a, b or c`, `a|b|c`) lists them all, or
    /// exactly the ones with a load phase.
    @Test func scenarioListsAreComplete() throws {
        let names = Scenario.names.sorted { $0.count > $1.count }
        let name = names.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
        // A name not inside a longer word (bootstrap-200, fleet-bootstrap, mixed-hot-1000).
        let one = "(?<![A-Za-z0-9_-])`?(?:\(name))`?(?![A-Za-z0-9_-])"
        let single = try NSRegularExpression(pattern: one)
        let list = try NSRegularExpression(pattern: "\(one)(?:\\s*(?:,|\\||, or|, and|or|and)\\s*\(one)){2,}")
        let allowed = [Set(Scenario.names), Set(Scenario.loadNames)]
        var checked = 0
        for file in try Self.docFiles() {
            let text = try Self.read(file)
            // A list may wrap: match on the text with line breaks as spaces (same offsets).
            let flat = text.replacingOccurrences(of: "\n", with: " ")
            for m in list.matches(in: flat, range: NSRange(flat.startIndex..., in: flat)) {
                let range = Range(m.range, in: flat)!
                let matched = String(flat[range])
                let line = (text as NSString).substring(to: m.range.location).filter { $0 == "\n" }.count + 1
                let found = Set(
                    single.matches(in: matched, range: NSRange(matched.startIndex..., in: matched)).map {
                        matched[Range($0.range, in: matched)!].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                    })
                checked += 1
                let complete = allowed.contains(found)
                #expect(
                    complete,
                    "\(file):\(line): lists the scenarios \(found.sorted()) but not \(Set(Scenario.names).subtracting(found).sorted())"
                )
            }
        }
        #expect(checked > 0, "no list of scenarios found in the docs: is the scan broken?")
    }

    /// Every `## Section` kp-report writes into summary.md (the `"## …` strings of `Report`'s source files,
    /// Sources/KPReport/Report*.swift) is described in docs/reports.md (as `**Section**` in its list).
    @Test func everySummarySectionIsInTheReportsDoc() throws {
        let dir = "\(Self.root)/Sources/KPReport"
        var sections: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir)
        where file.hasPrefix("Report") && file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
            for m in text.matches(of: #/"## ([^"\\\n]+)\\n/#) { sections.insert(String(m.1)) }
        }
        #expect(sections.count > 10, "found only \(sections.sorted()) in Sources/KPReport: is the scan broken?")
        let doc = try Self.read("docs/reports.md")
        for section in sections.sorted() {
            let described = doc.contains("**\(section)**") || doc.contains("`## \(section)`")
            #expect(
                described,
                "docs/reports.md does not describe summary.md's section `## \(section)` (as **\(section)**)")
        }
    }
}
