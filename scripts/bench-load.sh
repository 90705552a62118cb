#!/usr/bin/env bash
# bench-load: how fast can kp-load go while still keeping its schedule?
#
# On kp-sim with no injected latency, steps the total rate up and finds the highest rate at which
# kp-load's schedule lag p99 stays under LAG_P99_US (1 ms), printing kp-load's CPU per 1000 requests at
# each step; then measures the same endpoint's maximum under h2load (closed loop, for scale).
#
# Environment (all optional):
#   SCRATCH=.build-load          SwiftPM scratch path for the release build
#   RATES="500 1000 2000 ..."     total operations/s to try, ascending (80% reads, 20% writes, as the seed's 20:5)
#   CLUSTERS=10                   hot clusters the rate is spread over
#   STEP_DURATION=10s             load per step
#   LAG_P99_US=1000               the schedule-lag p99 bound, µs
#   H2LOAD_REQUESTS=200000        requests for the h2load run
#   KEEP=1                        keep the temp dir (kp-sim log, every step's load.jsonl)
# Output: a table on stdout; the last lines give the answer.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-load}
RATES=${RATES:-"500 1000 2000 3000 4000 5000 6000 8000 10000"}
CLUSTERS=${CLUSTERS:-10}
STEP_DURATION=${STEP_DURATION:-10s}
LAG_P99_US=${LAG_P99_US:-1000}
H2LOAD_REQUESTS=${H2LOAD_REQUESTS:-200000}

for tool in jq h2load openssl; do
    command -v "$tool" >/dev/null || { echo "bench-load: $tool is missing (apt-get install jq nghttp2-client openssl)" >&2; exit 14; }
done

echo "bench-load: building kp-sim, kp-bootstrap, kp-load (release, --scratch-path $SCRATCH)" >&2
for p in kp-sim kp-bootstrap kp-load; do
    swift build -c release --scratch-path "$SCRATCH" --product "$p" >&2
done
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

TMP=$(mktemp -d /tmp/bench-load.XXXXXX)
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "bench-load: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

printf 'smoketoken,admin,admin,system:masters\n' >"$TMP/tokens.csv"
printf 'smoketoken\n' >"$TMP/token"
chmod 600 "$TMP/tokens.csv" "$TMP/token"
openssl genrsa -traditional -out "$TMP/sa.key" 2048 2>/dev/null

# The contract flag set without --etcd-servers: kp-sim keeps objects in memory.
"$BIN/kp-sim" \
    --cert-dir="$TMP/certs" --secure-port=0 --bind-address=127.0.0.1 --enable-aggregator-routing=true \
    --authorization-mode=RBAC --anonymous-auth=true --token-auth-file="$TMP/tokens.csv" --allow-privileged=true \
    --service-cluster-ip-range=10.0.0.0/24 --service-cidr-sharing-mode=shared --kubernetes-service-mode=shared \
    --service-account-issuer=test --api-audiences=test,https://kubernetes.default.svc \
    --service-account-signing-key-file="$TMP/sa.key" --service-account-key-file="$TMP/sa.key" --v=0 \
    --sim-port-file="$TMP/port" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 300); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "bench-load: kp-sim did not start (see $TMP/sim.log)" >&2; KEEP=1; exit 1; }
URL="https://127.0.0.1:$(cat "$TMP/port")"
TARGET=(--url "$URL" --token-file "$TMP/token" --insecure-skip-tls-verify)

"$BIN/kp-bootstrap" "${TARGET[@]}" --clusters "$CLUSTERS" >"$TMP/bootstrap.jsonl" 2>"$TMP/bootstrap.log" \
    || { echo "bench-load: kp-bootstrap failed (see $TMP/bootstrap.log)" >&2; KEEP=1; exit 1; }

