#!/bin/sh
# 52_enrich_incidents_llm.sh - --incidents with the real local LLM
# (llama-cpp-python serving a small instruct model, --llm-mode grammar):
# one LLM call per incident at medium or above, none per event, and every
# such incident's last record carries the model's validated story (source
# llm, status ok) with a severity never below the rules'.  Two reverse
# shells in two workloads: two behaviours, two calls; the low incidents of
# the monitoring agents get none.
set -u
[ -n "${LLM_URL:-}" ] && [ -n "${LLM_MODEL:-}" ] || { echo "LLM_URL/LLM_MODEL unset"; exit 77; }
E="$BIN/tetra-enrich"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

python3 "$ROOT/bench/gen-incidents.py" --pods 4 --minutes 3 --only revshell --truth "$T/truth" >"$T/in" ||
    { echo "generator failed"; exit 1; }
"$E" --incidents -r "$ROOT/bench/incidents.rules" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" \
    --llm-mode grammar --llm-timeout 600000 --llm-retries 0 <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
tail -n 1 "$T/err"
field() { tail -n 1 "$T/err" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
grep '^{"incident":' "$T/out" | jq -c '.incident' | jq -s 'group_by(.id) | map(max_by(.version))' >"$T/final"
asked=$(jq 'map(select(.severity == "SEVERITY_MEDIUM" or .severity == "SEVERITY_HIGH" or .severity == "SEVERITY_CRITICAL")) | length' "$T/final")
incidents=$(jq length "$T/final")
calls=$(field incident_llm_calls)
[ "$asked" -eq 2 ] || bad "want 2 incidents at medium or above (the reverse shells), got $asked"
[ "${calls:-0}" -eq "$asked" ] || bad "$calls incident LLM calls for $asked incidents at medium+ (want one each)"
[ "$(field llm_calls)" = 0 ] || bad "per-event LLM calls with --incidents: $(field llm_calls)"
[ "$incidents" -gt "$asked" ] || bad "the low incidents are missing ($incidents incidents)"
jq -e 'map(select(.severity == "SEVERITY_CRITICAL")) | length == 2 and
  all(.source == "SOURCE_LLM" and .llm_status == "LLM_STATUS_OK" and (.summary | length) > 10 and .model != null)' \
    "$T/final" >/dev/null || { jq -c 'map(select(.severity == "SEVERITY_CRITICAL")) | map({id, source, llm_status, summary})' "$T/final"; bad "a reverse shell's incident lacks a validated story, or its severity dropped"; }
jq -e 'map(select(.severity == "SEVERITY_CRITICAL")) | all(.techniques | map(.id) | index("T1059.004"))' "$T/final" >/dev/null ||
    bad "the rules' technique T1059.004 was dropped from a story"
jq -e 'map(select(.severity == "SEVERITY_LOW")) | all(.source == "SOURCE_RULES")' "$T/final" >/dev/null ||
    bad "a low incident was sent to the LLM"
[ $fail = 0 ] && echo "ok: $calls LLM calls for $asked incidents at medium+ ($incidents incidents), stories validated"
exit $fail
