# lib.sh - a real Kubernetes control plane for one test, sourced by tests/k8s/*.sh.
#
# Starts etcd and kube-apiserver (built by tools/k8s/build.sh) on free
# loopback ports with their data under build/k8s/<test>/, plus fake kubelets
# (tools/k8s/fakekubelet) that serve container logs from files.  Nodes are
# registered with InternalIP 127.0.0.1 and the kubelet port of a fake
# kubelet, so GET pods/{name}/log goes through the real API server to a
# kubelet the test feeds.  No kubectl: curl and jq against the REST API.
# POSIX sh, because tests/run.sh runs the tests with sh.
#
# Typical use:
#   . "$ROOT/tests/k8s/lib.sh"
#   k8s_init || exit $?          # builds if needed, traps EXIT to k8s_down
#   k8s_up || exit 1             # etcd + kube-apiserver + admin kubeconfig
#   k8s_kubelet_start kl1 && k8s_node_create node1 kl1 && k8s_pod_create tetragon-a node1
#   printf '%s\n' "$json" | k8s_append tetragon-a
#   ... run the program under test with --kubeconfig "$K8S_KUBECONFIG" ...
#   k8s_down || exit 1           # also fails if a process is left
#
# After k8s_up: K8S_DIR, K8S_SERVER (https://127.0.0.1:PORT), K8S_CA (the
# cluster CA file), K8S_TOKEN (admin bearer token, group system:masters),
# K8S_KUBECONFIG (admin, token), K8S_KUBECONFIG_CERT (admin, client cert).
# Every function returns non-zero on failure with a message on stderr, and
# keeps its variables local (dash, bash and busybox sh all have "local"), so
# a test's own variables are never overwritten.

# Run directly (tests/run.sh runs every tests/k8s/*.sh), this is no test.
case $(basename -- "$0") in
lib.sh) echo "lib.sh: a library sourced by the tests in tests/k8s, not a test"; exit 77 ;;
esac

: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
K8S_BIN=$ROOT/build/k8s/bin
K8S_NS_DEFAULT=kube-system

k8s_log() { echo "k8s: $*" >&2; }

# k8s_init [NAME]: fresh state dir build/k8s/NAME (default: the test's file
# name), the binaries built, and k8s_down on exit.  Returns 77 when a tool
# the harness needs is missing, so the caller can skip.
k8s_init() {
    local tool rc
    K8S_NAME=${1:-$(basename -- "$0" .sh)}
    K8S_DIR=$ROOT/build/k8s/$K8S_NAME
    K8S_API_PORT="" K8S_API_FRESH=""
    for tool in curl jq openssl; do
        if ! command -v $tool >/dev/null 2>&1; then
            k8s_log "$tool is missing (apt-get install $tool)"
            return 77
        fi
    done
    sh "$ROOT/tools/k8s/build.sh" all
    rc=$?
    [ $rc = 0 ] || return $rc
    k8s_lock || return 1
    if [ -d "$K8S_DIR/pids" ]; then k8s_down >/dev/null 2>&1; fi
    rm -rf "$K8S_DIR" && mkdir -p "$K8S_DIR/pids" "$K8S_DIR/nodes" "$K8S_DIR/pods" || return 1
    trap 'k8s_down' EXIT
    trap 'exit 130' INT TERM
}

# --- processes -----------------------------------------------------------

# k8s_lock: one run of a test at a time per checkout, since its state
# directory is fixed (two engineers running make test-k8s in one tree would
# otherwise wipe each other's cluster).  The lock is fd 9, inherited by every
# process the test starts, so it is free again only when all have ended.
k8s_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$ROOT/build/k8s" || return 1
    exec 9>"$ROOT/build/k8s/$K8S_NAME.lock" || return 1
    if ! flock -n 9; then
        k8s_log "another run of $K8S_NAME is using $K8S_DIR; waiting for it"
        flock -w 1200 9 || { k8s_log "still busy after 20 minutes"; return 1; }
    fi
}

