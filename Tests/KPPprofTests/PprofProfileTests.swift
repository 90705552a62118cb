import Foundation
import SwiftProtobuf
import Testing

@testable import KPPprof

@Suite struct PprofProfileTests {
    @Test func readsEtcdHeapProfileMetadata() throws {
        let profile = try PprofProfile(data: Fixtures.data("etcd-heap.pb.gz"))
        #expect(profile.sampleTypes == SampleType.goHeap)
        #expect(profile.periodType == SampleType.goHeapPeriod)
        #expect(profile.period == 524_288)
        #expect(profile.defaultSampleTypeIndex == 3)
        #expect(profile.sampleCount > 50)
        #expect(profile.timeNanos > 1_600_000_000_000_000_000)
    }

    /// Totals must equal the "of N total" line of `go tool pprof -top` for every sample type.
    @Test(arguments: SampleType.goHeap.map(\.type))
    func totalsMatchGoToolPprof(sampleType: String) throws {
        let data = try Fixtures.data("etcd-heap.pb.gz")
        let profile = try PprofProfile(data: data)
        let index = try #require(profile.sampleTypeIndex(named: sampleType))
        let top = try GoTool.pprof(
            ["-top", "-nodecount=1", "-sample_index=\(sampleType)", unitFlag(profile.sampleTypes[index])], data: data)
        let expected = try #require(GoTool.total(top), "no total line in: \(top)")
        #expect(profile.totals[index] == expected)
        #expect(profile.totals[index] > 0)
    }

    /// Every row of `go tool pprof -top` (all nodes, nothing dropped) must match ours, in order.
    @Test(arguments: [("inuse_space", FunctionCost.Order.flat), ("alloc_space", .flat), ("alloc_objects", .cum)])
    func topMatchesGoToolPprof(sampleType: String, order: FunctionCost.Order) throws {
        let data = try Fixtures.data("etcd-heap.pb.gz")
        let profile = try PprofProfile(data: data)
        let index = try #require(profile.sampleTypeIndex(named: sampleType))
        var args = [
            "-top", "-nodefraction=0", "-nodecount=100000", "-sample_index=\(sampleType)",
            unitFlag(profile.sampleTypes[index]),
        ]
        if order == .cum { args.append("-cum") }
        let text = try GoTool.pprof(args, data: data)
        let theirs = GoTool.topRows(text)
        let ours = try profile.top(sampleTypeIndex: index, order: order)
        #expect(theirs.count > 50, "\(text)")
        #expect(ours.count == theirs.count)
        // Same multiset of rows…
        let oursSet = Set(ours.map { "\($0.name) \($0.flat) \($0.cum)" })
        let theirSet = Set(theirs.map { "\($0.name) \($0.flat) \($0.cum)" })
        #expect(oursSet.subtracting(theirSet).sorted() == [], "rows only in KPPprof")
        #expect(theirSet.subtracting(oursSet).sorted() == [], "rows only in go tool pprof")
        // …in the same order of the sort key.
        let key: (FunctionCost) -> Int64 = order == .flat ? { $0.flat } : { $0.cum }
        #expect(ours.map(key) == theirs.map { order == .flat ? $0.flat : $0.cum })
        #expect(try profile.top(sampleTypeIndex: index, order: order, limit: 5) == Array(ours.prefix(5)))
    }

    @Test func readsPlainProtobufAndBuilderOutput() throws {
        var builder = ProfileBuilder(sampleTypes: [SampleType("samples", "count"), SampleType("cpu", "nanoseconds")])
        try builder.addSample(functions: ["leaf", "mid", "root"], values: [1, 10])
        try builder.addSample(functions: ["mid", "root"], values: [2, 20])
        try builder.addSample(functions: ["leaf", "leaf", "root"], values: [4, 40])  // recursion counts once in cum
        let profile = try PprofProfile(data: builder.serialized())
        #expect(profile.totals == [7, 70])
        let top = try profile.top()
        #expect(
            top == [
                FunctionCost(name: "leaf", flat: 50, cum: 50), FunctionCost(name: "mid", flat: 20, cum: 30),
                FunctionCost(name: "root", flat: 0, cum: 70),
            ])
        #expect(try profile.top(order: .cum).map(\.name) == ["root", "leaf", "mid"])
        #expect(try PprofProfile(data: builder.gzipped()).totals == [7, 70])
    }

    @Test func rejectsBrokenProfilesNamingTheProblem() throws {
        func error(_ mutate: (inout Perftools_Profiles_Profile) -> Void) throws -> String {
            var builder = ProfileBuilder(sampleTypes: [SampleType("samples", "count")])
            try builder.addSample(functions: ["f", "g"], values: [1])
            var message = builder.build()
            mutate(&message)
            do {
                _ = try PprofProfile(data: message.serializedData())
                return "no error"
            } catch let error as PprofError {
                return error.description
            }
        }
        #expect(try error { $0.stringTable[0] = "x" } == "pprof: string_table[0] is \"x\"; it must be \"\"")
        // What an error quotes from the profile stays on one line (a fuzzed string table held a line break).
        #expect(
            try error { $0.stringTable[0] = "a\nb\r\nc" }
                == #"pprof: string_table[0] is "a\nb\r\nc"; it must be """#)
        #expect(
            try error { $0.sample[0].locationID[0] = 99 }
                == "pprof: sample 0 refers to location 99, which does not exist")
        #expect(
            try error { $0.sample[0].value = [1, 2] }
                == "pprof: sample 0 has 2 values but the profile has 1 sample types")
        #expect(
            try error { $0.location[0].line[0].functionID = 7 }
                == "pprof: location 1 refers to function 7, which does not exist")
        #expect(try error { $0.function[0].name = 1000 }.hasPrefix("pprof: function 1 name refers to string 1000"))
        #expect(try error { $0.location[1].id = 1 } == "pprof: location id 1 appears twice")
        #expect(try error { $0.sampleType = [] } == "pprof: profile has no sample types")

        #expect(throws: PprofError.self) { try PprofProfile(data: Data()) }
        let garbage = Data("this is not a protobuf message at all".utf8)
        #expect(throws: PprofError.self) { try PprofProfile(data: garbage) }
        let truncated = try Fixtures.data("etcd-heap.pb.gz").prefix(1000)
        let description = try #require(throws: PprofError.self) { try PprofProfile(data: truncated) }.description
        #expect(description.hasPrefix("pprof: cannot decompress: gzip: input ends before"))
        #expect(throws: PprofError.self) {
            try PprofProfile(data: Fixtures.data("etcd-heap.pb.gz"), maxDecompressedBytes: 10_000)
        }
        let profile = try PprofProfile(data: Fixtures.data("etcd-heap.pb.gz"))
        #expect(throws: PprofError.self) { try profile.top(sampleTypeIndex: 4) }
    }

    private func unitFlag(_ type: SampleType) -> String {
        // Plain integers in go tool pprof's output: bytes as "123B", counts unscaled.
        type.unit == "bytes" ? "-unit=B" : "-unit=count"
    }
}
