import Foundation
import KPBootstrap
import KPCLI
import KPCore
import KPRecords
import Testing

/// kp-bootstrap's option group as kp-run uses it: `BootstrapOptions.parse(arguments)` rejects every
/// bad argument list with one line naming the flag, reading no file, before a run starts.
@Suite struct BootstrapOptionsTests {
    static let url = ["--url", "https://127.0.0.1:1"]

    /// The first line of the message `arguments` are rejected with, or nil when they parse.
    static func rejection(_ arguments: [String]) -> String? {
        BootstrapOptions.refusal(of: url + arguments)
    }

    /// (arguments, what the message must name): every check of ``BootstrapOptions/validate()``.
    static let bad: [([String], String)] = [
        (["--clusters", "0"], "--clusters must be at least 1"),
        (["--names", "a,b", "--clusters", "2"], "--names and --clusters exclude each other"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--crds-per-cluster", "0"], "--crds-per-cluster must be between 1 and 1000"),
        (["--crds-per-cluster", "1001"], "--crds-per-cluster must be between 1 and 1000"),
        (["--max-connections=-1"], "--max-connections must be 0"),
        (["--backoff-jitter", "2"], "--backoff-jitter must be between 0 and 1"),
        (["--readyz-interval", "0"], "--readyz-interval must be longer than 0"),
        (["--readyz-timeout", "0s"], "--readyz-timeout must be longer than 0"),
        (["--readyz-deadline", "0"], "--readyz-deadline must be longer than 0"),
        (["--namespace-interval", "0"], "--namespace-interval must be longer than 0"),
        (["--namespace-deadline", "0"], "--namespace-deadline must be longer than 0"),
        (["--crd-create-deadline", "0"], "--crd-create-deadline must be longer than 0"),
        (["--crd-established-interval", "0"], "--crd-established-interval must be longer than 0"),
        (["--crd-established-deadline", "0"], "--crd-established-deadline must be longer than 0"),
        (["--discovery-interval", "0"], "--discovery-interval must be longer than 0"),
        (["--discovery-deadline", "0"], "--discovery-deadline must be longer than 0"),
        (["--request-timeout", "0"], "--request-timeout must be longer than 0"),
        (["--backoff-base", "0"], "--backoff-base must be longer than 0"),
        (["--backoff-cap", "0"], "--backoff-cap must be longer than 0"),
        (
            ["--backoff-base", "2s", "--backoff-cap", "1s"],
            "--backoff-cap (1s) must not be shorter than --backoff-base"
        ),
        (["--request-timeout", "ten"], "ten"),
        (["--fleet-name-prefix", "p-"], "--fleet-name-prefix needs --fleet"),
        (["--fleet", "f", "--name-format", "x-%d"], "--name-format and --fleet exclude each other"),
        (["--fleet", "f", "--names", "a,b", "--fleet-name-prefix", "p-"], "--names and --fleet-name-prefix"),
        (["--fleet", "f", "--fleet-poll-interval", "0"], "--fleet-poll-interval must be longer than 0"),
        (["--fleet", "f", "--fleet-deadline", "0"], "--fleet-deadline must be longer than 0"),
        (["--fleet", "Not_A_Name"], "--fleet:"),
        (["--fleet", "f", "--fleet-name-prefix", "BAD_"], "--fleet-name-prefix gives invalid member names"),
        (["--teardown", "--first-request"], "--teardown and --first-request exclude each other"),
        (["--teardown", "--fleet", "f"], "--teardown and --fleet exclude each other"),
        (["--first-request", "--fleet", "f"], "--first-request and --fleet exclude each other"),
        (["--teardown", "--bootstrap", "b.jsonl", "--names", "a"], "--bootstrap sets the clusters"),
        (["--first-request", "--bootstrap", "b.jsonl", "--clusters", "3"], "--bootstrap sets the clusters"),
        (["--bootstrap", "b.jsonl"], "--bootstrap FILE needs --teardown or --first-request"),
        (["--name-format", "c-%s"], "--name-format"),
        (["--names", "a,a"], "--names lists 'a' twice"),
        (["--names", "Bad_Name"], "--names:"),
        (["--workers", "many"], "many"),
    ]

    @Test(arguments: bad) func rejectsBadArguments(_ arguments: [String], _ names: String) throws {
        let message = try #require(Self.rejection(arguments), "\(arguments) parsed")
        #expect(message.contains(names), "\(arguments): \(message)")
    }

    @Test func defaultsParse() throws {
        let options = try BootstrapOptions.parse(Self.url)
        #expect(options.clusters == nil && options.names == nil && options.fleet == nil)
        #expect(options.workers == 12 && options.crdsPerCluster == 1 && options.maxConnections == 4)
        #expect(!options.teardown && !options.firstRequest && !options.http1 && !options.allowExisting)
        let names = try options.clusterNames()
        #expect(names.count == 200 && names.first == "c-000" && names.last == "c-199")
        #expect(try options.fleetConfiguration(baseURL: "https://h") == nil)
        let config = options.bootstrapConfiguration(baseURL: "https://h/", clusters: names)
        #expect(config.baseURL == "https://h" && config.workers == 12)
        #expect(
            config.readyz
                == StepTiming(interval: .milliseconds(500), deadline: .seconds(60), requestTimeout: .seconds(2)))
        #expect(config.namespace.deadline == .seconds(30) && config.crdCreate.interval == .milliseconds(200))
        #expect(options.backoff == RetryBackoff(base: .milliseconds(200), cap: .seconds(5), jitter: 0.5))
    }

    @Test func fleetMembersAreTheClusters() throws {
        let options = try BootstrapOptions.parse(Self.url + ["--fleet", "fl", "--clusters", "3"])
        let fleet = try #require(try options.fleetConfiguration(baseURL: "https://h"))
        #expect(fleet.memberIDs == ["fl-0000", "fl-0001", "fl-0002"])
        let named = try BootstrapOptions.parse(Self.url + ["--fleet", "fl", "--names", "a, b"])
        #expect(try named.fleetConfiguration(baseURL: "https://h")?.names == ["a", "b"])
    }

    /// The `--bootstrap` file does not exist before the run that writes it: parsing takes it, and
    /// ``BootstrapOptions/checkInputs()`` (run by the tool first) is what rejects it.
    @Test func bootstrapFileIsCheckedAtRunTime() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-\(UUID()).jsonl").path
        let options = try BootstrapOptions.parse(Self.url + ["--teardown", "--bootstrap", missing])
        #expect(options.bootstrap == missing)
        do {
            try options.checkInputs()
            Issue.record("checkInputs accepted \(missing)")
        } catch {
            #expect(
                BootstrapOptions.message(for: error)
                    == "--bootstrap \(missing) is not a readable file: give kp-bootstrap's output (bootstrap.jsonl)")
        }
        try BootstrapOptions.parse(Self.url).checkInputs()
    }

    /// A `--bootstrap` file without bootstrapped clusters stops a teardown before any request or record.
    @Test func teardownOfAnEmptyBootstrapFileIsBadInput() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID()).jsonl")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let options = try BootstrapOptions.parse(Self.url + ["--teardown", "--bootstrap", file.path])
        try options.checkInputs()
        let endpoint = try options.target.resolve()
        let tool = BootstrapTool(options: options, endpoint: endpoint)
        await #expect(throws: InputError.self) {
            _ = try await tool.run(stopSignals: NoSignals())
        }
    }
}

/// A stop-signal source that never fires.
final class NoSignals: StopSignalSource {
    func onSignal(_ handler: @escaping @Sendable (Int32) -> Void) {}
}
