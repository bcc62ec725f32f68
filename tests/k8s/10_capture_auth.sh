#!/bin/sh
# 10_capture_auth.sh - credentials and RBAC as tetra-capture --k8s meets
# them: a service account without pods/log gets an error that names the
# verb and resource to grant, keeps retrying, and streams once the Role is
# fixed; one that cannot list pods is told so; a token file holding a bad
# token fails with 401 until the file is rewritten (as the kubelet rotates
# projected tokens), then it streams; a kubeconfig with a client
# certificate, and one with everything inline (*-data), work.  The Role of
# examples/kubernetes/base/rbac.yaml is enough to stream.
# Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin
KC_OUT_ARGS="" # stdout: each run's own file
k8s_kubelet_start kl1 && k8s_node_create node1 kl1 && k8s_pod_create tetragon-1 node1 || fail "node"
kc_events tetragon-1 1 10 | k8s_append tetragon-1 || fail "append"
seq 1 10 | sed 's/^/tetragon-1-/' >"$K8S_DIR/want"
run_markers() { jq -r '.process_exec.process.arguments' "$K8S_DIR/$1.out" 2>/dev/null; }
run_has_all() { [ "$(run_markers "$1" | sort | uniq | wc -l)" -ge 10 ]; }
says() { grep -qF "$2" "$K8S_DIR/$1.err"; }
exactly() { run_markers "$1" | sort | cmp -s - "$K8S_DIR/want.sorted"; }
sort "$K8S_DIR/want" >"$K8S_DIR/want.sorted"

# --- no pods/log -----------------------------------------------------------------
k8s_sa_with_rules nolog '[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]' ||
    fail "service account nolog"
k8s_kubeconfig "$K8S_DIR/kc-nolog" token "$(k8s_sa_token nolog)" || fail "kubeconfig"
kc_start run-nolog --kubeconfig "$K8S_DIR/kc-nolog"
msg='forbidden: cannot get pods/log in namespace kube-system; grant get on pods/log'
k8s_wait_for 15 "the RBAC error" says run-nolog "$msg" || fail "no error naming pods/log"
grep -F "$msg" "$K8S_DIR/run-nolog.err" | head -n 1 | grep -qF 'cannot get resource "pods/log"' ||
    fail "the API server's own words are not in the message"
kc_alive || fail "tetra-capture gave up on a 403"
ok "without pods/log: $(grep -F "$msg" "$K8S_DIR/run-nolog.err" | head -n 1 | cut -c1-160)..."
k8s_api PUT /apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles/nolog "$(jq -cn \
    --argjson r "$K8S_CAPTURE_RULES" '{apiVersion:"rbac.authorization.k8s.io/v1",kind:"Role",
    metadata:{name:"nolog"},rules:$r}')" >/dev/null || fail "grant pods/log"
k8s_wait_for 40 "the events once pods/log is granted" run_has_all run-nolog || fail "no events after the grant"
kc_stop TERM || fail "exit $? on TERM"
exactly run-nolog || fail "events after the grant not exactly once"
ok "granted get on pods/log: it streams without a restart"

# --- cannot even list --------------------------------------------------------------
k8s_sa_with_rules nolist '[{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}]' ||
    fail "service account nolist"
k8s_kubeconfig "$K8S_DIR/kc-nolist" token "$(k8s_sa_token nolist)" || fail "kubeconfig"
kc_start run-nolist --kubeconfig "$K8S_DIR/kc-nolist"
k8s_wait_for 15 "the list error" says run-nolist \
    'forbidden: cannot list pods in namespace kube-system; grant list on pods' || fail "no error naming list pods"
kc_alive || fail "tetra-capture gave up"
kc_stop TERM
ok "without list: the error names list on pods"

# --- a token file rotated, with the Role of examples/kubernetes/base/rbac.yaml ----------------
rules=$(python3 -c 'import json, sys, yaml
print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Role"][0]["rules"]))' \
    "$ROOT/examples/kubernetes/base/rbac.yaml" 2>/dev/null) || rules=$K8S_CAPTURE_RULES
k8s_sa_with_rules capture "$rules" || fail "service account capture"
echo "not-a-valid-token" >"$K8S_DIR/token"
cat >"$K8S_DIR/kc-tokenfile" <<EOF2
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$K8S_SERVER", certificate-authority: pki/ca.crt}
users:
- name: u
  user:
    tokenFile: token
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
EOF2
kc_start run-rotate --kubeconfig "$K8S_DIR/kc-tokenfile"
k8s_wait_for 15 "the 401" says run-rotate 'unauthorized' || fail "no unauthorized error for a bad token"
k8s_sa_token capture >"$K8S_DIR/token.new" && mv "$K8S_DIR/token.new" "$K8S_DIR/token" || fail "token"
k8s_wait_for 20 "the events with the rotated token" run_has_all run-rotate || fail "the new token was not read"
kc_stop TERM
exactly run-rotate || fail "rotated token: not exactly once"
ok "a token file rewritten (rotation) is read again; relative paths resolve against the kubeconfig"

# --- client certificates, as files and inline --------------------------------------------
kc_start run-cert --kubeconfig "$K8S_KUBECONFIG_CERT"
k8s_wait_for 15 "events with a client certificate" run_has_all run-cert || fail "client certificate"
kc_stop TERM
b64() { base64 -w0 <"$1"; }
cat >"$K8S_DIR/kc-inline" <<EOF2
{"apiVersion": "v1", "kind": "Config", "current-context": "x",
 "clusters": [{"name": "x", "cluster": {"server": "$K8S_SERVER/",
   "certificate-authority-data": "$(b64 "$K8S_CA")"}}],
 "users": [{"name": "x", "user": {"client-certificate-data": "$(b64 "$K8S_DIR/pki/admin.crt")",
   "client-key-data": "$(b64 "$K8S_DIR/pki/admin.key")"}}],
 "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}]}
EOF2
kc_start run-inline --kubeconfig "$K8S_DIR/kc-inline"
k8s_wait_for 15 "events with inline credentials" run_has_all run-inline || fail "inline *-data kubeconfig"
kc_stop TERM
exactly run-inline || fail "inline: not exactly once"
ok "client certificate files, and a JSON kubeconfig with inline CA, certificate and key"

# --- no cluster at all: retried, not a crash ------------------------------------------------
port=$(k8s_free_ports 1)
sed "s#$K8S_SERVER#https://127.0.0.1:$port#" "$K8S_KUBECONFIG" >"$K8S_DIR/kc-down"
kc_start run-down --kubeconfig "$K8S_DIR/kc-down"
sleep 4
kc_alive || fail "an unreachable API server made it exit"
kc_stop TERM || fail "TERM while retrying: exit $?"
[ "$(grep -c 'retrying in' "$K8S_DIR/run-down.err")" -ge 2 ] || fail "no retries: $(cat "$K8S_DIR/run-down.err")"
ok "unreachable API server: retried with backoff ($(grep -o 'retrying in [0-9]* ms' "$K8S_DIR/run-down.err" | tr '\n' ' '))"
exit 0
