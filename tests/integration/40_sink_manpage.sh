#!/bin/sh
# 40_sink_manpage.sh - tetra-sink --help and man/tetra-sink.1 list
# the same options.  The option table in sink/cli.c drives --help; the
# man page is written by hand, so this is what keeps the two together.  The
# test also proves it can fail: a copy of the man page with one option
# removed must be caught.
set -u
BIN=${BIN:-$ROOT/bin}
MAN="$ROOT/man/tetra-sink.1"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

# "-b, --brokers BROKERS   text" -> "-b" and "--brokers", one per line
help_opts() {
    "$BIN/tetra-sink" --help | awk '/^  -|^      --/ {
        left = substr($0, 3, 32)
        n = split(left, w, /[ ,]+/)
        for (i = 1; i <= n; i++) if (w[i] ~ /^-/) print w[i]
    }' | sort
}

# ".It Fl b , Fl \-brokers Ar brokers" -> "-b" and "--brokers"
man_opts() {
    sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$1" | grep '^\.It Fl' | sed 's/\\-/-/g' | awk '{
        for (i = 1; i < NF; i++) if ($i == "Fl") { o = $(i + 1); sub(/,$/, "", o); print "-" o }
    }' | sort
}

help_opts >"$T/help" || { echo "tetra-sink --help failed"; exit 1; }
man_opts "$MAN" >"$T/man"
[ "$(wc -l <"$T/help")" -ge 16 ] || { echo "too few options parsed from --help:"; cat "$T/help"; exit 1; }
if ! diff -u "$T/help" "$T/man"; then
    echo "--help (-) and man/tetra-sink.1 (+) list different options"
    exit 1
fi

# The check itself must notice a dropped option.
grep -v '^\.It Fl \\-dlq' "$MAN" >"$T/drifted.1"
man_opts "$T/drifted.1" >"$T/man2"
if diff -q "$T/help" "$T/man2" >/dev/null; then
    echo "the comparison did not notice a missing --dlq"
    exit 1
fi
echo "help and man page agree on $(wc -l <"$T/help") option names"
