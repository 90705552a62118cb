#!/usr/bin/env bash
# Prints `make help`: every target and every variable of the Makefile, read from the Makefile itself.
# A comment block right above a target documents it; a comment block right above `VAR ?= default`
# lines heads that group of variables. Nothing here lists a target or variable by name.
# Usage: scripts/make-help.sh [Makefile]
set -euo pipefail
case "${1:-}" in
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
MAKEFILE=${1:-Makefile}
[ -r "$MAKEFILE" ] || { echo "make-help: error: cannot read '$MAKEFILE'" >&2; exit 2; }

awk '
function flush_doc() { doc = ""; ndoc = 0 }
function indent(text, prefix,    out, n, i, lines) {
    n = split(text, lines, "\n"); out = ""
    for (i = 1; i <= n; i++) out = out prefix lines[i] "\n"
    return out
}
BEGIN { flush_doc(); ntargets = 0; vars = ""; lastTarget = 0 }
# A comment line: part of the block that documents what follows.
/^#/ {
    if (!inComment) flush_doc()
    inComment = 1
    line = $0; sub(/^# ?/, "", line)
    doc = (ndoc ? doc "\n" : "") line; ndoc++
    varsHeaded = 0; lastTarget = 0
    next
}
{ inComment = 0 }
# A blank line ends a block.
/^[ \t]*$/ { flush_doc(); varsHeaded = 0; lastTarget = 0; next }
# Recipe lines and continuations say nothing about names.
/^\t/ { next }
# A user variable: NAME ?= default (the value make uses unless NAME is given).
/^[A-Za-z_][A-Za-z0-9_]* *\?=/ {
    name = $0; sub(/ *\?=.*/, "", name)
    value = $0; sub(/^[^?]*\?= */, "", value)
    if (ndoc && !varsHeaded) { vars = vars "\n" indent(doc, "  # "); varsHeaded = 1 }
    vars = vars sprintf("  %-26s %s\n", name, value == "" ? "(unset)" : "= " value)
    next
}
# Variables exported to the tools (the seed environment variables).
/^export / {
    exported = $0; sub(/^export /, "", exported)
    if (ndoc) vars = vars "\n" indent(doc, "  # ")
    vars = vars "  " exported "  (environment: unset unless you set them)\n"
    next
}
# A rule: target(s): prerequisites. Static pattern rules ($(filter …)) and .PHONY are not names.
/^[A-Za-z0-9][A-Za-z0-9%._-]*( [A-Za-z0-9%._-]+)*:([^=]|$)/ {
    t = $0; sub(/:.*/, "", t); gsub(/%/, "<N>", t)
    if (t in seen) next
    seen[t] = 1
    # Rules that share one comment block (no blank line between them) are listed together.
    if (lastTarget && doc == docs[lastTarget]) { names[lastTarget] = names[lastTarget] ", " t; next }
    ntargets++; names[ntargets] = t; docs[ntargets] = doc; lastTarget = ntargets
    next
}
# Anything else (internal variables) is not listed; the block above it still documents what follows.
END {
    print "make TARGET [VAR=value ...]"
    print ""
    print "Targets:"
    for (i = 1; i <= ntargets; i++) {
        if (docs[i] == "") { printf "  %s\n", names[i]; continue }
        n = split(docs[i], lines, "\n"); j = 1
        if (length(names[i]) > 24) printf "  %s\n", names[i]
        else { printf "  %-24s %s\n", names[i], lines[1]; j = 2 }
        for (; j <= n; j++) printf "  %-24s %s\n", "", lines[j]
    }
    print ""
    print "Variables (default after =; (unset): the tool decides, see its --help):"
    printf "%s", vars
}
' "$MAKEFILE"
