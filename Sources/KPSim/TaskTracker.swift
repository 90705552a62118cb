import Foundation
import Synchronization

/// Counts the emulator's live tasks by kind, for `go_goroutines` and `/debug/pprof/goroutine`.
///
/// kp-sim has no goroutines; its equivalent is Swift tasks plus OS threads. Each long-lived or
/// in-flight task is started through ``spawn(_:operation:)`` or wrapped in ``track(_:operation:)``,
/// so the counts are real: a task is counted exactly while its body runs.
public final class TaskTracker: Sendable {
    /// The kinds of task kp-sim runs, each with the stack shown in the goroutine profile.
    public enum Kind: String, CaseIterable, Sendable {
        case vcpController
        case vcpBootstrap
        case crdEstablishing
        case requestHandler
        case watchStream
        case faultTimer
        case fleetController
        case informer

        /// Go-style frames, leaf first (function, file).
        var frames: [(String, String)] {
            switch self {
            case .vcpController:
                return [
                    ("kpsim.(*VirtualControlPlane).controllerLoop", "Sources/KPSim/VirtualControlPlane.swift"),
                    ("kpsim.(*VirtualControlPlane).start.func1", "Sources/KPSim/VirtualControlPlane.swift"),
                ]
            case .vcpBootstrap:
                return [
                    ("kpsim.(*VirtualControlPlane).bootstrap", "Sources/KPSim/VirtualControlPlane.swift"),
                    ("kpsim.(*ControlPlaneRegistry).ensure.func1", "Sources/KPSim/ControlPlaneRegistry.swift"),
                ]
            case .crdEstablishing:
                return [
                    ("kpsim.(*KubeAPI).establishCRD", "Sources/KPSim/KubeAPI+CRD.swift"),
                    ("kpsim.(*KubeAPI).createCRD.func1", "Sources/KPSim/KubeAPI+CRD.swift"),
                ]
            case .requestHandler:
                return [
                    ("kpsim.(*Application).handle", "Sources/KPSim/SimApplication.swift"),
                    ("kpsim.(*StreamHandler).serve", "Sources/KPSim/HTTP2StreamHandler.swift"),
                ]
            case .watchStream:
                return [
                    ("kpsim.(*KubeAPI).serveWatch", "Sources/KPSim/KubeAPI.swift"),
                    ("kpsim.(*StreamHandler).writeStream", "Sources/KPSim/HTTP2StreamHandler.swift"),
                ]
            case .faultTimer:
                return [("kpsim.(*FaultInjector).crashTimer", "Sources/KPSim/SimServer.swift")]
            case .informer:
                return [
                    ("kpsim.(*Informer).apply", "Sources/KPSim/InformerCache.swift"),
                    ("kpsim.(*InformerRegistry).ensure.func1", "Sources/KPSim/InformerCache.swift"),
                ]
            case .fleetController:
                return [
                    ("kpsim.(*FleetController).reconcile", "Sources/KPSim/FleetController.swift"),
                    ("kpsim.(*FleetController).start.func1", "Sources/KPSim/FleetController.swift"),
                ]
            }
        }
    }

    private let counts = Mutex<[Kind: Int]>([:])

    /// Creates a tracker with all counts zero.
    public init() {}

    /// Runs `operation` counted as a task of `kind`.
    public func track<T: Sendable>(_ kind: Kind, operation: () async throws -> T) async rethrows -> T {
        self.adjust(kind, by: 1)
        defer { self.adjust(kind, by: -1) }
        return try await operation()
    }

    /// Starts a detached-from-caller task counted as `kind` while it runs.
    @discardableResult
    public func spawn(_ kind: Kind, operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        self.adjust(kind, by: 1)
        return Task {
            defer { self.adjust(kind, by: -1) }
            await operation()
        }
    }

    private func adjust(_ kind: Kind, by delta: Int) {
        self.counts.withLock { $0[kind, default: 0] += delta }
    }

    /// Live tasks per kind.
    public func snapshot() -> [Kind: Int] { self.counts.withLock { $0 } }

    /// Live tasks plus OS threads: the number exported as `go_goroutines`.
    public func total(threads: Int) -> Int { self.snapshot().values.reduce(0, +) + threads }

    /// The `/debug/pprof/goroutine?debug=1` text: Go's legacy format, one group per task kind
    /// plus one group for the process's OS threads.
    public func goroutineProfile(threads: Int) -> String {
        let counts = self.snapshot()
        var groups: [(count: Int, frames: [(String, String)])] = Kind.allCases.compactMap { kind in
            let count = counts[kind] ?? 0
            return count > 0 ? (count, kind.frames) : nil
        }
        if threads > 0 {
            groups.append((threads, [("runtime.osThread", "Sources/KPSim/ProcessStats.swift")]))
        }
        groups.sort { $0.count > $1.count }
        let total = groups.reduce(0) { $0 + $1.count }
        var text = "goroutine profile: total \(total)\n"
        for group in groups {
            // Stable fake program counters derived from the function names.
            let pcs = group.frames.map { frame in
                0x40_0000 + UInt64(frame.0.utf8.reduce(5381) { ($0 &* 33 &+ UInt32($1)) & 0xF_FFFF }) * 16
            }
            text += "\(group.count) @ " + pcs.map { "0x" + String($0, radix: 16) }.joined(separator: " ") + "\n"
            for (pc, frame) in zip(pcs, group.frames) {
                text += "#\t0x\(String(pc - 1, radix: 16))\t\(frame.0)+0x\(String(0x3f, radix: 16))\t\(frame.1):1\n"
            }
            text += "\n"
        }
        return text
    }
}
