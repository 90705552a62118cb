import Foundation
import Synchronization

/// Where an object lives inside a VCP: its namespace ("" for cluster-scoped objects) and name.
public struct ObjectKey: Hashable, Sendable, Comparable {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// A stored object: its JSON and the resource version it was last written at.
public struct StoredObject: Sendable {
    public var value: JSONValue
    public var resourceVersion: UInt64
    /// Bytes of its JSON encoding (what the allocation tracker charges for it).
    public var size: Int
}

/// One watch event as sent on the wire (`{"type":…,"object":…}`).
public struct WatchEvent: Sendable {
    public var type: String
    public var object: JSONValue
    public var key: ObjectKey
    public var resourceVersion: UInt64
}

/// What a watch or list selects inside one VCP and resource.
struct Selection: Sendable {
    var namespace: String?
    var name: String?
    var labels: LabelSelector?

    func matches(_ key: ObjectKey, _ object: JSONValue) -> Bool {
        if let namespace, !namespace.isEmpty, key.namespace != namespace { return false }
        if let name, key.name != name { return false }
        if let labels, !labels.matches(object["metadata"]?["labels"]?.objectValue ?? [:]) { return false }
        return true
    }
}

/// Writes objects through to a backing store (etcd) after they are committed in memory, and reads a
/// VCP's objects back on its first request after a restart.
public protocol ObjectPersistence: Sendable {
    func put(key: String, value: [UInt8]) async throws
    func delete(key: String) async throws
    /// Every key under `prefix` with its value.
    func range(prefix: String) async throws -> [(key: String, value: [UInt8])]
}

/// The emulator's storage: every VCP's objects, one global resource-version counter, watchers and
/// a bounded per-resource-type event history for watch resumption, shared by all VCPs as kplane's
/// one watch cache per resource type is (contract §8.2): writes in one VCP age out another VCP's
/// events, and a watch from a version older than the kept history gets 410 Expired.
///
/// Objects live in memory; with `--etcd-servers` each write is also put to etcd under the key
/// layout of kplane (`<prefix>/<group?>/<resource>/clusters/<cid>/[<ns>/]<name>`) before the
/// request completes, and a VCP's objects are read back from etcd lazily, on the VCP's first request
/// (``restore(cluster:)``): a restarted kp-sim holds no VCP until one is asked for (contract §3.1).
public final class ObjectStore: Sendable {
    /// What a mutation decides to do with the object it saw.
    enum Action {
        case put(JSONValue)
        case delete
        case none
    }

    struct History {
        /// Events of every VCP, oldest first (from `start`); each names its VCP.
        var events: [(cluster: String, event: WatchEvent)] = []
        var start = 0
        /// Highest resource version no longer in `events` (watch from below it → 410 Gone).
        var evictedThrough: UInt64 = 0
        /// Events recorded (`apiserver_watch_cache_events_received_total`) and events handed to
        /// watchers, informers included (`apiserver_watch_cache_events_dispatched_total`).
        var received = 0
        var dispatched = 0
    }

    struct Watcher {
        var cluster: String
        var resource: GroupResource
        var selection: Selection
        var continuation: AsyncStream<WatchEvent>.Continuation
        /// An informer's watch (not a client's): not counted in ``watchCount``.
        var isInformer = false
    }

    struct ClusterState {
        var collections: [GroupResource: [ObjectKey: StoredObject]] = [:]
    }

    struct State {
        var resourceVersion: UInt64 = 1
        var clusters: [String: ClusterState] = [:]
        /// One bounded history per resource type, for all VCPs (the watch cache of contract §8.2).
        var history: [GroupResource: History] = [:]
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var objectCount = 0
        var objectBytes = 0
        /// The shared stores made so far: one per resource type, for all VCPs, on the type's first use
        /// by any VCP (kplane's lazily ensured shared store, `mc_storage_ensure_store_total`).
        var stores: Set<GroupResource> = []
        /// Durations of the etcd writes, by operation and resource type (`etcd_request_duration_seconds`).
        var etcdDurations: [EtcdOperation: BucketCounts] = [:]
    }

