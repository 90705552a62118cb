import ArgumentParser
import KPCLI
import KPReport

extension KPReportCommand {
    /// `kp-report capacity SWEEP_DIR --shard …`: the VCPs that fit on a ControlPlaneShard.
    struct CapacityCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "capacity",
            abstract:
                "How many VCPs fit on a ControlPlaneShard: per-VCP costs and class estimates from a sweep (and a loaded run).",
            discussion: """
                SWEEP_DIR is the folder make sweep wrote (runset.json, n<size>/). Per resource (RSS, heap, \
                CPU, goroutines, fds) the marginal and fixed cost with 95% intervals; the idle class (the \
                sweep) and, with --loaded, the hot class (the load cost per hot VCP of a mixed-* run at its \
                measured request rate) as cpuEstimate, memEstimate and requestRateEstimate; and the VCPs \
                that fit the shard at --target and --hard-stop for the --mix, from the upper 95% bound of \
                the marginal cost plus the fixed cost, naming the resource that binds first (beyond the \
                largest N measured: extrapolated, with the prediction interval). --for N adds the pod's \
                requests and limits for N VCPs. Writes capacity.md and capacity.json (and a capacity \
                section in sweep.html when the folder has one) into SWEEP_DIR or --out, and prints \
                capacity.md. Exit 2 on bad input.
                """)

        @OptionGroup var options: CapacityOptions

        func run() async throws {
            try CapacityTool.run(options)
        }
    }
}
