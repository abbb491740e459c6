# Shared by the daemon tests: a private network namespace per test case,
# wgd started inside it, and a cleanup that removes both.
#
# Every name a test makes starts with wgdt<pid>, and every process it
# kills is one it started (found by pid, never by name).

top="$(atf_get_srcdir)/../.."
. "$top/regress/qemu.sh"
WGD="$top/wgd/wgd"
WGCTL="$top/wgctl/wgctl"
BADCLIENT="$top/regress/daemon/badclient"

# A per-test namespace name, kept in the work dir for the cleanup.
ns_create()
{
	use_wgctl
	ns="wgdt$$"
	echo "$ns" > netns
	ip netns add "$ns" || atf_fail "ip netns add $ns"
	ip -n "$ns" link set lo up
}

ns()
{
	cat netns
}

# The unprivileged user the children run as.
need_user()
{
	id _wgd >/dev/null 2>&1 ||
	    useradd --system --home-dir /var/empty --no-create-home \
	    --shell /usr/sbin/nologin _wgd ||
	    atf_fail "cannot create user _wgd"
}

# write_conf [extra lines inside interface wgt0]: a config for this test.
write_conf()
{
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
socket "$PWD/wgd.rsock" restricted
state-dir "$PWD/state"
interface "wgt0" {
	listen-port 51820
	address 10.13.13.1/24
	address fd00:13::1/64
	peer "laptop"
	peer "office" {
		public-key "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw="
		allowed-ips { 10.13.13.50/32, 192.168.50.0/24 }
		endpoint "192.0.2.1" port 51820
		persistent-keepalive 25
	}
$*
}
CONF
}

# Starts wgd (no -d: it returns once ready) in the test's namespace.
wgd_start()
{
	ip netns exec "$(ns)" "$WGD" -f "$PWD/wgd.conf" "$@" ||
	    atf_fail "wgd did not start"
	parent_pid > /dev/null || atf_fail "no wgd parent process"
}

# Starts wgd -d in the background, its log in ./log; WGD_ENV holds
# VAR=value words for its environment.
wgd_start_debug()
{
	# shellcheck disable=SC2086
	ip netns exec "$(ns)" env ${WGD_ENV:-} "$WGD" -d -f "$PWD/wgd.conf" \
	    "$@" > log 2>&1 &
	i=0
	while [ ! -S wgd.sock ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S wgd.sock ] || atf_fail "wgd -d did not start: $(cat log)"
}

# The pid of our wgd's parent: the one whose config is ours.
parent_pid()
{
	for p in $(pgrep -f 'wgd'); do
		[ "$(proc_title "$p")" = "wgd: parent" ] || continue
		if [ "$(readlink "/proc/$p/ns/net")" = \
		    "$(ip netns exec "$(ns)" readlink /proc/self/ns/net)" ]; then
			echo "$p" > parent.pid
			echo "$p"
			return 0
		fi
	done
	return 1
}

# child_pid engine|control: a child of our parent, by its title.
child_pid()
{
	for p in $(pgrep -P "$(cat parent.pid)"); do
		if [ "$(proc_title "$p")" = "wgd: $1" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Whether a process still runs.  A zombie has finished: whoever
# adopted it (init here) reaps it in its own time.
running()
{
	[ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Waits up to 2 seconds for a pid to be gone.
gone_within_2s()
{
	i=0
	while running "$1" && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! running "$1"
}

# wgctl on this test's socket, as a program so atf_check can run it.
use_wgctl()
{
	mkdir -p bin
	printf '#!/bin/sh\nexec "%s" -s "%s" "$@"\n' "$WGCTL" \
	    "$PWD/wgd.sock" > bin/wgctl
	chmod 755 bin/wgctl
	PATH="$PWD/bin:$PATH"
	export PATH
}

# Nothing of ours left: no process, no device, no route, no socket.
nothing_left()
{
	for p in "$@"; do
		running "$p" && atf_fail "process $p still runs"
	done
	ip -n "$(ns)" link show wgt0 >/dev/null 2>&1 &&
	    atf_fail "wgt0 still exists"
	ip -n "$(ns)" route | grep -q 192.168.50.0 &&
	    atf_fail "a route is left"
	[ -e wgd.sock ] && atf_fail "wgd.sock is left"
	[ -e wgd.rsock ] && atf_fail "wgd.rsock is left"
	return 0
}

# For every cleanup: stop our wgd, remove our namespace.
ns_cleanup()
{
	if [ -f parent.pid ]; then
		kill "$(cat parent.pid)" 2>/dev/null
		sleep 0.5
		kill -9 "$(cat parent.pid)" 2>/dev/null
	fi
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	true
}