# k8s_spawn NAME LOG CMD...: start CMD in the background, its pid in pids/NAME.pid
k8s_spawn() {
    local name log
    name=$1 log=$2
    shift 2
    "$@" >>"$log" 2>&1 </dev/null &
    echo $! >"$K8S_DIR/pids/$name.pid"
}

# k8s_owned PID: PID is a process of this test, not an unrelated one that
# reused the number of a stale pid file: a child of this shell, or one whose
# command line names K8S_DIR (all that lib.sh starts do).
k8s_owned() {
    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2)" = "$$" ] && return 0
    cat "/proc/$1/cmdline" 2>/dev/null | tr '\0' ' ' | grep -qF "$K8S_DIR/"
}

# k8s_stop NAME: TERM, then KILL after 10 s; waits until the process is gone.
k8s_stop() {
    local pidf pid i
    pidf=$K8S_DIR/pids/$1.pid
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    k8s_owned "$pid" || { rm -f "$pidf"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i = 100 ]; then k8s_log "$1 ($pid) ignored TERM; killing"; kill -KILL "$pid" 2>/dev/null; fi
        [ $i -gt 150 ] && { k8s_log "$1 ($pid) will not die"; return 1; }
        sleep 0.1
    done
    wait "$pid" 2>/dev/null
    rm -f "$pidf"
}

k8s_alive() { [ -f "$K8S_DIR/pids/$1.pid" ] && kill -0 "$(cat "$K8S_DIR/pids/$1.pid")" 2>/dev/null; }

# k8s_wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
k8s_wait_for() {
    local tries what
    tries=$(($1 * 5)) what=$2
    shift 2
    while ! "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ $tries -le 0 ] && { k8s_log "timed out waiting for $what"; return 1; }
        sleep 0.2
    done
}

# k8s_free_ports N: N free loopback ports, one a line.
k8s_free_ports() { "$K8S_BIN/fakekubelet" -free-ports "$1"; }

