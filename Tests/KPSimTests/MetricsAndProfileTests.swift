import Foundation
import KPPprof
import KPPromText
import NIOCore
import NIOEmbedded
import Testing

@testable import KPSim

@Suite struct MetricsAndProfileTests {
    func value(_ families: [MetricFamily], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        families.first { $0.name == name }?.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static func selfVmRSS() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 * 1024 } ?? 0
        }
        return 0
    }

    @Test func metricsParseAndDescribeTheProcess() async throws {
        try await Support.withServer { server in
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-m1")
            let response = try await server.curl("/metrics")
            #expect(response.status == 200)
            #expect(response.headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
            let rssNow = Self.selfVmRSS()
            let families = try PromTextParser.parse(response.body)
            let rss = try #require(self.value(families, "process_resident_memory_bytes"))
            #expect(abs(rss - rssNow) / rssNow < 0.10, "metric \(rss) vs VmRSS \(rssNow)")
            #expect((self.value(families, "process_cpu_seconds_total") ?? 0) > 0)
            #expect((self.value(families, "process_open_fds") ?? 0) > 3)
            let goroutines = try #require(self.value(families, "go_goroutines"))
            // Two controller tasks for c-m1, plus this request, plus OS threads.
            #expect(goroutines >= 3)
            let heap = try #require(self.value(families, "go_memstats_heap_inuse_bytes"))
            #expect(heap > 1_000_000 && heap < rss * 4)
            #expect(self.value(families, "go_memstats_heap_alloc_bytes") != nil)
            #expect(self.value(families, "kpsim_vcps") == 1)
            #expect(Int(self.value(families, "kpsim_vcp_retained_bytes") ?? 0) == 64 * 1024)
            let requests = try #require(families.first { $0.name == "apiserver_request_total" })
            #expect(requests.type == .counter)
            #expect(
                requests.samples.contains {
                    $0.labels["verb"] == "GET" && $0.labels["resource"] == "namespaces" && $0.labels["code"] == "200"
                        && $0.labels["scope"] == "resource"
                })
            let durations = try #require(families.first { $0.name == "apiserver_request_duration_seconds" })
            #expect(durations.type == .histogram)
            let les = Set(durations.samples.filter { $0.name.hasSuffix("_bucket") }.compactMap { $0.labels["le"] })
            #expect(les.count == 24 && les.contains("0.005") && les.contains("60") && les.contains("+Inf"))
            for name in ["kpsim_http2_rst_stream_received_total", "kpsim_connections_accepted_total"] {
                #expect(families.first { $0.name == name }?.help?.isEmpty == false, "\(name)")
            }
        }
    }

    @Test func mallinfo2AgreesWithMallocInfo() throws {
        #if arch(x86_64)
            let direct = try #require(MallocStats.viaMallinfo2())
            let xml = try #require(MallocStats.viaMallocInfo())
            #expect(direct.arena > 0 && xml.arena > 0)
            #expect(abs(Double(direct.arena - xml.arena)) / Double(xml.arena) < 0.2, "\(direct) vs \(xml)")
            #expect(abs(Double(direct.mmapped - xml.mmapped)) <= Double(max(xml.mmapped, 1 << 20)))
        #endif
    }

    @Test func sequentialRequestsShareOneConnectionWithoutResets() async throws {
        try await Support.withServer { server in
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-h2")
            let connections = server.context.metrics.connectionsAccepted.load(ordering: .relaxed)
            let resets = server.context.metrics.rstStreamReceived.load(ordering: .relaxed)
            let url = server.url("/api/v1/namespaces/default", cluster: "c-h2")
            var arguments = [
                "-sS", "--http2", "--cacert", server.ca, "-H", "Authorization: Bearer \(Support.token)", "-w",
                "%{http_code}\n",
            ]
            for _ in 0..<200 { arguments += [url, "-o", "/dev/null"] }
            let result = try await ProcessRunner.run(try Support.tool("/usr/bin/curl", package: "curl"), arguments)
            #expect(result.stdout.split(separator: "\n").filter { $0 == "200" }.count == 200)
            #expect(server.context.metrics.connectionsAccepted.load(ordering: .relaxed) - connections == 1)
            #expect(server.context.metrics.rstStreamReceived.load(ordering: .relaxed) - resets == 0)
        }
    }

    @Test func rstStreamFramesAreCountedOnTheWire() throws {
        let metrics = RequestMetrics()
        let channel = EmbeddedChannel(handler: RSTStreamCounter(metrics: metrics))
        var bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        func frame(type: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
            let length = payload.count
            return [
                UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, 0,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff),
            ] + payload
        }
        bytes += frame(type: 0x4, stream: 0, payload: [])  // SETTINGS
        // DATA containing 0x03 bytes
        bytes += frame(type: 0x0, stream: 1, payload: [0x03] + Array(repeating: 0x03, count: 40))
        bytes += frame(type: 0x3, stream: 1, payload: [0, 0, 0, 8])  // RST_STREAM
        bytes += frame(type: 0x3, stream: 3, payload: [0, 0, 0, 8])
        // Deliver in awkward chunks so headers straddle reads.
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 7)
            try channel.writeInbound(ByteBuffer(bytes: bytes[index..<end]))
            index = end
        }
        #expect(metrics.rstStreamReceived.load(ordering: .relaxed) == 2)
        var passed = 0
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { passed += buffer.readableBytes }
        #expect(passed == bytes.count)
    }

    @Test func heapProfileReadsInGoToolPprof() async throws {
        let go = try Support.tool("/usr/bin/go", package: "golang-go")
        try await Support.withServer { server in
            _ = try await server.waitFor("/api/v1/namespaces/default", cluster: "c-pp")
            let path = server.dir + "/heap.pb.gz"
            let download = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-sS", "--cacert", server.ca, "-H", "Authorization: Bearer \(Support.token)",
                    "-o", path, "-w", "%{http_code}", server.url("/debug/pprof/heap"),
                ])
            #expect(download.stdout == "200")
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let profile = try PprofProfile(data: data)
            #expect(
                profile.sampleTypes.map(\.description) == [
                    "alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes",
                ])
            let top = try await ProcessRunner.run(
                go, ["tool", "pprof", "-top", "-sample_index=inuse_space", path],
                environment: ["HOME": server.dir, "PATH": "/usr/bin:/bin", "GOCACHE": server.dir + "/gocache"])
            #expect(top.exitCode == 0, "\(top.stderr)")
            #expect(top.stdout.contains("kpsim.(*VirtualControlPlane).retainMemory"), "\(top.stdout)")
            #expect(top.stdout.contains("kpsim.(*ObjectStore).commit"))
            // The goroutine text profile parses and its total is the group sum.
            let goroutines = try await server.curl("/debug/pprof/goroutine?debug=1")
            let dump = try GoroutineDump(text: goroutines.body)
            #expect(dump.total == dump.groups.reduce(0) { $0 + $1.count })
            #expect(
                dump.groups.contains {
                    $0.topFunction == "kpsim.(*VirtualControlPlane).controllerLoop" && $0.count == 2
                })
            let noDebug = try await server.curl("/debug/pprof/goroutine")
            #expect(noDebug.status == 400)
        }
    }
}
