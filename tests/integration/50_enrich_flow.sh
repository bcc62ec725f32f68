#!/bin/sh
# 50_enrich_flow.sh - the LLM does not set the pace (stdin): requests run
# side by side, a behaviour is asked once however many events wait for it,
# records needing no call leave first, --ordered keeps input order, and
# --max-pending really pauses reading.
#
# The LLM is bench/fake-llm.py answering every request after 1 second and
# counting what it served: the point is timing and call counts, which the
# real CPU model (minutes a request here) cannot give; 50_enrich_llm*.sh
# run the real model.
set -u
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
. "$ROOT/tests/integration/enrich/lib.sh"
fake_llm "$T" 1
served() { curl -s "$URL/models" | jq .served; }
ms() { date +%s%3N; }

# 400 events: the scenarios again and again with other pids and pods
repeat_scenarios 400 >"$T/in"
pids() { jq -r '[.. | objects | .pid? // empty][0]' "$1"; }

# 1: side by side, single flight, records needing no call first
before=$(served)
t0=$(ms)
"$E" --llm-url "$URL" --llm-model stub <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
took=$(( $(ms) - t0 ))
sum=$(tail -n 1 "$T/err")
echo "default: ${took} ms: $sum"
calls=$(echo "$sum" | sed -n 's/.* llm_calls=\([0-9]*\) .*/\1/p')
shared=$(echo "$sum" | sed -n 's/.* llm_shared=\([0-9]*\) .*/\1/p')
asked=$(grep -c '"llm_status":"LLM_STATUS_OK"' "$T/out")
[ "$(wc -l <"$T/out")" -eq 400 ] || bad "want 400 records, got $(wc -l <"$T/out")"
[ "$((  $(served) - before ))" -eq "$calls" ] || bad "the stub served $(( $(served) - before )), the summary says $calls"
[ "$calls" -ge 10 ] || bad "only $calls calls: the corpus should ask about many behaviours"
[ "$asked" -gt "$calls" ] || bad "$asked records carry an answer from $calls calls: want more (single flight)"
[ "$shared" -gt 0 ] || bad "no record waited for a request in flight"
[ "$took" -lt $((calls * 1000 / 4)) ] || bad "$calls calls of 1 s took $took ms: not side by side"
[ "$(head -n 1 "$T/out" | jq -r .enrichment.llm_status)" != LLM_STATUS_OK ] ||
    bad "the first record out waited for the LLM: records needing no call should leave first"
pids "$T/out" >"$T/out.pids"
pids "$T/in" >"$T/in.pids"
cmp -s "$T/in.pids" "$T/out.pids" && bad "default output is in input order: nothing left when ready"
sort -n "$T/in.pids" | cmp -s - "$(sort -n "$T/out.pids" >"$T/sorted"; echo "$T/sorted")" ||
    bad "default output is not the input's records"

# 2: --ordered (a new stub: an empty cache is per process anyway)
"$E" --llm-url "$URL" --llm-model stub --ordered <"$T/in" >"$T/out2" 2>"$T/err2" || bad "ordered: exit $?"
pids "$T/out2" | cmp -s "$T/in.pids" - || bad "--ordered: output order is not input order"

# 3: --max-pending 1 pauses reading: 5 distinct behaviours take a round trip
# each, where the default takes about one round trip for all
for n in shadow-read reverse-shell-nc miner network-scanner kernel-module; do cat "$S/$n.json"; done >"$T/in5"
t0=$(ms)
"$E" --llm-url "$URL" --llm-model stub --max-pending 1 <"$T/in5" >"$T/out3" 2>"$T/err3" || bad "max-pending: exit $?"
one=$(( $(ms) - t0 ))
t0=$(ms)
"$E" --llm-url "$URL" --llm-model stub <"$T/in5" >"$T/out4" 2>"$T/err4" || bad "default 5: exit $?"
all=$(( $(ms) - t0 ))
echo "5 behaviours: --max-pending 1: $one ms, default: $all ms"
[ "$one" -ge 5000 ] || bad "--max-pending 1 took $one ms: reading did not pause"
[ "$all" -lt 3000 ] || bad "5 requests side by side took $all ms"
[ "$(wc -l <"$T/out3")" -eq 5 ] || bad "max-pending: want 5 records"
[ $fail = 0 ] && echo "ok: $calls calls side by side in $took ms, ordered and bounded"
exit $fail
