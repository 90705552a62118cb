#!/usr/bin/env bash
# Collects the records of the kp-load Indexed Job (deploy/kubernetes/kp-load-job.yaml) into a run
# directory, one file per shard, as kp-report reads them:
#   out/<run>/load-I-of-N.jsonl      the shard's records (kp-load's stdout lines)
#   out/<run>/logs/kp-load-I-of-N.log its diagnostics (kp-load's stderr lines)
# `kubectl logs` interleaves a container's stdout and stderr; records are the lines that are JSON
# objects, diagnostics never start with '{'.
# Usage: scripts/collect-job-records.sh --run-dir out/<run> [--namespace kp-bench] [--job kp-load]
# Exit: 0 every shard collected; 1 some shard had no pod or did not succeed (named on stderr; the
# others are still written, and kp-report marks the run INCOMPLETE naming the missing shard);
# 2 bad input.
set -euo pipefail
RUN_DIR="" NS=kp-bench JOB=kp-load KUBECTL=${KUBECTL:-kubectl}
die() { echo "collect-job-records: error: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --run-dir) [ $# -ge 2 ] || die "--run-dir needs a value"; RUN_DIR=$2; shift 2 ;;
        --namespace) [ $# -ge 2 ] || die "--namespace needs a value"; NS=$2; shift 2 ;;
        --job) [ $# -ge 2 ] || die "--job needs a value"; JOB=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[ -n "$RUN_DIR" ] || die "--run-dir is required: the run directory the load belongs to, e.g. out/bootstrap-1000"
[ -d "$RUN_DIR" ] || die "--run-dir '$RUN_DIR' is not a directory: run the bootstrap first (it creates out/<run>)"
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found: install it or set KUBECTL"
mode=$("$KUBECTL" -n "$NS" get job "$JOB" -o 'jsonpath={.spec.completionMode}') \
    || die "cannot read job $NS/$JOB: check the namespace, the job name and your kubeconfig"
[ "$mode" = Indexed ] || die "job $NS/$JOB is not an Indexed Job (completionMode '$mode')"
n=$("$KUBECTL" -n "$NS" get job "$JOB" -o 'jsonpath={.spec.completions}')
[[ $n =~ ^[1-9][0-9]*$ ]] || die "job $NS/$JOB has no usable spec.completions ('$n')"
mkdir -p "$RUN_DIR/logs"
missing=()
for ((i = 0; i < n; i++)); do
    sel="job-name=$JOB,batch.kubernetes.io/job-completion-index=$i"
    phase=$("$KUBECTL" -n "$NS" get pods -l "$sel" -o 'jsonpath={.items[*].status.phase}')
    if [ -z "$phase" ]; then
        missing+=("$i (no pod)")
        continue
    fi
    out="$RUN_DIR/load-$i-of-$n.jsonl" log="$RUN_DIR/logs/kp-load-$i-of-$n.log"
    all=$("$KUBECTL" -n "$NS" logs -l "$sel" --tail=-1) || { missing+=("$i (logs unreadable)"); continue; }
    printf '%s\n' "$all" | grep '^{' >"$out.tmp" || true
    printf '%s\n' "$all" | grep -v '^{' >"$log" || true
    mv -f "$out.tmp" "$out"
    echo "collect-job-records: shard $i of $n: $(wc -l <"$out") records -> $out (pod $phase)" >&2
    [ "$phase" = Succeeded ] || missing+=("$i (pod $phase)")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "collect-job-records: shards not complete: ${missing[*]}" >&2
    exit 1
fi
echo "collect-job-records: all $n shards collected; fold with: kp-report $RUN_DIR" >&2
