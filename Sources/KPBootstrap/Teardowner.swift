import Foundation
import KPCore
import KPHTTP
import KPRecords

/// The etcd a run controls: the v3 JSON gateway URL and the run's key prefix.
public struct TeardownEtcd: Sendable {
    /// `http://host:port` of one etcd member (its v3 JSON gateway).
    public var endpoint: String
    /// The run's unique key prefix; only keys under it are touched.
    public var prefix: String

    /// `prefix` gets a trailing `/` so that a run's prefix never matches another run's longer one.
    public init(endpoint: String, prefix: String) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }
}

/// What a ``Teardowner`` deletes and how.
public struct TeardownConfiguration: Sendable {
    /// Server root URL without a trailing slash.
    public var baseURL: String
    public var clusters: [String]
    public var workers: Int
    public var requestTimeout: Duration
    /// Attempts per request when the answer is 429, 5xx or a transport error.
    public var attempts: Int
    public var backoff: RetryBackoff
    /// The run's etcd, or nil when the run does not control it (then `etcdSkippedReason` says why).
    public var etcd: TeardownEtcd?
    public var etcdSkippedReason: String?
    /// Test CRDs each cluster got (`--crds-per-cluster`): the CRD step deletes ``TestCRD``'s 0..<K.
    public var crdsPerCluster = 1

    public init(
        baseURL: String, clusters: [String], workers: Int = 12, requestTimeout: Duration = .seconds(10),
        attempts: Int = 5,
        backoff: RetryBackoff = RetryBackoff(), etcd: TeardownEtcd? = nil, etcdSkippedReason: String? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clusters = clusters
        self.workers = workers
        self.requestTimeout = requestTimeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.etcd = etcd
        self.etcdSkippedReason = etcdSkippedReason
    }

    /// `B = <url>/clusters/<cid>/control-plane`.
    public func clusterBase(_ cluster: String) -> String { "\(baseURL)/clusters/\(cluster)/control-plane" }
}

/// The `teardown` scenario's delete half (contract §3.5): per cluster, through the API, every test
/// object (`memwidgets` in namespace default) and then the test CRD; then, when the run controls etcd,
/// every key under the run's prefix that contains `/clusters/<cid>/`, as controlplane-operator deletes
/// a VCP's data (keys listed keys-only over the prefix with `POST /v3/kv/range`, each deleted with
/// `POST /v3/kv/deleterange`, over etcd's v3 JSON gateway).
///
/// A 404 from a list or delete counts as already gone (ok, nothing deleted). 429, 5xx and transport
/// errors are retried after backoff up to `attempts` times; anything else fails the step. A failed API
/// step does not stop the cluster's later steps: each deletes what it can.
public struct Teardowner: Sendable {
    public static let apiObjects = "api_objects"
    public static let apiCRD = "api_crd"
    public static let etcdKeys = "etcd_keys"

    public let configuration: TeardownConfiguration
    private let transport: any HTTPTransport
    private let etcdTransport: (any HTTPTransport)?
    private let onStep: @Sendable (TeardownStepRecord) -> Void

    /// `etcdTransport` carries the etcd calls (no bearer token); nil skips them like a nil `configuration.etcd`.
    public init(
        configuration: TeardownConfiguration, transport: any HTTPTransport, etcdTransport: (any HTTPTransport)?,
        onStep: @escaping @Sendable (TeardownStepRecord) -> Void
    ) {
        self.configuration = configuration
        self.transport = transport
        self.etcdTransport = etcdTransport
        self.onStep = onStep
    }

    private struct Failure: Error { var message: String }

    /// One step's bookkeeping.
    private struct StepState {
        var counts: [String: Int] = [:]
    }

    /// Sends with retries; returns the final answer (any status the caller must judge).
    private func send(_ request: HTTPRequest, via transport: any HTTPTransport, _ state: inout StepState) async throws
        -> HTTPResponse
    {
        var attempt = 0
        var last = "no answer"
        while true {
            if Task.isCancelled { throw CancellationError() }
            attempt += 1
            var delay: Duration?
            do {
                let response = try await transport.send(request)
                state.counts[String(response.status), default: 0] += 1
                if response.status == 429 || response.status >= 500 {
                    last = StepRunner.describe(response, url: request.url)
                    delay = configuration.backoff.delay(retry: attempt - 1, retryAfter: response.headers["retry-after"])
                } else {
                    return response
                }
            } catch {
                if Task.isCancelled { throw CancellationError() }
                state.counts[error.outcomeClass, default: 0] += 1
                last = error.description
                switch error.kind {
                case .tls, .dns, .badRequest: throw Failure(message: error.description)
                default: delay = configuration.backoff.delay(retry: attempt - 1, retryAfter: nil)
                }
            }
            if attempt >= configuration.attempts { throw Failure(message: "\(last) (after \(attempt) attempts)") }
            if let delay { try await Task.sleep(for: delay) }
        }
    }

