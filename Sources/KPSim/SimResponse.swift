/// A request as the HTTP layer hands it to the application (HTTP/1.1 and HTTP/2 alike).
public struct SimRequest: Sendable {
    /// HTTP method.
    public var method: String
    /// Request target: path plus optional `?query`.
    public var target: String
    /// Headers with lower-cased names (repeated headers joined with ", ").
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, target: String, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// What the application answers.
public struct SimResponse: Sendable {
    /// How the body is delivered.
    public enum Body: Sendable {
        /// A complete body.
        case bytes([UInt8])
        /// A streamed body (watch): each element is written as it arrives; the stream's end ends the response.
        case stream(AsyncStream<[UInt8]>)
        /// No response: reset the HTTP/2 stream (or close the HTTP/1.1 connection). Fault injection only.
        case reset
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body
    /// How long the finished response is held before it is written (`--fault-latency`). The serving
    /// handlers hold it on the connection's event loop (see `EventLoop.after(_:_:)`), not in the request's task.
    public var hold: Duration = .zero
    /// The `--sim-max-concurrency` slot this answer holds (nil: not limited). The serving handlers give
    /// it back once the answer is written (a watch: once its head is), so the hold counts as service.
    var slot: ConcurrencyLimit.Slot?

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ value: JSONValue) -> SimResponse {
        SimResponse(status: status, headers: [("content-type", "application/json")], body: .bytes(value.serialized()))
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> SimResponse {
        SimResponse(status: status, headers: [("content-type", contentType)], body: .bytes(Array(text.utf8)))
    }

    static func error(_ error: APIError) -> SimResponse {
        var response = json(error.code, error.status)
        if error.code == 429 { response.headers.append(("retry-after", "1")) }
        return response
    }
}
