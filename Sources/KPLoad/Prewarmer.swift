import Foundation
import KPCore
import KPHTTP

/// Creates the objects kp-load reads and writes: `objectsPerCluster` TestWidgets per hot cluster.
///
/// A create answered 409 AlreadyExists (an earlier kp-load on the same server) is turned into a
/// Get + Update, so the object still gets this run's payload size. The size of the object the
/// server returned is what `load_final.stored_object_bytes` reports: proof the payload was
/// stored, not pruned.
public struct Prewarmer: Sendable {
    public let catalog: ObjectCatalog
    public let transport: any LoadTransport
    /// Creates in flight at once.
    public let concurrency: Int

    public init(catalog: ObjectCatalog, transport: any LoadTransport, concurrency: Int = 32) {
        self.catalog = catalog
        self.transport = transport
        self.concurrency = max(1, concurrency)
    }

    /// Creates (or refreshes) every object; returns the largest stored object size, bytes.
    ///
    /// - Throws: ``KPCore/ToolFailure`` naming the first object that could not be written and why
    ///   (exit 11 when the server did not answer, 12 when it answered with an error), or
    ///   `CancellationError` when the task was cancelled (a signal).
    public func run() async throws -> Int64 {
        var jobs: [(Int, Int)] = []
        for c in catalog.clusters.indices {
            for o in 0..<catalog.objectsPerCluster { jobs.append((c, o)) }
        }
        var stored: Int64 = 0
        try await withThrowingTaskGroup(of: Int64.self) { group in
            var next = 0
            while next < min(concurrency, jobs.count) {
                let (c, o) = jobs[next]
                group.addTask { try await self.prewarm(cluster: c, object: o) }
                next += 1
            }
            while let size = try await group.next() {
                stored = max(stored, size)
                try Task.checkCancellation()
                if next < jobs.count {
                    let (c, o) = jobs[next]
                    group.addTask { try await self.prewarm(cluster: c, object: o) }
                    next += 1
                }
            }
        }
        return stored
    }

    private func prewarm(cluster c: Int, object o: Int) async throws -> Int64 {
        let name = "\(catalog.clusters[c])/\(ObjectCatalog.objectName(o))"
        let json = [("Accept", "application/json"), ("Content-Type", "application/json")]
        let create = HTTPRequest(
            method: "POST", url: catalog.collectionURL(cluster: c), headers: json,
            body: catalog.body(cluster: c, object: o, resourceVersion: nil, version: 0))
        let created = try await send(create, what: "create \(name)")
        if created.isSuccess { return Int64(created.body.count) }
        guard created.status == 409 else { throw failure(created, what: "create \(name)") }
        // Left by an earlier run (or written by another kp-load right now): overwrite it with this
        // run's payload; a 409 Conflict means someone updated it between our Get and Update, so re-Get.
        var attempt = 0
        while true {
            attempt += 1
            let got = try await send(
                HTTPRequest(
                    method: "GET", url: catalog.objectURL(cluster: c, object: o),
                    headers: [("Accept", "application/json")]),
                what: "get \(name)")
            guard got.isSuccess else { throw failure(got, what: "get \(name)") }
            guard let rv = ObjectCatalog.resourceVersion(in: got.body) else {
                throw ToolFailure(
                    "pre-warm: the server's answer for \(name) has no metadata.resourceVersion", exitCode: .targetErrors
                )
            }
            let update = HTTPRequest(
                method: "PUT", url: catalog.objectURL(cluster: c, object: o), headers: json,
                body: catalog.body(cluster: c, object: o, resourceVersion: rv, version: 0))
            let updated = try await send(update, what: "update \(name)")
            if updated.isSuccess { return Int64(updated.body.count) }
            guard updated.status == 409, attempt < Self.conflictAttempts else {
                throw failure(updated, what: "update \(name)")
            }
        }
    }

    /// Get + Update attempts on an existing object before a 409 Conflict fails the pre-warm.
    static let conflictAttempts = 20

    private func send(_ request: HTTPRequest, what: String) async throws -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch {
            throw ToolFailure("pre-warm: \(what): \(error)", exitCode: .targetUnreachable)
        }
    }

    private func failure(_ r: HTTPResponse, what: String) -> ToolFailure {
        let ks = r.kubernetesStatus
        var why = "HTTP \(r.status)"
        if let reason = ks?.reason { why += " \(reason)" }
        if let message = ks?.message, !message.isEmpty { why += ": \(message)" }
        let hint =
            r.status == 404
            ? " (is the memwidgets CRD there? run kp-bootstrap on these clusters first, or pass --bootstrap)" : ""
        return ToolFailure("pre-warm: \(what): \(why)\(hint)", exitCode: .targetErrors)
    }
}
