#!/bin/sh
# 50_enrich_llm_restart.sh - the real local LLM goes away mid-run and comes
# back: the stream goes on with the rules and the right statuses, and uses
# the LLM again once it is back.
#
# The shared LLM server must not be killed, so a TCP proxy
# (tests/integration/sink/tcpproxy.py) sits between tetra-enrich and it and
# is killed and restarted on the same port.  Events are fed one by one
# through a FIFO so each phase happens at a known moment:
#   1. proxy up: a critical event is explained (ok, or invalid_output when
#      the small model writes something the schema rejects: either way the
#      LLM answered);
#   2. the proxy is killed while the next request is in flight: that event
#      says error at once (no waiting for the 10-minute request timeout),
#      the next one error too, then the circuit is open (--llm-breaker 2)
#      and two more say circuit_open without any call;
#   3. proxy back, cool-down (--llm-cooldown 3000) over: the next event's
#      trial call reaches the LLM again, and the first event, seen again,
#      comes from the cache.
# One request at a time (--llm-concurrency 1): side by side, events 3 to 5
# would all be sent before the first failure came back, and this test is
# about the breaker's order of events.  Few real calls (the model takes
# seconds to minutes each here); generous waits.  Skips (77) without LLM_URL/LLM_MODEL.
set -u
[ -n "${LLM_URL:-}" ] && [ -n "${LLM_MODEL:-}" ] || { echo "LLM_URL/LLM_MODEL unset"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
PROXY="$ROOT/tests/integration/sink/tcpproxy.py"
T=$(mktemp -d) || exit 1
proxy= enrich=
cleanup() {
    [ -n "$proxy" ] && kill "$proxy" 2>/dev/null
    [ -n "$enrich" ] && kill "$enrich" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

hostport=${LLM_URL#*://}
case $hostport in */*) path=/${hostport#*/} ;; *) path= ;; esac
hostport=${hostport%%/*}
host=${hostport%:*} port=${hostport##*:}

# proxy_up PORT: forward PORT (0: any) to the LLM; sets PPORT.
proxy_up() {
    : >"$T/pport"
    # 3>&-: the proxy must not hold the FIFO open, or tetra-enrich never sees EOF
    python3 "$PROXY" "$1" "$host" "$port" >"$T/pport" 2>>"$T/proxy.err" 3>&- & proxy=$!
    for _ in $(seq 100); do [ -s "$T/pport" ] && break; sleep 0.1; done
    PPORT=$(head -n 1 "$T/pport")
    [ -n "$PPORT" ] || { echo "proxy did not start"; cat "$T/proxy.err"; exit 1; }
}
proxy_down() { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; proxy=; }

# wait_lines N SECONDS: until the output has N records.
wait_lines() {
    i=0
    while [ "$(wc -l <"$T/out")" -lt "$1" ]; do
        i=$((i + 1))
        [ $i -gt $(($2 * 10)) ] && return 1
        kill -0 "$enrich" 2>/dev/null || return 1
        sleep 0.1
    done
}
status() { sed -n "$1p" "$T/out" | jq -r .enrichment.llm_status; }
answered() { case $(status "$1") in LLM_STATUS_OK | LLM_STATUS_INVALID_OUTPUT) return 0 ;; esac; return 1; }

proxy_up 0
mkfifo "$T/in"
"$E" --llm-url "http://127.0.0.1:$PPORT$path" --llm-model "$LLM_MODEL" --llm-mode json_object \
    --llm-timeout 600000 --llm-retries 0 --llm-breaker 2 --llm-cooldown 3000 \
    --llm-concurrency 1 --min-severity critical <"$T/in" >"$T/out" 2>"$T/err" & enrich=$!
exec 3>"$T/in"

echo "phase 1: LLM reachable"
cat "$S/reverse-shell-bash.json" >&3
wait_lines 1 900 || { bad "no record for the first event"; cat "$T/err"; exit 1; }
answered 1 || bad "event 1 with the LLM up: $(status 1)"

echo "phase 2: proxy killed with a request in flight"
cat "$S/reverse-shell-nc.json" >&3
sleep 1
t0=$(date +%s)
proxy_down
wait_lines 2 30 || bad "the in-flight event waited for the request timeout"
cat "$S/reverse-shell-python.json" "$S/reverse-shell-socat.json" "$S/nsenter-host.json" >&3
wait_lines 5 30 || bad "events stalled while the LLM was away"
took=$(( $(date +%s) - t0 ))
[ "$(status 2)" = LLM_STATUS_ERROR ] || bad "event 2 (in flight at the kill): $(status 2)"
[ "$(status 3)" = LLM_STATUS_ERROR ] || bad "event 3 (LLM away): $(status 3)"
[ "$(status 4)" = LLM_STATUS_CIRCUIT_OPEN ] || bad "event 4 (breaker open): $(status 4)"
[ "$(status 5)" = LLM_STATUS_CIRCUIT_OPEN ] || bad "event 5 (breaker open): $(status 5)"
[ "$took" -le 10 ] || bad "phase 2 took ${took}s"
for n in 2 3 4 5; do
    sed -n "${n}p" "$T/out" | jq -e '.enrichment.severity == "SEVERITY_CRITICAL" and
        .enrichment.source == "SOURCE_RULES" and (.enrichment.techniques | length) > 0' >/dev/null ||
        bad "event $n lost its rules enrichment"
done

echo "phase 3: proxy back on port $PPORT"
proxy_up "$PPORT"
sleep 4   # past the 3 s cool-down
cat "$S/ld-preload.json" >&3
wait_lines 6 900 || bad "no record for the event after the LLM came back"
answered 6 || bad "event 6 after the LLM came back: $(status 6)"
cat "$S/reverse-shell-bash.json" >&3
wait_lines 7 60 || bad "no record for the repeated event"
case $(status 1) in
LLM_STATUS_OK) want=LLM_STATUS_CACHED ;;
*) want=LLM_STATUS_INVALID_OUTPUT ;;   # a rejected reply is remembered too
esac
[ "$(status 7)" = "$want" ] || bad "event 1 seen again: $(status 7), want $want"

exec 3>&-
wait "$enrich" || bad "tetra-enrich exit $?"
enrich=
sum=$(tail -n 1 "$T/err")
echo "$sum"
echo "$sum" | grep -q ' llm_calls=4 ' || bad "want 4 LLM calls (2 answered, 2 failed)"
echo "$sum" | grep -q ' llm_errors=2 ' || bad "want 2 failed calls"
echo "$sum" | grep -q ' circuit_open=2 ' || bad "want 2 events while the circuit was open"
[ $fail = 0 ] && echo "ok: the stream went on without the LLM and used it again once back"
exit $fail
