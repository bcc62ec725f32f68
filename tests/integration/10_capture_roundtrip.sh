#!/bin/sh
# 10_capture_roundtrip.sh - tetra-capture stdin/files -> stdout keeps every
# event of the real Tetragon samples: JSON -> message -> JSON gives the same
# JSON value per event (compared with jq -S), one per line or pretty-printed,
# and -F proto output read back with -I proto gives the same events again.
set -u
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
S=${SAMPLES_DIR:-}
if [ -z "$S" ] || ! ls "$S"/*.json >/dev/null 2>&1; then
    echo "no Tetragon samples in '${S}'"
    exit 77
fi
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. every sample file on its own, as a FILE argument
n=0
for f in "$S"/*.json; do
    jq -S -c . "$f" >"$T/want" || fail "jq cannot read $f"
    "$CAP" "$f" >"$T/out" 2>"$T/err" || fail "$f: exit $?: $(cat "$T/err")"
    jq -S -c . "$T/out" >"$T/got" || fail "$f: output is not JSON lines"
    cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" | head -5; fail "$f: events differ"; }
    # one event per output line, and nothing rejected
    [ "$(wc -l <"$T/out")" -eq "$(wc -l <"$T/want")" ] || fail "$f: not one event per line"
    k=$(wc -l <"$T/want")
    grep -q "read=$k written=$k rejected=0\$" "$T/err" || fail "$f: summary: $(cat "$T/err")"
    n=$((n + k))
done
echo "ok: $n events of $(ls "$S"/*.json | wc -l) sample files round-trip"

# 2. all of them through stdin at once, compact, then pretty-printed by jq
cat "$S"/*.json | jq -S -c . >"$T/all"
jq -c . "$S"/*.json | "$CAP" 2>"$T/err" | jq -S -c . >"$T/got" || fail "stdin compact"
cmp -s "$T/all" "$T/got" || fail "stdin compact differs"
jq . "$S"/*.json | "$CAP" 2>"$T/err" | jq -S -c . >"$T/got" || fail "stdin pretty"
cmp -s "$T/all" "$T/got" || fail "pretty-printed stdin differs: $(cat "$T/err")"
grep -q "read=$n written=$n rejected=0\$" "$T/err" || fail "pretty summary: $(cat "$T/err")"
echo "ok: $n events through stdin, compact and pretty-printed"

# 3. several FILE arguments with - for stdin in between, in order
first=$(ls "$S"/*.json | head -n 1)
last=$(ls "$S"/*.json | tail -n 1)
jq -S -c . "$first" "$S/events.json" "$last" >"$T/want"
"$CAP" "$first" - "$last" <"$S/events.json" 2>/dev/null | jq -S -c . >"$T/got"
cmp -s "$T/want" "$T/got" || fail "FILE - FILE order"
echo "ok: FILE - FILE keeps the order"

# 4. binary: -F proto | -I proto gives the same events; the framing is
#    varint length + message, so the first byte is the length of the first
#    message and the byte count adds up
jq -c . "$S"/*.json | "$CAP" -F proto 2>/dev/null >"$T/bin" || fail "-F proto"
[ -s "$T/bin" ] || fail "-F proto wrote nothing"
if head -c 200 "$T/bin" | grep -q '"process_'; then fail "-F proto wrote JSON"; fi
"$CAP" -I proto "$T/bin" 2>"$T/err" | jq -S -c . >"$T/got" || fail "-I proto"
cmp -s "$T/all" "$T/got" || fail "-F proto | -I proto differs: $(cat "$T/err")"
grep -q "read=$n written=$n rejected=0\$" "$T/err" || fail "-I proto summary: $(cat "$T/err")"
"$CAP" -F proto -I proto <"$T/bin" 2>/dev/null >"$T/bin2"
cmp -s "$T/bin" "$T/bin2" || fail "proto -> proto is not byte-identical"
{ cat "$T/bin"; printf '\377\377\377\377\377\377\377\377\377\377\377junk'; } |
    "$CAP" -I proto >/dev/null 2>"$T/err" || fail "corrupt framing: exit $?"
tail -n 1 "$T/err" | grep -q "read=$n written=$n rejected=1 bad_framing=1\$" ||
    fail "corrupt framing summary: $(cat "$T/err")"
echo "ok: -F proto | -I proto round-trips all $n events, byte-identical on re-encoding"
echo "ok: a corrupt length prefix skips the rest of that input only, exit 0"

# 5. a closed stdout is a runtime failure, not silence
if "$CAP" "$S/events.json" >/dev/full 2>"$T/err"; then fail "writing to /dev/full exited 0"; fi
grep -q "stdout" "$T/err" || fail "no stdout error message: $(cat "$T/err")"
echo "ok: a failing stdout exits non-zero"

# 6. a live pipe: an event comes out while the input is still open, not
#    when the next input or the end arrives
mkfifo "$T/fifo"
"$CAP" <"$T/fifo" >"$T/live" 2>/dev/null &
cpid=$!
exec 3>"$T/fifo"
echo '{"process_exec":{"process":{"pid":7}},"node_name":"n"}' >&3
i=0
while [ ! -s "$T/live" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && { exec 3>&-; kill "$cpid"; fail "event held back while stdin stays open"; }
    sleep 0.1
done
exec 3>&-
wait "$cpid" || fail "live pipe: exit $?"
echo "ok: events leave at once on a live pipe"

# 7. SIGTERM while blocked writing to a full pipe: the write is not cut
#    short, what was read is written, exit 0
for i in $(seq 1 300); do cat "$T/all"; done >"$T/many"
{ "$CAP" "$T/many" 2>"$T/err7"; echo $? >"$T/rc7"; } | { sleep 2; cat >"$T/out7"; } &
sleep 1
cpid=$(pgrep -n -f "$CAP $T/many") || fail "cannot find the writer"
kill -TERM "$cpid"
wait
[ "$(cat "$T/rc7")" = 0 ] || fail "blocked write + SIGTERM: exit $(cat "$T/rc7"): $(cat "$T/err7")"
grep -q "rejected=0" "$T/err7" || fail "blocked write + SIGTERM: $(cat "$T/err7")"
if grep -q "error" "$T/err7"; then fail "blocked write + SIGTERM: $(cat "$T/err7")"; fi
w=$(sed -n 's/.* written=\([0-9]*\) .*/\1/p' "$T/err7")
[ "$(wc -l <"$T/out7")" -eq "$w" ] || fail "wrote $(wc -l <"$T/out7") lines, summary says $w"
echo "ok: SIGTERM during a blocked write loses nothing it read ($w events)"
