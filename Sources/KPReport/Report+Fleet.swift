import Foundation
import KPRecords

extension Report {
    /// `## Fleet` (scenario fleet-bootstrap, contract §3.3): time to all members Ready as the Fleet's status
    /// reports it, the bootstrap time split into the Fleet wait and the members' steps, the phase
    /// transitions seen, and how long after that the members were really usable (their `namespace` and
    /// `discovery` steps). Empty when the run has no `fleet_status` record.
    var fleetSection: String {
        guard let f = data.fleetStatus else {
            return data.fleetMembers.isEmpty
                ? ""
                : "## Fleet\n\n\(data.fleetMembers.count) fleet_member records but no fleet_status record (kp-bootstrap did not finish the Fleet wait).\n"
        }
        var text = "## Fleet\n\n"
        let naming =
            f.names.map { "names \($0.prefix(3).joined(separator: ", "))\($0.count > 3 ? ", …" : "")" }
            ?? "prefix `\(f.namePrefix ?? "\(f.fleet)-")`"
        text += "Fleet `\(f.fleet)` (replicas \(Format.count(f.replicas)), \(naming)): **\(f.outcome)**"
        if let ready = f.readyNs {
            text += ", all members Ready \(Self.durationText(ready - f.startNs)) after the create was sent"
        } else {
            text +=
                ", status.readyReplicas \(Format.count(f.readyReplicas)) of \(Format.count(f.replicas)) when the wait ended after \(Self.durationText(f.endNs - f.startNs))"
        }
        text += "; \(Format.count(f.requests)) requests, \(Format.count(f.transitions)) member phase changes seen.\n"
        if let error = f.error { text += "\nError: \(error)\n" }
        if let split = fleetBootstrapSplit {
            text +=
                "\nBootstrap time \(Self.secondsText(split.waitNs + split.stepsNs)) s from the Fleet create to the members' last step (discovery): "
                + "Fleet wait \(Self.secondsText(split.waitNs)) s (create sent → all members Ready), "
                + "then \(Self.secondsText(split.stepsNs)) s of member steps. "
                + "The headline, comparisons and repeat sets use this span, as they use a client-driven bootstrap's first request to its last step.\n"
        }
        text +=
            "\nFleet \"Ready\" is the server's `/readyz` probe of each member, i.e. process readiness (contract §3.4); "
        text += "a member is usable when its `namespace` step (namespace `default` exists) ends, shown below.\n"

        // Per-phase arrival: when members first reached each phase, from the create.
        var t = MarkdownTable(
            ["phase", "members", "first s", "p50 s", "last s"], rightAligned: [false, true, true, true, true])
        var firstSeen: [String: [String: Int64]] = [:]
        for m in data.fleetMembers where m.fleet == f.fleet && firstSeen[m.phase]?[m.cluster] == nil {
            firstSeen[m.phase, default: [:]][m.cluster] = m.tNs - f.startNs
        }
        for phase in firstSeen.keys.sorted(by: { Self.phaseRank($0) < Self.phaseRank($1) }) {
            let times = firstSeen[phase]!.values.sorted()
            t.add([
                phase, Format.count(times.count), Self.secondsText(times.first),
                Self.secondsText(times[(times.count - 1) / 2]),
                Self.secondsText(times.last),
            ])
        }
        // The members' own readiness: when their namespace and discovery steps ended ok.
        let members = Set(
            f.names ?? (0..<f.replicas).map { (f.namePrefix ?? "\(f.fleet)-") + String(format: "%04d", $0) })
        for step in ["namespace", "discovery"] {
            let times = data.steps.filter { $0.step == step && $0.outcome == "ok" && members.contains($0.cluster) }
                .map { $0.endNs - f.startNs }.sorted()
            guard !times.isEmpty else { continue }
            t.add([
                "\(step) ok (client)", Format.count(times.count), Self.secondsText(times.first),
                Self.secondsText(times[(times.count - 1) / 2]), Self.secondsText(times.last),
            ])
        }
        text +=
            "\nTime from the Fleet create to each member first seen in a phase (poll resolution), then to its steps (p50 = nearest rank):\n\n"
            + t.text
        let changes = data.fleetMembers.filter { $0.fleet == f.fleet && $0.previous != nil }
        if !changes.isEmpty {
            var c = MarkdownTable(["member", "from", "to", "at s"], rightAligned: [false, false, false, true])
            for m in changes.prefix(20) {
                c.add([m.cluster, m.previous ?? "", m.phase, Self.secondsText(m.tNs - f.startNs)])
            }
            text +=
                "\nPhase changes after a member's first appearance"
                + (changes.count > 20 ? " (first 20 of \(changes.count))" : "") + ":\n\n" + c.text
        }
        return text
    }

    /// fleet-bootstrap's bootstrap time (``BootstrapAnalysis/span(_:)``, from the Fleet create) split at
    /// the end of the Fleet wait: the wait (`fleet_status` start to end) and the rest, the members'
    /// steps to the last one's end. Nil without a `fleet_status` record or member steps after it.
    var fleetBootstrapSplit: (waitNs: Int64, stepsNs: Int64)? {
        guard let f = data.fleetStatus, let start = bootstrap.startNs, let wall = bootstrap.wallNs,
            start == f.startNs, start + wall >= f.endNs
        else { return nil }
        return (f.endNs - f.startNs, start + wall - f.endNs)
    }

    static func phaseRank(_ phase: String) -> Int {
        ["Pending": 0, "Ready": 1, "Failed": 2][phase] ?? 3
    }

    static func durationText(_ ns: Int64) -> String {
        Format.fixed(Double(ns) / 1e9, 2) + " s"
    }

    static func secondsText(_ ns: Int64?) -> String {
        Format.fixed(ns.map { Double($0) / 1e9 }, 3)
    }
}