    /// One kind of etcd request: its `operation` (`create`, `update`, `delete`) and `type` labels.
    struct EtcdOperation: Hashable {
        var operation: String
        var type: String
    }

    private let state = Mutex(State())
    private let historyLimit: Int
    private let allocations: AllocationTracker
    private let persistence: (any ObjectPersistence)?
    private let etcdPrefix: String

    /// Creates a store.
    public init(
        historyLimit: Int, allocations: AllocationTracker, persistence: (any ObjectPersistence)?, etcdPrefix: String
    ) {
        self.historyLimit = historyLimit
        self.allocations = allocations
        self.persistence = persistence
        self.etcdPrefix = etcdPrefix
    }

    /// The current global resource version.
    public var currentResourceVersion: UInt64 { self.state.withLock { $0.resourceVersion } }

    /// Number of stored objects and the bytes of their JSON encodings.
    public var totals: (objects: Int, bytes: Int) { self.state.withLock { ($0.objectCount, $0.objectBytes) } }

    /// Number of open watches.
    public var watchCount: Int { self.state.withLock { $0.watchers.values.count { !$0.isInformer } } }

    /// The shared stores made so far, one per resource type (never per VCP).
    public var stores: Set<GroupResource> { self.state.withLock { $0.stores } }

    /// A resource type's storage prefix as upstream's registry names it: `/configmaps`,
    /// `/apiextensions.k8s.io/customresourcedefinitions`.
    static func resourcePrefix(_ resource: GroupResource) -> String {
        resource.group.isEmpty ? "/\(resource.resource)" : "/\(resource.group)/\(resource.resource)"
    }

    /// Per resource type: watch-cache events recorded and dispatched to watchers, and the kept history's capacity.
    var watchCacheCounts: [(resource: GroupResource, received: Int, dispatched: Int)] {
        self.state.withLock { state in
            state.history.sorted { $0.key < $1.key }.map { ($0.key, $0.value.received, $0.value.dispatched) }
        }
    }

    /// The capacity of each resource type's kept history (`--sim-watch-history`).
    var watchCacheCapacity: Int { self.historyLimit }

    /// Durations of the etcd writes so far, by operation and resource type.
    var etcdDurations: [EtcdOperation: BucketCounts] { self.state.withLock { $0.etcdDurations } }

    /// The etcd key of an object (contract §8.2).
    public func etcdKey(cluster: String, resource: GroupResource, key: ObjectKey) -> String {
        var parts = [self.etcdPrefix]
        if !resource.group.isEmpty { parts.append(resource.group) }
        parts.append(resource.resource)
        parts.append("clusters")
        parts.append(cluster)
        if !key.namespace.isEmpty { parts.append(key.namespace) }
        parts.append(key.name)
        return parts.joined(separator: "/")
    }

    /// Sets the global resource version to at least `version` (at start with etcd: its revision, which
    /// is at least the number of writes any earlier kp-sim made under the prefix, so versions only grow).
    public func advanceResourceVersion(to version: UInt64) {
        self.state.withLock { $0.resourceVersion = max($0.resourceVersion, version) }
    }

    /// True when the store writes through to etcd (and restores VCPs from it).
    public var isPersistent: Bool { self.persistence != nil }