    private func jsonRequest(_ method: String, _ url: String, body: Data? = nil) -> HTTPRequest {
        var headers = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method, url: url, headers: headers, body: body, timeout: configuration.requestTimeout)
    }

    private struct ObjectList: Decodable {
        struct Item: Decodable {
            struct Metadata: Decodable { var name: String? }
            var metadata: Metadata?
        }
        var items: [Item]?
    }

    /// Runs `body` as one step and reports it.
    private func step(
        _ cluster: String, _ name: String,
        _ body: (inout StepState) async throws -> (objects: Int?, keys: Int?)
    ) async -> TeardownStepRecord {
        let start = MonotonicClock.now()
        var state = StepState()
        var outcome = StepOutcome.ok
        var problem: String?
        var objects: Int?
        var keys: Int?
        do {
            (objects, keys) = try await body(&state)
        } catch let failure as Failure {
            outcome = StepOutcome.failed
            problem = failure.message
        } catch {
            outcome = StepOutcome.interrupted
            problem = "interrupted by a signal"
        }
        let record = TeardownStepRecord(
            cluster: cluster, step: name, outcome: outcome, startNs: start, endNs: MonotonicClock.now(),
            keysDeleted: keys,
            objectsDeleted: objects, statusCounts: state.counts, error: problem)
        onStep(record)
        return record
    }

    private func deleteObjects(_ cluster: String, _ state: inout StepState) async throws -> Int {
        let collection =
            "\(configuration.clusterBase(cluster))/apis/\(TestCRD.group(for: cluster))/\(TestCRD.version)/namespaces/default/\(TestCRD.plural)"
        let list = try await send(jsonRequest("GET", collection), via: transport, &state)
        if list.status == 404 { return 0 }
        guard list.status == 200 else {
            throw Failure(message: "\(StepRunner.describe(list, url: collection)) (expected 200 with the list)")
        }
        guard let decoded = try? JSONDecoder().decode(ObjectList.self, from: list.body) else {
            throw Failure(message: "HTTP 200 from \(collection) is not a list")
        }
        var deleted = 0
        for name in (decoded.items ?? []).compactMap({ $0.metadata?.name }) {
            if try await delete("\(collection)/\(name)", &state) { deleted += 1 }
        }
        return deleted
    }

    /// DELETEs `url`: true when the server deleted it (200, 202), false when it was gone already
    /// (404); any other answer fails the step.
    private func delete(_ url: String, _ state: inout StepState) async throws -> Bool {
        let response = try await send(jsonRequest("DELETE", url), via: transport, &state)
        switch response.status {
        case 200, 202: return true
        case 404: return false
        default: throw Failure(message: "\(StepRunner.describe(response, url: url)) (expected 200 or 202)")
        }
    }

    private func deleteCRD(_ cluster: String, _ state: inout StepState) async throws -> Int {
        var deleted = 0
        for index in 0..<max(1, configuration.crdsPerCluster) {
            let url =
                "\(configuration.clusterBase(cluster))/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(TestCRD.name(for: cluster, index: index))"
            if try await delete(url, &state) { deleted += 1 }
        }
        return deleted
    }

    private struct RangeAnswer: Decodable {
        struct KV: Decodable { var key: String? }
        var kvs: [KV]?
    }
    private struct DeleteAnswer: Decodable { var deleted: String? }

    /// The byte string just past every key that starts with `prefix` (etcd's `range_end` for a prefix).
    static func prefixEnd(_ prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])  // every key
    }

    /// The cluster a key belongs to: the path segment after the first `/clusters/` past the prefix.
    static func cluster(ofKey key: String, prefix: String) -> String? {
        let rest = "/" + (key.hasPrefix(prefix) ? key.dropFirst(prefix.count) : Substring(key))
        guard let marker = rest.range(of: "/clusters/") else { return nil }
        let after = rest[marker.upperBound...]
        guard let slash = after.firstIndex(of: "/") else { return nil }
        return String(after[..<slash])
    }

    private func etcdCall(
        _ etcd: TeardownEtcd, via transport: any HTTPTransport, _ path: String, _ body: [String: Any],
        _ state: inout StepState
    ) async throws -> Data {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        let url = etcd.endpoint + path
        let response = try await send(jsonRequest("POST", url, body: data), via: transport, &state)
        guard response.status == 200 else {
            throw Failure(message: "\(StepRunner.describe(response, url: url)) (expected 200)")
        }
        return response.body
    }

    /// Every key under the run's prefix, grouped by the cluster its path names.
    private func listKeys(_ etcd: TeardownEtcd, via transport: any HTTPTransport, _ state: inout StepState) async throws
        -> [String: [Data]]
    {
        let body: [String: Any] = [
            "key": Data(etcd.prefix.utf8).base64EncodedString(),
            "range_end": Self.prefixEnd(etcd.prefix).base64EncodedString(),
            "keys_only": true,
        ]
        let answer = try await etcdCall(etcd, via: transport, "/v3/kv/range", body, &state)
        guard let decoded = try? JSONDecoder().decode(RangeAnswer.self, from: answer) else {
            throw Failure(message: "etcd \(etcd.endpoint)/v3/kv/range answered a body that is not a range response")
        }
        var byCluster: [String: [Data]] = [:]
        for kv in decoded.kvs ?? [] {
            guard let b64 = kv.key, let raw = Data(base64Encoded: b64) else { continue }
            let key = String(decoding: raw, as: UTF8.self)
            if let cluster = Self.cluster(ofKey: key, prefix: etcd.prefix) {
                byCluster[cluster, default: []].append(raw)
            }
        }
        return byCluster
    }

    private func deleteKeys(
        _ keys: [Data], _ etcd: TeardownEtcd, via transport: any HTTPTransport, _ state: inout StepState
    ) async throws -> Int {
        var deleted = 0
        for key in keys {
            let answer = try await etcdCall(
                etcd, via: transport, "/v3/kv/deleterange", ["key": key.base64EncodedString()], &state)
            deleted += Int((try? JSONDecoder().decode(DeleteAnswer.self, from: answer))?.deleted ?? "0") ?? 0
        }
        return deleted
    }

    /// Tears every cluster down; returns the `teardown_summary` record.
    public func run() async -> TeardownSummaryRecord {
        let c = configuration
        let start = MonotonicClock.now()
        var listed: [String: [Data]]?
        var listError: String?
        var listCounts: [String: Int] = [:]
        if let etcd = c.etcd, let etcdTransport {
            var state = StepState()
            do { listed = try await listKeys(etcd, via: etcdTransport, &state) } catch let failure as Failure {
                listError = "listing \(etcd.prefix) failed: \(failure.message)"
            } catch {
                listError = "interrupted by a signal"
            }
            listCounts = state.counts
        }
        let keysByCluster = listed
        let firstListError = listError
        let firstListCounts = listCounts

        var results: [[TeardownStepRecord]] = []
        await withTaskGroup(of: [TeardownStepRecord].self) { group in
            var next = 0
            func add() {
                guard next < c.clusters.count, !Task.isCancelled else { return }
                let cluster = c.clusters[next]
                let isFirst = next == 0
                next += 1
                group.addTask {
                    var records: [TeardownStepRecord] = []
                    records.append(
                        await step(cluster, Self.apiObjects) { s in (try await deleteObjects(cluster, &s), nil) })
                    records.append(await step(cluster, Self.apiCRD) { s in (try await deleteCRD(cluster, &s), nil) })
                    if let etcd = c.etcd, let etcdTransport {
                        records.append(
                            await step(cluster, Self.etcdKeys) { s in
                                if isFirst { s.counts.merge(firstListCounts, uniquingKeysWith: +) }
                                if let firstListError { throw Failure(message: firstListError) }
                                return (
                                    nil,
                                    try await deleteKeys(keysByCluster?[cluster] ?? [], etcd, via: etcdTransport, &s)
                                )
                            })
                    }
                    return records
                }
            }
            for _ in 0..<max(1, c.workers) { add() }
            while let records = await group.next() {
                results.append(records)
                add()
            }
        }
        let all = results.flatMap { $0 }
        let failed = results.filter { $0.contains { $0.outcome != StepOutcome.ok } }.count
        let interrupted =
            Task.isCancelled || all.contains { $0.outcome == StepOutcome.interrupted }
            || results.count < c.clusters.count
        return TeardownSummaryRecord(
            clusters: c.clusters.count, ok: results.count - failed, failed: failed,
            keysDeleted: all.reduce(0) { $0 + ($1.keysDeleted ?? 0) },
            objectsDeleted: all.reduce(0) { $0 + ($1.objectsDeleted ?? 0) },
            etcd: c.etcd != nil && etcdTransport != nil ? "deleted" : "skipped",
            skippedReason: c.etcd != nil && etcdTransport != nil
                ? nil : (c.etcdSkippedReason ?? "etcd not controlled by this run"),
            startNs: start, endNs: MonotonicClock.now(), interrupted: interrupted)
    }
}
