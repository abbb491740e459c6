#!/bin/sh
# regress/check-fresh.sh: the README's two commands on a bare Debian 12
# (make check-fresh).
#
# Builds a minimal Debian 12 root with only make, git, ca-certificates
# and sudo (mmdebstrap --variant=minbase), clones this tree's HEAD into
# it and runs `make demo` and then `.ci/run` (make check and its summary)
# there, as a new user would on a fresh machine.  A test skipped for a
# missing program counts as failed (.ci/run), so a package missing from
# make deps shows here even when this machine happens to have it.
#
# The bare root is cached as a tarball under .obj/fresh/, keyed by the
# mmdebstrap command and make deps' package list, and so made anew when
# either changes; apt's downloaded packages are kept beside it so that a
# second run does not fetch them again.  Every run unpacks a new copy of
# the root, in a mount namespace of its own, and removes it afterwards.
# Needs root, the network to Debian's mirrors, and DEB_PACKAGES in the
# environment (the make target passes it).

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$TOP/.obj/fresh
SUITE=bookworm
MIRRORS="deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main"
INCLUDE=make,git,ca-certificates,sudo

die() {
	printf 'check-fresh: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (chroot, mounts, network namespaces)"
[ -n "${DEB_PACKAGES:-}" ] || die "DEB_PACKAGES is not set: run make check-fresh"
git -C "$TOP" rev-parse -q --verify HEAD >/dev/null || die "no HEAD to clone"

if ! command -v mmdebstrap >/dev/null 2>&1; then
	echo "check-fresh: installing mmdebstrap"
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install \
	    -y -q --no-install-recommends mmdebstrap ||
	    die "cannot install mmdebstrap"
fi

key=$(printf '%s\n%s\n%s\n%s\n' "$SUITE" "$INCLUDE" "$MIRRORS" \
    "$DEB_PACKAGES" | sha256sum | cut -c1-16)
base=$CACHE/$key
mkdir -p "$CACHE"
for old in "$CACHE"/*; do
	[ "$old" = "$base" ] || [ "$old" = "$CACHE/run" ] || rm -rf "$old"
done

if [ ! -f "$base/root.tar" ]; then
	echo "check-fresh: making a bare Debian 12 root ($INCLUDE)"
	mkdir -p "$base/archives"
	printf '%s\n' "$MIRRORS" | mmdebstrap --variant=minbase --format=tar \
	    --include="$INCLUDE" "$SUITE" "$base/root.tar.new" - ||
	    die "mmdebstrap failed"
	mv "$base/root.tar.new" "$base/root.tar"
fi

ROOT=$CACHE/run
# An earlier run that was killed may have left its copy.
rm -rf "$ROOT"
mkdir -p "$ROOT"
trap 'rm -rf "$ROOT"' EXIT
trap 'exit 1' INT TERM HUP
tar -C "$ROOT" -xf "$base/root.tar" || die "cannot unpack the root"
# Not through a link the root may have there: it would lead to the host's.
rm -f "$ROOT/etc/resolv.conf"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
git clone -q --no-hardlinks "$TOP" "$ROOT/src/wgd" || die "git clone"
# Tests look for ../shared (the reference wireguard-go builds).
mkdir -p "$ROOT/src/shared"
[ -d "$TOP/../shared" ] && cp -a "$TOP/../shared/." "$ROOT/src/shared/"
mkdir -p "$ROOT/var/cache/apt/archives"
echo "check-fresh: $(git -C "$TOP" log -1 --format='%h %s') in $ROOT"

# The mounts live in a mount namespace of their own and go with it, and
# the processes in a PID namespace: an interrupted run leaves no daemon.
# The root is bound on itself so that `ip netns exec` can remount / as
# a slave inside it; apt's cache is the one kept beside the tarball.
unshare --mount --pid --fork --propagation private sh -eu -c '
	ROOT=$1 ARCHIVES=$2
	mount --bind "$ROOT" "$ROOT"
	mount -t proc proc "$ROOT/proc"
	mount --rbind /sys "$ROOT/sys"
	mount --rbind /dev "$ROOT/dev"
	mount -t tmpfs -o mode=0755 tmpfs "$ROOT/run"
	mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
	mount --bind "$ARCHIVES" "$ROOT/var/cache/apt/archives"
	exec chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    sh -c "cd /src/wgd && make demo && sh .ci/run"
' sh "$ROOT" "$base/archives"
status=$?
if [ $status -eq 0 ]; then
	echo "check-fresh: passed on a bare Debian 12"
else
	echo "check-fresh: FAILED on a bare Debian 12 (exit $status)"
fi
exit $status
