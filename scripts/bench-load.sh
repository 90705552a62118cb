#!/usr/bin/env bash
# bench-load: how fast can kp-load go while still keeping its schedule?
#
# On kp-sim with no injected latency, steps the total rate up and finds the highest rate at which
# kp-load's schedule lag p99 stays under LAG_P99_US (1 ms), printing kp-load's CPU per 1000 requests at
# each step; then compares kp-load's CPU per HTTP request with hey -h2's (Go net/http over HTTP/2, the
# stack client-go uses) at the same rates, on the same endpoint and the same pre-warmed object; then
# measures the same endpoint's maximum under h2load (closed loop, for scale). Beside kp-load and hey
# it runs scripts/libcurl-floor.c (compiled here with cc), a C loop doing nothing but paced libcurl
# Gets the way KPHTTP drives libcurl: the floor of the design's HTTP/2 client, so the figures say how
# much of kp-load's cost is its own.
#
# Environment (all optional):
#   SCRATCH=.build-load          SwiftPM scratch path for the release build
#   BIN_DIR=/path                 use kp-sim, kp-bootstrap, kp-load from this folder and skip the build
#   RATES="500 1000 2000 ..."     total operations/s to try, ascending (80% reads, 20% writes, as the seed's 20:5; "" skips the steps)
#   CLUSTERS=10                   hot clusters the rate is spread over
#   STEP_DURATION=10s             load per step
#   LAG_P99_US=1000               the schedule-lag p99 bound, µs
#   HEY_RATES="2000 4000"         requests/s for the kp-load vs hey comparison ("" skips it)
#   HEY_DURATION=10s              length of each kp-load and hey run in the comparison
#   HEY_WORKERS=20                hey workers (-c); each is paced at rate/HEY_WORKERS requests/s (-q)
#   FLOOR_MODES="poll"            libcurl-floor modes to run at each HEY rate: poll (as KPHTTP), socket (epoll + curl_multi_socket_action); "" skips it
#   H2LOAD_REQUESTS=200000        requests for the h2load run
#   THREADS=N                     kp-load --threads for the step search (default: kp-load's own default)
#   KEEP=1                        keep the temp dir (kp-sim log, every step's load.jsonl)
# Output: a table on stdout; the last lines give the answer.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-load}
RATES=${RATES-"500 1000 2000 3000 4000 5000 6000 8000 10000"}
CLUSTERS=${CLUSTERS:-10}
STEP_DURATION=${STEP_DURATION:-10s}
LAG_P99_US=${LAG_P99_US:-1000}
H2LOAD_REQUESTS=${H2LOAD_REQUESTS:-200000}
HEY_RATES=${HEY_RATES-"2000 4000"}
HEY_DURATION=${HEY_DURATION:-10s}
HEY_WORKERS=${HEY_WORKERS:-20}
FLOOR_MODES=${FLOOR_MODES-poll}

for tool in jq h2load openssl hey /usr/bin/time cc; do
    command -v "$tool" >/dev/null || { echo "bench-load: $tool is missing (apt-get install jq nghttp2-client openssl hey time gcc)" >&2; exit 14; }
done
if [ -n "$FLOOR_MODES" ] && ! [[ "$HEY_DURATION" =~ ^[1-9][0-9]*s$ ]]; then
    echo "bench-load: HEY_DURATION=$HEY_DURATION must be whole seconds (e.g. 10s) when FLOOR_MODES is set: libcurl-floor takes seconds" >&2; exit 2
fi
for m in $FLOOR_MODES; do
    case "$m" in poll | socket) ;; *) echo "bench-load: FLOOR_MODES entry '$m' is not poll or socket: give e.g. FLOOR_MODES=\"poll socket\"" >&2; exit 2 ;; esac
