import Foundation
import Testing

@testable import KPPprof

@Suite struct GoroutineDumpTests {
    @Test func parsesEtcdDump() throws {
        let data = try Fixtures.data("etcd-goroutine.txt")
        let dump = try GoroutineDump(data: data)
        // Figures read from the capture with grep: header total, 35 "N @" lines, 118 frame lines.
        #expect(dump.total == 41)
        #expect(dump.groups.count == 35)
        #expect(dump.groups.reduce(0) { $0 + $1.frames.count } == 118)
        let first = try #require(dump.groups.first)
        #expect(first.count == 3)
        #expect(first.pcs == [0x43f076, 0x40919b, 0x408cd8, 0xacf9ec, 0x4704c1])
        #expect(first.topFunction == "go.etcd.io/etcd/pkg/logutil.(*MergeLogger).outputLoop")
        #expect(
            first.frames.first
                == GoroutineFrame(
                    pc: 0xacf9eb, function: "go.etcd.io/etcd/pkg/logutil.(*MergeLogger).outputLoop", offset: 0x8b,
                    file: "go.etcd.io/etcd/pkg/logutil/merge_logger.go", line: 173))
        // The pprof handler's own goroutine: a 9-frame stack.
        let pprof = try #require(
            dump.groups.first { $0.topFunction == "runtime/pprof.runtime_goroutineProfileWithLabels" })
        #expect(pprof.frames.count == 9)
        #expect(pprof.frames.last?.function == "net/http.(*conn).serve")
        // From awk over the capture: two functions park 4 goroutines each; ties sort by name
        // (purgeFile.func1 and MergeLogger.outputLoop have 3 each).
        let byTop = dump.countsByTopFunction()
        #expect(
            byTop.prefix(3).map(\.function) == [
                "github.com/soheilhy/cmux.muxListener.Accept", "internal/poll.runtime_pollWait",
                "go.etcd.io/etcd/pkg/fileutil.purgeFile.func1",
            ])
        #expect(byTop.prefix(3).map(\.count) == [4, 4, 3])
        #expect(byTop.reduce(0) { $0 + $1.count } == 41)
    }

    @Test func totalMatchesGoToolPprof() throws {
        let data = try Fixtures.data("etcd-goroutine.txt")
        let text = try GoTool.pprof(["-top"], data: data)
        #expect(GoTool.total(text) == Int64(try GoroutineDump(data: data).total))
    }

    @Test func parsesLabelsBarePCsAndCRLF() throws {
        let text =
            "goroutine profile: total 3\r\n2 @ 0x1 0x2\r\n# labels: {\"phase\":\"steady\"}\r\n#\t0x1\r\n#\t0x2\tmain.f+0x10\t\t/src/a b.go:12\r\n\r\n1 @ 0x3\n"
        let dump = try GoroutineDump(text: text)
        #expect(dump.total == 3)
        #expect(dump.groups.count == 2)
        #expect(dump.groups[0].labels == "{\"phase\":\"steady\"}")
        #expect(
            dump.groups[0].frames == [
                GoroutineFrame(pc: 1, function: "", offset: nil, file: "", line: 0),
                GoroutineFrame(pc: 2, function: "main.f", offset: 0x10, file: "/src/a b.go", line: 12),
            ])
        #expect(dump.groups[1].frames.isEmpty)
        #expect(dump.groups[1].topFunction == nil)
    }

    @Test(arguments: [
        ("", 1, "input is empty"),
        ("goroutine profile: total x\n", 1, "the total is not a non-negative integer"),
        ("heap profile: 1: 2 [3: 4] @ heap/1048576\n", 1, "expected \"goroutine profile: total N\""),
        ("goroutine profile: total 2\n1 @ 0x1\n", 2, "groups add up to 1 goroutines but the header says total 2"),
        ("goroutine profile: total 1\n#\t0x1\n", 2, "frame line before the first"),
        ("goroutine profile: total 1\n1 @ 0xzz\n", 2, "program counter is not 0x-prefixed hex"),
        ("goroutine profile: total 1\n1 @ 0x1\n#\tmain.f\n", 3, "frame line must start with"),
        (
            "goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\tfile.go\n", 3,
            "frame location must be \"file:line\""
        ),
        ("goroutine profile: total 1\nhello\n", 2, "expected a group line"),
    ])
    func rejectsMalformedDumps(text: String, line: Int, message: String) throws {
        let error = try #require(throws: GoroutineDumpError.self) { try GoroutineDump(text: text) }
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error)")
        #expect(error.description.hasPrefix("goroutine dump line \(line): "))
    }

    @Test func rejectsOverlongLineCheaply() throws {
        var data = Data("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\t".utf8)
        data.append(Data(repeating: UInt8(ascii: "a"), count: GoroutineDump.maxLineBytes + 1))
        let error = try #require(throws: GoroutineDumpError.self) { try GoroutineDump(data: data) }
        #expect(error.line == 3)
    }
}
