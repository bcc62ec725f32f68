# opensearch.sh - the OpenSearch part of services.sh (sourced, not run).
#
# The integ-test-zip distribution from Maven Central: the smallest
# OpenSearch there is (no security plugin, so plain HTTP, and no bundled JDK:
# it runs on the system's Java 17).  OpenSearch refuses to run as root, so
# it runs as a dedicated system user; the cache folder may sit in root's
# private home, so the distribution is unpacked from the cached zip into a
# folder that user can reach (build/services/opensearch/ when the checkout
# is reachable, else /var/tmp), and only once per checkout.
#
# The index-management (ISM) plugin is not published on Maven Central, and
# job-scheduler alone serves nothing, so no plugin is installed: see
# docs/SERVICES.md.
#
# Data starts empty at every start unless OPENSEARCH_KEEP_DATA is set:
# `services.sh bounce` sets it, with the ports os_ports reads back from the
# last start's opensearch.yml, so the node comes back as the same node (its
# indices recover from disk) at the same address.

os_fetch() {
    of_zip=$CACHE/opensearch/opensearch-$OPENSEARCH_VERSION.zip
    [ -f "$of_zip" ] && return 0
    say "opensearch: downloading integ-test-zip $OPENSEARCH_VERSION from Maven Central"
    mkdir -p "$CACHE/opensearch/tmp" || return 1
    mvn_get dependency:copy \
        -Dartifact="org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip" \
        -DoutputDirectory="$CACHE/opensearch/tmp" || { say "opensearch: mvn failed"; return 1; }
    mv "$CACHE/opensearch/tmp/opensearch-$OPENSEARCH_VERSION.zip" "$of_zip"
}

os_user() {
    id "$OS_USER" >/dev/null 2>&1 && return 0
    need useradd passwd
    say "opensearch: creating system user $OS_USER (OpenSearch refuses to run as root)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        "$OS_USER" || die "useradd $OS_USER failed"
}

# os_rundir: where the unpacked distribution, data and logs live; a folder
# the OpenSearch user can reach.
os_rundir() {
    if runuser -u "$OS_USER" -- test -x "$SVC/opensearch"; then
        echo "$SVC/opensearch/run"
    else
        echo "/var/tmp/tetragonsidekick-opensearch-$(echo "$ROOT" | cksum | cut -d' ' -f1)"
    fi
}

os_unpack() { # RUNDIR
    [ -f "$1/dist/.complete-$OPENSEARCH_VERSION" ] && return 0
    rm -rf "$1/dist" && mkdir -p "$1/dist" || return 1
    unzip -q "$CACHE/opensearch/opensearch-$OPENSEARCH_VERSION.zip" -d "$1/dist" || return 1
    touch "$1/dist/.complete-$OPENSEARCH_VERSION"
}

os_config() { # RUNDIR PORT TRANSPORT_PORT
    cat <<EOF
# written by tests/services/opensearch.sh at every start
cluster.name: tetragonsidekick-test
node.name: node-1
path.data: $1/data
path.logs: $1/logs
network.host: 127.0.0.1
http.port: $2
transport.port: $3
discovery.type: single-node
# a fullish disk must not turn the test indices read-only
cluster.routing.allocation.disk.threshold_enabled: false
action.auto_create_index: true
EOF
}

# os_ports: "HTTP_PORT TRANSPORT_PORT" of the last start, from the
# configuration it wrote (which stays after a stop); empty when there is none.
os_ports() {
    sed -n -e 's/^http\.port: *//p' -e 's/^transport\.port: *//p' \
        "$SVC/opensearch/run/config/opensearch.yml" 2>/dev/null | tr '\n' ' '
}

os_ready() { # PORT
    curl -sf "http://127.0.0.1:$1/_cluster/health" | grep -Eq '"status":"(green|yellow)"'
}

opensearch_start() {
    need java default-jre-headless
    need mvn maven
    need unzip unzip
    need runuser util-linux
    with_cache_lock os_fetch || return 1
    os_user
    chmod 755 "$ROOT/build" "$SVC" "$SVC/opensearch" 2>/dev/null
    or_run=$(os_rundir)
    mkdir -p "$or_run" && chmod 755 "$or_run" || return 1
    os_unpack "$or_run" || { fail_start opensearch "cannot unpack the distribution"; return 1; }
    or_home=$or_run/dist/opensearch-$OPENSEARCH_VERSION
    or_port=${OPENSEARCH_PORT:-$(free_port)}
    or_tport=${OPENSEARCH_TRANSPORT_PORT:-$(free_port)}
    [ "$or_port" != "$or_tport" ] || or_tport=$(free_port)
    or_keep=""
    if [ -n "${OPENSEARCH_KEEP_DATA:-}" ] && [ -d "$or_run/data" ]; then
        or_keep=" with the data of its last run"
        rm -rf "$or_run/config" "$or_run/tmp"
    else
        rm -rf "$or_run/data" "$or_run/logs" "$or_run/config" "$or_run/tmp"
    fi
    mkdir -p "$or_run/data" "$or_run/logs" "$or_run/tmp" || return 1
    cp -r "$or_home/config" "$or_run/config" || return 1
    os_config "$or_run" "$or_port" "$or_tport" >"$or_run/config/opensearch.yml"
    # no GC log (up to 32 x 64 MB); heap dumps and crash logs stay in the run dir
    sed -i -e '/-Xlog:gc/d' -e "s#^\(-XX:HeapDumpPath=\).*#\1$or_run/data#" \
        -e "s#^\(-XX:ErrorFile=\).*#\1$or_run/logs/hs_err_pid%p.log#" \
        "$or_run/config/jvm.options" || return 1
    chown -R "$OS_USER" "$or_run/data" "$or_run/logs" "$or_run/tmp" "$or_run/config" ||
        return 1
    [ "$or_run" = "$SVC/opensearch/run" ] || ln -sfn "$or_run" "$SVC/opensearch/run"
    or_java=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    say "opensearch: starting $OPENSEARCH_VERSION on 127.0.0.1:$or_port as $OS_USER$or_keep"
    # the working directory too must be one the user can reach
    cd "$or_run" || return 1
    spawn opensearch runuser -u "$OS_USER" -- env \
        OPENSEARCH_JAVA_HOME="$or_java" OPENSEARCH_PATH_CONF="$or_run/config" \
        OPENSEARCH_TMPDIR="$or_run/tmp" \
        OPENSEARCH_JAVA_OPTS="-Xms512m -Xmx512m ${OPENSEARCH_JAVA_OPTS:-}" \
        "$or_home/bin/opensearch"
    cd "$ROOT" || return 1
    wait_ready opensearch "${OPENSEARCH_START_TIMEOUT:-180}" os_ready "$or_port" || return 1
    echo "export OPENSEARCH_URL='http://127.0.0.1:$or_port'" >"$SVC/opensearch/env"
    say "opensearch: ready at http://127.0.0.1:$or_port"
}
