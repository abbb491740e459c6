#! /usr/bin/env atf-sh
#
# The Debian packages (make deb), installed in fresh Debian roots made
# with mmdebstrap: install, start, upgrade, remove and purge on Debian
# 12, the Debian 13 package on Debian 13.  Run by make check-deb (part
# of make check-slow), which builds the packages first: make check does
# not run this tree.
#
# Each root lives in namespaces of its own (mount, PID, network) held
# open by one process: wgd started in one step is still there in the
# next, and goes with the holder at the end.  Nothing booted that root:
# /sbin/runlevel says 2, as a running sysvinit machine's would, so that
# invoke-rc.d in the maintainer scripts acts as it would there.  The
# systemd test boots its root with systemd-nspawn instead.

top="$(atf_get_srcdir)/../.."
version=$(sed -n '1s/^wgd (\([^)]*\)).*/\1/p' "$top/debian/changelog")
arch=$(dpkg --print-architecture)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

deb_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "mmdebstrap unshare nsenter pgrep $*"
	atf_set "timeout" "1200"
}

# make_root DIST DEB [PACKAGE...]: a minbase root of DIST with what DEB
# depends on (not DEB itself) and the packages named, in ./root.
make_root()
{
	dist=$1 deb=$2
	shift 2
	[ -f "$deb" ] || atf_skip "no $deb: run make check-deb"
	deps=$(dpkg-deb -f "$deb" Pre-Depends Depends |
	    sed 's/^[A-Za-z-]*: //; s/([^)]*)//g; s/|[^,]*//g; s/,/ /g' |
	    tr -s ' \n' ',,' | sed 's/^,//; s/,$//')
	extra=$(echo "$*" | tr ' ' ',')
	mmdebstrap --quiet --variant=minbase \
	    --include="$deps${extra:+,$extra}" "$dist" root "$mirror" \
	    > mmdebstrap.log 2>&1 ||
	    atf_fail "mmdebstrap $dist: $(tail -n 5 mmdebstrap.log)"
}

# runlevel_stub: /sbin/runlevel says 2.  The file in the root is
# removed first: a link there (systemd-sysv's, to /bin/systemctl) is
# absolute and would lead to the host's.
runlevel_stub()
{
	rm -f root/sbin/runlevel root/usr/sbin/runlevel
	printf '#!/bin/sh\necho N 2\n' > root/sbin/runlevel
	chmod 755 root/sbin/runlevel
}

# root_up: the namespaces, with /proc, /dev, /sys and /run for the root.
root_up()
{
	unshare --mount --pid --net --fork --kill-child --propagation private \
	    sh -c '
		mount -t proc proc root/proc
		mount --rbind /dev root/dev
		mount -t sysfs sysfs root/sys
		mount -t tmpfs tmpfs root/run
		ip link set lo up
		exec sleep 3600' &
	echo $! > holder.pid
	i=0
	while ! in_root true 2>/dev/null; do
		[ $i -lt 50 ] || atf_fail "the root's namespaces did not come up"
		sleep 0.1
		i=$((i + 1))
	done
}

# in_root command...: runs in the root, in its namespaces.
in_root()
{
	# unshare forks: the holder's child is the process inside.
	pid=$(pgrep -P "$(cat holder.pid)" | head -n 1)
	[ -n "$pid" ] || return 1
	nsenter --target "$pid" --mount --pid --net \
	    chroot "$PWD/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    "$@"
}

root_down()
{
	[ -f holder.pid ] && kill "$(cat holder.pid)" 2>/dev/null
	sleep 0.5
	# The mounts went with the mount namespace; the files remain.
	rm -rf --one-file-system root
	true
}

# A server with a managed peer and a client endpoint, nothing else.
test_conf()
{
	cat <<'CONF'
interface "wg0" {
	listen-port 51820
	address 10.13.13.1/24
	client endpoint "vpn.example.org"
	peer "laptop"
}
CONF
}

# boot_root: the root booted by systemd-nspawn, in the background;
# in_booted then runs commands in the container, under its systemd.
boot_root()
{
	# A host with cgroup v1 (this one) would give the container v1,
	# which trixie's systemd no longer boots on.
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
	    systemd-nspawn --quiet --boot --directory="$PWD/root" --register=no \
	    --keep-unit --private-network --console=pipe > boot.log 2>&1 &
	echo $! > nspawn.pid
	i=0
	# The container's init: nspawn's child once it runs systemd, not
	# before (nsenter would then reach this machine's systemd).
	until pid=$(pgrep -x -P "$(cat nspawn.pid)" systemd) &&
	    state=$(nsenter --target "$pid" --all systemctl \
	    is-system-running 2>/dev/null; true) &&
	    { [ "$state" = running ] || [ "$state" = degraded ]; }; do
		[ $i -lt 300 ] || atf_fail "the root did not boot: $(cat boot.log)"
		sleep 0.1
		i=$((i + 1))
	done
	echo "$pid" > leader.pid
}

