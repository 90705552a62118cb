import Foundation
import KPHTTP

/// The facts kp-load keeps about one HTTP request once it has ended, however it ended.
///
/// Every request ends in exactly one outcome: an HTTP status (`"200"`, `"409"`, …) or a transport
/// error class (`"timeout"`, `"reset"`, `"refused"`, …, see ``KPHTTP/HTTPError/outcomeClass``).
/// Nothing is dropped: a timeout is an error whose latency is the timeout itself.
public struct RequestOutcome: Sendable, Equatable {
    /// The key under which the outcome is counted (`by_status`).
    public var statusKey: String
    /// HTTP status when there was a response, else nil.
    public var httpStatus: Int?
    /// True for a 2xx response.
    public var succeeded: Bool
    /// True when no complete answer came within the timeout.
    public var timedOut: Bool
    /// When the request actually went out (libcurl began sending), monotonic ns.
    public var sentNs: Int64
    /// When the first response byte arrived, monotonic ns; 0 when none did.
    public var firstByteNs: Int64
    /// When the request ended, monotonic ns. For a timeout: `sentNs + timeout`.
    public var endNs: Int64
    /// Response body bytes.
    public var bytesReceived: Int64

    public init(
        statusKey: String, httpStatus: Int?, succeeded: Bool, timedOut: Bool, sentNs: Int64, firstByteNs: Int64,
        endNs: Int64, bytesReceived: Int64
    ) {
        self.statusKey = statusKey
        self.httpStatus = httpStatus
        self.succeeded = succeeded
        self.timedOut = timedOut
        self.sentNs = sentNs
        self.firstByteNs = firstByteNs
        self.endNs = endNs
        self.bytesReceived = bytesReceived
    }

    /// True for a 409 Conflict answer.
    public var isConflict: Bool { httpStatus == 409 }

    /// Classifies a transport result.
    ///
    /// - Parameters:
    ///   - submittedNs: when kp-load handed the request to the client; used as the send time
    ///     when the transport reports none (e.g. the connection was refused before sending).
    ///   - completedNs: when the completion arrived; used as the end when the transport reports none.
    ///   - timeoutNs: the per-request timeout; a timeout is recorded as ending exactly that long
    ///     after the send, so its service time is the timeout.
    public static func classify(
        _ result: Result<HTTPResponse, HTTPError>, submittedNs: Int64, completedNs: Int64, timeoutNs: Int64
    ) -> RequestOutcome {
        switch result {
        case .success(let r):
            let sent = r.timings.sentNs > 0 ? r.timings.sentNs : submittedNs
            let end = r.timings.doneNs > 0 ? r.timings.doneNs : completedNs
            return RequestOutcome(
                statusKey: String(r.status), httpStatus: r.status, succeeded: r.isSuccess, timedOut: false,
                sentNs: sent, firstByteNs: r.timings.firstByteNs, endNs: max(end, sent),
                bytesReceived: Int64(r.body.count))
        case .failure(let e):
            let t = e.timings
            let sent = (t?.sentNs ?? 0) > 0 ? t!.sentNs : ((t?.queuedNs ?? 0) > 0 ? t!.queuedNs : submittedNs)
            var end = (t?.doneNs ?? 0) > 0 ? t!.doneNs : completedNs
            var status: Int?
            var timedOut = false
            switch e.kind {
            case .status(let code, _, _):
                status = code
            case .timeout:
                timedOut = true
                end = sent + timeoutNs
            default:
                break
            }
            return RequestOutcome(
                statusKey: e.outcomeClass, httpStatus: status,
                succeeded: status.map { (200..<300).contains($0) } ?? false,
                timedOut: timedOut, sentNs: sent, firstByteNs: t?.firstByteNs ?? 0, endNs: max(end, sent),
                bytesReceived: 0)
        }
    }
}
