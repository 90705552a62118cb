#!/usr/bin/env bash
# bench-http: what does one request cost KPHTTP's client, against bare libcurl and h2load?
#
# Builds kp-httpbench (release), starts nghttpd over TLS on a free loopback port serving a 36-byte file,
# and runs, REPEAT times each, interleaved, with the client pinned to CPU 0 and nghttpd to CPU 1:
#   (a) client  KPHTTP's HTTPClient via submit(_:completion:), as kp-load drives it
#   (b) bare    libcurl's multi interface with the same options, no Swift abstraction (the ceiling)
#   (c) h2load  nghttp2's load generator (-c 1 -m CONCURRENCY), for scale
# (a) and (b) run in ONE kp-httpbench process (--mode compare), alternating chunks of 5000 requests,
# so both see the same interference from the rest of the machine; each uses one connection with
# CONCURRENCY streams in flight. Prints the median requests/s and client
# CPU-seconds per 1000 requests of each, then the ratios ours/bare and ours/h2load. Target: client CPU
# per request within 10% of bare. CPU per request is the stable figure; requests/s moves with
# whatever else runs on the machine (the load average is printed).
#
# With KPSIM=1 it also builds kp-sim, starts it (in-memory, TLS, token auth) and runs
# `kp-httpbench --assert-single-connection --metrics-url …/metrics` against it: sustained load over one
# connection must give zero errors, zero RST_STREAM received by the server and zero reconnects.
#
# Environment (all optional):
#   SCRATCH=.build-http   SwiftPM scratch path for the release build
#   REQUESTS=100000       measured requests per run
#   CONCURRENCY=100       streams in flight
#   REPEAT=3              runs per mode (median reported)
#   KPSIM=1               also run the single-connection check against kp-sim
#   KPSIM_REQUESTS=50000  requests for that check
#   KEEP=1                keep the temp dir (cert, logs, every run's JSON)
# Output: a table on stdout; progress on stderr. Exit 1 if a run fails or the kp-sim check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-http}
REQUESTS=${REQUESTS:-100000}
CONCURRENCY=${CONCURRENCY:-100}
REPEAT=${REPEAT:-3}
KPSIM=${KPSIM:-}
KPSIM_REQUESTS=${KPSIM_REQUESTS:-50000}

need() { command -v "$1" >/dev/null || { echo "bench-http: $1 is missing: apt-get install $2" >&2; exit 14; }; }
need nghttpd nghttp2-server
need h2load nghttp2-client
need openssl openssl
need jq jq
need taskset util-linux
need python3 python3
if [ "$(nproc)" -lt 2 ]; then
    echo "bench-http: needs 2 CPUs to pin client and server apart (have $(nproc))" >&2
    exit 2
fi

echo "bench-http: building kp-httpbench (release, --scratch-path $SCRATCH)" >&2
swift build -c release --scratch-path "$SCRATCH" --product kp-httpbench >&2
if [ -n "$KPSIM" ]; then
    echo "bench-http: building kp-sim (release, --scratch-path $SCRATCH)" >&2
    swift build -c release --scratch-path "$SCRATCH" --product kp-sim >&2
fi
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

TMP=$(mktemp -d /tmp/bench-http.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "${KEEP:-}" ]; then echo "bench-http: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
    for _ in $(seq 1 100); do
        python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)))" && return 0
        sleep 0.05
    done
    return 1
}

# --- nghttpd over TLS, 36-byte file, pinned to CPU 1 ---
mkdir -p "$TMP/www"
printf 'hello from nghttpd, 36 bytes long!!\n' >"$TMP/www/small.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
PORT=$(free_port)
taskset -c 1 nghttpd --address=127.0.0.1 -m 1000 -d "$TMP/www" "$PORT" "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/nghttpd.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT" || { echo "bench-http: nghttpd did not start (see $TMP/nghttpd.log)" >&2; KEEP=1; exit 1; }
URL="https://127.0.0.1:$PORT/small.txt"

echo "bench-http: $REQUESTS requests at concurrency $CONCURRENCY over 1 connection to nghttpd ($URL)," \
    "client on CPU 0, server on CPU 1, $REPEAT runs each; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

run_ours() { # run: bare and client in one process, alternating chunks of 5000 requests (--mode compare)
    taskset -c 0 "$BIN/kp-httpbench" --mode compare --chunk 5000 --url "$URL" --ca-file "$TMP/cert.pem" \
        --requests "$REQUESTS" --concurrency "$CONCURRENCY" --max-connections 1 --warmup 2000 \
        >"$TMP/compare-$1.jsonl" 2>"$TMP/compare-$1.log" || { cat "$TMP/compare-$1.log" >&2; exit 1; }
    jq -c 'select(.mode == "bare")' "$TMP/compare-$1.jsonl" >"$TMP/bare-$1.json"
    jq -c 'select(.mode == "client")' "$TMP/compare-$1.jsonl" >"$TMP/client-$1.json"
    sed 's/^/  /' "$TMP/compare-$1.log" >&2
}

