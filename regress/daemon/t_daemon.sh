#! /usr/bin/env atf-sh
#
# wgd as a daemon: privilege separation, ready means ready, supervision
# and a clean shutdown, the crypto threads its CPUs allow.  Each case
# runs wgd in a network namespace of its own.

. "$(atf_get_srcdir)/lib.sh"

daemon_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip pgrep ss"
}

atf_test_case privsep cleanup
privsep_head()
{
	daemon_head
	atf_set "descr" "the children run as _wgd with no other group, chrooted to /var/empty; only the parent is root"
}
privsep_body()
{
	need_user
	ns_create
	write_conf
	wgd_start
	uid=$(id -u _wgd)
	gid=$(id -g _wgd)
	parent=$(cat parent.pid)
	grep -q "^Uid:	0	0	0	0$" /proc/$parent/status ||
	    atf_fail "parent is not root"
	[ "$(cat /proc/$parent/comm)" = wgd ] ||
	    atf_fail "parent: comm is $(cat /proc/$parent/comm)"
	for child in engine control; do
		pid=$(child_pid $child) || atf_fail "no $child process"
		st=/proc/$pid/status
		grep -q "^Uid:	$uid	$uid	$uid	$uid$" $st ||
		    atf_fail "$child: $(grep Uid $st)"
		grep -q "^Gid:	$gid	$gid	$gid	$gid$" $st ||
		    atf_fail "$child: $(grep Gid $st)"
		grep -q "^Groups:[[:space:]]*$" $st ||
		    atf_fail "$child: $(grep Groups $st)"
		grep -q "^NoNewPrivs:	1$" $st ||
		    atf_fail "$child: no_new_privs is off"
		# The same directory, not the same name: from another
		# mount namespace (ip netns exec) inside a chroot, the
		# link names the path from the namespace's root.
		[ "$(stat -L -c %d:%i /proc/$pid/root)" = \
		    "$(stat -c %d:%i /var/empty)" ] ||
		    atf_fail "$child: root is $(readlink /proc/$pid/root)"
		[ "$(cat /proc/$pid/comm)" = wgd ] ||
		    atf_fail "$child: comm is $(cat /proc/$pid/comm)"
	done
	[ "$(stat -c %U:%a /var/empty)" = root:755 ] ||
	    atf_fail "/var/empty is $(stat -c %U:%a /var/empty)"
}
privsep_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case ready cleanup
ready_head()
{
	daemon_head
	atf_set "descr" "wgd returns 0 only when its interfaces are up, ports bound, key and control sockets made"
}
ready_body()
{
	need_user
	ns_create
	write_conf
	wgd_start
	# No waiting: all of this must be true the moment wgd returned.
	ip -n "$(ns)" -o addr show dev wgt0 | grep -q 'inet 10.13.13.1/24' ||
	    atf_fail "no IPv4 address"
	ip -n "$(ns)" -o addr show dev wgt0 | grep -q 'inet6 fd00:13::1/64' ||
	    atf_fail "no IPv6 address"
	ip -n "$(ns)" -o addr show dev wgt0 | grep -q 'inet6 fe80:' &&
	    atf_fail "a link-local address: the kernel would talk into the tunnel"
	ip -n "$(ns)" link show wgt0 | grep -q 'mtu 1420.*UP' ||
	    ip -n "$(ns)" link show wgt0 | grep -q 'UP.*mtu 1420' ||
	    atf_fail "wgt0 is not up with mtu 1420"
	ip -n "$(ns)" route show 192.168.50.0/24 | grep -q wgt0 ||
	    atf_fail "no route for the external peer's allowed-ips"
	ip netns exec "$(ns)" ss -Hlun | grep -q '0.0.0.0:51820' ||
	    atf_fail "UDP port not bound on IPv4"
	ip netns exec "$(ns)" ss -Hlun | grep -q '\[::\]:51820' ||
	    atf_fail "UDP port not bound on IPv6"
	[ "$(stat -c %a wgd.sock)" = 660 ] || atf_fail "wgd.sock mode"
	[ "$(stat -c %a wgd.rsock)" = 666 ] || atf_fail "wgd.rsock mode"
	key=state/wgt0/server/privatekey-server
	[ "$(stat -c %a $key)" = 600 ] || atf_fail "$key mode"
	[ "$(stat -c %a state)" = 700 ] || atf_fail "state dir mode"
	"$WGCTL" pubkey < $key | cmp -s - state/wgt0/server/publickey-server ||
	    atf_fail "publickey-server does not match privatekey-server"
}
ready_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case start_failure cleanup
start_failure_head()
{
	daemon_head
	atf_set "descr" "a start that fails (port in use) exits non-zero with the reason and leaves nothing"
}
start_failure_body()
{
	need_user
	ns_create
	write_conf
	wgd_start
	first=$(cat parent.pid)
	netns=$(ns)
	mkdir second && cd second
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt1" {
	listen-port 51820
	address 10.14.0.1/24
}
CONF
	atf_check -s not-exit:0 -o empty -e match:'51820' \
	    ip netns exec "$netns" "$WGD" -f "$PWD/wgd.conf"
	[ -e wgd.sock ] && atf_fail "the failed wgd left its socket"
	ip -n "$netns" link show wgt1 >/dev/null 2>&1 &&
	    atf_fail "the failed wgd left wgt1"
	kill -0 "$first" || atf_fail "the first wgd died"
	cd ..
	echo "$first" > parent.pid
}
start_failure_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case unknown_user
unknown_user_head()
{
	daemon_head
	atf_set "descr" "a user that does not exist is one line that says how to create it"
}
unknown_user_body()
{
	cat > wgd.conf <<CONF
user "wgd-no-such-user"
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
CONF
	atf_check -s exit:1 -o empty -e save:err "$WGD" -d -f "$PWD/wgd.conf"
	[ "$(wc -l < err)" -eq 1 ] || atf_fail "not one line: $(cat err)"
	grep -q 'useradd.*wgd-no-such-user' err || atf_fail "$(cat err)"
}

