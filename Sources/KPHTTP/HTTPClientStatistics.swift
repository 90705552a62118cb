/// Counters of one ``HTTPClient`` since it was created: what was asked, what finished, and what
/// libcurl did with connections.
///
/// A snapshot; each field is read atomically but the snapshot as a whole is not, so under load
/// `submitted - completed` can be off by the requests that finished while it was taken.
public struct HTTPClientStatistics: Sendable, Equatable {
    /// Requests handed to `send` or `submit`.
    public var submitted: Int
    /// Requests whose completion was delivered: a response (any status) or an ``HTTPError``.
    public var completed: Int
    /// Completed requests that ended in an ``HTTPError`` (no response; non-2xx responses are not counted).
    public var failed: Int
    /// New connections libcurl opened, summed over transfers (`CURLINFO_NUM_CONNECTS`).
    ///
    /// With connection reuse this stays at the number of connections while `completed` grows.
    public var connectionsOpened: Int
    /// Transfers that could not start at once and waited until a connection or an HTTP/2 stream
    /// was free: in the client's own queue (every one of ``streamSlots`` taken), or parked inside
    /// libcurl (the server's `SETTINGS_MAX_CONCURRENT_STREAMS` under ``HTTPClientConfiguration/maxConcurrentStreams``,
    /// or waiting for the first connection to confirm HTTP/2).
    ///
    /// A transfer is counted when it leaves the client's queue (started, timed out or cancelled there),
    /// or at its end when libcurl parked it: libcurl restarts a transfer's clock when it leaves its
    /// pending queue, so a transfer whose clock started after the first `curl_multi_perform` that saw
    /// it had waited.
    public var waitedForConnection: Int
    /// Transfers waiting in the client's own queue for a stream slot now.
    public var queued: Int
    /// Most transfers the client hands libcurl at once (connections × streams per connection); 0: no limit.
    public var streamSlots: Int

    /// Requests submitted and not yet completed.
    public var inFlight: Int { submitted - completed }

    public init(
        submitted: Int, completed: Int, failed: Int, connectionsOpened: Int, waitedForConnection: Int, queued: Int = 0,
        streamSlots: Int = 0
    ) {
        self.queued = queued
        self.streamSlots = streamSlots
        self.submitted = submitted
        self.completed = completed
        self.failed = failed
        self.connectionsOpened = connectionsOpened
        self.waitedForConnection = waitedForConnection
    }
}
