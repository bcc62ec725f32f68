# kafka_tls.sh - the kafka-tls part of services.sh (sourced, not run).
#
# The same single KRaft node as kafka.sh, with two TLS listeners a client
# must pass to get in: SASL_SSL with SCRAM-SHA-512 (one user, made by
# StorageTool format --add-scram, so no admin call is needed once the broker
# runs) and SSL with a client certificate required (mTLS).  A PLAINTEXT
# listener stays for the broker itself and for readiness checks; tests that
# mean TLS use the other two.  The certificates are made at every start with
# openssl under build/services/kafka-tls/certs (a CA, a server certificate
# for 127.0.0.1 and localhost, a client certificate); the broker reads them
# as PEM, so no Java keystore or keytool is involved.  The SCRAM password is
# random per start and only ever written to a file (mode 600), whose name is
# in the env fragment: the secret stays out of build/services.env.

KT_USER=tetra

# kt_certs DIR: CA, server and client certificates in DIR
kt_certs() {
    mkdir -p "$1" || return 1
    (
        cd "$1" || exit 1
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
            -subj "/CN=tetra kafka-tls test CA $$" &&
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext &&
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=tetra-client" &&
        printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out client.pem -days 2 -extfile client.ext &&
        cat server.key server.pem >server-keystore.pem
    ) >>"$1/openssl.log" 2>&1
}

kt_config() { # DIR PLAIN SASL_SSL SSL CONTROLLER
    kafka_config "$1" "$2" "$5" | sed \
        -e "s#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$2,SASL_SSL://127.0.0.1:$3,SSL://127.0.0.1:$4,CONTROLLER://127.0.0.1:$5#" \
        -e "s#^advertised.listeners=.*#advertised.listeners=PLAINTEXT://127.0.0.1:$2,SASL_SSL://127.0.0.1:$3,SSL://127.0.0.1:$4#" \
        -e "s#^listener.security.protocol.map=.*#listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL#"
    cat <<EOT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$1/certs/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$1/certs/ca.pem
listener.name.ssl.ssl.client.auth=required
EOT
}

# kt_fetch, kt_java: kafka_fetch and kafka_java on KAFKA_TLS_VERSION (in a
# subshell, so the single node's KAFKA_VERSION is untouched)
kt_fetch() { (KAFKA_VERSION=$KAFKA_TLS_VERSION && kafka_fetch); }
kt_java() { (KAFKA_VERSION=$KAFKA_TLS_VERSION && kafka_java "$@"); }

kafka_tls_start() {
    need_java
    need kcat kcat
    need openssl openssl
    with_cache_lock kt_fetch || return 1
    kt_dir=$SVC/kafka-tls
    kt_plain=$(free_port) kt_sasl=$(free_port) kt_ssl=$(free_port) kt_ctl=$(free_port)
    rm -rf "$kt_dir/data" "$kt_dir/certs"
    kt_certs "$kt_dir/certs" || { fail_start kafka-tls "openssl failed (see $kt_dir/certs/openssl.log)"; return 1; }
    (umask 077 && python3 -c 'import secrets; print("tetra-" + secrets.token_hex(16))' >"$kt_dir/certs/password") || return 1
    kt_config "$kt_dir" "$kt_plain" "$kt_sasl" "$kt_ssl" "$kt_ctl" >"$kt_dir/server.properties"
    kafka_log4j >"$kt_dir/log4j2.properties"
    # The password passes through StorageTool's argv once, at format time
    # of a throwaway test broker: KRaft has no other way to seed a SCRAM
    # user before the broker runs.  Its "tetra-" prefix matters: StorageTool
    # reads a bare value such as 9094e166... as a number, not the password.
    if ! kt_java "$kt_dir" kafka.tools.StorageTool format --standalone \
        -t "$(kt_java "$kt_dir" kafka.tools.StorageTool random-uuid)" \
        -c "$kt_dir/server.properties" \
        --add-scram "SCRAM-SHA-512=[name=$KT_USER,password=\"$(cat "$kt_dir/certs/password")\"]" \
        >>"$kt_dir/log" 2>&1; then
        fail_start kafka-tls "kafka.tools.StorageTool format failed"
        return 1
    fi
    say "kafka-tls: starting (plain $kt_plain, SASL_SSL $kt_sasl, SSL+client cert $kt_ssl)"
    spawn kafka-tls java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$kt_dir/log4j2.properties" \
        -cp "$CACHE/kafka/$KAFKA_TLS_VERSION/libs/*" kafka.Kafka "$kt_dir/server.properties"
    wait_ready kafka-tls "${KAFKA_START_TIMEOUT:-120}" kafka_ready "$kt_plain" || return 1
    cat >"$kt_dir/env" <<EOT
export KAFKA_TLS_PLAIN_BROKERS='127.0.0.1:$kt_plain'
export KAFKA_TLS_SASL_BROKERS='127.0.0.1:$kt_sasl'
export KAFKA_TLS_MTLS_BROKERS='127.0.0.1:$kt_ssl'
export KAFKA_TLS_CA='$kt_dir/certs/ca.pem'
export KAFKA_TLS_CERT='$kt_dir/certs/client.pem'
export KAFKA_TLS_KEY='$kt_dir/certs/client.key'
export KAFKA_TLS_USER='$KT_USER'
export KAFKA_TLS_PASSWORD_FILE='$kt_dir/certs/password'
EOT
    say "kafka-tls: ready; SASL_SSL at 127.0.0.1:$kt_sasl, mTLS at 127.0.0.1:$kt_ssl"
}
