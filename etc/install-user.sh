#!/bin/sh
#
# Create the unprivileged user of wgd(8), _wgd, if it does not exist.
# Run by "make install"; takes DESTDIR from the environment.
#
# A staging install (DESTDIR set) creates no user: the package or the
# administrator of the target machine does that, for example with the
# systemd-sysusers snippet installed beside this.

WGD_USER=_wgd
WGD_HOME=/var/empty
# systemd-sysusers needs an absolute path: it opens a relative one
# below the root directory, not the current one.
SYSUSERS_CONF=$(cd "$(dirname "$0")" && pwd)/sysusers.d/wgd.conf

manual="useradd --system --user-group --home-dir $WGD_HOME --no-create-home --shell /usr/sbin/nologin $WGD_USER"

if [ -n "${DESTDIR:-}" ]; then
	echo "install-user: DESTDIR is set: not creating user $WGD_USER;" \
	    "create it on the target system"
	exit 0
fi

if id "$WGD_USER" >/dev/null 2>&1; then
	echo "install-user: user $WGD_USER exists"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-user: not root: not creating user $WGD_USER;" \
	    "as root, run: $manual"
	exit 0
fi

nologin=/usr/sbin/nologin
for f in /usr/sbin/nologin /sbin/nologin /bin/false; do
	if [ -x "$f" ]; then
		nologin=$f
		break
	fi
done

if command -v systemd-sysusers >/dev/null 2>&1 &&
    [ -r "$SYSUSERS_CONF" ]; then
	echo "install-user: creating user $WGD_USER with systemd-sysusers"
	systemd-sysusers "$SYSUSERS_CONF" || exit 1
elif command -v useradd >/dev/null 2>&1; then
	echo "install-user: creating user $WGD_USER with useradd"
	useradd --system --user-group --comment "wgd WireGuard daemon" \
	    --home-dir "$WGD_HOME" --no-create-home --shell "$nologin" \
	    "$WGD_USER" || exit 1
elif command -v adduser >/dev/null 2>&1; then
	# BusyBox (Alpine): -S system user, -D no password, -H no home.
	echo "install-user: creating user $WGD_USER with adduser"
	addgroup -S "$WGD_USER" || exit 1
	adduser -S -D -H -h "$WGD_HOME" -s "$nologin" -G "$WGD_USER" \
	    "$WGD_USER" || exit 1
else
	echo "install-user: no systemd-sysusers, useradd or adduser;" \
	    "create user $WGD_USER by hand" >&2
	exit 1
fi

if ! id "$WGD_USER" >/dev/null 2>&1; then
	echo "install-user: user $WGD_USER was not created" >&2
	exit 1
fi
