import Foundation
import Testing

@testable import KPPprof

@Suite struct ProfileBuilderTests {
    /// A small heap profile: two allocation sites under main.main, one of them reached twice.
    private func sampleBuilder() throws -> ProfileBuilder {
        var builder = ProfileBuilder(
            sampleTypes: SampleType.goHeap, periodType: SampleType.goHeapPeriod,
            period: SampleType.goHeapPeriodBytes, timeNanos: 1_700_000_000_000_000_000)
        let main = StackFrame(function: "main.main", file: "/src/main.go", line: 10)
        let cache = StackFrame(
            function: "k8s.io/apiserver/pkg/storage/cacher.(*watchCache).Add", file: "/src/cacher.go", line: 42)
        let decode = StackFrame(function: "encoding/json.Unmarshal", file: "/go/json.go", line: 7)
        try builder.addSample(
            stack: [cache, main], values: [100, 409_600, 50, 204_800], numericLabels: ["bytes": 4096])
        try builder.addSample(stack: [decode, cache, main], values: [10, 10_240, 4, 4096])
        try builder.addSample(stack: [decode, main], values: [20, 20_480, 6, 6144])
        builder.addComment("built by kp-bench tests")
        return builder
    }

    @Test func buildsAValidTable() throws {
        let profile = try self.sampleBuilder().build()
        #expect(profile.stringTable.first == "")
        #expect(Set(profile.stringTable).count == profile.stringTable.count, "strings are interned once")
        #expect(profile.location.map(\.id) == [1, 2, 3])
        #expect(profile.function.map(\.id) == [1, 2, 3])
        #expect(profile.sample.map(\.locationID) == [[1, 2], [3, 1, 2], [3, 2]])
        #expect(profile.sampleType.count == 4)
        #expect(profile.stringTable[Int(profile.sampleType[3].type)] == "inuse_space")
        #expect(profile.period == 524_288)
        let label = try #require(profile.sample[0].label.first)
        #expect(profile.stringTable[Int(label.key)] == "bytes")
        #expect(label.num == 4096)
    }

    @Test func rejectsWrongValueCountAndEmptyFunction() throws {
        var builder = ProfileBuilder(sampleTypes: [SampleType("samples", "count")])
        #expect(throws: ProfileBuilderError.self) { try builder.addSample(functions: ["f"], values: [1, 2]) }
        #expect(throws: ProfileBuilderError.self) { try builder.addSample(functions: [""], values: [1]) }
        #expect(builder.sampleCount == 0)
    }

    @Test func goToolPprofReadsTheGzippedProfile() throws {
        let data = try self.sampleBuilder().gzipped()
        #expect(Gzip.isGzip(data))
        let top = try GoTool.pprof(["-top", "-sample_index=inuse_space", "-unit=B", "-nodecount=100"], data: data)
        #expect(top.contains("Type: inuse_space"), "\(top)")
        #expect(top.contains("built by kp-bench tests"), "\(top)")
        let total: Int64 = 204_800 + 4096 + 6144
        #expect(GoTool.total(top) == total, "\(top)")
        let rows = Dictionary(uniqueKeysWithValues: GoTool.topRows(top).map { ($0.name, ($0.flat, $0.cum)) })
        #expect(rows["k8s.io/apiserver/pkg/storage/cacher.(*watchCache).Add"]?.0 == 204_800, "\(top)")
        #expect(rows["k8s.io/apiserver/pkg/storage/cacher.(*watchCache).Add"]?.1 == Int64(204_800 + 4096), "\(top)")
        #expect(rows["encoding/json.Unmarshal"]?.0 == Int64(4096 + 6144), "\(top)")
        #expect(rows["main.main"]?.0 == 0, "\(top)")
        #expect(rows["main.main"]?.1 == total, "\(top)")

        let objects = try GoTool.pprof(["-top", "-sample_index=alloc_objects"], data: data)
        #expect(GoTool.total(objects) == 130, "\(objects)")
    }
}
