import Foundation
import KPHTTP
import Testing

@testable import KPLoad

/// How kp-load's watchers classify the end of a watch (``WatchFanout/classify(_:gone:stopping:)``).
@Suite struct WatchEndTests {
    static func response(_ status: Int) -> Result<HTTPResponse, HTTPError> {
        .success(
            HTTPResponse(
                status: status, headers: [:], body: Data(), httpVersion: 2,
                timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
    }

    static func failure(_ kind: HTTPError.Kind) -> Result<HTTPResponse, HTTPError> {
        .failure(HTTPError(kind, url: "https://127.0.0.1:6443/clusters/c-000/control-plane/api/v1/configmaps"))
    }

    @Test("before kp-load stops, each end is the server's or the transport's, counted by reason and reopened")
    func serverEndsAreCountedByReason() {
        func classify(_ r: Result<HTTPResponse, HTTPError>, gone: Bool = false) -> WatchFanout.WatchEnd {
            WatchFanout.classify(r, gone: gone, stopping: false)
        }
        #expect(classify(Self.failure(.connectionReset)) == .ended(reason: "transport", then: .retry))
        #expect(classify(Self.failure(.timeout)) == .ended(reason: "transport", then: .retry))
        #expect(classify(Self.response(200)) == .ended(reason: "server_end", then: .rewatch))
        #expect(classify(Self.response(200), gone: true) == .ended(reason: "gone", then: .relist))
        #expect(classify(Self.response(410)) == .ended(reason: "gone", then: .relist))
        #expect(classify(Self.response(503)) == .ended(reason: "status_503", then: .retry))
    }

    @Test(
        "once kp-load is stopping (a signal, the phase's end), every end is kp-load's own: a reset of a server going down with the same Ctrl-C, a clean end, its own cancel"
    )
    func everyEndWhileStoppingIsStopped() {
        let results = [
            Self.failure(.connectionReset), Self.failure(.connectionRefused),
            Self.failure(.transport(code: 42, message: "cancelled")), Self.response(200), Self.response(410),
            Self.response(503),
        ]
        for r in results {
            for gone in [false, true] {
                #expect(WatchFanout.classify(r, gone: gone, stopping: true) == .stopped)
            }
        }
    }
}
