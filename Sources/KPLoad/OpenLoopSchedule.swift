import Foundation

/// How intended start times are spread over one stream (one cluster's reads, or its writes).
public enum ArrivalProcess: String, Sendable, CaseIterable, Codable {
    /// Evenly spaced at 1/rate, starting at a random phase in [0, 1/rate): no bursts, and the
    /// streams of different clusters do not line up.
    case even
    /// A Poisson process: exponential gaps with mean 1/rate, so bursts happen as they would
    /// with independent users.
    case poisson
}

/// The kind of operation kp-load drives.
public enum LoadOpKind: UInt8, Sendable, CaseIterable {
    /// A Get of one pre-warmed object.
    case read = 0
    /// A Get then an Update of one pre-warmed object.
    case write = 1

    /// The name used in records (`read`, `write`).
    public var name: String {
        switch self {
        case .read: "read"
        case .write: "write"
        }
    }
}

/// One operation of the schedule: when it should start, on which cluster, which object.
public struct ScheduledOperation: Sendable, Equatable {
    /// Intended start, ns after the phase start.
    public var offsetNs: Int64
    /// Index of the cluster in ``OpenLoopSchedule/clusters``.
    public var cluster: Int32
    public var kind: LoadOpKind
    /// Index of the pre-warmed object (0..<objectsPerCluster).
    public var object: UInt8

    public init(offsetNs: Int64, cluster: Int32, kind: LoadOpKind, object: UInt8) {
        self.offsetNs = offsetNs
        self.cluster = cluster
        self.kind = kind
        self.object = object
    }
}

/// The open-loop schedule of a load phase: every operation's intended start, fixed by the seed
/// before the run begins.
///
/// There is one independent stream per (cluster, op kind) with its own rate and its own seeded
/// generator; the schedule is their merge in time order. It is produced lazily (a min-heap over
/// the streams' next times), so memory is O(streams) however long the run; two iterators made
/// from the same schedule yield the same sequence, which lets the reporter count how many
/// operations were due at any moment (the backlog) without sharing state with the scheduler.
public struct OpenLoopSchedule: Sendable {
    /// Rates per cluster, operations per second, by kind; 0 switches a kind off.
    public var ratePerCluster: [LoadOpKind: Double]
    /// Number of clusters that get load (the hot subset).
    public var clusterCount: Int
    public var durationNs: Int64
    public var arrival: ArrivalProcess
    public var seed: UInt64
    /// Objects per cluster the operations choose among (uniformly, from the stream's generator).
    public var objectsPerCluster: Int
    /// The number that seeds each cluster's streams, by cluster index (nil: the index itself).
    /// A shard passes each of its clusters' index in the whole hot list, so a cluster gets the
    /// same phases, gaps and object choices whichever shard (and how many shards) runs it.
    public var streamIDs: [UInt64]?

    public init(
        ratePerCluster: [LoadOpKind: Double], clusterCount: Int, durationNs: Int64, arrival: ArrivalProcess,
        seed: UInt64, objectsPerCluster: Int, streamIDs: [UInt64]? = nil
    ) {
        precondition(objectsPerCluster >= 1 && objectsPerCluster <= 256, "objectsPerCluster out of range")
        precondition(streamIDs == nil || streamIDs!.count == clusterCount, "one stream id per cluster")
        self.streamIDs = streamIDs
        self.ratePerCluster = ratePerCluster
        self.clusterCount = clusterCount
        self.durationNs = durationNs
        self.arrival = arrival
        self.seed = seed
        self.objectsPerCluster = objectsPerCluster
    }

    /// Target operations per second over all clusters, by kind.
    public var targetRate: [LoadOpKind: Double] {
        var out: [LoadOpKind: Double] = [:]
        for kind in LoadOpKind.allCases {
            out[kind] = (ratePerCluster[kind] ?? 0) * Double(clusterCount)
        }
        return out
    }

