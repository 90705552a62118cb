/// Written once at the start of a run: what was asked for and where it ran.
public struct RunMetaRecord: KPRecord {
    public static let kind = RecordKind.runMeta
    public var kind: RecordKind = .runMeta
    public var v: Int = Schema.currentVersion
    /// Run name (the folder under `out/`).
    public var run: String
    /// `bootstrap`, `mixed-hot` or `mixed-uniform`.
    public var scenario: String
    public var kpBenchVersion: String = Schema.toolVersion
    /// Wall-clock start, RFC 3339, and the CLOCK_MONOTONIC ns it corresponds to.
    public var startedAt: String
    public var startNs: Int64
    public var host: HostInfo
    /// Every run setting (seed flag name without dashes → value as given), e.g. `clusters` → `200`.
    public var flags: [String: String]

    enum CodingKeys: String, CodingKey {
        case kind, v, run, scenario, host, flags
        case kpBenchVersion = "kp_bench_version"
        case startedAt = "started_at"
        case startNs = "start_ns"
    }

    public init(
        run: String, scenario: String, startedAt: String, startNs: Int64, host: HostInfo, flags: [String: String]
    ) {
        self.run = run
        self.scenario = scenario
        self.startedAt = startedAt
        self.startNs = startNs
        self.host = host
        self.flags = flags
    }

    public var record: Record { .runMeta(self) }
}

/// The machine a run was measured on (package-benchmark's BenchmarkMachine, in spirit).
public struct HostInfo: Codable, Sendable, Equatable {
    public var hostname: String
    public var cores: Int
    public var memoryBytes: Int64
    public var kernel: String
    public var os: String?

    enum CodingKeys: String, CodingKey {
        case hostname, cores, kernel, os
        case memoryBytes = "memory_bytes"
    }

    public init(hostname: String, cores: Int, memoryBytes: Int64, kernel: String, os: String?) {
        self.hostname = hostname
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.kernel = kernel
        self.os = os
    }
}

/// Written once when a run ends, however it ends.
public struct RunEndRecord: KPRecord {
    public static let kind = RecordKind.runEnd
    public var kind: RecordKind = .runEnd
    public var v: Int = Schema.currentVersion
    /// `complete`, `failed` or `interrupted`.
    public var status: String
    /// The phase the run was in when it ended (`report` when it completed).
    public var phase: String
    /// Why it ended early; nil for a complete run.
    public var reason: String?
    /// The exit code the run finished with (see docs/cli.md).
    public var exitCode: Int
    public var endedAt: String
    public var tNs: Int64

    enum CodingKeys: String, CodingKey {
        case kind, v, status, phase, reason
        case exitCode = "exit_code"
        case endedAt = "ended_at"
        case tNs = "t_ns"
    }

    public init(status: String, phase: String, reason: String?, exitCode: Int, endedAt: String, tNs: Int64) {
        self.status = status
        self.phase = phase
        self.reason = reason
        self.exitCode = exitCode
        self.endedAt = endedAt
        self.tNs = tNs
    }

    public var record: Record { .runEnd(self) }
}
