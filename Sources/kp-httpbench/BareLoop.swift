import CCurl
import Foundation
import KPCore
import KPRecords

/// The ceiling: a closed loop written straight against libcurl's multi interface, with no Swift
/// abstraction, on the same options as ``KPHTTP/HTTPClient`` (HTTP/2 over TLS, multiplexing,
/// PIPEWAIT, one connection) but nothing else: `concurrency` easy handles, each re-added as soon
/// as it finishes, bodies counted and dropped, only the status read.
///
/// The gap between this and ``ClientLoad`` is what KPHTTP itself costs per request.
final class BareLoop {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let multi: UnsafeMutableRawPointer
    private var easies: [UnsafeMutableRawPointer] = []
    private var startNs: [Int64]
    private let bodyBytes: UnsafeMutablePointer<Int64>
    private var headers: UnsafeMutablePointer<curl_slist>?
    private(set) var connectionsOpened = 0

    init(url: String, caFile: String?, insecure: Bool, token: String?, concurrency: Int, maxConnections: Int) throws {
        guard curl_global_init(KP_CURL_GLOBAL_ALL) == CURLE_OK else {
            throw Failure(description: "curl_global_init failed")
        }
        guard let m = curl_multi_init() else { throw Failure(description: "curl_multi_init returned NULL") }
        multi = m
        startNs = Array(repeating: 0, count: concurrency)
        bodyBytes = .allocate(capacity: 1)
        bodyBytes.initialize(to: 0)
        try Self.check(kp_multi_setopt_long(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX), "CURLMOPT_PIPELINING")
        try Self.check(
            kp_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnections), "CURLMOPT_MAX_HOST_CONNECTIONS")
        try Self.check(
            kp_multi_setopt_long(m, CURLMOPT_MAX_CONCURRENT_STREAMS, max(concurrency, 1)),
            "CURLMOPT_MAX_CONCURRENT_STREAMS")
        if let token {
            guard let list = curl_slist_append(nil, "Authorization: Bearer \(token)") else {
                throw Failure(description: "curl_slist_append returned NULL")
            }
            headers = list
        }
        for i in 0..<concurrency {
            guard let e = curl_easy_init() else { throw Failure(description: "curl_easy_init returned NULL") }
            easies.append(e)
            try Self.check(kp_easy_setopt_str(e, CURLOPT_URL, url), "CURLOPT_URL")
            try Self.check(kp_easy_setopt_long(e, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
            try Self.check(
                kp_easy_setopt_long(e, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)), "CURLOPT_HTTP_VERSION")
            try Self.check(kp_easy_setopt_long(e, CURLOPT_PIPEWAIT, 1), "CURLOPT_PIPEWAIT")
            try Self.check(kp_easy_setopt_long(e, CURLOPT_TIMEOUT_MS, 20_000), "CURLOPT_TIMEOUT_MS")
            try Self.check(
                kp_easy_setopt_ptr(e, CURLOPT_PRIVATE, UnsafeRawPointer(bitPattern: i + 1)), "CURLOPT_PRIVATE")
            try Self.check(kp_easy_discard_body(e, bodyBytes), "CURLOPT_WRITEFUNCTION")
            try Self.check(kp_easy_setopt_slist(e, CURLOPT_HTTPHEADER, headers), "CURLOPT_HTTPHEADER")
            if insecure {
                try Self.check(kp_easy_setopt_long(e, CURLOPT_SSL_VERIFYPEER, 0), "CURLOPT_SSL_VERIFYPEER")
                try Self.check(kp_easy_setopt_long(e, CURLOPT_SSL_VERIFYHOST, 0), "CURLOPT_SSL_VERIFYHOST")
            } else if let caFile {
                try Self.check(kp_easy_setopt_str(e, CURLOPT_CAINFO, caFile), "CURLOPT_CAINFO")
            }
        }
    }

    deinit {
        for e in easies {
            // Removing a handle that is not in the multi returns CURLM_OK; nothing runs any more.
            let rc = curl_multi_remove_handle(multi, e)
            assert(rc == CURLM_OK)
            curl_easy_cleanup(e)
        }
        let rc = curl_multi_cleanup(multi)
        assert(rc == CURLM_OK)
        if let headers { curl_slist_free_all(headers) }
        bodyBytes.deallocate()
    }

    private static func check(_ rc: CURLcode, _ what: String) throws {
        if rc != CURLE_OK { throw Failure(description: "\(what): \(String(cString: curl_easy_strerror(rc)))") }
    }

    private static func check(_ rc: CURLMcode, _ what: String) throws {
        if rc != CURLM_OK { throw Failure(description: "\(what): \(String(cString: curl_multi_strerror(rc)))") }
    }

    /// Runs `total` requests with every easy handle busy, and measures them.
    func run(total: Int) throws -> PhaseResult {
        var latencies: [Int64] = []
        latencies.reserveCapacity(total)
        var started = 0
        var errors = 0
        var non2xx = 0
        var firstError: String?
        let cpu0 = CPUClock.now()
        let t0 = MonotonicClock.now()
        for (i, e) in easies.enumerated() where started < total {
            startNs[i] = MonotonicClock.now()
            try Self.check(curl_multi_add_handle(multi, e), "curl_multi_add_handle")
            started += 1
        }
        var running: Int32 = 0
        var left: Int32 = 0
        while latencies.count < total {
            try Self.check(curl_multi_perform(multi, &running), "curl_multi_perform")
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let e = msg.pointee.easy_handle else { continue }
                let code = kp_msg_result(msg)
                var priv: UnsafeMutableRawPointer? = nil
                try Self.check(kp_easy_getinfo_ptr(e, CURLINFO_PRIVATE, &priv), "CURLINFO_PRIVATE")
                let i = Int(bitPattern: priv) - 1
                latencies.append(MonotonicClock.now() - startNs[i])
                var connects = 0
                try Self.check(kp_easy_getinfo_long(e, CURLINFO_NUM_CONNECTS, &connects), "CURLINFO_NUM_CONNECTS")
                connectionsOpened += connects
                if code == CURLE_OK {
                    var status = 0
                    try Self.check(kp_easy_getinfo_long(e, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
                    if !(200..<300).contains(status) {
                        non2xx += 1
                        if firstError == nil { firstError = "HTTP \(status)" }
                    }
                } else {
                    errors += 1
                    if firstError == nil { firstError = String(cString: curl_easy_strerror(code)) }
                }
                try Self.check(curl_multi_remove_handle(multi, e), "curl_multi_remove_handle")
                if started < total {
                    startNs[i] = MonotonicClock.now()
                    try Self.check(curl_multi_add_handle(multi, e), "curl_multi_add_handle")
                    started += 1
                }
            }
            if latencies.count < total {
                try Self.check(curl_multi_poll(multi, nil, 0, 1000, nil), "curl_multi_poll")
            }
        }
        let t1 = MonotonicClock.now()
        let cpu1 = CPUClock.now()
        return PhaseResult(
            requests: total, errors: errors, non2xx: non2xx, firstError: firstError, wallNs: t1 - t0,
            cpuUserSeconds: cpu1.userSeconds - cpu0.userSeconds,
            cpuSystemSeconds: cpu1.systemSeconds - cpu0.systemSeconds,
            latenciesNs: latencies)
    }
}
