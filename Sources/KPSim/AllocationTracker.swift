import Synchronization

/// One emulated call stack that allocations are attributed to in `/debug/pprof/heap`.
///
/// The function names are Go-style so pprof tools print them naturally; they name kp-sim's own
/// code paths (`kpsim.…`), and `file`/`line` point at the Swift source that does the work, so a
/// profile can never be mistaken for one of kplane.
public struct CallSite: Hashable, Sendable {
    /// One frame: function, file, line.
    public struct Frame: Hashable, Sendable {
        public var function: String
        public var file: String
        public var line: Int
    }

    /// Frames, leaf first.
    public var frames: [Frame]

    static func stack(_ frames: (String, String, Int)...) -> CallSite {
        CallSite(frames: frames.map { Frame(function: $0.0, file: $0.1, line: $0.2) })
    }

    private static let serve = ("kpsim.(*StreamHandler).serve", "Sources/KPSim/HTTP2StreamHandler.swift", 1)
    private static let route = ("kpsim.(*Application).handle", "Sources/KPSim/SimApplication.swift", 1)

    /// Memory each VCP retains for its lifetime (`--sim-vcp-memory-bytes`).
    public static let vcpRetention = stack(
        ("kpsim.(*VirtualControlPlane).retainMemory", "Sources/KPSim/VirtualControlPlane.swift", 1),
        ("kpsim.(*ControlPlaneRegistry).ensure", "Sources/KPSim/ControlPlaneRegistry.swift", 1),
        route, serve)
    /// Stored API objects (size of their JSON encoding).
    public static let objectStorage = stack(
        ("kpsim.(*ObjectStore).commit", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*ObjectStore).mutate", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*KubeAPI).write", "Sources/KPSim/KubeAPI.swift", 1),
        route, serve)
    /// Objects written by a VCP's bootstrap (namespaces, configmaps).
    public static let bootstrapObjects = stack(
        ("kpsim.(*ObjectStore).commit", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*ObjectStore).mutate", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*VirtualControlPlane).bootstrapNamespaces", "Sources/KPSim/VirtualControlPlane.swift", 1),
        ("kpsim.(*VirtualControlPlane).bootstrap", "Sources/KPSim/VirtualControlPlane.swift", 1))
    /// Each live informer's copy of its VCP's objects of one type (`/snapshot`'s source).
    public static let informerCache = stack(
        ("kpsim.(*Informer).apply", "Sources/KPSim/InformerCache.swift", 1),
        ("kpsim.(*InformerRegistry).ensure", "Sources/KPSim/InformerCache.swift", 1),
        ("kpsim.(*KubeAPI).warmInformer", "Sources/KPSim/KubeAPI+Snapshot.swift", 1),
        route, serve)
    /// Each live informer's fixed memory (`--sim-informer-memory-bytes`).
    public static let informerOverhead = stack(
        ("kpsim.(*Informer).init", "Sources/KPSim/InformerCache.swift", 1),
        ("kpsim.(*InformerRegistry).ensure", "Sources/KPSim/InformerCache.swift", 1),
        ("kpsim.(*KubeAPI).warmInformer", "Sources/KPSim/KubeAPI+Snapshot.swift", 1),
        route, serve)
    /// Watch event history kept for resumption.
    public static let watchHistory = stack(
        ("kpsim.(*ObjectStore).recordEvent", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*ObjectStore).commit", "Sources/KPSim/ObjectStore.swift", 1),
        ("kpsim.(*ObjectStore).mutate", "Sources/KPSim/ObjectStore.swift", 1))
    /// Request bodies (allocated and released per request).
    public static let requestBodies = stack(
        ("kpsim.(*StreamHandler).readBody", "Sources/KPSim/HTTP2StreamHandler.swift", 1), serve)
    /// Response bodies (allocated and released per request).
    public static let responseBodies = stack(
        ("kpsim.(*KubeAPI).encode", "Sources/KPSim/KubeAPI.swift", 1), route, serve)
}

/// Counts the emulator's tracked allocations per ``CallSite``, as Go's heap profile does per stack.
///
/// `alloc_*` are cumulative since start; `inuse_*` are what is live now.
public final class AllocationTracker: Sendable {
    /// Counters for one call site.
    public struct Counters: Sendable, Equatable {
        public var allocObjects: Int64 = 0
        public var allocBytes: Int64 = 0
        public var inuseObjects: Int64 = 0
        public var inuseBytes: Int64 = 0
    }

    private let counters = Mutex<[CallSite: Counters]>([:])

    /// Creates an empty tracker.
    public init() {}

    /// Records `objects` allocations totalling `bytes` at `site`, live until ``free(_:bytes:objects:)``.
    public func allocate(_ site: CallSite, bytes: Int, objects: Int = 1) {
        self.counters.withLock { table in
            var entry = table[site, default: Counters()]
            entry.allocObjects += Int64(objects)
            entry.allocBytes += Int64(bytes)
            entry.inuseObjects += Int64(objects)
            entry.inuseBytes += Int64(bytes)
            table[site] = entry
        }
    }

    /// Records that `objects` allocations totalling `bytes` at `site` were released.
    public func free(_ site: CallSite, bytes: Int, objects: Int = 1) {
        self.counters.withLock { table in
            guard var entry = table[site] else { return }
            entry.inuseObjects -= Int64(objects)
            entry.inuseBytes -= Int64(bytes)
            table[site] = entry
        }
    }

    /// A transient allocation: counted in `alloc_*` only.
    public func transient(_ site: CallSite, bytes: Int) {
        self.allocate(site, bytes: bytes)
        self.free(site, bytes: bytes)
    }

    /// A copy of all counters.
    public func snapshot() -> [CallSite: Counters] {
        self.counters.withLock { $0 }
    }
}