run_h2load() { # run
    local out cpu
    # bash's `time` reports the child's user and system CPU seconds.
    out=$( { TIMEFORMAT='%U %S'; time taskset -c 0 h2load -n "$REQUESTS" -c 1 -m "$CONCURRENCY" "$URL" >"$TMP/h2load-$1.txt" 2>&1; } 2>&1 ) \
        || { cat "$TMP/h2load-$1.txt" >&2; exit 1; }
    cpu=$(awk '{print $1 + $2}' <<<"$out")
    local rps ok
    rps=$(awk '/^finished in/ {print $4}' "$TMP/h2load-$1.txt")
    ok=$(awk '/^requests:/ {print $8}' "$TMP/h2load-$1.txt")
    [ "$ok" = "$REQUESTS" ] || { echo "bench-http: h2load: only $ok of $REQUESTS succeeded" >&2; cat "$TMP/h2load-$1.txt" >&2; exit 1; }
    jq -n --argjson rps "$rps" --argjson cpu "$cpu" --argjson n "$REQUESTS" \
        '{mode:"h2load", requests_per_second:$rps, cpu_seconds:$cpu, cpu_seconds_per_1000_requests:($cpu / $n * 1000), connections_opened:1, errors:0}' \
        >"$TMP/h2load-$1.json"
    echo "  h2load: $rps req/s, $(awk -v c="$cpu" -v n="$REQUESTS" 'BEGIN{printf "%.3f", c / n * 1000}') CPU-s per 1000 requests" >&2
}

for r in $(seq 1 "$REPEAT"); do
    echo "bench-http: run $r/$REPEAT" >&2
    run_ours "$r"
    run_h2load "$r"
done

median() { # mode field
    jq -s --arg f "$2" 'map(.[$f]) | sort | .[(length - 1) / 2 | floor]' "$TMP/$1"-*.json
}

printf '\n%-8s %12s %22s %12s %10s\n' mode req/s cpu_s_per_1000_req µs/req connections
for m in bare client h2load; do
    rps=$(median "$m" requests_per_second)
    cpu=$(median "$m" cpu_seconds_per_1000_requests)
    conns=$(median "$m" connections_opened)
    printf '%-8s %12.0f %22.4f %12.1f %10s\n' "$m" "$rps" "$cpu" "$(awk -v c="$cpu" 'BEGIN{print c * 1000}')" "$conns"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a / b}'; }
C_RPS=$(median client requests_per_second); B_RPS=$(median bare requests_per_second); H_RPS=$(median h2load requests_per_second)
C_CPU=$(median client cpu_seconds_per_1000_requests); B_CPU=$(median bare cpu_seconds_per_1000_requests); H_CPU=$(median h2load cpu_seconds_per_1000_requests)
echo
# ours/bare pairs the two halves of each --mode compare run (same process, same minute), then takes the median.
PAIRED=$(for r in $(seq 1 "$REPEAT"); do
    jq -s '.[1].cpu_seconds_per_1000_requests / .[0].cpu_seconds_per_1000_requests' "$TMP/bare-$r.json" "$TMP/client-$r.json"
done | sort -g | awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)]}')
echo "ours/bare:   req/s $(ratio "$C_RPS" "$B_RPS"), CPU per request $PAIRED (median of per-run ratios; target ≤ 1.10)"
echo "ours/h2load: req/s $(ratio "$C_RPS" "$H_RPS"), CPU per request $(ratio "$C_CPU" "$H_CPU")"
echo "($REQUESTS requests, concurrency $CONCURRENCY, 1 connection, medians of $REPEAT; $(jq -r .libcurl "$TMP/client-1.json" | tr ' ' '\n' | grep -E '^(libcurl|OpenSSL|nghttp2)/' | paste -sd' '); load average now $(cut -d' ' -f1-3 /proc/loadavg))"

# --- optional: sustained load over one connection to kp-sim, checked from both ends ---
if [ -n "$KPSIM" ]; then
    printf 'benchtoken,admin,admin,system:masters\n' >"$TMP/tokens.csv"
    printf 'benchtoken\n' >"$TMP/token"
    chmod 600 "$TMP/tokens.csv" "$TMP/token"
    taskset -c 1 "$BIN/kp-sim" --cert-dir="$TMP/sim-certs" --secure-port=0 --bind-address=127.0.0.1 \
        --token-auth-file="$TMP/tokens.csv" --v=0 --sim-port-file="$TMP/sim-port" >"$TMP/sim.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do [ -s "$TMP/sim-port" ] && break; sleep 0.1; done
    [ -s "$TMP/sim-port" ] || { echo "bench-http: kp-sim did not start (see $TMP/sim.log)" >&2; KEEP=1; exit 1; }
    SIM="https://127.0.0.1:$(cat "$TMP/sim-port")"
    echo
    echo "kp-sim: $KPSIM_REQUESTS GET /version at concurrency $CONCURRENCY over one connection (--assert-single-connection)"
    if taskset -c 0 "$BIN/kp-httpbench" --mode client --url "$SIM/version" --token-file "$TMP/token" --insecure-skip-tls-verify \
        --requests "$KPSIM_REQUESTS" --concurrency "$CONCURRENCY" --max-connections 1 --warmup 1000 \
        --assert-single-connection --metrics-url "$SIM/metrics" >"$TMP/kpsim.json" 2>"$TMP/kpsim.log"; then
        jq -r '"  \(.requests_per_second | floor) req/s, \(.cpu_seconds_per_1000_requests * 1000 | . * 10 | floor / 10) µs CPU/request, errors \(.errors), connections opened \(.connections_opened), server: RST_STREAM received \(.server_rst_stream_received), connections accepted \(.server_connections_accepted)"' "$TMP/kpsim.json"
        echo "  PASS: one connection, zero resets, zero reconnects"
    else
        cat "$TMP/kpsim.log" >&2
        [ -s "$TMP/kpsim.json" ] && jq -c . "$TMP/kpsim.json" >&2
        echo "  FAIL (see above)"
        exit 1
    fi
fi
