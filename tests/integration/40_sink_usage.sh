#!/bin/sh
# 40_sink_usage.sh - tetra-sink's command line, without a cluster: a
# refused option is named once and followed by the --help hint, exit 2.
# Needs no services: every check stops before the first request.
set -u
BIN=${BIN:-$ROOT/bin}
SINK="$BIN/tetra-sink"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# expect PATTERN ARGS...: exit 2, PATTERN on exactly one stderr line, and
# the hint last
expect() {
    pat=$1
    shift
    "$SINK" "$@" </dev/null >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "tetra-sink $*: exit $rc, want 2: $(cat "$T/err")"
    [ "$(grep -c -- "$pat" "$T/err")" = 1 ] ||
        fail "tetra-sink $*: want one line with '$pat': $(cat "$T/err")"
    [ "$(tail -n 1 "$T/err")" = "Try 'tetra-sink --help'." ] ||
        fail "tetra-sink $*: no --help hint: $(cat "$T/err")"
}

expect "unknown option '--bogus'" --emit-bulk --bogus
expect "unknown option '--bogus'" --emit-bulk --bogus=1
expect "unknown option '-Z'" --emit-bulk -Z
expect "option '--batch-docs' needs a value" --emit-bulk --batch-docs
expect "option '-t' needs a value" --emit-bulk -t
expect "option '--no-gzip' takes no value" --emit-bulk --no-gzip=yes
expect "option '--b' is ambiguous (--brokers, " --emit-bulk --b x
ok "a refused option is named once, then the --help hint"
