# kafka.sh - the Apache Kafka part of services.sh (sourced, not run).
#
# One KRaft node that is both broker and controller, from the Maven Central
# jars of kafka_2.13 (no tarball exists there).  The controller gets its own
# loopback port; the storage is formatted --standalone, which makes this node
# the whole quorum, so no cluster id has to be kept anywhere.

# kafka_fetch: the broker's jars in $CACHE/kafka/VERSION/libs, once.
kafka_fetch() {
    kf_dir=$CACHE/kafka/$KAFKA_VERSION
    [ -f "$kf_dir/.complete" ] && return 0
    say "kafka: resolving kafka_2.13 $KAFKA_VERSION from Maven Central into $kf_dir"
    rm -rf "$kf_dir" && mkdir -p "$kf_dir" || return 1
    mvn_get dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$kf_dir/libs" || { say "kafka: mvn failed"; return 1; }
    touch "$kf_dir/.complete"
}

kafka_config() { # DIR PORT CONTROLLER_PORT
    cat <<EOF
# written by tests/services/kafka.sh at every start
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$3
listeners=PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$1/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
}

kafka_log4j() {
    cat <<'EOF'
# written by tests/services/kafka.sh: everything to stdout, which is the log
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = warn
logger.raft.name = org.apache.kafka.raft
logger.raft.level = warn
EOF
}

kafka_java() { # DIR ARGS...
    kj_dir=$1; shift
    java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$kj_dir/log4j2.properties" \
        -cp "$CACHE/kafka/$KAFKA_VERSION/libs/*" "$@"
}

kafka_ready() { # PORT
    kcat -b "127.0.0.1:$1" -L -m 3 2>/dev/null | grep -q ' brokers:'
}

kafka_start() {
    need_java
    need kcat kcat
    with_cache_lock kafka_fetch || return 1
    ks_dir=$SVC/kafka
    ks_port=${KAFKA_PORT:-$(free_port)}
    ks_cport=${KAFKA_CONTROLLER_PORT:-$(free_port)}
    [ "$ks_port" != "$ks_cport" ] || ks_cport=$(free_port)
    rm -rf "$ks_dir/data"
    kafka_config "$ks_dir" "$ks_port" "$ks_cport" >"$ks_dir/server.properties"
    kafka_log4j >"$ks_dir/log4j2.properties"
    if ! kafka_java "$ks_dir" kafka.tools.StorageTool format --standalone \
        -t "$(kafka_java "$ks_dir" kafka.tools.StorageTool random-uuid)" \
        -c "$ks_dir/server.properties" >>"$ks_dir/log" 2>&1; then
        fail_start kafka "kafka.tools.StorageTool format failed"
        return 1
    fi
    say "kafka: starting on 127.0.0.1:$ks_port (controller $ks_cport)"
    spawn kafka java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$ks_dir/log4j2.properties" \
        -cp "$CACHE/kafka/$KAFKA_VERSION/libs/*" kafka.Kafka "$ks_dir/server.properties"
    wait_ready kafka "${KAFKA_START_TIMEOUT:-120}" kafka_ready "$ks_port" || return 1
    echo "export KAFKA_BROKERS='127.0.0.1:$ks_port'" >"$ks_dir/env"
    say "kafka: ready at 127.0.0.1:$ks_port"
}

# --- kafka-cluster: three KRaft nodes, replicated ---------------------------
#
# What users run in production: three nodes that are each broker and
# controller (a static quorum of three voters), topics created on first use
# with replication factor 3 and min.insync.replicas=2, so one node can die
# without a write being refused or an acknowledged record being lost.  Each
# node is a process group of its own (kafka-cluster/nN), so a test can
# SIGKILL one and start it again on the same ports with the same data
# (services.sh node kafka-cluster N kill|start).

KC_NODES="1 2 3"

kc_config() { # N DIR PORT VOTERS
    kafka_config "$2" "$3" 0 | sed \
        -e "s/^node.id=.*/node.id=$1/" \
        -e "s/^controller.quorum.bootstrap.servers=.*/controller.quorum.voters=$4/" \
        -e "s#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$3,CONTROLLER://127.0.0.1:$(cat "$2/cport")#" \
        -e 's/^num.partitions=.*/num.partitions=6/' \
        -e 's/^offsets.topic.replication.factor=.*/offsets.topic.replication.factor=3/' \
        -e 's/^transaction.state.log.replication.factor=.*/transaction.state.log.replication.factor=3/' \
        -e 's/^transaction.state.log.min.isr=.*/transaction.state.log.min.isr=2/' \
        -e 's/^share.coordinator.state.topic.replication.factor=.*/share.coordinator.state.topic.replication.factor=3/' \
        -e 's/^share.coordinator.state.topic.min.isr=.*/share.coordinator.state.topic.min.isr=2/'
    echo "default.replication.factor=3"
    echo "min.insync.replicas=2"
    echo "unclean.leader.election.enable=false"
}

