import Foundation
import KPCore
import KPHTTP
import KPRecords

/// What a ``FleetBootstrapper`` creates and how patiently it waits.
public struct FleetConfiguration: Sendable {
    /// Server root URL without a trailing slash.
    public var baseURL: String
    /// The Fleet's name (cluster-scoped, at the root).
    public var name: String
    /// `spec.replicas`.
    public var replicas: Int
    /// `spec.namePrefix`; nil means the server's default `<name>-` (members then still follow it).
    public var namePrefix: String?
    /// `spec.names` (explicit member IDs; `replicas` must equal their count).
    public var names: [String]?
    /// Pause between polls of the Fleet.
    public var pollInterval: Duration
    /// How long the create (with its retries) plus the wait for readyReplicas may take.
    public var deadline: Duration
    /// Per-request timeout.
    public var requestTimeout: Duration
    /// Count 409 AlreadyExists from the create as success.
    public var allowExisting: Bool
    public var backoff: RetryBackoff

    public init(
        baseURL: String, name: String, replicas: Int, namePrefix: String? = nil, names: [String]? = nil,
        pollInterval: Duration = .milliseconds(200), deadline: Duration = .seconds(120),
        requestTimeout: Duration = .seconds(10),
        allowExisting: Bool = false, backoff: RetryBackoff = RetryBackoff()
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.name = name
        self.replicas = replicas
        self.namePrefix = namePrefix
        self.names = names
        self.pollInterval = pollInterval
        self.deadline = deadline
        self.requestTimeout = requestTimeout
        self.allowExisting = allowExisting
        self.backoff = backoff
    }

    /// The member IDs the server will use (contract §3.3): `names`, or `<prefix><%04d index>` with
    /// the prefix defaulting to `<name>-`.
    public var memberIDs: [String] {
        if let names { return names }
        let prefix = namePrefix ?? "\(name)-"
        return (0..<replicas).map { prefix + String(format: "%04d", $0) }
    }

    var collectionURL: String { "\(baseURL)/apis/kplane.dev/v1/fleets" }
    var objectURL: String { "\(collectionURL)/\(name)" }

