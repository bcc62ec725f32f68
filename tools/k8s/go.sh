#!/bin/sh
# go.sh - print the path of a Go toolchain new enough for the modules under
# tools/k8s, installing one when the machine has none.
#
# Why it is shaped so: the Kubernetes test tools are built from the Go module
# proxy, and a test that cannot build them must fail, not skip, so a machine
# without Go has to get one by itself.  Debian's golang-go is older than what
# kube-apiserver needs, and Go's own toolchain switching (GOTOOLCHAIN) is
# newer than Debian's go, so the switch is done here the way the go command
# does it: the release is the module golang.org/toolchain on the proxy,
# fetched with whatever go is present (Debian's, if nothing else) and kept
# under the shared cache.  Module zips carry no executable bits, so they are
# set again after the copy, as the go command does.
#
# usage: tools/k8s/go.sh [--fetch]
#   --fetch  provision the toolchain from the proxy even if a local go is new
#            enough (the test of this path uses it)
# exit: 0 path printed, 1 no toolchain could be had
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}/go
FETCH=0
[ "${1:-}" = "--fetch" ] && FETCH=1

say() { echo "go.sh: $*" >&2; }

# the highest `go` directive of the tools' modules: what every build needs
need=$(awk '$1 == "go" { print $2 }' "$HERE"/*/go.mod | sort -V | tail -n 1)

# version_of GO: "1.26.8" from "go version go1.26.8 linux/amd64"
version_of() { "$1" version 2>/dev/null | awk '{ sub(/^go/, "", $3); print $3 }'; }

# new_enough GO: its version sorts at or above $need
new_enough() {
    v=$(version_of "$1") || return 1
    [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$need" "$v" | sort -V | head -n 1)" = "$need" ]
}

candidates() {
    command -v go 2>/dev/null || true
    echo /usr/local/go/bin/go
    echo /usr/lib/go/bin/go
}

# bootstrap: any go at all, Debian's golang-go when there is none
bootstrap() {
    for g in $(candidates); do
        [ -x "$g" ] && { echo "$g"; return 0; }
    done
    command -v apt-get >/dev/null 2>&1 || { say "no go and no apt-get: install Go $need or newer"; return 1; }
    [ "$(id -u)" = 0 ] || { say "no go: run as root, or apt-get install golang-go"; return 1; }
    say "no Go toolchain here: installing Debian's golang-go to fetch Go $need with"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends golang-go >/dev/null; } ||
        { say "apt-get install golang-go failed"; return 1; }
    for g in /usr/bin/go /usr/lib/go/bin/go; do [ -x "$g" ] && { echo "$g"; return 0; }; done
    say "golang-go installed but no go binary found"
    return 1
}

# fetch: golang.org/toolchain@v0.0.1-go$need.linux-ARCH into $CACHE/go$need
fetch() {
    dest=$CACHE/go$need
    if [ -x "$dest/bin/go" ] && new_enough "$dest/bin/go"; then echo "$dest/bin/go"; return 0; fi
    boot=$(bootstrap) || return 1
    case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
    mod=golang.org/toolchain@v0.0.1-go$need.linux-$arch
    say "fetching Go $need ($mod) with $boot"
    work=$(mktemp -d)
    # outside any module, so the download needs no go.mod
    dir=$(cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=local "$boot" mod download -json "$mod" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
    rm -rf "$work"
    [ -n "$dir" ] && [ -d "$dir" ] || { say "could not download $mod from the module proxy"; return 1; }
    mkdir -p "$CACHE"
    rm -rf "$dest.tmp.$$"
    cp -R "$dir" "$dest.tmp.$$" && chmod -R u+w "$dest.tmp.$$"
    chmod +x "$dest.tmp.$$"/bin/* "$dest.tmp.$$"/pkg/tool/*/*
    rm -rf "$dest" && mv "$dest.tmp.$$" "$dest"
    new_enough "$dest/bin/go" || { say "$dest/bin/go does not report Go $need"; return 1; }
    echo "$dest/bin/go"
}

if [ "$FETCH" = 0 ]; then
    for g in $(candidates) "$CACHE/go$need/bin/go"; do
        if [ -x "$g" ] && new_enough "$g"; then echo "$g"; exit 0; fi
    done
fi
fetch
