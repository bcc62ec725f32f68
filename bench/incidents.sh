#!/bin/sh
# incidents.sh - tetra-enrich --incidents on a realistic cluster stream
# (bench/gen-incidents.py): where the attacks and the benign look-alikes
# land, LLM calls per incident, the cost of incident building per CPU
# second, and memory at 100,000 live processes.  Prints Markdown.
#
# Checks, from the latest record of every incident id:
# - each attack pod has exactly one incident at high or above, and it
#   carries the attack's key technique;
# - no benign pod (CI builds, backups, monitoring agents, the pods not
#   attacked) has an incident at medium or above.
# The LLM is bench/fake-llm.py (answers at once): the point is the number
# of calls, not the model.  Incident building's cost is the CPU time of a
# rules-only run with --incidents less the same run without, on a larger
# stream as length-delimited protobuf.
set -eu
: "${BIN:?run through bench/run.sh}" "${BENCH_DIR:?}" "${ROOT:?}"
T="$BENCH_DIR/incidents"
mkdir -p "$T"
GEN="$ROOT/bench/gen-incidents.py" RULES="$ROOT/bench/incidents.rules"

[ -s "$T/stream.jsonl" ] && [ "$T/stream.jsonl" -nt "$GEN" ] ||
    python3 "$GEN" --truth "$T/truth.jsonl" >"$T/stream.jsonl"
events=$(wc -l <"$T/stream.jsonl")

