#!/bin/sh
# 40_sink_incidents.sh - incident records into the real OpenSearch, from
# stdin (interleaved with events) and from their own Kafka topic (binary
# protobuf, keyed by incident id): each incident is one document under its
# id in the incident indices, the latest version wins whatever order the
# updates come in, a replay of older versions changes nothing and counts as
# stale (not as an error), and the consumer commits the incident topic so a
# restart reads nothing again.  The records are the hand-written fixtures
# of the producer's contract (tests/fixtures/incidents): one attack in five
# updates (medium -> high -> critical -> closed) and one CI build in two.
. "$ROOT/tests/integration/sink/lib.sh"
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS is not set"; exit 77; }
setup_names incidents
FIX="$ROOT/tests/fixtures/incidents/incidents.jsonl"
INC="$PREFIX-inc"
ATTACK=inc-5f2c9e1a7b3d4c60
CI=inc-0c11d2e3f4a5b697
N=300
PID=
trap 'stop_sink KILL; os DELETE "/_index_template/$INC" >/dev/null 2>&1;
      os DELETE "/_index_template/$PREFIX-kinc" >/dev/null 2>&1; cleanup' EXIT

sink_stdin() { # log: stdin into the test's indices
    "$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" \
        --incident-index "$INC-%Y.%m.%d" 2>"$1"
}
doc() { # index id: the stored incident's "version status" and the update
    # number inside _version (tetra-sink's order key: last event time in ms,
    # status, update number in the low 18 bits; read as text, since jq's
    # doubles cannot hold it)
    os POST "/$1/_refresh" >/dev/null
    os GET "/$1/_doc/$2" >"$T/doc.json"
    v=$(grep -o '"_version":[0-9]*' "$T/doc.json" | cut -d: -f2)
    printf '%s %s\n' "$(jq -r '"\(._source.incident.version) \(._source.incident.status)"' "$T/doc.json")" \
        "$(( ${v:-0} & 262143 ))"
}

# 1. events and incident lines interleaved on stdin
sh "$GEN" "$N" "$RUN" >"$T/events"
awk -v fix="$FIX" 'NR % 40 == 0 && (getline l < fix) > 0 { print l } { print }
    END { while ((getline l < fix) > 0) print l }' "$T/events" >"$T/mixed"
[ "$(grep -c '^{"incident"' "$T/mixed")" = 7 ] || fail "the mixed input lacks incident lines"
sink_stdin "$T/e1" <"$T/mixed" || fail "exit $?: $(cat "$T/e1")"
cat "$T/e1"
[ "$(summary_value "$T/e1" indexed)" = $((N + 7)) ] || fail "indexed != $((N + 7))"
[ "$(summary_value "$T/e1" incidents_read)" = 7 ] || fail "incidents_read != 7"
[ "$(summary_value "$T/e1" incidents_indexed)" = 7 ] || fail "incidents_indexed != 7"
[ "$(count "$PREFIX-2*")" = "$N" ] || fail "$(count "$PREFIX-2*") event documents, want $N"
[ "$(count "$INC-*")" = 2 ] || fail "$(count "$INC-*") incident documents, want 2"
[ "$(doc "$INC-2026.11.20" "$ATTACK")" = "5 closed 5" ] ||
    fail "attack incident: $(doc "$INC-2026.11.20" "$ATTACK"), want version 5, closed"
[ "$(doc "$INC-2026.11.20" "$CI")" = "2 closed 2" ] || fail "CI incident: $(doc "$INC-2026.11.20" "$CI")"
ok "$N events and 7 incident updates on stdin -> $N event documents, 2 incidents at their latest version"

