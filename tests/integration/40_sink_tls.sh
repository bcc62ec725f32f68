#!/bin/sh
# 40_sink_tls.sh - TLS to OpenSearch: certificate verification is on by
# default (a server certificate from an unknown CA is refused and nothing
# is indexed), --ca-file makes it trusted, --insecure skips the check, and
# a client certificate and key (--cert, --key) are presented when the
# server asks for one (and the server refuses a sink without them).  A
# throwaway CA and certificates are made with openssl in a temporary
# directory; sink/tlsproxy.py terminates TLS in front of the shared,
# plain-HTTP OpenSearch and says which client certificate it saw.
. "$ROOT/tests/integration/sink/lib.sh"
command -v python3 >/dev/null || { echo "python3 is needed for the proxy"; exit 77; }
command -v openssl >/dev/null || { echo "openssl is needed for the certificates"; exit 77; }
setup_names tls
N=${SINK_TEST_N:-300}
P1=
P2=
trap 'kill $P1 $P2 2>/dev/null; cleanup' EXIT
hostport=${OS#http://}
hostport=${hostport%%/*}
oshost=${hostport%:*}
osport=${hostport##*:}

# --- a CA, a server certificate for 127.0.0.1 and a client certificate
C="$T/certs"
mkdir -p "$C"
mk() { openssl "$@" >>"$C/openssl.log" 2>&1 || fail "openssl $1: $(tail -n 3 "$C/openssl.log")"; }
mk req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.pem" -days 2 \
    -subj "/CN=tsink test CA $RUN"
mk req -newkey rsa:2048 -nodes -keyout "$C/srv.key" -out "$C/srv.csr" -subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$C/srv.ext"
mk x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
    -out "$C/srv.pem" -days 2 -extfile "$C/srv.ext"
mk req -newkey rsa:2048 -nodes -keyout "$C/cli.key" -out "$C/cli.csr" -subj "/CN=tsink-client-$RUN"
printf 'extendedKeyUsage=clientAuth\n' >"$C/cli.ext"
mk x509 -req -in "$C/cli.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
    -out "$C/cli.pem" -days 2 -extfile "$C/cli.ext"

# start_proxy LOG [CLIENT_CA]: sets PORT and PID
start_proxy() {
    log=$1
    shift
    python3 "$ROOT/tests/integration/sink/tlsproxy.py" 0 "$oshost" "$osport" "$C/srv.pem" \
        "$C/srv.key" "$@" >"$log" 2>"$log.err" &
    PID=$!
    i=0
    while [ ! -s "$log" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(head -n 1 "$log")
    [ -n "$PORT" ] || fail "the TLS proxy did not start: $(cat "$log.err")"
}
start_proxy "$T/p1"
P1=$PID
URL1="https://127.0.0.1:$PORT"
start_proxy "$T/p2" "$C/ca.pem"
P2=$PID
URL2="https://127.0.0.1:$PORT"

sh "$GEN" "$N" "$RUN" >"$T/events"
# run NAME URL [options]: the sink over TLS, bounded in time (a sink that
# retried a refused handshake forever would otherwise hang the test)
run() {
    name=$1 url=$2
    shift 2
    timeout 60 "$SINK" --opensearch "$url" --index "$INDEX" --template-name "$TEMPLATE" "$@" \
        <"$T/events" >"$T/$name.out" 2>"$T/$name.err"
    echo $?
}

# 1. verification is on: the test CA is unknown to the system store
rc=$(run noca "$URL1")
[ "$rc" != 0 ] || fail "the sink trusted a certificate of an unknown CA"
[ "$rc" != 124 ] || fail "an untrusted certificate made the sink hang: $(tail -n 3 "$T/noca.err")"
grep -qi 'certificate' "$T/noca.err" || fail "no word about the certificate: $(cat "$T/noca.err")"
[ -z "$(os GET "/_cat/indices/$PREFIX-*?h=index")" ] ||
    fail "documents were indexed through an untrusted connection"
grep -q 'handshake failed' "$T/p1" || fail "the proxy saw no refused handshake: $(cat "$T/p1")"
ok "unknown CA refused (exit $rc): $(grep -i -m 1 certificate "$T/noca.err")"

# 2. --ca-file trusts the test CA
rc=$(run ca "$URL1" --ca-file "$C/ca.pem")
[ "$rc" = 0 ] || fail "with --ca-file: exit $rc: $(tail -n 3 "$T/ca.err")"
[ "$(summary_value "$T/ca.err" indexed)" = "$N" ] || fail "with --ca-file: $(tail -n 1 "$T/ca.err")"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "$(count "$PREFIX-*") documents, want $N"
ok "--ca-file: $N events -> $N documents over TLS"

# 3. --insecure skips the check (the same events: all already there)
rc=$(run insecure "$URL1" --insecure)
[ "$rc" = 0 ] || fail "with --insecure: exit $rc: $(tail -n 3 "$T/insecure.err")"
[ "$(summary_value "$T/insecure.err" duplicates)" = "$N" ] ||
    fail "with --insecure: $(tail -n 1 "$T/insecure.err")"
ok "--insecure: connected without the CA, $N duplicates"

# 4. a server that requires a client certificate
rc=$(run nocert "$URL2" --ca-file "$C/ca.pem")
[ "$rc" != 0 ] || fail "the server required a client certificate, yet the sink got through"
[ "$rc" != 124 ] || fail "a refused client made the sink hang: $(tail -n 3 "$T/nocert.err")"
grep -q 'handshake failed' "$T/p2" || fail "the proxy did not refuse: $(cat "$T/p2")"
grep -q 'TLS refused.*certificate' "$T/nocert.err" || fail "no word about the refusal: $(cat "$T/nocert.err")"
ok "no client certificate: refused (exit $rc): $(grep -m 1 'TLS refused' "$T/nocert.err")"
rc=$(run cert "$URL2" --ca-file "$C/ca.pem" --cert "$C/cli.pem" --key "$C/cli.key")
[ "$rc" = 0 ] || fail "with --cert/--key: exit $rc: $(tail -n 3 "$T/cert.err")"
grep -q "client CN=tsink-client-$RUN" "$T/p2" || fail "the client certificate was not presented: $(cat "$T/p2")"
[ "$(summary_value "$T/cert.err" duplicates)" = "$N" ] || fail "with --cert: $(tail -n 1 "$T/cert.err")"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "$(count "$PREFIX-*") documents, want $N"
ok "client certificate CN=tsink-client-$RUN presented and accepted; still $N documents"
exit 0
