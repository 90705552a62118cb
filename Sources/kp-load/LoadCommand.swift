import ArgumentParser
import KPCLI
import KPLoad

/// `kp-load`: open-loop mixed read/write load on the hot clusters, with latency it can vouch for.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kp-load",
        abstract: "Drive open-loop Get / Get+Update load on pre-warmed custom resources and record latency.",
        discussion: """
            Pre-warms --objects-per-cluster TestWidgets (payload of --object-bytes in spec.data) in each hot \
            cluster, then runs a schedule fixed before the run: per hot cluster, --read-rps-per-cluster reads \
            (a Get) and --write-rps-per-cluster writes (a Get then an Update of the version read), evenly \
            spaced with a random phase or Poisson (--arrival), reproducible with --seed. Every operation \
            starts at its intended time whether or not earlier ones finished: there is no rate limiter and \
            no worker pool. Response time = end - intended start; service time = end - actual send.

            stdout gets a load_interval record every --report-interval and a load_final record at the end. \
            If kp-load could not keep its own schedule (schedule lag p99 over --max-lag, --max-inflight \
            reached, or under 99% of the scheduled operations sent within the phase), load_final says \
            generator_limited with the reason, stderr says so, and the exit code is 3 (also when the snapshot \
            schedule, on its own thread, fell behind: snapshot_final says generator_limited). When the operations were \
            late because they waited on the server (stream slots, slow answers piling up, timeouts) while \
            kp-load kept up, load_final says target_saturated ("achieved X of Y ops/s") and the exit code is 6: \
            a server result, the latencies stand. SIGINT/SIGTERM stop \
            the schedule, wait up to --request-timeout for operations in flight, write load_final with \
            interrupted=true and exit 130/143. Details: docs/load.md.
            """)

    @OptionGroup var options: LoadOptions

    static func main() async { await ToolMain.run(Self.self) }

    func run() async throws {
        ToolLogging.bootstrap()
        SignalWatcher.install()
        let outcome = try await LoadTool(options: options).run(output: RecordOutput(tool: "kp-load"))
        if case .stopped(let code) = outcome { throw ExitCode(code.rawValue) }
    }
}