"$BIN/tetra-enrich" -n --incidents -r "$RULES" <"$T/stream.jsonl" >"$T/out.jsonl" 2>"$T/stderr"
grep '^{"incident"' "$T/out.jsonl" >"$T/incidents.jsonl" || true
jq -c -n --slurpfile inc "$T/incidents.jsonl" --slurpfile truth "$T/truth.jsonl" '
  def rank: {"SEVERITY_INFO":1,"SEVERITY_LOW":2,"SEVERITY_MEDIUM":3,"SEVERITY_HIGH":4,"SEVERITY_CRITICAL":5}[.] // 0;
  ($inc | map(.incident) | group_by(.id) | map(max_by(.version))) as $final
  | $truth[] | . as $t | ($final | map(select(.pod == $t.pod))) as $mine
  | if $t.attack then
      ($mine | map(select((.severity | rank) >= 4))) as $hi
      | {pod: $t.pod, attack: $t.attack, technique: $t.technique, high: ($hi | length),
         ok: (($hi | length) == 1 and (($hi[0].techniques // []) | map(.id) | index($t.technique)) != null),
         severity: ($hi[0].severity // "none"), sequences: (($hi[0].sequences // []) | join(",")),
         events: ($hi[0].event_count // "0")}
    else {pod: $t.pod, benign: true, kind: ($t.lookalike // "app"),
          medium: ($mine | map(select((.severity | rank) >= 3)) | length),
          incidents: ($mine | length)} | .ok = (.medium == 0) end' >"$T/verdicts.jsonl"
attacks=$(jq -s 'map(select(.attack)) | length' "$T/verdicts.jsonl")
attacks_ok=$(jq -s 'map(select(.attack and .ok)) | length' "$T/verdicts.jsonl")
benign=$(jq -s 'map(select(.benign)) | length' "$T/verdicts.jsonl")
benign_bad=$(jq -s 'map(select(.benign and (.ok | not))) | length' "$T/verdicts.jsonl")
incidents=$(jq -s 'map(.incident.id) | unique | length' "$T/incidents.jsonl")
medium_plus=$(jq -s 'def rank: {"SEVERITY_MEDIUM":3,"SEVERITY_HIGH":4,"SEVERITY_CRITICAL":5}[.] // 0;
  map(.incident) | group_by(.id) | map(max_by(.version)) | map(select((.severity | rank) >= 3)) | length' "$T/incidents.jsonl")

# LLM calls per incident, with the fake LLM
rm -f "$T/port"
python3 "$ROOT/bench/fake-llm.py" "$T/port" & fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
"$BIN/tetra-enrich" --incidents -r "$RULES" --llm-url "http://127.0.0.1:$(cat "$T/port")/v1" \
    --llm-model bench <"$T/stream.jsonl" >"$T/llm.jsonl" 2>"$T/llm.stderr"
served=$(curl -s "http://127.0.0.1:$(cat "$T/port")/" | jq .served)
kill $fake 2>/dev/null || true
field() { tail -n 1 "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
llm_calls=$(field incident_llm_calls "$T/llm.stderr")
llm_event_calls=$(field llm_calls "$T/llm.stderr")
llm_incidents=$(field incidents "$T/llm.stderr")
stories=$(grep '^{"incident"' "$T/llm.jsonl" | jq -s 'map(.incident) | group_by(.id) | map(max_by(.version))
  | map(select(.source == "SOURCE_LLM" or .source == "SOURCE_CACHE")) | length')

# Cost per CPU second: a stream about ten times larger, as protobuf,
# rules only, with and without --incidents (best of 3 each).
[ -s "$T/big.pb" ] && [ "$T/big.pb" -nt "$GEN" ] || {
    python3 "$GEN" --pods 240 --minutes 40 --seed 2 >"$T/big.jsonl"
    "$BIN/tetra-capture" -q -F proto "$T/big.jsonl" >"$T/big.pb"
}
big=$(wc -l <"$T/big.jsonl")
best() { # ARGS...: least user+system CPU of 3 runs on big.pb
    b=
    for _ in 1 2 3; do
        /usr/bin/time -f "%U %S %M" -o "$T/time" "$BIN/tetra-enrich" -n -I proto "$@" <"$T/big.pb" >/dev/null 2>/dev/null
        c=$(awk '{ print $1 + $2 }' "$T/time")
        if [ -z "$b" ] || awk -v a="$c" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$c; fi
    done
    echo "$b"
}
cpu_plain=$(best -F json)
cpu_inc=$(best -F json --incidents -r "$RULES")
build_rate=$(awk -v n="$big" -v a="$cpu_inc" -v b="$cpu_plain" 'BEGIN { printf "%.0f", (a > b ? n / (a - b) : 0) }')
whole_rate=$(awk -v n="$big" -v a="$cpu_inc" 'BEGIN { printf "%.0f", (a > 0 ? n / a : 0) }')

# Memory at 100,000 live processes on one node
[ -s "$T/live.jsonl" ] && [ "$T/live.jsonl" -nt "$GEN" ] || python3 "$GEN" --live 100000 >"$T/live.jsonl"
/usr/bin/time -f "%M" -o "$T/rss0" "$BIN/tetra-enrich" -n <"$T/live.jsonl" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$T/rss1" "$BIN/tetra-enrich" -n --incidents --lineage-max 200000 <"$T/live.jsonl" >/dev/null 2>&1
rss0=$(cat "$T/rss0") rss1=$(cat "$T/rss1")

{
    echo "incidents.attacks_in_one_high_incident $attacks_ok"
    echo "incidents.attacks $attacks"
    echo "incidents.benign_pods_medium_plus $benign_bad"
    echo "incidents.llm_calls ${llm_calls:-0}"
    echo "incidents.incidents ${llm_incidents:-0}"
    echo "incidents.build_events_per_cpu_s $build_rate"
    echo "incidents.rules_json_events_per_cpu_s $whole_rate"
    echo "incidents.live_100k_peak_rss_kib $rss1"
} >>"${FIGURES:-/dev/null}"

cat <<REPORT
## tetra-enrich --incidents

Stream: $events events (bench/gen-incidents.py: 48 app pods on 6 nodes with probes and
connections, CI builds, backups, monitoring agents, $attacks interleaved attacks), rules
only with bench/incidents.rules (the CI namespace's build steps at most low).

| attack | pod | incidents at high+ | severity | sequences | events | key technique | ok |
|---|---|---:|---|---|---:|---|---|
$(jq -r 'select(.attack) | "| \(.attack) | \(.pod) | \(.high) | \(.severity) | \(.sequences) | \(.events) | \(.technique) | \(if .ok then "yes" else "**no**" end) |"' "$T/verdicts.jsonl")

- attacks in exactly one incident at high or above with their key technique: **$attacks_ok of $attacks**
- benign pods with an incident at medium or above: **$benign_bad of $benign**
  (CI builds, backups, monitoring agents and the pods not attacked)
- incidents: $incidents, of which $medium_plus at medium or above
- LLM (fake, answers at once; per-event calls off with --incidents): **${llm_calls:-0} incident
  calls for ${llm_incidents:-0} incidents** (target: at most incidents + 10%), ${llm_event_calls:-0}
  per-event calls, $served requests served, $stories incidents with a story
- incident building, rules only, on $big events (protobuf in, JSON out): $cpu_plain CPU s
  without --incidents, $cpu_inc CPU s with: **$build_rate events per CPU second** for the
  incident layer alone (target 50,000), $whole_rate for the whole run
- memory at 100,000 live processes on one node: peak RSS **$((rss1 / 1024)) MiB** with
  --incidents, $((rss0 / 1024)) MiB without (target 64 MB)

REPORT
