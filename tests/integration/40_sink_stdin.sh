#!/bin/sh
# 40_sink_stdin.sh - tetra-sink from stdin into the real OpenSearch:
# N events in -> exactly N documents; the same input again -> still N (all
# 409s); a document OpenSearch rejects and a line that is not JSON end in the
# dead-letter file with their reasons while every other event is indexed;
# without --dlq the same two are dropped with a warning each and exit 1;
# searches by namespace, binary, severity and technique find exactly the
# documents generated for them; plain events sent again as binary protobuf
# (via tetra-capture -F proto) get the same _ids.
. "$ROOT/tests/integration/sink/lib.sh"
setup_names stdin
N=${SINK_TEST_N:-5000}

sh "$GEN" "$N" "$RUN" >"$T/events"
# one event OpenSearch must refuse (saddr is no IP) and one broken line
printf '%s\n' '{"process_kprobe":{"process":{"exec_id":"bad-1","binary":"/x"},"function_name":"tcp_connect","args":[{"sock_arg":{"saddr":"not-an-ip","daddr":"1.2.3.4"}}]},"node_name":"n","time":"2024-05-01T01:02:03Z"}' >>"$T/events"
printf '%s\n' '{"process_exec": nope' >>"$T/events"

"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" --dlq "$T/dlq" \
    <"$T/events" 2>"$T/err1"
rc=$?
cat "$T/err1"
[ $rc -eq 0 ] || fail "first run exit $rc"
[ "$(summary_value "$T/err1" indexed)" = "$N" ] || fail "indexed != $N"
[ "$(summary_value "$T/err1" rejected)" = 1 ] || fail "rejected != 1"
[ "$(summary_value "$T/err1" dead_lettered)" = 2 ] || fail "dead_lettered != 2"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "$got documents, want $N"
ok "$N events -> $got documents"

v=$(os GET "/_index_template/$TEMPLATE" | jq -r '.index_templates[0].index_template.version')
[ "$v" = "$("$SINK" --print-template | jq -r .version)" ] || fail "template version '$v'"
ok "template $TEMPLATE installed, version $v"

# the dead letters: the mapping error with OpenSearch's reason, the bad line
[ "$(wc -l <"$T/dlq")" -eq 2 ] || fail "dlq has $(wc -l <"$T/dlq") lines"
jq -e -s 'any(.[]; .reason == "os_rejected" and (.error | test("mapper_parsing_exception")))' "$T/dlq" >/dev/null ||
    fail "no os_rejected entry with the mapping error: $(cat "$T/dlq")"
jq -e -s 'any(.[]; .reason == "invalid_json")' "$T/dlq" >/dev/null || fail "no invalid_json entry"
ok "rejected document and broken line are in the dead-letter file with reasons"
jq -e -s 'any(.[]; .reason == "invalid_json" and .line == '"$((N + 2))"')' "$T/dlq" >/dev/null ||
    fail "the invalid_json entry does not name line $((N + 2)): $(cat "$T/dlq")"

# a record longer than --max-record and the head the framer keeps: its
# entry keeps the head and says truncated, its full size and its line
{
    head -n 2 "$T/events"
    awk 'BEGIN { s = "{\"process_exec\":{\"process\":{\"binary\":\""; for (i = 0; i < 10000; i++) s = s "x"; print s "\"}}}" }'
} >"$T/long"
"$SINK" --emit-bulk --max-record-bytes 1024 --dlq "$T/dlq-long" <"$T/long" >/dev/null 2>"$T/errl"
jq -e 'select(.reason == "too_long") | .truncated == true and .size > 10000 and .line == 3' \
    "$T/dlq-long" >/dev/null || fail "too_long entry: $(cut -c1-300 "$T/dlq-long")"
ok "a too long record's entry says truncated, its size and its line"

# a large stdin (several MB, many reads) is read to its very end
cat "$T/events" "$T/events" "$T/events" "$T/events" | "$SINK" --emit-bulk 2>"$T/erre" >"$T/bulk"
[ "$(summary_value "$T/erre" emitted)" = $((4 * (N + 1))) ] || fail "emit: $(cat "$T/erre")"
[ "$(wc -l <"$T/bulk")" = $((8 * (N + 1))) ] || fail "emit: $(wc -l <"$T/bulk") lines"
ok "$((4 * (N + 2))) records on stdin, all handled"

# replay: nothing new.  No --dlq this time, so the refused document and
# the broken line are dropped: the sink goes on, warns where they were and
# exits 1 saying how many
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" <"$T/events" \
    2>"$T/err2" >/dev/null
