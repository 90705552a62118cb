import Foundation
import KPHTTP
import KPRecords
import KPStats
import Testing

@testable import KPLoad

@Suite("Outcome accounting and tallies")
struct LoadTallyTests {
    static func response(_ status: Int, sent: Int64, firstByte: Int64, done: Int64, bytes: Int = 10) -> Result<
        HTTPResponse, HTTPError
    > {
        .success(
            HTTPResponse(
                status: status, headers: [:], body: Data(count: bytes), httpVersion: 2,
                timings: TransferTimings(queuedNs: sent - 5, sentNs: sent, firstByteNs: firstByte, doneNs: done)))
    }

    @Test("a 2xx is a success; non-2xx statuses are counted under their code")
    func statuses() {
        let ok = RequestOutcome.classify(
            Self.response(200, sent: 100, firstByte: 150, done: 200), submittedNs: 90, completedNs: 300, timeoutNs: 1000
        )
        #expect(ok.succeeded && ok.statusKey == "200" && ok.sentNs == 100 && ok.endNs == 200 && ok.bytesReceived == 10)
        let conflict = RequestOutcome.classify(
            Self.response(409, sent: 100, firstByte: 150, done: 200), submittedNs: 90, completedNs: 300, timeoutNs: 1000
        )
        #expect(!conflict.succeeded && conflict.isConflict && conflict.statusKey == "409")
        let e503 = RequestOutcome.classify(
            .failure(HTTPError(.status(503, reason: nil, message: nil), url: "u")), submittedNs: 90, completedNs: 300,
            timeoutNs: 1000)
        #expect(!e503.succeeded && e503.statusKey == "503" && e503.httpStatus == 503)
    }

    @Test("a timeout is an error whose latency is the timeout, never dropped")
    func timeout() {
        let t = TransferTimings(queuedNs: 1_000, sentNs: 2_000, firstByteNs: 0, doneNs: 2_000 + 9_990)
        let o = RequestOutcome.classify(
            .failure(HTTPError(.timeout, url: "u", timings: t)), submittedNs: 900, completedNs: 50_000,
            timeoutNs: 10_000)
        #expect(o.timedOut && !o.succeeded && o.statusKey == "timeout")
        #expect(o.endNs - o.sentNs == 10_000)
        var tally = LoadTally()
        tally.recordOperation(
            .read, intendedNs: 1_500, first: o, last: o, conflicts: 0, retries: 0, bytesSent: 0, bytesReceived: 0)
        let w = tally[.read]
        #expect(w.count == 1 && w.errors == 1 && w.byStatus == ["timeout": 1])
        #expect(w.service.max == 10_000)
        #expect(w.response.max == 10_500)
    }

    @Test("transport errors without timings use the submit and completion times")
    func transportClasses() {
        let o = RequestOutcome.classify(
            .failure(HTTPError(.connectionReset, url: "u")), submittedNs: 10, completedNs: 70, timeoutNs: 1000)
        #expect(o.statusKey == "reset" && o.sentNs == 10 && o.endNs == 70 && !o.succeeded)
        let r = RequestOutcome.classify(
            .failure(HTTPError(.connectionRefused, url: "u")), submittedNs: 10, completedNs: 70, timeoutNs: 1000)
        #expect(r.statusKey == "refused")
    }

