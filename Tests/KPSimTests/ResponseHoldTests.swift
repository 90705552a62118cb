import NIOCore
import NIOEmbedded
import Testing

@testable import KPSim

/// What the held work recorded (EmbeddedEventLoop runs everything on the test's thread).
private final class Ran<T>: @unchecked Sendable {
    var items: [T] = []
    func add(_ item: T) { self.items.append(item) }
}

/// `EventLoop.after(_:_:)`: how a latency fault holds a finished answer on the loop that writes it.
@Suite struct ResponseHoldTests {
    @Test func noHoldRunsAtOnceAHoldWaitsForTheLoopsClock() {
        let loop = EmbeddedEventLoop()
        let ran = Ran<String>()
        loop.after(.zero) { ran.add("now") }
        loop.after(.milliseconds(5)) { ran.add("held") }
        loop.run()
        #expect(ran.items == ["now"])
        loop.advanceTime(by: .microseconds(4_999))
        #expect(ran.items == ["now"], "not before the hold is over")
        loop.advanceTime(by: .microseconds(1))
        #expect(ran.items == ["now", "held"])
    }

    @Test func holdsKeepTheirOrderByDeadline() {
        let loop = EmbeddedEventLoop()
        let ran = Ran<Int>()
        loop.after(.milliseconds(3)) { ran.add(3) }
        loop.after(.milliseconds(1)) { ran.add(1) }
        loop.after(.microseconds(1500)) { ran.add(2) }
        loop.advanceTime(by: .milliseconds(3))
        #expect(ran.items == [1, 2, 3])
    }
}
