#!/bin/sh
# 50_enrich_llm_429.sh - a 429 storm is absorbed by backoff without losing
# events, and never stalls the stream beyond the configured limits.
#
# The LLM here is a small HTTP server written below that answers a planned
# sequence: "429 with Retry-After: S" a number of times, then valid chat
# completions (fault injection: the real llama.cpp server never sends 429).
# Four runs over the critical scenarios, each event three times (the
# repeats wait for their behaviour's request: one call per behaviour):
#   A: 3 x 429 (Retry-After 1) then answers, --llm-retries 3, requests side
#      by side: every call ends ok after waiting out the storm,
#      retries_429=3, every record carries the answer.
#   B: a storm longer than the retries (--llm-retries 2, --llm-breaker 2),
#      one request at a time: two calls fail after 2 retries each, the
#      circuit opens, and the requests still queued are not sent into it
#      but end circuit_open at once; every event written with the rules.
#   C: Retry-After 3600 (beyond the 10 s cap): no waiting at all, the calls
#      fail at once and the circuit opens.
#   D: Retry-After holds every request, not only the one that got it: two
#      in flight, one gets 429 with Retry-After 2, and no request reaches
#      the server in the next 2 seconds.
set -u
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

cat >"$T/stub.py" <<'PY'
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
portfile, plan, logfile = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
FINDING = {"summary": "Stub explanation.", "severity": "critical",
           "techniques": [{"id": "T1059.004", "name": "Unix Shell", "tactic": "execution"}],
           "indicators": ["stub"], "next_steps": ["none"], "confidence": 0.7}
lock = threading.Lock()
n = [0]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            step = plan[min(n[0], len(plan) - 1)]
            n[0] += 1
            with open(logfile, "a") as f:
                f.write("%s %.3f\n" % (step, time.time()))
        if step.startswith("429:"):
            self.send_response(429)
            self.send_header("Retry-After", step[4:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"id": "x", "object": "chat.completion", "model": "stub",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant",
                                                    "content": json.dumps(FINDING)}}],
                           "usage": {"prompt_tokens": 100, "completion_tokens": 20}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY

# stub PLAN: start the server with that plan; sets URL.
stub() {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
    rm -f "$T/port" "$T/requests"
    python3 "$T/stub.py" "$T/port" "$1" "$T/requests" & srv=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    [ -s "$T/port" ] || { echo "stub did not start"; exit 1; }
    URL="http://127.0.0.1:$(cat "$T/port")/v1"
}

crit="ld-preload miner nsenter-host reverse-shell-bash reverse-shell-nc"
for _ in 1 2 3; do for c in $crit; do cat "$S/$c.json"; done; done >"$T/in"
total=$(wc -l <"$T/in")
kinds=$(echo "$crit" | wc -w)

# run NAME ARGS...: enrich $T/in against the stub; sets TOOK and SUM.
run() {
    name=$1; shift
    start=$(date +%s)
    "$E" --llm-url "$URL" --llm-model stub --min-severity critical "$@" \
        <"$T/in" >"$T/$name.out" 2>"$T/$name.err" || bad "$name: exit $?"
    TOOK=$(( $(date +%s) - start ))
    SUM=$(tail -n 1 "$T/$name.err")
    echo "$name (${TOOK}s): $SUM"
    [ "$(wc -l <"$T/$name.out")" -eq "$total" ] || bad "$name: wrote $(wc -l <"$T/$name.out") of $total"
    if jq -r .enrichment.severity "$T/$name.out" | grep -qv SEVERITY_CRITICAL; then
        bad "$name: a rules severity was lost"
    fi
}
count() { jq -r .enrichment.llm_status "$T/$1.out" | grep -c "^LLM_STATUS_$2\$"; }
has() { echo "$SUM" | grep -q " $1 " || bad "$name: want $1 in the summary"; }

stub "429:1,429:1,429:1,ok"
run A --llm-retries 3
has "retries_429=3"
has "llm_calls=$kinds"
has "llm_ok=$kinds"
has "llm_errors=0"
[ $(($(count A OK) + $(count A CACHED))) -eq "$total" ] || bad "A: want every record ok or cached"
[ "$(grep -c '^429' "$T/requests")" -eq 3 ] || bad "A: the stub saw $(grep -c '^429' "$T/requests") 429s, want 3"
[ "$(wc -l <"$T/requests")" -eq $((kinds + 3)) ] || bad "A: the stub saw $(wc -l <"$T/requests") requests, want $((kinds + 3))"
[ "$TOOK" -ge 1 ] || bad "A: took ${TOOK}s: Retry-After: 1 was not waited out"
[ "$TOOK" -le 20 ] || bad "A: took ${TOOK}s for a 1-second storm"

stub "429:1,429:1,429:1,429:1,429:1,429:1,429:1,429:1,ok"
run B --llm-retries 2 --llm-breaker 2 --llm-cooldown 600000 --llm-concurrency 1
has "retries_429=4"
has "llm_calls=2"
has "llm_errors=2"
has "circuit_open=$((kinds - 2))"
[ "$(count B ERROR)" -eq 6 ] || bad "B: want 6 errors (2 calls, 3 records each)"
[ "$(count B CIRCUIT_OPEN)" -eq $((total - 6)) ] || bad "B: want $((total - 6)) circuit_open"
[ "$(wc -l <"$T/requests")" -eq 6 ] || bad "B: the stub saw $(wc -l <"$T/requests") requests, want 6"
[ "$TOOK" -le 20 ] || bad "B: took ${TOOK}s: the storm stalled the stream"

stub "429:3600"
run C --llm-retries 3 --llm-breaker 3 --llm-cooldown 600000 --llm-concurrency 1
has "retries_429=0"
has "llm_errors=3"
[ "$(wc -l <"$T/requests")" -eq 3 ] || bad "C: the stub saw $(wc -l <"$T/requests") requests, want 3 (no retries)"
[ "$TOOK" -le 5 ] || bad "C: took ${TOOK}s: a Retry-After beyond the cap must not be waited for"

stub "429:2,ok"
run D --llm-retries 3 --llm-concurrency 2
has "llm_ok=$kinds"
t429=$(awk '/^429/ { print $2; exit }' "$T/requests")
# (the other request in flight may reach the server just after the 429)
early=$(awk -v t="$t429" '!/^429/ && $2 > t + 0.3 && $2 < t + 1.9' "$T/requests" | wc -l)
[ "$early" -eq 0 ] || bad "D: $early requests reached the server while Retry-After held"
[ "$(wc -l <"$T/requests")" -eq $((kinds + 1)) ] || bad "D: the stub saw $(wc -l <"$T/requests") requests, want $((kinds + 1))"
[ $fail = 0 ] && echo "ok: 429 storms absorbed, $total events written in every run"
exit $fail
