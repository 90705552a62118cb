import Testing

@testable import KPSim

@Suite struct SimArgumentParserTests {
    @Test func acceptsTheSmokeFlagSetAndUnknownFlags() throws {
        let arguments =
            Support.smokeArguments(dir: "/tmp/x") + [
                "--etcd-servers=http://127.0.0.1:2379", "--etcd-prefix=/registry-smoke-x-1",
                "--root-control-plane-name=main",
                "--bind-address=127.0.0.1", "--foo=bar", "--profiling", "--max-requests-inflight", "400",
            ]
        let config = try Support.configuration(arguments)
        #expect(config.etcdServers == ["http://127.0.0.1:2379"])
        #expect(config.etcdPrefix == "/registry-smoke-x-1")
        #expect(config.certDir == "/tmp/x/certs")
        #expect(config.securePort == 0)
        #expect(config.tokenAuthFile == "/tmp/x/tokens.csv")
        #expect(config.serviceAccountKeyFiles == ["/tmp/x/sa.key"])
        #expect(config.serviceCIDRSharingMode == "shared")
        #expect(config.kubernetesServiceMode == "shared")
        #expect(config.apiAudiences == ["test", "https://kubernetes.default.svc"])
        #expect(config.rootControlPlaneName == "main")
        #expect(config.verbosity == 2)
        #expect(config.namespaceDelay == .milliseconds(50))
        #expect(config.unknownFlags == ["--foo=bar", "--profiling", "--max-requests-inflight=400"])
    }

    @Test func rejectsBadValuesWithOneLine() throws {
        let cases: [([String], String)] = [
            (["--secure-port=http"], "--secure-port"),
            (["--bind-address=0.0.0.0"], "loopback"),
            (["--anonymous-auth=maybe"], "--anonymous-auth"),
            (["--kubernetes-service-mode=weird"], "per-cluster-autoip"),
            (["--root-control-plane-name=a/b"], "--root-control-plane-name"),
            (["--fault-latency=fixed:5"], "--fault-latency"),
            (["--fault-latency=gauss:5ms"], "--fault-latency"),
            (["--fault-error-rate=1.5"], "--fault-error-rate"),
            (["--fault-error-status=404"], "--fault-error-status"),
            (["--fault-stall=2s-30s"], "--fault-stall"),
            (["--fault-stall=30s/2s"], "--fault-stall"),
            (["--fault-crash-after=soon"], "--fault-crash-after"),
            (["--fault-crash-after-vcps=0"], "--fault-crash-after-vcps"),
            (["--sim-vcp-memory-bytes=lots"], "--sim-vcp-memory-bytes"),
            (["--sim-max-concurrency=0"], "--sim-max-concurrency"),
            (["--sim-max-concurrency=many"], "--sim-max-concurrency"),
            (["--etcd-servers=https://127.0.0.1:2379"], "http://"),
            (["--tls-cert-file=/a.crt"], "--tls-private-key-file"),
            (["--secure-port"], "needs a value"),
            (["positional"], "unexpected argument"),
        ]
        for (arguments, fragment) in cases {
            #expect {
                _ = try SimArgumentParser.parse(arguments)
            } throws: { error in
                let message = (error as? SimConfigurationError)?.message ?? ""
                return message.contains(fragment) && !message.contains("\n")
            }
        }
    }

    @Test func maxConcurrencyDefaultsToUnlimited() throws {
        #expect(try Support.configuration(Support.smokeArguments(dir: "/tmp/x")).maxConcurrency == nil)
        let limited = try Support.configuration(
            Support.smokeArguments(dir: "/tmp/x", extra: ["--sim-max-concurrency=8"]))
        #expect(limited.maxConcurrency == 8)
    }

    @Test func parsesFaultSpecs() throws {
        #expect(try FaultPlan.parseLatency("fixed:5ms") == .fixed(.milliseconds(5)))
        #expect(try FaultPlan.parseLatency("uniform:1ms-10ms") == .uniform(.milliseconds(1), .milliseconds(10)))
        #expect(
            try FaultPlan.parseLatency("lognormal:p50=5ms,p99=50ms")
                == .lognormal(p50: .milliseconds(5), p99: .milliseconds(50)))
        let periodic = try FaultPlan.parseStall("2s/30s")
        #expect(periodic.remaining(at: .seconds(1)) == .zero)
        #expect(periodic.remaining(at: .seconds(30)) == .seconds(2))
        #expect(periodic.remaining(at: .milliseconds(61_500)) == .milliseconds(500))
        #expect(periodic.remaining(at: .seconds(33)) == .zero)
        let once = try FaultPlan.parseStall("2s@10s")
        #expect(once.remaining(at: .seconds(9)) == .zero)
        #expect(once.remaining(at: .seconds(11)) == .seconds(1))
        #expect(once.remaining(at: .seconds(40)) == .zero)
        #expect(try SimArgumentParser.bytes("2Mi", "x") == 2 * 1024 * 1024)
    }

    @Test func latencySamplesFollowTheDistribution() throws {
        let random = FaultRandom(seed: 42)
        let uniform = (0..<1000).map { _ in
            DurationText.seconds(random.sample(.uniform(.milliseconds(1), .milliseconds(10))))
        }
        #expect(uniform.allSatisfy { $0 >= 0.001 && $0 <= 0.010 })
        let lognormal = (0..<4000).map { _ in
            DurationText.seconds(random.sample(.lognormal(p50: .milliseconds(5), p99: .milliseconds(50))))
        }.sorted()
        let p50 = lognormal[2000]
        let p99 = lognormal[3960]
        #expect(p50 > 0.004 && p50 < 0.006, "p50 \(p50)")
        #expect(p99 > 0.035 && p99 < 0.070, "p99 \(p99)")
    }

    @Test func helpListsEveryFlag() throws {
        guard case .help(let text) = try SimArgumentParser.parse(["--help"]) else { throw TestFailure("no help") }
        for flag in SimArgumentParser.flags { #expect(text.contains("--\(flag.name)")) }
    }
}
