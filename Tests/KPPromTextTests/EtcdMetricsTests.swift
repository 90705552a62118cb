import Foundation
import Testing

@testable import KPPromText

/// The parser on a real capture; every expected figure was read from the file with grep.
@Suite struct EtcdMetricsTests {
    let families: [MetricFamily]

    init() throws {
        self.families = try PromTextParser.parse(Fixtures.data("etcd-metrics.txt"))
    }

    @Test func familiesAndSampleCounts() {
        // 123 "# TYPE" lines (41 counter, 63 gauge, 18 histogram, 1 summary), 1246 sample lines.
        #expect(self.families.count == 123)
        #expect(self.families.reduce(0) { $0 + $1.samples.count } == 1246)
        var byType: [MetricType: Int] = [:]
        for family in self.families { byType[family.type, default: 0] += 1 }
        #expect(byType == [.counter: 41, .gauge: 63, .histogram: 18, .summary: 1])
        #expect(self.families.allSatisfy { $0.help != nil })
        #expect(self.families.family(named: "grpc_server_handled_total")?.samples.count == 697)
    }

    @Test func unlabelledGaugesLikeParsePromGauge() {
        #expect(self.families.value(of: "go_goroutines") == 44)
        #expect(self.families.value(of: "go_memstats_heap_inuse_bytes") == 1.0297344e+07)
        #expect(self.families.value(of: "process_resident_memory_bytes") == 3.5139584e+07)
        #expect(self.families.value(of: "process_start_time_seconds") == 1.79592780893e+09)
        #expect(self.families.value(of: "etcd_network_client_grpc_sent_bytes_total") == 40404)
        #expect(self.families.value(of: "etcd_server_version") == nil, "labelled only")
        #expect(self.families.value(of: "etcd_server_version", labels: ["server_version": "3.4.23"]) == 1)
        #expect(self.families.value(of: "etcd_cluster_version", labels: ["cluster_version": "3.4"]) == 1)
        #expect(self.families.value(of: "no_such_metric") == nil)
    }

    @Test func labelledCounter() {
        let labels = [
            "grpc_code": "Aborted", "grpc_method": "AuthEnable", "grpc_service": "etcdserverpb.Auth",
            "grpc_type": "unary",
        ]
        #expect(self.families.value(of: "grpc_server_handled_total", labels: labels) == 0)
    }

    @Test func histogram() throws {
        let h = try #require(self.families.histogram(named: "etcd_disk_wal_fsync_duration_seconds"))
        #expect(h.labels == [:])
        #expect(
            h.buckets.map(\.le) == [
                0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192,
                .infinity,
            ])
        #expect(h.buckets.prefix(6).map(\.count) == [1249, 1311, 1398, 1466, 1505, 1507])
        #expect(h.buckets.last?.count == 1507)
        #expect(h.sum == 1.6399755730000012)
        #expect(h.count == 1507)
        let family = try #require(self.families.family(named: "etcd_disk_wal_fsync_duration_seconds"))
        #expect(family.help == "The latency distributions of fsync called by WAL.")
        #expect(family.samples.map(\.name).last == "etcd_disk_wal_fsync_duration_seconds_count")
        // Exponent-notation le labels.
        let lease = try #require(self.families.histogram(named: "etcd_debugging_lease_ttl_total"))
        #expect(lease.buckets.contains { $0.le == 1.048576e+06 })
    }

    @Test func summary() throws {
        let s = try #require(self.families.summary(named: "go_gc_duration_seconds"))
        #expect(s.quantiles.map(\.quantile) == [0, 0.25, 0.5, 0.75, 1])
        #expect(s.quantiles.map(\.value) == [2.7111e-05, 3.1957e-05, 5.1516e-05, 6.9273e-05, 0.003769728])
        #expect(s.sum == 0.007705801)
        #expect(s.count == 23)
        #expect(
            self.families.family(named: "go_gc_duration_seconds")?.help
                == "A summary of the pause duration of garbage collection cycles.")
    }

    @Test func textAndDataEntryPointsAgree() throws {
        let text = String(decoding: try Fixtures.data("etcd-metrics.txt"), as: UTF8.self)
        #expect(try PromTextParser.parse(text) == self.families)
    }
}
