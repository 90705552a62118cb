#!/usr/bin/env bash
# Longer run of the parsers' hostile-input tests (make fuzz).
#
# The same tests run in `make test` for 1.5 s each; here each runs for KP_FUZZ_SECONDS (default 60)
# from seed KP_FUZZ_SEED (default: random; a failure prints the seed and iteration to replay):
#   PromTextFuzzTests     Prometheus text: mutated etcd /metrics, random bytes, a 100 MB line
#   PprofFuzzTests        gzip, profile.proto, goroutine text: mutated etcd captures, random bytes
#   JSONLReaderFuzzTests  KPRecords' JSONLReader: mutated record files, random bytes
# The test process's peak RSS must stay under KP_FUZZ_MAX_RSS_MB (default 2048): every parser
# bounds its input, line length and decompressed size, so memory must not grow with run time.
#
# Usage: scripts/fuzz-parsers.sh [seconds-per-test]
#   env: KP_FUZZ_SEED, KP_FUZZ_MAX_RSS_MB, CONFIG (debug|release, default debug),
#        SCRATCH (SwiftPM scratch path, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${KP_FUZZ_SECONDS:-60}}"
if ! [[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "fuzz-parsers.sh: seconds-per-test must be a number (got '$seconds'), e.g. scripts/fuzz-parsers.sh 120" >&2
    exit 2
fi
seed="${KP_FUZZ_SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
max_rss_mb="${KP_FUZZ_MAX_RSS_MB:-2048}"
config="${CONFIG:-debug}"
scratch="${SCRATCH:-.build}"
filter='PromTextFuzzTests|PprofFuzzTests|JSONLReaderFuzzTests'

swift build -c "$config" --scratch-path "$scratch" --build-tests
echo "fuzz: ${seconds}s per test, KP_FUZZ_SEED=$seed" >&2
rss_file="$(mktemp)"
trap 'rm -f "$rss_file"' EXIT
status=0
KP_FUZZ_SECONDS="$seconds" KP_FUZZ_SEED="$seed" \
    /usr/bin/time -f '%M' -o "$rss_file" \
    swift test -c "$config" --scratch-path "$scratch" --skip-build --filter "$filter" || status=$?
rss_kb="$(tail -n 1 "$rss_file")"
echo "fuzz: peak RSS $((rss_kb / 1024)) MB (limit ${max_rss_mb} MB)" >&2
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED; replay with KP_FUZZ_SEED=$seed scripts/fuzz-parsers.sh $seconds" >&2
    exit "$status"
fi
if [ "$((rss_kb / 1024))" -gt "$max_rss_mb" ]; then
    echo "fuzz: FAILED: peak RSS $((rss_kb / 1024)) MB exceeds KP_FUZZ_MAX_RSS_MB=$max_rss_mb" >&2
    exit 1
fi
echo "fuzz: passed" >&2
