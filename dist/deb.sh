#!/bin/sh
# deb.sh DIST ARCH OUT: wgd_VERSION_ARCH.deb for Debian DIST (bookworm,
# trixie) into OUT, checked by lintian.
#
# It is built with dpkg-buildpackage in a root of DIST for the build
# machine's architecture (mmdebstrap, cached under .obj/debroots until
# the source paragraph of debian/control changes), a cross build there
# for another ARCH: so a
# package for each release links the libraries of that release, and the
# build machine's own packages stay as they are.  Needs root (chroot)
# and Debian's mirror the first time.
#
# DEB_VERSION=V builds the package as version V (the upgrade test's
# newer package); DEBIAN_MIRROR overrides the mirror.

set -eu

dist=$1 arch=$2 out=$3
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
build=$(dpkg --print-architecture)
src=$(pwd)
root=$src/.obj/debroots/$dist-$arch

die()
{
	echo "deb.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (chroot)"
[ -f debian/control ] || die "run from the source tree"

# in_root command: runs command in the root, with /proc of its own and
# an environment of its own: a make above us (make deb ARCH=arm64)
# would hand its variables down to the package's make in MAKEFLAGS.
in_root()
{
	unshare --mount --pid --fork --propagation private sh -euc '
		mount -t proc proc "$1/proc"
		root=$1
		shift
		exec chroot "$root" /usr/bin/env -i \
		    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		    LC_ALL=C.UTF-8 "$@"' sh "$root" "$@"
}

mkdir -p "$src/.obj"
sed '/^$/q' debian/control > "$src/.obj/control.source"
if ! cmp -s "$src/.obj/control.source" "$root/.control"; then
	echo "deb.sh: making the $dist root for $arch packages in $root"
	archs=$build include=debhelper,lintian
	if [ "$arch" != "$build" ]; then
		archs=$build,$arch
		include=$include,crossbuild-essential-$arch
	fi
	# Never into what a killed mmdebstrap may have left mounted.
	rm -rf --one-file-system "$root.new" "$root"
	mkdir -p "$(dirname "$root")"
	mmdebstrap --quiet --variant=buildd --architectures="$archs" \
	    --include="$include" \
	    --customize-hook='mkdir -p "$1/tmp/wgd"' \
	    --customize-hook='copy-in debian /tmp/wgd' \
	    --customize-hook="chroot \"\$1\" apt-get build-dep --yes \
		--host-architecture=$arch /tmp/wgd" \
	    --customize-hook='rm -rf "$1/tmp/wgd"' \
	    "$dist" "$root.new" "$mirror"
	cp "$src/.obj/control.source" "$root.new/.control"
	mv "$root.new" "$root"
fi

# The tree as git sees it (tracked files and new ones, no build output).
rm -rf --one-file-system "$root/build"
mkdir -p "$root/build/wgd"
git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf - | tar -C "$root/build/wgd" -xf -
[ -f "$root/build/wgd/debian/rules" ] || die "cannot copy the tree"

if [ -n "${DEB_VERSION:-}" ]; then
	{
		printf 'wgd (%s) unstable; urgency=medium\n\n' "$DEB_VERSION"
		printf '  * Rebuilt as %s.\n\n' "$DEB_VERSION"
		printf ' -- %s  %s\n' \
		    "$(sed -n 's/^ -- \(.*>\)  .*/\1/p;T;q' debian/changelog)" \
		    "$(date -R)"
		echo
		cat debian/changelog
	} > "$root/build/wgd/debian/changelog"
fi

in_root sh -euc "cd /build/wgd && dpkg-buildpackage -us -uc -b -a$arch"
debs=$(cd "$root/build" && ls wgd_*_"$arch".deb 2>/dev/null) ||
    die "no package built"
# lintian as nobody: it warns against running as root.
in_root setpriv --reuid=65534 --regid=65534 --clear-groups \
    lintian --fail-on error,warning "/build/$debs"
mkdir -p "$out"
cp "$root/build/$debs" "$out/"
echo "$out/$debs"
