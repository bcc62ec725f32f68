#!/bin/sh
# 00_cluster_smoke.sh - the Kubernetes test harness itself works: a real
# kube-apiserver proxies pods/log to a fake kubelet fed with Tetragon events.
#
# Every other test in tests/k8s stands on this, so it checks what they rely
# on, through the API server as tetra-capture will see it: the events come
# back whole and in order; timestamps=true prefixes them; sinceTime filters
# at whole seconds; follow=true streams appended lines and a cut stream ends
# mid-line; RBAC without pods/log is a 403 naming pods/log while the Role of
# examples/kubernetes is enough; the API server restarts on the same port;
# and k8s_down leaves no process behind.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SAMPLES_DIR=${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}
. "$ROOT/tests/k8s/lib.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

k8s_init
rc=$?
[ $rc = 0 ] || exit $rc
T=$K8S_DIR/t
mkdir -p "$T"

# Two real Tetragon events, one JSON object a line.
if [ -f "$SAMPLES_DIR/events.json" ]; then
    head -n 2 "$SAMPLES_DIR/events.json" >"$T/events"
else
    cat >"$T/events" <<'EOF'
{"process_exec":{"process":{"exec_id":"a2luZDoxOjE=","pid":4242,"uid":0,"binary":"/usr/bin/cat","arguments":"/etc/shadow","start_time":"2024-05-01T10:00:00.000000001Z"},"parent":{"pid":1}},"node_name":"node1","time":"2024-05-01T10:00:00.000000002Z"}
{"process_exit":{"process":{"exec_id":"a2luZDoxOjE=","pid":4242,"uid":0,"binary":"/usr/bin/cat","start_time":"2024-05-01T10:00:00.000000001Z"},"status":0},"node_name":"node1","time":"2024-05-01T10:00:01.000000000Z"}
EOF
fi
[ "$(wc -l <"$T/events")" = 2 ] || fail "need two sample events"

k8s_up || fail "the cluster did not come up"
k8s_kubelet_start kl1 || fail "fake kubelet did not start"
k8s_node_create node1 kl1 || fail "node"
k8s_pod_create tetragon-smoke node1 || fail "pod"
ok "cluster, node and pod up"

POD=/api/v1/namespaces/kube-system/pods/tetragon-smoke
LOG="$POD/log?container=export-stdout"

# --- the pod as a client sees it -----------------------------------------
k8s_api GET "/api/v1/namespaces/kube-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dtetragon" \
    >"$T/pods.json" || fail "list pods"
[ "$(jq -r '.items | length' "$T/pods.json")" = 1 ] || fail "selector lists $(jq '.items|length' "$T/pods.json") pods"
[ "$(jq -r '.items[0].status.phase' "$T/pods.json")" = Running ] || fail "pod not Running"
k8s_api GET /api/v1/nodes/node1 | jq -e --argjson p "$(k8s_kubelet_port kl1)" \
    '.status.daemonEndpoints.kubeletEndpoint.Port == $p' >/dev/null || fail "node kubelet port"

# --- plain log -----------------------------------------------------------
k8s_append tetragon-smoke <"$T/events" || fail "append"
k8s_api GET "$LOG" >"$T/plain" || fail "GET pods/log"
cmp -s "$T/events" "$T/plain" || { diff "$T/events" "$T/plain" | head -5; fail "log differs from the events"; }
ok "pods/log returns both events through the API server"

# --- timestamps ----------------------------------------------------------
k8s_api GET "$LOG&timestamps=true" >"$T/ts" || fail "GET timestamps"
[ "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z \{' "$T/ts")" = 2 ] ||
    { cat "$T/ts"; fail "timestamps=true lines are not '<RFC3339Nano> <event>'"; }
cut -d' ' -f2- "$T/ts" | cmp -s - "$T/events" || fail "timestamps=true changed the events"
first_ts=$(head -n 1 "$T/ts" | cut -d' ' -f1)
ok "timestamps=true prefixes each event with its time"