    /// Operations an even schedule holds exactly (rate × duration per stream, rounded up when
    /// rate × duration is fractional); the expected count for a Poisson schedule.
    public var expectedCount: Int {
        var n = 0.0
        for kind in LoadOpKind.allCases {
            let r = ratePerCluster[kind] ?? 0
            n += (r * Double(durationNs) / 1e9).rounded(.up) * Double(clusterCount)
        }
        return Int(n)
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    /// Yields the operations in intended-start order (ties broken by stream), then nil.
    public struct Iterator: IteratorProtocol, Sendable {
        private struct Stream: Sendable {
            var rng: SeededRandom
            var intervalNs: Double
            var phaseNs: Double
            var index: Int64  // k-th arrival for even spacing
            var nextNs: Double
            let cluster: Int32
            let kind: LoadOpKind
        }

        private var streams: [Stream] = []
        /// Binary min-heap of indices into `streams`, keyed by (nextNs, index).
        private var heap: [Int32] = []
        private let durationNs: Double
        private let arrival: ArrivalProcess
        private let objects: Int

        init(_ s: OpenLoopSchedule) {
            durationNs = Double(s.durationNs)
            arrival = s.arrival
            objects = s.objectsPerCluster
            for c in 0..<s.clusterCount {
                for kind in LoadOpKind.allCases {
                    let rate = s.ratePerCluster[kind] ?? 0
                    guard rate > 0 else { continue }
                    var rng = SeededRandom(
                        seed: s.seed, stream: s.streamIDs?[c] ?? UInt64(c), substream: UInt64(kind.rawValue) + 1)
                    let interval = 1e9 / rate
                    let first: Double
                    let phase: Double
                    switch s.arrival {
                    case .even:
                        phase = rng.nextUnit() * interval
                        first = phase
                    case .poisson:
                        phase = 0
                        first = Self.exponential(&rng, mean: interval)
                    }
                    streams.append(
                        Stream(
                            rng: rng, intervalNs: interval, phaseNs: phase, index: 0, nextNs: first,
                            cluster: Int32(c), kind: kind))
                }
            }
            heap.reserveCapacity(streams.count)
            for i in streams.indices where streams[i].nextNs < durationNs {
                push(Int32(i))
            }
        }

        static func exponential(_ rng: inout SeededRandom, mean: Double) -> Double {
            // 1 - U is in (0, 1], so the log is finite.
            -log(1 - rng.nextUnit()) * mean
        }

        public mutating func next() -> ScheduledOperation? {
            guard let top = heap.first else { return nil }
            let si = Int(top)
            let t = streams[si].nextNs
            let object = objects == 1 ? 0 : streams[si].rng.nextIndex(below: objects)
            let op = ScheduledOperation(
                offsetNs: Int64(t.rounded(.down)), cluster: streams[si].cluster, kind: streams[si].kind,
                object: UInt8(object))
            // Advance the stream; computing the k-th even arrival from k (not by adding) keeps
            // rounding error from accumulating over long runs.
            switch arrival {
            case .even:
                streams[si].index += 1
                streams[si].nextNs = streams[si].phaseNs + Double(streams[si].index) * streams[si].intervalNs
            case .poisson:
                streams[si].nextNs += Self.exponential(&streams[si].rng, mean: streams[si].intervalNs)
            }
            if streams[si].nextNs < durationNs {
                siftDown(from: 0)
            } else {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(from: 0)
                }
            }
            return op
        }

        /// Peeks at the next intended offset without consuming it.
        public var nextOffsetNs: Int64? {
            heap.first.map { Int64(streams[Int($0)].nextNs.rounded(.down)) }
        }

        private func less(_ a: Int32, _ b: Int32) -> Bool {
            let ta = streams[Int(a)].nextNs
            let tb = streams[Int(b)].nextNs
            return ta < tb || (ta == tb && a < b)
        }

        private mutating func push(_ i: Int32) {
            heap.append(i)
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if less(heap[c], heap[p]) {
                    heap.swapAt(c, p)
                    c = p
                } else {
                    break
                }
            }
        }

        private mutating func siftDown(from start: Int) {
            var p = start
            let n = heap.count
            while true {
                let l = 2 * p + 1
                let r = l + 1
                var m = p
                if l < n && less(heap[l], heap[m]) { m = l }
                if r < n && less(heap[r], heap[m]) { m = r }
                if m == p { return }
                heap.swapAt(p, m)
                p = m
            }
        }
    }
}
