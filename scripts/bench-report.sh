#!/usr/bin/env bash
# bench-report: how fast does kp-report fold a run, and does the fold still give the run's report?
#
# Builds kp-report (release, into its own scratch path, so the debug build is left alone), copies each
# run under results/ to a temp dir, folds the copy with `kp-report <copy>` REPEAT times and keeps the
# fastest, and prints per run: MB of record files, the fold's seconds (wall, and CPU user+sys of that
# fold), MB/s, then the total. Record files are the ones kp-report reads: endpoint.json and every
# *.jsonl but launch.jsonl, a *.jsonl.gz counted decompressed (as read); MB = 10^6 bytes.
# After every fold, the copy's summary.md, phases.csv, latency.csv, report.html and result.json must be
# byte-identical to the run's own (as committed, or as last re-folded there); a difference is named,
# with the first lines of the diff, and fails the script.
#
# Usage: scripts/bench-report.sh [RUN ...]    RUN: a folder under RESULTS (default: every one)
# Environment (all optional):
#   SCRATCH=.build-report   SwiftPM scratch path for the release build
#   BIN_DIR=/path           use kp-report from this folder and skip the build (e.g. an older build)
#   RESULTS=results         the folder of runs (e.g. an older commit's results/, from git archive)
#   REPEAT=3                folds per run; the fastest counts
#   KEEP=1                  keep the temp dir (the copies and each fold's stdout and stderr)
# Output: the table on stdout; progress on stderr. Exit 0 when every fold matched, 1 when a fold failed
# or differed, 2 on bad input.
set -euo pipefail
cd "$(dirname "$0")/.."
# Decimal points in `time`'s, awk's and printf's numbers.
export LC_ALL=C

SCRATCH=${SCRATCH:-.build-report}
REPEAT=${REPEAT:-3}
RESULTS=${RESULTS:-results}
REPORT_FILES=(summary.md phases.csv latency.csv report.html result.json)

usage() { echo "usage: scripts/bench-report.sh [RUN ...]   (RUN: a folder under RESULTS=results; env SCRATCH, BIN_DIR, RESULTS, REPEAT, KEEP)"; }
for arg in "$@"; do
    case "$arg" in
        -h | --help) usage; exit 0 ;;
        -*) echo "bench-report: unknown option '$arg'; $(usage)" >&2; exit 2 ;;
    esac
