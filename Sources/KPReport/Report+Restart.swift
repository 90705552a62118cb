import Foundation
import KPRecords
import KPStats

/// Scenario restart (contract §3.1): the restart's times, what the server holds at readyz before any
/// VCP is touched, and the lazy re-bootstrap under every VCP's first request.
public struct RestartFigures: Sendable {
    /// CLOCK_MONOTONIC spans from the `restart` record, ns: request to the old target gone, the new
    /// target's start to `/readyz` 200 (time to readyz), and the whole downtime (stop to ready).
    public var stopNs: Int64?
    public var toReadyNs: Int64?
    public var downNs: Int64?
    /// The first requests' latencies (HDR), ns, of the VCPs that answered 200.
    public var latency = LatencyHistogram()
    /// VCPs that needed more than one attempt.
    public var retried = 0
    /// `first_request_summary` start to the last answer, when every VCP answered.
    public var allAnsweredNs: Int64?

    /// The figures of one run's records.
    public static func compute(
        restart: RestartRecord?, requests: [FirstRequestRecord], summary: FirstRequestSummaryRecord?
    )
        -> RestartFigures
    {
        var f = RestartFigures()
        if let r = restart {
            f.stopNs = r.stoppedNs - r.stopNs
            f.toReadyNs = r.readyNs.map { $0 - r.startedNs }
            f.downNs = r.readyNs.map { $0 - r.stopNs }
        }
        for q in requests where q.outcome == "ok" { f.latency.record(max(0, q.endNs - q.startNs)) }
        f.retried = requests.filter { $0.attempts > 1 }.count
        if let s = summary, s.failed == 0, !s.interrupted, s.ok == s.clusters, s.endNs >= s.startNs {
            f.allAnsweredNs = s.endNs - s.startNs
        }
        return f
    }
}

extension Report {
    /// The restart scenario's figures; nil when the run has no restart records.
    var restartFigures: RestartFigures? {
        guard data.restart != nil || data.firstRequestSummary != nil || !data.firstRequests.isEmpty else { return nil }
        return RestartFigures.compute(
            restart: data.restart, requests: data.firstRequests, summary: data.firstRequestSummary)
    }

    /// `## Restart`: time to readyz, heap/RSS/goroutines at readyz and after the first requests against
    /// the steady sample before the restart, and the first requests' latency distribution and time until
    /// every VCP answered. Empty for a run without restart records or samples.
    var restartSection: String {
        let ready = phases.row("restart-ready")
        guard let f = restartFigures ?? (ready != nil ? RestartFigures() : nil) else { return "" }
        var text = "## Restart\n\n"
        if let r = data.restart {
            let storage =
                r.mode == "docker"
                ? "docker compose restart of the apiserver container (etcd and its volume untouched)"
                : "the same flags, port, etcd (\(r.etcdEndpoints ?? Format.missing)) and prefix (\(r.etcdPrefix ?? Format.missing))"
            text += "kp-launch restart (\(r.mode) mode): the target stopped and started again with \(storage)"
            text += r.outcome == "ok" ? ".\n\n" : "; **the restart failed**: \(r.error ?? "no reason given").\n\n"
            var t = MarkdownTable(["restart", "time"])
            if r.mode != "docker" {
                t.add(["stop (SIGTERM until the old target exited)", Format.latency(f.stopNs.map(Double.init))])
            }
            t.add(["time to readyz (start until /readyz 200)", Format.latency(f.toReadyNs.map(Double.init))])
            t.add(["down (stop until /readyz 200)", Format.latency(f.downNs.map(Double.init))])
            text += t.text + "\n"
            let expected = gaps.restartSeries
            if expected > 0 {
                text +=
                    "\(Format.count(expected)) series sample\(expected == 1 ? "" : "s") failed while the target was down for the restart, as expected (not counted as missing).\n\n"
            }
        } else {
            text += "No restart record (restart.jsonl): kp-launch restart did not answer.\n\n"
        }
        let rows = ["steady", "restart-ready", "post-restart"].map { ($0, phases.row($0)) }
        if rows.contains(where: { $0.1 != nil }) {
            text +=
                "Memory and goroutines before the restart (steady), at readyz before any VCP was touched (restart-ready), and after every VCP's first request and the settle (post-restart); the last columns compare with steady.\n\n"
            var t = MarkdownTable([
                "figure", "steady", "restart-ready", "post-restart", "ready − steady", "post − steady",
            ])
            for figure in [ResourceFigure.heapInuse, .rss, .goroutines] {
                let v = rows.map { $0.1.flatMap { figure.value(in: $0.sample) } }
                let show: (Double?) -> String = { figure.isBytes ? Format.bytes($0) : Format.fixed($0, 0) }
                let delta: (Double?, Double?) -> String = { a, b in
                    guard let a, let b else { return Format.missing }
                    return figure.isBytes ? Format.signedBytes(a - b) : Format.signed(a - b, 0)
                }
                t.add([figure.title, show(v[0]), show(v[1]), show(v[2]), delta(v[1], v[0]), delta(v[2], v[0])])
            }
            text += t.text + "\n"
        }
        if let s = data.firstRequestSummary {
            text +=
                "First requests (kp-bootstrap --first-request: each VCP's list of its test objects, \(Format.count(s.workers)) at a time): \(Format.count(s.ok)) of \(Format.count(s.clusters)) VCPs answered 200"
            if s.failed > 0 { text += ", **\(Format.count(s.failed)) failed** (first: \(s.firstError ?? "?"))" }
            if s.interrupted { text += "; the storm was interrupted" }
            text += ".\n\n"
            if let all = f.allAnsweredNs {
                text += "Time until all \(Format.count(s.clusters)) VCPs answered: \(Format.latency(Double(all))).\n\n"
            }
        } else if !data.firstRequests.isEmpty {
            text +=
                "No first_request_summary record (kp-bootstrap --first-request did not finish); \(data.firstRequests.count) first_request records.\n\n"
        }
        if !f.latency.isEmpty {
            var t = MarkdownTable(["first request per VCP", "VCPs", "p50", "p90", "p99", "max"])
            let p = f.latency.percentiles([50, 90, 99, 100]).map { Format.latency($0.map(Double.init)) }
            t.add(["latency (retries included)", Format.count(f.latency.count), p[0], p[1], p[2], p[3]])
            text += t.text + "\n"
            if f.retried > 0 {
                text +=
                    "\(Format.count(f.retried)) VCPs needed more than one attempt (429, 5xx or transport errors).\n\n"
            }
        }
        if data.endpoint?.emulator == true { text += "These are kp-sim's figures, not kplane's.\n" }
        return text
    }
}
