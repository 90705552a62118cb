import Foundation
import KPRunModel
import Yams

/// Bad `kp-report capacity` input: one line that names the input and the fix.
public struct CapacityInputError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Kubernetes resource quantities (`8`, `500m`, `16Gi`, `1.5G`, `2e9`), as a `ControlPlaneShard`'s
/// `spec.capacity` writes `cpuLimit` and `memoryLimit`.
public enum Quantity {
    static let suffixes: [String: Double] = [
        "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776, "Pi": 1_125_899_906_842_624,
        "Ei": 1_152_921_504_606_846_976, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9,
        "T": 1e12, "P": 1e15, "E": 1e18,
    ]

    /// The quantity's value (cores for CPU, bytes for memory); nil when it is not a non-negative quantity.
    public static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let end = t.firstIndex { !"0123456789.".contains($0) } ?? t.endIndex
        guard end > t.startIndex, let number = Double(t[..<end]), number.isFinite else { return nil }
        let suffix = String(t[end...])
        if let m = suffixes[suffix] { return number * m }
        if let e = suffix.first, e == "e" || e == "E", let exponent = Int(suffix.dropFirst()), suffix.count > 1 {
            return number * pow(10, Double(exponent))
        }
        return nil
    }

    /// Bytes as a memory quantity: whole Gi, Mi or Ki when exact, else Ki rounded up (`16Gi`, `2049Ki`).
    public static func memory(_ bytes: Double) -> String {
        guard bytes.isFinite, bytes > 0 else { return "0" }
        for (suffix, unit) in [("Gi", 1_073_741_824.0), ("Mi", 1_048_576.0)]
        where bytes.truncatingRemainder(dividingBy: unit) == 0 {
            return "\(Int64(bytes / unit))\(suffix)"
        }
        return "\(Int64((bytes / 1024).rounded(.up)))Ki"
    }

    /// Cores as a CPU quantity: whole cores or millicores when exact, else cores with up to six
    /// decimals rounded up (`8`, `250m`, `0.000051`).
    public static func cpu(_ cores: Double) -> String {
        guard cores.isFinite, cores > 0 else { return "0" }
        let micro = (cores * 1e6 - 1e-6).rounded(.up)
        if micro.truncatingRemainder(dividingBy: 1e6) == 0 { return "\(Int64(micro / 1e6))" }
        if micro.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int64(micro / 1000))m" }
        var s = String(format: "%.6f", micro / 1e6)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}

/// A `ControlPlaneShard`'s `spec.capacity` (kplane's sharding design): the shard's CPU and memory
/// limits and, optionally, the most control planes it takes.
public struct ShardCapacity: Sendable, Equatable {
    public var maxControlPlanes: Int?
    /// As given (`8`, `16Gi`).
    public var cpuLimit: String?
    public var memoryLimit: String?
    /// In cores and bytes.
    public var cpuCores: Double?
    public var memoryBytes: Double?

    public init(maxControlPlanes: Int? = nil, cpuLimit: String? = nil, memoryLimit: String? = nil)
        throws(CapacityInputError)
    {
        self.maxControlPlanes = maxControlPlanes
        self.cpuLimit = cpuLimit
        self.memoryLimit = memoryLimit
        if let cpuLimit {
            guard let c = Quantity.parse(cpuLimit), c > 0 else {
                throw CapacityInputError("cpu '\(cpuLimit)' is not a CPU quantity: give cores such as 8 or 7500m")
            }
            cpuCores = c
        }
        if let memoryLimit {
            guard let m = Quantity.parse(memoryLimit), m >= 1 else {
                throw CapacityInputError(
                    "memory '\(memoryLimit)' is not a memory quantity: give bytes with a suffix such as 16Gi or 16000Mi"
                )
            }
            memoryBytes = m
        }
        if let maxControlPlanes, maxControlPlanes < 1 {
            throw CapacityInputError("maxControlPlanes \(maxControlPlanes) must be 1 or more")
        }
        guard cpuCores != nil || memoryBytes != nil else {
            throw CapacityInputError("the shard gives no cpu or memory limit: give cpu=8,memory=16Gi")
        }
    }