    /// Reads `cluster`'s objects back from etcd into memory: its namespaces, configmaps and CRDs, then
    /// the custom resources of every CRD found (one range read per resource type). Objects already in
    /// memory are kept as they are; restored objects make no watch events (they are not changes).
    /// Does nothing without etcd.
    ///
    /// - Returns: the number of objects restored.
    @discardableResult
    public func restore(cluster: String) async throws -> Int {
        guard let persistence = self.persistence else { return 0 }
        var restored = 0
        var types: [GroupResource] = [.namespaces, .configmaps, .crds]
        var seen = Set(types)
        var index = 0
        while index < types.count {
            let resource = types[index]
            index += 1
            let prefix = self.etcdKey(cluster: cluster, resource: resource, key: ObjectKey(namespace: "", name: ""))
            var objects: [(ObjectKey, JSONValue)] = []
            for (key, value) in try await persistence.range(prefix: prefix) {
                let parts = key.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 1 || parts.count == 2, !parts.contains(where: \.isEmpty) else { continue }
                let objectKey =
                    parts.count == 2
                    ? ObjectKey(namespace: String(parts[0]), name: String(parts[1]))
                    : ObjectKey(namespace: "", name: String(parts[0]))
                objects.append((objectKey, try JSONValue.parse(value)))
                if resource == .crds {
                    for crd in CRDInfo.versions(of: objects[objects.count - 1].1)
                    where seen.insert(crd.resource).inserted {
                        types.append(crd.resource)
                    }
                }
            }
            restored += self.insertRestored(cluster: cluster, resource: resource, objects)
        }
        return restored
    }

    /// Puts restored objects into memory (those not there already), charging their bytes as writes do.
    private func insertRestored(cluster: String, resource: GroupResource, _ objects: [(ObjectKey, JSONValue)]) -> Int {
        self.state.withLock { state in
            var count = 0
            for (key, value) in objects where state.clusters[cluster]?.collections[resource]?[key] == nil {
                let rv = value["metadata"]?["resourceVersion"]?.stringValue.flatMap { UInt64($0) } ?? 0
                let size = value.serialized().count
                state.clusters[cluster, default: ClusterState()].collections[resource, default: [:]][key] =
                    StoredObject(value: value, resourceVersion: rv, size: size)
                state.objectCount += 1
                state.objectBytes += size
                state.resourceVersion = max(state.resourceVersion, rv)
                self.allocations.allocate(CallSite.objectStorage, bytes: size)
                count += 1
            }
            return count
        }
    }

    /// Reads one object.
    public func get(cluster: String, resource: GroupResource, key: ObjectKey) -> StoredObject? {
        self.state.withLock { state in
            state.stores.insert(resource)
            return state.clusters[cluster]?.collections[resource]?[key]
        }
    }

    /// Lists objects matching `selection`, sorted by namespace and name, with the current resource version.
    func list(cluster: String, resource: GroupResource, selection: Selection) -> (
        items: [StoredObject], resourceVersion: UInt64
    ) {
        self.state.withLock { state in
            state.stores.insert(resource)
            let collection = state.clusters[cluster]?.collections[resource] ?? [:]
            let items = collection.filter { selection.matches($0.key, $0.value.value) }.sorted { $0.key < $1.key }.map(
                \.value)
            return (items, state.resourceVersion)
        }
    }

    /// All objects of `resource` in `cluster` (for internal scans such as CRD lookups).
    func all(cluster: String, resource: GroupResource) -> [ObjectKey: StoredObject] {
        self.state.withLock { state in
            state.stores.insert(resource)
            return state.clusters[cluster]?.collections[resource] ?? [:]
        }
    }

