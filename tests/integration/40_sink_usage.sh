#!/bin/sh
# 40_sink_usage.sh - tetra-sink's command line, without a cluster: a
# refused option is named once and followed by the --help hint, exit 2;
# --index takes only the numeric date conversions, and those are right; a
# password without a user is refused, not dropped.
# Needs no services: usage errors stop at start, --emit-bulk sends nothing.
set -u
BIN=${BIN:-$ROOT/bin}
SINK="$BIN/tetra-sink"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
unset OPENSEARCH_USER OPENSEARCH_PASSWORD OPENSEARCH_API_KEY OPENSEARCH_BEARER_TOKEN

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
    [ "$(tail -n 1 "$T/err")" = "Try 'tetra-sink --help' for more information." ] ||
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

# --index: only the numeric date conversions; a name, an hour, a zone would
# make names OpenSearch refuses (upper case, spaces, colons) or that change
# within a day
for conv in b B c Z p H e; do
    expect "'%$conv' in 'tetragon-%Y-%$conv' is not a conversion" --emit-bulk \
        --index "tetragon-%Y-%$conv"
done
expect "numeric date ones: %Y %y %m %d %j %G %g %V %U %W %u %w" --emit-bulk --index "t-%b"
expect "ends in a lone '%'" --emit-bulk --index "tetragon-%Y%"
expect "needs a fixed prefix and a date" --emit-bulk --index "tetragon-%%"
ok "--index conversions that are not numeric dates: exit 2 naming the conversion"

# ... and those give the event's week and day of the year, not the
# first ones of its year (2024-12-30 is in ISO week 2025-W01)
ev='{"process_exec":{"process":{"exec_id":"eA==","binary":"/x"}},"node_name":"n","time":"2024-12-30T10:00:00Z"}'
for case in "t-%G.%V t-2025.01" "t-%Y.%j t-2024.365" "t-%Y.%U t-2024.52" "t-%Y.%m.%d t-2024.12.30"; do
    pat=${case% *} want=${case#* }
    got=$(echo "$ev" | "$SINK" --emit-bulk --index "$pat" 2>"$T/err" | head -n 1 | jq -r .create._index)
    [ "$got" = "$want" ] || fail "--index $pat: index $got, want $want: $(cat "$T/err")"
done
ok "--index %G.%V, %j and %U across a year boundary"

# a password without a user was dropped without a word (and the cluster's
# 401 came only later); with a user it is taken
echo secret >"$T/pw"
expect "--password-file: a password needs a user: give --user USER or set OPENSEARCH_USER" \
    --emit-bulk --password-file "$T/pw"
export OPENSEARCH_PASSWORD=secret
expect "OPENSEARCH_PASSWORD: a password needs a user" --emit-bulk
"$SINK" --emit-bulk -u admin </dev/null >/dev/null 2>"$T/err" ||
    fail "-u with OPENSEARCH_PASSWORD: $(cat "$T/err")"
unset OPENSEARCH_PASSWORD
OPENSEARCH_USER=admin "$SINK" --emit-bulk --password-file "$T/pw" </dev/null >/dev/null 2>"$T/err" ||
    fail "OPENSEARCH_USER with --password-file: $(cat "$T/err")"
ok "a password without a user: exit 2 saying --user or OPENSEARCH_USER is needed"

# numbers are checked against the table's range; --help prints the
# table's defaults
expect "--batch-docs: expected a number from 1 to 100000, got '0'" --emit-bulk --batch-docs 0
expect "--max-record-bytes: expected a number from 1024 to 1g, got '2g'" --emit-bulk \
    --max-record-bytes 2g
expect "-I: expected json or proto, got 'xml'" --emit-bulk -I xml
"$SINK" --help >"$T/help" 2>"$T/err" || fail "--help: exit $?"
grep -q -- "--batch-docs N .*(default 1000)$" "$T/help" || fail "--help: no default for --batch-docs"
ok "out-of-range numbers: exit 2 naming the range; --help shows the defaults"

# the old spellings of 0.1 (-F for the input format, --max-record) still
# work for this release, mean the same as the new ones, and are named
# once, apart from the option list
ev='{"process_exec":{"process":{"exec_id":"eA==","binary":"/x"}},"node_name":"n","time":"2024-12-30T10:00:00Z"}'
echo "$ev" | "$SINK" --emit-bulk -I json --max-record-bytes 2k >"$T/new" 2>"$T/err" ||
    fail "-I json --max-record-bytes 2k: $(cat "$T/err")"
echo "$ev" | "$SINK" --emit-bulk -F json --max-record 2k >"$T/old" 2>"$T/err" ||
    fail "-F json --max-record 2k: $(cat "$T/err")"
[ -s "$T/new" ] && cmp -s "$T/new" "$T/old" || fail "the old spellings give other output"
long=$(head -c 2000 /dev/zero | tr '\0' a)
echo "{\"process_exec\":{\"process\":{\"binary\":\"/$long\"}}}" |
    "$SINK" --emit-bulk --max-record 1k --dlq "$T/dlq" >/dev/null 2>"$T/err"
grep -q 'dead_lettered=1' "$T/err" || fail "--max-record 1k ignored: $(cat "$T/err")"
expect "--max-record-bytes: expected a number from 1024" --emit-bulk --max-record 5
grep -q "^old spellings, accepted for this release: -F, --format (now -I); --max-record (now --max-record-bytes)$" \
    "$T/help" || fail "--help does not name the old spellings"
grep -q -- "^  -F" "$T/help" && fail "--help lists -F among the options"
ok "-F and --max-record are aliases of -I and --max-record-bytes, named once in --help"

# two-stage stop: the first SIGTERM drains (here: retries against a port
# nobody listens on, for up to --drain-ms), a second one stops now, says
# what was left, and exits 1
# (stdin is a fifo held open here, so the input does not end by itself)
mkfifo "$T/in" || fail "mkfifo"
"$SINK" --opensearch http://127.0.0.1:1 --no-template --drain-ms 60000 <"$T/in" >/dev/null \
    2>"$T/err" &
pid=$!
exec 3>"$T/in"
echo "$ev" >&3
sleep 1
kill -TERM "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the first SIGTERM did not drain: $(cat "$T/err")"
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "a second SIGTERM did not stop the drain"; }
wait "$pid"
rc=$?
exec 3>&-
[ "$rc" -eq 1 ] || fail "stopped by a second signal with a record left: exit $rc, want 1"
grep -q "1 record was not delivered before a second stop signal" "$T/err" ||
    fail "no word of the record left: $(cat "$T/err")"
ok "first SIGTERM drains, the second stops now (exit 1, the record left is named)"
