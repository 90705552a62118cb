import ArgumentParser
import Foundation
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

        @Argument(
            help: ArgumentHelp(
                "The sweep's folder (make sweep SIZES=…), e.g. out/bootstrap-sweep.", valueName: "sweep-dir"))
        var sweepDir: String

        @Option(
            help: ArgumentHelp(
                "A mixed-* run, repeat set or sweep: the hot class's cost per hot VCP (post-load − steady).",
                valueName: "run-or-sweep"))
        var loaded: String?

        @Option(
            help: ArgumentHelp(
                "The shard's spec.capacity: cpu=CORES,memory=BYTES[,maxControlPlanes=N], e.g. cpu=8,memory=16Gi.",
                valueName: "spec"))
        var shard: String?

        @Option(
            name: .customLong("shard-file"),
            help: ArgumentHelp(
                "A ControlPlaneShard manifest (YAML) whose spec.capacity is the shard (instead of --shard).",
                valueName: "file"))
        var shardFile: String?

        @Option(help: ArgumentHelp("Target utilisation of the shard's CPU and memory.", valueName: "percent"))
        var target: String = "80%"

        @Option(
            name: .customLong("hard-stop"),
            help: ArgumentHelp("Hard stop: the utilisation no placement may cross.", valueName: "percent"))
        var hardStop: String = "90%"

        @Option(
            help: ArgumentHelp(
                "Class mix in percent, summing to 100 (default: idle=90,hot=10 with --loaded, else idle=100).",
                valueName: "idle=P,hot=P"))
        var mix: String?

        @Option(
            name: .customLong("for"),
            help: ArgumentHelp(
                "Also print the pod's requests and limits for N VCPs, with their intervals.", valueName: "n"))
        var forN: Int?

        @Option(
            help: ArgumentHelp(
                "Write capacity.md and capacity.json here instead of into the sweep's folder.", valueName: "dir"))
        var out: String?

        /// The parsed flags; every mistake is a one-line error naming the flag and the fix.
        struct Inputs {
            var shard: ShardCapacity
            var target: Double
            var hardStop: Double
            var mix: ClassMix?
        }

        func inputs() throws(CapacityInputError) -> Inputs {
            let shardCapacity: ShardCapacity
            switch (shard, shardFile) {
            case (nil, nil):
                throw CapacityInputError(
                    "give the shard: --shard cpu=8,memory=16Gi[,maxControlPlanes=500] or --shard-file FILE")
            case (.some, .some):
                throw CapacityInputError("--shard and --shard-file exclude each other: give one")
            case (let spec?, nil):
                shardCapacity = try ShardCapacity.parse(spec)
            case (nil, let file?):
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CapacityInputError(
                        "--shard-file '\(file)' cannot be read: give a ControlPlaneShard manifest (YAML) with spec.capacity"
                    )
                }
                shardCapacity = try ShardCapacity.parse(yaml: String(decoding: data, as: UTF8.self), name: file)
            }
            if let forN, forN < 1 {
                throw CapacityInputError("--for \(forN) must be 1 or more VCPs")
            }
            let inputs = Inputs(
                shard: shardCapacity, target: try Utilisation.parse(target, flag: "--target"),
                hardStop: try Utilisation.parse(hardStop, flag: "--hard-stop"), mix: try mix.map(ClassMix.parse))
            guard inputs.target <= inputs.hardStop else {
                throw CapacityInputError(
                    "--target \(target) is above --hard-stop \(hardStop): the target must not exceed the hard stop")
            }
            if let m = inputs.mix, m.hotPercent > 0, loaded == nil {
                throw CapacityInputError(
                    "--mix '\(mix ?? "")' gives hot VCPs but no --loaded run: pass --loaded out/mixed-hot-N or --mix idle=100"
                )
            }
            return inputs
        }

        func validate() throws {
            do { _ = try inputs() } catch { throw ValidationError("\(error)") }
            if let out {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
                    throw ValidationError(
                        "--out '\(out)' exists and is not a directory: give a directory path or leave --out off")
                }
            }
        }

        func run() async throws {
            let capacity: Capacity
            do {
                let i = try inputs()
                let (runs, plan) = try Capacity.sweepRuns(in: sweepDir)
                let sweep = Sweep(runs: runs, directory: plan == nil ? nil : sweepDir, plan: plan)
                var loadedMembers: RunSetMembers?
                if let loaded {
                    let paths = try Capacity.loadedRuns(loaded)
                    loadedMembers = RunSetMembers(
                        runs: paths, reports: paths.map { Report(directory: $0) }, directory: loaded)
                }
                capacity = try Capacity(
                    sweep: sweep, sweepDirectory: sweepDir, loaded: loadedMembers, loadedPath: loaded, shard: i.shard,
                    target: i.target, hardStop: i.hardStop, mix: i.mix, forN: forN)
            } catch {
                throw InputError("\(error)")
            }
            let destination = out ?? sweepDir
            if let out, let problem = FileOutput.prepareDirectory(out, flag: "--out") { throw InputError(problem) }
            do {
                try capacity.write(to: destination)
            } catch {
                throw ToolFailure(error.description, exitCode: .failure)
            }
            try? FileOutput.writeAll(fd: 1, Data(capacity.markdown.utf8))
        }
    }
}
