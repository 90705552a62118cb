import Foundation
import Synchronization

/// kp-sim's model of kplane's per-VCP in-memory informers, the source of `/snapshot` (contract §2.3).
///
/// kplane answers `/clusters/<cid>/control-plane/snapshot` from informers that a list or watch of a
/// type in that VCP (or `warm=true`) starts and that then live on. kp-sim pays a real cost per
/// informer, so the snapshot scenario's heap / RSS / goroutine samples have something true to show:
/// - its own indexed copy of the VCP's objects of the type (each object's JSON, `managedFields`
///   stripped, in a fresh allocation), kept current by a watch on the store;
/// - `--sim-informer-memory-bytes` of malloc'd, written memory (its caches and queues);
/// - one tracked task (kind `informer`, counted in `go_goroutines`) that applies the watch events.
///
/// Informers are never stopped (as the VCP they belong to is never evicted), except by
/// `--sim-evict-on-delete` evicting their VCP.
final class Informer: Sendable {
    /// The VCP.
    let cluster: String
    /// The type it caches.
    let resource: GroupResource
    private let index: Mutex<[ObjectKey: [UInt8]]>
    private let overhead: UnsafeMutableRawPointerBox?
    private let allocations: AllocationTracker
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(cluster: String, resource: GroupResource, overheadBytes: Int, context: SimContext) {
        self.cluster = cluster
        self.resource = resource
        self.allocations = context.allocations
        if overheadBytes > 0, let pointer = malloc(overheadBytes) {
            // Write every byte so the pages are resident, not just reserved.
            memset(pointer, 0x5A, overheadBytes)
            self.overhead = UnsafeMutableRawPointerBox(pointer: pointer, size: overheadBytes)
            context.allocations.allocate(CallSite.informerOverhead, bytes: overheadBytes)
        } else {
            self.overhead = nil
        }
        let (items, events) = context.store.listAndWatch(cluster: cluster, resource: resource)
        var index: [ObjectKey: [UInt8]] = [:]
        index.reserveCapacity(items.count)
        for (key, object) in items {
            let bytes = Self.encode(object.value)
            context.allocations.allocate(CallSite.informerCache, bytes: bytes.count)
            index[key] = bytes
        }
        self.index = Mutex(index)
        let started = context.tasks.spawn(.informer) { [self] in
            for await event in events { self.apply(event) }
        }
        self.task.withLock { $0 = started }
    }

    deinit {
        if let overhead = self.overhead {
            free(overhead.pointer)
            self.allocations.free(CallSite.informerOverhead, bytes: overhead.size)
        }
        let bytes = self.index.withLock { $0.values.reduce(0) { $0 + $1.count } }
        let count = self.index.withLock { $0.count }
        if count > 0 { self.allocations.free(CallSite.informerCache, bytes: bytes, objects: count) }
    }

    /// The object's JSON as the snapshot serves it: `managedFields` stripped.
    static func encode(_ object: JSONValue) -> [UInt8] {
        var value = object
        if var metadata = value["metadata"]?.objectValue, metadata["managedFields"] != nil {
            metadata["managedFields"] = nil
            value["metadata"] = .object(metadata)
        }
        return value.serialized()
    }

    private func apply(_ event: WatchEvent) {
        let bytes: [UInt8]? = event.type == "DELETED" ? nil : Self.encode(event.object)
        let old = self.index.withLock { index in
            let old = index[event.key]
            index[event.key] = bytes
            return old
        }
        if let old { self.allocations.free(CallSite.informerCache, bytes: old.count) }
        if let bytes { self.allocations.allocate(CallSite.informerCache, bytes: bytes.count) }
    }

    /// The cached objects' JSON, sorted by namespace and name.
    func items() -> [[UInt8]] {
        self.index.withLock { index in index.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Bytes of the cached copies.
    var cachedBytes: Int { self.index.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Stops the watch task (eviction, shutdown).
    func stop() { self.task.withLock { $0?.cancel() } }
}

/// Every live informer, per VCP and type.
public final class InformerRegistry: Sendable {
    private let informers = Mutex<[String: [GroupResource: Informer]]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Live informers across all VCPs.
    public var count: Int { self.informers.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Bytes of all informers' cached object copies.
    public var cachedBytes: Int {
        self.informers.withLock { Array($0.values.flatMap(\.values)) }.reduce(0) { $0 + $1.cachedBytes }
    }

    /// Starts the informer of `resource` in `cluster` unless it is live.
    ///
    /// - Returns: whether this call started it.
    @discardableResult
    func ensure(cluster: String, resource: GroupResource, context: SimContext) -> Bool {
        self.informers.withLock { informers in
            if informers[cluster]?[resource] != nil { return false }
            informers[cluster, default: [:]][resource] = Informer(
                cluster: cluster, resource: resource, overheadBytes: context.configuration.informerMemoryBytes,
                context: context)
            return true
        }
    }

    /// The live informers of `cluster`, by type.
    func live(cluster: String) -> [GroupResource: Informer] {
        self.informers.withLock { $0[cluster] ?? [:] }
    }

    /// Stops and drops every informer of `cluster` (its VCP was evicted).
    func evict(cluster: String) {
        let dropped = self.informers.withLock { $0.removeValue(forKey: cluster) } ?? [:]
        for informer in dropped.values { informer.stop() }
    }

    /// Stops every informer (shutdown).
    func stopAll() {
        for informer in self.informers.withLock({ Array($0.values.flatMap(\.values)) }) { informer.stop() }
    }
}
