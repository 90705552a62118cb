import Foundation
import KPCore
import KPHTTP
import KPPprof
import KPPromText
import KPRecords

/// Scrapes a Prometheus endpoint's root `/metrics` (and optionally its pprof profiles) into records.
///
/// Works against any Prometheus text endpoint, http or https, with or without a token (the
/// transport adds it). One call of ``sample(phase:)`` is one GET: its figures come from that body
/// only. If the scrape fails as a whole (non-2xx status, no answer, a body that is not Prometheus
/// text) the sample carries `error` and no figures: nothing is invented or carried forward.
public struct Scraper: Sendable {
    public let configuration: ScrapeConfiguration
    private let transport: any HTTPTransport

    public init(configuration: ScrapeConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// A scrape's records: the sample, plus `error` records for side effects that failed (saving the raw body).
    public struct Outcome: Sendable {
        public var sample: SampleRecord
        /// Where the raw body was saved (`--save-raw`), if it was.
        public var rawPath: String?
        public var errors: [ErrorRecord]
        /// True when the sample's figures were read from a 2xx Prometheus body.
        public var succeeded: Bool { sample.error == nil }
        /// True when the scrape got no answer within the timeout (the target may be stalled).
        public var timedOut = false
        /// Size of the body the target answered with, bytes (nil without an answer).
        public var bodyBytes: Int?
    }

    /// The `Accept` header: the classic text format (0.0.4), which every Go server speaks.
    static let accept = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

    /// Scrapes `/metrics` once.
    public func sample(phase: String) async -> Outcome {
        let url = configuration.metricsURL
        var errors: [ErrorRecord] = []
        let tNs = MonotonicClock.now()
        var record = SampleRecord(tNs: tNs, phase: phase, source: url)
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(url: url, headers: [("Accept", Self.accept)], timeout: configuration.timeout))
        } catch {
            record.scrapeNs = MonotonicClock.now() - tNs
            let why = Task.isCancelled ? "interrupted by a signal before the answer arrived" : error.description
            var outcome = failed(record, why, errors: errors)
            outcome.timedOut = error.kind == .timeout
            return outcome
        }
        record.scrapeNs = MonotonicClock.now() - tNs
        var rawPath: String?
        if let dir = configuration.saveRawDirectory {
            let path = "\(dir)/metrics-\(phase)-\(tNs).prom"
            do {
                try FileWriting.write(response.body, to: path)
                rawPath = path
            } catch {
                errors.append(
                    ErrorRecord(
                        tNs: MonotonicClock.now(), tool: "kp-scrape",
                        message: "cannot save the raw /metrics body: \(error)", input: path))
            }
        }
        guard response.isSuccess else {
            var why = "HTTP \(response.status)"
            if let ks = response.kubernetesStatus {
                if let r = ks.reason { why += " \(r)" }
                if let m = ks.message, !m.isEmpty { why += ": \(m)" }
            }
            var outcome = failed(record, "\(why) from \(url)", errors: errors, rawPath: rawPath)
            outcome.bodyBytes = response.body.count
            return outcome
        }
        let families: [MetricFamily]
        do {
            families = try PromTextParser.parse(response.body)
        } catch {
            return failed(
                record, "parse error: \(error) (body of \(response.body.count) bytes from \(url))", errors: errors,
                rawPath: rawPath)
        }
        SampleFigures.fill(&record, from: families)
        if !configuration.families.isEmpty {
            let (wire, missing) = FamilySelection.select(configuration.families, from: families)
            record.families = wire
            if !missing.isEmpty { record.missing = (record.missing ?? [:]).merging(missing) { a, _ in a } }
        }
        var outcome = Outcome(sample: record, rawPath: rawPath, errors: errors)
        outcome.bodyBytes = response.body.count
        return outcome
    }

    private func failed(_ record: SampleRecord, _ why: String, errors: [ErrorRecord], rawPath: String? = nil) -> Outcome
    {
        var r = record
        r.error = why
        SampleFigures.markAllMissing(&r, reason: "scrape failed")
        for name in configuration.families { r.missing?[name] = "scrape failed" }
        return Outcome(sample: r, rawPath: rawPath, errors: errors)
    }

    /// Fetches, validates and saves the heap and goroutine profiles (needs ``ScrapeConfiguration/pprofDirectory``).
    ///
    /// Heap: `GET /debug/pprof/heap`, gunzipped and parsed as `profile.proto` (``KPPprof/PprofProfile``),
    /// saved as `heap-<scenario>-<phase>.pb.gz`. Goroutines: `GET /debug/pprof/goroutine?debug=1`,
    /// parsed as Go's text dump (``KPPprof/GoroutineDump``: header and group counts), saved as
    /// `goroutine-<scenario>-<phase>.txt`. A profile is saved only when it validates; otherwise its
    /// record says `failed` with the reason. A failing pprof endpoint never fails the sample.
    public func profiles(phase: String) async -> [ProfileRecord] {
        guard let dir = configuration.pprofDirectory else { return [] }
        let base = configuration.baseURL
        let scenario = configuration.scenario
        var out: [ProfileRecord] = []
        out.append(
            await profile(
                kind: "heap", url: "\(base)/debug/pprof/heap", path: "\(dir)/heap-\(scenario)-\(phase).pb.gz",
                phase: phase
            ) { body in
                let p = try PprofProfile(data: body)
                if p.sampleTypes.isEmpty { throw ProfileInvalid("heap profile has no sample types") }
            })
        out.append(
            await profile(
                kind: "goroutine", url: "\(base)/debug/pprof/goroutine?debug=1",
                path: "\(dir)/goroutine-\(scenario)-\(phase).txt",
                phase: phase
            ) { body in
                let dump = try GoroutineDump(data: body)
                if dump.total < 1 { throw ProfileInvalid("goroutine dump says total \(dump.total)") }
            })
        return out
    }

    private func profile(kind: String, url: String, path: String, phase: String, validate: (Data) throws -> Void) async
        -> ProfileRecord
    {
        let tNs = MonotonicClock.now()
        func failure(_ status: Int?, _ why: String) -> ProfileRecord {
            ProfileRecord(
                tNs: tNs, phase: phase, profile: kind, path: nil, bytes: nil, status: "failed", httpStatus: status,
                error: why)
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(url: url, timeout: configuration.timeout))
        } catch {
            return failure(nil, error.description)
        }
        guard response.isSuccess else {
            let ks = response.kubernetesStatus
            return failure(response.status, "HTTP \(response.status)\(ks?.reason.map { " \($0)" } ?? "") from \(url)")
        }
        do {
            try validate(response.body)
        } catch {
            return failure(response.status, "invalid \(kind) profile from \(url): \(error)")
        }
        do {
            try FileWriting.write(response.body, to: path)
        } catch {
            return failure(response.status, "cannot save \(path): \(error)")
        }
        return ProfileRecord(
            tNs: tNs, phase: phase, profile: kind, path: path, bytes: response.body.count, status: "ok",
            httpStatus: response.status,
            error: nil)
    }
}

struct ProfileInvalid: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
