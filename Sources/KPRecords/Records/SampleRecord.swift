/// One scrape of a target's root `/metrics` by `kp-scrape`.
///
/// A figure the target did not expose (or that failed to parse) is absent and named in `missing`
/// with the reason; nothing is ever invented or carried forward from an earlier sample.
public struct SampleRecord: KPRecord {
    public static let kind = RecordKind.sample
    public var kind: RecordKind = .sample
    public var v: Int = Schema.currentVersion
    /// CLOCK_MONOTONIC ns when the scrape request was sent.
    public var tNs: Int64
    /// Phase label (`baseline`, `post-bootstrap`, `steady`, `post-load`, or `series` for continuous mode).
    public var phase: String
    /// The URL scraped.
    public var source: String
    /// How long the scrape took, ns.
    public var scrapeNs: Int64?
    /// `process_cpu_seconds_total`, seconds.
    public var cpuSeconds: Double?
    /// `go_memstats_heap_inuse_bytes` and `go_memstats_heap_alloc_bytes`, bytes.
    public var heapInuseBytes: Double?
    public var heapAllocBytes: Double?
    /// `process_resident_memory_bytes`, bytes.
    public var rssBytes: Double?
    /// `go_goroutines`.
    public var goroutines: Double?
    /// `process_open_fds`.
    public var openFds: Double?
    /// Figures that are absent: metric name → reason (`not exposed`, `parse error: …`, `scrape failed: …`).
    public var missing: [String: String]?
    /// Set when the whole scrape failed (HTTP status, timeout, parse error); every figure is then absent.
    public var error: String?
    /// Whole metric families asked for with `--metric` (histograms with all buckets).
    public var families: [MetricFamilyWire]?

    enum CodingKeys: String, CodingKey {
        case kind, v, phase, source, goroutines, missing, error, families
        case tNs = "t_ns"
        case scrapeNs = "scrape_ns"
        case cpuSeconds = "cpu_seconds"
        case heapInuseBytes = "heap_inuse_bytes"
        case heapAllocBytes = "heap_alloc_bytes"
        case rssBytes = "rss_bytes"
        case openFds = "open_fds"
    }

    public init(tNs: Int64, phase: String, source: String) {
        self.tNs = tNs
        self.phase = phase
        self.source = source
    }

    public var record: Record { .sample(self) }
}

/// A Prometheus metric family as carried in a sample record.
public struct MetricFamilyWire: Codable, Sendable, Equatable {
    public var name: String
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    public var type: String
    public var help: String?
    public var samples: [MetricSampleWire]

    public init(name: String, type: String, help: String?, samples: [MetricSampleWire]) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
    }
}

/// One exposition line: full sample name (with `_bucket`/`_sum`/`_count` suffix), labels, value.
public struct MetricSampleWire: Codable, Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: PromValue
    /// Exposition timestamp in ms, when the line had one.
    public var timestampMs: Int64?

    enum CodingKeys: String, CodingKey {
        case name, labels, value
        case timestampMs = "timestamp_ms"
    }

    public init(name: String, labels: [String: String], value: PromValue, timestampMs: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }
}

/// A float that JSON can carry: finite values as numbers, `NaN`, `+Inf` and `-Inf` as strings.
public struct PromValue: Codable, Sendable, Equatable {
    public var value: Double
    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) {
            value = d
            return
        }
        let s = try c.decode(String.self)
        switch s {
        case "NaN": value = .nan
        case "+Inf", "Inf": value = .infinity
        case "-Inf": value = -.infinity
        default:
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a number: \(s)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if value.isNaN {
            try c.encode("NaN")
        } else if value == .infinity {
            try c.encode("+Inf")
        } else if value == -.infinity {
            try c.encode("-Inf")
        } else {
            try c.encode(value)
        }
    }

    public static func == (a: PromValue, b: PromValue) -> Bool {
        (a.value.isNaN && b.value.isNaN) || a.value == b.value
    }
}

/// A pprof dump saved by `kp-scrape --pprof`.
public struct ProfileRecord: KPRecord {
    public static let kind = RecordKind.profile
    public var kind: RecordKind = .profile
    public var v: Int = Schema.currentVersion
    public var tNs: Int64
    public var phase: String
    /// `heap` or `goroutine`.
    public var profile: String
    /// File path as written (relative to the run directory when kp-scrape was given one).
    public var path: String?
    public var bytes: Int?
    /// `ok` or `failed`.
    public var status: String
    public var httpStatus: Int?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, phase, profile, path, bytes, status, error
        case tNs = "t_ns"
        case httpStatus = "http_status"
    }

    public init(
        tNs: Int64, phase: String, profile: String, path: String?, bytes: Int?, status: String, httpStatus: Int?,
        error: String?
    ) {
        self.tNs = tNs
        self.phase = phase
        self.profile = profile
        self.path = path
        self.bytes = bytes
        self.status = status
        self.httpStatus = httpStatus
        self.error = error
    }

    public var record: Record { .profile(self) }
}

/// Something went wrong that a consumer of the stream should know about.
public struct ErrorRecord: KPRecord {
    public static let kind = RecordKind.error
    public var kind: RecordKind = .error
    public var v: Int = Schema.currentVersion
    public var tNs: Int64
    /// The tool that wrote it, e.g. `kp-scrape`.
    public var tool: String
    public var message: String
    /// The input (flag, file:line, URL) the message is about.
    public var input: String?

    enum CodingKeys: String, CodingKey {
        case kind, v, tool, message, input
        case tNs = "t_ns"
    }

    public init(tNs: Int64, tool: String, message: String, input: String?) {
        self.tNs = tNs
        self.tool = tool
        self.message = message
        self.input = input
    }

    public var record: Record { .error(self) }
}
