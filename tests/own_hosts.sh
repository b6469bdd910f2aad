#!/bin/sh
# usage: own_hosts.sh NAME ADDR COMMAND...
# Runs COMMAND where the host name NAME resolves to ADDR through the C
# library's resolver, whatever the machine calls itself and whatever its
# /etc/hosts says (a container or a debootstrap'ed root promises neither):
# in a mount namespace of its own (unshare --mount, with a user namespace
# that maps the caller to root when not root), /etc/hosts is "ADDR NAME"
# and /etc/nsswitch.conf "hosts: files". Where /etc has no such files to
# mount over, a copy of /etc holding them is mounted over /etc.
#
# In a chroot whose / is not a mount point, unshare cannot make the new
# namespace's mounts private, and a mount made under a shared one would
# appear outside too. There the new namespace keeps the propagation it was
# given, but everything is mounted under /proc made private first: a tmpfs
# over /proc (for a moment), on it a recursive bind of / made private,
# whose /etc gets the files; COMMAND runs chrooted into that bind, with the
# real /proc.
set -eu
if [ "${1:-}" = --inside ]; then
    dir=$2 root=$3
    shift 3
    if [ "$root" != / ]; then
        # the chroot case: a root of our own, private, under /proc
        mount --make-rprivate /proc
        mount -t tmpfs own_hosts /proc
        mkdir /proc/root
        mount --rbind / /proc/root
        mount --make-rprivate /proc/root
        umount /proc/root/proc   # the tmpfs: the real /proc below it again
        root=/proc/root
    fi
    if [ -f "$root/etc/hosts" ] && [ -f "$root/etc/nsswitch.conf" ]; then
        mount --bind "$dir/hosts" "$root/etc/hosts"
        mount --bind "$dir/nsswitch.conf" "$root/etc/nsswitch.conf"
    else
        cp -a "$root/etc" "$dir/etc"
        cp "$dir/hosts" "$dir/nsswitch.conf" "$dir/etc/"
        mount --bind "$dir/etc" "$root/etc"
    fi
    [ "$root" = / ] && exec "$@"
    exec chroot "$root" sh -c 'cd "$1" && shift && exec "$@"' sh "$(pwd)" "$@"
fi
[ $# -ge 3 ] || { echo "usage: own_hosts.sh NAME ADDR COMMAND..." >&2; exit 2; }
name=$1 addr=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
chmod 755 "$dir"
printf '%s %s\n' "$addr" "$name" >"$dir/hosts"
printf 'hosts: files\n' >"$dir/nsswitch.conf"
chmod 644 "$dir/hosts" "$dir/nsswitch.conf"
if [ "$(id -u)" = 0 ]; then ns="unshare --mount"; else ns="unshare --mount --map-root-user"; fi
root=/
if ! mountpoint -q /; then
    ns="unshare --mount --propagation unchanged"
    root=/proc/root
fi
code=0
$ns sh "$0" --inside "$dir" "$root" "$@" || code=$?
exit $code
