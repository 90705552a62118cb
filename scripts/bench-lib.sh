# Sourced by the benchmarks that start kp-sim and drive it with kp-load (bench-load.sh,
# bench-saturation.sh): the one way they find or build their tools and clean up after themselves.
#
#   bench_tools NAME       sets BIN: BIN_DIR when given (each of kp-sim, kp-bootstrap, kp-load must be
#                          executable there, else exit 2), otherwise a release build of the three into
#                          SCRATCH. NAME prefixes every message.
#   bench_workdir NAME     sets TMP (a fresh /tmp/NAME.XXXXXX) and SIM_PID (empty; the caller stores
#                          kp-sim's pid there) and installs the traps: on exit kp-sim is stopped and TMP
#                          removed (kept, and said, with KEEP=1); Ctrl-C exits 130, SIGTERM 143.

bench_tools() {
    local name=$1 p
    if [ -n "${BIN_DIR:-}" ]; then
        BIN=$BIN_DIR
        for p in kp-sim kp-bootstrap kp-load; do
            [ -x "$BIN/$p" ] || { echo "$name: BIN_DIR=$BIN has no executable $p: build it (swift build -c release) or point BIN_DIR at a folder that has it" >&2; exit 2; }
        done
        echo "$name: using the binaries in $BIN (no build)" >&2
    else
        echo "$name: building kp-sim, kp-bootstrap, kp-load (release, --scratch-path $SCRATCH)" >&2
        for p in kp-sim kp-bootstrap kp-load; do
            swift build -c release --scratch-path "$SCRATCH" --product "$p" >&2
        done
        BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
    fi
}

bench_workdir() {
    BENCH_NAME=$1
    TMP=$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")
    SIM_PID=
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "$BENCH_NAME: kept $TMP" >&2; else rm -rf "$TMP"; fi
}

# bench_sim_up CLUSTERS [FLAG ...]: starts kp-sim on a free loopback port (the contract's flag set
# without --etcd-servers, so objects stay in memory, plus FLAGs), with a throw-away token and
# service-account key in TMP; sets SIM_PID, URL and TARGET (kp-bootstrap/kp-load's target flags) and
# bootstraps CLUSTERS VCPs into TMP/bootstrap.jsonl. Exits 1 (keeping TMP) when either step fails.
bench_sim_up() {
    local clusters=$1
    shift
    printf 'smoketoken,admin,admin,system:masters\n' >"$TMP/tokens.csv"
    printf 'smoketoken\n' >"$TMP/token"
    chmod 600 "$TMP/tokens.csv" "$TMP/token"
    openssl genrsa -traditional -out "$TMP/sa.key" 2048 2>/dev/null
    "$BIN/kp-sim" \
        --cert-dir="$TMP/certs" --secure-port=0 --bind-address=127.0.0.1 --enable-aggregator-routing=true \
        --authorization-mode=RBAC --anonymous-auth=true --token-auth-file="$TMP/tokens.csv" --allow-privileged=true \
        --service-cluster-ip-range=10.0.0.0/24 --service-cidr-sharing-mode=shared --kubernetes-service-mode=shared \
        --service-account-issuer=test --api-audiences=test,https://kubernetes.default.svc \
        --service-account-signing-key-file="$TMP/sa.key" --service-account-key-file="$TMP/sa.key" --v=0 \
        --sim-port-file="$TMP/port" "$@" >"$TMP/sim.log" 2>&1 &
    SIM_PID=$!
    for _ in $(seq 1 300); do [ -s "$TMP/port" ] && break; sleep 0.1; done
    [ -s "$TMP/port" ] || { echo "$BENCH_NAME: kp-sim did not start (see $TMP/sim.log)" >&2; KEEP=1; exit 1; }
    URL="https://127.0.0.1:$(cat "$TMP/port")"
    TARGET=(--url "$URL" --token-file "$TMP/token" --insecure-skip-tls-verify)
    "$BIN/kp-bootstrap" "${TARGET[@]}" --clusters "$clusters" >"$TMP/bootstrap.jsonl" 2>"$TMP/bootstrap.log" \
        || { echo "$BENCH_NAME: kp-bootstrap failed (see $TMP/bootstrap.log)" >&2; KEEP=1; exit 1; }
}
