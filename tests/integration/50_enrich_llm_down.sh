#!/bin/sh
# 50_enrich_llm_down.sh - with the LLM unreachable the stream goes on: every
# event is written with the rules' enrichment, the first failures say
# llm_status error, then the circuit opens and later events say
# circuit_open without waiting; nothing is rejected or lost.  With requests
# side by side (the default) up to --llm-concurrency first attempts are out
# before any fails, so at most that many calls fail; one at a time, exactly
# --llm-breaker (3) calls fail before the circuit opens.
set -u
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
for i in 1 2 3 4 5; do cat "$S"/*.json; done >"$T/in"
total=$(wc -l <"$T/in")
start=$(date +%s)
"$E" --llm-url http://127.0.0.1:9/v1 --llm-model m --llm-retries 1 --llm-timeout 2000 \
    <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
took=$(( $(date +%s) - start ))
cat "$T/err"
[ "$(wc -l <"$T/out")" -eq "$total" ] || bad "wrote $(wc -l <"$T/out") of $total"
grep -q '"llm_status":"LLM_STATUS_ERROR"' "$T/out" || bad "no error status"
grep -q '"llm_status":"LLM_STATUS_CIRCUIT_OPEN"' "$T/out" || bad "circuit never opened"
grep -q '"llm_status":"LLM_STATUS_SKIPPED_POLICY"' "$T/out" || bad "low events not skipped by policy"
errs=$(sed -n 's/.* llm_errors=\([0-9]*\) .*/\1/p' "$T/err")
[ "$errs" -ge 3 ] && [ "$errs" -le 16 ] || bad "$errs failed calls: want 3 to 16 (the concurrency) before the circuit opened"
"$E" --llm-url http://127.0.0.1:9/v1 --llm-model m --llm-retries 1 --llm-timeout 2000 \
    --llm-concurrency 1 <"$T/in" >"$T/out1" 2>"$T/err1" || bad "one at a time: exit $?"
tail -n 1 "$T/err1"
grep -q 'llm_errors=3 ' "$T/err1" || bad "one at a time: want exactly 3 failed calls before the circuit opened"
[ "$(wc -l <"$T/out1")" -eq "$total" ] || bad "one at a time: wrote $(wc -l <"$T/out1") of $total"
jq -r .enrichment.source "$T/out" "$T/out1" | grep -v -q -x SOURCE_RULES && bad "a record without the LLM does not say source rules"
grep '"reverse-shell-dev-tcp"' "$T/out" | grep -v -q 'SEVERITY_CRITICAL' && bad "rules severity lost"
[ "$took" -le 20 ] || bad "took ${took}s: the stream waited on a dead LLM"
[ $fail = 0 ] && echo "ok: $total events in ${took}s with the LLM down"
exit $fail