echo "bench-load: kp-sim at $URL, $CLUSTERS clusters, $(nproc) cores; steps of $STEP_DURATION; lag bound p99 < ${LAG_P99_US} µs"
printf '%8s %10s %9s %9s %9s %9s %12s %10s %8s %s\n' target_ops achieved req/s lag_p50us lag_p99us lag_max_us cpu_s cpu_ms/1k_req errors limited
BEST=
BEST_CPU=
for rate in $RATES; do
    per=$(awk -v r="$rate" -v c="$CLUSTERS" 'BEGIN{printf "%.6f", r / c}')
    reads=$(awk -v p="$per" 'BEGIN{printf "%.6f", p * 0.8}')
    writes=$(awk -v p="$per" 'BEGIN{printf "%.6f", p * 0.2}')
    set +e
    "$BIN/kp-load" "${TARGET[@]}" --bootstrap "$TMP/bootstrap.jsonl" --scenario mixed-uniform \
        --read-rps-per-cluster "$reads" --write-rps-per-cluster "$writes" --load-duration "$STEP_DURATION" \
        --seed 1 --max-lag "${LAG_P99_US}us" --max-connections 0 >"$TMP/load-$rate.jsonl" 2>"$TMP/load-$rate.log"
    rc=$?
    set -e
    final=$(grep '"kind":"load_final"' "$TMP/load-$rate.jsonl" || true)
    if [ -z "$final" ]; then
        echo "bench-load: kp-load exited $rc without load_final at $rate ops/s (see $TMP/load-$rate.log)" >&2
        KEEP=1
        break
    fi
    row=$(jq -r --argjson lim "$LAG_P99_US" '
        def pct(h; q): (h.count * q / 100 | ceil | if . < 1 then 1 else . end) as $rank
            | reduce h.buckets[] as $b ({seen: 0, v: null};
                if .v == null then .seen += $b[1] | (if .seen >= $rank then .v = $b[0] else . end) else . end) | .v;
        (.ops | map({(.op): .}) | add) as $o
        | ($o.read.count + $o["write.get"].count + $o["write.update"].count) as $req
        | [ (.target_rps | add), (.achieved_rps | add), ($req / ((.end_ns - .start_ns) / 1e9)),
            (pct(.generator.schedule_lag; 50) / 1000), (pct(.generator.schedule_lag; 99) / 1000),
            (.generator.schedule_lag.max / 1000), .generator.cpu_seconds,
            (.generator.cpu_seconds * 1000 / $req * 1000),
            ([.ops[] | select(.op == "read" or .op == "write") | .errors] | add), .generator_limited ]
        | @tsv' <<<"$final")
    read -r t a q l50 l99 lmax cpu cpk err lim <<<"$row"
    printf '%8.0f %10.1f %9.0f %9.0f %9.0f %9.0f %12.2f %10.3f %8s %s\n' "$t" "$a" "$q" "$l50" "$l99" "$lmax" "$cpu" "$cpk" "$err" "$lim"
    ok=$(awk -v l="$l99" -v b="$LAG_P99_US" -v a="$a" -v t="$t" 'BEGIN{print (l < b && a >= 0.99 * t) ? 1 : 0}')
    if [ "$ok" = 1 ] && [ "$lim" = false ]; then
        BEST=$rate
        BEST_CPU=$cpk
    else
        break
    fi
done

OBJ="$URL/clusters/c-000/control-plane/apis/mem-c-000.kplane.dev/v1/namespaces/default/memwidgets/kp-load-0"
H2=$(h2load -n "$H2LOAD_REQUESTS" -c 4 -m 100 -H 'Authorization: Bearer smoketoken' -H 'Accept: application/json' "$OBJ" 2>&1)
H2_RPS=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$H2")
H2_OK=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$H2")
H2_2XX=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' <<<"$H2")

echo
if [ -n "$BEST" ]; then
    echo "kp-load sustained: ${BEST} ops/s (80% Get, 20% Get+Update) with schedule lag p99 < ${LAG_P99_US} µs; kp-load CPU ${BEST_CPU} ms per 1000 requests"
else
    echo "kp-load sustained: none of the rates tried kept schedule lag p99 < ${LAG_P99_US} µs"
fi
echo "h2load maximum on the same endpoint (GET of one object, -c 4 -m 100): ${H2_RPS:-?} req/s (${H2_2XX:-?} 2xx of ${H2_OK:-?} succeeded)"
