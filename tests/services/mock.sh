# mock.sh - the zero-setup broker part of services.sh (sourced, not run).
#
# tetra-mockbroker (tools/mockbroker) is librdkafka's in-memory mock
# cluster: no Java, no download, ready in a second.  It stands in for Kafka
# in the demo; it sets KAFKA_BROKERS, so it and `kafka` exclude each other
# (starting one stops the other).

mock_bin() {
    mb_bin=${MOCKBROKER:-$ROOT/bin/tetra-mockbroker}
    if [ ! -x "$mb_bin" ] && [ -z "${MOCKBROKER:-}" ]; then
        say "mock: building $mb_bin"
        make -C "$ROOT" --no-print-directory bin/tetra-mockbroker >&2 || return 1
    fi
    [ -x "$mb_bin" ] || { say "mock: no executable $mb_bin"; return 1; }
    echo "$mb_bin"
}

mock_start() {
    ms_bin=$(mock_bin) || return 1
    ms_dir=$SVC/mock
    rm -f "$ms_dir/bootstrap"
    # the one stdout line is the bootstrap address; diagnostics go to the log;
    # MOCK_ARGS (e.g. "-n 3 -t tetragon.raw:6") is split into words on purpose
    # shellcheck disable=SC2086
    setsid "$ms_bin" ${MOCK_ARGS:-} >"$ms_dir/bootstrap" 2>>"$ms_dir/log" </dev/null 9>&- 8>&- &
    echo $! >"$ms_dir/pgid"
    wait_ready mock "${MOCK_START_TIMEOUT:-20}" test -s "$ms_dir/bootstrap" || return 1
    ms_boot=$(head -n 1 "$ms_dir/bootstrap")
    echo "export KAFKA_BROKERS='$ms_boot'" >"$ms_dir/env"
    say "mock: ready at $ms_boot"
}
