#!/usr/bin/env bash
# sim-latency-curl: what kp-sim's --fault-latency adds to a GET and to a PUT, measured with an
# independent client (the curl CLI, HTTP/2, one connection, requests one after another), so kp-load
# is not part of the figure. Starts kp-sim twice (no fault, then FAULT), creates one ConfigMap with
# a 1 KiB value, then times N GETs and N PUTs of it (curl's time_total − time_pretransfer, first 5
# dropped) and prints p25/p50/p75 per method and the p50 each gains with the fault.
# Usage: scripts/sim-latency-curl.sh KP_SIM_BINARY [FAULT (default --fault-latency=fixed:5ms)] [N (default 300)]
set -euo pipefail
bin=${1:-}
fault=${2:---fault-latency=fixed:5ms}
n=${3:-300}
[ -x "$bin" ] || { echo "sim-latency-curl: '$bin' is not an executable kp-sim: pass e.g. .build/release/kp-sim" >&2; exit 2; }
case "$n" in '' | *[!0-9]*) echo "sim-latency-curl: N '$n' is not a count" >&2; exit 2 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/sim-latency-curl.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

measure() { # measure LABEL [sim flags...] -> writes $work/LABEL.get and $work/LABEL.put
    local label=$1 d="$work/$1"
    shift
    mkdir -p "$d"
    printf 'smoketoken,admin,admin,system:masters\n' >"$d/tokens.csv"
    "$bin" --secure-port=0 --bind-address=127.0.0.1 --cert-dir="$d/certs" --token-auth-file="$d/tokens.csv" \
        --authorization-mode=RBAC --sim-port-file="$d/port" "$@" >"$d/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
    [ -s "$d/port" ] || { echo "sim-latency-curl: kp-sim did not start: $(tail -3 "$d/log")" >&2; exit 1; }
    local namespace="https://127.0.0.1:$(cat "$d/port")/clusters/c-lat/control-plane/api/v1/namespaces/default"
    local base="$namespace/configmaps"
    local c=(curl -sS --http2 --cacert "$d/certs/apiserver.crt" -H "Authorization: Bearer smoketoken")
    # A new VCP's default namespace appears after its bootstrap (as kp-bootstrap's namespace step waits for).
    for _ in $(seq 100); do
        [ "$("${c[@]}" -o /dev/null -w '%{http_code}' "$namespace")" = 200 ] && break
        sleep 0.1
    done
    python3 -c "import json; print(json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'lat', 'namespace': 'default'}, 'data': {'d': 'x' * 1024}}))" >"$d/cm.json"
    local created
    created=$("${c[@]}" -o "$d/created" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$d/cm.json" "$base")
    [ "$created" = 201 ] || { echo "sim-latency-curl: creating the ConfigMap answered $created: $(head -c 300 "$d/created")" >&2; exit 1; }
    for _ in $(seq "$n"); do printf 'url = "%s/lat"\noutput = /dev/null\n' "$base"; done >"$d/urls"
    "${c[@]}" -w '%{time_pretransfer} %{time_total} %{http_code}\n' -K "$d/urls" >"$work/$label.get"
    "${c[@]}" -X PUT -H 'Content-Type: application/json' --data-binary @"$d/cm.json" \
        -w '%{time_pretransfer} %{time_total} %{http_code}\n' -K "$d/urls" >"$work/$label.put"
    kill "$pid" && wait "$pid" 2>/dev/null || true
    pid=""
}
measure base
measure fault "$fault"
python3 - "$work" "$fault" <<'PY'
import statistics, sys
work, fault = sys.argv[1:]
def load(path):
    rows = [line.split() for line in open(path)][5:]
    bad = [r[2] for r in rows if r[2] != "200"]
    if bad:
        sys.exit(f"sim-latency-curl: {path.rsplit('/', 1)[-1]}: {len(bad)} answers were not 200 ({bad[0]})")
    return [(float(r[1]) - float(r[0])) * 1000 for r in rows]
p50 = {}
for label in ("base", "fault"):
    for method in ("get", "put"):
        v = load(f"{work}/{label}.{method}")
        q = statistics.quantiles(v, n=4)
        p50[label, method] = statistics.median(v)
        print(f"{label:5} {method.upper():3} n={len(v)} p25 {q[0]:.3f} p50 {q[1]:.3f} p75 {q[2]:.3f} ms")
for method in ("get", "put"):
    print(f"{fault} adds to {method.upper()} p50: {p50['fault', method] - p50['base', method]:+.3f} ms")
PY
