import Foundation
import KPHTTP
import KPPromText

/// The two kp-sim counters that prove a client kept one healthy HTTP/2 connection, read from its
/// `/metrics` through the benchmark's own client (so the scrape reuses the measured connection
/// instead of opening one).
struct ServerCounters {
    static let rstStreamName = "kpsim_http2_rst_stream_received_total"
    static let acceptedName = "kpsim_connections_accepted_total"

    var rstStreamReceived: Double
    var connectionsAccepted: Double

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read(url: String, client: HTTPClient) throws -> ServerCounters {
        let box = ResultBox()
        client.submit(HTTPRequest(url: url)) { box.set($0) }
        let response: HTTPResponse
        do {
            response = try box.wait().get()
        } catch {
            throw Failure(description: "--metrics-url \(url): \(error)")
        }
        guard response.isSuccess else {
            throw Failure(
                description:
                    "--metrics-url \(url) answered HTTP \(response.status): is it kp-sim's /metrics, and does --token-file hold a valid token?"
            )
        }
        let families: [MetricFamily]
        do {
            families = try PromTextParser.parse(response.body)
        } catch {
            throw Failure(description: "--metrics-url \(url) is not Prometheus text: \(error)")
        }
        func value(_ name: String) throws -> Double {
            guard let family = families.first(where: { $0.name == name }) else {
                throw Failure(description: "--metrics-url \(url) has no \(name): point it at kp-sim's /metrics")
            }
            return family.samples.reduce(0) { $0 + $1.value }
        }
        return ServerCounters(rstStreamReceived: try value(rstStreamName), connectionsAccepted: try value(acceptedName))
    }

    /// A one-shot result handed from the driver thread to a waiting thread.
    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private let ready = DispatchSemaphore(value: 0)
        private var result: Result<HTTPResponse, HTTPError>?

        func set(_ r: Result<HTTPResponse, HTTPError>) {
            lock.withLock { result = r }
            ready.signal()
        }

        func wait() -> Result<HTTPResponse, HTTPError> {
            while true {
                ready.wait()
                if let r = lock.withLock({ result }) { return r }
            }
        }
    }
}