    /// `--shard cpu=8,memory=16Gi[,maxControlPlanes=500]` (the keys may also be spelt cpuLimit, memoryLimit).
    public static func parse(_ spec: String) throws(CapacityInputError) -> ShardCapacity {
        var values: [String: String] = [:]
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[1].isEmpty else {
                throw CapacityInputError(
                    "--shard '\(spec)': '\(part)' is not key=value: give cpu=8,memory=16Gi[,maxControlPlanes=500]")
            }
            let key = ["cpu": "cpuLimit", "memory": "memoryLimit"][kv[0]] ?? kv[0]
            guard ["cpuLimit", "memoryLimit", "maxControlPlanes"].contains(key) else {
                throw CapacityInputError(
                    "--shard '\(spec)': unknown key '\(kv[0])': the keys are cpu, memory and maxControlPlanes")
            }
            guard values[key] == nil else {
                throw CapacityInputError("--shard '\(spec)': '\(kv[0])' is given twice: give it once")
            }
            values[key] = kv[1]
        }
        return try make(values, source: "--shard '\(spec)'")
    }

    /// A shard file: a `ControlPlaneShard` manifest (its `spec.capacity`), a mapping with `capacity:`,
    /// or the capacity mapping itself (`maxControlPlanes`, `cpuLimit`, `memoryLimit`).
    public static func parse(yaml: String, name: String) throws(CapacityInputError) -> ShardCapacity {
        let root: Any?
        do { root = try Yams.load(yaml: yaml) } catch {
            throw CapacityInputError("\(name) is not valid YAML: give a ControlPlaneShard manifest with spec.capacity")
        }
        var node = root as? [String: Any]
        if let spec = node?["spec"] as? [String: Any] { node = spec }
        if let capacity = node?["capacity"] as? [String: Any] { node = capacity }
        guard let node else {
            throw CapacityInputError("\(name) holds no mapping: give a ControlPlaneShard manifest with spec.capacity")
        }
        var values: [String: String] = [:]
        for (key, value) in node {
            guard ["cpuLimit", "memoryLimit", "maxControlPlanes"].contains(key) else {
                throw CapacityInputError(
                    "\(name): unknown key '\(key)' in spec.capacity: the keys are maxControlPlanes, cpuLimit and memoryLimit"
                )
            }
            values[key] = "\(value)"
        }
        return try make(values, source: name)
    }

    static func make(_ values: [String: String], source: String) throws(CapacityInputError) -> ShardCapacity {
        var max: Int?
        if let m = values["maxControlPlanes"] {
            guard let n = Int(m), n >= 1 else {
                throw CapacityInputError("\(source): maxControlPlanes '\(m)' is not a whole number ≥ 1")
            }
            max = n
        }
        do {
            return try ShardCapacity(
                maxControlPlanes: max, cpuLimit: values["cpuLimit"], memoryLimit: values["memoryLimit"])
        } catch {
            throw CapacityInputError("\(source): \(error.description)")
        }
    }
}

/// The share of idle and hot VCPs on a shard (`--mix idle=90,hot=10`), in percent.
public struct ClassMix: Sendable, Equatable {
    public var idlePercent: Double
    public var hotPercent: Double

    public init(idlePercent: Double, hotPercent: Double) {
        self.idlePercent = idlePercent
        self.hotPercent = hotPercent
    }

    /// The hot VCPs' share, 0…1.
    public var hotFraction: Double { hotPercent / 100 }

