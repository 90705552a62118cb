import ArgumentParser
import KPCLI
import KPCore

/// kp-scrape's flags, with the checks on their values.
///
/// ``validate()`` reads no file, network, clock or environment, so kp-run checks the arguments of a
/// kp-scrape step with `ScrapeOptions.parse(arguments)` before its run starts (the endpoint flags are
/// checked by ``KPCLI/EndpointOptions``'s own `validate()`). The `--pprof` and `--save-raw` folders are
/// made and checked when ``ScrapeTool`` runs.
public struct ScrapeOptions: ParsableArguments, Sendable {
    @OptionGroup public var target: EndpointOptions

    @Option(
        help: ArgumentHelp(
            "Phase label of the sample (required one-shot; default 'series' with --interval).", valueName: "name"))
    public var phase: String?

    @Option(
        help: ArgumentHelp(
            "Scrape continuously at this interval, e.g. 5s (default: one scrape).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var interval: DurationArgument?

    @Option(help: ArgumentHelp("With --interval: stop after this many samples.", valueName: "n"))
    public var count: Int?

    @Option(
        help: ArgumentHelp(
            "With --interval: stop after this long; with --burst: end the burst after this long.",
            valueName: "duration"),
        transform: DurationArgument.transform)
    public var duration: DurationArgument?

    @Option(
        help: ArgumentHelp(
            "Measure what a scrape costs the server: N scrapes back to back after an idle window, into one scrape_cost record (at least 2).",
            valueName: "n"))
    public var burst: Int?

    @Option(
        help: ArgumentHelp(
            "With --burst: quiet time between the first scrape and the burst, for the server's idle CPU (default: 1s).",
            valueName: "duration"),
        transform: DurationArgument.transform)
    public var idleWindow: DurationArgument?

    @Option(
        name: .customLong("metric"),
        help: ArgumentHelp(
            "Also carry this whole metric family in each sample, e.g. apiserver_request_duration_seconds (repeatable).",
            valueName: "name"))
    public var metrics: [String] = []

    @Option(
        help: ArgumentHelp(
            "Also save DIR/heap-<scenario>-<phase>.pb.gz and DIR/goroutine-<scenario>-<phase>.txt (one-shot only).",
            valueName: "dir"))
    public var pprof: String?

    @Option(help: ArgumentHelp("Scenario name in profile file names.", valueName: "name"))
    public var scenario: String = "bootstrap"

    @Option(help: ArgumentHelp("Keep each raw /metrics body as DIR/metrics-<phase>-<t_ns>.prom.", valueName: "dir"))
    public var saveRaw: String?

    @Option(
        help: ArgumentHelp("Timeout of one scrape and of each profile request (default: 20s).", valueName: "duration"),
        transform: DurationArgument.transform)
    public var timeout = DurationArgument(.seconds(20), text: "20s")

    public init() {}

    public func validate() throws {
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
}
