import ArgumentParser
import Foundation
import KPCLI

/// `kp-report capacity`'s flags.
public struct CapacityOptions: ParsableArguments, Sendable {
    @Argument(
        help: ArgumentHelp(
            "The sweep's folder (make sweep SIZES=…), e.g. out/bootstrap-sweep.", valueName: "sweep-dir"))
    public var sweepDir: String

    @Option(
        help: ArgumentHelp(
            "A mixed-* run, repeat set or sweep: the hot class's cost per hot VCP (post-load − steady).",
            valueName: "run-or-sweep"))
    public var loaded: String?

    @Option(
        help: ArgumentHelp(
            "The shard's spec.capacity: cpu=CORES,memory=BYTES[,maxControlPlanes=N], e.g. cpu=8,memory=16Gi.",
            valueName: "spec"))
    public var shard: String?

    @Option(
        name: .customLong("shard-file"),
        help: ArgumentHelp(
            "A ControlPlaneShard manifest (YAML) whose spec.capacity is the shard (instead of --shard).",
            valueName: "file"))
    public var shardFile: String?

    @Option(help: ArgumentHelp("Target utilisation of the shard's CPU and memory.", valueName: "percent"))
    public var target: String = "80%"

    @Option(
        name: .customLong("hard-stop"),
        help: ArgumentHelp("Hard stop: the utilisation no placement may cross.", valueName: "percent"))
    public var hardStop: String = "90%"

    @Option(
        help: ArgumentHelp(
            "Class mix in percent, summing to 100 (default: idle=90,hot=10 with --loaded, else idle=100).",
            valueName: "idle=P,hot=P"))
    public var mix: String?

    @Option(
        name: .customLong("for"),
        help: ArgumentHelp(
            "Also print the pod's requests and limits for N VCPs, with their intervals.", valueName: "n"))
    public var forN: Int?

    @Option(
        help: ArgumentHelp(
            "Write capacity.md and capacity.json here instead of into the sweep's folder.", valueName: "dir"))
    public var out: String?

    public init() {}

    /// The parsed flags; every mistake is a one-line error naming the flag and the fix.
    public struct Inputs: Sendable {
        public var shard: ShardCapacity
        public var target: Double
        public var hardStop: Double
        public var mix: ClassMix?
    }

    /// The flags parsed in order; `--shard-file` is read only when `readShardFile` (nil shard otherwise).
    private func parse(readShardFile: Bool) throws(CapacityInputError) -> (
        shard: ShardCapacity?, target: Double, hardStop: Double, mix: ClassMix?
    ) {
        var shardCapacity: ShardCapacity?
        switch (shard, shardFile) {
        case (nil, nil):
            throw CapacityInputError(
                "give the shard: --shard cpu=8,memory=16Gi[,maxControlPlanes=500] or --shard-file FILE")
        case (.some, .some):
            throw CapacityInputError("--shard and --shard-file exclude each other: give one")
        case (let spec?, nil):
            shardCapacity = try ShardCapacity.parse(spec)
        case (nil, let file?):
            guard readShardFile else { break }
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
        let targetShare = try Utilisation.parse(target, flag: "--target")
        let hardStopShare = try Utilisation.parse(hardStop, flag: "--hard-stop")
        let classMix = try mix.map(ClassMix.parse)
        guard targetShare <= hardStopShare else {
            throw CapacityInputError(
                "--target \(target) is above --hard-stop \(hardStop): the target must not exceed the hard stop")
        }
        if let m = classMix, m.hotPercent > 0, loaded == nil {
            throw CapacityInputError(
                "--mix '\(mix ?? "")' gives hot VCPs but no --loaded run: pass --loaded out/mixed-hot-N or --mix idle=100"
            )
        }
        return (shardCapacity, targetShare, hardStopShare, classMix)
    }

    /// Checks the flags' values on their own; a --shard-file is not read here (``checkInputs()``).
    public func validate() throws {
        do { _ = try parse(readShardFile: false) } catch { throw ValidationError("\(error)") }
    }

    /// The flags with --shard-file read.
    public func inputs() throws(CapacityInputError) -> Inputs {
        let p = try parse(readShardFile: true)
        guard let shard = p.shard else { throw CapacityInputError("give the shard: --shard or --shard-file FILE") }
        return Inputs(shard: shard, target: p.target, hardStop: p.hardStop, mix: p.mix)
    }

    /// The checks that read the disk: the --shard-file reads as a manifest, --out is not a file.
    public func checkInputs() throws {
        do { _ = try inputs() } catch { throw ValidationError("\(error)") }
        if let out, PathKind.isNonDirectory(out) {
            throw ValidationError(
                "--out '\(out)' exists and is not a directory: give a directory path or leave --out off")
        }
    }
}

/// `kp-report capacity SWEEP_DIR --shard …`: the VCPs that fit on a ControlPlaneShard.
public enum CapacityTool {
    /// Writes capacity.md and capacity.json and prints capacity.md; a one-line error for bad input
    /// (exit 2) or unwritable files (1).
    public static func run(_ options: CapacityOptions) throws {
        try options.checkInputs()
        let capacity: Capacity
        let sweepDir = options.sweepDir
        do {
            let i = try options.inputs()
            let (runs, plan) = try Capacity.sweepRuns(in: sweepDir)
            let sweep = Sweep(runs: runs, directory: plan == nil ? nil : sweepDir, plan: plan)
            var loadedMembers: RunSetMembers?
            if let loaded = options.loaded {
                let paths = try Capacity.loadedRuns(loaded)
                loadedMembers = RunSetMembers(
                    runs: paths, reports: paths.map { Report(directory: $0) }, directory: loaded)
            }
            capacity = try Capacity(
                sweep: sweep, sweepDirectory: sweepDir, loaded: loadedMembers, loadedPath: options.loaded,
                shard: i.shard, target: i.target, hardStop: i.hardStop, mix: i.mix, forN: options.forN)
        } catch {
            throw InputError("\(error)")
        }
        let destination = options.out ?? sweepDir
        if let out = options.out, let problem = FileOutput.prepareDirectory(out, flag: "--out") {
            throw InputError(problem)
        }
        do {
            try capacity.write(to: destination)
        } catch {
            throw ToolFailure(error.description, exitCode: .failure)
        }
        try? FileOutput.writeAll(fd: 1, Data(capacity.markdown.utf8))
    }
}