    /// Atomically reads an object, lets `decide` choose what to do, and commits the result.
    ///
    /// `decide` runs under the store lock; it gets the current object and a reader for other
    /// objects of the same VCP (e.g. to check the namespace exists). The committed object gets
    /// the next global resource version in `metadata.resourceVersion`. When etcd is configured
    /// the write is put there before this returns.
    ///
    /// - Returns: the object as stored (for a delete: as it was before deletion), or nil when nothing changed.
    func mutate(
        cluster: String, resource: GroupResource, key: ObjectKey, site: CallSite = CallSite.objectStorage,
        _ decide: (StoredObject?, (GroupResource, ObjectKey) -> StoredObject?) throws(APIError) -> Action
    ) async throws(APIError) -> StoredObject? {
        var isCreate = false
        let result: (StoredObject, Bool)? = try self.state.withLock { state throws(APIError) -> (StoredObject, Bool)? in
            state.stores.insert(resource)
            let current = state.clusters[cluster]?.collections[resource]?[key]
            let action = try decide(
                current, { other, otherKey in state.clusters[cluster]?.collections[other]?[otherKey] })
            switch action {
            case .none:
                return nil
            case .put(var value):
                state.resourceVersion += 1
                let rv = state.resourceVersion
                var metadata = value["metadata"]?.objectValue ?? [:]
                metadata["resourceVersion"] = .string(String(rv))
                value["metadata"] = .object(metadata)
                let size = value.serialized().count
                let stored = StoredObject(value: value, resourceVersion: rv, size: size)
                state.clusters[cluster, default: ClusterState()].collections[resource, default: [:]][key] = stored
                isCreate = current == nil
                if let current {
                    self.allocations.free(site, bytes: current.size)
                    state.objectBytes -= current.size
                } else {
                    state.objectCount += 1
                }
                self.allocations.allocate(site, bytes: size)
                state.objectBytes += size
                self.recordEvent(
                    &state, cluster: cluster, resource: resource,
                    event: WatchEvent(
                        type: current == nil ? "ADDED" : "MODIFIED", object: value, key: key, resourceVersion: rv))
                return (stored, false)
            case .delete:
                guard let current else { return nil }
                state.resourceVersion += 1
                let rv = state.resourceVersion
                state.clusters[cluster]?.collections[resource]?[key] = nil
                state.objectCount -= 1
                state.objectBytes -= current.size
                self.allocations.free(site, bytes: current.size)
                var value = current.value
                var metadata = value["metadata"]?.objectValue ?? [:]
                metadata["resourceVersion"] = .string(String(rv))
                value["metadata"] = .object(metadata)
                self.recordEvent(
                    &state, cluster: cluster, resource: resource,
                    event: WatchEvent(type: "DELETED", object: value, key: key, resourceVersion: rv))
                return (StoredObject(value: value, resourceVersion: rv, size: current.size), true)
            }
        }
        guard let (stored, deleted) = result else { return nil }
        if let persistence = self.persistence {
            let etcdKey = self.etcdKey(cluster: cluster, resource: resource, key: key)
            let started = ContinuousClock.now
            let operation = EtcdOperation(
                operation: deleted ? "delete" : (isCreate ? "create" : "update"), type: Self.resourcePrefix(resource))
            defer {
                let seconds = (ContinuousClock.now - started).seconds
                self.state.withLock { state in
                    state.etcdDurations[operation, default: BucketCounts(bounds: RequestMetrics.durationBuckets)]
                        .observe(seconds, bounds: RequestMetrics.durationBuckets)
                }
            }
            do {
                if deleted {
                    try await persistence.delete(key: etcdKey)
                } else {
                    try await persistence.put(key: etcdKey, value: stored.value.serialized())
                }
            } catch {
                throw APIError(code: 500, reason: "InternalError", message: "etcd write of \(etcdKey) failed: \(error)")
            }
        }
        return stored
    }

    private func recordEvent(_ state: inout State, cluster: String, resource: GroupResource, event: WatchEvent) {
        var history = state.history[resource, default: History()]
        if history.events.count - history.start >= self.historyLimit {
            history.evictedThrough = history.events[history.start].event.resourceVersion
            history.start += 1
            if history.start > 256 && history.start * 2 > history.events.count {
                history.events.removeFirst(history.start)
                history.start = 0
            }
        }
        history.events.append((cluster, event))
        history.received += 1
        for watcher in state.watchers.values
        where watcher.cluster == cluster && watcher.resource == resource
            && watcher.selection.matches(event.key, event.object)
        {
            watcher.continuation.yield(event)
            history.dispatched += 1
        }
        state.history[resource] = history
    }

