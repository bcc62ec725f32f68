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

# numbers are checked against the table's range, and --help shows the
# table's defaults
expect "--llm-timeout: expected a number from 1 to 600000, got '0'" -n --llm-timeout 0
expect "--max-record-bytes: expected a number from 64 to 1g, got '2g'" -n --max-record-bytes 2g
expect "-F: expected json or proto, got 'xml'" -n -F xml
"$ENRICH" --help >"$T/help" 2>"$T/err" || fail "--help: exit $?"
grep -q -- "--llm-timeout MS .*(default 30000)$" "$T/help" || fail "--help: no default for --llm-timeout"
echo "ok: out-of-range numbers exit 2 naming the range; --help shows the defaults"

# -X list is served like --help: stdout, exit 0 (it used to exit() from
# inside the parser)
"$ENRICH" -X list >"$T/out" 2>"$T/err" || fail "-X list: exit $?: $(cat "$T/err")"
grep -q 'bootstrap.servers' "$T/out" && [ ! -s "$T/err" ] || fail "-X list: $(head -c 300 "$T/out")"

# -c FILE: librdkafka settings as -X takes them, errors as path:line
printf '# a comment\n\nlinger.ms = oops\n' >"$T/bad.conf"
expect "$T/bad.conf:3: " -n -c "$T/bad.conf"
expect "$T/missing.conf: No such file" -n -c "$T/missing.conf"
printf 'linger.ms = 5\n' >"$T/good.conf"
ev='{"process_exec":{"process":{"binary":"/bin/true"}},"node_name":"n"}'
echo "$ev" | "$ENRICH" -n -c "$T/good.conf" >"$T/out" 2>"$T/err" || fail "-c good.conf: $(cat "$T/err")"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "-c good.conf: want one record out: $(cat "$T/err")"
echo "ok: -X list exits 0; -c FILE reads settings, errors name path:line"
