#!/bin/sh
# 06_secrets_argv.sh - a secret given with -X on the command line is refused
# by every program (exit 2, a usage error: the "Try '... --help'" line follows
# as after any other), the message points to the environment variable, and
# the value itself is never printed.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/bin}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
secret=planted-s3cret-value
for p in capture enrich sink; do
    for key in sasl.password ssl.key.password sasl.oauthbearer.client.secret; do
        echo '{}' | "$BIN/tetra-$p" -b 127.0.0.1:1 -t t -X "$key=$secret" >"$T/out" 2>"$T/err"
        rc=$?
        [ $rc = 2 ] || fail "tetra-$p -X $key=...: exit $rc, expected 2"
        [ ! -s "$T/out" ] || fail "tetra-$p wrote to stdout"
        grep -q "TETRA_KAFKA_$(echo "$key" | tr 'a-z.' 'A-Z_')" "$T/err" ||
            fail "tetra-$p -X $key: no hint of the environment variable: $(cat "$T/err")"
        ! grep -q "$secret" "$T/err" || fail "tetra-$p printed the secret"
        grep -q "^Try 'tetra-$p --help' for more information\.\$" "$T/err" ||
            fail "tetra-$p -X $key: no --help hint: $(cat "$T/err")"
    done
done
echo "ok: -X secrets refused by all three programs with the --help hint, value never printed"
