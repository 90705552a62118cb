// libcurl-floor: the least CPU libcurl itself spends per paced HTTP/2 GET, with nothing of kp-load
// around it. `make bench-load` (scripts/bench-load.sh) compiles it with `cc -O2 ... -lcurl` and runs it
// at the same rates, on the same endpoint and object, as kp-load and hey, so the ratio kp-load/floor
// says how much of kp-load's cost is its own and how much is libcurl's (the design's HTTP/2 client).
//
// Written in C on purpose: a Swift version would put Swift's runtime back into the figure it exists
// to exclude. It does the minimum a paced open-loop client must: one multi handle (HTTP/2 multiplexing),
// one shared header list, easy handles reused from an idle stack, one CLOCK_MONOTONIC timerfd for the
// schedule, the body discarded. No latency recording, no records. kp-httpbench's BareLoop answers a
// different question (a closed loop at saturation, each handle re-added as it finishes, for
// `make bench-http`); this one is open-loop at a fixed rate, as kp-load sends.
//
// usage: libcurl-floor URL TOKEN RATE SECONDS [poll|socket]
//   poll   (default) curl_multi_perform + curl_multi_poll with the timerfd as an extra fd, as KPHTTP drives it
//   socket curl_multi_socket_action with epoll (libcurl's API for many sockets), for comparison
// Prints one line: mode=… rate=… requests=… errors=… cpu_s=… us_per_request=… wall_s=…
// (CPU is getrusage(RUSAGE_SELF) user+sys over the whole process, TLS set-up included, as GNU time
// measures kp-load and hey). Exits 2 on bad arguments, 1 if a request failed.
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static size_t discard(char *p, size_t s, size_t n, void *u) {
    (void)p;
    (void)u;
    return s * n;
}

// socket mode: libcurl tells which sockets to watch and when its own timer is due.
static int epfd = -1;
static int64_t curl_deadline = -1;
static int on_socket(CURL *e, curl_socket_t s, int what, void *u, void *sp) {
    (void)e; (void)u; (void)sp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}
static int on_timer(CURLM *m, long ms, void *u) {
    (void)m; (void)u;
    curl_deadline = ms < 0 ? -1 : now_ns() + (int64_t)ms * 1000000LL;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "libcurl-floor: usage: libcurl-floor URL TOKEN RATE SECONDS [poll|socket]\n");
        return 2;
    }
    const char *url = argv[1];
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    const char *mode = argc == 6 ? argv[5] : "poll";
    int sock = strcmp(mode, "socket") == 0;
    if (rate <= 0 || seconds <= 0 || (!sock && strcmp(mode, "poll") != 0)) {
        fprintf(stderr, "libcurl-floor: RATE and SECONDS must be positive numbers and the mode poll or socket (got %s %s %s)\n",
                argv[3], argv[4], mode);
        return 2;
    }
    char auth[512];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (sock) {
        epfd = epoll_create1(EPOLL_CLOEXEC);
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
        epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
    }
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    headers = curl_slist_append(headers, "Accept: application/json");

    size_t idle_cap = 64, idle_n = 0;
    CURL **idle = malloc(idle_cap * sizeof *idle);
    const int64_t interval = (int64_t)(1e9 / rate), start = now_ns() + 100000000LL;
    const long total = (long)(rate * seconds);
    long sent = 0, done = 0, errors = 0;
    int running = 0;
    while (done < total) {
        int64_t now = now_ns();
        while (sent < total && start + sent * interval <= now) {
            CURL *e = idle_n ? idle[--idle_n] : NULL;
            if (!e) {
                e = curl_easy_init();
                curl_easy_setopt(e, CURLOPT_URL, url);
                curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
                curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
                curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
                curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
            }
            curl_multi_add_handle(multi, e);
            sent++;
            if (sock) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        if (!sock) curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200) errors++;
            curl_multi_remove_handle(multi, msg->easy_handle);
            if (idle_n == idle_cap) idle = realloc(idle, (idle_cap *= 2) * sizeof *idle);
            idle[idle_n++] = msg->easy_handle;
            done++;
        }
        if (done >= total) break;
        int64_t next = sent < total ? start + sent * interval : now_ns() + 100000000LL;
        struct itimerspec its = {0};
        its.it_value.tv_sec = next / 1000000000LL;
        its.it_value.tv_nsec = next % 1000000000LL;
        timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        uint64_t expirations;
        if (sock) {
            int timeout_ms = 1000;
            if (curl_deadline >= 0) {
                int64_t d = curl_deadline - now_ns();
                timeout_ms = d <= 0 ? 0 : (int)((d + 999999) / 1000000);
            }
            struct epoll_event evs[16];
            int n = epoll_wait(epfd, evs, 16, timeout_ms);
            if (curl_deadline >= 0 && now_ns() >= curl_deadline) {
                curl_deadline = -1;
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
            }
            for (int i = 0; i < n; i++) {
                if (evs[i].data.fd == tfd) {
                    (void)!read(tfd, &expirations, sizeof expirations);
                    continue;
                }
                int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                           (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                           (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
                curl_multi_socket_action(multi, evs[i].data.fd, mask, &running);
            }
        } else {
            struct curl_waitfd extra = {.fd = tfd, .events = CURL_WAIT_POLLIN};
            curl_multi_poll(multi, &extra, 1, 1000, NULL);
            if (extra.revents) (void)!read(tfd, &expirations, sizeof expirations);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("mode=%s rate=%.0f requests=%ld errors=%ld cpu_s=%.3f us_per_request=%.1f wall_s=%.2f\n", mode, rate, done,
           errors, cpu, cpu / (double)done * 1e6, (double)(now_ns() - start) / 1e9);
    return errors ? 1 : 0;
}