# --- sinceTime: a third event in a later second --------------------------
s1=$(echo "$first_ts" | cut -c1-19)Z
while [ "$(date -u +%Y-%m-%dT%H:%M:%SZ)" = "$s1" ]; do sleep 0.1; done
echo '{"process_exec":{"process":{"pid":3,"binary":"/bin/third"}},"time":"2024-05-01T10:00:03Z"}' |
    k8s_append tetragon-smoke || fail "append third"
s3=$(tail -n 1 "$(k8s_pod_log_file tetragon-smoke)" | cut -c1-19)Z
k8s_api GET "$LOG&sinceTime=$s1" >"$T/since1" || fail "GET sinceTime"
[ "$(wc -l <"$T/since1")" = 3 ] || fail "sinceTime=$s1 gave $(wc -l <"$T/since1") lines, want 3"
k8s_api GET "$LOG&sinceTime=$s3" >"$T/since3" || fail "GET sinceTime"
[ "$(wc -l <"$T/since3")" = 1 ] && grep -q /bin/third "$T/since3" ||
    { cat "$T/since3"; fail "sinceTime=$s3 should give only the third event"; }
ok "sinceTime keeps events from that second on"

# --- follow, then a cut mid-line -----------------------------------------
curl -sSN --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" \
    "$K8S_SERVER$LOG&follow=true&sinceTime=$s3" >"$T/follow" 2>"$T/follow.err" &
curl_pid=$!
streams() { k8s_kubelet_streams kl1 | jq -e "length == $1" >/dev/null; }
lines_in() { [ "$(wc -l <"$2")" -ge "$1" ]; }
k8s_wait_for 10 "the follow stream at the kubelet" streams 1 || fail "no follow stream"
k8s_wait_for 10 "the first followed line" lines_in 1 "$T/follow" || fail "follow sent nothing"
echo '{"process_exec":{"process":{"pid":4,"binary":"/bin/fourth"}}}' | k8s_append tetragon-smoke
k8s_wait_for 10 "the appended line on the follow stream" lines_in 2 "$T/follow" ||
    { cat "$T/follow"; fail "an appended line did not arrive on the follow stream"; }
k8s_kubelet_cut kl1 midline | jq -e '.streams == 1' >/dev/null || fail "cut did not find the stream"
fifth='{"process_exec":{"process":{"pid":5,"binary":"/bin/fifth-line-cut-in-half"}}}'
echo "$fifth" | k8s_append tetragon-smoke
gone() { ! kill -0 "$curl_pid" 2>/dev/null; }
k8s_wait_for 10 "the cut stream to end" gone || { kill "$curl_pid"; fail "the stream stayed open after a cut"; }
wait "$curl_pid"
curl_rc=$?
[ "$(sed -n 2p "$T/follow")" = '{"process_exec":{"process":{"pid":4,"binary":"/bin/fourth"}}}' ] ||
    fail "follow: second line wrong"
tail_part=$(tail -c 200 "$T/follow" | tail -n 1)
[ -n "$tail_part" ] && [ "$(tail -c 1 "$T/follow" | od -An -c | tr -d ' ')" != '\n' ] ||
    fail "the cut stream did not end with a partial line"
case $fifth in "$tail_part"*) ;; *) fail "the partial line '$tail_part' is not a prefix of the fifth event" ;; esac
ok "follow streams appended events; a cut ends the stream mid-line (curl exit $curl_rc: $(cat "$T/follow.err"))"
k8s_wait_for 10 "the kubelet to close the stream" streams 0 || fail "the kubelet still has the stream"

# --- RBAC ----------------------------------------------------------------
k8s_sa_with_rules nolog '[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]' ||
    fail "service account nolog"
