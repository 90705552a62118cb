#!/usr/bin/env bash
# fault-matrix.sh: strikes every fault in every phase where it can strike, on kp-sim, and checks
# that the run ends the documented way (docs/faults.md):
#   - the documented exit code;
#   - summary.md says INCOMPLETE, in which phase, and why;
#   - the target's log (and etcd's, in local mode) is in the run directory;
#   - no process of the run is left: every descendant of kp-run seen while it ran (the process
#     table, polled), and every process whose command line names the cell's folder;
#   - secrets, launch.pid, temporary files and the throw-away etcd's data dir are gone.
# Prints a fault × phase table with ✓/✗ per cell and exits 1 if any cell failed.
#
# Faults come from kp-sim's --fault-* flags. Those armed in a later phase use --fault-arm-file: the
# faults stay dormant until this script creates the file, which it does when out/<run>/phase names
# the phase under test. Signals go to kp-run's pid; "etcd killed" is a SIGKILL to the throw-away
# etcd of local mode (kp-sim as the apiserver binary).
set -u -o pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/fault-matrix.sh [--bin-dir DIR] [--out DIR] [--only CELL,CELL...] [--list] [--keep]

  --bin-dir DIR   where the kp-* tools are [swift build --show-bin-path, debug]
  --out DIR       where cell runs go [a new temporary folder, removed unless a cell fails or --keep]
  --only CELLS    run only these cells, e.g. crash:bootstrap,sigint:warmup (see --list)
  --list          print the cells and their expected exit codes, then exit
  --keep          keep the cells' run directories
Exit 0 when every cell passed, 1 when any failed, 2 for bad input.
USAGE
}

die_input() { echo "fault-matrix: error: $*" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR="${KP_BIN_DIR:-}" OUT="" ONLY="" LIST=0 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) [ $# -ge 2 ] || die_input "--bin-dir needs a value"; BIN_DIR=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || die_input "--out needs a value"; OUT=$2; shift 2 ;;
        --only) [ $# -ge 2 ] || die_input "--only needs a value"; ONLY=$2; shift 2 ;;
        --list) LIST=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die_input "unknown argument '$1' (see scripts/fault-matrix.sh --help)" ;;
    esac
done

# --- the matrix --------------------------------------------------------------
# Phases as kp-run names them in out/<run>/phase.
PHASES=(launch warmup bootstrap post-bootstrap-settle steady-wait load)
PHASE_TITLES=(launch warmup bootstrap settle steady load)

# fault|phase|mode|expected exit|action|kp-sim fault flags (space-separated)|summary regex (extended)
# action: arm (create the arm file), arm-late (1.5 s into the phase: after kp-load's pre-warm), none (fault
# active from start), sigint, sigterm, kill-etcd
CELLS=()
cell() { CELLS+=("$1|$2|$3|$4|$5|$6|$7"); }
for p in "${PHASES[@]}"; do
    case $p in
        launch) cell crash "$p" sim 10 none "--fault-crash-after=0s" "target failed before it was ready|exited with status 3" ;;
        bootstrap) cell crash "$p" sim 10 none "--fault-crash-after-vcps=3" "target exited during bootstrap" ;;
        *) cell crash "$p" sim 10 arm "--fault-crash-after=0s" "target exited during $p" ;;
    esac
done
for p in "${PHASES[@]}"; do
    if [ "$p" = launch ]; then
        cell stall "$p" sim 11 none "--fault-stall=60s@0s" "did not answer /readyz with 200"
    else
        cell stall "$p" sim 11 arm "--fault-stall=60s@0s" "stopped answering during $p"
    fi
done
cell "503 burst" launch sim 11 none "--fault-error-rate=1 --fault-error-status=503" "HTTP 503"
cell "503 burst" bootstrap sim 12 arm "--fault-error-rate=1 --fault-error-status=503" "bootstrap: .*target's errors"
cell "503 burst" load sim 12 arm "--fault-error-rate=1 --fault-error-status=503" "load: "
cell "503 burst mid-load" load sim 12 arm-late "--fault-error-rate=1 --fault-error-status=503" "load operations failed"
cell "429 burst" bootstrap sim 12 arm "--fault-error-rate=1 --fault-error-status=429" "bootstrap: .*target's errors"
cell "429 burst" load sim 12 arm "--fault-error-rate=1 --fault-error-status=429" "load: "
cell "resets" launch sim 11 none "--fault-reset-rate=1" "did not answer /readyz with 200"
cell "resets" bootstrap sim 12 arm "--fault-reset-rate=1" "bootstrap: .*target's errors"
cell "resets" load sim 12 arm "--fault-reset-rate=1" "load: "
for p in "${PHASES[@]}"; do
    a=arm; [ "$p" = launch ] && a=none
    cell "metrics malformed" "$p" sim 4 "$a" "--fault-metrics-malformed" "sample failed|series samples failed"
