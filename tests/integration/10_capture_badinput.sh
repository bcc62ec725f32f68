#!/bin/sh
# 10_capture_badinput.sh - bad records are skipped, counted by reason,
# logged with source and line, written whole to --dlq, and the good
# records around them still come out; the exit status stays 0.
set -u
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

good='{"process_exec":{"process":{"pid":1,"binary":"/bin/true"}},"node_name":"n1"}'
long=$(head -c 3000 /dev/zero | tr '\0' a)
{
    echo 'this is not json'                                         # 1 invalid_json
    echo "$good"                                                    # 2
    echo '{"node_name":"n1","time":"2024-01-01T00:00:00Z"}'          # 3 not_event
    echo '{"process_frobnicate":{"x":1},"node_name":"n1"}'          # 4 unknown_kind
    echo '{"process_exec":{"process":{"pid":{"a":1}}}}'             # 5 wrong_type
    printf '{"process_exec":{"process":{"binary":"\377\376"}}}\n'   # 6 invalid_utf8
    echo "{\"process_exec\":{\"process\":{\"binary\":\"$long\"}}}"  # 7 too_long
    echo '{"process_exec":{"process":{"pid":1}'                     # 8 unterminated
    echo "$good"                                                    # 9
    printf '{\n  "process_exit": {\n    "process": {"pid": 2}\n  }\n}\n'  # 10-14 pretty, good
} >"$T/in"

"$CAP" --max-record-bytes 2k --dlq "$T/dlq" "$T/in" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/err"
[ "$rc" -eq 0 ] || fail "exit $rc with bad input"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "expected 3 good events, got $(wc -l <"$T/out")"
jq -e -s 'map(.process_exec.process.pid // .process_exit.process.pid) == [1,1,2]' "$T/out" \
    >/dev/null || fail "wrong good events: $(cat "$T/out")"

summary=$(tail -n 1 "$T/err")
for kv in read=10 written=3 rejected=7 invalid_json=2 not_event=1 unknown_kind=1 wrong_type=1 \
          invalid_utf8=1 too_long=1; do
    echo "$summary" | grep -q "\\b$kv\\b" || fail "summary lacks $kv: $summary"
done
echo "$summary" | grep -q '^tetra-capture: read=10 written=3 rejected=7 ' || fail "summary head: $summary"

# logged with source and line; each reason once
grep -q "$T/in:1: invalid_json" "$T/err" || fail "no log line for line 1"
grep -q "$T/in:7: too_long" "$T/err" || fail "no log line for line 7"
[ "$(grep -c 'invalid_json' "$T/err")" -eq 2 ] || fail "invalid_json logged more than once"

# the dead-letter file has every rejected record whole, as JSON lines
[ "$(wc -l <"$T/dlq")" -eq 7 ] || fail "dlq has $(wc -l <"$T/dlq") lines, want 7"
jq -e -s 'map(.reason) == ["invalid_json","not_event","unknown_kind","wrong_type",
          "invalid_utf8","too_long","invalid_json"]' "$T/dlq" >/dev/null || fail "dlq reasons"
jq -e -s 'map(.line) == [1,3,4,5,6,7,8]' "$T/dlq" >/dev/null || fail "dlq lines"
[ "$(jq -r 'select(.line == 1) | .record' "$T/dlq")" = 'this is not json' ] || fail "dlq record 1"
[ "$(jq -r 'select(.line == 4) | .record' "$T/dlq")" = \
  '{"process_frobnicate":{"x":1},"node_name":"n1"}' ] || fail "dlq record 4"
[ "$(jq -r 'select(.line == 6) | .record_base64' "$T/dlq" | base64 -d)" = \
  "$(sed -n 6p "$T/in")" ] || fail "dlq invalid UTF-8 record not kept byte for byte"
[ "$(jq -r 'select(.line == 7) | .record | length' "$T/dlq")" -eq 3042 ] || fail "dlq long record"
jq -e -s --arg src "$T/in" '.[0] | .source == $src and .offset == 0 and .line == 1' "$T/dlq" >/dev/null ||
    fail "dlq source/offset"
echo "ok: reasons, counts, log lines and dead letters"

# over-long record beyond the kept head: truncated with its full size
big=$(head -c 20000 /dev/zero | tr '\0' b)
printf '{"x":"%s"}\n%s\n' "$big" "$good" | "$CAP" --dlq "$T/dlq2" --max-record-bytes 1k \
    >"$T/out" 2>"$T/err" || fail "exit $?"
jq -e '.truncated == true and .size == 20008 and (.record | length) == 4096' "$T/dlq2" \
    >/dev/null || fail "truncated dead letter: $(cut -c1-200 "$T/dlq2")"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "event after a huge record lost"
echo "ok: a huge record is skipped and the next one kept"

# rate limit: 1000 bad lines log one line per reason; -v logs all; -q none
yes 'garbage' | head -n 1000 | "$CAP" 2>"$T/err" >/dev/null || fail "exit $?"
[ "$(grep -c 'invalid_json' "$T/err")" -eq 2 ] || fail "not rate-limited: $(head -3 "$T/err")"
tail -n 1 "$T/err" | grep -q 'read=1000 written=0 rejected=1000 invalid_json=1000' || fail "1000 count"
yes 'garbage' | head -n 50 | "$CAP" -v 2>"$T/err" >/dev/null
[ "$(grep -c 'warning: -:[0-9]*: invalid_json' "$T/err")" -eq 50 ] || fail "-v does not log all"
yes 'garbage' | head -n 50 | "$CAP" -q 2>"$T/err" >/dev/null
[ ! -s "$T/err" ] || fail "-q still printed: $(cat "$T/err")"
echo "ok: rate-limited logging, -v and -q"

# a dead-letter file that cannot be opened is a runtime failure up front
echo "$good" | "$CAP" --dlq /nonexistent/dir/dlq >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "unwritable --dlq should exit 1"
echo "ok: unwritable --dlq exits 1"
