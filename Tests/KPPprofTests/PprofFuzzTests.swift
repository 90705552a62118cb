import Foundation
import KPTestSupport
import SwiftProtobuf
import Testing

@testable import KPPprof

/// Hostile input for gzip, the profile reader and the goroutine parser: mutated captures and
/// random bytes must give a result or the parser's own error type, never a crash or a hang.
@Suite struct PprofFuzzTests {
    @Test(.timeLimit(.minutes(1)))
    func mutatedGzipNeverCrashes() throws {
        let fixture = [UInt8](try Fixtures.data("etcd-heap.pb.gz"))
        let plain = try Gzip.decompress(Data(fixture))
        var ok = 0
        var rejected = 0
        FuzzInput.run { rng, replay in
            let input = FuzzInput.mutate(
                fixture, tokens: [[0x1f, 0x8b], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]], &rng)
            do {
                let output = try Gzip.decompress(Data(input), maxBytes: plain.count * 2)
                #expect(output.count <= plain.count * 2, "\(replay)")
                ok += 1
            } catch is GzipError {
                rejected += 1
            } catch {
                Issue.record("\(replay): unexpected error \(error)")
            }
        }
        #expect(rejected > 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedProfilesNeverCrash() throws {
        let gzipped = try Fixtures.data("etcd-heap.pb.gz")
        let plain = [UInt8](try Gzip.decompress(gzipped))
        var parsed = 0
        var rejected = 0
        try FuzzInput.run { rng, replay in
            // Mutate the protobuf itself (more interesting than the gzip wrapper), and gzip half of them.
            var input = Data(
                FuzzInput.mutate(plain, tokens: [[0x08, 0x00], [0x12, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x0f]], &rng))
            if Bool.random(using: &rng) { input = try Gzip.compress(input, level: 1) }
            do {
                let profile = try PprofProfile(data: input)
                _ = profile.totals
                for index in profile.sampleTypes.indices {
                    _ = try profile.top(
                        sampleTypeIndex: index, order: Bool.random(using: &rng) ? .flat : .cum, limit: 10)
                }
                parsed += 1
            } catch let error as PprofError {
                #expect(!error.description.contains("\n"), "\(replay): \(error)")
                rejected += 1
            } catch {
                Issue.record("\(replay): unexpected error \(error)")
            }
        }
        #expect(parsed > 0 && rejected > 0, "the mutations exercise both paths")
    }

    @Test(.timeLimit(.minutes(1)))
    func randomBytesNeverCrash() throws {
        FuzzInput.run { rng, replay in
            let bytes = Data(FuzzInput.randomBytes(&rng))
            let gzipped = Data([0x1f, 0x8b]) + bytes
            for input in [bytes, gzipped] {
                do { _ = try PprofProfile(data: input) } catch is PprofError {} catch {
                    Issue.record("\(replay): PprofProfile threw \(error)")
                }
                do { _ = try Gzip.decompress(input, maxBytes: 1 << 20) } catch is GzipError {} catch {
                    Issue.record("\(replay): Gzip threw \(error)")
                }
                do { _ = try GoroutineDump(data: input) } catch is GoroutineDumpError {} catch {
                    Issue.record("\(replay): GoroutineDump threw \(error)")
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedGoroutineDumpsNeverCrash() throws {
        let fixture = [UInt8](try Fixtures.data("etcd-goroutine.txt"))
        let tokens: [[UInt8]] = [
            "\n", "#", "\t", " @ ", "0x", "+0x", ":", "# labels: {}\n", "goroutine profile: total ",
            "99999999999999999999",
        ]
        .map { Array($0.utf8) }
        var parsed = 0
        var rejected = 0
        try FuzzInput.run { rng, replay in
            let input = FuzzInput.mutate(fixture, tokens: tokens, &rng)
            do {
                let dump = try GoroutineDump(data: Data(input))
                #expect(dump.groups.reduce(0) { $0 + $1.count } == dump.total, "\(replay)")
                _ = dump.countsByTopFunction()
                parsed += 1
            } catch let error as GoroutineDumpError {
                #expect(error.line >= 1, "\(replay)")
                rejected += 1
            }
        }
        #expect(parsed > 0 && rejected > 0, "the mutations exercise both paths")
    }

    @Test func stackFrameBombIsRefused() throws {
        // One location with 1000 inlined lines, referenced 1000 times by one sample: 10^6 frames
        // from a few KB of protobuf. A 100 000-frame limit must refuse it with a clear error.
        var message = Perftools_Profiles_Profile()
        message.stringTable = ["", "samples", "count", "f"]
        var type = Perftools_Profiles_ValueType()
        type.type = 1
        type.unit = 2
        message.sampleType = [type]
        var function = Perftools_Profiles_Function()
        function.id = 1
        function.name = 3
        message.function = [function]
        var location = Perftools_Profiles_Location()
        location.id = 1
        var line = Perftools_Profiles_Line()
        line.functionID = 1
        location.line = Array(repeating: line, count: 1000)
        message.location = [location]
        var sample = Perftools_Profiles_Sample()
        sample.locationID = Array(repeating: 1, count: 1000)
        sample.value = [1]
        message.sample = [sample]
        let data = try message.serializedData()
        #expect(data.count < 10_000)
        let error = try #require(throws: PprofError.self) { try PprofProfile(data: data, maxStackFrames: 100_000) }
        #expect(error.description.contains("more than 100000 frames"))
        // Within the default limit the same profile reads, and recursion counts once in cum.
        let top = try PprofProfile(data: data).top()
        #expect(top == [FunctionCost(name: "f", flat: 1, cum: 1)])
    }
}
