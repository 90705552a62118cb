import Foundation
import KPCore
import KPHTTP
import KPRecords

/// Runs one ``BootstrapStep`` of one cluster to its end: polls, retries and deadline included.
///
/// Every answer is classified once:
/// - the step's success condition → `ok`;
/// - `429` or `5xx` → retried after ``RetryBackoff`` (counted in `retries` and `retries_by_status`);
/// - `401` → `failed` at once (the token was rejected; polling cannot fix that);
/// - a transport error (refused, reset, timeout) → retried within the deadline: after the poll
///   interval for the polling steps, after backoff for the create; TLS, DNS and malformed-request
///   errors fail at once because retrying cannot fix them;
/// - anything else is step-specific: the polling steps keep polling ("not yet", e.g. the 404 of a
///   namespace or CRD that does not exist yet), the create fails on any other 4xx.
/// When the next attempt would begin after the step's deadline, the step ends as `timeout`, naming
/// the last answer. Task cancellation (a signal) ends it as `interrupted`.
struct StepRunner: Sendable {
    let configuration: BootstrapConfiguration
    let transport: any HTTPTransport

    /// What one step produced: its record plus counts the summary needs.
    struct Result: Sendable {
        var record: BootstrapStepRecord
        var retriesByStatus: [String: Int]
        var ok: Bool { record.outcome == StepOutcome.ok }
    }

    enum Verdict {
        case done
        /// The create found the CRD already there and `--allow-existing` counts that as created.
        case existed
        case notYet(String)
        case fail(String)
    }

    /// - Parameter crd: which of the cluster's test CRDs the CRD steps are about (``TestCRD``'s index);
    ///   its name goes into the record when the run makes more than one per cluster.
    func run(_ step: BootstrapStep, cluster: String, crd: Int = 0, createAttemptedAmbiguously: Bool = false) async
        -> Result
    {
        let timing = configuration.timing(step)
        let startNs = MonotonicClock.now()
        let deadlineNs = startNs + RetryBackoff.ns(timing.deadline)
        var attempts = 0
        var retries = 0
        var consecutiveBackoffs = 0
        var counts: [String: Int] = [:]
        var retriesByStatus: [String: Int] = [:]
        var lastProblem = "no answer yet"
        var ambiguousCreate = createAttemptedAmbiguously

        func finish(_ outcome: String, _ error: String?, existed: Bool = false) -> Result {
            Result(
                record: BootstrapStepRecord(
                    cluster: cluster, step: step.rawValue, startNs: startNs, endNs: MonotonicClock.now(),
                    attempts: attempts, outcome: outcome, statusCounts: counts, retries: retries, error: error,
                    existed: existed ? true : nil,
                    crd: configuration.crdsPerCluster > 1 && step.isCRDStep
                        ? TestCRD.name(for: cluster, index: crd) : nil),
                retriesByStatus: retriesByStatus)
        }

        while true {
            if Task.isCancelled {
                return finish(
                    StepOutcome.interrupted, "interrupted by a signal after \(attempts) attempts; last: \(lastProblem)")
            }
            attempts += 1
            let remainingNs = max(deadlineNs - MonotonicClock.now(), 1_000_000)
            let timeout = Duration.nanoseconds(min(RetryBackoff.ns(timing.requestTimeout), remainingNs))
            let request = self.request(step, cluster: cluster, crd: crd, timeout: timeout)
            let delay: Duration
            do {
                let response = try await transport.send(request)
                counts[String(response.status), default: 0] += 1
                if response.status == 429 || response.status >= 500 {
                    retries += 1
                    retriesByStatus[String(response.status), default: 0] += 1
                    delay = configuration.backoff.delay(
                        retry: consecutiveBackoffs, retryAfter: response.headers["retry-after"])
                    consecutiveBackoffs += 1
                    lastProblem = Self.describe(response, url: request.url)
                    if step == .crdCreate { ambiguousCreate = true }
                } else if response.status == 401 {
                    return finish(
                        StepOutcome.failed,
                        "\(Self.describe(response, url: request.url)): the token was rejected; check the token file")
                } else {
                    consecutiveBackoffs = 0
                    switch classify(step, response: response, url: request.url, ambiguousCreate: ambiguousCreate) {
                    case .done: return finish(StepOutcome.ok, nil)
                    case .existed: return finish(StepOutcome.ok, nil, existed: true)
                    case .fail(let message): return finish(StepOutcome.failed, message)
                    case .notYet(let message):
                        lastProblem = message
                        delay = timing.interval
                    }
                }
            } catch {
                if Task.isCancelled {
                    // Our own cancellation aborted the transfer: not an answer from the server.
                    return finish(
                        StepOutcome.interrupted,
                        "interrupted by a signal after \(attempts) attempts; last: \(lastProblem)")
                }
                counts[error.outcomeClass, default: 0] += 1
                lastProblem = error.description
                switch error.kind {
                case .tls, .dns, .badRequest:
                    return finish(StepOutcome.failed, error.description)
                default: break
                }
                if step == .crdCreate {
                    // The create may have reached the server; a later 409 is then our own object.
                    ambiguousCreate = true
                    delay = configuration.backoff.delay(retry: consecutiveBackoffs, retryAfter: nil)
                    consecutiveBackoffs += 1
                } else {
                    delay = timing.interval
                }
            }
            if MonotonicClock.now() + RetryBackoff.ns(delay) >= deadlineNs {
                return finish(
                    StepOutcome.timeout,
                    "\(Self.goal(step)) not reached within \(Self.text(timing.deadline)) (\(attempts) attempts); last: \(lastProblem)"
                )
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                return finish(
                    StepOutcome.interrupted, "interrupted by a signal after \(attempts) attempts; last: \(lastProblem)")
            }
        }
    }

