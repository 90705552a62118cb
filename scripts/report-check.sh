#!/usr/bin/env bash
# report-check: folds a kp-sim run and renders its report.html in headless Chromium (Debian's
# `chromium`), then asserts what a person would otherwise check by eye:
#   - the page loaded: the DOM dump ends in </html> and has every section;
#   - no console message at all (the page has no script, so any message is an error; a request the
#     page tried would be a logged Content-Security-Policy violation: the page sets default-src 'none')
#     and no request left the page (every host name is also mapped to nothing);
#   - every chart drew data: each <svg class="chart"> carries data-points > 0, and no NaN anywhere;
#   - the screenshot is a real PNG.
# Usage: scripts/report-check.sh --bin-dir DIR [--page report|compare|sweep|history] [--run-dir RUN] [--no-fold]
#                                [--png FILE] [--height PX]
#   --page report (default): RUN/report.html; RUN defaults to a copy of results/mixed-hot-200 (a kp-sim
#   run), folded with DIR/kp-report; --no-fold checks RUN/report.html as it is (the tests use it to
#   show a broken page fails).
#   --page compare: DIR/kp-report compare of results/bootstrap-200 (A) with results/fleet-bootstrap-200
#   (B) into RUN (a temp dir by default), then RUN/compare.html. --page sweep: DIR/kp-report sweep of
#   results/demo and results/bootstrap-200 (two cluster counts), then RUN/sweep.html. --page history:
#   DIR/kp-report history show of RUN/history.csv (history/otava.yaml), then RUN/history.html.
#   Exit 0 when every check passed, 1 with one line per failed check, 2 on bad input,
#   3 when chromium is not installed (scripts/install-deps.sh test installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="" run_dir="" png="" height=2400 fold=1 kind=report
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --run-dir) run_dir=$2; shift 2 ;;
        --page) kind=$2; shift 2 ;;
        --png) png=$2; shift 2 ;;
        --height) height=$2; shift 2 ;;
        --no-fold) fold=0; shift ;;
        *) echo "report-check: unknown argument '$1' (use --bin-dir DIR [--page report|compare|sweep|history] [--run-dir RUN] [--no-fold] [--png FILE] [--height PX])" >&2; exit 2 ;;
    esac
done
[ -x "$bin_dir/kp-report" ] || { echo "report-check: --bin-dir '$bin_dir' holds no kp-report: build first (swift build) and pass its bin path" >&2; exit 2; }
case "$kind" in report|compare|sweep|history) ;; *) echo "report-check: --page '$kind' is not one of report, compare, sweep, history" >&2; exit 2 ;; esac
case "$height" in ''|*[!0-9]*) echo "report-check: --height '$height' is not a number of pixels" >&2; exit 2 ;; esac
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report-check: chromium is not installed: run scripts/install-deps.sh test (Debian package chromium)" >&2; exit 3; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
case "$kind" in
report)
    if [ -z "$run_dir" ]; then
        cp -r results/mixed-hot-200 "$tmp/run"
        run_dir="$tmp/run"
    fi
    [ -d "$run_dir" ] || { echo "report-check: --run-dir '$run_dir' is not a directory" >&2; exit 2; }
    [ "$fold" = 1 ] && "$bin_dir/kp-report" fold --quiet "$run_dir"
    ;;
compare | sweep)
    run_dir=${run_dir:-$tmp/run}
    mkdir -p "$run_dir"
    if [ "$fold" = 1 ]; then
        if [ "$kind" = compare ]; then
            "$bin_dir/kp-report" compare --out "$run_dir" results/bootstrap-200 -- results/fleet-bootstrap-200 >/dev/null
        else
            "$bin_dir/kp-report" sweep --out "$run_dir" results/demo results/bootstrap-200 >/dev/null
        fi
    fi
    ;;
history)
    [ -n "$run_dir" ] && [ -f "$run_dir/history.csv" ] || { echo "report-check: --page history needs --run-dir RUN holding history.csv" >&2; exit 2; }
    [ "$fold" = 1 ] && "$bin_dir/kp-report" history show --history "$run_dir/history.csv" --config history/otava.yaml --out "$run_dir/history.html" >/dev/null
    ;;
esac
page="$(cd "$run_dir" && pwd)/$kind.html"
[ -f "$page" ] || { echo "report-check: kp-report wrote no $kind.html in $run_dir" >&2; exit 1; }
keep=1
[ -n "$png" ] || { png="$tmp/report.png"; keep=0; }

# One profile per invocation; every host resolves to nothing, so a request could not leave even
# if the CSP let it.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
    --disable-extensions --disable-background-networking --disable-component-update --disable-sync
    --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 --window-size=1280,"$height")
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$tmp/profile-dom" --dump-dom "file://$page" >"$tmp/dom.html" 2>"$tmp/dom.log" || true
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$tmp/profile-png" --screenshot="$png" "file://$page" >/dev/null 2>"$tmp/png.log" || true

KEEP_PNG=$keep PAGE_KIND=$kind python3 - "$page" "$tmp/dom.html" "$tmp/dom.log" "$tmp/png.log" "$png" <<'EOF'
import os, re, sys
page, dom_path, *logs, png = sys.argv[1:]
failures = []
source = open(page, encoding="utf-8").read()
dom = open(dom_path, encoding="utf-8", errors="replace").read()
if not dom.rstrip().endswith("</html>"):
    failures.append("the DOM dump is empty or cut off: the page did not load (see chromium's log)")
sections = {"report": ["chart-resources", "tables"], "compare": ["charts", "tables"], "sweep": ["charts", "tables"], "history": []}
for section in sections[os.environ["PAGE_KIND"]]:
    if f'id="{section}"' not in dom:
        failures.append(f"section #{section} is missing from the rendered page")
charts = re.findall(r'<svg class="chart" id="([^"]+)" data-points="(\d+)"', dom)
if not charts:
    failures.append("no chart in the rendered page")
for cid, n in charts:
    if int(n) == 0:
        failures.append(f"chart {cid} drew no data")
if "NaN" in dom or "Infinity" in dom:
    failures.append("the page shows NaN or Infinity")
if re.search(r'(src|href)="(https?:|//)|url\(|@import|<script|<link|<img|<iframe', source, re.I):
    failures.append("report.html refers to something outside itself (src/href to a URL, url(), @import, script, link, img or iframe)")
for log in logs:
    for line in open(log, encoding="utf-8", errors="replace"):
        if "CONSOLE" in line or "Content Security Policy" in line or "Refused to" in line:
            failures.append(f"browser console: {line.strip()[:300]}")
try:
    head = open(png, "rb").read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        failures.append(f"{png} is not a PNG: the screenshot failed")
except OSError:
    failures.append(f"no screenshot at {png}")
if failures:
    for f in failures:
        print("report-check: " + f)
    sys.exit(1)
shot = f"screenshot {png}" if os.environ.get("KEEP_PNG") == "1" else "screenshot taken (--png FILE keeps it)"
print(f"report-check: ok: {os.path.basename(page)}: {len(charts)} charts drawn ({', '.join(c for c, _ in charts)}), no console message, no request; {shot}")
EOF