done
if ! [[ "$REPEAT" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench-report: REPEAT=$REPEAT is not a positive whole number: give e.g. REPEAT=3" >&2; exit 2
fi
[ -d "$RESULTS" ] || { echo "bench-report: RESULTS=$RESULTS is not a folder: give the folder that holds the runs (default results)" >&2; exit 2; }
RESULTS=${RESULTS%/}
RUNS=("$@")
if [ ${#RUNS[@]} -eq 0 ]; then
    for d in "$RESULTS"/*/; do
        d=${d%/}
        [ -f "$d/summary.md" ] && RUNS+=("${d##*/}")
    done
    [ ${#RUNS[@]} -gt 0 ] || { echo "bench-report: $RESULTS holds no folded run (no $RESULTS/*/summary.md)" >&2; exit 2; }
fi
for run in "${RUNS[@]}"; do
    if [ -z "$run" ] || [[ "$run" == */* ]] || [ ! -d "$RESULTS/$run" ]; then
        echo "bench-report: '$run' is not a run folder under $RESULTS: give a name from: $(cd "$RESULTS" && ls -d -- */ | tr -d / | tr '\n' ' ')" >&2
        exit 2
    fi
    for f in "${REPORT_FILES[@]}"; do
        [ -f "$RESULTS/$run/$f" ] || { echo "bench-report: $RESULTS/$run has no $f to compare the fold with: re-fold it first (kp-report $RESULTS/$run)" >&2; exit 2; }
    done
done

if [ -n "${BIN_DIR:-}" ]; then
    [ -x "$BIN_DIR/kp-report" ] || { echo "bench-report: BIN_DIR=$BIN_DIR has no executable kp-report: build it (swift build -c release) or point BIN_DIR at a folder that has it" >&2; exit 2; }
    BIN=$BIN_DIR
    echo "bench-report: using $BIN/kp-report (no build)" >&2
else
    echo "bench-report: building kp-report (release, --scratch-path $SCRATCH)" >&2
    swift build -c release --scratch-path "$SCRATCH" --product kp-report >&2
    BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
fi

TMP=$(mktemp -d /tmp/bench-report.XXXXXX)
cleanup() { if [ -n "${KEEP:-}" ]; then echo "bench-report: kept $TMP" >&2; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

# Bytes of the record files kp-report reads in run folder $1 (a plain file wins over its .gz, as in kp-report).
record_bytes() {
    local dir=$1 total=0 f n
    for f in "$dir"/endpoint.json "$dir"/*.jsonl "$dir"/*.jsonl.gz; do
        [ -f "$f" ] || continue
        case "$f" in
            */launch.jsonl | */launch.jsonl.gz) continue ;;
            *.gz)
                [ -f "${f%.gz}" ] && continue
                n=$(gzip -dc "$f" | wc -c) ;;
            *) n=$(wc -c <"$f") ;;
        esac
        total=$((total + n))
    done
    echo "$total"
}

echo "bench-report: $BIN/kp-report, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); best of $REPEAT folds per run"
printf '%-22s %11s %9s %9s %9s\n' run records_MB fold_s cpu_s MB/s
TOTAL_BYTES=0
TOTAL_S=0
FAILED=0
TIMEFORMAT='%R %U %S'
for run in "${RUNS[@]}"; do
    copy="$TMP/$run"
    cp -a "$RESULTS/$run" "$copy"
    bytes=$(record_bytes "$copy")
    best= best_cpu=
    for i in $(seq 1 "$REPEAT"); do
        set +e
        { time "$BIN/kp-report" "$copy" >"$TMP/$run.fold-$i.out" 2>"$TMP/$run.fold-$i.err"; } 2>"$TMP/$run.time-$i"
        rc=$?
        set -e
        if [ "$rc" != 0 ]; then
            echo "bench-report: kp-report $run exited $rc: $(tail -n 3 "$TMP/$run.fold-$i.err")" >&2
            FAILED=1
            KEEP=1
            continue 2
        fi
        read -r wall user sys <"$TMP/$run.time-$i"
        # The first fold that differs is shown; the copy keeps the last fold's files.
        for f in "${REPORT_FILES[@]}"; do
            if ! cmp -s "$RESULTS/$run/$f" "$copy/$f" && [ ! -e "$TMP/$run.$f.differs" ]; then
                echo "bench-report: $RESULTS/$run/$f differs from its re-fold ($copy/$f):" >&2
                diff -u "$RESULTS/$run/$f" "$copy/$f" | head -n 12 >&2 || true
                touch "$TMP/$run.$f.differs"
                FAILED=1
                KEEP=1
            fi
        done
        if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a < b)}'; then
            best=$wall
            best_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
        fi
    done
    printf '%-22s %11.2f %9.2f %9.2f %9.1f\n' "$run" "$(awk -v b="$bytes" 'BEGIN{print b / 1e6}')" "$best" "$best_cpu" \
        "$(awk -v b="$bytes" -v s="$best" 'BEGIN{print (s > 0) ? b / 1e6 / s : 0}')"
    TOTAL_BYTES=$((TOTAL_BYTES + bytes))
    TOTAL_S=$(awk -v t="$TOTAL_S" -v s="$best" 'BEGIN{print t + s}')
done
printf '%-22s %11.2f %9.2f %9s %9.1f\n' total "$(awk -v b="$TOTAL_BYTES" 'BEGIN{print b / 1e6}')" "$TOTAL_S" - \
    "$(awk -v b="$TOTAL_BYTES" -v s="$TOTAL_S" 'BEGIN{print (s > 0) ? b / 1e6 / s : 0}')"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores, shared with whatever else runs)"
if [ "$FAILED" != 0 ]; then
    echo "bench-report: FAILED: a fold failed or did not reproduce its run's report files (see above)" >&2
    exit 1
fi