# k8s_down: stop every process with a pid file in $K8S_DIR/pids (kubelets,
# apiserver, and whatever the test put there), etcd last; non-zero if one is
# still alive afterwards.
k8s_down() {
    local f n
    [ -n "${K8S_DIR:-}" ] && [ -d "$K8S_DIR/pids" ] || return 0
    for f in "$K8S_DIR"/pids/*.pid; do
        [ -f "$f" ] || continue
        n=$(basename "$f" .pid)
        [ "$n" = etcd ] || k8s_stop "$n"
    done
    k8s_stop etcd
    k8s_leftovers
}

# k8s_leftovers: prints pids this test started that still run; 0 if none.
k8s_leftovers() {
    local left f pid
    left=""
    for f in "$K8S_DIR"/pids/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null && k8s_owned "$pid"; then left="$left $pid"; fi
    done
    [ -z "$left" ] && return 0
    k8s_log "processes left:$left"
    return 1
}

# --- PKI -----------------------------------------------------------------

# k8s_pki: a CA, the API server's serving certificate, an admin client
# certificate (group system:masters), a kubelet serving certificate, the
# service-account signing key pair and a static admin token, all under
# $K8S_DIR/pki.
k8s_pki() {
    local d
    d=$K8S_DIR/pki
    mkdir -p "$d" || return 1
    (
        set -e
        cd "$d"
        ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        openssl req -x509 $ec -keyout ca.key -out ca.crt -days 7 -subj /CN=tetra-test-ca \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl req $ec -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -days 7 -extfile server.ext -out apiserver.crt
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        openssl req $ec -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=tetra-admin"
        openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -days 7 -extfile client.ext -out admin.crt
        openssl req $ec -keyout kubelet.key -out kubelet.csr -subj /CN=fake-kubelet
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >kubelet.ext
        openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -days 7 -extfile kubelet.ext -out kubelet.crt
        openssl ecparam -name prime256v1 -genkey -noout -out sa.key
        openssl ec -in sa.key -pubout -out sa.pub
        openssl rand -hex 24 >admin.token
        printf '%s,tetra-admin,tetra-admin,"system:masters"\n' "$(cat admin.token)" >tokens.csv
        chmod 600 ./*.key admin.token tokens.csv
    ) >"$K8S_DIR/pki.log" 2>&1 || { k8s_log "PKI generation failed:"; cat "$K8S_DIR/pki.log" >&2; return 1; }
    K8S_CA=$d/ca.crt
    K8S_TOKEN=$(cat "$d/admin.token")
}

# --- etcd and kube-apiserver ---------------------------------------------

k8s_etcd_healthy() { curl -sf "http://127.0.0.1:$K8S_ETCD_PORT/health" | grep -q '"health":"true"'; }

# k8s_wait_proc NAME SECONDS WHAT CMD...: like k8s_wait_for, but gives up
# at once (status 2) if the process NAME has exited, e.g. when another
# program took its port between k8s_free_ports and its bind.
k8s_wait_proc() {
    local name tries what
    name=$1 tries=$(($2 * 5)) what=$3
    shift 3
    while ! "$@" >/dev/null 2>&1; do
        k8s_alive "$name" || { k8s_log "$name exited while waiting for $what"; return 2; }
        tries=$((tries - 1))
        [ $tries -le 0 ] && { k8s_log "timed out waiting for $what"; return 1; }
        sleep 0.2
    done
}

# k8s_start_etcd: on free ports; tries other ports if etcd exits at start.
k8s_start_etcd() {
    local c p try rc
    for try in 1 2 3; do
        set -- $(k8s_free_ports 2)
        K8S_ETCD_PORT=$1 K8S_ETCD_PEER_PORT=$2
        c=http://127.0.0.1:$1 p=http://127.0.0.1:$2
        k8s_spawn etcd "$K8S_DIR/etcd.log" "$K8S_BIN/etcd" --name tetra-test \
            --data-dir "$K8S_DIR/etcd" --listen-client-urls "$c" --advertise-client-urls "$c" \
            --listen-peer-urls "$p" --initial-advertise-peer-urls "$p" \
            --initial-cluster "tetra-test=$p" --unsafe-no-fsync --log-level warn
        k8s_wait_proc etcd 30 "etcd on $c" k8s_etcd_healthy
        rc=$?
        [ $rc = 0 ] && return 0
        [ $rc = 2 ] || break
        rm -rf "$K8S_DIR/etcd"
    done
    tail -n 20 "$K8S_DIR/etcd.log" >&2
    return 1
}

k8s_apiserver_ready() {
    curl -sf --cacert "$K8S_CA" -H "Authorization: Bearer $K8S_TOKEN" "$K8S_SERVER/readyz" | grep -qx ok
}

# k8s_start_apiserver: on K8S_API_PORT, chosen on the first start and kept,
# so clients find the server again after k8s_restart_apiserver.  On the
# first start, tries other ports if it exits at once (port taken).
k8s_start_apiserver() {
    local try rc
    for try in 1 2 3; do
        [ -n "${K8S_API_PORT:-}" ] || { K8S_API_PORT=$(k8s_free_ports 1); K8S_API_FRESH=1; }
        K8S_SERVER=https://127.0.0.1:$K8S_API_PORT
        k8s_spawn_apiserver
        k8s_wait_proc kube-apiserver 90 "kube-apiserver /readyz on $K8S_SERVER" k8s_apiserver_ready
        rc=$?
        [ $rc = 0 ] && { K8S_API_FRESH=""; return 0; }
        [ $rc = 2 ] && [ -n "${K8S_API_FRESH:-}" ] || break
        K8S_API_PORT=""
    done
    tail -n 30 "$K8S_DIR/apiserver.log" >&2
    return 1
}

k8s_spawn_apiserver() {
    local d
    d=$K8S_DIR/pki
    # --endpoint-reconciler-type=none: the kubernetes Service may not point
    # at a loopback address.  No --kubelet-certificate-authority: the API
    # server then skips verifying the kubelet's certificate (see
    # docs/K8S-TESTING.md).
    k8s_spawn kube-apiserver "$K8S_DIR/apiserver.log" "$K8S_BIN/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$K8S_ETCD_PORT" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$K8S_API_PORT" \
        --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
        --client-ca-file "$d/ca.crt" --token-auth-file "$d/tokens.csv" \
        --authorization-mode RBAC \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
        --service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \
        --kubelet-preferred-address-types InternalIP,Hostname \
        --profiling=false ${K8S_APISERVER_FLAGS:-}
}

k8s_stop_apiserver() { k8s_stop kube-apiserver; }

# k8s_restart_apiserver [PAUSE]: stop it, wait PAUSE seconds (default 0),
# start it again on the same port and wait until it is ready.
k8s_restart_apiserver() {
    k8s_stop_apiserver || return 1
    sleep "${1:-0}"
    k8s_start_apiserver
}

# k8s_up: PKI, etcd, kube-apiserver, admin kubeconfigs, and the "default"
# ServiceAccount of kube-system (the ServiceAccount admission plugin needs it
# to admit pods; with no controller-manager nobody else creates it).
k8s_up() {
    local start
    start=$(date +%s)
    k8s_pki && k8s_start_etcd && k8s_start_apiserver || return 1
    K8S_KUBECONFIG=$K8S_DIR/kubeconfig
    K8S_KUBECONFIG_CERT=$K8S_DIR/kubeconfig-cert
    k8s_kubeconfig "$K8S_KUBECONFIG" token "$K8S_TOKEN" || return 1
    k8s_kubeconfig "$K8S_KUBECONFIG_CERT" cert "$K8S_DIR/pki/admin.crt" "$K8S_DIR/pki/admin.key" || return 1
    k8s_sa_ensure default "$K8S_NS_DEFAULT" || return 1
    export K8S_DIR K8S_SERVER K8S_CA K8S_TOKEN K8S_KUBECONFIG K8S_KUBECONFIG_CERT
    k8s_log "cluster up at $K8S_SERVER in $(($(date +%s) - start))s (state in $K8S_DIR)"
}

# k8s_kubeconfig FILE token TOKEN | FILE cert CRT KEY: a kubeconfig for
# K8S_SERVER with the cluster CA, namespace kube-system.
k8s_kubeconfig() {
    local f user
    f=$1
    case $2 in
    token) user="    token: $3" ;;
    cert) user="    client-certificate: $3
    client-key: $4" ;;
    *) k8s_log "k8s_kubeconfig: token or cert"; return 2 ;;
    esac
    cat >"$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tetra-test
  cluster:
    server: $K8S_SERVER
    certificate-authority: $K8S_CA
users:
- name: tetra-test-user
  user:
$user
contexts:
- name: tetra-test
  context:
    cluster: tetra-test
    user: tetra-test-user
    namespace: $K8S_NS_DEFAULT
current-context: tetra-test
EOF
    chmod 600 "$f"
}

# --- REST calls ----------------------------------------------------------

# k8s_api METHOD PATH [BODY [CONTENT-TYPE]]: a call as admin.  The response
# body goes to stdout; a status >= 400 returns 1 and shows the body on stderr.
k8s_api() {
    k8s_api_as "$K8S_TOKEN" "$@"
}

# k8s_api_as TOKEN METHOD PATH [BODY [CONTENT-TYPE]]: the same with another
# bearer token.  K8S_LAST_STATUS holds the HTTP status afterwards.
k8s_api_as() {
    local tok method path body ctype out rc
    tok=$1 method=$2 path=$3 body=${4:-} ctype=${5:-application/json}
    out=$(mktemp "$K8S_DIR/resp.XXXXXX") || return 1
    if [ -n "$body" ]; then
        K8S_LAST_STATUS=$(printf '%s' "$body" | curl -sS -o "$out" -w '%{http_code}' \
            --cacert "$K8S_CA" -H "Authorization: Bearer $tok" -X "$method" \
            -H "Content-Type: $ctype" --data-binary @- "$K8S_SERVER$path")
    else
        K8S_LAST_STATUS=$(curl -sS -o "$out" -w '%{http_code}' --cacert "$K8S_CA" \
            -H "Authorization: Bearer $tok" -X "$method" "$K8S_SERVER$path")
    fi
    rc=$?
    if [ $rc != 0 ] || [ "$K8S_LAST_STATUS" -ge 400 ] 2>/dev/null; then
        k8s_log "$method $path -> ${K8S_LAST_STATUS:-curl exit $rc}: $(jq -c . "$out" 2>/dev/null || cat "$out")"
        rm -f "$out"
        return 1
    fi
    cat "$out"
    rm -f "$out"
}

k8s_status_patch() { # PATH JSON: merge-patch a status subresource
    k8s_api PATCH "$1/status" "$2" application/merge-patch+json >/dev/null
}

# --- fake kubelets, nodes and pods ---------------------------------------

# k8s_kubelet_start NAME [ca|self]: a fake kubelet on a free port, logs from
# $K8S_DIR/kubelet-NAME/logs.  Its port: k8s_kubelet_port NAME; started
# again after k8s_kubelet_stop, it listens on the same port.  It serves
# the kubelet certificate of the cluster CA (ca, the default) or one it makes
# itself (self), which an API server started with
# K8S_APISERVER_FLAGS="--kubelet-certificate-authority $K8S_CA" rejects.
k8s_kubelet_start() {
    local d tls addr
    d=$K8S_DIR/kubelet-$1
    mkdir -p "$d/logs" || return 1
    addr=127.0.0.1:0
    if [ -s "$d/port" ]; then # a restart: same port, so its Node stays right
        addr=127.0.0.1:$(cat "$d/port")
        rm -f "$d/port"
    fi
    if [ "${2:-ca}" = self ]; then tls="-ca-file $d/ca.crt"; else
        tls="-tls-cert $K8S_DIR/pki/kubelet.crt -tls-key $K8S_DIR/pki/kubelet.key"
        cp "$K8S_CA" "$d/ca.crt" || return 1
    fi
    k8s_spawn "kubelet-$1" "$d/kubelet.log" "$K8S_BIN/fakekubelet" -logs "$d/logs" \
        -addr "$addr" -port-file "$d/port" $tls
    k8s_wait_for 10 "fake kubelet $1" test -s "$d/port" || return 1
    k8s_wait_for 10 "fake kubelet $1 /healthz" k8s_kubelet_call "$1" GET /healthz
}

k8s_kubelet_stop() { k8s_stop "kubelet-$1"; }
k8s_kubelet_port() { cat "$K8S_DIR/kubelet-$1/port"; }

# k8s_kubelet_call NAME METHOD PATH: a direct call to a fake kubelet.
k8s_kubelet_call() {
    curl -sSf --cacert "$K8S_DIR/kubelet-$1/ca.crt" -X "$2" \
        "https://127.0.0.1:$(k8s_kubelet_port "$1")$3"
}

# k8s_kubelet_cut NAME [now|midline|end] [QUERY]: cut the kubelet's open
# log streams (QUERY e.g. "pod=tetragon-a"): now aborts them, midline sends
# half of the next line first, end finishes them cleanly.  Prints
# {"streams":N}.
k8s_kubelet_cut() {
    k8s_kubelet_call "$1" POST "/control/cut?mode=${2:-now}${3:+&$3}"
}

# k8s_kubelet_streams NAME: the kubelet's open log streams, as JSON.
k8s_kubelet_streams() { k8s_kubelet_call "$1" GET /control/streams; }

# k8s_node_create NODE KUBELET: a Node whose kubelet endpoint is the fake
# kubelet KUBELET at 127.0.0.1, Ready.
k8s_node_create() {
    local port now
    port=$(k8s_kubelet_port "$2") || return 1
    k8s_api POST /api/v1/nodes "$(jq -cn --arg n "$1" \
        '{apiVersion:"v1",kind:"Node",metadata:{name:$n,labels:{"kubernetes.io/hostname":$n}}}')" \
        >/dev/null || return 1
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    k8s_status_patch "/api/v1/nodes/$1" "$(jq -cn --arg n "$1" --argjson p "$port" --arg t "$now" '
        {status:{addresses:[{type:"InternalIP",address:"127.0.0.1"},{type:"Hostname",address:$n}],
         daemonEndpoints:{kubeletEndpoint:{Port:$p}},
         conditions:[{type:"Ready",status:"True",reason:"KubeletReady",message:"fake kubelet",
                      lastHeartbeatTime:$t,lastTransitionTime:$t}]}}')" || return 1
    echo "$2" >"$K8S_DIR/nodes/$1"
}

# k8s_pod_create POD NODE [NAMESPACE]: a Tetragon-like pod (label
# app.kubernetes.io/name=tetragon, containers tetragon and export-stdout)
# bound to NODE and marked Running, with an empty log file for each container
# at its node's fake kubelet.  K8S_POD_LABELS (JSON object) adds labels.
k8s_pod_create() {
    local pod node ns kl extra c
    pod=$1 node=$2 ns=${3:-$K8S_NS_DEFAULT}
    kl=$(cat "$K8S_DIR/nodes/$node") || { k8s_log "no node $node"; return 1; }
    extra=${K8S_POD_LABELS:-}
    [ -n "$extra" ] || extra='{}'
    for c in tetragon export-stdout; do # a new pod has new, empty logs
        : >"$K8S_DIR/kubelet-$kl/logs/${ns}_${pod}_$c.log" || return 1
    done
    k8s_api POST "/api/v1/namespaces/$ns/pods" "$(jq -cn --arg p "$pod" --arg n "$node" \
        --argjson extra "$extra" '
        {apiVersion:"v1",kind:"Pod",
         metadata:{name:$p,labels:({"app.kubernetes.io/name":"tetragon"} + $extra)},
         spec:{nodeName:$n,automountServiceAccountToken:false,
               containers:[{name:"tetragon",image:"quay.io/cilium/tetragon:v1.4.0"},
                           {name:"export-stdout",image:"quay.io/cilium/hubble-export-stdout:v1.0.4"}]}}')" \
        >/dev/null || return 1
    echo "$node $ns" >"$K8S_DIR/pods/${ns}_$pod"
    k8s_pod_running "$pod" "$ns"
}

# k8s_pod_running POD [NAMESPACE] [RESTARTS]: status Running, both containers
# running and ready (what a kubelet would report).
k8s_pod_running() {
    local now
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    k8s_status_patch "/api/v1/namespaces/${2:-$K8S_NS_DEFAULT}/pods/$1" "$(jq -cn --arg t "$now" \
        --argjson r "${3:-0}" '
        def cs($c): {name:$c,ready:true,started:true,restartCount:$r,image:$c,imageID:"",
                     containerID:("containerd://" + $c),state:{running:{startedAt:$t}}};
        {status:{phase:"Running",podIP:"10.244.0.10",hostIP:"127.0.0.1",startTime:$t,
                 conditions:[{type:"Ready",status:"True",lastTransitionTime:$t}],
                 containerStatuses:[cs("tetragon"),cs("export-stdout")]}}')"
}

# k8s_pod_delete POD [NAMESPACE] [GRACE]: delete; GRACE 0 (default) removes
# it at once, as a kubelet confirming the kill would, and ends the pod's log
# streams at its fake kubelet cleanly, as a real kubelet does when the
# container exits; GRACE > 0 only marks it terminating, since no kubelet will
# ever finish the deletion.
k8s_pod_delete() {
    local ns node
    ns=${2:-$K8S_NS_DEFAULT}
    k8s_api DELETE "/api/v1/namespaces/$ns/pods/$1?gracePeriodSeconds=${3:-0}" >/dev/null || return 1
    [ "${3:-0}" = 0 ] || return 0
    node=$(cut -d' ' -f1 "$K8S_DIR/pods/${ns}_$1") || return 1
    rm -f "$K8S_DIR/pods/${ns}_$1"
    k8s_kubelet_cut "$(cat "$K8S_DIR/nodes/$node")" end "namespace=$ns&pod=$1" >/dev/null
}

# k8s_pod_log_file POD [CONTAINER] [NAMESPACE]: the file its fake kubelet serves.
k8s_pod_log_file() {
    local ns
    ns=${3:-$K8S_NS_DEFAULT}
    set -- "$1" "${2:-export-stdout}" "$ns" $(cat "$K8S_DIR/pods/${ns}_$1" 2>/dev/null)
    [ $# = 5 ] || { k8s_log "no pod $3/$1"; return 1; }
    echo "$K8S_DIR/kubelet-$(cat "$K8S_DIR/nodes/$4")/logs/${3}_${1}_$2.log"
}

# k8s_append POD [CONTAINER] [NAMESPACE] < LINES: append each line of stdin
# to the container's log, stamped with the current time (nanoseconds,
# strictly increasing), as the container runtime would.
k8s_append() {
    local f
    f=$(k8s_pod_log_file "$@") || return 1
    # Base second and nanoseconds from one date call; near the end of a
    # second wait for the next, so that adding the line number cannot carry.
    while :; do
        set -- $(date -u '+%Y-%m-%dT%H:%M:%S %N')
        [ "$2" -lt 900000000 ] && break
        sleep 0.11
    done
    awk -v base="$1" -v ns="$2" '{ printf "%s.%09dZ %s\n", base, ns + NR, $0 }' >>"$f"
}

# --- service accounts and RBAC -------------------------------------------

k8s_sa_ensure() { # NAME [NAMESPACE]
    local ns
    ns=${2:-$K8S_NS_DEFAULT}
    k8s_api GET "/api/v1/namespaces/$ns/serviceaccounts/$1" >/dev/null 2>&1 && return 0
    k8s_api POST "/api/v1/namespaces/$ns/serviceaccounts" \
        "$(jq -cn --arg n "$1" '{apiVersion:"v1",kind:"ServiceAccount",metadata:{name:$n}}')" >/dev/null
}

# k8s_sa_with_rules NAME RULES [NAMESPACE]: a ServiceAccount bound by a Role
# of the same name to RULES, a JSON array of PolicyRules, e.g.
#   '[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]'
k8s_sa_with_rules() {
    local ns
    ns=${3:-$K8S_NS_DEFAULT}
    k8s_sa_ensure "$1" "$ns" || return 1
    k8s_api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/roles" "$(jq -cn \
        --arg n "$1" --argjson r "$2" \
        '{apiVersion:"rbac.authorization.k8s.io/v1",kind:"Role",metadata:{name:$n},rules:$r}')" \
        >/dev/null || return 1
    k8s_api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/rolebindings" "$(jq -cn \
        --arg n "$1" --arg ns "$ns" '{apiVersion:"rbac.authorization.k8s.io/v1",kind:"RoleBinding",
         metadata:{name:$n},roleRef:{apiGroup:"rbac.authorization.k8s.io",kind:"Role",name:$n},
         subjects:[{kind:"ServiceAccount",name:$n,namespace:$ns}]}')" >/dev/null
}

# The rules examples/kubernetes gives tetra-capture.
K8S_CAPTURE_RULES='[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]},
 {"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}]'

# k8s_sa_token NAME [NAMESPACE] [SECONDS]: mint a token (TokenRequest API),
# valid SECONDS (default 3600, at least 600).
k8s_sa_token() {
    local ns
    ns=${2:-$K8S_NS_DEFAULT}
    k8s_api POST "/api/v1/namespaces/$ns/serviceaccounts/$1/token" "$(jq -cn \
        --argjson s "${3:-3600}" \
        '{apiVersion:"authentication.k8s.io/v1",kind:"TokenRequest",spec:{expirationSeconds:$s}}')" |
        jq -er .status.token
}
