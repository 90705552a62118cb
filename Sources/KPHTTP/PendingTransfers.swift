/// The transfers a ``MultiDriver`` holds back because its connections' stream slots are all taken:
/// a FIFO with O(1) append and removal at the head, per-transfer deadlines, and cancellation.
///
/// The driver hands libcurl at most ``HTTPClientConfiguration/maxConnectionsPerHost`` ×
/// ``HTTPClientConfiguration/maxConcurrentStreams`` transfers (HTTP/2; × 1 for HTTP/1.1) and keeps
/// the rest here, in submission order. libcurl walks every transfer it holds at each
/// `curl_multi_perform`, parked or not, so thousands parked inside it cost CPU at every wake-up;
/// here they cost nothing until a slot frees.
///
/// A waiting transfer's timeout runs from its submission: the driver asks ``next(nowNs:running:)``
/// at every loop turn and fails what is overdue at the head. Entries behind a later deadline at the
/// head are found when they reach it (every client request shares one timeout unless a request
/// sets its own). A cancelled entry leaves a hole that the head skips, so cancelling is one scan
/// and no move. Touched only on the driver thread.
struct PendingTransfers<Element> {
    /// What leaves the queue at the head.
    enum Ready {
        /// A slot is free: hand it to libcurl.
        case start(Element)
        /// Its deadline passed while it waited: fail it with a timeout.
        case expired(Element)
    }

    private struct Entry {
        var id: UInt64
        var deadlineNs: Int64
        /// nil: cancelled (a hole the head skips).
        var element: Element?
    }

    /// Most transfers libcurl may hold at once (`Int.max`: no limit).
    let capacity: Int
    private var ring = RingBuffer<Entry>()
    /// Entries still waiting (holes not counted).
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "capacity must be at least 1")
        self.capacity = capacity
    }

    var isEmpty: Bool { count == 0 }

    /// True when a new submission may go to libcurl at once: a slot is free and nobody waits for it.
    func admitsDirectly(running: Int) -> Bool { count == 0 && running < capacity }

    /// Queues `element` behind the others.
    mutating func append(_ element: Element, id: UInt64, deadlineNs: Int64) {
        ring.append(Entry(id: id, deadlineNs: deadlineNs, element: element))
        count += 1
    }

    /// The head's deadline (`Int64.max` when nothing waits), for the driver's poll timeout.
    mutating func nextDeadlineNs() -> Int64 {
        dropHoles()
        return ring.first?.deadlineNs ?? Int64.max
    }

    /// The next transfer to leave the queue, if any: an overdue head (whatever the slots), else
    /// the head when `running` (transfers in libcurl) is under ``capacity``.
    mutating func next(nowNs: Int64, running: Int) -> Ready? {
        dropHoles()
        guard let head = ring.first else { return nil }
        if head.deadlineNs <= nowNs {
            _ = ring.popFirst()
            count -= 1
            return .expired(head.element!)
        }
        guard running < capacity else { return nil }
        _ = ring.popFirst()
        count -= 1
        return .start(head.element!)
    }

    /// Takes the waiting transfer `id` out of the queue; nil when it is not waiting here.
    mutating func cancel(id: UInt64) -> Element? {
        guard let i = ring.firstIndex(where: { $0.id == id && $0.element != nil }) else { return nil }
        let element = ring[i].element
        ring[i].element = nil
        count -= 1
        return element
    }

    /// Empties the queue (shutdown), oldest first.
    mutating func removeAll() -> [Element] {
        var out: [Element] = []
        out.reserveCapacity(count)
        while let e = ring.popFirst() {
            if let element = e.element { out.append(element) }
        }
        count = 0
        return out
    }

    private mutating func dropHoles() {
        while let head = ring.first, head.element == nil { _ = ring.popFirst() }
    }
}

/// A growable ring buffer: O(1) append at the tail and removal at the head.
///
/// Hand-written because KPHTTP depends only on libcurl and kp-bench's own modules:
/// swift-collections' `Deque` is not a dependency of the package, and NIO's `CircularBuffer` would
/// bring swift-nio into the client library for one queue.
struct RingBuffer<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Position of the first element (from the head) that satisfies `predicate`, as an offset from the head.
    func firstIndex(where predicate: (Element) -> Bool) -> Int? {
        for offset in 0..<count where predicate(storage[(head + offset) % storage.count]!) { return offset }
        return nil
    }

    /// The element `offset` places behind the head.
    subscript(offset: Int) -> Element {
        get {
            precondition(offset >= 0 && offset < count, "offset out of range")
            return storage[(head + offset) % storage.count]!
        }
        set {
            precondition(offset >= 0 && offset < count, "offset out of range")
            storage[(head + offset) % storage.count] = newValue
        }
    }

    /// Doubles the storage (at least 16 slots), moving the elements to its start in order.
    private mutating func grow() {
        var bigger = [Element?](repeating: nil, count: max(16, storage.count * 2))
        for offset in 0..<count { bigger[offset] = storage[(head + offset) % storage.count] }
        storage = bigger
        head = 0
    }
}
