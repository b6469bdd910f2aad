#!/bin/sh
# usage: own_hosts.sh NAME ADDR COMMAND...
# Runs COMMAND where the host name NAME resolves to ADDR through the C
# library's resolver, whatever the machine calls itself and whatever its
# /etc/hosts says (a container or a debootstrap'ed root promises neither):
# in a mount namespace of its own (unshare --mount, with a user namespace
# that maps the caller to root when not root), /etc/hosts is "ADDR NAME"
# and /etc/nsswitch.conf "hosts: files". Where /etc has no such files to
# mount over, a copy of /etc holding them is mounted over /etc.
set -eu
if [ "${1:-}" = --inside ]; then
    dir=$2
    shift 2
    if [ -f /etc/hosts ] && [ -f /etc/nsswitch.conf ]; then
        mount --bind "$dir/hosts" /etc/hosts
        mount --bind "$dir/nsswitch.conf" /etc/nsswitch.conf
    else
        cp -a /etc "$dir/etc"
        cp "$dir/hosts" "$dir/nsswitch.conf" "$dir/etc/"
        mount --bind "$dir/etc" /etc
    fi
    exec "$@"
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
code=0
$ns sh "$0" --inside "$dir" "$@" || code=$?
exit $code
