import Foundation
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

    @Test func printfFixedIsStringFormat() {
        // Ties (exact binary halves), values just beside them, signs, zeros and every magnitude the
        // integer path takes or hands on; each must print as Foundation's %.Nf does.
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 2.675, 1.005, -0.0001, 0x1p-60, 0x1p-61, 0x1p63,
            0x1p63.nextDown, 0x1p64, 1e300, .leastNonzeroMagnitude, 123_456.789, 9_999.9999, 0.05, 0.15, 0.25, 0.35,
        ]
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<4000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let m = Double(x >> 11) / Double(1 << 53)  // [0, 1)
            let e = Int(x & 0x7F) - 64
            values.append((x & 0x100 == 0 ? 1 : -1) * m * pow(2, Double(e)))
            values.append(Double(Int64(bitPattern: x) % 2_000_000) / 1000)
            values.append((Double(x % 100_000) + 0.5) / 1000)
        }
        for v in values {
            for places in [0, 1, 2, 3, 6, 9, 12] {
                let want = String(format: "%.\(places)f", v)
                #expect(Format.printfFixed(v, places) == want, "\(v) with \(places) places")
            }
        }
        #expect(Format.exactFixed(2.5, 0) == "2")
        #expect(Format.exactFixed(1e300, 2) == nil)
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