    func request(_ step: BootstrapStep, cluster: String, crd: Int = 0, timeout: Duration) -> HTTPRequest {
        let b = configuration.clusterBase(cluster)
        let accept = ("Accept", "application/json")
        switch step {
        case .readyz:
            return HTTPRequest(url: "\(b)/readyz", headers: [accept], timeout: timeout)
        case .namespace:
            return HTTPRequest(url: "\(b)/api/v1/namespaces/default", headers: [accept], timeout: timeout)
        case .crdCreate:
            return HTTPRequest(
                method: "POST", url: "\(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                headers: [accept, ("Content-Type", "application/json")], body: TestCRD.body(for: cluster, index: crd),
                timeout: timeout)
        case .crdEstablished:
            return HTTPRequest(
                url:
                    "\(b)/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(TestCRD.name(for: cluster, index: crd))",
                headers: [accept], timeout: timeout)
        case .discovery:
            return HTTPRequest(
                url: "\(b)/apis/\(TestCRD.group(for: cluster, index: crd))/\(TestCRD.version)", headers: [accept],
                timeout: timeout)
        }
    }

    /// The step-specific reading of an answer that is not 401, 429 or 5xx.
    func classify(_ step: BootstrapStep, response: HTTPResponse, url: String, ambiguousCreate: Bool) -> Verdict {
        let status = response.status
        switch step {
        case .readyz, .namespace:
            return status == 200 ? .done : .notYet(Self.describe(response, url: url))
        case .crdCreate:
            if status == 201 { return .done }
            if status == 409 {
                if ambiguousCreate { return .done }  // an earlier attempt of ours timed out or got 5xx, then landed
                if configuration.allowExisting { return .existed }
                return .fail(
                    "\(Self.describe(response, url: url)): the CRD exists already; pass --allow-existing to reuse clusters of an earlier run, or pick fresh names"
                )
            }
            return .fail("\(Self.describe(response, url: url)) (expected 201 Created)")
        case .crdEstablished:
            guard status == 200 else { return .notYet(Self.describe(response, url: url)) }
            guard let crd = try? JSONDecoder().decode(CRDStatusBody.self, from: response.body) else {
                return .notYet("HTTP 200 from \(url) is not a CustomResourceDefinition JSON object")
            }
            let conditions = crd.status?.conditions ?? []
            if conditions.contains(where: { $0.type == "Established" && $0.status == "True" }) { return .done }
            let seen = conditions.map { "\($0.type ?? "?")=\($0.status ?? "?")" }.joined(separator: ",")
            return .notYet("CRD not Established yet (conditions: \(seen.isEmpty ? "none" : seen))")
        case .discovery:
            guard status == 200 else {
                // 404: the group/version is not served yet. Other answers: retried as client-go's
                // waitForResourcePresence does ("non-404 errors retried").
                return .notYet(Self.describe(response, url: url))
            }
            guard let list = try? JSONDecoder().decode(APIResourceListBody.self, from: response.body) else {
                return .notYet("HTTP 200 from \(url) is not an APIResourceList")
            }
            if list.resources?.contains(where: { $0.name == TestCRD.plural }) == true { return .done }
            return .notYet("APIResourceList from \(url) does not list \(TestCRD.plural) yet")
        }
    }

    static func goal(_ step: BootstrapStep) -> String {
        switch step {
        case .readyz: "readyz 200"
        case .namespace: "namespace default"
        case .crdCreate: "CRD created"
        case .crdEstablished: "CRD Established=True"
        case .discovery: "\(TestCRD.plural) in discovery"
        }
    }

    static func describe(_ response: HTTPResponse, url: String) -> String {
        var s = "HTTP \(response.status)"
        if let ks = response.kubernetesStatus {
            if let reason = ks.reason, !reason.isEmpty { s += " \(reason)" }
            if let message = ks.message, !message.isEmpty { s += ": \(message)" }
        }
        return "\(s) from \(url)"
    }

    static func text(_ d: Duration) -> String {
        let ns = RetryBackoff.ns(d)
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        return String(format: "%.3fs", Double(ns) / 1e9)
    }
}

/// Values of `bootstrap_step.outcome`.
public enum StepOutcome {
    public static let ok = "ok"
    /// A non-retryable answer (e.g. 401, 409 without `--allow-existing`, 422).
    public static let failed = "failed"
    /// The deadline passed before the step's condition held.
    public static let timeout = "timeout"
    /// A signal stopped the run while the step was in flight; the record keeps what was measured.
    public static let interrupted = "interrupted"
}

private struct CRDStatusBody: Decodable {
    struct Status: Decodable { var conditions: [Condition]? }
    struct Condition: Decodable {
        var type: String?
        var status: String?
    }
    var status: Status?
}

private struct APIResourceListBody: Decodable {
    struct Resource: Decodable { var name: String }
    var resources: [Resource]?
}