    /// The Fleet object POSTed to the root.
    public var body: Data {
        var spec: [String: Any] = ["replicas": replicas]
        if let namePrefix { spec["namePrefix"] = namePrefix }
        if let names { spec["names"] = names }
        let object: [String: Any] = [
            "apiVersion": "kplane.dev/v1", "kind": "Fleet", "metadata": ["name": name], "spec": spec,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}

/// The Fleet half of `fleet-bootstrap` (contract §3.3): creates one Fleet at the root, then polls it
/// until `status.readyReplicas` equals `replicas`, reporting every member phase change it sees.
///
/// Answers are classified as ``StepRunner`` does: 429/5xx are retried after backoff, transport errors
/// within the deadline, 401 fails at once; the create fails on any other 4xx (409 only without
/// `allowExisting`); a poll's 404 (the create not visible yet) is "not yet". Phase transitions are
/// seen at poll resolution: a member that goes Pending → Ready between two polls shows as Ready first.
public struct FleetBootstrapper: Sendable {
    public let configuration: FleetConfiguration
    private let transport: any HTTPTransport
    private let onMember: @Sendable (FleetMemberRecord) -> Void

    public init(
        configuration: FleetConfiguration, transport: any HTTPTransport,
        onMember: @escaping @Sendable (FleetMemberRecord) -> Void
    ) {
        self.configuration = configuration
        self.transport = transport
        self.onMember = onMember
    }

    private struct FleetBody: Decodable {
        struct Status: Decodable {
            var observedGeneration: Int?
            var readyReplicas: Int?
            var members: [Member]?
        }
        struct Member: Decodable {
            var clusterID: String?
            var phase: String?
            var message: String?
        }
        struct Metadata: Decodable { var generation: Int? }
        var metadata: Metadata?
        var status: Status?
    }

    /// Creates the Fleet and waits; returns the `fleet_status` record (cancellation ends it as `interrupted`).
    public func run() async -> FleetStatusRecord {
        let c = configuration
        let startNs = MonotonicClock.now()
        let deadlineNs = startNs + RetryBackoff.ns(c.deadline)
        var requests = 0
        var counts: [String: Int] = [:]
        var createdNs: Int64?
        var readyNs: Int64?
        var readyReplicas = 0
        var observedGeneration: Int?
        var phases: [String: String] = [:]
        var transitions = 0
        var consecutiveBackoffs = 0
        var lastProblem = "no answer yet"
        var ambiguousCreate = false

        func finish(_ outcome: String, _ error: String?) -> FleetStatusRecord {
            FleetStatusRecord(
                fleet: c.name, replicas: c.replicas, namePrefix: c.namePrefix, names: c.names, startNs: startNs,
                endNs: MonotonicClock.now(),
                createdNs: createdNs, readyNs: readyNs, requests: requests, statusCounts: counts,
                readyReplicas: readyReplicas,
                observedGeneration: observedGeneration, transitions: transitions, outcome: outcome, error: error)
        }

        while true {
            if Task.isCancelled {
                return finish(StepOutcome.interrupted, "interrupted by a signal; last: \(lastProblem)")
            }
            let creating = createdNs == nil
            let remainingNs = max(deadlineNs - MonotonicClock.now(), 1_000_000)
            let timeout = Duration.nanoseconds(min(RetryBackoff.ns(c.requestTimeout), remainingNs))
            let accept = ("Accept", "application/json")
            let request =
                creating
                ? HTTPRequest(
                    method: "POST", url: c.collectionURL, headers: [accept, ("Content-Type", "application/json")],
                    body: c.body,
                    timeout: timeout)
                : HTTPRequest(url: c.objectURL, headers: [accept], timeout: timeout)
            requests += 1
            var delay = c.pollInterval
            do {
                let response = try await transport.send(request)
                let now = MonotonicClock.now()
                counts[String(response.status), default: 0] += 1
                lastProblem = StepRunner.describe(response, url: request.url)
                if response.status == 429 || response.status >= 500 {
                    delay = c.backoff.delay(retry: consecutiveBackoffs, retryAfter: response.headers["retry-after"])
                    consecutiveBackoffs += 1
                    if creating { ambiguousCreate = true }
                } else if response.status == 401 {
                    return finish(StepOutcome.failed, "\(lastProblem): the token was rejected; check the token file")
                } else if creating {
                    consecutiveBackoffs = 0
                    if response.status == 201 || (response.status == 409 && (c.allowExisting || ambiguousCreate)) {
                        createdNs = now
                        continue
                    }
                    if response.status == 409 {
                        return finish(
                            StepOutcome.failed,
                            "\(lastProblem): the Fleet exists already; pass --allow-existing or pick another --fleet name"
                        )
                    }
                    return finish(StepOutcome.failed, "\(lastProblem) (expected 201 Created)")
                } else if response.status == 200 {
                    consecutiveBackoffs = 0
                    if let fleet = try? JSONDecoder().decode(FleetBody.self, from: response.body) {
                        readyReplicas = fleet.status?.readyReplicas ?? 0
                        observedGeneration = fleet.status?.observedGeneration ?? observedGeneration
                        for member in fleet.status?.members ?? [] {
                            guard let id = member.clusterID else { continue }
                            let phase = member.phase ?? ""
                            let previous = phases[id]
                            if previous != phase {
                                phases[id] = phase
                                transitions += 1
                                onMember(
                                    FleetMemberRecord(
                                        fleet: c.name, cluster: id, phase: phase, previous: previous, tNs: now,
                                        message: member.message))
                            }
                        }
                        // A status written for an older generation (e.g. an existing Fleet with other replicas) does not count.
                        let current = fleet.metadata?.generation.map { fleet.status?.observedGeneration == $0 } ?? true
                        if readyReplicas == c.replicas && current {
                            readyNs = now
                            return finish(StepOutcome.ok, nil)
                        }
                        lastProblem = "status.readyReplicas \(readyReplicas) of \(c.replicas)"
                    } else {
                        lastProblem = "HTTP 200 from \(request.url) is not a Fleet JSON object"
                    }
                } else if response.status != 404 {
                    return finish(StepOutcome.failed, "\(lastProblem) (expected 200 with the Fleet)")
                }
            } catch {
                if Task.isCancelled {
                    return finish(StepOutcome.interrupted, "interrupted by a signal; last: \(lastProblem)")
                }
                counts[error.outcomeClass, default: 0] += 1
                lastProblem = error.description
                switch error.kind {
                case .tls, .dns, .badRequest: return finish(StepOutcome.failed, error.description)
                default: break
                }
                if creating {
                    ambiguousCreate = true
                    delay = c.backoff.delay(retry: consecutiveBackoffs, retryAfter: nil)
                    consecutiveBackoffs += 1
                }
            }
            if MonotonicClock.now() + RetryBackoff.ns(delay) >= deadlineNs {
                let goal = creating ? "Fleet created" : "status.readyReplicas = \(c.replicas)"
                return finish(
                    StepOutcome.timeout,
                    "\(goal) not reached within \(StepRunner.text(c.deadline)) (\(requests) requests); last: \(lastProblem)"
                )
            }
            do { try await Task.sleep(for: delay) } catch {
                return finish(StepOutcome.interrupted, "interrupted by a signal; last: \(lastProblem)")
            }
        }
    }
}

extension BootstrapSummaryRecord {
    /// This summary (of the members' steps) as fleet-bootstrap's: its span starts at the Fleet's
    /// create request, so its bootstrap time runs from the create through the Fleet wait to the last
    /// member's last step, the same span as a client-driven bootstrap's first request to last step.
    /// `stepsStartNs` keeps when the members' steps began.
    public func startingAtFleetCreate(_ status: FleetStatusRecord) -> BootstrapSummaryRecord {
        var summary = self
        summary.stepsStartNs = stepsStartNs ?? startNs
        summary.startNs = min(status.startNs, startNs)
        summary.fleet = status.fleet
        return summary
    }
}
