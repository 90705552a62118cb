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
