#! /usr/bin/env atf-sh
#
# The children's sandboxes (wgd/sandbox.c): each child, every thread of
# it, runs under a seccomp filter with no_new_privs, and a call outside
# its list kills it, which takes the daemon down with a line that names
# the child and the signal, and leaves no interface behind.  The calls
# are made by wgd-hooks, the test build of wgd, on SIGUSR2.

. "$(atf_get_srcdir)/lib.sh"
HOOKS="$top/wgd/wgd-hooks"

sandbox_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip pgrep"
}

# start_all: wgd with the forwarder (client dns tunnel), so that all
# three children run; WGD_ENV as for wgd_start_debug.
start_all()
{
	skip_under_qemu "qemu-user has no seccomp"
	need_user
	ns_create
	echo "nameserver 127.0.0.1" > resolv.conf
	write_conf "	client dns tunnel"
	# Crypto workers, whatever the CPUs here.
	sed -i '1i engine-threads 3' wgd.conf
	WGD_ENV="WGD_TEST_RESOLV_CONF=$PWD/resolv.conf ${WGD_ENV:-}"
	wgd_start_debug -v
	WGDPID=$!
	parent_pid > /dev/null || atf_fail "no parent: $(cat log)"
	i=0
	until child_pid dns > /dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || atf_fail "no dns process: $(cat log)"
		sleep 0.1
	done
}

atf_test_case status cleanup
status_head()
{
	sandbox_head
	atf_set "descr" "every thread of engine, control and dns has Seccomp 2 and NoNewPrivs 1; the parent is not filtered"
}
status_body()
{
	start_all
	for c in engine control dns; do
		pid=$(child_pid $c) || atf_fail "no $c process"
		n=0
		for s in /proc/"$pid"/task/*/status; do
			grep -q '^Seccomp:[[:space:]]*2$' "$s" ||
			    atf_fail "$c: $s: $(grep Seccomp "$s")"
			grep -q '^NoNewPrivs:[[:space:]]*1$' "$s" ||
			    atf_fail "$c: $s: $(grep NoNewPrivs "$s")"
			n=$((n + 1))
		done
		echo "$c: $n threads filtered"
		# The engine's crypto workers are threads of their own.
		[ $c != engine ] || [ $n -gt 1 ] ||
		    atf_fail "the engine has no worker threads"
	done
	grep -q '^Seccomp:[[:space:]]*0$' /proc/"$(cat parent.pid)"/status ||
	    atf_fail "the parent is filtered"
	# Landlock, where the kernel has it (then all three say so): no
	# filesystem rights at all.  The unit test proves that it holds.
	if grep -q "Landlock ABI" log; then
		want="Landlock ABI [0-9]*, no filesystem rights"
	else
		want="no Landlock here"
	fi
	for c in engine control dns; do
		grep -q "$c: $want" log || atf_fail "$c: not '$want':" \
		    "$(grep -i landlock log | tr '\n' ' ')"
	done
	grep -i landlock log
}
status_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case forbidden cleanup
forbidden_head()
{
	sandbox_head
	atf_set "descr" "a forbidden call (socket or openat in the engine, execve or ptrace in any child) kills the child with SIGSYS; wgd exits non-zero, says so and leaves nothing"
}
forbidden_body()
{
	WGD=$HOOKS
	for t in engine:socket engine:openat engine:execve engine:ptrace \
	    control:socket control:openat control:execve control:ptrace \
	    dns:openat dns:execve dns:ptrace; do
		c=${t%:*}
		call=${t#*:}
		WGD_ENV="WGD_TEST_FORBIDDEN=$call"
		start_all
		pid=$(child_pid "$c") || atf_fail "no $c process"
		others=$(pgrep -P "$(cat parent.pid)")
		kill -USR2 "$pid"
		wait $WGDPID && atf_fail "$t: wgd exited 0"
		grep -q "$c process was killed by signal 31" log ||
		    atf_fail "$t: the log does not say why: $(cat log)"
		nothing_left "$(cat parent.pid)" $others
		echo "$t: killed"
		ip netns del "$(ns)"
		rm -f parent.pid log
	done
}
forbidden_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case qemu_refused cleanup
qemu_refused_head()
{
	sandbox_head
	atf_set "descr" "under qemu-user, which has no seccomp, the build users run stops with an error that names the cause, and leaves nothing"
}
qemu_refused_body()
{
	[ -n "$QEMU_ARCH" ] ||
	    atf_skip "not under qemu-user: here the filters install"
	need_user
	ns_create
	write_conf ""
	ip netns exec "$(ns)" timeout 120 \
	    "$(atf_get_srcdir)/../../wgd/wgd-strict" -d -f "$PWD/wgd.conf" \
	    > log 2>&1 && atf_fail "wgd ran without its sandbox: $(cat log)"
	grep -q "is this qemu-user? it has no seccomp" log ||
	    atf_fail "the log does not say why: $(cat log)"
	nothing_left
	grep "qemu-user" log
}
qemu_refused_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case status
	atf_add_test_case forbidden
	atf_add_test_case qemu_refused
}
