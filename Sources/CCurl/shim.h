// Typed wrappers for the libcurl entry points Swift cannot call directly:
// curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are C variadic functions.
// One wrapper per argument kind, as swift-corelibs-foundation's CFURLSessionInterface does.
//
// Below them: the few per-transfer callbacks of KPHTTP's hot path, written in C so that a
// response chunk costs a memcpy, not a Swift closure call with retain/release (KPHTTP must stay
// within 10% of a bare libcurl loop; see docs/http-client.md). libcurl has no built-in
// "collect the body into a buffer" callback, so these few lines are the smallest code that does it.
#ifndef KP_CCURL_SHIM_H
#define KP_CCURL_SHIM_H
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/timerfd.h>
#include <unistd.h>

static inline CURLcode kp_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kp_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kp_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kp_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kp_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*kp_write_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode kp_easy_setopt_write_cb(CURL *h, CURLoption o, kp_write_cb v) { return curl_easy_setopt(h, o, v); }
typedef int (*kp_sockopt_cb)(void *clientp, curl_socket_t curlfd, curlsocktype purpose);
static inline CURLcode kp_easy_setopt_sockopt_cb(CURL *h, CURLoption o, kp_sockopt_cb v) { return curl_easy_setopt(h, o, v); }

static inline CURLcode kp_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode kp_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode kp_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode kp_easy_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode kp_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode kp_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/// CURLVERSION_NOW is a macro.
static inline curl_version_info_data *kp_curl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

/// CURL_GLOBAL_ALL is a macro built from other macros.
static const long KP_CURL_GLOBAL_ALL = CURL_GLOBAL_ALL;

/// CURLMsg.data is a union; this reads its `result` member (valid when msg == CURLMSG_DONE).
static inline CURLcode kp_msg_result(const CURLMsg *m) { return m->data.result; }

// MARK: - Response capture

/// A growable byte buffer owned by one pooled easy handle (see KPHTTP's EasyHandle).
typedef struct kp_buffer {
    char *data;
    size_t len;
    size_t cap;
    /// Most bytes the body may hold (0 = no limit); a longer body fails the transfer.
    size_t max;
    /// Set when the body went past `max` (the transfer then fails with CURLE_WRITE_ERROR).
    int overflowed;
} kp_buffer;

/// Appends n bytes; returns 0 when memory runs out (libcurl then fails the transfer with CURLE_WRITE_ERROR).
static inline int kp_buffer_append(kp_buffer *b, const char *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n) cap *= 2;
        char *grown = (char *)realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

/// Empties the buffer; frees its memory when it grew beyond `keep` bytes (one huge body must not pin memory).
static inline void kp_buffer_clear(kp_buffer *b, size_t keep) {
    b->len = 0;
    b->overflowed = 0;
    if (b->cap > keep) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

static inline size_t kp_body_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
    size_t n = size * nmemb;
    kp_buffer *b = (kp_buffer *)userdata;
    if (b->max && b->len + n > b->max) {
        b->overflowed = 1;
        return 0;
    }
    return kp_buffer_append(b, ptr, n) ? n : 0;
}

/// Counts and drops the body (the bare-libcurl benchmark's ceiling loop).
static inline size_t kp_discard_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
    (void)ptr;
    size_t n = size * nmemb;
    *(int64_t *)userdata += (int64_t)n;
    return n;
}

/// CURLOPT_WRITEFUNCTION + CURLOPT_WRITEDATA: collect the body into `b`.
static inline CURLcode kp_easy_capture_body(CURL *h, kp_buffer *b) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kp_body_write_cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)b);
}

/// CURLOPT_WRITEFUNCTION + CURLOPT_WRITEDATA: count body bytes into `*counter` and drop them.
static inline CURLcode kp_easy_discard_body(CURL *h, int64_t *counter) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kp_discard_write_cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)counter);
}

/// Copies the final response's headers (CURLH_HEADER of the last request, from libcurl's header
/// store) into `b` as "name\0value\0" pairs, names lower-cased; returns 0 when memory runs out.
/// In C because this runs once per response on the client's hot path: walking the store and
/// copying bytes here costs a fraction of building Swift Strings and a Dictionary per header
/// (KPHTTP builds the dictionary only when a caller reads `HTTPResponse.headers`).
static inline int kp_collect_headers(CURL *h, kp_buffer *b) {
    struct curl_header *prev = NULL, *hd;
    b->len = 0;
    while ((hd = curl_easy_nextheader(h, CURLH_HEADER, -1, prev)) != NULL) {
        prev = hd;
        size_t nl = strlen(hd->name);
        size_t start = b->len;
        if (!kp_buffer_append(b, hd->name, nl + 1)) return 0;
        for (size_t i = start; i < start + nl; i++) {
            char c = b->data[i];
            if (c >= 'A' && c <= 'Z') b->data[i] = (char)(c + 32);
        }
        const char *v = hd->value ? hd->value : "";
        if (!kp_buffer_append(b, v, strlen(v) + 1)) return 0;
    }
    return 1;
}

// MARK: - Send timestamp

/// CURLOPT_PREREQFUNCTION: libcurl calls it once per transfer, on its connection, right before it
/// sends the request. It stores CLOCK_MONOTONIC ns (the clock of KPRecords.MonotonicClock) in *clientp.
static inline int kp_prereq_clock_cb(void *clientp, char *conn_primary_ip, char *conn_local_ip,
                                     int conn_primary_port, int conn_local_port) {
    (void)conn_primary_ip; (void)conn_local_ip; (void)conn_primary_port; (void)conn_local_port;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *(int64_t *)clientp = (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
    return CURL_PREREQFUNC_OK;
}

/// CURLOPT_PREREQFUNCTION + CURLOPT_PREREQDATA: record the send time of each transfer into `*slot`.
static inline CURLcode kp_easy_record_send_time(CURL *h, int64_t *slot) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, kp_prereq_clock_cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(h, CURLOPT_PREREQDATA, (void *)slot);
}
// A paced driver (MultiDriver's pacer): a CLOCK_MONOTONIC timerfd polled beside libcurl's sockets,
// so the driver thread wakes at a ns deadline (curl_multi_poll's own timeout is whole ms, and
// a timerfd's hrtimer is not widened by the thread's timer slack). Linux only, as kp-bench is.
static inline int kp_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

/// Arms `fd` to fire once at monotonic `ns` (absolute); returns timerfd_settime's result.
static inline int kp_timerfd_arm(int fd, int64_t ns) {
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (ns < 1) ns = 1;  // 0 would disarm
    its.it_value.tv_sec = (time_t)(ns / 1000000000);
    its.it_value.tv_nsec = (long)(ns % 1000000000);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/// Consumes a fired timerfd's expiry count (non-blocking: nothing happens when it has not fired).
static inline void kp_timerfd_consume(int fd) {
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
}

/// curl_multi_poll with one extra fd to watch for input (`fd` < 0: none). `*only_fd` is set to 1 when
/// the extra fd was the only one with an event (no libcurl socket was ready; libcurl's wake-up pipe is
/// not counted), else 0.
static inline CURLMcode kp_multi_poll_with_fd(CURLM *m, int fd, int timeout_ms, int *only_fd) {
    struct curl_waitfd w;
    w.fd = fd;
    w.events = CURL_WAIT_POLLIN;
    w.revents = 0;
    int numfds = 0;
    CURLMcode rc = curl_multi_poll(m, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0, timeout_ms, &numfds);
    *only_fd = (rc == CURLM_OK && fd >= 0 && numfds == 1 && (w.revents & CURL_WAIT_POLLIN)) ? 1 : 0;
    return rc;
}
#endif
