import Foundation
import KPCore
import KPRecords
import KPTestSupport
import Synchronization
import Testing

@testable import KPHTTP

/// HTTPClient against real servers on 127.0.0.1: nghttpd (HTTP/2 over TLS), a Python
/// HTTP/1.1-over-TLS server, a listener that never answers, and a closed port.
@Suite(.tags(.timing)) struct HTTPClientTests {
    /// A docroot with a small file, a cert for 127.0.0.1, and nghttpd serving them.
    final class NghttpdFixture {
        let dir: TestServers.TempDir
        let cert: TestServers.Certificate
        let server: TestServers.ServerProcess
        let fileContent = "hello from nghttpd, 36 bytes long!!\n"

        init(extraArgs: [String] = [], subjectAltName: String = "IP:127.0.0.1") throws {
            dir = try TestServers.TempDir()
            do {
                let docroot = dir.file("docroot")
                try FileManager.default.createDirectory(atPath: docroot, withIntermediateDirectories: true)
                try fileContent.write(toFile: "\(docroot)/small.txt", atomically: true, encoding: .utf8)
                cert = try TestServers.makeCertificate(in: dir, name: "server", subjectAltName: subjectAltName)
                server = try TestServers.startNghttpd(docroot: docroot, certificate: cert, extraArgs: extraArgs)
            } catch {
                dir.cleanup()
                throw error
            }
        }
        var url: String { "https://127.0.0.1:\(server.port)/small.txt" }
        func stop() {
            server.stop()
            dir.cleanup()
        }
    }

    /// The Python HTTP/1.1 TLS server and its cert.
    final class PythonFixture {
        let dir: TestServers.TempDir
        let cert: TestServers.Certificate
        let server: TestServers.ServerProcess

        init() throws {
            dir = try TestServers.TempDir()
            do {
                cert = try TestServers.makeCertificate(in: dir, name: "py")
                server = try TestServers.startPythonTLSServer(certificate: cert, in: dir)
            } catch {
                dir.cleanup()
                throw error
            }
        }
        func url(_ path: String) -> String { "https://127.0.0.1:\(server.port)\(path)" }
        func stop() {
            server.stop()
            dir.cleanup()
        }
    }

    static func expectOrdered(_ t: TransferTimings) {
        #expect(t.queuedNs > 0)
        #expect(t.sentNs >= t.queuedNs)
        #expect(t.firstByteNs >= t.sentNs)
        #expect(t.doneNs >= t.firstByteNs)
    }

    static func errorKind(_ body: () async throws(HTTPError) -> HTTPResponse) async -> HTTPError? {
        do {
            let r = try await body()
            Issue.record("expected an HTTPError, got HTTP \(r.status)")
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Protocols, TLS, token

    @Test func http2OverTLSVerifiedAgainstCA() async throws {
        let fx = try NghttpdFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath))
        let r = try await client.send(HTTPRequest(url: fx.url))
        #expect(r.status == 200)
        #expect(r.httpVersion == 2)
        #expect(String(decoding: r.body, as: UTF8.self) == fx.fileContent)
        #expect(r.headers["content-length"] == String(fx.fileContent.utf8.count))
        #expect(r.headers["server"]?.hasPrefix("nghttpd") == true)
        #expect(r.header("server") == r.headers["server"])
        Self.expectOrdered(r.timings)
        #expect(r.timings.sentNs > 0 && r.timings.firstByteNs > 0)
        #expect(client.statistics.connectionsOpened == 1)

        // Headers off (kp-load's setting): same status, body and timings, no headers, and the
        // pooled handle collects them again for the next request that wants them.
        let bare = try await client.send(HTTPRequest(url: fx.url, collectsResponseHeaders: false))
        #expect(bare.status == 200 && String(decoding: bare.body, as: UTF8.self) == fx.fileContent)
        #expect(bare.headers.isEmpty && bare.header("server") == nil)
        #expect(bare.timings.sentNs > 0 && bare.timings.firstByteNs > 0)
        let again = try await client.send(HTTPRequest(url: fx.url))
        #expect(again.headers["server"]?.hasPrefix("nghttpd") == true)

        let missing = try await client.send(HTTPRequest(url: "https://127.0.0.1:\(fx.server.port)/nope"))
        #expect(missing.status == 404)
        // Connection reuse: the later requests did not open a new connection.
        #expect(client.statistics.connectionsOpened == 1)
        #expect(
            client.statistics
                == HTTPClientStatistics(
                    submitted: 4, completed: 4, failed: 0, connectionsOpened: 1, waitedForConnection: 0, queued: 0,
                    streamSlots: 4 * 1000))
        #expect(client.inFlight == 0)
    }

    @Test func alpnFallsBackToHTTP1() async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath))
        let r = try await client.send(HTTPRequest(url: fx.url("/echo")))
        #expect(r.status == 200)
        #expect(r.httpVersion == 1)
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.headers["x-repeated"] == "a, b")
        Self.expectOrdered(r.timings)
        // Sequential HTTP/1.1 requests reuse the keep-alive connection.
        for _ in 0..<5 { _ = try await client.send(HTTPRequest(url: fx.url("/echo"))) }
        #expect(client.statistics.connectionsOpened == 1)
    }

    @Test func bearerTokenHeadersAndBodyReachTheServer() async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let tokenFile = try fx.dir.write("token", "  s3cr3t-token\n")
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, tokenFile: tokenFile))

        let get = try await client.send(HTTPRequest(url: fx.url("/echo?x=1"), headers: [("X-Test", "42")]))
        let seen = try JSONSerialization.jsonObject(with: get.body) as? [String: Any]
        #expect(seen?["authorization"] as? String == "Bearer s3cr3t-token")
        #expect(seen?["x_test"] as? String == "42")
        #expect(seen?["method"] as? String == "GET")
        #expect(seen?["path"] as? String == "/echo?x=1")

        let post = try await client.send(
            HTTPRequest(method: "POST", url: fx.url("/echo"), body: Data(#"{"a":1}"#.utf8)))
        let posted = try JSONSerialization.jsonObject(with: post.body) as? [String: Any]
        #expect(posted?["method"] as? String == "POST")
        #expect(posted?["body"] as? String == #"{"a":1}"#)
        #expect(posted?["authorization"] as? String == "Bearer s3cr3t-token")

        let delete = try await client.send(HTTPRequest(method: "DELETE", url: fx.url("/echo")))
        #expect(
            (try JSONSerialization.jsonObject(with: delete.body) as? [String: Any])?["method"] as? String == "DELETE")
        // The handle that served DELETE serves a plain GET again.
        let again = try await client.send(HTTPRequest(url: fx.url("/echo")))
        #expect((try JSONSerialization.jsonObject(with: again.body) as? [String: Any])?["method"] as? String == "GET")
    }

    @Test func noTokenMeansNoAuthorizationHeader() async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, tokenFile: ""))
        let r = try await client.send(HTTPRequest(url: fx.url("/echo")))
        let seen = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
        #expect(seen?["authorization"] is NSNull)
    }

    @Test func nonSuccessStatusIsAResponse() async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath))
        let url = fx.url("/status/404")
        let r = try await client.send(HTTPRequest(url: url))
        #expect(r.status == 404)
        #expect(client.statistics.failed == 0)
        #expect(throws: HTTPError.self) { try r.requireSuccess(url: url) }
        do {
            try r.requireSuccess(url: url)
        } catch {
            #expect(error.kind == .status(404, reason: "NotFound", message: "things \"x\" not found"))
            #expect(error.outcomeClass == "404")
        }
    }

    @Test func wrongCAIsATLSErrorAndInsecureSkipsVerification() async throws {
        let fx = try NghttpdFixture()
        defer { fx.stop() }
        let other = try TestServers.makeCertificate(in: fx.dir, name: "other")
        let strict = try HTTPClient(configuration: .init(caFile: other.certPath))
        let error = await Self.errorKind { () async throws(HTTPError) in try await strict.send(HTTPRequest(url: fx.url))
        }
        guard case .tls(let message)? = error?.kind else {
            Issue.record("expected .tls, got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty)
        #expect(error?.outcomeClass == "tls")
        #expect(error?.timings?.sentNs == 0)

        let insecure = try HTTPClient(configuration: .init(caFile: other.certPath, insecureSkipTLSVerify: true))
        let r = try await insecure.send(HTTPRequest(url: fx.url))
        #expect(r.status == 200)
    }

    /// docker mode's case: the certificate names localhost, the URL is 127.0.0.1. The name check
    /// fails it; with tlsServerName the chain is still verified against the CA file, so a certificate
    /// the CA file does not trust still fails, and without a CA file of its own the client refuses.
    @Test func tlsServerNameVerifiesTheChainButNotTheURLsHost() async throws {
        let fx = try NghttpdFixture(subjectAltName: "DNS:localhost")
        defer { fx.stop() }
        let strict = try HTTPClient(configuration: .init(caFile: fx.cert.certPath))
        let mismatch = await Self.errorKind { () async throws(HTTPError) in
            try await strict.send(HTTPRequest(url: fx.url))
        }
        #expect(mismatch?.outcomeClass == "tls", "\(String(describing: mismatch))")

        let named = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, tlsServerName: "localhost"))
        let r = try await named.send(HTTPRequest(url: fx.url))
        #expect(r.status == 200)

        let other = try TestServers.makeCertificate(in: fx.dir, name: "other", subjectAltName: "DNS:localhost")
        let untrusted = try HTTPClient(configuration: .init(caFile: other.certPath, tlsServerName: "localhost"))
        let foreign = await Self.errorKind { () async throws(HTTPError) in
            try await untrusted.send(HTTPRequest(url: fx.url))
        }
        #expect(foreign?.outcomeClass == "tls", "\(String(describing: foreign))")

        #expect(throws: HTTPClientSetupError.self) {
            try HTTPClient(configuration: .init(tlsServerName: "localhost"))
        }
    }

    // MARK: - Failures

    @Test func silentServerTimesOut() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let client = try HTTPClient(configuration: .init(insecureSkipTLSVerify: true))
        let start = MonotonicClock.now()
        let error = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: "https://127.0.0.1:\(listener.port)/", timeout: .milliseconds(300)))
        }
        let elapsed = MonotonicClock.now() - start
        #expect(error?.kind == .timeout)
        #expect(elapsed >= 250_000_000 && elapsed < 5_000_000_000)
        #expect(client.statistics.failed == 1)
    }

    @Test func responseThatNeverComesTimesOut() async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, timeout: .milliseconds(400)))
        let error = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: fx.url("/hang")))
        }
        #expect(error?.kind == .timeout)
        // The request was sent (TLS done) before it timed out.
        #expect((error?.timings?.sentNs ?? 0) > 0)
    }

    /// A body over `maxResponseBytes` fails the request with the limit named, and the next request
    /// on the same pooled handle works (the overflow flag is reset).
    @Test func bodyOverTheLimitIsStoppedAndNamed() async throws {
        let fx = try NghttpdFixture()
        defer { fx.stop() }
        let small = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, maxResponseBytes: 10))
        let error = await Self.errorKind { () async throws(HTTPError) in try await small.send(HTTPRequest(url: fx.url))
        }
        guard case .transport(_, let message)? = error?.kind else {
            Issue.record(
                "expected a transport error for a 36-byte body over a 10-byte limit, got \(String(describing: error))")
            return
        }
        #expect(message.contains("larger than 10 bytes") && !message.contains("\n"))
        let fits = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, maxResponseBytes: 36))
        let r = try await fits.send(HTTPRequest(url: fx.url))
        #expect(r.status == 200 && r.body.count == 36)
        let again = await Self.errorKind { () async throws(HTTPError) in try await small.send(HTTPRequest(url: fx.url))
        }
        #expect(again != nil)
    }

    @Test func closedPortIsRefused() async throws {
        let port = try TestServers.freePort()
        let client = try HTTPClient(configuration: .init())
        let error = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: "https://127.0.0.1:\(port)/"))
        }
        #expect(error?.kind == .connectionRefused)
        #expect(error?.outcomeClass == "refused")
    }

    @Test(arguments: ["/partial", "/rst"])
    func connectionClosedMidResponseIsReset(path: String) async throws {
        let fx = try PythonFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath))
        let error = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: fx.url(path)))
        }
        #expect(error?.kind == .connectionReset)
        #expect(error?.outcomeClass == "reset")
    }

    @Test func unknownHostIsDNS() async throws {
        let client = try HTTPClient(configuration: .init())
        let error = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: "https://no-such-host.invalid/"))
        }
        #expect(error?.kind == .dns)
    }

    @Test func badURLAndHeaderAreBadRequests() async throws {
        let client = try HTTPClient(configuration: .init())
        let scheme = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: "ftp://127.0.0.1/x"))
        }
        guard case .badRequest? = scheme?.kind else {
            Issue.record("expected .badRequest for ftp://, got \(String(describing: scheme))")
            return
        }
        let header = await Self.errorKind { () async throws(HTTPError) in
            try await client.send(HTTPRequest(url: "https://127.0.0.1:1/", headers: [("X-Bad", "a\r\nInjected: 1")]))
        }
        guard case .badRequest? = header?.kind else {
            Issue.record("expected .badRequest for a header with CRLF, got \(String(describing: header))")
            return
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let client = try HTTPClient(configuration: .init(insecureSkipTLSVerify: true, timeout: .seconds(30)))
        let task = Task { () async throws(HTTPError) -> HTTPResponse in
            try await client.send(HTTPRequest(url: "https://127.0.0.1:\(listener.port)/"))
        }
        try await Task.sleep(for: .milliseconds(100))
        let start = MonotonicClock.now()
        task.cancel()
        let result: Result<HTTPResponse, HTTPError> = await task.result.mapError { $0 as! HTTPError }
        #expect(MonotonicClock.now() - start < 2_000_000_000)
        guard case .failure(let error) = result, case .transport(let code, let message) = error.kind else {
            Issue.record("expected a cancelled transport error, got \(result)")
            return
        }
        #expect(code == 42)
        #expect(message.contains("cancelled"))
        #expect(client.inFlight == 0)
    }

    @Test func droppingTheClientFailsWhatIsInFlight() async throws {
        let listener = try TestServers.Listener()
        defer { listener.close() }
        let outcome = Mutex<Result<HTTPResponse, HTTPError>?>(nil)
        do {
            let client = try HTTPClient(configuration: .init(insecureSkipTLSVerify: true, timeout: .seconds(30)))
            client.submit(HTTPRequest(url: "https://127.0.0.1:\(listener.port)/")) { r in outcome.withLock { $0 = r } }
            try await Task.sleep(for: .milliseconds(50))
        }
        // deinit joined the driver thread, so the completion has run.
        let r = outcome.withLock { $0 }
        guard case .failure(let e)? = r, case .transport(42, let message) = e.kind else {
            Issue.record("expected a shut-down error, got \(String(describing: r))")
            return
        }
        #expect(message.contains("shut down"))
    }

    // MARK: - Concurrency and reuse

    @Test func thousandConcurrentRequestsShareAtMostMaxConnections() async throws {
        let fx = try NghttpdFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, maxConnectionsPerHost: 2))
        let count = 1000
        let done = Mutex<(ok: Int, versions: Set<Int>, errors: [String])>((0, [], []))
        let finished = DispatchSemaphore(value: 0)
        let request = HTTPRequest(url: fx.url)
        for _ in 0..<count {
            client.submit(request) { result in
                let last: Bool = done.withLock { d in
                    switch result {
                    case .success(let r) where r.status == 200:
                        d.ok += 1
                        d.versions.insert(r.httpVersion)
                    case .success(let r): d.errors.append("HTTP \(r.status)")
                    case .failure(let e): d.errors.append(e.description)
                    }
                    return d.ok + d.errors.count == count
                }
                if last { finished.signal() }
            }
        }
        // All were handed to libcurl at once: none is held back by the client.
        #expect(client.statistics.submitted == count)
        let waited = await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: finished.wait(timeout: .now() + 20)) }
        }
        #expect(waited == .success)
        let d = done.withLock { $0 }
        #expect(d.ok == count, "errors: \(d.errors.prefix(3))")
        #expect(d.versions == [2])
        let stats = client.statistics
        #expect(stats.completed == count && stats.failed == 0 && client.inFlight == 0)
        #expect(stats.connectionsOpened >= 1 && stats.connectionsOpened <= 2)
        // nghttpd allows 100 streams per connection: at most 200 ran at once, the rest waited in libcurl.
        #expect(stats.waitedForConnection >= count - 200)
    }

    @Test func concurrentAsyncSendsMultiplexOverOneConnection() async throws {
        let fx = try NghttpdFixture()
        defer { fx.stop() }
        let client = try HTTPClient(configuration: .init(caFile: fx.cert.certPath, maxConnectionsPerHost: 1))
        let url = fx.url
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask { (try? await client.send(HTTPRequest(url: url)))?.status ?? -1 }
            }
            var all: [Int] = []
            for await s in group { all.append(s) }
            return all
        }
        #expect(statuses.count == 200 && statuses.allSatisfy { $0 == 200 })
        #expect(client.statistics.connectionsOpened == 1)
    }

    // MARK: - Set-up errors

    @Test func setupErrorsNameTheFile() throws {
        let dir = try TestServers.TempDir()
        defer { dir.cleanup() }
        let missing = dir.file("missing-token")
        #expect {
            _ = try HTTPClient(configuration: .init(tokenFile: missing))
        } throws: { error in
            guard let e = error as? HTTPClientSetupError, case .tokenFile(let path, _) = e.kind else { return false }
            return path == missing && e.description.contains(missing)
        }
        let empty = try dir.write("empty-token", "\n  \n")
        #expect {
            _ = try HTTPClient(configuration: .init(tokenFile: empty))
        } throws: { error in
            (error as? HTTPClientSetupError)?.kind == .tokenFile(path: empty, reason: "is empty")
        }
        let missingCA = dir.file("missing-ca.pem")
        #expect {
            _ = try HTTPClient(configuration: .init(caFile: missingCA))
        } throws: { error in
            (error as? HTTPClientSetupError)?.description.contains(missingCA) == true
        }
        #expect {
            _ = try HTTPClient(configuration: .init(maxConcurrentStreams: 0))
        } throws: { error in
            guard case .setting(let name, _)? = (error as? HTTPClientSetupError)?.kind else { return false }
            return name == "maxConcurrentStreams"
        }
    }

    // MARK: - Units

    @Test func headerStorageParsesLazilyAndJoinsRepeats() {
        let raw = Array("content-type\0text/plain\0x-a\01\0x-a\02\0empty\0\0".utf8)
        let storage = HTTPHeaderStorage(raw: raw)
        #expect(storage.value("x-a") == "1, 2")
        #expect(storage.dictionary == ["content-type": "text/plain", "x-a": "1, 2", "empty": ""])
        var r = HTTPResponse(
            status: 200, headers: ["a": "1"], body: Data(), httpVersion: 2,
            timings: TransferTimings(queuedNs: 1, sentNs: 2, firstByteNs: 3, doneNs: 4))
        let copy = r
        r.headers["b"] = "2"
        #expect(r.headers == ["a": "1", "b": "2"])
        #expect(copy.headers == ["a": "1"])  // value semantics
        #expect(r.header("b") == "2")
    }

    @Test func millisecondsRoundUpAndNeverReachZero() {
        #expect(MultiDriver.milliseconds(.seconds(2)) == 2000)
        #expect(MultiDriver.milliseconds(.microseconds(1)) == 1)
        #expect(MultiDriver.milliseconds(.microseconds(1500)) == 2)
        #expect(MultiDriver.milliseconds(.zero) == 1)
    }
}
