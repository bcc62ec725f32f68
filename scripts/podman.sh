# podman.sh - podman with the flags this machine needs (sourced by
# scripts/image.sh and tests/integration/60_containers.sh, not run).
#
# Why it exists: a stock podman fails in some places the project is built,
# and each failure has its own flag.  Without systemd as PID 1 the systemd
# cgroup manager cannot work (--cgroup-manager=cgroupfs); crun fails on
# hybrid cgroup v1 hierarchies where runc works (--runtime runc, whenever
# runc is installed); a kernel or filesystem without overlay mounts needs
# the vfs storage driver; and where the caller's hard limits are lower than
# podman's default rlimits, runc's setrlimit is refused unless the limits are
# given (--ulimit).  podman_setup finds which apply once, so every call site
# says just `pm run ...`.  Nothing here is needed by the image itself.
#
# Functions: podman_deps (install podman, runc, uidmap, mmdebstrap from
# Debian when missing), podman_setup (fills PODMAN_GLOBAL and PODMAN_LIMITS;
# returns 1 with a message when podman cannot work), pm ARGS (podman with
# the global flags), and PODMAN_LIMITS to add to `run` and `build`.

# podman_deps: the Debian packages of the container tools, installed only
# when missing (as scripts/install-deps.sh does for the build)
podman_deps() {
    pd_missing=""
    command -v podman >/dev/null 2>&1 || pd_missing="$pd_missing podman"
    command -v runc >/dev/null 2>&1 || pd_missing="$pd_missing runc"
    command -v newuidmap >/dev/null 2>&1 || pd_missing="$pd_missing uidmap"
    command -v mmdebstrap >/dev/null 2>&1 || pd_missing="$pd_missing mmdebstrap"
    [ -z "$pd_missing" ] && return 0
    echo "podman.sh: installing$pd_missing" >&2
    pd_sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "podman.sh: not root and no sudo; run as root: apt-get install$pd_missing" >&2
            return 1
        }
        pd_sudo=sudo
    fi
    command -v apt-get >/dev/null 2>&1 || {
        echo "podman.sh: no apt-get here; install the equivalents of:$pd_missing" >&2
        return 1
    }
    # another apt run may hold the dpkg lock for a while: wait for it; the
    # package lists may be stale or absent: update once when install fails
    pd_apt="$pd_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -qq"
    # shellcheck disable=SC2086
    $pd_apt install --no-install-recommends $pd_missing >/dev/null 2>&1 && return 0
    # shellcheck disable=SC2086
    $pd_apt update && $pd_apt install --no-install-recommends $pd_missing >/dev/null && return 0
    echo "podman.sh: apt-get install$pd_missing failed" >&2
    return 1
}

# podman_setup: decide the flags (see the top of this file)
podman_setup() {
    PODMAN_GLOBAL=""
    command -v runc >/dev/null 2>&1 && PODMAN_GLOBAL="--runtime runc"
    [ -d /run/systemd/system ] || PODMAN_GLOBAL="$PODMAN_GLOBAL --cgroup-manager=cgroupfs"
    # the configured driver (overlay) checks at start that it can mount; an
    # existing store keeps its driver, so this answers the same every time
    # shellcheck disable=SC2086
    if ! podman $PODMAN_GLOBAL info >/dev/null 2>&1; then
        PODMAN_GLOBAL="$PODMAN_GLOBAL --storage-driver vfs"
        # shellcheck disable=SC2086
        podman $PODMAN_GLOBAL info >/dev/null 2>&1 || {
            echo "podman.sh: podman does not work here, neither with overlay nor vfs:" >&2
            podman $PODMAN_GLOBAL info 2>&1 | tail -n 3 >&2
            return 1
        }
    fi
    # rlimits the container may have: at most what this process may have
    # (the runtime cannot raise a hard limit), and bounded like podman's own
    # defaults; nproc counts per user, so a modest cap is plenty
    # shellcheck disable=SC3045 # dash and bash both have ulimit -H
    ps_nofile=$(ulimit -Hn)
    case $ps_nofile in unlimited | '' | *[!0-9]*) ps_nofile=1048576 ;; esac
    [ "$ps_nofile" -gt 1048576 ] && ps_nofile=1048576
    # shellcheck disable=SC2034 # for the scripts that source this file
    PODMAN_LIMITS="--ulimit nofile=$ps_nofile:$ps_nofile --ulimit nproc=4096:4096"
}

# pm ARGS...: podman with this machine's global flags
pm() {
    # shellcheck disable=SC2086
    podman $PODMAN_GLOBAL "$@"
}
