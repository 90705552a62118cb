import Testing

@testable import KPLoad

@Suite("OpenLoopSchedule")
struct OpenLoopScheduleTests {
    static func all(_ s: OpenLoopSchedule) -> [ScheduledOperation] {
        var it = s.makeIterator()
        var out: [ScheduledOperation] = []
        while let op = it.next() { out.append(op) }
        return out
    }

    @Test("even spacing: every stream is phase + k/rate, phase in [0, 1/rate), count = rate × duration")
    func evenSpacing() {
        let s = OpenLoopSchedule(
            ratePerCluster: [.read: 20, .write: 5], clusterCount: 7, durationNs: 3_000_000_000, arrival: .even,
            seed: 42,
            objectsPerCluster: 5)
        let ops = Self.all(s)
        #expect(ops.count == (20 * 3 + 5 * 3) * 7)
        #expect(ops.count == s.expectedCount)
        #expect(zip(ops, ops.dropFirst()).allSatisfy { $0.offsetNs <= $1.offsetNs })
        var phases: Set<Int64> = []
        for c in 0..<7 {
            for (kind, rate) in [(LoadOpKind.read, 20.0), (.write, 5.0)] {
                let stream = ops.filter { $0.cluster == Int32(c) && $0.kind == kind }.map(\.offsetNs)
                #expect(stream.count == Int(rate * 3))
                let interval = Int64(1e9 / rate)
                #expect(stream[0] >= 0 && stream[0] < interval)
                for (a, b) in zip(stream, stream.dropFirst()) {
                    #expect(abs((b - a) - interval) <= 1, "gap \(b - a) vs \(interval)")
                }
                #expect(stream.last! < 3_000_000_000)
                phases.insert(stream[0])
            }
        }
        // Random phases: the 14 streams do not line up.
        #expect(phases.count == 14)
        #expect(ops.allSatisfy { $0.object < 5 })
    }

    @Test("count is rate × duration for fractional per-stream products too (rounded up)")
    func fractionalCount() {
        let s = OpenLoopSchedule(
            ratePerCluster: [.read: 3, .write: 0], clusterCount: 2, durationNs: 1_500_000_000, arrival: .even, seed: 1,
            objectsPerCluster: 1)
        let ops = Self.all(s)
        // 3/s × 1.5 s = 4.5 per stream: 4 or 5 depending on the phase, never other values.
        for c in 0..<2 {
            let n = ops.filter { $0.cluster == Int32(c) }.count
            #expect(n == 4 || n == 5)
        }
        #expect(ops.allSatisfy { $0.kind == .read && $0.object == 0 })
    }

    @Test("poisson: mean rate within 1% over 120k arrivals, exponential gaps")
    func poissonRate() {
        let s = OpenLoopSchedule(
            ratePerCluster: [.read: 20, .write: 5], clusterCount: 80, durationNs: 60_000_000_000, arrival: .poisson,
            seed: 7, objectsPerCluster: 5)
        let ops = Self.all(s)
        let expected = Double(s.expectedCount)
        #expect(abs(Double(ops.count) - expected) / expected < 0.01, "\(ops.count) vs \(expected)")
        // Gaps of one read stream: exponential, so mean ≈ sd ≈ 50 ms and some gaps are far below the mean.
        let stream = ops.filter { $0.cluster == 3 && $0.kind == .read }.map { Double($0.offsetNs) }
        let gaps = zip(stream, stream.dropFirst()).map { $1 - $0 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
        #expect(abs(mean - 50e6) / 50e6 < 0.1)
        #expect(abs(sd - mean) / mean < 0.15)
        #expect(gaps.filter { $0 < 5e6 }.count > gaps.count / 20)
    }

    @Test("the same seed gives the same schedule; another seed a different one")
    func reproducible() {
        for arrival in ArrivalProcess.allCases {
            func make(_ seed: UInt64) -> [ScheduledOperation] {
                Self.all(
                    OpenLoopSchedule(
                        ratePerCluster: [.read: 20, .write: 5], clusterCount: 10, durationNs: 2_000_000_000,
                        arrival: arrival,
                        seed: seed, objectsPerCluster: 5))
            }
            #expect(make(99) == make(99))
            #expect(make(99) != make(100))
        }
    }

    @Test("two iterators of one schedule agree, and nextOffsetNs peeks without consuming")
    func iteratorsAgree() {
        let s = OpenLoopSchedule(
            ratePerCluster: [.read: 50, .write: 10], clusterCount: 3, durationNs: 1_000_000_000, arrival: .poisson,
            seed: 5,
            objectsPerCluster: 5)
        var a = s.makeIterator()
        var b = s.makeIterator()
        while let peek = a.nextOffsetNs {
            let x = a.next()
            #expect(x?.offsetNs == peek)
            #expect(x == b.next())
        }
        #expect(a.next() == nil && b.next() == nil)
    }

    @Test("object choice is spread over all objects")
    func objectsSpread() {
        let ops = Self.all(
            OpenLoopSchedule(
                ratePerCluster: [.read: 100, .write: 0], clusterCount: 1, durationNs: 10_000_000_000, arrival: .even,
                seed: 3,
                objectsPerCluster: 5))
        var counts = [Int](repeating: 0, count: 5)
        for op in ops { counts[Int(op.object)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 200) < 50 }, "\(counts)")
    }
}
