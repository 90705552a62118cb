import Foundation
import Synchronization

/// One emulated virtual control plane: the per-VCP cost kp-sim really pays, plus its bootstrap.
///
/// On creation a VCP mallocs `--sim-vcp-memory-bytes` in 64 KiB chunks and writes every byte, so
/// RSS and the malloc heap really grow by that much; it runs `--sim-vcp-tasks` long-lived tasks
/// (a periodic loop each, like kplane's per-VCP controllers); and it bootstraps asynchronously:
/// after `--sim-namespace-delay` the namespaces `default`, `kube-system`, `kube-public`,
/// `kube-node-lease` and two `kube-system` configmaps are written through the normal store.
/// Nothing is ever released before shutdown, as in kplane (contract §3.1), unless `--sim-evict-on-delete`
/// evicts the VCP when its last CRD is deleted (its tasks are cancelled; its memory is freed in `deinit`).
public final class VirtualControlPlane: Sendable {
    /// Chunk size of the retained memory.
    static let chunkSize = 64 * 1024

    /// The cluster ID.
    public let name: String
    /// Bytes retained.
    public let retainedBytes: Int
    private let chunks: [UnsafeMutableRawPointerBox]
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let allocations: AllocationTracker
    /// With etcd: the read of this VCP's stored objects (``ObjectStore/restore(cluster:)``), which every
    /// request to the VCP waits for; its result is the error message when the read failed.
    private let restoring = Mutex<Task<String?, Never>?>(nil)

    init(name: String, memoryBytes: Int, allocations: AllocationTracker) {
        self.name = name
        self.allocations = allocations
        var chunks: [UnsafeMutableRawPointerBox] = []
        var remaining = memoryBytes
        while remaining > 0 {
            let size = min(remaining, Self.chunkSize)
            guard let pointer = malloc(size) else { break }
            // Write every byte so the pages are resident, not just reserved.
            memset(pointer, 0xA5, size)
            chunks.append(UnsafeMutableRawPointerBox(pointer: pointer, size: size))
            remaining -= size
        }
        self.chunks = chunks
        self.retainedBytes = chunks.reduce(0) { $0 + $1.size }
        if !chunks.isEmpty {
            allocations.allocate(CallSite.vcpRetention, bytes: self.retainedBytes, objects: chunks.count)
        }
    }

    deinit {
        for chunk in self.chunks { free(chunk.pointer) }
        if !self.chunks.isEmpty {
            self.allocations.free(CallSite.vcpRetention, bytes: self.retainedBytes, objects: self.chunks.count)
        }
    }

