import Foundation
import KPCore
import KPHTTP
import KPRecords
import Logging

/// Waits until a started target answers root `/readyz` with 200, then identifies it from `/version`.
///
/// Shared by every mode. Requests carry the run's token and verify TLS against the target's own
/// serving certificate (whose file the target writes at start-up, so the probe first waits for it).
public enum ReadinessProbe {
    /// What the probe learned.
    public struct Ready: Sendable, Equatable {
        /// CLOCK_MONOTONIC ns of the first 200 from `/readyz`.
        public var readyNs: Int64
        /// `gitVersion` from `/version`, when it answered with one.
        public var gitVersion: String?
        /// True when a response carried the `X-KP-Sim` header: the target is the emulator.
        public var emulator: Bool
    }

    /// Polls until ready, `timeout` passes, `failure()` reports the target gone, or the task is cancelled.
    ///
    /// - Throws: ``LaunchError`` exit 11 on timeout (with the last answer seen), exit 10 when the
    ///   target exited meanwhile; `CancellationError` when cancelled.
    public static func wait(
        for target: StartedTarget, timeout: Duration, makeTransport: TransportFactory,
        failure: @Sendable () -> TargetFailure?, logger: Logger
    ) async throws -> Ready {
        let deadline = ContinuousClock.now + timeout
        func checkAbort() throws {
            if Task.isCancelled { throw CancellationError() }
            if let f = failure() {
                let what =
                    f.component == .etcd
                    ? "etcd failed before the target was ready" : "the target failed before it was ready"
                throw LaunchError("\(what): \(f.message)", exitCode: f.exitCode)
            }
        }
        func timedOut(_ last: String) -> LaunchError {
            LaunchError.unreachable(
                "\(target.url) did not answer /readyz with 200 within \(formatSeconds(timeout)) (last: \(last)); raise --ready-timeout or see the target's log"
            )
        }

        if let ca = target.caFile, !target.insecureSkipTLSVerify {
            var announced = false
            while !Self.hasContent(ca) {
                try checkAbort()
                if ContinuousClock.now >= deadline { throw timedOut("the target never wrote its certificate \(ca)") }
                if !announced {
                    logger.info("waiting for the target to write \(ca)")
                    announced = true
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let transport = try makeTransport(
            HTTPClientConfiguration(
                caFile: target.insecureSkipTLSVerify ? nil : target.caFile,
                insecureSkipTLSVerify: target.insecureSkipTLSVerify, tlsServerName: target.tlsServerName,
                tokenFile: target.tokenFile.isEmpty ? nil : target.tokenFile, timeout: .seconds(3),
                connectTimeout: .seconds(1),
                maxConnectionsPerHost: 1))

        var last = "no answer yet"
        var emulator = false
        var pause = Duration.milliseconds(50)
        while true {
            try checkAbort()
            do {
                let response = try await transport.send(HTTPRequest(url: target.url + "/readyz"))
                emulator = emulator || response.headers["x-kp-sim"] != nil
                if response.status == 200 { break }
                let body =
                    String(decoding: response.body.prefix(200), as: UTF8.self)
                    .split(separator: "\n").first.map(String.init) ?? ""
                last = "HTTP \(response.status)\(body.isEmpty ? "" : " \(body)")"
            } catch {
                last = EtcdHealth.shortReason(error)
            }
            if ContinuousClock.now >= deadline { throw timedOut(last) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
        let readyNs = MonotonicClock.now()

        var gitVersion: String?
        do {
            let response = try await transport.send(HTTPRequest(url: target.url + "/version"))
            emulator = emulator || response.headers["x-kp-sim"] != nil
            if response.status == 200,
                let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            {
                gitVersion = object["gitVersion"] as? String
            } else {
                logger.warning("\(target.url)/version answered HTTP \(response.status); target_version stays empty")
            }
        } catch {
            logger.warning(
                "\(target.url)/version failed (\(EtcdHealth.shortReason(error))); target_version stays empty")
        }
        return Ready(readyNs: readyNs, gitVersion: gitVersion, emulator: emulator)
    }

    static func hasContent(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_size > 0
    }
}
