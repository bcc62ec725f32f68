#!/bin/sh
# 45_tls_kafka.sh - the three filters against the real Kafka broker over TLS
# (tests/services/kafka_tls.sh: certificates made by openssl at its start).
# mTLS: tetra-capture produces, tetra-enrich (-n, rules only) consumes and
# produces, tetra-sink consumes into the test OpenSearch, every client
# presenting the test client certificate; the settings come from a -c file
# (capture, sink) and TETRA_KAFKA_* variables (enrich has no -c).  Refusals
# must end with exit 1 and a clear error, bounded by timeout so a client that
# retried forever fails the test instead of hanging it: a broker CA we do not
# trust, no client certificate where one is required, a wrong SCRAM password
# (from TETRA_KAFKA_SASL_PASSWORD and from a -c file; for tetra-enrich also
# its transactional clients and its cache loader).  The password on argv
# (-X sasl.password) is refused with exit 2.  Then a SCRAM login that
# succeeds: capture and enrich over SASL_SSL.  The broker of kafka-tls is
# Kafka 3.9 for this (versions.env): librdkafka before 2.6.1, Debian 12's
# included, repeats the client nonce, which Kafka 4 rejects (librdkafka#4895).
. "$ROOT/tests/integration/sink/lib.sh"
setup_names ktls
started=
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; cleanup
      [ -n "$started" ] && sh "$ROOT/tests/services/services.sh" down kafka-tls >/dev/null 2>&1' EXIT
if [ -z "${KAFKA_TLS_MTLS_BROKERS:-}" ]; then
    sh "$ROOT/tests/services/services.sh" up kafka-tls || fail "kafka-tls did not start"
    started=1
    . "$ROOT/build/services.env"
fi
C="$BIN/tetra-capture" E="$BIN/tetra-enrich" S="$BIN/tetra-sink"
RAW="ktls-raw-$RUN" OUT="ktls-out-$RUN"
for n in reverse-shell-nc shadow-read miner normal-start exec-probe-shell; do
    cat "$ROOT/tests/fixtures/scenarios/$n.json"
done >"$T/in"
N=$(wc -l <"$T/in")

cat >"$T/mtls.conf" <<EOC
security.protocol=SSL
ssl.ca.location=$KAFKA_TLS_CA
ssl.certificate.location=$KAFKA_TLS_CERT
ssl.key.location=$KAFKA_TLS_KEY
EOC
grep -v '^ssl.ca.location' "$T/mtls.conf" >"$T/noca.conf"
grep -v '^ssl.\(certificate\|key\)' "$T/mtls.conf" >"$T/nocert.conf"

# refused NAME WANT-IN-STDERR CMD...: CMD ends with exit 1 within 60 s and
# says WANT (a regular expression)
refused() {
    name=$1 want=$2
    shift 2
    timeout -k 10 60 "$@" <"$T/in" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    [ $rc != 124 ] && [ $rc != 137 ] || fail "$name: hung on a refused connection: $(tail -n 2 "$T/$name.err")"
    [ $rc = 1 ] || fail "$name: exit $rc, want 1: $(tail -n 3 "$T/$name.err")"
    grep -q -i -E "^tetra-[a-z]+: error: .*($want)" "$T/$name.err" || fail "$name: no clear error: $(cat "$T/$name.err")"
    ok "$name refused (exit 1): $(grep -m 1 ': error: ' "$T/$name.err" | cut -c 1-160)"
}

# 1. mTLS all the way: capture -> enrich -> sink
timeout 60 "$C" -c "$T/mtls.conf" -b "$KAFKA_TLS_MTLS_BROKERS" -t "$RAW" <"$T/in" 2>"$T/cap.err" ||
    fail "capture over mTLS: exit $?: $(cat "$T/cap.err")"
TETRA_KAFKA_SECURITY_PROTOCOL=SSL TETRA_KAFKA_SSL_CA_LOCATION=$KAFKA_TLS_CA \
TETRA_KAFKA_SSL_CERTIFICATE_LOCATION=$KAFKA_TLS_CERT TETRA_KAFKA_SSL_KEY_LOCATION=$KAFKA_TLS_KEY \
    timeout 120 "$E" -n -b "$KAFKA_TLS_MTLS_BROKERS" -t "$RAW" -T "$OUT" -G "enr-$RUN" \
    --idle-exit 5000 2>"$T/enr.err" || fail "enrich over mTLS: exit $?: $(tail -n 5 "$T/enr.err")"
grep -q " read=$N written=$N " "$T/enr.err" || fail "enrich did not pass $N records: $(tail -n 2 "$T/enr.err")"
"$S" -c "$T/mtls.conf" -b "$KAFKA_TLS_MTLS_BROKERS" -t "$OUT" -G "sink-$RUN" --opensearch "$OS" \
    --index "$INDEX" --template-name "$TEMPLATE" 2>"$T/sink.err" &
SPID=$!
i=0
while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
kill -TERM $SPID 2>/dev/null
wait $SPID
SPID=
[ "$(count "$PREFIX-*")" = "$N" ] || fail "sink over mTLS indexed $(count "$PREFIX-*") of $N: $(tail -n 5 "$T/sink.err")"
ok "$N events: capture -> enrich -> sink over mTLS"

# 2. mTLS refusals: a broker CA we do not trust, no client certificate
refused cap-noca 'certificate verify failed' "$C" -c "$T/noca.conf" -b "$KAFKA_TLS_MTLS_BROKERS" -t "$RAW"
refused sink-noca 'certificate verify failed' "$S" -c "$T/noca.conf" -b "$KAFKA_TLS_MTLS_BROKERS" \
    -t "$OUT" -G "sink2-$RUN" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE"
