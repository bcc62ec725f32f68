#!/bin/sh
# 60_containers.sh - the image `make image` builds, run the way a cluster
# runs it: three containers (tetra-capture, tetra-enrich, tetra-sink)
# against the real Kafka and OpenSearch, each with a read-only root, no
# capabilities and the image's non-root user.
# 0. the image: built (or reused when its inputs did not change); its user is
#    non-root; no shell, no other program: the only executables are the
#    three filters, and `--entrypoint /bin/sh` fails for want of a shell.
# 1. Kafka, as Deployments: enrich and sink run detached as consumers,
#    capture produces N events; OpenSearch ends with N enriched documents;
#    the running sink's process is UID 65532 without capabilities; SIGTERM
#    (podman stop) ends enrich and sink with status 0.
# 2. stdio, as on a laptop: capture | enrich | sink as three `podman run -i`
#    joined by pipes index the same N events.
# podman is installed when missing (scripts/podman.sh), never skipped.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS is not set (start the services)"; exit 77; }
. "$ROOT/tests/integration/sink/lib.sh"
. "$ROOT/scripts/podman.sh"
setup_names ctr
IMG=${TETRA_TEST_IMAGE:-localhost/tetragonsidekick:test}
N=300
CTRS=""
trap 'for c in $CTRS; do pm rm -f "$c" >/dev/null 2>&1; done; cleanup' EXIT

podman_deps || fail "cannot install podman"
podman_setup || fail "podman does not work here"
sh "$ROOT/scripts/image.sh" build "$IMG" || fail "make image failed"

# --- 0. the image ---------------------------------------------------------------
user=$(pm image inspect --format '{{.Config.User}}' "$IMG")
case $user in 0 | 0:* | root* | '') fail "the image runs as '$user'" ;; esac
pm create --name "$PREFIX-fs" "$IMG" >/dev/null || fail "podman create"
CTRS="$PREFIX-fs"
pm export "$PREFIX-fs" | tar -tvf - >"$T/files" || fail "podman export"
# executables: regular files with an x bit that are not shared objects
awk '$1 ~ /^-/ && $1 ~ /x/ && $NF !~ /\.so(\.[0-9]+)*$/ { print $NF }' "$T/files" | sort >"$T/exes"
printf '%s\n' usr/local/bin/tetra-capture usr/local/bin/tetra-enrich usr/local/bin/tetra-sink >"$T/want-exes"
diff "$T/want-exes" "$T/exes" >"$T/d" || fail "executables besides the filters: $(cat "$T/d")"
# shellcheck disable=SC2086
if pm run --rm $PODMAN_LIMITS --entrypoint /bin/sh "$IMG" -c true >"$T/sh" 2>&1; then
    fail "/bin/sh ran in the image"
fi
grep -q 'no such file' "$T/sh" || fail "/bin/sh failed for another reason: $(cat "$T/sh")"
ok "image $IMG: user $user, no shell, the three filters are its only executables"

# what a cluster would impose: no writable root (not even podman's tmpfs on
# /tmp), no capabilities, no privilege gain; Kafka and OpenSearch on 127.0.0.1
RUN_FLAGS="$PODMAN_LIMITS --network=host --read-only --read-only-tmpfs=false --cap-drop=ALL
    --security-opt=no-new-privileges --pull=never"
# shellcheck disable=SC2086
run() { pm run $RUN_FLAGS "$@"; }

# --- 1. through Kafka, long-running consumers ------------------------------------------
RAW="$PREFIX-raw"
ENR="$PREFIX-enriched"
sh "$GEN" "$N" "$RUN" plain >"$T/plain"
run -i --rm "$IMG" tetra-capture -q -b "$KAFKA_BROKERS" -t "$RAW" <"$T/plain" >"$T/cap" 2>&1 ||
    fail "capture container: $(cat "$T/cap")"
run -d --name "$PREFIX-enrich" "$IMG" tetra-enrich -n -b "$KAFKA_BROKERS" -t "$RAW" -G "$PREFIX-e" \
    -T "$ENR" >/dev/null || fail "enrich container did not start"
CTRS="$CTRS $PREFIX-enrich"
# the sink subscribes once enrich has made its topic (a consumer would
# otherwise wait for librdkafka's next metadata refresh)
i=0
until kcat -C -b "$KAFKA_BROKERS" -t "$ENR" -o beginning -c 1 -e -q >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 120 ] && fail "nothing on $ENR after 60 s: $(pm logs "$PREFIX-enrich" 2>&1 | tail -n 5)"
    sleep 0.5
done
run -d --name "$PREFIX-sink" "$IMG" tetra-sink -b "$KAFKA_BROKERS" -t "$ENR" -G "$PREFIX-s" \
    --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" >/dev/null ||
    fail "sink container did not start"
CTRS="$CTRS $PREFIX-sink"
i=0
while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done

pid=$(pm inspect --format '{{.State.Pid}}' "$PREFIX-sink")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
[ "$uid" = 65532 ] || fail "the sink runs as UID '$uid'"
[ "$capeff" = 0000000000000000 ] || fail "the sink holds capabilities $capeff"

for c in enrich sink; do
    pm stop -t 30 "$PREFIX-$c" >/dev/null || fail "podman stop $c"
    st=$(pm inspect --format '{{.State.ExitCode}}' "$PREFIX-$c")
    pm logs "$PREFIX-$c" >"$T/log-$c" 2>&1
    [ "$st" = 0 ] || fail "$c exited $st after SIGTERM: $(tail -n 5 "$T/log-$c")"
    echo "$c: $(grep 'read=' "$T/log-$c" | tail -n 1)"
done
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "$got documents in OpenSearch, want $N"
alerts=$(count "$PREFIX-*" '{"term":{"event.kind":"alert"}}')
[ "$alerts" = "$N" ] || fail "$alerts enriched documents, want $N"
ok "capture -> Kafka -> enrich -> Kafka -> sink in containers: $got documents, all enriched;" \
    "sink ran as UID $uid without capabilities; SIGTERM ended enrich and sink with 0"

# --- 2. three containers joined by pipes ---------------------------------------------------
RUN2=$((RUN + 1))
sh "$GEN" "$N" "$RUN2" plain >"$T/plain2"
run -i --rm "$IMG" tetra-capture -q <"$T/plain2" 2>"$T/e1" |
    run -i --rm "$IMG" tetra-enrich -q -n 2>"$T/e2" |
    run -i --rm "$IMG" tetra-sink --opensearch "$OS" --index "$PREFIX-pipe-%Y.%m.%d" \
        --template-name "$TEMPLATE" >"$T/out" 2>"$T/e3" ||
    fail "capture | enrich | sink: $(cat "$T/e1" "$T/e2" "$T/e3")"
[ ! -s "$T/out" ] || fail "the sink wrote to stdout: $(head -c 200 "$T/out")"
got=$(count "$PREFIX-pipe-*")
[ "$got" = "$N" ] || fail "pipe: $got documents, want $N: $(cat "$T/e1" "$T/e2" "$T/e3")"
ok "capture | enrich | sink as three containers over stdio: $got documents"
exit 0
