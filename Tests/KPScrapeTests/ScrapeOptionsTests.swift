import Foundation
import KPCLI
import KPCore
import KPScrape
import Testing

/// kp-scrape's option group as kp-run uses it: `ScrapeOptions.parse(arguments)` rejects every bad
/// argument list with one line naming the flag, reading no file, before a run starts.
@Suite struct ScrapeOptionsTests {
    static let url = ["--url", "https://127.0.0.1:1"]

    /// The first line of the message `arguments` are rejected with, or nil when they parse.
    static func rejection(_ arguments: [String]) -> String? {
        ScrapeOptions.refusal(of: arguments)
    }

    /// (arguments after --url, what the message must name): every check of ``ScrapeOptions/validate()``.
    static let bad: [([String], String)] = [
        (["--phase", "a/b"], "--phase 'a/b' may hold only"),
        (["--phase", "p", "--scenario", ".."], "--scenario '..' may hold only"),
        (["--phase", "p", "--timeout", "0"], "--timeout must be longer than 0"),
        (["--burst", "1"], "--burst must be at least 2"),
        (["--burst", "5", "--interval", "1s"], "--interval does not go with --burst"),
        (["--burst", "5", "--phase", "p"], "--phase does not go with --burst"),
        (["--burst", "5", "--pprof", "d"], "--pprof does not go with --burst"),
        (["--burst", "5", "--metric", "m"], "--metric does not go with --burst"),
        (["--burst", "5", "--count", "2"], "--count does not go with --burst"),
        (["--phase", "p", "--idle-window", "1s"], "--idle-window needs --burst"),
        (["--burst", "5", "--idle-window", "0"], "--idle-window must be longer than 0"),
        (["--interval", "0"], "--interval must be longer than 0"),
        (["--interval", "abc"], "--interval"),
        (["--interval", "1s", "--pprof", "d"], "--pprof saves one profile per phase"),
        (["--phase", "p", "--count", "2"], "--count needs --interval"),
        (["--phase", "p", "--duration", "5s"], "--duration needs --interval or --burst"),
        (["--interval", "1s", "--count", "0"], "--count must be at least 1"),
        (["--interval", "1s", "--duration", "0"], "--duration must be longer than 0"),
        ([], "one-shot mode needs --phase NAME"),
        (["--phase", "p", "--metric", "bad-name"], "--metric 'bad-name' is not a Prometheus metric name"),
        (["--phase", "p", "--metric", ""], "--metric '' is not a Prometheus metric name"),
    ]

    @Test(arguments: bad) func rejectsBadArguments(_ arguments: [String], _ names: String) throws {
        let message = try #require(Self.rejection(Self.url + arguments), "\(arguments) parsed")
        #expect(message.contains(names), "\(arguments): \(message)")
    }

    @Test func rejectsAVCPURL() throws {
        let message = try #require(Self.rejection(["--url", "https://h:6443/clusters/c-000", "--phase", "p"]))
        #expect(message.contains("addresses a VCP"))
    }

    @Test func defaultsParse() throws {
        let oneShot = try ScrapeOptions.parse(Self.url + ["--phase", "baseline"])
        #expect(oneShot.phase == "baseline" && oneShot.interval == nil && oneShot.burst == nil)
        #expect(oneShot.scenario == "bootstrap" && oneShot.timeout.duration == .seconds(20))
        #expect(oneShot.metrics.isEmpty && oneShot.pprof == nil && oneShot.saveRaw == nil)
        let series = try ScrapeOptions.parse(
            Self.url + ["--interval", "5s", "--count", "3", "--metric", "a_b:c", "--metric", "d"])
        #expect(series.interval?.duration == .seconds(5) && series.count == 3 && series.metrics == ["a_b:c", "d"])
        let burst = try ScrapeOptions.parse(Self.url + ["--burst", "4", "--duration", "10s"])
        #expect(burst.burst == 4 && burst.idleWindow == nil && burst.duration?.text == "10s")
        // The profile folder need not exist yet: ScrapeTool makes it.
        _ = try ScrapeOptions.parse(Self.url + ["--phase", "p", "--pprof", "/nonexistent/run/profiles"])
    }

    /// A `--pprof` path that cannot be a folder stops the tool before its first scrape.
    @Test func unusableProfileFolderIsBadInput() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-dir-\(UUID())")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let options = try ScrapeOptions.parse(Self.url + ["--phase", "p", "--pprof", file.path])
        let tool = ScrapeTool(options: options, endpoint: try options.target.resolve())
        await #expect(throws: InputError.self) { _ = try await tool.run(stopSignals: NoSignals()) }
    }
}

/// A stop-signal source that never fires.
final class NoSignals: StopSignalSource {
    func onSignal(_ handler: @escaping @Sendable (Int32) -> Void) {}
}