    @Test("writes: conflicts on Update counted apart, retries counted, response from the intended start")
    func writeAccounting() {
        var tally = LoadTally()
        let get = RequestOutcome(
            statusKey: "200", httpStatus: 200, succeeded: true, timedOut: false, sentNs: 1_100, firstByteNs: 1_400,
            endNs: 1_500, bytesReceived: 1000)
        let upd409 = RequestOutcome(
            statusKey: "409", httpStatus: 409, succeeded: false, timedOut: false, sentNs: 1_550, firstByteNs: 1_900,
            endNs: 2_000, bytesReceived: 200)
        tally.recordRequest(.writeGet, intendedNs: 1_000, outcome: get, bytesSent: 0)
        tally.recordRequest(.writeUpdate, intendedNs: 1_500, outcome: upd409, bytesSent: 1100)
        tally.recordOperation(
            .write, intendedNs: 1_000, first: get, last: upd409, conflicts: 1, retries: 0, bytesSent: 1100,
            bytesReceived: 1200)
        let w = tally[.write]
        #expect(w.count == 1 && w.errors == 1 && w.conflicts == 1 && w.byStatus == ["409": 1])
        #expect(w.response.max == 1_000)  // 2000 - 1000
        #expect(w.service.max == 900)  // 2000 - first send 1100
        #expect(w.firstByte.max == 300)
        let u = tally[.writeUpdate]
        #expect(u.conflicts == 1 && u.response.max == 500 && u.service.max == 450)
        #expect(tally[.writeGet].conflicts == 0 && tally[.writeGet].response.max == 500)

        // Retried to success: conflict and retry counted, not an error.
        let upd200 = RequestOutcome(
            statusKey: "200", httpStatus: 200, succeeded: true, timedOut: false, sentNs: 2_600, firstByteNs: 2_900,
            endNs: 3_000, bytesReceived: 200)
        tally.recordOperation(
            .write, intendedNs: 1_000, first: get, last: upd200, conflicts: 1, retries: 1, bytesSent: 2200,
            bytesReceived: 2400)
        let w2 = tally[.write]
        #expect(
            w2.count == 2 && w2.errors == 1 && w2.conflicts == 2 && w2.retries == 1
                && w2.byStatus == ["409": 1, "200": 1])
    }

    @Test("merging windows equals recording everything into one; percentiles follow")
    func mergeAndPercentiles() throws {
        var a = LoadTally()
        var b = LoadTally()
        var all = LoadTally()
        var rng = SeededRandom(seed: 9)
        for i in 0..<20_000 {
            let intended = Int64(i) * 1_000_000
            let service = Int64(1_000_000 + rng.nextIndex(below: 9_000_000))  // 1..10 ms
            let lag = Int64(rng.nextIndex(below: 100_000))
            let o = RequestOutcome(
                statusKey: i % 100 == 0 ? "500" : "200", httpStatus: i % 100 == 0 ? 500 : 200, succeeded: i % 100 != 0,
                timedOut: false, sentNs: intended + lag, firstByteNs: intended + lag + service / 2,
                endNs: intended + lag + service, bytesReceived: 1024)
            for t in [i % 2 == 0 ? 0 : 1, 2] {
                func rec(_ x: inout LoadTally) {
                    x.recordSend(.read, intendedNs: intended, sentNs: o.sentNs, phaseEndNs: Int64.max)
                    x.recordOperation(
                        .read, intendedNs: intended, first: o, last: o, conflicts: 0, retries: 0, bytesSent: 0,
                        bytesReceived: 1024)
                }
                if t == 0 { rec(&a) } else if t == 1 { rec(&b) } else { rec(&all) }
            }
        }
        var merged = LoadTally()
        merged.merge(a)
        merged.merge(b)
        #expect(merged == all)
        #expect(merged.opWindows == all.opWindows)
        let r = merged[.read]
        #expect(r.count == 20_000 && r.errors == 200 && r.byStatus["500"] == 200)
        #expect(r.bytesReceived == 20_000 * 1024)
        // Service is uniform on 1..10 ms: p50 ≈ 5.5 ms, p99 ≈ 9.91 ms (HDR: within 0.1% plus sampling noise).
        let p50 = Double(r.service.percentile(50)!) / 1e6
        let p99 = Double(r.service.percentile(99)!) / 1e6
        #expect(abs(p50 - 5.5) < 0.15, "p50 \(p50)")
        #expect(abs(p99 - 9.91) < 0.05, "p99 \(p99)")
        #expect(r.response.percentile(100)! == r.response.max!)
        // Response = service + lag, so it is never below service at any percentile.
        for p in [50.0, 90, 99, 99.9] { #expect(r.response.percentile(p)! >= r.service.percentile(p)!) }
        #expect(merged.scheduleLag.max! < 100_000)
        #expect(merged.sentInPhase == [20_000, 0])
        // Wire form round-trips exactly (so kp-report and shard merges see the same numbers).
        let wire = r.window(op: "read")
        #expect(try LatencyHistogram(wire: wire.response) == r.response)
        #expect(wire.firstByte != nil)
        // The shortcut for empty histograms gives exactly what the full walk gives.
        #expect(LatencyHistogram().fastWire == LatencyHistogram().wire)
        #expect(merged.scheduleLag.fastWire == merged.scheduleLag.wire)
    }

    @Test("per-cluster tallies: coarse layout, count and errors, within 1% at p99")
    func clusterTally() throws {
        var c = ClusterTally()
        #expect(c.response == nil)
        for i in 1...1000 { c.record(responseNs: Int64(i) * 10_000, succeeded: i % 10 != 0) }
        let w = c.wire(cluster: "c-001", op: "read")
        #expect(w.count == 1000 && w.errors == 100 && w.response.significantDigits == 2)
        let h = try LatencyHistogram(wire: w.response)
        let p99 = Double(h.percentile(99)!)
        #expect(abs(p99 - 9_900_000) / 9_900_000 < 0.01)
    }
}