atf_test_case sigterm cleanup
sigterm_head()
{
	daemon_head
	atf_set "descr" "SIGTERM and SIGINT: all processes gone within 2 s, devices, routes and sockets removed"
}
sigterm_body()
{
	need_user
	ns_create
	write_conf
	for sig in TERM INT; do
		wgd_start
		parent=$(cat parent.pid)
		engine=$(child_pid engine)
		control=$(child_pid control)
		kill -$sig "$parent"
		for p in $parent $engine $control; do
			gone_within_2s $p ||
			    atf_fail "SIG$sig: process $p still runs after 2 s"
		done
		nothing_left $parent $engine $control
	done
}
sigterm_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case engine_killed cleanup
engine_killed_head()
{
	daemon_head
	atf_set "descr" "SIGKILL of the engine takes the daemon down within 2 s, says why, leaves nothing"
}
engine_killed_body()
{
	need_user
	ns_create
	write_conf
	wgd_start_debug
	parent_pid > /dev/null || atf_fail "no parent"
	parent=$(cat parent.pid)
	engine=$(child_pid engine)
	control=$(child_pid control)
	kill -KILL "$engine"
	for p in $parent $engine $control; do
		gone_within_2s $p || atf_fail "process $p still runs after 2 s"
	done
	nothing_left $parent $engine $control
	grep -q 'engine process was killed by signal 9' log ||
	    atf_fail "the log does not say why: $(cat log)"
	wait
	true
}
engine_killed_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case control_killed cleanup
control_killed_head()
{
	daemon_head
	atf_set "descr" "a dead control process takes the daemon down too, with a non-zero exit"
}
control_killed_body()
{
	need_user
	ns_create
	write_conf
	wgd_start_debug
	wgdpid=$!
	parent_pid > /dev/null || atf_fail "no parent"
	control=$(child_pid control)
	kill -KILL "$control"
	wait $wgdpid && atf_fail "wgd exited 0 after losing a child"
	nothing_left $(cat parent.pid) $control
	grep -q 'control process was killed by signal 9' log ||
	    atf_fail "the log does not say why: $(cat log)"
}
control_killed_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case engine_threads_affinity cleanup
engine_threads_affinity_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip pgrep ss taskset nproc"
	atf_set "descr" "engine-threads 0 (the default): one crypto thread per CPU in wgd's affinity mask, as the parent counts them, not the machine's"
}
# crypto_threads_under CPULIST: starts wgd with this shell's affinity
# set to CPULIST (wgd inherits it; so not in a subshell), leaves the
# engine's thread count and what its log says in ./got, stops wgd.
crypto_threads_under()
{
	taskset -p -c "$1" $$ > /dev/null || atf_fail "taskset $1"
	wgd_start_debug -v
	WGDPID=$!
	taskset -p -c "$all" $$ > /dev/null
	parent_pid > /dev/null || atf_fail "no parent: $(cat log)"
	i=0
	until grep -q 'crypto threads' log; do
		i=$((i + 1))
		[ $i -lt 50 ] || atf_fail "no word of crypto threads: $(cat log)"
		sleep 0.1
	done
	engine=$(child_pid engine) || atf_fail "no engine"
	echo "$(ls /proc/"$engine"/task | wc -l)" \
	    "$(grep -o '[0-9]* crypto threads$' log | cut -d' ' -f1)" > got
	kill "$(cat parent.pid)"
	wait $WGDPID
}
engine_threads_affinity_body()
{
	need_user
	ns_create
	write_conf
	all=$(taskset -p -c $$ | sed 's/.*: //')
	crypto_threads_under 0
	[ "$(cat got)" = "1 1" ] ||
	    atf_fail "on CPU 0 alone: threads, logged count: $(cat got)"
	[ "$(nproc --all)" -ge 2 ] || return 0
	crypto_threads_under 0,1
	[ "$(cat got)" = "2 2" ] ||
	    atf_fail "on CPUs 0 and 1: threads, logged count: $(cat got)"
}
engine_threads_affinity_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case privsep
	atf_add_test_case ready
	atf_add_test_case start_failure
	atf_add_test_case unknown_user
	atf_add_test_case sigterm
	atf_add_test_case engine_killed
	atf_add_test_case control_killed
	atf_add_test_case engine_threads_affinity
}
