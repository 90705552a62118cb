import ArgumentParser
import Foundation
import KPCLI
import KPHTTP
import KPRecords
import KPScrape
import Synchronization

/// `kp-scrape`: samples a target's root `/metrics` into `sample` records (one-shot or continuous).
@main
struct ScrapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-scrape",
        abstract: "Sample a target's root /metrics (CPU, heap, RSS, goroutines, fds) into sample records.",
        discussion: """
            Scrapes <url>/metrics at the server ROOT, never a /clusters/<id>/ path (on kplane that would \
            create a VCP), with the bearer token when there is one; any Prometheus endpoint works, http or \
            https. Each sample records cpu_seconds (process_cpu_seconds_total), heap_inuse_bytes and \
            heap_alloc_bytes (go_memstats_heap_*), rss_bytes (process_resident_memory_bytes), goroutines \
            (go_goroutines) and open_fds (process_open_fds), each taken as the kplane memory test takes it: \
            the first unlabelled sample of that name. An absent figure is named in 'missing' with the reason. \
            When the scrape fails as a whole (HTTP status, timeout, not Prometheus text) the sample has \
            'error' and no figures: nothing is invented or carried forward.

            One-shot (default): one sample labelled --phase (required), then the profiles with --pprof, then exit; exit 1 when that scrape failed. \
            Continuous (--interval): one sample per interval, labelled 'series' unless --phase is given, \
            until SIGINT/SIGTERM (exit 0), --count or --duration. \
            Burst (--burst N): what one scrape costs the server: a scrape, --idle-window of quiet, a scrape, \
            then N scrapes back to back (ended early by --duration), into one scrape_cost record \
            (CPU counter readings, memory before and after; docs/records.md); exit 1 when a scrape failed. \
            Records go to stdout as they happen.
            """)

    @OptionGroup var target: EndpointOptions

    @Option(
        help: ArgumentHelp(
            "Phase label of the sample (required one-shot; default 'series' with --interval).", valueName: "name"))
    var phase: String?

    @Option(
        help: ArgumentHelp(
            "Scrape continuously at this interval, e.g. 5s (default: one scrape).", valueName: "duration"),
        transform: DurationArgument.transform)
    var interval: DurationArgument?

    @Option(help: ArgumentHelp("With --interval: stop after this many samples.", valueName: "n"))
    var count: Int?

    @Option(
        help: ArgumentHelp(
            "With --interval: stop after this long; with --burst: end the burst after this long.",
            valueName: "duration"),
        transform: DurationArgument.transform)
    var duration: DurationArgument?

    @Option(
        help: ArgumentHelp(
            "Measure what a scrape costs the server: N scrapes back to back after an idle window, into one scrape_cost record (at least 2).",
            valueName: "n"))
    var burst: Int?

    @Option(
        help: ArgumentHelp(
            "With --burst: quiet time between the first scrape and the burst, for the server's idle CPU (default: 1s).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    var idleWindow: DurationArgument?

    @Option(
        name: .customLong("metric"),
        help: ArgumentHelp(
            "Also carry this whole metric family in each sample, e.g. apiserver_request_duration_seconds (repeatable).",
            valueName: "name"))
    var metrics: [String] = []

    @Option(
        help: ArgumentHelp(
            "Also save DIR/heap-<scenario>-<phase>.pb.gz and DIR/goroutine-<scenario>-<phase>.txt (one-shot only).",
            valueName: "dir"))
    var pprof: String?

    @Option(help: ArgumentHelp("Scenario name in profile file names.", valueName: "name"))
    var scenario: String = "bootstrap"

    @Option(help: ArgumentHelp("Keep each raw /metrics body as DIR/metrics-<phase>-<t_ns>.prom.", valueName: "dir"))
    var saveRaw: String?

    @Option(
        help: ArgumentHelp("Timeout of one scrape and of each profile request (default: 20s).", valueName: "duration"),
        transform: DurationArgument.transform)
    var timeout = DurationArgument(.seconds(20), text: "20s")

    static func main() async { await ToolMain.run(Self.self) }

    func validate() throws {
        if let phase, let problem = ScrapeConfiguration.checkLabel(phase, flag: "--phase") {
            throw ValidationError(problem)
        }
        if let problem = ScrapeConfiguration.checkLabel(scenario, flag: "--scenario") { throw ValidationError(problem) }
        if let url = target.url, let problem = ScrapeConfiguration.checkRootURL(url) { throw ValidationError(problem) }
        if timeout.duration <= .zero { throw ValidationError("--timeout must be longer than 0 (got \(timeout.text))") }
        if let burst {
            if burst < 2 { throw ValidationError("--burst must be at least 2 scrapes (got \(burst))") }
            for (flag, given) in [
                ("--interval", interval != nil), ("--phase", phase != nil), ("--pprof", pprof != nil),
                ("--metric", !metrics.isEmpty), ("--count", count != nil),
            ] where given {
                throw ValidationError(
                    "\(flag) does not go with --burst: a burst writes one scrape_cost record (drop \(flag), or drop --burst)"
                )
            }
        } else if idleWindow != nil {
            throw ValidationError("--idle-window needs --burst N (it is the quiet time before the burst)")
        }
        if let idleWindow, idleWindow.duration <= .zero {
            throw ValidationError("--idle-window must be longer than 0 (got \(idleWindow.text))")
        }
        if let interval {
            if interval.duration <= .zero {
                throw ValidationError("--interval must be longer than 0 (got \(interval.text))")
            }
            if pprof != nil {
                throw ValidationError(
                    "--pprof saves one profile per phase: use it in one-shot mode (--phase NAME, without --interval)")
            }
        } else {
            if count != nil {
                throw ValidationError("--count needs --interval (one-shot mode takes exactly one sample)")
            }
            if duration != nil && burst == nil {
                throw ValidationError(
                    "--duration needs --interval or --burst (one-shot mode takes exactly one sample)")
            }
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1 (got \(count))") }
        if let duration, duration.duration <= .zero {
            throw ValidationError("--duration must be longer than 0 (got \(duration.text))")
        }
        if interval == nil && phase == nil && burst == nil {
            throw ValidationError(
                "one-shot mode needs --phase NAME (e.g. baseline, post-bootstrap, steady), or give --interval for a series"
            )
        }
        for name in metrics
        where name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) {
            throw ValidationError("--metric '\(name)' is not a Prometheus metric name (letters, digits, '_' and ':')")
        }
    }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        let endpoint = try target.resolve()
        if let problem = ScrapeConfiguration.checkRootURL(endpoint.url) { throw InputError(problem) }
        for (flag, dir) in [("--pprof", pprof), ("--save-raw", saveRaw)] {
            if let dir, let problem = FileWriting.prepareDirectory(dir, flag: flag) { throw InputError(problem) }
        }
        let client: HTTPClient
        do {
            client = try HTTPClient(
                configuration: HTTPClientConfiguration(
                    caFile: endpoint.caFile, insecureSkipTLSVerify: endpoint.insecureSkipTLSVerify,
                    tlsServerName: endpoint.tlsServerName,
                    tokenFile: endpoint.tokenFile.isEmpty ? nil : endpoint.tokenFile, timeout: timeout.duration,
                    maxConnectionsPerHost: 1))
        } catch {
            switch error.kind {
            case .tokenFile, .caFile, .setting: throw InputError(error.description)
            case .libcurl: throw ToolFailure(error.description, exitCode: .failure)
            }
        }
        let scraper = Scraper(
            configuration: ScrapeConfiguration(
                baseURL: endpoint.url, families: burst == nil ? metrics : [ScrapeBurst.allocMetric],
                timeout: timeout.duration, saveRawDirectory: saveRaw, pprofDirectory: pprof, scenario: scenario),
            transport: client)
        let output = RecordOutput(tool: "kp-scrape")

        if let burst {
            try await runBurst(burst, scraper: scraper, output: output)
            return
        }

        if let interval {
            let series = ScrapeSeries(interval: interval.duration, count: count, duration: duration?.duration)
            let phase = self.phase ?? "series"
            let task = Task { await series.run(scraper: scraper, phase: phase) { output.write($0) } }
            SignalWatcher.shared.onSignal { _ in task.cancel() }
            _ = await task.value
            return  // continuous mode ends normally on a signal, --count or --duration: exit 0
        }

        guard let phase = self.phase else {  // validate() already requires it; kept for a direct run() call
            throw InputError("one-shot mode needs --phase NAME (e.g. baseline, post-bootstrap, steady)")
        }
        let task = Task { () -> Scraper.Outcome in
            let outcome = await scraper.sample(phase: phase)
            output.write(outcome)
            for record in await scraper.profiles(phase: phase) { output.write(record) }
            return outcome
        }
        SignalWatcher.shared.onSignal { _ in task.cancel() }
        let outcome = await task.value
        if let code = SignalWatcher.shared.exitCode { throw ExitCode(code.rawValue) }
        // The verdict is this tool's: no answer in time is the target's silence (11), any other failure 1.
        if !outcome.succeeded {
            throw ToolFailure(
                "sample '\(phase)' failed: \(outcome.sample.error ?? "no figures")",
                exitCode: outcome.timedOut ? .targetUnreachable : .failure)
        }
    }
}

