import Foundation
import KPCore
import KPHTTP
import KPRecords

/// What a ``FirstRequester`` asks and how.
public struct FirstRequestConfiguration: Sendable {
    /// Server root URL without a trailing slash.
    public var baseURL: String
    public var clusters: [String]
    public var workers: Int
    public var requestTimeout: Duration
    /// How long one VCP may take to answer 200, retries included.
    public var deadline: Duration
    public var backoff: RetryBackoff

    public init(
        baseURL: String, clusters: [String], workers: Int = 12, requestTimeout: Duration = .seconds(10),
        deadline: Duration = .seconds(60), backoff: RetryBackoff = RetryBackoff()
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clusters = clusters
        self.workers = max(1, workers)
        self.requestTimeout = requestTimeout
        self.deadline = deadline
        self.backoff = backoff
    }

    /// The first request of `cluster`: the list of its test objects,
    /// `<url>/clusters/<cid>/control-plane/apis/mem-<cid>.kplane.dev/v1/namespaces/default/memwidgets`.
    public func url(_ cluster: String) -> String {
        "\(baseURL)/clusters/\(cluster)/control-plane/apis/\(TestCRD.group(for: cluster))/\(TestCRD.version)/namespaces/default/\(TestCRD.plural)"
    }
}

/// The `restart` scenario's client storm (contract §3.1: a VCP bootstraps lazily on its first
/// request): every VCP's first request after the restart, `workers` at a time, as clients coming back
/// would send them. The request is a list of the VCP's test objects, which only a server that brought
/// the VCP and its stored test CRD back can answer 200; a 404 means the VCP's storage did not survive.
///
/// 429, 5xx and transport errors are retried after backoff until ``FirstRequestConfiguration/deadline``;
/// a 200 that is not a list, or any other status, fails the VCP at once.
public struct FirstRequester: Sendable {
    public let configuration: FirstRequestConfiguration
    private let transport: any HTTPTransport
    private let onRecord: @Sendable (FirstRequestRecord) -> Void

    public init(
        configuration: FirstRequestConfiguration, transport: any HTTPTransport,
        onRecord: @escaping @Sendable (FirstRequestRecord) -> Void
    ) {
        self.configuration = configuration
        self.transport = transport
        self.onRecord = onRecord
    }

    private struct ObjectList: Decodable {
        struct Item: Decodable {}
        var items: [Item]?
    }

    /// One VCP's first request, retried as the type's documentation says.
    func request(_ cluster: String) async -> FirstRequestRecord {
        let c = configuration
        let url = c.url(cluster)
        let start = MonotonicClock.now()
        let deadline = ContinuousClock.now + c.deadline
        var counts: [String: Int] = [:]
        var attempts = 0
        var last = "no answer"
        func record(_ outcome: String, objects: Int? = nil, error: String? = nil) -> FirstRequestRecord {
            FirstRequestRecord(
                cluster: cluster, outcome: outcome, startNs: start, endNs: MonotonicClock.now(), attempts: attempts,
                objects: objects, statusCounts: counts, error: error)
        }
        while true {
            if Task.isCancelled { return record(StepOutcome.interrupted, error: "interrupted by a signal") }
            attempts += 1
            var retryAfter: String?
            do {
                let response = try await transport.send(
                    HTTPRequest(
                        method: "GET", url: url, headers: [("Accept", "application/json")],
                        timeout: c.requestTimeout))
                counts[String(response.status), default: 0] += 1
                switch response.status {
                case 200:
                    guard let list = try? JSONDecoder().decode(ObjectList.self, from: response.body),
                        let items = list.items
                    else {
                        return record(StepOutcome.failed, error: "HTTP 200 from \(url) is not a list")
                    }
                    return record(StepOutcome.ok, objects: items.count)
                case 429, 500...:
                    last = StepRunner.describe(response, url: url)
                    retryAfter = response.headers["retry-after"]
                case 404:
                    return record(
                        StepOutcome.failed,
                        error:
                            "\(StepRunner.describe(response, url: url)): the VCP's test CRD is not served after the restart (its storage was not kept)"
                    )
                default:
                    return record(
                        StepOutcome.failed,
                        error: "\(StepRunner.describe(response, url: url)) (expected 200 with the list)")
                }
            } catch {
                if Task.isCancelled { return record(StepOutcome.interrupted, error: "interrupted by a signal") }
                counts[error.outcomeClass, default: 0] += 1
                last = error.description
                switch error.kind {
                case .tls, .dns, .badRequest: return record(StepOutcome.failed, error: error.description)
                default: break
                }
            }
            let delay = c.backoff.delay(retry: attempts - 1, retryAfter: retryAfter)
            if ContinuousClock.now + delay >= deadline {
                return record(
                    StepOutcome.failed,
                    error: "\(last) (no 200 within \(Self.seconds(c.deadline)), \(attempts) attempts)")
            }
            do { try await Task.sleep(for: delay) } catch {
                return record(StepOutcome.interrupted, error: "interrupted by a signal")
            }
        }
    }

    /// `12.5s`.
    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return String(format: "%gs", s)
    }

    /// Every cluster's first request, `workers` at a time; returns the `first_request_summary` record.
    public func run() async -> FirstRequestSummaryRecord {
        let c = configuration
        let start = MonotonicClock.now()
        var results: [FirstRequestRecord] = []
        await withTaskGroup(of: FirstRequestRecord.self) { group in
            var next = 0
            func add() {
                guard next < c.clusters.count, !Task.isCancelled else { return }
                let cluster = c.clusters[next]
                next += 1
                group.addTask { await request(cluster) }
            }
            for _ in 0..<c.workers { add() }
            while let record = await group.next() {
                onRecord(record)
                results.append(record)
                add()
            }
        }
        let failed = results.filter { $0.outcome != StepOutcome.ok }
        let interrupted =
            Task.isCancelled || results.contains { $0.outcome == StepOutcome.interrupted }
            || results.count < c.clusters.count
        let end = results.map(\.endNs).max() ?? MonotonicClock.now()
        return FirstRequestSummaryRecord(
            clusters: c.clusters.count, ok: results.count - failed.count, failed: failed.count, workers: c.workers,
            startNs: start, endNs: end, interrupted: interrupted,
            firstError: failed.min { $0.endNs < $1.endNs }.flatMap { r in r.error.map { "\(r.cluster): \($0)" } })
    }
}
