import KPRecords
import Testing

@testable import KPReport

@Suite struct FormatTests {
    @Test func counts() {
        #expect(Format.count(3080) == "3,080")
        #expect(Format.count(999) == "999")
        #expect(Format.count(-1_234_567) == "-1,234,567")
        #expect(Format.count(nil as Int?) == "—")
    }

    @Test func bytesAndFixed() {
        #expect(Format.bytes(500 * 1_048_576) == "500.0 MiB")
        #expect(Format.bytes(1.13 * 1024 * 1_048_576) == "1.13 GiB")
        #expect(Format.bytes(nil) == "—")
        #expect(Format.fixed(-0.0001, 2) == "0.00")
        #expect(Format.signedBytes(1_048_576) == "+1.0 MiB")
        #expect(Format.latency(799_700_000) == "799.7 ms")
        #expect(Format.latency(412_000) == "0.412 ms")
        #expect(Format.boundMs(0.005) == "5 ms")
        #expect(Format.boundMs(0.0025) == "2.5 ms")
        #expect(Format.boundMs(.infinity) == "+Inf")
    }

    @Test func kubernetesQuantities() {
        let mib = 1_048_576.0
        #expect(SizingAdvice.memoryQuantity(550 * mib) == "576Mi")
        #expect(SizingAdvice.memoryQuantity(4.85 * 1024 * mib * 1.1) == "5504Mi")
        #expect(SizingAdvice.memoryQuantity(6.67 * 1024 * mib * 1.2) == "8256Mi")
        #expect(SizingAdvice.memoryQuantity(1024 * mib) == "1Gi")
        #expect(SizingAdvice.cpuRequest(8) == "80m")
        #expect(SizingAdvice.cpuRequest(8.01) == "90m")
        #expect(SizingAdvice.cpuRequest(0) == "10m")
        #expect(SizingAdvice.cpuLimit(500) == "5")
        #expect(SizingAdvice.cpuLimit(501) == "6")
        #expect(SizingAdvice.cpuLimit(nil) == "—")
    }

    @Test func tables() {
        var t = MarkdownTable(["a", "b"])
        t.add(["x|y", "1"])
        #expect(t.text == "| a | b |\n|---|---:|\n| x\\|y | 1 |\n")
        var c = CSVTable(["a", "b"])
        c.add(["1,2", "say \"hi\""])
        #expect(c.text == "a,b\n\"1,2\",\"say \"\"hi\"\"\"\n")
    }
}

@Suite struct ResourceFigureTests {
    /// The report's figures are the record's figures (KPRecords' one metric → field table), in its order.
    @Test func figuresAreTheRecordTable() {
        #expect(ResourceFigure.allCases.map(\.rawValue) == SampleRecord.figures.map(\.field))
        #expect(ResourceFigure.allCases.map(\.metric) == SampleRecord.figures.map(\.metric))
        var sample = SampleRecord(tNs: 1, phase: "steady", source: "x")
        sample.rssBytes = 42
        #expect(ResourceFigure.rss.value(in: sample) == 42)
        #expect(ResourceFigure.heapInuse.value(in: sample) == nil)
        #expect(ResourceFigure.heapInuse.missingReason(in: sample) == "not in the sample record")
    }
}
