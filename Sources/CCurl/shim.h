// Typed wrappers for the libcurl entry points Swift cannot call directly:
// curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are C variadic functions.
// One wrapper per argument kind, as swift-corelibs-foundation's CFURLSessionInterface does.
#ifndef KP_CCURL_SHIM_H
#define KP_CCURL_SHIM_H
#include <curl/curl.h>

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
#endif
