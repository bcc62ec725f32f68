#!/bin/sh
# mkrootfs.sh - the whole filesystem of the final image: the programs, the
# shared objects they load, the CA bundle, and the few files in /etc that a
# non-root process and its resolver read.  Nothing else: no shell, no libc
# tools, no package manager.
#
# usage: mkrootfs.sh ROOTFS UID PROGRAM...   (run in the Containerfile's rootfs stage)
#
# Why from ldd and not from package file lists: a package brings tools and
# data the programs never open (libc6 alone carries 10 MB of gconv modules),
# while ldd names exactly what the loader maps, and says "not found" when the
# runtime package list in the Containerfile lacks a library: the build fails
# here instead of the container at start.  What ldd cannot see is dlopen:
# glibc 2.36 has files/dns NSS built in, and the programs use no other
# plugin (librdkafka's GSSAPI would need Cyrus SASL modules; they are not
# here).  So that scanners (Trivy, Grype, Syft) still know the Debian
# packages and versions inside, each owning package gets its dpkg status
# entry in /var/lib/dpkg/status.d/ (the distroless layout) and its copyright
# file.
set -eu
[ $# -ge 3 ] || { echo "usage: mkrootfs.sh ROOTFS UID PROGRAM..." >&2; exit 2; }
ROOTFS=$1
USER_ID=$2
shift 2
die() { echo "mkrootfs: $*" >&2; exit 1; }

# keep a merged-/usr layout: /lib -> usr/lib and the like, as in the build root
mkdir -p "$ROOTFS"
for d in /lib /lib32 /lib64 /libx32; do
    if [ -L "$d" ]; then ln -sfn "$(readlink "$d")" "$ROOTFS$d"; fi
done

# copy_file PATH: PATH's content (symlinks followed) at its canonical
# directory under ROOTFS, under the name the loader asks for
copy_file() {
    cf_dir=$(readlink -f "$(dirname "$1")")
    mkdir -p "$ROOTFS$cf_dir"
    cp -L "$1" "$ROOTFS$cf_dir/$(basename "$1")"
}

mkdir -p "$ROOTFS/usr/local/bin"
: >/tmp/libs
for prog; do
    cp "$prog" "$ROOTFS/usr/local/bin/"
    ldd "$prog" >/tmp/ldd || die "ldd $prog failed"
    if grep -q 'not found' /tmp/ldd; then
        die "$prog needs libraries the rootfs stage did not install: $(grep 'not found' /tmp/ldd | tr -s '\t\n' '  ')"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' /tmp/ldd >>/tmp/libs
done
sort -u /tmp/libs >/tmp/libs.u
while read -r lib; do copy_file "$lib"; done </tmp/libs.u
copy_file /etc/ssl/certs/ca-certificates.crt

# owning packages: dpkg knows a library by the path it shipped, /lib/... or
# /usr/lib/..., so ask for both
{
    while read -r lib; do
        real=$(readlink -f "$lib")
        dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null ||
            dpkg -S "${real#/usr}" 2>/dev/null || echo "mkrootfs: no package owns $lib" >&2
    done </tmp/libs.u
    echo "ca-certificates: /etc/ssl/certs/ca-certificates.crt"
} | sed -n 's/^\([^:, ]*\)[:,].*/\1/p' | sort -u >/tmp/pkgs
mkdir -p "$ROOTFS/var/lib/dpkg/status.d"
while read -r pkg; do
    dpkg-query -s "$pkg" >"$ROOTFS/var/lib/dpkg/status.d/$pkg"
    if [ -f "/usr/share/doc/$pkg/copyright" ]; then
        mkdir -p "$ROOTFS/usr/share/doc/$pkg"
        cp "/usr/share/doc/$pkg/copyright" "$ROOTFS/usr/share/doc/$pkg/"
    fi
done </tmp/pkgs

# /etc: who UID is (libraries call getpwuid), how names resolve, what
# system this is (scanners read os-release)
mkdir -p "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' \
    "$USER_ID" "$USER_ID" >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' "$USER_ID" >"$ROOTFS/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
cp -L /etc/os-release /etc/debian_version "$ROOTFS/etc/"
chown "$USER_ID:$USER_ID" "$ROOTFS/home/nonroot"
chmod 1777 "$ROOTFS/tmp"

for banned in bin/sh usr/bin/sh bin/bash usr/bin/env usr/bin/cc usr/bin/gcc; do
    [ ! -e "$ROOTFS/$banned" ] || die "$banned ended up in the image"
done
echo "mkrootfs: $(wc -l </tmp/libs.u) shared objects from $(wc -l </tmp/pkgs) packages:" \
    "$(tr '\n' ' ' </tmp/pkgs)" >&2
