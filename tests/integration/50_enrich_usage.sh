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

# two-stage stop: the first SIGTERM stops reading and waits for the held
# record's LLM call (here an LLM that accepts and never answers), a second
# one stops now, names the record left and exits 1; an idle stdin does not
# hide the signal
cat >"$T/blackhole.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
python3 "$T/blackhole.py" "$T/port" & bh=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { kill "$bh"; fail "the stub LLM did not start"; }
mkfifo "$T/in" || fail "mkfifo"
"$ENRICH" --llm-url "http://127.0.0.1:$(cat "$T/port")/v1" --llm-model m --llm-retries 0 \
    --llm-timeout 600000 <"$T/in" >"$T/out" 2>"$T/err" &
pid=$!
exec 3>"$T/in"
cat "$ROOT"/tests/fixtures/scenarios/reverse-shell*.json >&3
sleep 2
kill -TERM "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || { kill "$bh"; fail "the first SIGTERM did not wait for the held record: $(cat "$T/err")"; }
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    kill "$bh"
    fail "a second SIGTERM did not stop tetra-enrich"
fi
wait "$pid"
rc=$?
exec 3>&-
kill "$bh"
[ "$rc" -eq 1 ] || fail "stopped by a second signal with a record held: exit $rc, want 1: $(cat "$T/err")"
grep -q "stopped by a second signal: .* not written" "$T/err" || fail "no word of the records left: $(cat "$T/err")"
grep -q "read=" "$T/err" || fail "no summary line after a stop: $(cat "$T/err")"

# and one SIGTERM on an idle stdin ends a run at once, exit 0
"$ENRICH" -n <"$T/in" >"$T/out" 2>"$T/err" &
pid=$!
exec 3>"$T/in"
sleep 1
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "SIGTERM on an idle stdin was not seen"; }
wait "$pid" || fail "SIGTERM on an idle stdin: exit $?: $(cat "$T/err")"
exec 3>&-
echo "ok: first SIGTERM drains, the second stops now (exit 1); an idle stdin sees the signal"