    public static func parse(_ text: String) throws(CapacityInputError) -> ClassMix {
        var values: [String: Double] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, ["idle", "hot"].contains(kv[0]), values[kv[0]] == nil,
                let v = Double(kv[1].hasSuffix("%") ? String(kv[1].dropLast()) : kv[1]), v >= 0, v <= 100
            else {
                throw CapacityInputError(
                    "--mix '\(text)': '\(part)' is not idle=PERCENT or hot=PERCENT (each once, 0…100): give idle=90,hot=10"
                )
            }
            values[kv[0]] = v
        }
        let idle = values["idle"] ?? 100 - (values["hot"] ?? 0)
        let hot = values["hot"] ?? 100 - idle
        guard abs(idle + hot - 100) < 1e-9 else {
            throw CapacityInputError(
                "--mix '\(text)' sums to \(Format.trimmed(idle + hot))%: the classes must sum to 100, e.g. idle=90,hot=10"
            )
        }
        return ClassMix(idlePercent: idle, hotPercent: hot)
    }
}

/// A utilisation such as `80%` (or `80`) as a fraction in (0, 1].
public enum Utilisation {
    public static func parse(_ text: String, flag: String) throws(CapacityInputError) -> Double {
        let t = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let v = Double(t), v.isFinite, v > 0, v <= 100 else {
            throw CapacityInputError("\(flag) '\(text)' is not a percentage in (0, 100]: give e.g. \(flag) 80%")
        }
        return v / 100
    }
}

extension Capacity {
    /// The runs of the sweep at `directory` and its plan: by its runset.json (a sweep that kp-run
    /// wrote), else its `n<size>/` folders. Throws when the folder holds no sweep.
    public static func sweepRuns(in directory: String) throws(CapacityInputError) -> (
        runs: [String], plan: RunSetPlan?
    ) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw CapacityInputError(
                "sweep directory '\(directory)' does not exist: pass the folder make sweep wrote, e.g. out/bootstrap-sweep"
            )
        }
        let plan: RunSetPlan?
        do { plan = try RunSetPlan.read(from: directory) } catch { throw CapacityInputError(error.description) }
        func runs(_ group: String) -> [String] {
            let path = RunLayout.path(directory, group)
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return RepeatSet.runDirectories(path)
        }
        if let plan {
            guard plan.kind == .sweep else {
                throw CapacityInputError(
                    "\(directory) is a \(plan.kind == .compare ? "comparison" : "repeat set"), not a sweep: pass the folder of make sweep SIZES=…"
                )
            }
            guard plan.axis == nil else {
                throw CapacityInputError(
                    "\(directory) is a sweep over CRDs per VCP, not over N: pass the folder of make sweep SIZES=…")
            }
            return (plan.groups.flatMap(runs), plan)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        let sizes = names.filter { $0.hasPrefix("n") && Int($0.dropFirst()) != nil }
            .sorted { Int($0.dropFirst())! < Int($1.dropFirst())! }
        guard !sizes.isEmpty else {
            throw CapacityInputError(
                "\(directory) holds no sweep (no runset.json, no n<size>/ folders): pass the folder make sweep SIZES=… wrote"
            )
        }
        return (sizes.flatMap(runs), nil)
    }

    /// The runs of `--loaded`: a run, a repeat set, or a sweep (its runs at every size).
    public static func loadedRuns(_ path: String) throws(CapacityInputError) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw CapacityInputError(
                "--loaded '\(path)' does not exist: pass a mixed-hot run, repeat set or sweep, e.g. out/mixed-hot-200")
        }
        if let plan = try? RunSetPlan.read(from: path), plan.kind == .sweep {
            return try sweepRuns(in: path).runs
        }
        let runs = RepeatSet.runDirectories(path)
        guard runs.allSatisfy({ FileManager.default.fileExists(atPath: RunLayout.path($0, RunLayout.meta)) }) else {
            throw CapacityInputError(
                "--loaded '\(path)' is not a run directory (no \(RunLayout.meta)): pass a mixed-hot run written by kp-run"
            )
        }
        return runs
    }
}