rc=$?
cat "$T/err2"
[ $rc -eq 1 ] || fail "replay with 2 records dropped: exit $rc, want 1"
grep -q "error: 2 records were dropped.*--dlq" "$T/err2" || fail "no error line counting the dropped records"
grep -q "dropped the record at stdin line $((N + 2)) (invalid_json" "$T/err2" ||
    fail "the broken line's warning does not say where it was"
[ "$(summary_value "$T/err2" dropped)" = 2 ] || fail "dropped != 2"
[ "$(summary_value "$T/err2" duplicates)" = "$N" ] || fail "replay: duplicates != $N"
[ "$(summary_value "$T/err2" indexed)" = 0 ] || fail "replay indexed something"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "after replay $got documents, want $N"
ok "replay -> still $got documents"

# searches
check() { # what query awk-condition
    want=$(expect_n "$N" "$3")
    got=$(count "$PREFIX-*" "$2")
    [ "$got" = "$want" ] || fail "$1: $got hits, want $want"
    ok "$1: $got hits"
}
check "namespace ns-1" '{"term":{"orchestrator.namespace":"ns-1"}}' 'i % 4 == 1'
check "binary bin-2" '{"term":{"process.executable":"/usr/bin/bin-2"}}' 'i % 5 == 2'
check "severity 4" '{"term":{"event.severity":4}}' 'i % 4 != 3 && i % 5 == 3'
check "severity >= 4" '{"range":{"event.severity":{"gte":4}}}' 'i % 4 != 3 && i % 5 >= 3'
check "technique T1105" '{"term":{"threat.technique.id":"T1105"}}' 'i % 4 != 3 && i % 3 == 1'
check "destination port 443" '{"term":{"destination.port":443}}' 'i % 10 == 9'
check "label app=a3" '{"term":{"orchestrator.resource.label":"app=a3"}}' 'i % 7 == 3'
check "one argument arg17" '{"term":{"process.args":"arg17"}}' 'i == 17'
check "a word of the command line" '{"match":{"process.command_line":"arg17"}}' 'i == 17'

# a cluster that answers 401: the sink stops and says why the records it
# held were not delivered (no drain ran, so not "the drain time")
cat >"$T/deny.py" <<'EOF'
import http.server
class Deny(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error":"no credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_PUT = do_GET = do_POST
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Deny)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
start_py "401 server" "$T/deny.py"
head -n 50 "$T/events" | "$SINK" --no-template --opensearch "http://127.0.0.1:$PPORT" --dlq "$T/dlq-401" \
    2>"$T/err401" >/dev/null
rc=$?
kill "$PROXY"
cat "$T/err401"
[ $rc -eq 1 ] || fail "401: exit $rc, want 1"
grep -q 'HTTP 401' "$T/err401" || fail "401: no status in the error"
grep -q 'not delivered because of the error above' "$T/err401" || fail "401: no reason for the undelivered records"
! grep -q 'drain' "$T/err401" || fail "401: blames the drain time"
ok "401: exit 1, and the undelivered records are put down to the refusal"

# a stop while the template waits for an unreachable cluster is a stop:
# said so, exit 0, nothing read
"$SINK" --opensearch "http://127.0.0.1:1" --index "$INDEX" --template-name "$TEMPLATE" \
    <"$T/events" 2>"$T/errstop" >/dev/null &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
cat "$T/errstop"
[ $rc -eq 0 ] || fail "SIGTERM while the template is retried: exit $rc, want 0"
grep -q 'stopped before the index template could be installed' "$T/errstop" ||
    fail "SIGTERM while the template is retried: no message"
[ "$(summary_value "$T/errstop" read)" = 0 ] || fail "read records before the template was there"
ok "SIGTERM while the template is retried: said so, exit 0"

# the same plain events as binary protobuf: same _ids, so all duplicates
if [ -x "$BIN/tetra-capture" ]; then
    grep -v '^{"event"' "$T/events" | head -n -2 >"$T/plain"
    k=$(wc -l <"$T/plain")
    "$BIN/tetra-capture" -F proto <"$T/plain" 2>/dev/null |
        "$SINK" -I proto --input-type event --opensearch "$OS" --index "$INDEX" \
            --template-name "$TEMPLATE" 2>"$T/err3"
    cat "$T/err3"
    [ "$(summary_value "$T/err3" duplicates)" = "$k" ] || fail "proto: duplicates != $k"
    ok "$k plain events as protobuf -> the same _ids"
fi
exit 0
