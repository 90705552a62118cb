#!/usr/bin/env bash
# make test's runner (the tests must already be built: swift build --build-tests).
#
#   1. The timing group alone, one test at a time: every suite tagged `.timing` (it measures latency,
#      CPU or lateness and needs a quiet machine; see Tests/KPTestSupport/TestTags.swift).
#   2. Every other suite, TEST_JOBS workers side by side (default 3). Each worker takes the next suite
#      from one queue and runs it in a test process of its own, one test at a time: the end-to-end
#      suites spend most of their time waiting on kp-sim and the tools, and a process per suite keeps
#      one suite's blocking waits off another's cooperative thread pool.
#
# The queue starts with the suites that took longest in the last run on this machine
# (.build/test-durations.tsv, written by this script: suite, seconds, CPU seconds of the suite's
# test process and the tools it ran), so the long end-to-end suites do not end up
# last; without that file it starts with the end-to-end modules.
#
#   TEST_JOBS=n         workers for step 2 (1: everything one at a time)
#   TEST_FILTER=regex   only the suites whose "Module.Suite" name matches
#
# Prints every test process's output as it finishes, then one closing line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${TEST_JOBS:-3}
bin_dir=$(swift build --show-bin-path)
bin="$bin_dir/kp-benchPackageTests.xctest"
[ -x "$bin" ] || { echo "test: $bin not found: build the tests first (swift build --build-tests)" >&2; exit 2; }
case "$jobs" in '' | *[!0-9]* | 0) echo "test: TEST_JOBS must be a whole number >= 1 (got '$jobs')" >&2; exit 2 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/kp-test.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export NO_COLOR=1

# Every suite, as Module.Suite (nested suites run with their parent).
"$bin" --testing-library swift-testing --list-tests 2>/dev/null | sed -n 's|^\([A-Za-z0-9_]*\.[A-Za-z0-9_]*\)/.*|\1|p' \
    | sort -u > "$work/suites"
[ -s "$work/suites" ] || { echo "test: the test binary lists no tests" >&2; exit 1; }
if [ -n "${TEST_FILTER:-}" ]; then
    grep -E -- "$TEST_FILTER" "$work/suites" > "$work/suites.f" || true
    mv "$work/suites.f" "$work/suites"
fi
# The timing group: suites whose @Suite(...) carries .timing, found in the source.
python3 - "$work/timing" <<'EOF'
import os, re, sys
found = set()
for root, _, files in os.walk("Tests"):
    for f in files:
        if not f.endswith(".swift"):
            continue
        module = os.path.relpath(root, "Tests").split(os.sep)[0]
        text = open(os.path.join(root, f), encoding="utf-8").read()
        for m in re.finditer(r"@Suite\(([^@{]*?)\)\s*(?:final\s+class|class|struct|enum)\s+(\w+)", text):
            if re.search(r"\.timing\b", m.group(1)):
                found.add(f"{module}.{m.group(2)}")
open(sys.argv[1], "w").write("".join(s + "\n" for s in sorted(found)))
EOF
grep -Fxf "$work/timing" "$work/suites" > "$work/timing.run" || true
grep -Fvxf "$work/timing" "$work/suites" > "$work/shared" || true

# Longest first, by the last run's durations.
durations=.build/test-durations.tsv
if [ -s "$durations" ]; then
    awk -F'\t' 'NR==FNR { d[$1] = $2; next } { print (($0 in d) ? d[$0] : 0) "\t" $0 }' "$durations" "$work/shared" \
        | sort -t$'\t' -k1,1gr | cut -f2 > "$work/queue"
else
    { grep -E '^(CLITests|KPLoadTests|KPLaunchTests|KPBootstrapTests|KPSimTests|KPScrapeTests)\.' "$work/shared"
      grep -Ev '^(CLITests|KPLoadTests|KPLaunchTests|KPBootstrapTests|KPSimTests|KPScrapeTests)\.' "$work/shared"; } > "$work/queue"
fi

# Runs one suite in its own process; its output goes to the terminal whole, when it ends.
run_suite() {
    local suite=$1 log="$work/log.$1" start ms rc cpu
    start=$(date +%s%N)
    # In a subshell of its own, so `times` gives this suite's CPU: the test process and every tool
    # it waited for (user + system seconds).
    cpu=$(
        "$bin" --testing-library swift-testing --no-parallel --filter "^${suite//./\\.}/" > "$log" 2>&1 < /dev/null
        echo "rc=$?"
        times
    )
    rc=$(sed -n 's/^rc=//p' <<< "$cpu")
    cpu=$(sed -n 3p <<< "$cpu" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.1f", t }')
    ms=$((($(date +%s%N) - start) / 1000000))
    printf '%s\t%d.%d\t%d\t%s\n' "$suite" $((ms / 1000)) $((ms % 1000 / 100)) "$rc" "$cpu" >> "$work/results"
    # One suite's output at a time on the terminal.
    flock "$work/print.lock" cat "$log"
}

started=$(date +%s)
if [ -s "$work/timing.run" ]; then
    echo "test: timing group alone: $(tr '\n' ' ' < "$work/timing.run")"
    while read -r s; do run_suite "$s"; done < "$work/timing.run"
fi
echo "test: $(wc -l < "$work/queue") suites in $jobs workers"
echo 1 > "$work/next"
# Each worker takes the next line of the queue (a counter under a lock) until none is left.
worker() {
    local i s
    while true; do
        i=$(flock "$work/queue.lock" sh -c 'i=$(cat "$1"); echo $((i + 1)) > "$1"; echo "$i"' _ "$work/next")
        s=$(sed -n "${i}p" "$work/queue")
        [ -n "$s" ] || break
        run_suite "$s"
    done
}
for _ in $(seq "$jobs"); do worker & done
wait

# The closing line, from every process's own: tests run, and the tests that failed.
total=0
for f in "$work"/log.*; do
    n=$(sed -n 's/.*Test run with \([0-9][0-9]*\) test.*/\1/p' "$f" | tail -n 1)
    total=$((total + ${n:-0}))
done
failed=$(cat "$work"/log.* | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^✘ Test .* failed after' | grep -v '^✘ Test run with' \
    | sed 's/ failed after.*//' | sort -u | wc -l)
crashed=$(awk -F'\t' '$3 != 0 { print $1 }' "$work/results" | sort)
awk -F'\t' '{ print $1 "\t" $2 "\t" $4 }' "$work/results" | sort > "$durations.new" && mv "$durations.new" "$durations"
echo "test: took $(($(date +%s) - started)) s; slowest suites:"
sort -t$'\t' -k2,2gr "$work/results" | head -n 8 | awk -F'\t' '{ printf "  %6.1f s  (CPU %5.1f s)  %s\n", $2, $4, $1 }'
awk -F'\t' '{ c += $4 } END { printf "test: CPU of every test process and the tools they ran: %.0f s\n", c }' "$work/results"
if [ -n "$crashed" ]; then
    echo "test: suites that failed or crashed: $(echo "$crashed" | tr '\n' ' ')"
fi
echo "$((total - failed)) passed, $failed failed"
[ -z "$crashed" ] && [ "$failed" -eq 0 ]
