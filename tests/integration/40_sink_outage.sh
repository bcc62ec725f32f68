#!/bin/sh
# 40_sink_outage.sh - OpenSearch unreachable for 30 s mid-stream: the sink
# keeps running (retries with backoff, reading pauses), and when the
# cluster is back every event is indexed exactly once.  The outage is made
# by killing a TCP proxy between the sink and the shared OpenSearch (see
# sink/tcpproxy.py), so other tests' cluster is untouched.
. "$ROOT/tests/integration/sink/lib.sh"
command -v python3 >/dev/null || { echo "python3 is needed for the proxy"; exit 77; }
setup_names outage
N=${SINK_TEST_N:-20000}
OUTAGE=${SINK_OUTAGE_S:-30}
PROXY=
SPID=
trap 'kill $PROXY $SPID 2>/dev/null; cleanup' EXIT
hostport=${OS#http://}
hostport=${hostport%%/*}
oshost=${hostport%:*}
osport=${hostport##*:}

start_proxy() { # port (0: pick one)
    start_py proxy "$ROOT/tests/integration/sink/tcpproxy.py" "$1" "$oshost" "$osport"
}

sh "$GEN" "$N" "$RUN" >"$T/events"
start_proxy 0
"$SINK" --opensearch "http://127.0.0.1:$PPORT" --index "$INDEX" --template-name "$TEMPLATE" \
    --batch-docs 200 --inflight 2 --max-queued 2000 --retry-max-ms 2000 --timeout-ms 5000 \
    --drain-ms 120000 <"$T/events" 2>"$T/err" &
SPID=$!
i=0
while [ "$(count "$PREFIX-*")" -lt $((N / 5)) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill "$PROXY"
wait "$PROXY" 2>/dev/null
before=$(count "$PREFIX-*")
[ "$before" -lt "$N" ] || fail "everything was indexed before the outage began"
ok "cluster unreachable at $before of $N documents"
sleep "$OUTAGE"
kill -0 "$SPID" 2>/dev/null || fail "the sink did not survive the outage: $(cat "$T/err")"
during=$(count "$PREFIX-*")
ok "after ${OUTAGE} s the sink still runs; $during documents (in-flight requests may have landed)"
start_proxy "$PPORT"
wait "$SPID"
rc=$?
SPID=
cat "$T/err"
[ $rc -eq 0 ] || fail "exit $rc"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "$got documents, want $N"
r=$(summary_value "$T/err" retries)
[ "${r:-0}" -gt 0 ] || fail "no retries counted"
ok "$got of $N documents after the cluster came back ($r retries), none missing, none doubled"
exit 0
