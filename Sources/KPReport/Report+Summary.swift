import KPRecords
import KPStats

extension Report {
    /// The first line of a summary of a kp-sim run.
    public static let emulatorNotice =
        "> **These numbers describe kp-sim, the bundled emulator, not the kplane apiserver.** They test the harness; do not size a kplane deployment from them."

    /// `summary.md`: the human-readable digest (sections documented in docs/reports.md).
    public var summaryMarkdown: String {
        var out: [String] = []
        if isEmulator { out.append(Self.emulatorNotice + "\n") }
        out.append("# kp-bench report: \(data.runMeta?.run ?? "(run name unknown: no run_meta)")\n")
        let incomplete = incompleteReasons
        if !incomplete.isEmpty {
            out.append("**INCOMPLETE:** " + incomplete.joined(separator: "; ") + ".\n")
        }
        if !problems.isEmpty {
            out.append(
                "**Data problems:** \(problems.count) (see [Data problems](#data-problems)); the tables they touch are incomplete.\n"
            )
        }
        if let existing = existingVCPsWarning { out.append(existing + "\n") }
        out.append(runSection)
        // A scenario that creates no VCP (observe) has no bootstrap, no N and so no per-VCP figures.
        let createsVCPs = scenarioModel.createsVCPs
        if createsVCPs { out.append(headlineSection) }
        out.append(phasesSection)
        if createsVCPs { out.append(perVCPSection) }
        out.append(deltaSection)
        let fleet = fleetSection
        if !fleet.isEmpty { out.append(fleet) }
        if createsVCPs { out.append(bootstrapSection) }
        let teardown = teardownSection
        if !teardown.isEmpty { out.append(teardown) }
        let churn = churnSection
        if !churn.isEmpty { out.append(churn) }
        let restart = restartSection
        if !restart.isEmpty { out.append(restart) }
        let observed = observedSection
        if !observed.isEmpty { out.append(observed) }
        if let load { out.append(loadSection(load)) }
        let knee = kneeSection
        if !knee.isEmpty { out.append(knee) }
        let snapshot = snapshotSection
        if !snapshot.isEmpty { out.append(snapshot) }
        let watch = watchSection
        if !watch.isEmpty { out.append(watch) }
        if let slo { out.append(sloSection(slo)) }
        if budgets != nil { out.append(budgetsSection) }
        let internalsText = internalsSection
        if !internalsText.isEmpty { out.append(internalsText) }
        out.append(sizingSection)
        out.append(observerCostSection)
        out.append(profilesSection)
        out.append(problemsSection)
        return out.joined(separator: "\n")
    }

    // MARK: - Run

