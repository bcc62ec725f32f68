#!/bin/sh
# build.sh - builds the Kubernetes pieces tests/k8s runs against: a real
# kube-apiserver and etcd from the Go module proxy, and the fake kubelet;
# and the clients that render and apply examples/: kubectl (with its
# built-in kustomize) and helm.
#
# Each binary goes to a cache shared by all checkouts,
# ${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}/k8s/bin, under a name keyed
# by its pinned version and a hash of its module files, so bumping a pin in a
# go.mod rebuilds and an unchanged pin is never rebuilt.  Links named
# kube-apiserver, etcd, fakekubelet, kubectl and helm in build/k8s/bin of this checkout then
# point at the right cached binaries; tests/k8s/lib.sh uses those.  The
# kube-apiserver build takes minutes on a fresh machine, so only one build
# runs at a time (a lock on the cache) and it is timed on stderr.  No VCS
# stamping (-buildvcs=false): the checkout may not be a usable git tree.
#
# usage: tools/k8s/build.sh [-f] [all|clients|kube-apiserver|etcd|fakekubelet|kubectl|helm]...
#   -f  rebuild even if the cached binary exists
#   all is the servers every test needs; clients (kubectl, helm) are built
#   only by the tests that use them, so that no single test's first build
#   has to fit all five into its time limit.
# exit: 0 built or cached, 1 build failed or no Go could be had, 2 usage
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}/k8s/bin
LINKS=$ROOT/build/k8s/bin
# One build at a time across checkouts and test runs sharing the cache.
if [ -z "${TETRA_K8S_BUILD_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    mkdir -p "$CACHE"
    export TETRA_K8S_BUILD_LOCKED=1
    exec flock "$CACHE/.lock" sh "$0" "$@"
fi
FORCE=0
if [ "${1:-}" = "-f" ]; then FORCE=1; shift; fi
[ $# -gt 0 ] || set -- all

say() { echo "build.sh: $*" >&2; }

# find_go: a Go new enough for these modules; go.sh installs one if need be
find_go() {
    sh "$HERE/go.sh"
}

# pinned MODFILE MODULE: the version MODULE is required at in MODFILE
pinned() {
    awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$1" | head -n 1
}

# key DIR: a short hash of a module's go.mod, go.sum and sources
key() {
    (cd "$1" && cat go.mod $(ls go.sum *.go 2>/dev/null)) | sha256sum | cut -c1-12
}

# build_one NAME DIR VERSION PACKAGE [LDFLAGS]
build_one() {
    name=$1 dir=$2 version=$3 pkg=$4 ldx=${5:-}
    out="$CACHE/$name-$version-$(key "$dir")"
    mkdir -p "$LINKS"
    if [ "$FORCE" = 0 ] && [ -x "$out" ]; then
        ln -sf "$out" "$LINKS/$name"
        say "$name $version: cached ($out)"
        return 0
    fi
    say "$name $version: building (CGO_ENABLED=0) ..."
    start=$(date +%s)
    if ! (cd "$dir" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local \
        "$GO" build -trimpath -ldflags "-s -w $ldx" -o "$out.tmp.$$" "$pkg"); then
        rm -f "$out.tmp.$$"
        say "$name $version: build FAILED"
        return 1
    fi
    mv -f "$out.tmp.$$" "$out"
    ln -sf "$out" "$LINKS/$name"
    say "$name $version: built in $(($(date +%s) - start))s ($out)"
}

# build_kubernetes NAME DIR: a command of k8s.io/kubernetes pinned in DIR's
# go.mod, stamped with its release so that it reports it (/version,
# kubectl version) instead of "v0.0.0-master".
build_kubernetes() {
    v=$(pinned "$HERE/$2/go.mod" k8s.io/kubernetes)
    minor=$(echo "$v" | cut -d. -f2)
    ldx="-X k8s.io/component-base/version.gitVersion=$v"
    ldx="$ldx -X k8s.io/component-base/version.gitMajor=1"
    ldx="$ldx -X k8s.io/component-base/version.gitMinor=$minor"
    build_one "$1" "$HERE/$2" "$v" "k8s.io/kubernetes/cmd/$1" "$ldx"
}

build_apiserver() { build_kubernetes kube-apiserver apiserver; }

build_etcd() {
    v=$(pinned "$HERE/etcd/go.mod" go.etcd.io/etcd/server/v3)
    build_one etcd "$HERE/etcd" "$v" go.etcd.io/etcd/server/v3
}

build_kubectl() { build_kubernetes kubectl kubectl; }

build_helm() {
    v=$(pinned "$HERE/helm/go.mod" helm.sh/helm/v4)
    build_one helm "$HERE/helm" "$v" helm.sh/helm/v4/cmd/helm \
        "-X helm.sh/helm/v4/internal/version.version=$v"
}

build_fakekubelet() {
    build_one fakekubelet "$HERE/fakekubelet" dev .
}

main() {
    if ! GO=$(find_go); then
        say "no Go toolchain could be had; see go.sh's message above"
        exit 1
    fi
    mkdir -p "$CACHE"
    for what in "$@"; do
        case $what in
        all) build_fakekubelet && build_etcd && build_apiserver ;;
        kube-apiserver) build_apiserver ;;
        etcd) build_etcd ;;
        fakekubelet) build_fakekubelet ;;
        clients) build_kubectl && build_helm ;;
        kubectl) build_kubectl ;;
        helm) build_helm ;;
        *) say "unknown target $what"; exit 2 ;;
        esac || exit 1
    done
}

main "$@"