tok=$(k8s_sa_token nolog) || fail "TokenRequest"
k8s_api_as "$tok" GET /api/v1/namespaces/kube-system/pods >/dev/null || fail "nolog cannot list pods"
k8s_api_as "$tok" GET "$LOG" >/dev/null 2>"$T/denied" && fail "nolog read pods/log"
[ "$K8S_LAST_STATUS" = 403 ] || fail "nolog got $K8S_LAST_STATUS, want 403"
grep -F 'cannot get resource' "$T/denied" | grep -qF 'pods/log' || { cat "$T/denied"; fail "403 does not name pods/log"; }
ok "without pods/log: 403, $(sed 's/^[^{]*//' "$T/denied" | jq -r .message)"
k8s_sa_with_rules capture "$K8S_CAPTURE_RULES" || fail "service account capture"
tok=$(k8s_sa_token capture) || fail "TokenRequest"
k8s_api_as "$tok" GET "$LOG" | grep -c . | grep -qx 5 || fail "the capture Role cannot read the log"
k8s_api_as "$tok" GET /api/v1/namespaces/default/pods >/dev/null 2>&1 && fail "capture Role leaks to default"
ok "the capture Role reads pods/log in kube-system only"

# --- client certificate, restart, kubelet TLS verification ---------------
curl -sSf --cacert "$K8S_CA" --cert "$K8S_DIR/pki/admin.crt" --key "$K8S_DIR/pki/admin.key" \
    "$K8S_SERVER/api/v1/namespaces/kube-system/pods/tetragon-smoke" | jq -e '.metadata.name' >/dev/null ||
    fail "admin client certificate rejected"
k8s_kubelet_start kl2 self && k8s_node_create node2 kl2 && k8s_pod_create tetragon-self node2 ||
    fail "second node"
echo '{"process_exec":{"process":{"pid":6}}}' | k8s_append tetragon-self
LOG2=/api/v1/namespaces/kube-system/pods/tetragon-self/log?container=export-stdout
k8s_api GET "$LOG2" | grep -q '"pid":6' || fail "unverified kubelet TLS should be accepted"
old_pid=$(cat "$K8S_DIR/pids/kube-apiserver.pid")
K8S_APISERVER_FLAGS="--kubelet-certificate-authority $K8S_CA"
k8s_restart_apiserver || fail "restart"
[ "$(cat "$K8S_DIR/pids/kube-apiserver.pid")" != "$old_pid" ] || fail "restart kept the old process"
k8s_api GET "$LOG" | grep -c . | grep -qx 5 || fail "log after restart, kubelet cert of the cluster CA"
k8s_api GET "$LOG2" >/dev/null 2>"$T/x509" && fail "a self-signed kubelet passed verification"
x509_status=$K8S_LAST_STATUS
grep -q x509 "$T/x509" || { cat "$T/x509"; fail "the verification error does not say x509"; }
k8s_api GET "$LOG2&insecureSkipTLSVerifyBackend=true" | grep -q '"pid":6' ||
    fail "insecureSkipTLSVerifyBackend=true should bypass verification"
ok "admin client certificate works; the API server restarted on $K8S_SERVER;" \
    "with --kubelet-certificate-authority a self-signed kubelet is refused" \
    "($x509_status) unless insecureSkipTLSVerifyBackend=true"

# --- deleting a pod ends its stream, as the kubelet does -------------------
curl -sSN --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" \
    "$K8S_SERVER$LOG&follow=true" >"$T/follow2" 2>"$T/follow2.err" &
curl_pid=$!
k8s_wait_for 10 "the second follow stream" streams 1 || fail "no follow stream"
k8s_pod_delete tetragon-smoke || fail "delete pod"
k8s_wait_for 10 "the stream of the deleted pod to end" gone || { kill "$curl_pid"; fail "stream outlived its pod"; }
wait "$curl_pid" || fail "the deleted pod's stream did not end cleanly: $(cat "$T/follow2.err")"
k8s_api GET "$POD" >/dev/null 2>&1 && fail "the pod is still there"
[ "$K8S_LAST_STATUS" = 404 ] || fail "deleted pod: $K8S_LAST_STATUS, want 404"
ok "deleting a pod removes it at once and ends its log stream cleanly"

# --- teardown ------------------------------------------------------------
pids=$(cat "$K8S_DIR"/pids/*.pid)
k8s_down || fail "processes left after k8s_down"
for p in $pids; do kill -0 "$p" 2>/dev/null && fail "pid $p still runs"; done
curl -sk "$K8S_SERVER/readyz" >/dev/null 2>&1 && fail "the API server still answers"
trap - EXIT
ok "everything stopped, no process left"
exit 0