    /// Starts the restore from etcd (when the store has one), the long-lived controller tasks and the
    /// asynchronous bootstrap (after the restore, so a restored VCP keeps its own objects).
    func start(context: SimContext) {
        var started: [Task<Void, Never>] = []
        let name = self.name
        let restore = self.restoring.withLock { $0 }
        let interval = context.configuration.vcpTaskInterval
        for _ in 0..<context.configuration.vcpTasks {
            started.append(
                context.tasks.spawn(.vcpController) {
                    // A periodic reconcile loop, as kplane's per-VCP controllers run forever.
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { return }
                        _ = context.store.get(
                            cluster: name, resource: .namespaces, key: ObjectKey(namespace: "", name: "default"))
                    }
                })
        }
        started.append(
            context.tasks.spawn(.vcpBootstrap) {
                if let restore, await restore.value != nil { return }
                do { try await Task.sleep(for: context.configuration.namespaceDelay) } catch { return }
                await Self.bootstrap(cluster: name, context: context)
            })
        self.tasks.withLock { $0.append(contentsOf: started) }
    }

    /// Writes the system namespaces and kube-system configmaps of `cluster` (idempotent).
    static func bootstrap(cluster: String, context: SimContext) async {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            do throws(APIError) {
                _ = try await context.store.mutate(
                    cluster: cluster, resource: .namespaces, key: ObjectKey(namespace: "", name: namespace),
                    site: CallSite.bootstrapObjects
                ) { current, _ in
                    current == nil ? .put(KubeObjects.namespace(namespace)) : .none
                }
            } catch {
                context.logger.warning(
                    "bootstrap of namespace failed",
                    metadata: ["cluster": "\(cluster)", "namespace": "\(namespace)", "error": "\(error.message)"])
            }
        }
        let configMaps: [(String, JSONValue)] = [
            ("kube-apiserver-legacy-service-account-token-tracking", ["since": .string(KubeObjects.date(Date()))]),
            ("extension-apiserver-authentication", ["requestheader-allowed-names": "[]"]),
        ]
        for (name, data) in configMaps {
            do throws(APIError) {
                _ = try await context.store.mutate(
                    cluster: cluster, resource: .configmaps, key: ObjectKey(namespace: "kube-system", name: name),
                    site: CallSite.bootstrapObjects
                ) { current, _ in
                    current == nil
                        ? .put(KubeObjects.configMap(namespace: "kube-system", name: name, data: data)) : .none
                }
            } catch {
                context.logger.warning(
                    "bootstrap of configmap failed",
                    metadata: ["cluster": "\(cluster)", "name": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    /// Starts reading the VCP's objects back from etcd when the store has etcd. Called by the registry
    /// under its lock as it creates the VCP, so no request to the VCP can come before the read.
    fileprivate func beginRestore(context: SimContext) {
        guard context.store.isPersistent else { return }
        let name = self.name
        let task = Task { () -> String? in
            do {
                let count = try await context.store.restore(cluster: name)
                context.logger.debug("restored VCP", metadata: ["cluster": "\(name)", "objects": "\(count)"])
                return nil
            } catch {
                context.logger.error(
                    "restore from etcd failed", metadata: ["cluster": "\(name)", "error": "\(error)"])
                return "kp-sim: reading VCP \(name) from etcd failed: \(error)"
            }
        }
        self.restoring.withLock { $0 = task }
    }

    /// Waits until the VCP's objects are read back from etcd (at once without etcd or once read);
    /// returns the error message when that read failed.
    func ready() async -> String? {
        guard let restore = self.restoring.withLock({ $0 }) else { return nil }
        return await restore.value
    }

    /// Cancels the VCP's tasks.
    func stop() {
        for task in self.tasks.withLock({ $0 }) { task.cancel() }
    }
}

/// A malloc'd chunk; only freed in `deinit` of its owner, never shared across mutation.
struct UnsafeMutableRawPointerBox: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let size: Int
}

/// All VCPs of the process, created on first use and never evicted (as in kplane).
public final class ControlPlaneRegistry: Sendable {
    private let planes = Mutex<[String: VirtualControlPlane]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Number of non-root VCPs.
    public var count: Int { self.planes.withLock { $0.count } }

    /// Bytes retained by all VCPs.
    public var retainedBytes: Int { self.planes.withLock { $0.values.reduce(0) { $0 + $1.retainedBytes } } }

    /// The VCP named `name`, creating and starting it on first use.
    ///
    /// - Returns: the VCP, whether this call created it, and the number of VCPs after the call.
    @discardableResult
    func ensure(_ name: String, context: SimContext) -> (plane: VirtualControlPlane, created: Bool, count: Int) {
        let (plane, created, count): (VirtualControlPlane, Bool, Int) = self.planes.withLock { planes in
            if let existing = planes[name] { return (existing, false, planes.count) }
            let plane = VirtualControlPlane(
                name: name, memoryBytes: context.configuration.vcpMemoryBytes, allocations: context.allocations)
            plane.beginRestore(context: context)
            planes[name] = plane
            return (plane, true, planes.count)
        }
        if created {
            // kplane's OnClusterSelected calls EnsureCluster: the first VCP makes the one shared CRD runtime.
            context.crdRuntime.ensureCluster(name)
            plane.start(context: context)
        }
        return (plane, created, count)
    }

    /// Whether `name` exists.
    public func contains(_ name: String) -> Bool { self.planes.withLock { $0[name] != nil } }

    /// Removes `name` and cancels its tasks; its retained memory is freed when the last reference (a
    /// request in flight) lets go. A later request to `name` creates a fresh VCP.
    func evict(_ name: String) {
        let found: Bool = {
            guard let plane = self.planes.withLock({ $0.removeValue(forKey: name) }) else { return false }
            plane.stop()
            return true
        }()
        // The chunks are freed as the plane's last reference goes (above, unless a request still holds
        // it); 64 KiB chunks live in malloc's arenas, so hand the free pages back to make RSS fall too.
        if found { Self.trimMalloc() }
    }

    /// glibc `malloc_trim(0)`, looked up with `dlsym` as `MallocStats` looks up `mallinfo2`.
    private static func trimMalloc() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    /// Stops every VCP's tasks.
    func stopAll() {
        for plane in self.planes.withLock({ Array($0.values) }) { plane.stop() }
    }
}
