import Foundation

/// Independent pieces of a fold run on every core.
enum Parallel {
    /// `work(0)`, `work(1)`, … `work(count − 1)`, run on every core, in index order.
    static func map<T: Sendable>(_ count: Int, _ work: @Sendable (Int) -> T) -> [T] {
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        // Each index writes its own slot only.
        nonisolated(unsafe) let shared = slots
        DispatchQueue.concurrentPerform(iterations: count) { i in shared[i] = work(i) }
        return slots.map { $0! }
    }
}
