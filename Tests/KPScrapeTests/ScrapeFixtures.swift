import Foundation
import KPHTTP

func answer(_ status: Int, _ body: String, contentType: String = "text/plain; version=0.0.4") -> Result<
    HTTPResponse, HTTPError
> {
    answer(status, Data(body.utf8), contentType: contentType)
}

func answer(_ status: Int, _ body: Data, contentType: String = "application/octet-stream") -> Result<
    HTTPResponse, HTTPError
> {
    .success(
        HTTPResponse(
            status: status, headers: ["content-type": contentType], body: body, httpVersion: 1,
            timings: TransferTimings(queuedNs: 0, sentNs: 0, firstByteNs: 0, doneNs: 0)))
}

/// A temporary directory removed when the value is released by the test.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "kpscrape-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A Go-like /metrics body with every figure, labelled decoys placed before the unlabelled lines,
/// exponent notation, and a histogram.
let goodMetrics = """
    # HELP go_goroutines Number of goroutines that currently exist.
    # TYPE go_goroutines gauge
    go_goroutines 123
    # HELP go_memstats_heap_alloc_bytes Number of heap bytes allocated and still in use.
    # TYPE go_memstats_heap_alloc_bytes gauge
    go_memstats_heap_alloc_bytes 4.794768e+06
    # HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
    # TYPE go_memstats_heap_inuse_bytes gauge
    go_memstats_heap_inuse_bytes{pool="decoy"} 1
    go_memstats_heap_inuse_bytes 6.291456e+06
    go_memstats_heap_inuse_bytes 999
    # TYPE process_cpu_seconds_total counter
    process_cpu_seconds_total 12.34
    # TYPE process_open_fds gauge
    process_open_fds 19
    # TYPE process_resident_memory_bytes gauge
    process_resident_memory_bytes 2.6189824e+07
    # HELP apiserver_request_duration_seconds Response latency.
    # TYPE apiserver_request_duration_seconds histogram
    apiserver_request_duration_seconds_bucket{verb="GET",le="0.005"} 3
    apiserver_request_duration_seconds_bucket{verb="GET",le="0.1"} 7
    apiserver_request_duration_seconds_bucket{verb="GET",le="+Inf"} 8
    apiserver_request_duration_seconds_sum{verb="GET"} 0.75
    apiserver_request_duration_seconds_count{verb="GET"} 8

    """
