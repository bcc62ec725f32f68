#!/bin/sh
# 10_capture_usage.sh - the command line: exit 2 for usage errors with a
# message naming the problem, help/version/-X list on stdout with exit 0,
# config files and environment variables going through the same settings
# path (errors as path:line), and exit 1 for an input that cannot be opened
# while the others are still read.
set -u
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
good='{"process_exec":{"process":{"pid":1}},"node_name":"n1"}'
echo "$good" >"$T/good.json"

# expect STATUS PATTERN ARGS... : exit status and a stderr line matching;
# a usage error (2) ends with the --help hint, as in tetra-enrich and tetra-sink
expect() {
    want=$1 pat=$2
    shift 2
    "$CAP" "$@" <"$T/good.json" >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "tetra-capture $*: exit $rc, want $want: $(cat "$T/err")"
    grep -q -- "$pat" "$T/err" || fail "tetra-capture $*: stderr lacks '$pat': $(cat "$T/err")"
    [ "$want" != 2 ] ||
        [ "$(tail -n 1 "$T/err")" = "Try 'tetra-capture --help' for more information." ] ||
        fail "tetra-capture $*: no --help hint: $(cat "$T/err")"
}

expect 2 "unknown option '--no-such-option'" --no-such-option
expect 2 "unknown option '-Y'" -Y
expect 2 "option '-t' needs a value" -t
expect 2 "option '--topic' needs a value" --topic
# getopt's own message is off: the option is named once, then the Try line
[ "$(grep -c "needs a value" "$T/err")" = 1 ] && grep -q -- "--help" "$T/err" ||
    fail "--topic: want one message and the --help hint: $(cat "$T/err")"
expect 2 'unknown format "xml"' -F xml
expect 2 "max.record.bytes" --max-record-bytes 12abc
expect 2 "max.record.bytes" --max-record-bytes 8
expect 2 "expected a number from 16 to 1g, got '2g'" --max-record-bytes 2g
expect 2 "expected a number from 16 to 1g, got '8'" -X max.record.bytes=8
expect 2 "needs brokers" -t topic
expect 2 "needs a topic" -b localhost:9092
expect 2 "cannot go with -t" -b localhost:9092 -t topic -F proto
expect 2 "exactly one FILE" -f
expect 2 "exactly one FILE" -f "$T/a" "$T/b"
expect 2 "need --follow" --state "$T/state"
expect 2 "no.such.property" -X no.such.property=1
expect 2 "key=value" -X novalue
expect 2 "compression.codec" -z brotli
echo "ok: usage errors exit 2 and say why"

printf 'topic=t\n\n# comment\nlinger.ms = oops\n' >"$T/bad.conf"
expect 2 "$T/bad.conf:4: " -c "$T/bad.conf"
expect 2 "$T/missing.conf: No such file" -c "$T/missing.conf"
export TETRA_KAFKA_NOT_A_PROPERTY=1
expect 2 "TETRA_KAFKA_NOT_A_PROPERTY: "
unset TETRA_KAFKA_NOT_A_PROPERTY
echo "ok: config file and environment errors name their source"

"$CAP" --help >"$T/out" 2>"$T/err" || fail "--help exit $?"
grep -q -- '--max-record-bytes' "$T/out" && [ ! -s "$T/err" ] || fail "--help not on stdout"
# defaults are printed from the option table, which also applies them
grep -q -- '--namespace NS .*(default kube-system)$' "$T/out" || fail "--help: no default for --namespace"
grep -q -- '--max-record-bytes N .*(default 1m)$' "$T/out" || fail "--help: no default for --max-record-bytes"
"$CAP" -V >"$T/out" || fail "-V exit $?"
grep -q '^tetra-capture [0-9]' "$T/out" || fail "-V: $(cat "$T/out")"
"$CAP" -X list >"$T/out" || fail "-X list exit $?"
grep -q 'bootstrap.servers' "$T/out" && grep -q 'compression.codec' "$T/out" || fail "-X list"
echo "ok: --help, -V and -X list"

# settings from a file and from the environment take effect; later wins
long=$(head -c 100 /dev/zero | tr '\0' a)
echo "{\"process_exec\":{\"process\":{\"binary\":\"$long\"}}}" >"$T/long.json"
printf '# limits\nmax.record.bytes = 64\n' >"$T/small.conf"
"$CAP" -c "$T/small.conf" "$T/long.json" >/dev/null 2>"$T/err"
grep -q 'too_long=1' "$T/err" || fail "config file max.record.bytes ignored: $(cat "$T/err")"
TETRA_CAPTURE_MAX_RECORD_BYTES=64 "$CAP" "$T/long.json" >/dev/null 2>"$T/err"
grep -q 'too_long=1' "$T/err" || fail "TETRA_CAPTURE_MAX_RECORD_BYTES ignored: $(cat "$T/err")"
TETRA_CAPTURE_MAX_RECORD_BYTES=64 "$CAP" -X max.record.bytes=1k "$T/long.json" >/dev/null \
    2>"$T/err"
grep -q 'written=1 rejected=0' "$T/err" || fail "-X does not override the environment"
"$CAP" -X format=proto "$T/good.json" 2>/dev/null | "$CAP" -X input.format=proto >"$T/out" \
    2>/dev/null
[ "$(cat "$T/out")" = "$good" ] || fail "-X format=proto / input.format=proto"
echo "ok: config file, environment and -X set the same keys, in order"

# a missing input is reported, the others are still read, exit 1
"$CAP" "$T/good.json" "$T/missing.json" "$T/good.json" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "missing input: exit not 1"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "missing input stopped the others"
grep -q "missing.json: No such file" "$T/err" || fail "missing input not named"
echo "ok: a missing input exits 1 after reading the others"
