import KPRecords
import Testing

@testable import KPReport

@Suite struct RunMarkersTests {
    @Test func flagsParse() throws {
        #expect(
            try RunMarkers.parseFlags(["clusters=200", "launch-args=--a=b c"]) == [
                "clusters": "200", "launch-args": "--a=b c",
            ])
        #expect(try RunMarkers.parseFlags(["empty="]) == ["empty": ""])
        #expect(throws: InputProblem.self) { try RunMarkers.parseFlags(["noequals"]) }
        #expect(throws: InputProblem.self) { try RunMarkers.parseFlags(["=v"]) }
        #expect(throws: InputProblem.self) { try RunMarkers.parseFlags(["a=1", "a=2"]) }
    }

    @Test func recordsCarryTheirFields() {
        let host = HostInfo(hostname: "h", cores: 2, memoryBytes: 1 << 30, kernel: "6.1", os: nil)
        let m = RunMarkers.runMeta(run: "r", scenario: "bootstrap", flags: ["clusters": "2"], host: host)
        #expect(m.run == "r" && m.scenario == "bootstrap" && m.host == host && m.flags == ["clusters": "2"])
        #expect(m.startNs > 0 && m.startedAt.hasSuffix("Z"))
        let e = RunMarkers.runEnd(status: "failed", phase: "load", reason: "x", exitCode: 11)
        #expect(e.status == "failed" && e.phase == "load" && e.reason == "x" && e.exitCode == 11)
    }

    @Test func hostFactParsers() {
        #expect(HostFacts.memTotalKiB("MemFree: 10 kB\nMemTotal:       24683652 kB\n") == 24_683_652)
        #expect(HostFacts.memTotalKiB("nothing") == nil)
        #expect(
            HostFacts.prettyName("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")
                == "Debian GNU/Linux 12 (bookworm)")
        #expect(HostFacts.prettyName("PRETTY_NAME=Plain") == "Plain")
        #expect(HostFacts.prettyName("ID=x") == nil)
    }

    @Test func hostFactsOfThisMachine() {
        let facts = HostFacts.current()
        #expect(facts.host.cores >= 1)
        #expect(facts.host.memoryBytes > 0)
        #expect(!facts.host.kernel.isEmpty)
        #expect(!facts.host.hostname.isEmpty)
    }
}
