#!/bin/sh
# 50_enrich_usage.sh - tetra-enrich's command line: a refused option is
# named once and followed by the --help hint (not the whole help), exit 2.
# Needs no services.
set -u
BIN=${BIN:-$ROOT/bin}
ENRICH="$BIN/tetra-enrich"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect PATTERN ARGS...: exit 2, PATTERN on exactly one stderr line, and
# the hint as the only other line
expect() {
    pat=$1
    shift
    "$ENRICH" "$@" </dev/null >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "tetra-enrich $*: exit $rc, want 2: $(cat "$T/err")"
    [ "$(grep -c -- "$pat" "$T/err")" = 1 ] && [ "$(wc -l <"$T/err")" -eq 2 ] ||
        fail "tetra-enrich $*: want one line with '$pat' and the hint: $(cat "$T/err")"
    [ "$(tail -n 1 "$T/err")" = "Try 'tetra-enrich --help' for more information." ] ||
        fail "tetra-enrich $*: no --help hint: $(cat "$T/err")"
}

expect "unknown option '--bogus'" --bogus
expect "unknown option '-Z'" -Z
expect "option '-t' needs a value" -t
expect "option '--topic' needs a value" --topic
echo "ok: a refused option is named once, then the --help hint"
