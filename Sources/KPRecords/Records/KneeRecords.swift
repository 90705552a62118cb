/// One step of `kp-load --knee-steps`: the load phase at one total offered rate, its numbers and
/// its judgement against the SLO (`--knee-p99`, `--knee-max-error-percent`).
public struct KneeStepRecord: KPRecord {
    public static let kind = RecordKind.kneeStep
    public var kind: RecordKind = .kneeStep
    public var v: Int = Schema.currentVersion
    /// The step, 0-based, in `--knee-steps` order.
    public var step: Int
    /// CLOCK_MONOTONIC ns of the step's phase start and end.
    public var startNs: Int64
    public var endNs: Int64
    /// Total offered and achieved operations per second (reads + writes).
    public var offeredRps: Double
    public var achievedRps: Double
    /// Response-time p99 of the reads and the writes, ns (absent: none finished).
    public var readP99Ns: Int64?
    public var writeP99Ns: Int64?
    public var errors: Int64
    public var operations: Int64
    /// The phase's verdict: `ok`, `target saturated` or `generator-limited`.
    public var verdict: String
    /// `held`, `broken` (SLO broken or target saturated) or `unknown` (generator-limited).
    public var judgement: String
    /// Why the step broke or is unknown; empty when it held.
    public var reasons: [String]

    enum CodingKeys: String, CodingKey {
        case kind, v, step, errors, operations, verdict, judgement, reasons
        case startNs = "start_ns"
        case endNs = "end_ns"
        case offeredRps = "offered_rps"
        case achievedRps = "achieved_rps"
        case readP99Ns = "read_p99_ns"
        case writeP99Ns = "write_p99_ns"
    }

    public init(
        step: Int, startNs: Int64, endNs: Int64, offeredRps: Double, achievedRps: Double, readP99Ns: Int64?,
        writeP99Ns: Int64?, errors: Int64, operations: Int64, verdict: String, judgement: String, reasons: [String]
    ) {
        self.step = step
        self.startNs = startNs
        self.endNs = endNs
        self.offeredRps = offeredRps
        self.achievedRps = achievedRps
        self.readP99Ns = readP99Ns
        self.writeP99Ns = writeP99Ns
        self.errors = errors
        self.operations = operations
        self.verdict = verdict
        self.judgement = judgement
        self.reasons = reasons
    }

    public var record: Record { .kneeStep(self) }
}

/// The end of `kp-load --knee-steps`: the highest offered rate that held and the step that ended
/// the search.
public struct KneeResultRecord: KPRecord {
    public static let kind = RecordKind.kneeResult
    public var kind: RecordKind = .kneeResult
    public var v: Int = Schema.currentVersion
    /// `knee found`, `all steps held` or `unknown above` (a generator-limited step).
    public var result: String
    /// The SLO: response p99 of reads and writes, ns, and the largest error percentage.
    public var sloP99Ns: Int64
    public var sloMaxErrorPercent: Double
    /// Offered rate of the highest step that held (absent: none did).
    public var highestHeldRps: Double?
    /// The step that ended the search and its rate (absent when every step held).
    public var endingStep: Int?
    public var endingRps: Double?
    public var endingReasons: [String]
    /// Steps run.
    public var steps: Int

    enum CodingKeys: String, CodingKey {
        case kind, v, result, steps
        case sloP99Ns = "slo_p99_ns"
        case sloMaxErrorPercent = "slo_max_error_percent"
        case highestHeldRps = "highest_held_rps"
        case endingStep = "ending_step"
        case endingRps = "ending_rps"
        case endingReasons = "ending_reasons"
    }

    public init(
        result: String, sloP99Ns: Int64, sloMaxErrorPercent: Double, highestHeldRps: Double?, endingStep: Int?,
        endingRps: Double?, endingReasons: [String], steps: Int
    ) {
        self.result = result
        self.sloP99Ns = sloP99Ns
        self.sloMaxErrorPercent = sloMaxErrorPercent
        self.highestHeldRps = highestHeldRps
        self.endingStep = endingStep
        self.endingRps = endingRps
        self.endingReasons = endingReasons
        self.steps = steps
    }

    public var record: Record { .kneeResult(self) }
}
