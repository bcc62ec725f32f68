#!/bin/sh
# 40_sink_alerts.sh - incident alerts reach a real Alertmanager (built from
# the Go module proxy by services.sh) and a signed JSON webhook: one alert
# per incident and severity however many updates come (7 updates of two
# incidents -> high and critical for the attack, nothing for the low CI
# incident), resolved when the incident closes; the webhook's HMAC-SHA256
# signature verifies with the key from a file or the environment, and a
# 503 is retried; a replay of the same updates alerts nobody (OpenSearch
# refuses them as older); with Alertmanager down, indexing goes on and the
# failures are counted, the full queue's drops too, each said once.
. "$ROOT/tests/integration/sink/lib.sh"
setup_names alerts
sh "$ROOT/tests/services/services.sh" up alertmanager >"$T/am-up" 2>&1 ||
    fail "services.sh up alertmanager: $(cat "$T/am-up")"
. "$ROOT/build/services.env"
AM=$ALERTMANAGER_URL
FIX="$ROOT/tests/fixtures/incidents/incidents.jsonl"
INC="$PREFIX-inc"
ATTACK=inc-5f2c9e1a7b3d4c60
CI=inc-0c11d2e3f4a5b697
PID=
trap 'kill "$PID" "$PROXY" 2>/dev/null; exec 3>&- 2>/dev/null;
      os DELETE "/_index_template/$INC" >/dev/null 2>&1; cleanup' EXIT

alerts_of() { # incident id: its active alerts' severities, sorted, one line
    curl -sS "$AM/api/v2/alerts?filter=incident_id%3D%22$1%22" |
        jq -r '[.[] | .labels.severity] | sort | join(" ")'
}
sink() { # log extra-options...: stdin into the test's indices
    log=$1
    shift
    "$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" \
        --incident-index "$INC-%Y.%m.%d" "$@" 2>"$log"
}

printf 'k3y-%s\n' "$RUN" >"$T/key"
start_py webhook "$ROOT/tests/integration/sink/webhook.py" "$T/key" "$T/hooks" 1

# 1. the first five updates through a FIFO, so one sink sees the attack
# open (high, then critical) before it closes
mkfifo "$T/in"
sink "$T/e1" --alertmanager "$AM" --webhook "http://127.0.0.1:$PPORT/hook" \
    --webhook-secret-file "$T/key" --linger-ms 50 <"$T/in" &
PID=$!
exec 3>"$T/in"
head -n 5 "$FIX" >&3
i=0
while [ "$(alerts_of "$ATTACK")" != "critical high" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(alerts_of "$ATTACK")" = "critical high" ] ||
    fail "Alertmanager holds '$(alerts_of "$ATTACK")' for the attack, want critical and high"
[ "$(alerts_of "$CI")" = "" ] || fail "the low CI incident alerted: $(alerts_of "$CI")"
curl -sS "$AM/api/v2/alerts?filter=incident_id%3D%22$ATTACK%22" >"$T/am.json"
jq -e 'all(.[]; .labels.alertname == "TetragonIncident" and .labels.namespace == "shop"
        and .labels.pod == "checkout-7f9c6d5b8-x2lqp" and .labels.technique == "T1105"
        and .labels.cluster == "kind-shop" and (.annotations.summary | test("203.0.113.7"))
        and .status.state == "active")' "$T/am.json" >/dev/null ||
    fail "alert labels or annotations: $(cat "$T/am.json")"
ok "the attack open at high, then critical -> two active alerts with its labels; the CI incident none"

tail -n +6 "$FIX" >&3
exec 3>&-
wait "$PID" || fail "exit $?: $(cat "$T/e1")"
PID=
cat "$T/e1"
[ "$(alerts_of "$ATTACK")" = "" ] || fail "still active after the close: $(alerts_of "$ATTACK")"
for kv in alerts_fired=2 alerts_resolved=2 alerts_sent=8 incidents_indexed=7; do
    [ "$(summary_value "$T/e1" "${kv%%=*}")" = "${kv#*=}" ] || fail "summary: want $kv"
done
ok "the close resolves both: Alertmanager holds no active alert for the attack"

# the webhook: 4 deliveries (firing high, critical, resolved high, critical)
# plus the 503 the receiver answered first and the sender retried
[ "$(summary_value "$T/e1" alert_retries)" = 1 ] || fail "alert_retries != 1"
jq -s -e 'length == 5 and all(.[]; .verified) and .[0].status == 503 and
    ([.[1:][] | "\(.body.status) \(.body.severity)"] ==
     ["firing high", "firing critical", "resolved high", "resolved critical"]) and
    all(.[]; .body.incident_id == "'"$ATTACK"'" and .body.incident.pod == "checkout-7f9c6d5b8-x2lqp")' \
    "$T/hooks" >/dev/null || fail "webhook deliveries: $(jq -c '[.verified, .status, .body.status, .body.severity]' "$T/hooks")"
ok "webhook: 4 alerts for 7 updates, in order, each HMAC-SHA256 verified; a 503 was retried"

# 2. a replay of the same updates pages nobody (OpenSearch refuses them as
# older); the key comes from the environment this time
: >"$T/hooks"
TETRA_WEBHOOK_SECRET="k3y-$RUN" sink "$T/e2" --alertmanager "$AM" \
    --webhook "http://127.0.0.1:$PPORT/hook" <"$FIX" || fail "replay: exit $?"
[ "$(summary_value "$T/e2" incidents_stale)" = 7 ] || fail "replay: incidents_stale != 7"
[ "$(summary_value "$T/e2" alerts_fired)" = "" ] || fail "the replay fired alerts: $(cat "$T/e2")"
[ ! -s "$T/hooks" ] || fail "the replay reached the webhook"
tail -n 1 "$FIX" | jq -c '.incident.id = "inc-env" | .incident.version = 1' |
    TETRA_WEBHOOK_SECRET="k3y-$RUN" sink "$T/e3" --webhook "http://127.0.0.1:$PPORT/hook" ||
    fail "env key: exit $?"
jq -s -e 'length == 1 and .[0].verified and .[0].body.incident_id == "inc-env"' "$T/hooks" >/dev/null ||
    fail "env key: $(cat "$T/hooks")"
ok "a replay alerts nobody; the key from TETRA_WEBHOOK_SECRET signs as well"

# 3. Alertmanager down: every document still goes in, the failures are
# retried and counted, the full queue's drops counted, each said once
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
os DELETE "/$INC-*" >/dev/null
sh "$GEN" 200 "$RUN" >"$T/events"
cat "$T/events" "$FIX" | sink "$T/e4" --alertmanager "http://127.0.0.1:$DEAD" --alert-queue 1 \
    --drain-ms 3000 || fail "Alertmanager down: exit $?: $(cat "$T/e4")"
cat "$T/e4"
[ "$(summary_value "$T/e4" incidents_indexed)" = 7 ] || fail "incidents not indexed with Alertmanager down"
[ "$(summary_value "$T/e4" indexed)" = 207 ] || fail "indexed != 207 with Alertmanager down"
[ "$(summary_value "$T/e4" alert_retries)" -ge 1 ] 2>/dev/null || fail "no alert_retries counted"
[ "$(summary_value "$T/e4" alerts_dropped)" = 4 ] || fail "alerts_dropped != 4 (3 on a full queue, 1 at the end)"
[ "$(grep -c 'alertmanager: .*tried again' "$T/e4")" = 1 ] || fail "the failure was not said exactly once"
[ "$(grep -c 'queue is full' "$T/e4")" = 1 ] || fail "the full queue was not said exactly once"
ok "Alertmanager down: 207 documents indexed, retries and drops counted, each said once"