done
if ! [[ "$HEY_WORKERS" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench-load: HEY_WORKERS=$HEY_WORKERS is not a positive whole number: give e.g. HEY_WORKERS=20" >&2; exit 2
fi
for r in $HEY_RATES; do
    [[ "$r" =~ ^[1-9][0-9]*$ ]] || { echo "bench-load: HEY_RATES entry '$r' is not a positive whole number of requests/s: give e.g. HEY_RATES=\"2000 4000\"" >&2; exit 2; }
done

. scripts/bench-lib.sh
bench_tools bench-load
bench_workdir bench-load

if [ -n "$HEY_RATES" ] && [ -n "$FLOOR_MODES" ]; then
    cc -O2 -o "$TMP/libcurl-floor" scripts/libcurl-floor.c -lcurl \
        || { echo "bench-load: cannot compile scripts/libcurl-floor.c (needs cc and libcurl4-openssl-dev)" >&2; exit 14; }
fi

# kp-sim (objects in memory) and CLUSTERS VCPs.
bench_sim_up "$CLUSTERS"

echo "bench-load: kp-sim at $URL, $CLUSTERS clusters, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); steps of $STEP_DURATION; lag bound p99 < ${LAG_P99_US} µs"
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
        --seed 1 --max-lag "${LAG_P99_US}us" --max-connections 0 ${THREADS:+--threads "$THREADS"} \
        >"$TMP/load-$rate.jsonl" 2>"$TMP/load-$rate.log"
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

# kp-load vs hey -h2: CPU per HTTP request at the same rate, on the same object (kp-load's pre-warmed
# kp-load-0 in c-000: kp-load runs first at each rate and creates it, or finds it), Gets only.
# CPU is the whole process's user+sys from GNU time (both tools' start-up and exit included: kp-load's
# is its TLS set-up and the pre-warm of one object, a few requests); for kp-load also its load phase
# alone (load_final.generator.cpu_seconds, getrusage from the phase's start to load_final).
OBJ="$URL/clusters/c-000/control-plane/apis/mem-c-000.kplane.dev/v1/namespaces/default/memwidgets/kp-load-0"
declare -A KP_US KP_PHASE_US HEY_US FLOOR_US
if [ -n "$HEY_RATES" ]; then
    echo
    echo "kp-load vs hey -h2 (-c $HEY_WORKERS): Gets of one object in c-000, $HEY_DURATION per run; CPU = user+sys of the whole process (GNU time)"
    printf '%8s %-8s %9s %9s %8s %8s %10s %12s %12s %s\n' req/s client requests errors achieved cpu_s us/req phase_cpu_s phase_us/req exit
    for rate in $HEY_RATES; do
        set +e
        /usr/bin/time -f '%U %S' -o "$TMP/time-kp-$rate" \
            "$BIN/kp-load" "${TARGET[@]}" --bootstrap "$TMP/bootstrap.jsonl" --clusters 1 --scenario mixed-uniform \
            --objects-per-cluster 1 --read-rps-per-cluster "$rate" --write-rps-per-cluster 0 \
            --load-duration "$HEY_DURATION" --seed 1 >"$TMP/hey-kp-$rate.jsonl" 2>"$TMP/hey-kp-$rate.log"
        rc=$?
        set -e
        final=$(grep '"kind":"load_final"' "$TMP/hey-kp-$rate.jsonl" || true)
        if [ -z "$final" ]; then
            echo "bench-load: kp-load exited $rc without load_final at $rate requests/s (see $TMP/hey-kp-$rate.log)" >&2
            KEEP=1
            break
        fi
        # GNU time writes "Command exited with non-zero status N" before the figures when the exit is not 0.
        cpu=$(tail -n 1 "$TMP/time-kp-$rate" | awk '{printf "%.2f", $1 + $2}')
        read -r req err ach phase <<<"$(jq -r '
            (.ops | map({(.op): .}) | add) as $o
            | [$o.read.count, $o.read.errors, ($o.read.count / ((.end_ns - .start_ns) / 1e9)), .generator.cpu_seconds]
            | @tsv' <<<"$final")"
        KP_US[$rate]=$(awk -v c="$cpu" -v n="$req" 'BEGIN{printf "%.1f", c / n * 1e6}')
        KP_PHASE_US[$rate]=$(awk -v c="$phase" -v n="$req" 'BEGIN{printf "%.1f", c / n * 1e6}')
        printf '%8s %-8s %9s %9s %8.0f %8s %10s %12.2f %12s %s\n' "$rate" kp-load "$req" "$err" "$ach" "$cpu" "${KP_US[$rate]}" "$phase" "${KP_PHASE_US[$rate]}" "$rc"

        for m in $FLOOR_MODES; do
            set +e
            line=$(/usr/bin/time -f '%U %S' -o "$TMP/time-floor-$m-$rate" \
                "$TMP/libcurl-floor" "$OBJ" smoketoken "$rate" "${HEY_DURATION%s}" "$m" 2>"$TMP/floor-$m-$rate.log")
            rc=$?
            set -e
            read -r freq ferr fwall <<<"$(sed -E 's/.*requests=([0-9]+) errors=([0-9]+) .* wall_s=([0-9.]+).*/\1 \2 \3/' <<<"$line")"
            # The same measure as kp-load's and hey's: GNU time's user+sys of the whole process.
            fcpu=$(tail -n 1 "$TMP/time-floor-$m-$rate" | awk '{printf "%.2f", $1 + $2}')
            fus=$(awk -v c="$fcpu" -v n="${freq:-0}" 'BEGIN{if (n > 0) printf "%.1f", c / n * 1e6}')
            if [ -z "${fus:-}" ] || [ "$rc" != 0 ]; then
                echo "bench-load: libcurl-floor ($m) exited $rc at $rate requests/s: $line $(cat "$TMP/floor-$m-$rate.log")" >&2
                KEEP=1
                break 2
            fi
            [ "$m" = poll ] && FLOOR_US[$rate]=$fus
            printf '%8s %-8s %9s %9s %8.0f %8s %10s %12s %12s %s\n' "$rate" "curl-$m" "$freq" "$ferr" "$(awk -v n="$freq" -v w="$fwall" 'BEGIN{print n / w}')" "$fcpu" "$fus" - - "$rc"
        done

        q=$(awk -v r="$rate" -v w="$HEY_WORKERS" 'BEGIN{printf "%g", r / w}')
        set +e
        /usr/bin/time -f '%U %S' -o "$TMP/time-hey-$rate" \
            hey -h2 -c "$HEY_WORKERS" -q "$q" -z "$HEY_DURATION" -H 'Authorization: Bearer smoketoken' \
            -H 'Accept: application/json' "$OBJ" >"$TMP/hey-$rate.txt" 2>&1
        rc=$?
        set -e
        if [ "$rc" != 0 ]; then
            echo "bench-load: hey exited $rc at $rate requests/s (see $TMP/hey-$rate.txt)" >&2
            KEEP=1
            break
        fi
        cpu=$(tail -n 1 "$TMP/time-hey-$rate" | awk '{printf "%.2f", $1 + $2}')
        # hey's summary: "Status code distribution:" then "  [200]	N responses"; "Error distribution:" then "  [N]	error".
        read -r ok2xx non2xx errs <<<"$(awk '
            /^Status code distribution:/ {sec = "s"; next}
            /^Error distribution:/ {sec = "e"; next}
            sec == "s" && match($0, /\[[0-9]+\][ \t]+[0-9]+ responses/) {
                code = $1; gsub(/[\[\]]/, "", code); n = $2
                if (code ~ /^2/) ok += n; else bad += n
            }
            sec == "e" && match($0, /^ *\[[0-9]+\]/) { n = $1; gsub(/[\[\]]/, "", n); e += n }
            END {printf "%d %d %d\n", ok, bad, e}' "$TMP/hey-$rate.txt")"
        hreq=$((ok2xx + non2xx + errs))
        hrps=$(sed -n 's/^ *Requests\/sec:[ \t]*\([0-9.]*\).*/\1/p' "$TMP/hey-$rate.txt")
        if [ "$hreq" = 0 ]; then
            echo "bench-load: hey reported no requests at $rate requests/s (see $TMP/hey-$rate.txt)" >&2
            KEEP=1
            break
        fi
        HEY_US[$rate]=$(awk -v c="$cpu" -v n="$hreq" 'BEGIN{printf "%.1f", c / n * 1e6}')
        printf '%8s %-8s %9s %9s %8.0f %8s %10s %12s %12s %s\n' "$rate" hey-h2 "$hreq" "$((non2xx + errs))" "${hrps:-0}" "$cpu" "${HEY_US[$rate]}" - - "$rc"
    done
fi

H2=$(h2load -n "$H2LOAD_REQUESTS" -c 4 -m 100 -H 'Authorization: Bearer smoketoken' -H 'Accept: application/json' "$OBJ" 2>&1)
H2_RPS=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$H2")
H2_OK=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$H2")
H2_2XX=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' <<<"$H2")

echo
if [ -z "$RATES" ]; then
    echo "kp-load sustained: not measured (RATES is empty)"
elif [ -n "$BEST" ]; then
    echo "kp-load sustained: ${BEST} ops/s (80% Get, 20% Get+Update) with schedule lag p99 < ${LAG_P99_US} µs; kp-load CPU $(awk -v c="$BEST_CPU" 'BEGIN{printf "%.1f", c}') ms per 1000 requests"
else
    echo "kp-load sustained: none of the rates tried kept schedule lag p99 < ${LAG_P99_US} µs"
fi
for rate in $HEY_RATES; do
    [ -n "${KP_US[$rate]:-}" ] && [ -n "${HEY_US[$rate]:-}" ] || continue
    ratio=$(awk -v a="${KP_US[$rate]}" -v b="${HEY_US[$rate]}" 'BEGIN{printf "%.2f", a / b}')
    verdict=$(awk -v r="$ratio" 'BEGIN{print (r <= 0.80) ? "met" : "NOT met"}')
    if [ -n "${FLOOR_US[$rate]:-}" ]; then
        echo "libcurl floor at $rate req/s (scripts/libcurl-floor.c, poll mode): ${FLOOR_US[$rate]} µs per request = $(awk -v a="${FLOOR_US[$rate]}" -v b="${HEY_US[$rate]}" 'BEGIN{printf "%.2f", a / b}')× hey; kp-load = $(awk -v a="${KP_US[$rate]}" -v b="${FLOOR_US[$rate]}" 'BEGIN{printf "%.2f", a / b}')× the floor"
    fi
    echo "CPU per request at $rate req/s: kp-load ${KP_US[$rate]} µs (load phase alone ${KP_PHASE_US[$rate]} µs), hey -h2 ${HEY_US[$rate]} µs; kp-load/hey ${ratio}× whole process, $(awk -v a="${KP_PHASE_US[$rate]}" -v b="${HEY_US[$rate]}" 'BEGIN{printf "%.2f", a / b}')× load phase; target ≤ 0.80× (whole process): ${verdict}"
done
echo "h2load maximum on the same endpoint (GET of one object, -c 4 -m 100): ${H2_RPS:-?} req/s (${H2_2XX:-?} 2xx of ${H2_OK:-?} succeeded)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores, shared with whatever else runs)"
