#!/bin/sh
# 55_enrich_llm_https.sh - tetra-enrich talks to its LLM endpoint over
# HTTPS with verification on by default.  bench/fake-llm.py (an
# OpenAI-compatible stub that counts what it served) sits behind
# sink/tlsproxy.py, which terminates TLS with a certificate of a CA made
# here by openssl.  Without --llm-ca-file the CA is unknown: the LLM call
# fails on the certificate, the stub is never reached and the records come
# out with the rules' verdict only; with --llm-ca-file the same run gets
# its explanations through the proxy.
set -u
command -v openssl >/dev/null || { echo "FAIL: openssl is needed for the certificates"; exit 1; }
E="$BIN/tetra-enrich"
T=$(mktemp -d) || exit 1
LP= PP=
trap 'kill $LP $PP 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

mk() { openssl "$@" >>"$T/openssl.log" 2>&1 || fail "openssl $1: $(tail -n 3 "$T/openssl.log")"; }
mk req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj "/CN=llm test CA $$"
mk req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
mk x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -out "$T/srv.pem" \
    -days 2 -extfile "$T/srv.ext"

python3 "$ROOT/bench/fake-llm.py" "$T/llm.port" &
LP=$!
i=0
while [ ! -s "$T/llm.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/llm.port" ] || fail "fake-llm.py did not start"
python3 "$ROOT/tests/integration/sink/tlsproxy.py" 0 127.0.0.1 "$(cat "$T/llm.port")" "$T/srv.pem" \
    "$T/srv.key" >"$T/proxy" 2>"$T/proxy.err" &
PP=$!
i=0
while [ ! -s "$T/proxy" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL="https://127.0.0.1:$(head -n 1 "$T/proxy")/v1"
[ -n "${URL#https://127.0.0.1:/v1}" ] || fail "the TLS proxy did not start: $(cat "$T/proxy.err")"
served() { curl -s "http://127.0.0.1:$(cat "$T/llm.port")/" | sed -n 's/.*"served": *\([0-9]*\).*/\1/p'; }

for n in reverse-shell-nc shadow-read miner; do cat "$ROOT/tests/fixtures/scenarios/$n.json"; done >"$T/in"
run() { # NAME [options]
    name=$1
    shift
    timeout 60 "$E" --llm-url "$URL" --llm-model fake --llm-retries 0 --llm-timeout 10000 "$@" \
        <"$T/in" >"$T/$name.out" 2>"$T/$name.err"
    echo $?
}

# 1. verification on by default: the CA is unknown, the LLM is never asked
rc=$(run noca)
[ "$rc" = 0 ] || fail "without the CA: exit $rc: $(tail -n 3 "$T/noca.err")"
grep -q -i 'LLM: .*certificate' "$T/noca.err" || fail "no word about the certificate: $(cat "$T/noca.err")"
grep -q ' llm_ok=0 ' "$T/noca.err" || fail "an LLM call succeeded through an untrusted certificate"
grep -q '"source":"SOURCE_LLM"' "$T/noca.out" && fail "a record claims an LLM verdict without a trusted connection"
[ "$(wc -l <"$T/noca.out")" = 3 ] || fail "records lost when the LLM was refused"
[ "$(served)" = 0 ] || fail "the stub served $(served) requests through an untrusted connection"
grep -q 'handshake failed' "$T/proxy" || fail "the proxy saw no refused handshake: $(cat "$T/proxy")"
ok "untrusted LLM certificate refused: $(grep -m 1 -i 'LLM: .*certificate' "$T/noca.err" | cut -c 1-140)"

# 2. --llm-ca-file trusts the test CA: explanations come through HTTPS
rc=$(run ca --llm-ca-file "$T/ca.pem")
[ "$rc" = 0 ] || fail "with --llm-ca-file: exit $rc: $(tail -n 3 "$T/ca.err")"
grep -q ' llm_errors=0 ' "$T/ca.err" || fail "LLM errors over trusted HTTPS: $(cat "$T/ca.err")"
n=$(grep -c '"source":"SOURCE_LLM"' "$T/ca.out")
[ "$n" -ge 1 ] || fail "no LLM verdict over HTTPS: $(head -c 400 "$T/ca.out")"
[ "$(served)" -ge 1 ] || fail "the stub behind the proxy was never asked"
ok "$n LLM verdicts over HTTPS with --llm-ca-file ($(served) requests served behind TLS)"

# 3. a CA file that cannot be read is a usage error, not a silent fallback
rc=$(run badca --llm-ca-file "$T/none.pem")
[ "$rc" = 2 ] && grep -q 'llm-ca-file' "$T/badca.err" ||
    fail "a missing --llm-ca-file: exit $rc, want 2 naming the option: $(cat "$T/badca.err")"
ok "a missing --llm-ca-file is a usage error (exit 2)"
