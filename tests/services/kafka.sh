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