done
for p in "${PHASES[@]}"; do
    a=arm; [ "$p" = launch ] && a=none
    cell "metrics slow" "$p" sim 4 "$a" "--fault-metrics-delay=30s" "sample failed|series samples failed"
done
cell "pprof failing" launch sim 4 none "--fault-pprof-status=500" "profile at post-bootstrap is missing"
for p in post-bootstrap-settle steady-wait load; do
    cell "pprof failing" "$p" sim 4 arm "--fault-pprof-status=500" "profile at .* is missing"
done
for p in "${PHASES[@]}"; do
    cell "etcd killed" "$p" local 13 kill-etcd "" "etcd failed (during the run|before the target was ready)"
done
for p in "${PHASES[@]}"; do cell SIGINT "$p" sim 130 sigint "" "interrupted by SIGINT"; done
for p in "${PHASES[@]}"; do cell SIGTERM "$p" sim 143 sigterm "" "interrupted by SIGTERM"; done
cell "SIGTERM local" bootstrap local 143 sigterm "" "interrupted by SIGTERM"

cell_id() { local f=${1%%|*} rest=${1#*|}; f=${f// /-}; echo "${f,,}:${rest%%|*}"; }

if [ "$LIST" = 1 ]; then
    for c in "${CELLS[@]}"; do IFS='|' read -r f p m code _ _ _ <<<"$c"; printf '%-32s %-6s exit %s\n' "$(cell_id "$c")" "$m" "$code"; done
    exit 0
fi

SELECTED=()
if [ -n "$ONLY" ]; then
    IFS=',' read -r -a wanted <<<"$ONLY"
    for w in "${wanted[@]}"; do
        found=0
        for c in "${CELLS[@]}"; do [ "$(cell_id "$c")" = "$w" ] && { SELECTED+=("$c"); found=1; }; done
        [ $found = 1 ] || die_input "--only: no cell '$w' (see scripts/fault-matrix.sh --list)"
    done
else
    SELECTED=("${CELLS[@]}")
fi

if [ -z "$BIN_DIR" ]; then
    BIN_DIR=$(cd "$ROOT" && swift build --show-bin-path 2>/dev/null) || true
fi
for tool in kp-launch kp-bootstrap kp-scrape kp-report kp-load kp-sim; do
    [ -x "$BIN_DIR/$tool" ] || die_input "$BIN_DIR/$tool not found: build first (swift build) or pass --bin-dir"
done
BIN_DIR=$(cd "$BIN_DIR" && pwd)
need_etcd=0
for c in "${SELECTED[@]}"; do [[ $c == *"|local|"* ]] && need_etcd=1; done
if [ $need_etcd = 1 ] && ! command -v etcd >/dev/null 2>&1; then
    die_input "etcd is not installed, and the local-mode cells need it: apt-get install etcd-server (or make deps-test)"
fi
if [ -z "$OUT" ]; then
    OUT=$(mktemp -d "${TMPDIR:-/tmp}/kpbench-faults-XXXXXX")
else
    mkdir -p "$OUT" && [ -w "$OUT" ] || die_input "--out '$OUT' is not a writable directory"
    OUT=$(cd "$OUT" && pwd)
fi

# --- one cell ----------------------------------------------------------------
# Short phases, a few clusters; a slow CRD establishment keeps the bootstrap long enough to strike in.
RUN_ARGS=(--scenario mixed-hot --clusters 6 --workers 3 --warmup 4s --post-bootstrap-settle 4s --steady-wait 4s
          --load-duration 4s --hot-percent 50 --write-rps-per-cluster 2 --read-rps-per-cluster 5
          --series-interval 1s --request-timeout 2s --step-deadline 6s --max-lag 1s)
SLOW_CRD=--sim-crd-establish-delay=2s

# pid:starttime of every descendant of $1 now. One pass over /proc (two processes, not one per
# descendant): this runs every 50 ms beside the run under test and must stay cheap.
descendants() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
        { pid = $1; line = $0; sub(/.*\) /, "", line); split(line, a, " "); parent[pid] = a[2]; start[pid] = a[20] }
        END {
            for (p in parent) {
                q = parent[p]
                for (depth = 0; q != "" && q > 1 && depth < 50; depth++) {
                    if (q == root) { print p ":" start[p]; break }
                    q = parent[q]
                }
            }
        }'
}
# Prints the pid:starttime entries of $1 (a file) that are still alive and not zombies.
still_alive() {
    sort -u "$1" | while IFS=: read -r pid st; do
        [ -r "/proc/$pid/stat" ] || continue
        read -r now state < <(awk '{sub(/.*\) /, ""); print $20, $1}' "/proc/$pid/stat" 2>/dev/null)
        [ "$now" = "$st" ] && [ "$state" != Z ] && echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
    done
}

