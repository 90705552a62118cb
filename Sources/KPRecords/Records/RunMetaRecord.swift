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
    /// The kp-bench build that made the run: its commit and build configuration (absent in records
    /// written before it existed).
    public var harness: HarnessBuild?

    enum CodingKeys: String, CodingKey {
        case kind, v, run, scenario, host, flags, harness
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

/// The kp-bench build behind a run: what `kp-report compare` checks is the same on both sides
/// besides the build under test.
public struct HarnessBuild: Codable, Sendable, Equatable {
    /// The kp-bench commit the tools were built from (`git rev-parse HEAD` of their checkout, or
    /// `KP_BENCH_COMMIT`); nil when neither is known (an installed copy without either).
    public var commit: String?
    /// The checkout had uncommitted changes to tracked files; nil when unknown.
    public var dirty: Bool?
    /// `debug` or `release`.
    public var build: String

    public init(commit: String?, dirty: Bool?, build: String) {
        self.commit = commit
        self.dirty = dirty
        self.build = build
    }

    /// "commit 0123456789ab (dirty), release build", or "commit unknown, debug build".
    public var text: String {
        let c = commit.map { "commit \($0.prefix(12))" } ?? "commit unknown"
        return c + (dirty == true ? " (dirty)" : "") + ", \(build) build"
    }
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