in_booted()
{
	nsenter --target "$(cat leader.pid)" --all \
	    /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

boot_down()
{
	if [ -f nspawn.pid ]; then
		kill "$(cat nspawn.pid)" 2>/dev/null
		i=0
		while kill -0 "$(cat nspawn.pid)" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$(cat nspawn.pid)" 2>/dev/null
		sleep 0.5
	fi
	rm -rf --one-file-system root
	true
}

state_sums()
{
	(cd root/var/lib/wgd && find . -type f | sort | xargs sha256sum)
}

# wgd_parent: the pid of the running parent, in the root's namespace.
wgd_parent()
{
	$run pgrep -x -f 'wgd: parent'
}

# lifecycle DEB NEW: install, start ($start), provision, upgrade, remove
# and purge; $run is the way into the root.
lifecycle()
{
	deb=$1 new=$2
	cp "$deb" "$new" root/var/tmp/

	# Installed: the user, the files, the service disabled, not running.
	$run dpkg -i "/var/tmp/$(basename "$deb")" > install.log 2>&1 ||
	    atf_fail "dpkg -i: $(cat install.log)"
	$run getent passwd _wgd | grep -q ':/var/empty:' ||
	    atf_fail "no _wgd user"
	for f in /usr/sbin/wgd /usr/sbin/wgctl /etc/init.d/wgd \
	    /lib/systemd/system/wgd.service /usr/lib/sysusers.d/wgd.conf \
	    /usr/lib/tmpfiles.d/wgd.conf /usr/share/man/man8/wgd.8.gz \
	    /usr/share/man/man5/wgd.conf.5.gz /usr/share/man/man8/wgctl.8.gz; do
		[ -e "root$f" ] || atf_fail "no $f"
	done
	[ "$(stat -c %a root/etc/wgd.conf)" = 600 ] || atf_fail "wgd.conf mode"
	grep -qx /etc/wgd.conf root/var/lib/dpkg/info/wgd.conffiles ||
	    atf_fail "wgd.conf is no conffile"
	[ -d root/var/lib/wgd ] || atf_fail "no /var/lib/wgd (tmpfiles)"
	ls root/etc/rc2.d | grep -q '^S..wgd$' && atf_fail "enabled at install"
	wgd_parent > /dev/null && atf_fail "wgd started before its config"

	# The administrator's config, then enable and start.
	test_conf > root/etc/wgd.conf
	$run wgd -n || atf_fail "wgd -n"
	$start > start.log 2>&1 || atf_fail "start: $(cat start.log)"
	old=$(wgd_parent) || atf_fail "wgd did not start: $(cat start.log)"
	$run wgctl show > show || atf_fail "wgctl show"
	grep -q '^peer: laptop' show || atf_fail "$(cat show)"
	$run wgctl peer laptop conf > laptop.conf || atf_fail "peer conf"
	grep -q '^Endpoint = vpn.example.org:51820$' laptop.conf ||
	    atf_fail "$(cat laptop.conf)"
	state_sums > state.before
	for f in wg0/server/privatekey-server wg0/peer_laptop/peer_laptop.conf; do
		grep -q " \./$f\$" state.before || atf_fail "no $f in the state"
	done

	# Upgrade: restarted, same keys, addresses and client files.
	$run dpkg -i "/var/tmp/$(basename "$new")" > upgrade.log 2>&1 ||
	    atf_fail "upgrade: $(cat upgrade.log)"
	$run dpkg-query -W -f '${Version}' wgd | grep -qx "$version+upgrade" ||
	    atf_fail "not upgraded"
	now=$(wgd_parent) ||
	    atf_fail "not running after the upgrade: $(cat upgrade.log)"
	[ "$now" != "$old" ] ||
	    atf_fail "wgd was not restarted: $(cat upgrade.log)"
	state_sums > state.after
	diff -u state.before state.after || atf_fail "the state changed"
	$run wgctl peer laptop conf > laptop.after || atf_fail "peer conf"
	cmp -s laptop.conf laptop.after || atf_fail "the client conf changed"
	test_conf | cmp -s root/etc/wgd.conf - || atf_fail "wgd.conf replaced"

	# Remove: stopped, programs gone, keys and config kept.
	$run dpkg -r wgd > remove.log 2>&1 ||
	    atf_fail "dpkg -r: $(cat remove.log)"
	wgd_parent > /dev/null && atf_fail "still running after remove"
	[ -e root/usr/sbin/wgd ] && atf_fail "wgd left after remove"
	state_sums > state.removed
	diff -u state.before state.removed || atf_fail "remove took the state"
	[ -f root/etc/wgd.conf ] || atf_fail "remove took wgd.conf"

	# Purge: all gone.
	$run dpkg -P wgd > purge.log 2>&1 ||
	    atf_fail "dpkg -P: $(cat purge.log)"
	[ -e root/var/lib/wgd ] && atf_fail "purge left /var/lib/wgd"
	[ -e root/etc/wgd.conf ] && atf_fail "purge left wgd.conf"
	ls root/etc/rc*.d | grep -q wgd && atf_fail "purge left rc links"
	true
}

atf_test_case sysvinit cleanup
sysvinit_head()
{
	deb_head
	atf_set "descr" "Debian 12 without systemd: the package installs disabled, starts once enabled, keeps keys and client files across an upgrade that restarts wgd, keeps them on remove, and purge takes them"
}
sysvinit_body()
{
	deb="$top/.obj/debs/bookworm/wgd_${version}_$arch.deb"
	new="$top/.obj/debs/bookworm/wgd_${version}+upgrade_$arch.deb"
	[ -f "$new" ] || atf_skip "no $new: run make check-deb"
	make_root bookworm "$deb" sysvinit-core systemd
	runlevel_stub
	root_up
	run=in_root start=sysv_start
	lifecycle "$deb" "$new"
}
sysvinit_cleanup()
{
	root_down
}

# What the administrator does on a machine without systemd.
sysv_start()
{
	in_root update-rc.d wgd enable && in_root /etc/init.d/wgd start
}

atf_test_case systemd cleanup
systemd_head()
{
	deb_head systemd-nspawn
	atf_set "descr" "Debian 12 booted with systemd (systemd-nspawn): systemd-analyze verify takes the unit, which starts, reloads and restarts on an upgrade only once enabled"
}
systemd_body()
{
	deb="$top/.obj/debs/bookworm/wgd_${version}_$arch.deb"
	new="$top/.obj/debs/bookworm/wgd_${version}+upgrade_$arch.deb"
	[ -f "$new" ] || atf_skip "no $new: run make check-deb"
	make_root bookworm "$deb" systemd systemd-sysv dbus
	boot_root
	run=in_booted start=systemd_start
	lifecycle "$deb" "$new"
}
systemd_cleanup()
{
	boot_down
}

# The unit as systemd reads it, then what the administrator does.
systemd_start()
{
	in_booted systemctl is-enabled wgd | grep -qx disabled ||
	    atf_fail "enabled at install"
	# No man-db in the root: the pages' files are checked above.
	in_booted systemd-analyze verify --man=no wgd.service \
	    > verify.log 2>&1 ||
	    atf_fail "systemd-analyze verify: $(cat verify.log)"
	grep wgd verify.log &&
	    atf_fail "systemd-analyze verify: $(cat verify.log)"
	in_booted systemctl enable --now wgd || return 1
	in_booted systemctl is-active wgd | grep -qx active ||
	    atf_fail "not active: $(in_booted systemctl status wgd)"
	in_booted systemctl reload wgd ||
	    atf_fail "reload: $(in_booted systemctl status wgd)"
}

atf_test_case trixie cleanup
trixie_head()
{
	deb_head systemd-nspawn
	atf_set "descr" "Debian 13 booted with systemd (systemd-nspawn): its package installs disabled, wgd -n takes the example configuration, the unit passes systemd-analyze verify, starts, reloads and serves a managed peer"
}
trixie_body()
{
	deb="$top/.obj/debs/trixie/wgd_${version}_$arch.deb"
	make_root trixie "$deb" systemd systemd-sysv dbus
	cp "$deb" root/var/tmp/
	boot_root
	run=in_booted
	$run dpkg -i "/var/tmp/$(basename "$deb")" > install.log 2>&1 ||
	    atf_fail "dpkg -i: $(cat install.log)"
	$run wgd -n > check.log 2>&1 || atf_fail "wgd -n: $(cat check.log)"
	[ -e root/usr/lib/systemd/system/wgd.service ] || atf_fail "no unit"
	wgd_parent > /dev/null && atf_fail "wgd started at install"
	test_conf > root/etc/wgd.conf
	systemd_start > start.log 2>&1 || atf_fail "start: $(cat start.log)"
	$run wgctl show > show || atf_fail "wgctl show"
	grep -q '^peer: laptop' show || atf_fail "$(cat show)"
}
trixie_cleanup()
{
	boot_down
}

atf_init_test_cases()
{
	atf_add_test_case sysvinit
	atf_add_test_case systemd
	atf_add_test_case trixie
}