    /// Opens a watch.
    ///
    /// From resource version nil/0: synthetic ADDED events for every current match, then live
    /// events. From version N: every recorded event after N, then live events; 410 Expired when
    /// N is older than the kept history.
    func watch(cluster: String, resource: GroupResource, selection: Selection, from resourceVersion: UInt64?)
        throws(APIError)
        -> AsyncStream<WatchEvent>
    {
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        let id: Int = try self.state.withLock { state throws(APIError) -> Int in
            state.stores.insert(resource)
            if let from = resourceVersion, from > 0 {
                let history = state.history[resource] ?? History()
                if from < history.evictedThrough {
                    throw APIError.gone("too old resource version: \(from) (\(history.evictedThrough + 1))")
                }
                for (owner, event) in history.events[history.start...]
                where owner == cluster && event.resourceVersion > from && selection.matches(event.key, event.object) {
                    continuation.yield(event)
                }
            } else {
                let collection = state.clusters[cluster]?.collections[resource] ?? [:]
                for (key, object) in collection.sorted(by: { $0.key < $1.key })
                where selection.matches(key, object.value) {
                    continuation.yield(
                        WatchEvent(
                            type: "ADDED", object: object.value, key: key, resourceVersion: object.resourceVersion))
                }
            }
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = Watcher(
                cluster: cluster, resource: resource, selection: selection, continuation: continuation)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Lists every object of `resource` in `cluster` and opens a watch on it, both under one lock, so
    /// the stream carries exactly the writes after the listed state (an informer's list+watch).
    func listAndWatch(cluster: String, resource: GroupResource) -> (
        items: [ObjectKey: StoredObject], events: AsyncStream<WatchEvent>
    ) {
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        let (items, id) = self.state.withLock { state in
            state.stores.insert(resource)
            let items = state.clusters[cluster]?.collections[resource] ?? [:]
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = Watcher(
                cluster: cluster, resource: resource, selection: Selection(), continuation: continuation,
                isInformer: true)
            return (items, id)
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return (items, stream)
    }

    /// Ends every open watch (shutdown).
    public func finishWatches() {
        let continuations = self.state.withLock { state in
            let all = state.watchers.values.map(\.continuation)
            state.watchers.removeAll()
            return all
        }
        for continuation in continuations { continuation.finish() }
    }
}

/// A label selector of equality requirements: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
    }

    var requirements: [Requirement]

    /// Parses a selector; nil when empty, throws 400 when malformed.
    static func parse(_ text: String?) throws(APIError) -> LabelSelector? {
        guard let text, !text.isEmpty else { return nil }
        var requirements: [Requirement] = []
        for part in text.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            if let range = part.range(of: "!=") {
                requirements.append(.notEquals(String(part[..<range.lowerBound]), String(part[range.upperBound...])))
            } else if let range = part.range(of: "==") {
                requirements.append(.equals(String(part[..<range.lowerBound]), String(part[range.upperBound...])))
            } else if let range = part.range(of: "=") {
                requirements.append(.equals(String(part[..<range.lowerBound]), String(part[range.upperBound...])))
            } else if part.hasPrefix("!") {
                requirements.append(.notExists(String(part.dropFirst())))
            } else if !part.isEmpty, !part.contains(" ") {
                requirements.append(.exists(part))
            } else {
                throw APIError.badRequest(
                    "unable to parse requirement: \(part) (kp-sim supports =, ==, !=, key and !key)")
            }
        }
        return LabelSelector(requirements: requirements)
    }

    func matches(_ labels: [String: JSONValue]) -> Bool {
        for requirement in self.requirements {
            switch requirement {
            case .equals(let key, let value): if labels[key]?.stringValue != value { return false }
            case .notEquals(let key, let value): if labels[key]?.stringValue == value { return false }
            case .exists(let key): if labels[key] == nil { return false }
            case .notExists(let key): if labels[key] != nil { return false }
            }
        }
        return true
    }
}