v=$(os GET "/_index_template/$INC" | jq -r '.index_templates[0].index_template.version')
[ "$v" = 1 ] || fail "incident template $INC: version '$v'"
m=$(os GET "/$INC-2026.11.20/_mapping" | jq -r '.[].mappings.properties.incident.properties |
    "\(.first_time.type) \(.severity_score.type) \(.exec_ids.type) \(.events.properties.arguments.type)"')
[ "$m" = "date_nanos long keyword text" ] || fail "incident mapping: $m"
# the link to the events: the steps' processes are process.entity_id there
ids=$(os GET "/$INC-2026.11.20/_doc/$ATTACK" | jq -c '._source.incident.exec_ids | length')
[ "$ids" = 5 ] || fail "exec_ids of the attack: $ids, want 5"
ok "incident template $INC v1 maps times, scores, exec ids and arguments"

# 1b. the Dashboards view (examples/opensearch/incidents.ndjson): it imports
# and opens against the incident template's mapping, its chart finds the
# incidents by severity, and its link from an incident's processes to their
# events (process.entity_id in tetragon-events-*) finds the event
SO="$ROOT/tests/integration/sink/savedobjects.py"
os GET "/_index_template/$INC" | jq -r '.index_templates[0].index_template.template.mappings.properties
    | paths(type == "object" and has("type") and (.type | type == "string")) as $p
    | [($p | map(select(. != "properties")) | join(".")), (getpath($p).type)] | @tsv' >"$T/fields"
python3 "$SO" check "$ROOT/examples/opensearch/incidents.ndjson" "$T/fields" >"$T/charted" ||
    fail "incidents.ndjson: $(cat "$T/charted")"
python3 "$SO" requests "$ROOT/examples/opensearch/incidents.ndjson" "$T/fields" \
    2026-11-20T00:00:00.000Z 2026-11-20T23:59:59.999Z >"$T/requests" || fail "requests: $(cat "$T/requests")"
[ "$(wc -l <"$T/requests")" = 1 ] || fail "want one visualization in incidents.ndjson"
jq -r '.index' "$T/requests" | grep -qx 'tetragon-incidents-\*' || fail "the view is not on tetragon-incidents-*"
os POST "/$INC-*/_search" "$(jq -c .body "$T/requests")" >"$T/resp"
sevs=$(jq -r '[.aggregations | .. | objects | select(has("buckets")) | .buckets[] | .key
    | strings] | unique | join(" ")' "$T/resp")
[ "$sevs" = "critical low" ] || fail "incidents by severity: '$sevs', want critical and low"
link=$(jq -r 'select(.type == "index-pattern") | .attributes.fieldFormatMap | fromjson
    | .["incident.exec_ids"].params.urlTemplate' "$ROOT/examples/opensearch/incidents.ndjson")
case $link in *"process.entity_id"*"{{value}}"*) ;; *) fail "exec_ids link: $link" ;; esac
sh_id=$(os GET "/$INC-2026.11.20/_doc/$ATTACK" | jq -r '._source.incident.exec_ids[1]')
printf '{"process_exec":{"process":{"exec_id":"%s","binary":"/bin/sh","pod":{"namespace":"shop","name":"checkout-7f9c6d5b8-x2lqp"}}},"node_name":"kind-worker2","time":"2026-11-20T09:14:02.118Z"}\n' \
    "$sh_id" | sink_stdin "$T/e1b" || fail "the linked event: exit $?"
hits=$(count "$PREFIX-2*" "{\"term\":{\"process.entity_id\":\"$sh_id\"}}")
[ "$hits" = 1 ] || fail "the link's query finds $hits events for $sh_id, want 1"
ok "Dashboards view: imports and opens, charts critical and low, links a process to its event"

# 2. a replay, newest first: every older update is refused, nothing changes
tac "$FIX" | sink_stdin "$T/e2" || fail "replay: exit $?: $(cat "$T/e2")"
cat "$T/e2"
[ "$(summary_value "$T/e2" incidents_indexed)" = "" ] || fail "the replay indexed something"
[ "$(summary_value "$T/e2" incidents_stale)" = 7 ] || fail "incidents_stale != 7"
[ "$(summary_value "$T/e2" rejected)" = 0 ] || fail "stale updates counted as rejected"
[ "$(doc "$INC-2026.11.20" "$ATTACK")" = "5 closed 5" ] || fail "the replay changed the attack"
ok "a replay of older versions converges: 7 stale, none rejected, documents unchanged"