# kc_node_start N: start node N with its config and data as they are
kc_node_start() {
    kn_dir=$SVC/kafka-cluster/n$1
    spawn "kafka-cluster/n$1" java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$kn_dir/log4j2.properties" \
        -cp "$CACHE/kafka/$KAFKA_VERSION/libs/*" kafka.Kafka "$kn_dir/server.properties"
}

kc_brokers() {
    kb_list=""
    for kb_n in $KC_NODES; do
        kb_list="$kb_list${kb_list:+,}127.0.0.1:$(cat "$SVC/kafka-cluster/n$kb_n/port")"
    done
    echo "$kb_list"
}

# kc_ready BROKERS: every node answers and lists three brokers
kc_ready() {
    kcat -b "$1" -L -m 3 2>/dev/null | grep -q '^ *3 brokers:'
}

kafka_cluster_start() {
    need_java
    need kcat kcat
    with_cache_lock kafka_fetch || return 1
    kc_dir=$SVC/kafka-cluster
    voters=""
    for n in $KC_NODES; do
        mkdir -p "$kc_dir/n$n" && rm -rf "$kc_dir/n$n/data" || return 1
        free_port >"$kc_dir/n$n/port" && free_port >"$kc_dir/n$n/cport" || return 1
        voters="$voters${voters:+,}$n@127.0.0.1:$(cat "$kc_dir/n$n/cport")"
    done
    id=$(kafka_java "$kc_dir" kafka.tools.StorageTool random-uuid) || return 1
    kafka_log4j >"$kc_dir/log4j2.properties"
    for n in $KC_NODES; do
        d=$kc_dir/n$n
        cp "$kc_dir/log4j2.properties" "$d/log4j2.properties"
        kc_config "$n" "$d" "$(cat "$d/port")" "$voters" >"$d/server.properties"
        : >"$d/log"
        if ! kafka_java "$d" kafka.tools.StorageTool format -t "$id" \
            -c "$d/server.properties" >>"$d/log" 2>&1; then
            fail_start kafka-cluster "kafka.tools.StorageTool format failed for node $n (see $d/log)"
            return 1
        fi
    done
    for n in $KC_NODES; do kc_node_start "$n"; done
    # the group of node 1 stands for the cluster in running/stop_one; the
    # others are stopped by kafka_cluster_stop
    cp "$kc_dir/n1/pgid" "$kc_dir/pgid"
    brokers=$(kc_brokers)
    say "kafka-cluster: starting three nodes on $brokers (voters $voters)"
    wait_ready kafka-cluster "${KAFKA_START_TIMEOUT:-180}" kc_ready "$brokers" || return 1
    echo "export KAFKA_CLUSTER_BROKERS='$brokers'" >"$kc_dir/env"
    say "kafka-cluster: ready at $brokers"
}

# kafka_cluster_stop: the nodes stop_one does not know about
kafka_cluster_stop() {
    ks_rc=0
    for n in $KC_NODES; do
        ks_pg=$(pgid_of "kafka-cluster/n$n")
        [ -n "$ks_pg" ] || continue
        stop_group "$ks_pg" || ks_rc=1
        rm -f "$SVC/kafka-cluster/n$n/pgid"
    done
    return $ks_rc
}

# cmd_node kafka-cluster N kill|stop|start: SIGKILL, stop or start one node
cmd_node() {
    [ $# -eq 3 ] && [ "$1" = kafka-cluster ] || usage
    case $2 in 1 | 2 | 3) ;; *) say "node: N is 1, 2 or 3, not '$2'"; exit 2 ;; esac
    [ -f "$SVC/kafka-cluster/n$2/server.properties" ] || die "node: kafka-cluster was never started here"
    cn_pg=$(pgid_of "kafka-cluster/n$2")
    case $3 in
    kill) [ -n "$cn_pg" ] && kill -KILL "-$cn_pg" 2>/dev/null
          say "node $2 killed (SIGKILL)" ;;
    stop) [ -n "$cn_pg" ] && stop_group "$cn_pg"; say "node $2 stopped" ;;
    start) if [ -n "$cn_pg" ] && group_alive "$cn_pg"; then say "node $2 already runs"; return 0; fi
           echo "--- services.sh: node $2 starting again at $(date -u +%FT%TZ) ---" \
               >>"$SVC/kafka-cluster/n$2/log"
           kc_node_start "$2"
           [ "$2" = 1 ] && cp "$SVC/kafka-cluster/n1/pgid" "$SVC/kafka-cluster/pgid"
           say "node $2 started" ;;
    *) say "node: kill, stop or start, not '$3'"; exit 2 ;;
    esac
}
