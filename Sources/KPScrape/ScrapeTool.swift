import Foundation
import KPCLI
import KPCore
import KPHTTP
import KPRecords

/// kp-scrape's work for one invocation: one sample (with its profiles under `--pprof`), a series
/// (`--interval`), or a scrape-cost burst (`--burst`), chosen by the options.
///
/// Records go to the given ``KPCLI/RecordOutput`` as they happen. A stop signal cancels the work:
/// a series then ends normally (``Outcome/completed``), a sample or a burst with
/// ``Outcome/stopped`` after its records. A failed sample or burst is thrown as a one-line
/// ``KPCore/ToolFailure``: exit 11 when the target did not answer in time, 1 otherwise; a target URL
/// under `/clusters/`, an unusable `--pprof`/`--save-raw` folder or an unreadable token or CA file as
/// an ``KPCore/InputError`` (exit 2) before the first scrape.
public struct ScrapeTool: Sendable {
    /// How a run ended without throwing.
    public typealias Outcome = ToolOutcome

    public let options: ScrapeOptions
    public let endpoint: EndpointRecord

    /// A tool for `options` against `endpoint` (the record ``KPCLI/EndpointOptions/resolve()`` gives).
    public init(options: ScrapeOptions, endpoint: EndpointRecord) {
        self.options = options
        self.endpoint = endpoint
    }

    /// Runs the mode the options choose, writing its records to `output`; `stopSignals` ends it early.
    public func run(
        output: RecordOutput = RecordOutput(tool: "kp-scrape"), stopSignals: any StopSignalSource
    ) async throws -> Outcome {
        if let problem = ScrapeConfiguration.checkRootURL(endpoint.url) { throw InputError(problem) }
        for (flag, dir) in [("--pprof", options.pprof), ("--save-raw", options.saveRaw)] {
            if let dir, let problem = FileWriting.prepareDirectory(dir, flag: flag) { throw InputError(problem) }
        }
        let client: HTTPClient
        do {
            client = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    caFile: endpoint.caFile, insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify,
                    tlsServerName: endpoint.tlsServerName,
                    tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile,
                    timeout: options.timeout.duration, maxConnectionsPerHost: 1))
        } catch {
            switch error.kind {
            case .tokenFile, .caFile, .setting: throw InputError(error.description)
            case .libcurl: throw ToolFailure(error.description, exitCode: .failure)
            }
        }
        let scraper = Scraper(
            configuration: ScrapeConfiguration(
                baseURL: endpoint.url, families: options.burst == nil ? options.metrics : [ScrapeBurst.allocMetric],
                timeout: options.timeout.duration, saveRawDirectory: options.saveRaw,
                pprofDirectory: options.pprof, scenario: options.scenario),
            transport: client)

        if let burst = options.burst {
            return try await runBurst(burst, scraper: scraper, output: output, signals: stopSignals)
        }
        if let interval = options.interval {
            let series = ScrapeSeries(
                interval: interval.duration, count: options.count, duration: options.duration?.duration)
            let phase = options.phase ?? "series"
            _ = await stopSignals.cancelling { await series.run(scraper: scraper, phase: phase) { output.write($0) } }
            return .completed  // a series ends normally on a signal, --count or --duration: exit 0
        }
        guard let phase = options.phase else {  // validate() requires it; kept for options built in code
            throw InputError("one-shot mode needs --phase NAME (e.g. baseline, post-bootstrap, steady)")
        }
        let (outcome, stopped) = await stopSignals.cancelling { () -> Scraper.Outcome in
            let outcome = await scraper.sample(phase: phase)
            output.write(outcome)
            for record in await scraper.profiles(phase: phase) { output.write(record) }
            return outcome
        }
        if stopped { return .stopped }
        // The verdict is this tool's: no answer in time is the target's silence (11), any other failure 1.
        if !outcome.succeeded {
            throw ToolFailure(
                "sample '\(phase)' failed: \(outcome.sample.error ?? "no figures")",
                exitCode: outcome.timedOut ? .targetUnreachable : .failure)
        }
        return .completed
    }

    /// Burst mode: one scrape_cost record; a failed scrape is this tool's failure (11 when unanswered).
    func runBurst(_ n: Int, scraper: Scraper, output: RecordOutput, signals: any StopSignalSource) async throws
        -> Outcome
    {
        let burst = ScrapeBurst(
            scrapes: n, idleWindow: options.idleWindow?.duration ?? .seconds(1),
            maxDuration: options.duration?.duration)
        let (result, stopped) = await signals.cancelling { await burst.run(scraper: scraper) }
        output.write(result.record)
        for e in result.errors { output.write(e) }
        if stopped { return .stopped }
        if let error = result.record.error {
            throw ToolFailure("scrape cost: \(error)", exitCode: result.timedOut ? .targetUnreachable : .failure)
        }
        let r = result.record
        if let c = r.cpuSecondsPerScrape {
            StandardError.write(
                "kp-scrape: scrape cost: \(String(format: "%.3f", c * 1000)) ms of server CPU per scrape over \(r.scrapes) scrapes of \(r.bodyBytes ?? 0) bytes\n"
            )
        }
        return .completed
    }
}

extension RecordOutput {
    /// A sample and the error records that explain its gaps.
    func write(_ outcome: Scraper.Outcome) {
        write(outcome.sample)
        for e in outcome.errors { write(e) }
    }
}
