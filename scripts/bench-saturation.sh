#!/usr/bin/env bash
# bench-saturation: does kp-load stay cheap, and name the server, when the server is the limit?
#
# Starts kp-sim with a fixed service time and a concurrency limit (--fault-latency fixed:SERVICE,
# --sim-max-concurrency CONCURRENCY: capacity C = CONCURRENCY / SERVICE requests/s, printed), then
# runs kp-load twice, reads only, spread over CLUSTERS hot clusters: once at LOW × C (unloaded) and
# once at HIGH × C (saturated). For each it prints the requests, kp-load's CPU-seconds over the phase
# (load_final.generator.cpu_seconds, getrusage from the phase's start to its end, drain included),
# CPU per request in µs, and the verdict with kp-load's exit code; then the ratio of the saturated
# run's CPU per request to the unloaded one's. Targets: ratio ≤ 2.0; the saturated run says
# "target saturated" and exits 6.
#
# Environment (all optional):
#   SCRATCH=.build-load     SwiftPM scratch path for the release build
#   BIN_DIR=/path           use kp-sim, kp-bootstrap, kp-load from this folder and skip the build
#   SERVICE=5ms             kp-sim's fixed service time (--fault-latency fixed:SERVICE)
#   CONCURRENCY=2           kp-sim's --sim-max-concurrency
#   CLUSTERS=10             hot clusters the rate is spread over
#   DURATION=12s            load per run
#   LOW=0.5 HIGH=2.5        the two offered rates, as multiples of the capacity
#   KEEP=1                  keep the temp dir (kp-sim log, both runs' load.jsonl and stderr)
# Output: one line per run and the ratio; the exit status is 0 whether or not the targets are met.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-load}
SERVICE=${SERVICE:-5ms}
CONCURRENCY=${CONCURRENCY:-2}
CLUSTERS=${CLUSTERS:-10}
DURATION=${DURATION:-12s}
LOW=${LOW:-0.5}
HIGH=${HIGH:-2.5}

for tool in jq openssl awk; do
    command -v "$tool" >/dev/null || { echo "bench-saturation: $tool is missing (apt-get install jq openssl gawk)" >&2; exit 14; }
done
[[ "$SERVICE" =~ ^[1-9][0-9]*ms$ ]] || { echo "bench-saturation: SERVICE=$SERVICE is not whole milliseconds: give e.g. SERVICE=5ms" >&2; exit 2; }
[[ "$CONCURRENCY" =~ ^[1-9][0-9]*$ ]] || { echo "bench-saturation: CONCURRENCY=$CONCURRENCY is not a positive whole number: give e.g. CONCURRENCY=2" >&2; exit 2; }
[[ "$CLUSTERS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-saturation: CLUSTERS=$CLUSTERS is not a positive whole number: give e.g. CLUSTERS=10" >&2; exit 2; }
[[ "$DURATION" =~ ^[1-9][0-9]*s$ ]] || { echo "bench-saturation: DURATION=$DURATION is not whole seconds: give e.g. DURATION=12s" >&2; exit 2; }
for m in "$LOW" "$HIGH"; do
    [[ "$m" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v m="$m" 'BEGIN{exit !(m > 0)}' \
        || { echo "bench-saturation: LOW/HIGH '$m' is not a positive number: give e.g. LOW=0.5 HIGH=2.5" >&2; exit 2; }
done

. scripts/bench-lib.sh
bench_tools bench-saturation
bench_workdir bench-saturation

# kp-sim with its capacity knob, and CLUSTERS VCPs.
bench_sim_up "$CLUSTERS" --sim-max-concurrency="$CONCURRENCY" --fault-latency="fixed:$SERVICE"

CAPACITY=$(awk -v n="$CONCURRENCY" -v s="${SERVICE%ms}" 'BEGIN{printf "%.0f", n / (s / 1000)}')
echo "bench-saturation: kp-sim at $URL serves $CONCURRENCY requests at once, $SERVICE each: capacity C = $CAPACITY requests/s;" \
    "$CLUSTERS hot clusters, reads only, $DURATION per run; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %8s %9s %9s %9s %7s %12s %6s  %s\n' run offered requests timeouts achieved cpu_s cpu_us/req exit verdict

declare -A US
for which in unloaded saturated; do
    mult=$LOW
    [ "$which" = saturated ] && mult=$HIGH
    rate=$(awk -v c="$CAPACITY" -v m="$mult" 'BEGIN{printf "%.0f", c * m}')
    per=$(awk -v r="$rate" -v n="$CLUSTERS" 'BEGIN{printf "%.6f", r / n}')
    set +e
    "$BIN/kp-load" "${TARGET[@]}" --bootstrap "$TMP/bootstrap.jsonl" --clusters "$CLUSTERS" --scenario mixed-uniform \
        --read-rps-per-cluster "$per" --write-rps-per-cluster 0 --load-duration "$DURATION" --seed 1 \
        >"$TMP/load-$which.jsonl" 2>"$TMP/load-$which.log"
    rc=$?
    set -e
    final=$(grep '"kind":"load_final"' "$TMP/load-$which.jsonl" || true)
    if [ -z "$final" ]; then
        echo "bench-saturation: kp-load exited $rc without load_final in the $which run (see $TMP/load-$which.log)" >&2
        KEEP=1
        exit 1
    fi
    read -r req tmo ach cpu <<<"$(jq -r '
        (.ops | map({(.op): .}) | add) as $o
        | [$o.read.count, ($o.read.by_status.timeout // 0), (.achieved_rps | add), .generator.cpu_seconds] | @tsv' <<<"$final")"
    verdict=$(jq -r 'if .target_saturated then (.target_saturation_reason // "target saturated")
        elif .generator_limited then "generator-limited: " + (.generator_limit_reason // "?") else "ok" end' <<<"$final")
    US[$which]=$(awk -v c="$cpu" -v n="$req" 'BEGIN{printf "%.1f", (n > 0 ? c / n * 1e6 : 0)}')
    printf '%-10s %8s %9s %9s %9.1f %7.2f %12s %6s  %s\n' "$which" "$rate" "$req" "$tmo" "$ach" "$cpu" "${US[$which]}" "$rc" "$verdict"
done

ratio=$(awk -v a="${US[saturated]}" -v b="${US[unloaded]}" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
echo "bench-saturation: CPU per request saturated / unloaded = $ratio (target ≤ 2.0); the saturated run's verdict should be target saturated, exit 6"
