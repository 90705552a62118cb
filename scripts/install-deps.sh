#!/usr/bin/env bash
# Installs the Debian packages kp-bench needs, only those missing.
#   scripts/install-deps.sh build   libcurl and zlib headers (to build the tools), openssl (kp-sim and kp-launch
#                                   make their certificate and keys with it)
#   scripts/install-deps.sh test    + etcd, etcdctl, go (pprof cross-check), nghttp2 tools, chromium (make report-check),
#                                   xmllint (junit.xml against Tests/Fixtures/junit.xsd),
#                                   kubectl if absent,
#                                   postgresql (the run history's PostgreSQL test: a throw-away server, and psql),
#                                   and from PyPI kubernetes-validate (deploy/kubernetes manifests) and
#                                   apache-otava (kp-report history check: change points)
#   scripts/install-deps.sh bench   + wrk
# As root it runs apt-get; otherwise it uses sudo when available, else prints the command and fails.
set -euo pipefail
what=${1:-build}
pkgs=(libcurl4-openssl-dev zlib1g-dev pkg-config openssl)
case "$what" in
    build) ;;
    test|bench)
        pkgs+=(etcd-server etcd-client golang-go nghttp2-client nghttp2-server curl python3 iproute2 procps chromium libxml2-utils postgresql)
        command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
        [ "$what" = bench ] && pkgs+=(wrk)
        ;;
    *) echo "install-deps: unknown set '$what' (use build, test or bench)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    [ ${#missing[@]} -eq 0 ] || {
        echo "install-deps: missing Debian packages: ${missing[*]}; install them with: apt-get install ${missing[*]}" >&2
        exit 1
    }
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# PyPI, for the tests: kubernetes-validate checks deploy/kubernetes offline (its schemas are in the package).
if [ "$what" != build ] && ! command -v kubernetes-validate >/dev/null 2>&1; then
    echo "install-deps: installing kubernetes-validate (PyPI)" >&2
    python3 -m pip install -q --disable-pip-version-check "kubernetes-validate==1.37.0" >/dev/null
fi
# PyPI, for the tests and make history: Apache Otava finds the run history's change points (pinned: its
# JSON output and config format are what kp-report history check reads and writes).
if [ "$what" != build ] && ! { command -v otava >/dev/null 2>&1 && python3 -m pip show apache-otava 2>/dev/null | grep -qx 'Version: 0.8.0'; }; then
    echo "install-deps: installing apache-otava (PyPI)" >&2
    python3 -m pip install -q --disable-pip-version-check "apache-otava==0.8.0" >/dev/null
fi
