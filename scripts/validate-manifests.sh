#!/usr/bin/env bash
# Validates the Kubernetes manifests under deploy/kubernetes offline:
#  1. every document against the Kubernetes OpenAPI schema (PyPI kubernetes-validate, strict: unknown
#     fields are errors) for each version in KUBE_VERSIONS;
#  2. what the schema cannot say about the kp-load Job: Indexed completion mode, completions ==
#     parallelism == SHARDS, the shard index from the completion-index annotation, `--shard`
#     built from both, and the Secret mounted where the args read the token and CA.
# Usage: scripts/validate-manifests.sh [FILE...]   (default: deploy/kubernetes/*.yaml)
# Exit: 0 valid, 1 invalid (each finding on stderr), 2 bad input / validator missing.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_VERSIONS=${KUBE_VERSIONS:-"1.30.0 1.33.0 1.37.0"}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(deploy/kubernetes/*.yaml)
for f in "${files[@]}"; do
    [ -r "$f" ] || { echo "validate-manifests: '$f' is not a readable file: check the path" >&2; exit 2; }
done
command -v kubernetes-validate >/dev/null 2>&1 \
    || { echo "validate-manifests: kubernetes-validate not found: run scripts/install-deps.sh test (pip install kubernetes-validate)" >&2; exit 2; }
status=0
for v in $KUBE_VERSIONS; do
    if ! out=$(kubernetes-validate --strict --quiet --no-warn -k "$v" "${files[@]}" 2>&1); then
        printf '%s\n' "$out" | sed "s/^/validate-manifests: kubernetes $v: /" >&2
        status=1
    fi
done
python3 - "${files[@]}" <<'PY' || status=1
import sys, re, yaml
errors = []
for path in sys.argv[1:]:
    with open(path) as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d]
    for d in docs:
        if d.get("kind") != "Job":
            continue
        name = f"{path}: Job {d['metadata'].get('name')}"
        spec = d["spec"]
        if spec.get("completionMode") != "Indexed":
            errors.append(f"{name}: completionMode must be Indexed (the shard index is the completion index)")
        pod = spec["template"]["spec"]
        for c in pod["containers"]:
            env = {e["name"]: e for e in c.get("env", [])}
            shards = env.get("SHARDS", {}).get("value")
            if not (str(spec.get("completions")) == str(spec.get("parallelism")) == str(shards)):
                errors.append(f"{name}: completions ({spec.get('completions')}), parallelism ({spec.get('parallelism')}) "
                              f"and SHARDS ({shards}) must be equal: every shard runs at once, one per index")
            idx = env.get("SHARD_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
            if idx != "metadata.annotations['batch.kubernetes.io/job-completion-index']":
                errors.append(f"{name}: SHARD_INDEX must come from the job-completion-index annotation (got '{idx}')")
            args = c.get("args", [])
            if "--shard=$(SHARD_INDEX)/$(SHARDS)" not in args:
                errors.append(f"{name}: args must pass --shard=$(SHARD_INDEX)/$(SHARDS)")
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            for a in args:
                m = re.match(r"--(token|ca)-file=(.+)/[^/]+$", a)
                if m and m.group(2) not in mounts:
                    errors.append(f"{name}: {a} reads from {m.group(2)}, which no volume is mounted at")
            if not any(a.startswith("--seed=") for a in args):
                errors.append(f"{name}: every shard needs the same --seed (one schedule split N ways)")
        if pod.get("restartPolicy") != "Never":
            errors.append(f"{name}: restartPolicy must be Never (a restarted shard drives a different stretch of time)")
for e in errors:
    print(f"validate-manifests: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
[ $status = 0 ] && echo "validate-manifests: ${#files[@]} file(s) valid for Kubernetes $KUBE_VERSIONS"
exit $status