refused enr-noca 'certificate verify failed' env TETRA_KAFKA_SECURITY_PROTOCOL=SSL "$E" -n -b "$KAFKA_TLS_MTLS_BROKERS" -t "$RAW" \
    -T "$OUT" -G "enr2-$RUN" --idle-exit 5000
refused cap-nocert 'SSL|handshake|certificate|Disconnected|transport' "$C" -c "$T/nocert.conf" \
    -b "$KAFKA_TLS_MTLS_BROKERS" -t "$RAW"

# 3. SASL_SSL with SCRAM-SHA-512
PW=$(cat "$KAFKA_TLS_PASSWORD_FILE")
sasl="-X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=$KAFKA_TLS_USER"
# shellcheck disable=SC2086 # sasl is a word list on purpose
timeout 30 "$C" $sasl -X ssl.ca.location="$KAFKA_TLS_CA" -X sasl.password=x -b "$KAFKA_TLS_SASL_BROKERS" \
    -t "$RAW" <"$T/in" 2>"$T/argv.err"
rc=$?
[ $rc = 2 ] && grep -q TETRA_KAFKA_SASL_PASSWORD "$T/argv.err" ||
    fail "-X sasl.password: exit $rc, want 2 naming TETRA_KAFKA_SASL_PASSWORD: $(cat "$T/argv.err")"
ok "a password on argv is refused (exit 2)"
# shellcheck disable=SC2086
refused cap-badpw 'Authentication failed' env TETRA_KAFKA_SASL_PASSWORD="wrong-$PW" "$C" $sasl \
    -X ssl.ca.location="$KAFKA_TLS_CA" -b "$KAFKA_TLS_SASL_BROKERS" -t "$RAW"
printf 'security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=%s\nsasl.password=wrong-%s\nssl.ca.location=%s\n' \
    "$KAFKA_TLS_USER" "$PW" "$KAFKA_TLS_CA" >"$T/badpw.conf"
refused sink-badpw 'Authentication failed' "$S" -c "$T/badpw.conf" -b "$KAFKA_TLS_SASL_BROKERS" \
    -t "$OUT" -G "sink3-$RUN" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE"
# tetra-enrich's own clients (not kafka_in/kafka_out): the transactional
# producer and consumer (a dry run has only the consumer) and the loader of
# --cache-topic
esasl="TETRA_KAFKA_SECURITY_PROTOCOL=SASL_SSL TETRA_KAFKA_SASL_MECHANISMS=SCRAM-SHA-512
TETRA_KAFKA_SASL_USERNAME=$KAFKA_TLS_USER TETRA_KAFKA_SSL_CA_LOCATION=$KAFKA_TLS_CA"
# shellcheck disable=SC2086 # esasl is a word list on purpose
refused enr-txn-badpw 'Authentication failed' env $esasl TETRA_KAFKA_SASL_PASSWORD="wrong-$PW" "$E" -n \
    -b "$KAFKA_TLS_SASL_BROKERS" -t "$RAW" -T "$OUT" -G "etxn-$RUN" --transactional-id "etxn-$RUN"
# shellcheck disable=SC2086
refused enr-dry-badpw 'Authentication failed' env $esasl TETRA_KAFKA_SASL_PASSWORD="wrong-$PW" "$E" \
    --dry-run --llm-url http://127.0.0.1:1 --llm-model m -b "$KAFKA_TLS_SASL_BROKERS" -t "$RAW" \
    -T "$OUT" -G "edry-$RUN" --transactional-id "edry-$RUN" --idle-exit 5000
# shellcheck disable=SC2086
refused enr-cache-badpw 'Authentication failed' env $esasl TETRA_KAFKA_SASL_PASSWORD="wrong-$PW" "$E" -n \
    -b "$KAFKA_TLS_SASL_BROKERS" --cache-topic "ecache-$RUN"
grep -q -F -e "$PW" "$T/sink-badpw.err" "$T/cap-badpw.err" "$T"/enr-*-badpw.err &&
    fail "the password was written to stderr"
# shellcheck disable=SC2086
refused cap-saslnoca 'certificate verify failed' env TETRA_KAFKA_SASL_PASSWORD="$PW" "$C" $sasl \
    -b "$KAFKA_TLS_SASL_BROKERS" -t "$RAW"

# 4. a SCRAM login that succeeds
printf 'security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=%s\nssl.ca.location=%s\n' \
    "$KAFKA_TLS_USER" "$KAFKA_TLS_CA" >"$T/sasl.conf"
TETRA_KAFKA_SASL_PASSWORD=$PW timeout 60 "$C" -c "$T/sasl.conf" -b "$KAFKA_TLS_SASL_BROKERS" \
    -t "$RAW-s" <"$T/in" 2>"$T/scap.err" || fail "capture over SASL_SSL: exit $?: $(cat "$T/scap.err")"
TETRA_KAFKA_SECURITY_PROTOCOL=SASL_SSL TETRA_KAFKA_SASL_MECHANISMS=SCRAM-SHA-512 \
TETRA_KAFKA_SASL_USERNAME=$KAFKA_TLS_USER TETRA_KAFKA_SSL_CA_LOCATION=$KAFKA_TLS_CA \
TETRA_KAFKA_SASL_PASSWORD=$PW timeout 120 "$E" -n -b "$KAFKA_TLS_SASL_BROKERS" -t "$RAW-s" \
    -T "$OUT-s" -G "senr-$RUN" --idle-exit 5000 2>"$T/senr.err" || fail "enrich over SASL_SSL: exit $?"
grep -q " read=$N written=$N " "$T/senr.err" || fail "enrich over SASL_SSL: $(tail -n 2 "$T/senr.err")"
ok "$N events: capture -> enrich over SASL_SSL with SCRAM-SHA-512"
