import Foundation
import KPHTTP
import Logging

/// Notices a target that is alive but has stopped answering (a stall), which process supervision
/// cannot see.
///
/// Once the target is ready it sends `GET /readyz` every ``interval`` with a request timeout of
/// ``timeout``. Any answer counts as a sign of life: every HTTP status (an injected 503 or 429 is
/// an answer), and a reset or closed stream (the server acted). Only silence counts against it:
/// a request that times out, a refused connection or an unresolvable host. When no answer has
/// come for at least ``timeout`` and the latest probe failed that way, the run is declared
/// stalled (kp-launch exits 11, ``KPCore/KPExitCode/targetUnreachable``).
struct StallWatch: Sendable {
    /// How long the target may stay silent; also each probe's request timeout.
    var timeout: Duration
    /// Time between probes: a quarter of the timeout, between 100 ms and 1 s.
    var interval: Duration { max(.milliseconds(100), min(.seconds(1), timeout / 4)) }

    /// Probes until the target is silent for ``timeout`` (returns the failure) or the task is cancelled (nil).
    func run(target: StartedTarget, makeTransport: TransportFactory, logger: Logger) async -> TargetFailure? {
        let transport: any HTTPTransport
        do {
            transport = try makeTransport(
                HTTPClientConfiguration(
                    caFile: target.insecureSkipTLSVerify ? nil : target.caFile,
                    insecureSkipTLSVerify: target.insecureSkipTLSVerify, tlsServerName: target.tlsServerName,
                    tokenFile: target.tokenFile.isEmpty ? nil : target.tokenFile, timeout: timeout,
                    connectTimeout: min(timeout, .seconds(5)), maxConnectionsPerHost: 1))
        } catch {
            logger.warning("stall watch disabled: cannot create its HTTP client (\(error))")
            return nil
        }
        var lastAnswer = ContinuousClock.now
        while !Task.isCancelled {
            var silent: String?
            do {
                _ = try await transport.send(HTTPRequest(url: target.url + "/readyz", timeout: timeout))
            } catch {
                switch error.kind {
                case .timeout, .connectionRefused, .dns: silent = error.description
                default: break  // a reset, TLS or protocol error is still an answer from a live server
                }
            }
            if Task.isCancelled { return nil }
            let now = ContinuousClock.now
            if let silent {
                if now - lastAnswer >= timeout {
                    return TargetFailure(
                        .stalled,
                        "\(target.url) stopped answering: no answer to /readyz for \(formatSeconds(now - lastAnswer)) (stall timeout \(formatSeconds(timeout)); last: \(silent))"
                    )
                }
            } else {
                lastAnswer = now
            }
            try? await Task.sleep(for: interval)
        }
        return nil
    }
}
