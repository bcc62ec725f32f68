#!/bin/sh
# image.sh - build the container image of the three filters (make image), or
# only its base image, on a machine without a container registry.
#
# usage: image.sh build NAME   ensure podman and the base image, build NAME
#                              from examples/container/Containerfile (or reuse
#                              it), report its size
#        image.sh base         only the base image
#
# Why it is shaped so: the Containerfile starts FROM the official name of
# Debian's slim image, so the same file builds against a registry anywhere.
# Here no registry answers, so this script makes that image from Debian
# packages instead (mmdebstrap, minbase, with the slim image's dpkg
# excludes), keeps the tarball in ${TETRA_CACHE:-~/.cache/tetragonsidekick}/
# container/ (remade after 30 days, for security updates), and imports it
# under that name.  A built image carries a label with the hash of its
# inputs (the Containerfile, every path its COPY lines name, the base image),
# so a build whose inputs did not change only re-tags an image already here.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/podman.sh"
CONTAINERFILE=$ROOT/examples/container/Containerfile
CACHE=${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}/container
BASE_TAR=$CACHE/debian-bookworm-slim.tar
BASE_MAX_AGE_DAYS=30
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
INPUTS_LABEL=tetragonsidekick.inputs

say() { echo "image.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# the image name the Containerfile's ARG DEBIAN gives FROM
base_name() { sed -n 's/^ARG DEBIAN=//p' "$CONTAINERFILE"; }

make_base_tar() {
    say "making the base tarball with mmdebstrap (bookworm, minbase; about 2 minutes)"
    mkdir -p "$CACHE"
    # the slim variant's excludes; copyright files stay (licenses of what ships)
    mmdebstrap --variant=minbase --format=tar --quiet \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
        bookworm "$BASE_TAR.tmp" \
        "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
        "deb $SECURITY_MIRROR bookworm-security main" || { rm -f "$BASE_TAR.tmp"; return 1; }
    mv "$BASE_TAR.tmp" "$BASE_TAR"
}

# ensure_base: the base image under its official name.  One from a registry
# (no label of ours) is used as it is; ours is re-imported when the tarball
# is newer than what was imported.
ensure_base() {
    eb_name=$(base_name)
    [ -n "$eb_name" ] || die "no ARG DEBIAN= line in $CONTAINERFILE"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9 || die "cannot lock $CACHE/.lock"
    eb_have=""
    if pm image exists "$eb_name"; then
        eb_have=$(pm image inspect --format '{{index .Labels "tetragonsidekick.base"}}' "$eb_name")
        [ -z "$eb_have" ] || [ "$eb_have" = "<no value>" ] && { exec 9>&-; return 0; }
    fi
    if [ ! -f "$BASE_TAR" ] || [ -n "$(find "$BASE_TAR" -mtime +"$BASE_MAX_AGE_DAYS")" ]; then
        make_base_tar || die "mmdebstrap failed (is $MIRROR reachable?)"
    fi
    eb_stamp=$(stat -c %Y "$BASE_TAR")
    if [ "$eb_have" != "$eb_stamp" ]; then
        say "importing $BASE_TAR as $eb_name"
        pm import --quiet --change 'CMD ["bash"]' --change "LABEL tetragonsidekick.base=$eb_stamp" \
            "$BASE_TAR" "$eb_name" >/dev/null || die "podman import failed"
    fi
    exec 9>&-
}

# inputs_hash: sha256 over the Containerfile, the files its COPY lines take
# from the context, and the base image's id
inputs_hash() {
    ih_paths=$(awk '$1 == "COPY" && $2 !~ /^--from/ {
        for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$CONTAINERFILE")
    {
        # shellcheck disable=SC2086
        (cd "$ROOT" && find examples/container/Containerfile $ih_paths -type f -print |
            LC_ALL=C sort | xargs sha256sum)
        pm image inspect --format '{{.Id}}' "$(base_name)"
    } | sha256sum | cut -c1-16
}

report_size() {
    rs_bytes=$(pm image inspect --format '{{.Size}}' "$1")
    say "$1: $(awk -v b="$rs_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') ($rs_bytes bytes)," \
        "id $(pm image inspect --format '{{.Id}}' "$1" | cut -c1-12)"
}

build() {
    bd_name=$1
    bd_hash=$(inputs_hash)
    bd_same=$(pm images --filter "label=$INPUTS_LABEL=$bd_hash" --format '{{.ID}}' | head -n 1)
    if [ -n "$bd_same" ]; then
        pm tag "$bd_same" "$bd_name"
        say "$bd_name is up to date (inputs $bd_hash)"
        report_size "$bd_name"
        return 0
    fi
    bd_old=""
    pm image exists "$bd_name" && bd_old=$(pm image inspect --format '{{.Id}}' "$bd_name")
    bd_t0=$(date +%s)
    # shellcheck disable=SC2086
    pm build --pull=never --network=host $PODMAN_LIMITS --jobs 2 \
        --label "$INPUTS_LABEL=$bd_hash" -f "$CONTAINERFILE" -t "$bd_name" "$ROOT" ||
        die "podman build failed"
    say "built $bd_name in $(($(date +%s) - bd_t0)) s (inputs $bd_hash)"
    # the image this name pointed to before, if nothing else names it now
    if [ -n "$bd_old" ] && [ -z "$(pm image inspect --format '{{join .RepoTags ""}}' "$bd_old" 2>/dev/null)" ]; then
        pm rmi "$bd_old" >/dev/null 2>&1 || true
    fi
    report_size "$bd_name"
}

case ${1:-} in
build)
    if [ $# != 2 ] || [ -z "$2" ]; then die "usage: image.sh build NAME"; fi
    podman_deps || exit 1
    podman_setup || exit 1
    ensure_base
    build "$2" ;;
base)
    podman_deps || exit 1
    podman_setup || exit 1
    ensure_base ;;
*) echo "usage: image.sh build NAME | base" >&2; exit 2 ;;
esac
