import Foundation
import KPCore
import Testing

@Suite struct DurationGrammarTests {
    // Go's own table (src/time/time_test.go, parseDurationTests), in nanoseconds.
    static let good: [(String, Int64)] = [
        ("0", 0), ("5s", 5_000_000_000), ("30s", 30_000_000_000), ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000), ("+5s", 5_000_000_000), ("-0", 0), ("+0", 0),
        ("5.0s", 5_000_000_000), ("5.6s", 5_600_000_000), ("5.s", 5_000_000_000), (".5s", 500_000_000),
        ("1.0s", 1_000_000_000), ("1.00s", 1_000_000_000), ("1.004s", 1_004_000_000), ("1.0040s", 1_004_000_000),
        ("100.00100s", 100_001_000_000),
        ("10ns", 10), ("11us", 11_000), ("12µs", 12_000), ("12μs", 12_000), ("13ms", 13_000_000),
        ("14s", 14_000_000_000), ("15m", 900_000_000_000), ("16h", 57_600_000_000_000),
        ("3h30m", 12_600_000_000_000), ("10.5s4m", 250_500_000_000), ("-2m3.4s", -123_400_000_000),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006), ("39h9m14.425s", 140_954_425_000_000),
        ("52763797000ns", 52_763_797_000), ("0.3333333333333333333h", 1_200_000_000_000),
        ("9007199254740993ns", 9_007_199_254_740_993), ("9223372036854775807ns", Int64.max),
        ("9223372036854775.807us", Int64.max), ("9223372036s854ms775us807ns", Int64.max),
        ("-9223372036854775808ns", Int64.min), ("-9223372036854775.808us", Int64.min),
        ("0.100000000000000000000h", 360_000_000_000),
        ("0.830103483285477580700h", 2_988_372_539_827),
        ("1m30s", 90_000_000_000),
    ]

    @Test(arguments: good)
    func parsesGoDurations(text: String, nanos: Int64) throws {
        #expect(try DurationGrammar.parseSigned(text) == .nanoseconds(nanos))
    }

    @Test(arguments: [
        "", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\u{85}\u{85}", "\u{ffff}", "9223372036854775808ns",
        "9223372036854775.808us", "9223372036854ms775us808ns", " 5s", "5s ", "5 s", "1e3s", "5S",
    ])
    func refusesWhatGoRefuses(text: String) {
        #expect(throws: DurationGrammar.Problem.self) { try DurationGrammar.parseSigned(text) }
    }

    @Test func flagsRefuseNegativeDurations() {
        #expect(DurationGrammar.parse("-5s") == nil)
        #expect(DurationGrammar.parse("-0") == .zero)
        #expect(throws: DurationGrammar.Problem.negative) { try DurationGrammar.parseNonNegative("-1ms") }
        #expect(DurationGrammar.parse("1m30s") == .seconds(90))
        #expect(DurationGrammar.parse(".5s") == .milliseconds(500))
    }

    @Test func messagesNameTheValueAndTheFix() {
        #expect(throws: DurationGrammar.Problem.missingUnit) { try DurationGrammar.parseSigned("90") }
        #expect(throws: DurationGrammar.Problem.unknownUnit("d")) { try DurationGrammar.parseSigned("1d") }
        let line = DurationGrammar.message(flag: "--warmup", text: "90", problem: .missingUnit)
        #expect(
            line
                == "--warmup '90' is not a duration (a number without a unit): write it with a unit, e.g. 90s, 1m30s, 500ms, .5s"
        )
    }

    static let printed: [(Int64, String)] = [
        (0, "0s"), (1, "1ns"), (1_100, "1.1µs"), (2_200_000, "2.2ms"), (3_300_000_000, "3.3s"),
        (90_000_000_000, "1m30s"), (245_000_000_000, "4m5s"), (245_001_000_000, "4m5.001s"),
        (18_367_001_000_000, "5h6m7.001s"), (480_000_000_001, "8m0.000000001s"), (-1_500_000_000, "-1.5s"),
        (3_600_000_000_000, "1h0m0s"),
    ]

    @Test(arguments: printed)
    func formatsAsGoPrints(nanos: Int64, text: String) throws {
        #expect(DurationGrammar.format(.nanoseconds(nanos)) == text)
        #expect(try DurationGrammar.parseSigned(text) == .nanoseconds(nanos))
    }
}

@Suite struct FileOutputTests {
    private func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "kpcore-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func writesAtomicallyAndLeavesNoTemporaryFile() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.txt"
        try FileOutput.writeAtomically("old\n", to: path)
        try FileOutput.writeAtomically("new\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.txt"])
    }

    @Test func failureNamesTheFileAndLeavesNothing() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect { try FileOutput.writeAtomically("x", to: dir + "/missing/a.txt") } throws: { error in
            let e = error as? FileOutputError
            return e?.errno == ENOENT && "\(error)".hasPrefix("cannot write \(dir)/missing/a.txt: ")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func writeAllWritesEveryByteThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readFD, writeFD) = (fds[0], fds[1])
        let payload = Data((0..<200_000).map { UInt8($0 % 251) })  // more than a pipe buffer: short writes
        let reader = Thread {
            var got = Data()
            var buf = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(readFD, &buf, buf.count)
                if n <= 0 { break }
                got.append(contentsOf: buf[0..<n])
            }
            close(readFD)
            ReadBox.shared.set(got)
        }
        reader.start()
        try FileOutput.writeAll(fd: writeFD, payload)
        close(writeFD)
        var received: Data?
        for _ in 0..<1000 where received == nil {
            received = ReadBox.shared.get()
            if received == nil { usleep(10_000) }
        }
        #expect(received == payload)
    }

    @Test func writeAllReportsTheErrno() {
        #expect(throws: FileOutputError(path: nil, errno: EBADF)) { try FileOutput.writeAll(fd: -1, Data("x".utf8)) }
    }
}

private final class ReadBox: @unchecked Sendable {
    static let shared = ReadBox()
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data? { lock.withLock { data } }
}
