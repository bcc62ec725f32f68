#!/bin/sh
# 60_demo.sh - the README's first command, run as a newcomer runs it, rules
# only: `DEMO_LLM=0 sh examples/demo.sh`.  It must exit 0, index one
# document per distinct input event (the attack scenarios each have their
# own identity, and an event without a time is indexed at ingest time, not
# dropped), drop and reject nothing, and show a report a newcomer can read:
# findings by severity with summaries and ATT&CK techniques, and where to
# look.  The distinct events are counted here independently of the demo and
# of the sink's identity code, and the documents are counted in OpenSearch.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export BIN=${BIN:-$ROOT/bin}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
SAMPLES=${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}

DEMO_LLM=0 sh "$ROOT/examples/demo.sh" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/err" "$T/out"
[ "$rc" = 0 ] || bad "demo exit $rc"
# shellcheck disable=SC1091
. "$ROOT/build/services.env"

cat "$SAMPLES"/*.json* "$ROOT"/tests/fixtures/scenarios/*.json 2>/dev/null |
    jq -cS . | sort -u >"$T/distinct"
want=$(wc -l <"$T/distinct" | tr -d ' ')
[ "$want" -gt 38 ] || bad "only $want distinct events in the inputs"
curl -s -XPOST "$OPENSEARCH_URL/tetragon-demo-*/_refresh" >/dev/null
got=$(curl -s "$OPENSEARCH_URL/tetragon-demo-*/_count" | jq -r .count)
[ "$got" = "$want" ] || bad "$got documents in OpenSearch for $want distinct events"

sink=$(tail -n 1 "$ROOT/build/demo/sink.log")
enrich=$(tail -n 1 "$ROOT/build/demo/enrich.log")
echo "$sink" | grep -q "read=$want " || bad "the sink read other than $want records: $sink"
for k in dropped duplicates rejected dead_lettered bad_time; do
    v=$(echo "$sink" | tr ' ' '\n' | sed -n "s/^$k=//p")
    [ "${v:-0}" = 0 ] || bad "sink $k=$v: $sink"
done
echo "$enrich" | grep -q " rejected=0 " || bad "enrich rejected records: $enrich"

# every scenario is its own document, found by its own process
for f in "$ROOT"/tests/fixtures/scenarios/*.json; do
    id=$(jq -r '.[keys_unsorted[0]].process.exec_id' "$f")
    n=$(curl -s "$OPENSEARCH_URL/tetragon-demo-*/_count?q=process.entity_id:%22$id%22" | jq -r .count)
    [ "$n" = 1 ] || bad "$(basename "$f"): $n documents for its process $id"
done
# the sample without a time is there, at ingest time and saying so
nt=$(curl -s "$OPENSEARCH_URL/tetragon-demo-*/_count?q=tags:time_missing" | jq -r .count)
[ "$nt" -ge 1 ] || bad "no document tagged time_missing"

# the report: severities with summaries and techniques, the LLM line, where to look
grep -q '^CRITICAL (' "$T/out" || bad "no CRITICAL section in the report"
grep -q '^HIGH (' "$T/out" || bad "no HIGH section in the report"
grep -q 'ATT&CK: T1059.004 ' "$T/out" || bad "no technique shown with its name"
grep -q 'where: pod shop/web-7d4b9c8f6d-x2x9q' "$T/out" || bad "findings do not say where"
grep -q '^  - .*[a-z]' "$T/out" || bad "findings carry no summary"
grep -q '^LLM' "$T/out" && grep -q 'DEMO_LLM=0' "$T/out" || bad "no LLM section"
grep -q '^Where to look' "$T/out" && grep -q "$OPENSEARCH_URL/tetragon-demo-\*/_search" "$T/out" ||
    bad "no pointer to OpenSearch"
[ $fail = 0 ] && echo "ok: demo exit 0, $got documents for $want distinct events, nothing dropped"
exit $fail