extension ScrapeCommand {
    /// Burst mode: one scrape_cost record; a failed scrape is this tool's failure (11 when unanswered).
    func runBurst(_ n: Int, scraper: Scraper, output: RecordOutput) async throws {
        let burst = ScrapeBurst(
            scrapes: n, idleWindow: idleWindow?.duration ?? .seconds(1), maxDuration: duration?.duration)
        let task = Task { await burst.run(scraper: scraper) }
        SignalWatcher.shared.onSignal { _ in task.cancel() }
        let result = await task.value
        output.write(result.record)
        for e in result.errors { output.write(e) }
        if let code = SignalWatcher.shared.exitCode { throw ExitCode(code.rawValue) }
        if let error = result.record.error {
            throw ToolFailure(
                "scrape cost: \(error)", exitCode: result.timedOut ? .targetUnreachable : .failure)
        }
        let r = result.record
        if let c = r.cpuSecondsPerScrape {
            StandardError.write(
                "kp-scrape: scrape cost: \(String(format: "%.3f", c * 1000)) ms of server CPU per scrape over \(r.scrapes) scrapes of \(r.bodyBytes ?? 0) bytes\n"
            )
        }
    }
}

extension RecordOutput {
    /// A sample and the error records that explain its gaps.
    func write(_ outcome: Scraper.Outcome) {
        write(outcome.sample)
        for e in outcome.errors { write(e) }
    }
}
