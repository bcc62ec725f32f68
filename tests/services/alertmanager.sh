# alertmanager.sh - the Prometheus Alertmanager part of services.sh (sourced,
# not run).
#
# tetra-sink's alert tests post to a real Alertmanager and read back what it
# holds (GET /api/v2/alerts).  Alertmanager is built from the Go module proxy
# the way tools/k8s builds kube-apiserver, with the toolchain tools/k8s/go.sh
# provides.  Its module lacks the web UI's build output (ui/app/dist, made by
# npm in its release process), which its embed directive needs, so `go
# install` fails: the module is copied out of the module cache, given a
# one-line ui/app/dist/index.html, and built there.  The v2 API does not use
# the UI.  The binary is kept in the shared cache under its version, so it
# is built once per machine.  It runs alone (no HA cluster port) with an
# empty receiver: the tests look at the alerts it holds, not at
# notifications.

am_bin() { echo "$CACHE/alertmanager/alertmanager-$ALERTMANAGER_VERSION"; }

am_build() {
    ab_out=$(am_bin)
    [ -x "$ab_out" ] && return 0
    ab_go=$(sh "$ROOT/tools/k8s/go.sh") || { say "alertmanager: no Go toolchain"; return 1; }
    say "alertmanager: building $ALERTMANAGER_VERSION from the Go module proxy with $ab_go (minutes)"
    ab_tmp=$(mktemp -d) || return 1
    ab_mod=github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION
    ab_dir=$(cd "$ab_tmp" && GOFLAGS=-mod=mod GOTOOLCHAIN=local "$ab_go" mod download -json "$ab_mod" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
    if [ -z "$ab_dir" ] || [ ! -d "$ab_dir" ]; then
        say "alertmanager: could not download $ab_mod"
        rm -rf "$ab_tmp"
        return 1
    fi
    cp -R "$ab_dir" "$ab_tmp/src" && chmod -R u+w "$ab_tmp/src" &&
        mkdir -p "$ab_tmp/src/ui/app/dist" &&
        echo '<!doctype html><title>Alertmanager (no UI in this build)</title>' \
            >"$ab_tmp/src/ui/app/dist/index.html" || { rm -rf "$ab_tmp"; return 1; }
    mkdir -p "$(dirname "$ab_out")"
    if ! (cd "$ab_tmp/src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local \
        "$ab_go" build -trimpath -ldflags "-s -w" -o "$ab_out.tmp.$$" ./cmd/alertmanager) \
        >>"$CACHE/alertmanager/build.log" 2>&1; then
        say "alertmanager: build failed; last lines of $CACHE/alertmanager/build.log:"
        tail -n 20 "$CACHE/alertmanager/build.log" | sed 's/^/    /' >&2
        rm -rf "$ab_tmp" "$ab_out.tmp.$$"
        return 1
    fi
    rm -rf "$ab_tmp"
    mv -f "$ab_out.tmp.$$" "$ab_out"
}

alertmanager_start() {
    with_cache_lock am_build || return 1
    as_dir=$SVC/alertmanager
    as_port=${ALERTMANAGER_PORT:-$(free_port)}
    rm -rf "$as_dir/data" && mkdir -p "$as_dir/data" || return 1
    cat >"$as_dir/alertmanager.yml" <<'YML' || return 1
route:
  receiver: none
  group_wait: 1s
receivers:
  - name: none
YML
    say "alertmanager: starting $ALERTMANAGER_VERSION on 127.0.0.1:$as_port"
    # an empty --cluster.listen-address turns the HA gossip port off
    spawn alertmanager "$(am_bin)" --config.file="$as_dir/alertmanager.yml" \
        --storage.path="$as_dir/data" --web.listen-address="127.0.0.1:$as_port" \
        --cluster.listen-address=
    wait_ready alertmanager "${ALERTMANAGER_START_TIMEOUT:-60}" \
        curl -sf "http://127.0.0.1:$as_port/-/ready" || return 1
    echo "export ALERTMANAGER_URL='http://127.0.0.1:$as_port'" >"$as_dir/env"
    say "alertmanager: ready at http://127.0.0.1:$as_port"
}