# 3. a newer version still goes in
tail -n 1 "$FIX" | jq -c '.incident.version = 6 | .incident.summary = "reviewed: reverse shell"' |
    sink_stdin "$T/e3" || fail "v6: exit $?"
[ "$(doc "$INC-2026.11.20" "$ATTACK")" = "6 closed 6" ] || fail "version 6 not stored"
ok "a newer version replaces the stored one"

# 4. Kafka: incidents on their own topic as binary protobuf keyed by id,
# in an order that has the newest update of the attack first
ETOPIC="$PREFIX-ev"
ITOPIC="$PREFIX-it"
GROUP="$PREFIX-g"
python3 "$ROOT/tests/integration/sink/incident-pb.py" "$T/pb" <"$FIX" || fail "incident-pb.py"
for n in 6 0 2 3 4 5 1; do
    protoc --encode=tetragonsidekick.IncidentRecord -I"$ROOT/proto" -I/usr/include \
        tetragonsidekick/incident.proto <"$T/pb/$n.txt" >"$T/pb/$n.bin" || fail "protoc --encode"
    kcat -P -b "$KAFKA_BROKERS" -t "$ITOPIC" -k "$(cat "$T/pb/$n.key")" "$T/pb/$n.bin" ||
        fail "kcat -P"
done
head -n 50 "$T/events" | kcat -P -b "$KAFKA_BROKERS" -t "$ETOPIC" || fail "kcat -P events"
start_kafka() { # log
    "$SINK" -b "$KAFKA_BROKERS" -t "$ETOPIC" --incident-topic "$ITOPIC" -G "$GROUP" \
        --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" \
        --incident-index "$PREFIX-kinc-%Y.%m.%d" 2>"$1" &
    PID=$!
}
start_kafka "$T/k1"
i=0
while [ "$(count "$PREFIX-kinc-*")" != 2 ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
sleep 2 # the older updates of the attack follow its newest
stop_sink TERM || fail "kafka: exit $? after SIGTERM: $(cat "$T/k1")"
cat "$T/k1"
[ "$(summary_value "$T/k1" incidents_read)" = 7 ] || fail "kafka: incidents_read != 7"
[ "$(summary_value "$T/k1" incidents_indexed)" = 2 ] || fail "kafka: incidents_indexed != 2"
[ "$(summary_value "$T/k1" incidents_stale)" = 5 ] || fail "kafka: incidents_stale != 5"
[ "$(doc "$PREFIX-kinc-2026.11.20" "$ATTACK")" = "5 closed 5" ] ||
    fail "kafka: attack incident $(doc "$PREFIX-kinc-2026.11.20" "$ATTACK"), want its newest (5)"
[ "$(count "$PREFIX-2*")" = $((N + 1)) ] || fail "kafka: event documents changed"
ok "Kafka: 7 binary updates newest first -> 2 incidents at their latest version, 5 stale"

start_kafka "$T/k2"
sleep 8
stop_sink TERM || fail "kafka restart: exit $?"
cat "$T/k2"
[ "$(summary_value "$T/k2" read)" = 0 ] || fail "a restart on the same group read records again"
ok "both topics' offsets were committed: a restart reads nothing again"

# usage: --incident-topic needs -t, and not the same topic
"$SINK" --opensearch "$OS" --incident-topic "$ITOPIC" </dev/null 2>"$T/u1"
[ $? = 2 ] || fail "--incident-topic without -t: not a usage error"
"$SINK" -b "$KAFKA_BROKERS" -t "$ITOPIC" --incident-topic "$ITOPIC" --opensearch "$OS" 2>"$T/u2"
[ $? = 2 ] || fail "--incident-topic equal to -t: not a usage error"
ok "--incident-topic without -t, or equal to it, is a usage error"
