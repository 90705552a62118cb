import ArgumentParser
import KPCLI
import KPScrape

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

    @OptionGroup var options: ScrapeOptions

    static func main() async { await ToolMain.run(Self.self) }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        let endpoint = try options.target.resolve()
        let tool = ScrapeTool(options: options, endpoint: endpoint)
        let outcome = try await tool.run(stopSignals: SignalWatcher.shared)
        // A stopped sample or burst exits 130/143 (SIGINT/SIGTERM) after its records.
        if outcome == .stopped, let code = SignalWatcher.shared.exitCode { throw ExitCode(code.rawValue) }
    }
}