    var runSection: String {
        var t = MarkdownTable(["", ""], rightAligned: [false, false])
        let m = data.runMeta
        let e = data.endpoint
        t.add(["run", m?.run ?? Format.missing])
        t.add(["scenario", m?.scenario ?? Format.missing])
        if let end = data.runEnd {
            var s = "\(end.status) (phase \(end.phase), exit code \(end.exitCode))"
            if let r = end.reason { s += ": \(r)" }
            t.add(["status", s])
            t.add(["ended", end.endedAt])
        } else {
            t.add(["status", "\(Format.missing) (no run_end record)"])
        }
        t.add(["started", m?.startedAt ?? e?.startedAt ?? Format.missing])
        if let e {
            var target = e.target
            if e.emulator { target += " (emulator)" }
            t.add(["target", target])
            t.add(["target version", e.targetVersion ?? Format.missing])
            if let c = e.targetCommit { t.add(["target commit", c]) }
            t.add(["mode", e.mode])
            t.add(["URL", e.url])
            if let image = e.image {
                t.add(["image", image + (e.imageDigest.map { " (\($0))" } ?? "")])
            }
            if let args = e.targetArgs, let bin = args.first { t.add(["binary", bin]) }
            if let etcd = e.etcdEndpoints {
                var s = etcd
                if let managed = e.etcdManaged { s += managed ? " (throw-away, started for this run)" : " (external)" }
                if let p = e.etcdPrefix { s += ", prefix \(p)" }
                t.add(["etcd", s])
            }
            if e.insecureSkipTLSVerify { t.add(["TLS", "**verification switched off** (--insecure-skip-tls-verify)"]) }
        } else {
            t.add(["target", "\(Format.missing) (no endpoint.json)"])
        }
        if let h = m?.host {
            var s = "\(h.hostname): \(h.cores) cores, \(Format.bytes(Double(h.memoryBytes))) memory, kernel \(h.kernel)"
            if let os = h.os { s += ", \(os)" }
            t.add(["host", s])
        } else {
            t.add(["host", Format.missing])
        }
        t.add(["kp-bench", (m?.kpBenchVersion ?? Format.missing) + (m?.harness.map { ", \($0.text)" } ?? "")])
        t.add(["VCPs (N)", phases.vcps.map(String.init) ?? Format.missing])
        for row in loadRunRows { t.add(row) }
        var text = "## Run\n\n" + t.text
        if let flags = m?.flags, !flags.isEmpty {
            var f = MarkdownTable(["flag", "value"], rightAligned: [false, false])
            for k in flags.keys.sorted() {
                f.add([k, flags[k]!.isEmpty ? "(empty)" : "`\(flags[k]!.replacingOccurrences(of: "`", with: "'"))`"])
            }
            text += "\nFlags as given:\n\n" + f.text
        }
        return text
    }

    // MARK: - Phases

    var phasesSection: String {
        var text = "## Phases\n\n"
        guard !phases.rows.isEmpty else {
            return text + "No phase samples (samples.jsonl is missing or holds none).\n"
        }
        var t = MarkdownTable(["phase", "elapsed", "CPU %", "heap in-use", "heap alloc", "RSS", "goroutines", "fds"])
        for r in phases.rows {
            let s = r.sample
            t.add([
                r.phase, Format.seconds(r.elapsedNs), Format.percent(r.cpuPercent), Format.bytes(s.heapInuseBytes),
                Format.bytes(s.heapAllocBytes), Format.bytes(s.rssBytes), Format.count(s.goroutines),
                Format.count(s.openFds),
            ])
        }
        text += t.text
        text +=
            "\nElapsed is since the run started. CPU % is the average over the interval ending at the phase's sample, from the previous phase's sample (100% = one core):"
        text +=
            " "
            + phases.rows.map { r in
                r.cpuIntervalNs.map { "\(r.phase) over \(Format.seconds($0)) from \(r.cpuFrom ?? "?")" }
                    ?? "\(r.phase) —"
            }.joined(separator: ", ") + ".\n"
        if !phases.missingPhases.isEmpty {
            text += "\nMissing phases: " + phases.missingPhases.joined(separator: ", ") + " (no sample record).\n"
        }
        let dups = phases.rows.filter { $0.duplicates > 0 }
        if !dups.isEmpty {
            text +=
                "\n"
                + dups.map { "\($0.phase) was sampled \($0.duplicates + 1) times; the last successful sample is used." }
                .joined(separator: " ") + "\n"
        }
        if !phases.missingFigures.isEmpty {
            text += "\nMissing figures (shown as —):\n\n"
            for m in phases.missingFigures { text += "- \(m.phase) \(m.figure): \(m.reason)\n" }
        }
        return text
    }

    // MARK: - Per VCP

    static let perVCPFigures: [(ResourceFigure, String, Bool)] = [
        (.heapInuse, "heap in-use KiB/VCP", true), (.heapAlloc, "heap alloc KiB/VCP", true),
        (.rss, "RSS KiB/VCP", true), (.goroutines, "goroutines/VCP", false), (.openFds, "fds/VCP", false),
    ]

    var perVCPSection: String {
        let text = "## Per VCP\n\n"
        let cols = phases.phasesAfterBaseline
        guard let n = phases.vcps, n > 0, phases.row("baseline") != nil, !cols.isEmpty else {
            let why =
                phases.vcps == nil || phases.vcps == 0
                ? "the number of VCPs is unknown or zero (\(phases.vcpsSource))"
                : "there is no baseline sample or no later phase"
            return text + "Not computed: \(why).\n"
        }
        let hot = hotVCPLoadCost
        let hotColumn = hot.map { ["\($0.after) − \($0.before) per hot VCP"] } ?? []
        var t = MarkdownTable(["figure"] + cols.map { "\($0) − baseline" } + hotColumn)
        for (f, title, bytes) in Self.perVCPFigures {
            t.add(
                [title]
                    + (cols.map { phases.perVCP(f, phase: $0) } + (hot.map { [$0.value(f)] } ?? [])).map { v in
                        bytes ? Format.kib(v) : Format.fixed(v, 3)
                    })
        }
        return text + "(phase − baseline) / N, N = \(n) VCPs (\(phases.vcpsSource))." + hotVCPNote + "\n\n" + t.text
    }

    // MARK: - Deltas

    var deltaSection: String {
        var pairs: [(String, String)] = []
        let present = phases.rows.map(\.phase)
        for (a, b) in zip(present, present.dropFirst()) { pairs.append((a, b)) }
        if present.contains("baseline") && present.contains("steady")
            && !pairs.contains(where: { $0 == ("baseline", "steady") })
        {
            pairs.append(("baseline", "steady"))
        }
        let text = "## Deltas\n\n"
        guard !pairs.isEmpty else { return text + "Not computed: fewer than two phase samples.\n" }
        var t = MarkdownTable([
            "from → to", "Δ heap in-use", "Δ heap alloc", "Δ RSS", "Δ goroutines", "Δ fds", "CPU seconds",
        ])
        for (a, b) in pairs {
            t.add([
                "\(a) → \(b)", Format.signedBytes(phases.delta(.heapInuse, from: a, to: b)),
                Format.signedBytes(phases.delta(.heapAlloc, from: a, to: b)),
                Format.signedBytes(phases.delta(.rss, from: a, to: b)),
                Format.signed(phases.delta(.goroutines, from: a, to: b), 0),
                Format.signed(phases.delta(.openFds, from: a, to: b), 0),
                Format.fixed(phases.delta(.cpuSeconds, from: a, to: b), 2),
            ])
        }
        return text + t.text
    }

    // MARK: - Bootstrap

    var bootstrapSection: String {
        var text = "## Bootstrap\n\n"
        let b = bootstrap
        guard b.summary != nil || !b.steps.isEmpty else {
            return text + "No bootstrap records (bootstrap.jsonl is missing or empty).\n"
        }
        if let s = b.summary {
            text +=
                "\(Format.count(s.clusters)) clusters with \(s.workers) workers in \(Format.seconds(b.wallNs))"
                + (fleetBootstrapSplit.map { " from the Fleet create (Fleet wait \(Self.secondsText($0.waitNs)) s)" }
                    ?? "")
                + ": \(Format.count(s.ok)) ok, \(Format.count(s.failed)) failed, \(Format.count(s.requests)) requests"
            text += s.interrupted ? " (**interrupted**: counts cover what had finished).\n" : ".\n"
        } else {
            text +=
                "No bootstrap_summary record (kp-bootstrap did not finish); \(b.clusters) clusters have step records, spanning \(Format.seconds(b.wallNs)).\n"
        }
        var t = MarkdownTable(["step", "clusters", "ok", "failed", "attempts", "p50 ms", "p90 ms", "p99 ms", "max ms"])
        for st in b.steps {
            let d = st.durationsMs
            t.add([
                st.step, Format.count(st.records), Format.count(st.ok), Format.count(st.failed),
                Format.count(st.attempts),
                Format.fixed(d?.p50, 1), Format.fixed(d?.p90, 1), Format.fixed(d?.p99, 1), Format.fixed(d?.max, 1),
            ])
        }
        if let c = b.clusterTotalMs {
            t.add([
                "whole cluster", Format.count(c.count), Format.count(c.count), "", "", Format.fixed(c.p50, 1),
                Format.fixed(c.p90, 1), Format.fixed(c.p99, 1), Format.fixed(c.max, 1),
            ])
        }
        text +=
            "\nStep durations across clusters (nearest-rank percentiles over steps that ended ok; whole cluster = first request to discovery):\n\n"
            + t.text
        text += "\n### Failures\n\n"
        if b.failures.isEmpty && (b.summary?.failed ?? 0) == 0 {
            text += "None: every step ended ok.\n"
        } else {
            var byKind: [String: Int] = [:]
            for f in b.failures { byKind["\(f.step) \(f.outcome)", default: 0] += 1 }
            text +=
                "\(b.failures.count) steps did not end ok: "
                + byKind.keys.sorted().map { "\($0) ×\(byKind[$0]!)" }.joined(separator: ", ") + ".\n"
            if let first = b.summary?.firstError { text += "\nFirst error: \(first)\n" }
            let shown = b.failures.prefix(5)
            if !shown.isEmpty {
                text += "\nFirst failures:\n\n"
                for f in shown { text += "- \(f.cluster) \(f.step) \(f.outcome): \(f.error ?? "no reason given")\n" }
            }
        }
        if !b.statusCounts.isEmpty {
            text +=
                "\nAnswers by status: "
                + b.statusCounts.keys.sorted().map { "\($0) ×\(Format.count(b.statusCounts[$0]!))" }.joined(
                    separator: ", ") + ".\n"
        }
        text += "\nRetries after 429/5xx: \(Format.count(b.retries))"
        if let r = b.summary?.retriesByStatus, !r.isEmpty {
            text += " (" + r.keys.sorted().map { "\($0) ×\(r[$0]!)" }.joined(separator: ", ") + ")"
        }
        text += ".\n"
        if !data.toolErrors.isEmpty {
            text += "\nErrors reported by the tools:\n\n"
            for e in data.toolErrors.prefix(20) {
                text += "- \(e.tool): \(e.message)\(e.input.map { " (\($0))" } ?? "")\n"
            }
            if data.toolErrors.count > 20 { text += "- … and \(data.toolErrors.count - 20) more\n" }
        }
        return text
    }

    // MARK: - Load

    func loadSection(_ l: LoadAnalysis) -> String {
        var text = "## Load\n\n"
        let f = l.final
        if f.generatorLimited {
            text +=
                "**GENERATOR-LIMITED: kp-load could not keep its schedule"
                + (f.generatorLimitReason.map { " (\($0))" } ?? "")
                + "; these latencies describe the load generator as much as the server. Re-run with more headroom before trusting them.**\n\n"
        }
        if f.targetSaturated == true, !f.generatorLimited {
            text +=
                "**" + (f.targetSaturationReason ?? "target saturated")
                + ".** kp-load kept its own schedule; the operations waited on the server, so the latencies below are the server's at this offered rate.\n\n"
        }
        if f.interrupted { text += "**The load phase was interrupted; the figures cover what had finished.**\n\n" }
        let shards = data.loadShards
        if shards.count > 0 {
            let found = shards.shards.filter { $0.count == shards.count && $0.final != nil }.count
            text +=
                "Load from \(shards.count) kp-load shard\(shards.count == 1 ? "" : "s") (`load-I-of-\(shards.count).jsonl`), \(found) with a load_final, merged exactly (HDR histograms added)"
            text +=
                shards.problems.isEmpty ? ".\n\n" : "; INCOMPLETE: " + shards.problems.joined(separator: "; ") + ".\n\n"
        }
        text += "\(Format.fixed(Double(l.durationNs) / 1e9, 1)) s of load"
        if let b = f.storedObjectBytes { text += "; objects stored at \(Format.count(b)) bytes" }
        text +=
            ". Response time = end − intended start (includes queueing behind a late schedule); service time = end − actual send.\n\n"
        var seed = MarkdownTable(["op", "count", "errors", "p50", "p99", "max"])
        for op in l.ops {
            seed.add([
                op.op, Format.count(op.count), Format.count(op.errors),
                Format.latency(op.response?.percentile(50).map(Double.init)),
                Format.latency(op.response?.percentile(99).map(Double.init)),
                Format.latency(op.response?.max.map(Double.init)),
            ])
        }
        text += seed.text
        for (title, path) in [
            ("Response time", \LoadAnalysis.OpStats.response), ("Service time", \LoadAnalysis.OpStats.service),
        ] {
            var t = MarkdownTable(["op", "target rps", "achieved rps", "p50", "p90", "p99", "p99.9", "max", "mean"])
            for op in l.ops {
                let h = op[keyPath: path]
                t.add([
                    op.op, Format.fixed(op.targetRps, 1), Format.fixed(op.achievedRps, 1),
                    Format.latency(h?.percentile(50).map(Double.init)),
                    Format.latency(h?.percentile(90).map(Double.init)),
                    Format.latency(h?.percentile(99).map(Double.init)),
                    Format.latency(h?.percentile(99.9).map(Double.init)),
                    Format.latency(h?.max.map(Double.init)), Format.latency(h?.mean),
                ])
            }
            text += "\n### \(title)\n\n" + t.text
        }
        text += "\n### Errors\n\n"
        var e = MarkdownTable(
            ["op", "errors", "by status", "conflicts (409)", "conflict retries"],
            rightAligned: [false, true, false, true, true])
        for op in l.ops {
            let statuses = op.byStatus.keys.sorted().map { "\($0) ×\(Format.count(op.byStatus[$0]!))" }.joined(
                separator: ", ")
            e.add([
                op.op, Format.count(op.errors), statuses.isEmpty ? Format.missing : statuses,
                Format.count(op.conflicts), Format.count(op.retries),
            ])
        }
        text += e.text
        text += "\n### Generator self-check\n\n"
        var g = MarkdownTable(["", ""], rightAligned: [false, true])
        g.add(["schedule lag p50", Format.latency(l.scheduleLag?.percentile(50).map(Double.init))])
        g.add(["schedule lag p99", Format.latency(l.scheduleLag?.percentile(99).map(Double.init))])
        g.add(["schedule lag max", Format.latency(l.scheduleLag?.max.map(Double.init))])
        g.add(["in-flight peak", Format.count(f.generator.inflightPeak)])
        g.add(["backlog at end", Format.count(f.generator.backlog)])
        g.add([
            "kp-load CPU",
            "\(Format.fixed(f.generator.cpuSeconds, 2)) s (\(Format.percent(l.generatorCPUPercent)) of one core)",
        ])
        for op in f.targetRps.keys.sorted() {
            g.add([
                "\(op) rate: achieved / target",
                "\(Format.fixed(f.achievedRps[op], 1)) / \(Format.fixed(f.targetRps[op], 1)) per s",
            ])
        }
        g.add(["generator limited", f.generatorLimited ? "**yes**" : "no"])
        if let t = f.targetSaturated { g.add(["target saturated", t ? "**yes**" : "no"]) }
        text += g.text
        if !l.spread.isEmpty {
            text += "\n### Spread across clusters\n\n"
            var s = MarkdownTable(
                ["op", "clusters", "lowest p99", "highest p99", "highest / lowest"],
                rightAligned: [false, true, false, false, true])
            for sp in l.spread {
                let ratio =
                    sp.minP99Ns > 0 ? Format.fixed(Double(sp.maxP99Ns) / Double(sp.minP99Ns), 2) + "×" : Format.missing
                s.add([
                    sp.op, Format.count(sp.clusters), "\(Format.latency(Double(sp.minP99Ns))) (\(sp.minCluster))",
                    "\(Format.latency(Double(sp.maxP99Ns))) (\(sp.maxCluster))", ratio,
                ])
            }
            text += "Response-time p99 per cluster that got load:\n\n" + s.text
        }
        text += serverSection(l)
        return text
    }

    // MARK: - Profiles

    var profilesSection: String {
        var text = "## Profiles\n\n"
        if profiles.files.isEmpty && profiles.missing.isEmpty {
            return text + "No pprof files and no profile records.\n"
        }
        if !profiles.files.isEmpty {
            var t = MarkdownTable(["file", "bytes", "phase", "digest"], rightAligned: [false, true, false, false])
            for f in profiles.files {
                t.add([
                    "pprof/\(f.name)", Format.count(f.bytes), f.phase ?? Format.missing,
                    f.digest.isEmpty ? Format.missing : f.digest,
                ])
            }
            text += t.text + "\nOpen a heap profile with `go tool pprof <file>` to attribute heap to call sites.\n"
        }
        if !profiles.missing.isEmpty {
            text += "\nMissing profiles:\n\n"
            for m in profiles.missing { text += "- \(m.profile) at \(m.phase): \(m.reason)\n" }
        }
        return text
    }

    // MARK: - Data problems

    var problemsSection: String {
        var text = "## Data problems\n\n"
        guard !problems.isEmpty else { return text + "None: every line of every input was read.\n" }
        text += "Skipped or unusable input (the report used everything else):\n\n"
        for p in problems { text += "- \(p.location): \(p.message)\n" }
        let sections = Set(problems.flatMap(\.affects)).sorted()
        if !sections.isEmpty { text += "\nIncomplete tables: " + sections.joined(separator: ", ") + ".\n" }
        return text
    }
}