RESULTS=()   # id|ok|detail
run_cell() {
    local c=$1 fault phase mode expect action flags regex
    IFS='|' read -r fault phase mode expect action flags regex <<<"$c"
    local id; id=$(cell_id "$c")
    local cdir="$OUT/${id//[: ]/_}"
    rm -rf "$cdir"; mkdir -p "$cdir/tmp"
    local run=run dir="$cdir/out/run" arm="$cdir/arm"
    local launch=(--ready-timeout 5s)
    local env=(TMPDIR="$cdir/tmp")
    local simargs=()
    for f in $flags; do simargs+=("$f"); done
    [[ $action == arm* ]] && simargs+=("--fault-arm-file=$arm")
    simargs+=("$SLOW_CRD")
    # A signal or an etcd kill must land while kp-launch still waits for /readyz: kp-sim is ready in
    # ~0.2 s, so in the launch phase it answers /readyz 500 for its first 3 s (--sim-ready-delay).
    [ "$phase" = launch ] && [[ $action == sig* || $action == kill-etcd ]] && simargs+=("--sim-ready-delay=3s")
    local mode_args=()
    if [ "$mode" = sim ]; then
        mode_args=(--sim)
        for a in "${simargs[@]}"; do launch+=("--sim-arg=$a"); done
    else
        env+=(APISERVER_BIN="$BIN_DIR/kp-sim" ETCD_ENDPOINTS=)
        for a in "${simargs[@]}"; do launch+=("--apiserver-arg=$a"); done
    fi
    printf 'fault-matrix: %-32s ' "$id" >&2
    local start; start=$(date +%s)
    # env --default-signal: a background job of a script starts with SIGINT ignored, and a caller
    # may have ignored SIGTERM/SIGHUP too (a test process whose signal watcher set SIG_IGN); bash
    # keeps an inherited SIG_IGN (it cannot be trapped), so restore them (kp-run handles them itself).
    env --default-signal=INT,QUIT,TERM,HUP -u APISERVER_DIR -u APISERVER_URL -u APISERVER_BIN "${env[@]}" \
        "$BIN_DIR/kp-run" --bin-dir "$BIN_DIR" --out "$cdir/out" --run "$run" "${mode_args[@]}" "${RUN_ARGS[@]}" \
        -- "${launch[@]}" >"$cdir/kp-run.stdout" 2>"$cdir/kp-run.stderr" &
    local kpid=$!
    KPID=$kpid
    local seen="$cdir/processes" struck=0 current=""
    : >"$seen"
    while kill -0 "$kpid" 2>/dev/null; do
        descendants "$kpid" >>"$seen"
        current=""
        [ -r "$dir/phase" ] && { read -r current < "$dir/phase" || true; }
        if [ $struck = 0 ] && [ "$current" = "$phase" ]; then
            case $action in
                arm) : >"$arm"; struck=1 ;;
                arm-late) sleep 1.5; : >"$arm"; struck=1 ;;
                none) struck=1 ;;
                sigint|sigterm)
                    # In launch, let kp-launch get going first; elsewhere strike well inside the phase.
                    sleep 0.5
                    kill "-${action#sig}" "$kpid" 2>/dev/null; struck=1 ;;
                kill-etcd)
                    local lp etcd_pid
                    lp=$(cat "$dir/launch.pid" 2>/dev/null)
                    etcd_pid=""
                    [ -n "$lp" ] && etcd_pid=$(pgrep -P "$lp" -x etcd | head -n 1)
                    # Only once the target runs beside it: etcd dying under a running apiserver is the fault.
                    if [ -n "$etcd_pid" ] && [ -n "$(pgrep -P "$lp" -x kp-sim)" ]; then kill -KILL "$etcd_pid"; struck=1; fi ;;
            esac
        fi
        sleep 0.05
    done
    wait "$kpid"; local rc=$?
    KPID=""
    local secs=$(( $(date +%s) - start ))
    local problems=()
    [ "$rc" = "$expect" ] || problems+=("exit $rc, expected $expect")
    [ $struck = 1 ] || problems+=("the run never entered phase $phase (last: ${current:-none}), so the fault never struck")
    local summary="$dir/summary.md"
    if [ -s "$summary" ]; then
        local inc; inc=$(grep -m1 '^\*\*INCOMPLETE:\*\*' "$summary")
        [ -n "$inc" ] || problems+=("summary.md has no INCOMPLETE line")
        grep -qE "$regex" "$summary" || problems+=("summary.md does not say /$regex/")
        case $expect in
            4) grep -qF "ended incomplete in phase report" "$summary" || problems+=("summary.md does not say the run ended incomplete") ;;
            *) grep -qF "in phase $phase" "$summary" || problems+=("summary.md does not name phase $phase: ${inc:0:200}") ;;
        esac
        if [[ $fault == SIG* && $phase == bootstrap ]]; then
            grep -qF "the bootstrap was interrupted" "$summary" || problems+=("summary.md does not say the bootstrap was interrupted")
            grep -q '"kind":"bootstrap_summary"' "$dir/bootstrap.jsonl" 2>/dev/null || problems+=("bootstrap.jsonl has no bootstrap_summary")
        fi
    else
        problems+=("no summary.md")
    fi
    grep -q '"kind":"run_end"' "$dir/meta.jsonl" 2>/dev/null || problems+=("meta.jsonl has no run_end record")
    [ -s "$dir/logs/target.stderr.log" ] || problems+=("logs/target.stderr.log missing or empty")
    [ "$mode" = local ] && { [ -s "$dir/logs/etcd.log" ] || problems+=("logs/etcd.log missing or empty"); }
    local left; left=$(still_alive "$seen")
    [ -z "$left" ] || problems+=("left running: $(echo "$left" | tr '\n' ';')")
    local marked; marked=$(ps -e -o pid= -o args= | grep -F "$cdir" | grep -v -e grep -e fault-matrix)
    [ -z "$marked" ] || problems+=("processes naming the cell's folder: $(echo "$marked" | tr '\n' ';' | cut -c1-300)")
    for f in target/token target/tokens.csv target/sa.key launch.pid launch.down phase.tmp; do
        [ -e "$dir/$f" ] && problems+=("$f left behind")
    done
    local tmps; tmps=$(find "$dir" -name '*.tmp*' 2>/dev/null; ls -A "$cdir/tmp" 2>/dev/null)
    [ -z "$tmps" ] || problems+=("temporary files left: $(echo "$tmps" | tr '\n' ' ')")
    if [ ${#problems[@]} -eq 0 ]; then
        echo "✓ exit $rc (${secs}s)" >&2
        RESULTS+=("$id|1|exit $rc")
    else
        echo "✗ (${secs}s)" >&2
        local p; for p in "${problems[@]}"; do echo "    - $p" >&2; done
        echo "    (run directory: $dir; kp-run stderr: $cdir/kp-run.stderr)" >&2
        RESULTS+=("$id|0|$(IFS='; '; echo "${problems[*]}")")
    fi
}

# Stop the cell's run (by its pid; kp-run stops what it started) if the matrix itself is interrupted.
KPID=""
on_interrupt() {
    echo "fault-matrix: interrupted" >&2
    if [ -n "$KPID" ]; then kill -TERM "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null; fi
    exit 130
}
trap on_interrupt INT TERM

for c in "${SELECTED[@]}"; do run_cell "$c"; done

# --- the table ---------------------------------------------------------------
faults=()
for c in "${SELECTED[@]}"; do
    f=${c%%|*} known=0
    for g in "${faults[@]}"; do [ "$g" = "$f" ] && known=1; done
    [ $known = 1 ] || faults+=("$f")
done
result_of() {  # id -> "✓ 10" / "✗ 10" / ""
    local r
    for r in "${RESULTS[@]}"; do
        if [ "${r%%|*}" = "$1" ]; then
            local rest=${r#*|}
            [ "${rest%%|*}" = 1 ] && echo "✓ ${2}" || echo "✗ ${2}"
            return
        fi
    done
}
fail=0
for r in "${RESULTS[@]}"; do r=${r#*|}; [ "${r%%|*}" = 1 ] || fail=1; done
{
    printf '\n| fault \\ phase |'
    for t in "${PHASE_TITLES[@]}"; do printf ' %s |' "$t"; done
    printf '\n|---|'
    for _ in "${PHASE_TITLES[@]}"; do printf -- '---|'; done
    printf '\n'
    for f in "${faults[@]}"; do
        printf '| %s |' "$f"
        for p in "${PHASES[@]}"; do
            cellv=""
            for c in "${SELECTED[@]}"; do
                IFS='|' read -r cf cp _ ce _ _ _ <<<"$c"
                [ "$cf" = "$f" ] && [ "$cp" = "$p" ] && cellv=$(result_of "$(cell_id "$c")" "$ce")
            done
            printf ' %s |' "${cellv:-·}"
        done
        printf '\n'
    done
    printf '\n✓ N: the run ended with exit N, an INCOMPLETE summary naming the phase and the reason, the target log\n'
    printf 'saved and nothing left running; ✗: see the lines above; ·: the fault cannot strike there (docs/faults.md).\n'
} | tee "$OUT/matrix.md"
passed=0; for r in "${RESULTS[@]}"; do r=${r#*|}; [ "${r%%|*}" = 1 ] && passed=$((passed + 1)); done
echo "fault-matrix: $passed of ${#RESULTS[@]} cells passed (table: $OUT/matrix.md)" >&2
if [ $fail = 0 ] && [ $KEEP = 0 ]; then
    find "$OUT" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
fi
exit $fail
