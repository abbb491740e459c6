# Sourced by the shell tests' libraries: what differs when the programs
# under test are ARM builds run by qemu-user (make check ARCH=...).
#
# qemu-user keeps the host's view of a process: /proc/PID/cmdline is
# qemu's own command line, so the titles wgd sets (setproctitle) are not
# seen there, and some system calls are refused.  A test that needs one
# of those skips under qemu, saying which.

QEMU_ARCH=$(cat "$(atf_get_srcdir)/../../qemu-arch" 2>/dev/null || :)
# The source tree, whose parent holds shared/.
SRCTOP=$(cat "$(atf_get_srcdir)/../../source" 2>/dev/null ||
    echo "$(atf_get_srcdir)/../..")

# skip_under_qemu reason: skips this test case when running under qemu.
skip_under_qemu()
{
	[ -z "$QEMU_ARCH" ] || atf_skip "qemu-user ($QEMU_ARCH): $*"
}

# fast_enough seconds limit: whether a measured time is under the limit.
# Under qemu-user a time says nothing of the real machine's: not checked.
fast_enough()
{
	if [ -n "$QEMU_ARCH" ]; then
		echo "under qemu-user: $1 s, not held against $2 s"
		return 0
	fi
	awk -v t="$1" -v limit="$2" \
	    'BEGIN { exit !(t ~ /^[0-9]+(\.[0-9]+)?$/ && t + 0 < limit) }'
}

# proc_title pid: the title a process of wgd's has ("wgd: engine").
# Under qemu it is read from the arguments wgd executed the child with:
# -P names the process, none is the parent; a child forked without
# exec (the resolver's, the doctor's) shows as "wgd: forked".
proc_title()
{
	cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | sed 's/ *$//')
	if [ -z "$QEMU_ARCH" ]; then
		echo "$cmd"
		return
	fi
	# shellcheck disable=SC2086
	set -- "$1" $cmd
	case $# in
	1|2|3)	echo "$cmd"; return ;;
	esac
	case $3 in
	*/wgd|*/wgd-qemu)	;;
	*)	echo "$cmd"; return ;;
	esac
	if [ "${5:-}" = -P ]; then
		echo "wgd: $6"
		return
	fi
	ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$1/status")
	if [ "$(tr '\0' ' ' < "/proc/$ppid/cmdline" 2>/dev/null |
	    sed 's/ *$//')" = "$cmd" ]; then
		echo "wgd: forked"
	else
		echo "wgd: parent"
	fi
}
