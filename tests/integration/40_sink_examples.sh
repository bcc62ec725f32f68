#!/bin/sh
# 40_sink_examples.sh - examples/opensearch stays true:
# - index-template.json is what tetra-sink installs (--print-template);
# - dashboards.ndjson is a file the Dashboards 2.x _import API takes and whose
#   objects open: references resolve, indexRefName and panelRefName name
#   references, panels sit on the grid, and every charted field is a mapped
#   aggregatable field of that template (sink/savedobjects.py check);
# - the charts show data: events indexed by tetra-sink into the real
#   OpenSearch, each visualization's request (sink/savedobjects.py requests,
#   the _search its chart would send) run against the sink's indices must
#   give buckets holding the generated values, so a chart on a wrong but
#   mapped field fails too.
# No Dashboards server can be obtained here, so the import itself is not run.
# DASHBOARDS_NDJSON=path checks another file (e.g. a broken copy).
set -u
BIN=${BIN:-$ROOT/bin}
EX="$ROOT/examples/opensearch"
SOFILE=${DASHBOARDS_NDJSON:-$EX/dashboards.ndjson}
SO="$ROOT/tests/integration/sink/savedobjects.py"
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed (sink/savedobjects.py)"

"$BIN/tetra-sink" --print-template | jq -S . >"$W/printed" || fail "--print-template"
jq -S . "$EX/index-template.json" >"$W/example" || fail "example is not JSON"
cmp -s "$W/printed" "$W/example" || { diff "$W/printed" "$W/example" | head; fail "template drifted"; }
echo "ok: index-template.json equals --print-template"

# mapped leaf fields with their types: "process.executable keyword"
jq -r '.template.mappings.properties | paths(type == "object" and has("type") and (.type | type == "string")) as $p
       | [($p | map(select(. != "properties")) | join(".")), (getpath($p).type)] | @tsv' \
    "$W/printed" >"$W/fields"
grep -q '^process.executable	keyword$' "$W/fields" || fail "mapping walk broken: $(head -3 "$W/fields")"

python3 "$SO" check "$SOFILE" "$W/fields" >"$W/charted" || { cat "$W/charted"; fail "saved objects"; }
echo "ok: $(grep -c . "$SOFILE") saved objects import and open; fields charted: $(tr '\n' ' ' <"$W/charted")"

# ---- the charts against documents tetra-sink wrote ----
if [ -z "${OPENSEARCH_URL:-}" ]; then
    echo "OPENSEARCH_URL is not set: the charts were not run"
    exit 77
fi
. "$ROOT/tests/integration/sink/lib.sh"
setup_names examples
trap 'cleanup; rm -rf "$W"' EXIT
N=240

# what each chart must show of N >= 60 events of gen-events.sh (see its
# header), by visualization and agg id: days 1..3 of May 2024; binaries
# bin-0..4, namespaces ns-0..3, workloads wl-0..3; on enriched events all
# five severities and three techniques with their tactics; plain ones
# (i % 4 == 3) have no severity, the "not enriched" missing bucket
WANT=$(jq -n '{
  "tetragon-events-by-severity": {"2": ["2024-05-01", "2024-05-02", "2024-05-03"],
    "3": ["info", "low", "medium", "high", "critical", "__missing__"]},
  "tetragon-top-binaries": {"2": [range(5) | "/usr/bin/bin-\(.)"]},
  "tetragon-top-namespaces": {"2": [range(4) | "ns-\(.)"]},
  "tetragon-top-workloads": {"2": [range(4) | "wl-\(.)"]},
  "tetragon-attack-techniques": {"2": ["T1059.004", "T1105", "T1611"],
    "3": ["execution", "command-and-control", "privilege-escalation"]}
}')
FROM=2024-05-01T00:00:00.000Z TO=2024-05-03T23:59:59.999Z

sh "$GEN" "$N" "$RUN" >"$T/events"
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" <"$T/events" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/err"; fail "sink exit $rc"; }
[ "$(summary_value "$T/err" indexed)" = "$N" ] || { cat "$T/err"; fail "indexed != $N"; }
os POST "/$PREFIX-*/_refresh" >/dev/null
ok "$N events indexed into $PREFIX-*"

# the index pattern must be the one tetra-sink's default template covers;
# this run's indices, under the pattern its own template covers, stand in
pattern=$(jq -r '.index_patterns[0]' "$W/printed")
here=$(os GET "/_index_template/$TEMPLATE" | jq -r '.index_templates[0].index_template.index_patterns[0]')
[ "$here" = "$PREFIX-*" ] || fail "template $TEMPLATE covers '$here', not $PREFIX-*"
python3 "$SO" requests "$SOFILE" "$W/fields" "$FROM" "$TO" >"$T/requests" ||
    { cat "$T/requests"; fail "a visualization could not be translated"; }
nreq=0
while IFS= read -r req; do
    vis=$(printf '%s\n' "$req" | jq -r .vis)
    idx=$(printf '%s\n' "$req" | jq -r .index)
    [ "$idx" = "$pattern" ] || fail "$vis: index pattern $idx is not where tetra-sink writes ($pattern)"
    os POST "/$here/_search" "$(printf '%s\n' "$req" | jq -c .body)" >"$T/resp"
    jq -e '(._shards.failed == 0) and (.hits.total.value > 0) and has("aggregations")' "$T/resp" >/dev/null ||
        fail "$vis: failed search, no hits or no aggregations: $(head -c 800 "$T/resp")"
    # per bucket agg: the keys it has under any parent bucket (dates as days),
    # the values this chart must show, and those not found
    printf '%s\n' "$req" | jq -c --slurpfile r "$T/resp" --argjson want "$WANT" '
        [$r[0].aggregations | .. | objects | to_entries[]
         | select(.value | type == "object" and has("buckets"))] as $found
        | .vis as $vis | .aggs[] | . as $a
        | ([$found[] | select(.key == $a.id) | .value.buckets[] | (.key_as_string // .key | tostring)
            | if $a.type == "date_histogram" then .[0:10] else . end] | unique) as $keys
        | $want[$vis][$a.id] as $w
        | {id, field, keys: $keys, want: $w, lacking: (if $w == null then null else $w - $keys end)}' \
        >"$T/digest" || fail "$vis: cannot read the response"
    while IFS= read -r d; do
        what="$vis agg $(printf '%s\n' "$d" | jq -r '"\(.id) (\(.field))"')"
        printf '%s\n' "$d" | jq -e '.want != null' >/dev/null ||
            fail "$what: the test does not know what this chart must show (add it to WANT)"
        printf '%s\n' "$d" | jq -e '.keys | length > 0' >/dev/null || fail "$what: no buckets"
        printf '%s\n' "$d" | jq -e '.lacking == []' >/dev/null ||
            fail "$what: lacks $(printf '%s\n' "$d" | jq -c .lacking); buckets: $(printf '%s\n' "$d" | jq -c .keys)"
        ok "$what: $(printf '%s\n' "$d" | jq -r '.keys | join(" ")')"
    done <"$T/digest"
    nreq=$((nreq + 1))
done <"$T/requests"
[ "$nreq" -gt 0 ] || fail "no visualization was run"
ok "$nreq visualizations show the generated events"
exit 0
