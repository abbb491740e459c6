#! /usr/bin/env atf-sh
#
# Under qemu-user, which has no seccomp, the ARM children run without
# their filters (the build for the qemu suites allows it), so nothing
# there would notice a call missing from an ARM list.  This runs one
# whole session under QEMU_STRACE instead (a handshake and traffic, a
# query to the DNS forwarder, wgctl show and reload, wg show and set)
# and checks every call each child makes after its sandbox point
# against its list for that architecture (regress/net/sysallow).
# Natively the filters themselves run in every test.

. "$(atf_get_srcdir)/lib.sh"
SYSALLOW="$top/regress/net/sysallow"

atf_test_case session cleanup
session_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip pgrep ping wg wireguard-go dig"
	atf_set "descr" "under qemu-user: every system call of engine, control and dns through a session is in its seccomp list"
	atf_set "timeout" "600"
}
session_body()
{
	[ -n "$QEMU_ARCH" ] ||
	    atf_skip "not under qemu-user: natively the filters run in every test"
	net_setup
	echo "nameserver 127.0.0.1" > resolv.conf
	# Workers, busy: batches of pings below.
	cat > wgd.conf <<CONF
engine-threads 4
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	listen-port 51820
	address 10.77.0.1/24
	address fd00:77::1/64
	client dns tunnel
	peer "go" {
		public-key "$(cat peer.pub)"
		allowed-ips { 10.77.0.2/32, fd00:77::2/128 }
	}
}
CONF
	# A trace file of each process (qemu puts the pid for %d): on
	# one stderr, the processes' traces cut into each other's lines.
	wgd_start QEMU_STRACE=1 QEMU_LOG_FILENAME="$PWD/trace.%d" \
	    WGD_TEST_RESOLV_CONF="$PWD/resolv.conf"
	go_start endpoint 192.168.241.1:51820
	ping_ok "$B" 10.77.0.1
	ip netns exec "$B" ping -q -l 64 -c 640 -s 1300 -i 0.01 -w 60 \
	    10.77.0.1 > flood.out 2>&1 || atf_fail "pings: $(cat flood.out)"
	ip netns exec "$B" dig +time=2 +tries=1 @10.77.0.1 example.org \
	    > dig.out 2>&1
	wgctl show > show.out || atf_fail "wgctl show"
	ip netns exec "$A" wg show wgt0 > wg.out || atf_fail "wg show"
	ip netns exec "$A" wg set wgt0 peer "$(cat peer.pub)" \
	    persistent-keepalive 5 || atf_fail "wg set"
	wgctl reload > reload.out || atf_fail "wgctl reload"
	ping_ok "$B" 10.77.0.1

	parent=$(cat wgd.pid)
	for p in $(pgrep -P "$parent"); do
		role=$(proc_title "$p")
		role=${role#wgd: }
		case $role in
		engine|control|dns) ;;
		*) continue ;;
		esac
		echo "$p $role" >> children
	done
	[ "$(wc -l < children)" -eq 3 ] ||
	    atf_fail "not three children: $(cat children)"
	kill "$parent"
	wait "$parent"

	while read -r p role; do
		# Each child's sandbox would have begun where it says so:
		# the write of those words to stderr, found by their length
		# (the newline is a write of its own, and another process's
		# line may come between).
		line=$(grep -a -o -m 1 \
		    "$role: seccomp[^(]*running without a sandbox ([^)]*)" \
		    wgd.log) || atf_fail "$role: no sandbox point in the log"
		start=$(grep -a -n -m 1 -E "^$p write\(2,0x[0-9a-f]+,${#line}\)" \
		    "trace.$p" | cut -d: -f1)
		[ -n "$start" ] || atf_fail "$role: no write of its sandbox line"
		# Every call of the child after it, by its name and with its
		# arguments (sysallow knows those a result cut into), also one
		# printed after another thread's, whose result comes apart
		# from it, and one qemu knows only by its number (sysallow
		# resolves #N).
		tail -n "+$((start + 1))" "trace.$p" > after.log
		{
			LC_ALL=C grep -a -o -E \
			    "(^|[^0-9])$p [a-z_][a-z_0-9]*\(" after.log |
			    sed -E "s/.*$p ([a-z_0-9]+)\(/\1/"
			LC_ALL=C grep -a -o -E \
			    "(^|[^0-9])$p [a-z_][a-z_0-9]*\([^()]*\)" \
			    after.log | sed -E "s/.*$p ([a-z_0-9]+\()/\1/"
			LC_ALL=C grep -a -o -E \
			    "(^|[^0-9])$p Unknown syscall [0-9]+" after.log |
			    sed 's/.* /#/'
		} | sort -u > "calls.$role"
		[ -s "calls.$role" ] || atf_fail "$role: no calls traced"
		echo "$role: $(grep -c '(' "calls.$role") calls with their" \
		    "arguments, of $(grep -v '(' "calls.$role" | tr '\n' ' ')"
		"$SYSALLOW" "$role" "$p" < "calls.$role" > "missing.$role" ||
		    atf_fail "$role calls what its list lacks: $(cat "missing.$role")"
	done < children
}
session_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case arguments
arguments_head()
{
	atf_set "descr" "the check of a traced session reads the arguments that the lists check, as qemu prints them, and judges them as the filters do"
}
arguments_body()
{
	# The engine is pid 100 here; its interface descriptor is 4.
	cat > allowed <<'EOF'
read(3,0x1,4)
fcntl(4,F_GETFD)
fcntl(4,F_SETFL,O_RDWR|O_NONBLOCK)
mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0)
mprotect(0x0000005503352000,118784,PROT_NONE)
kill(100,SIGTERM)
tgkill(100,101,SIGABRT)
clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID,child_stack=0x1,parent_tidptr=0x2,tls=0x3,child_tidptr=0x4)
clone3(0x1,88)
ioctl(4,0x8910,0x1)
ioctl(4,SIOCGIFNAME,0x1)
fcntl
kill
mprotect(0x00000055043ae000,8388608,PROT_READ = |PROT_WRITE)
EOF
	cat > refused <<'EOF'
fcntl(4,F_DUPFD,3)
fcntl(4,F_DUPFD_CLOEXEC,10)
mmap(NULL,8192,PROT_READ|PROT_EXEC,MAP_PRIVATE,-1,0)
mprotect(0x1,4096,PROT_READ|PROT_WRITE|PROT_EXEC)
kill(1,SIGTERM)
tgkill(99,99,SIGKILL)
clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11,child_stack=0x0,parent_tidptr=0x0,tls=0x0,child_tidptr=0x1)
ioctl(3,0x8910,0x1)
ioctl(4,0x8933,0x1)
socket(PF_INET,SOCK_DGRAM,IPPROTO_IP)
openat(AT_FDCWD,"/",O_RDONLY)
execve
fcntl(4,F_WIBBLE)
mmap(NULL,8192,PROT_READ|PROT_HUGE,MAP_PRIVATE,-1,0)
EOF
	"$SYSALLOW" engine 100 < allowed > out ||
	    atf_fail "refused: $(cat out)"
	"$SYSALLOW" engine 100 < refused > out &&
	    atf_fail "allowed every one of: $(cat refused)"
	# Each line of its own, in order (cut drops the reasons).
	cut -d' ' -f1 out | diff -u refused - ||
	    atf_fail "not every forbidden call was named"
	grep -q "^fcntl(4,F_WIBBLE) (an argument it checks is unreadable" out ||
	    atf_fail "an unreadable argument passed: $(cat out)"
	# SIOCGIFNAME (0x8910 everywhere) on the interface descriptor is
	# the engine's alone; the dns process's socket options are its own.
	echo "ioctl(4,0x8910,0x1)" > ioctl
	"$SYSALLOW" dns 100 < ioctl > out && atf_fail "dns: allowed $(cat ioctl)"
	printf '%s\n' 'setsockopt(7,0,8,0x1,4)' 'setsockopt(8,41,49,0x1,4)' \
	    'socket(PF_INET6,SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK,IPPROTO_UDP)' \
	    > dns.allowed
	"$SYSALLOW" dns 100 < dns.allowed > out || atf_fail "dns: $(cat out)"
	printf '%s\n' 'setsockopt(8,1,7,0x1,4)' \
	    'socket(PF_UNIX,SOCK_STREAM|SOCK_CLOEXEC,IPPROTO_IP)' > dns.refused
	"$SYSALLOW" dns 100 < dns.refused > out
	diff -u dns.refused out || atf_fail "dns: not refused"
	echo "ioctl(12,FIONREAD,0x1)" > fionread
	"$SYSALLOW" control 100 < fionread > out || atf_fail "$(cat out)"
	"$SYSALLOW" engine 100 < fionread > out &&
	    atf_fail "engine: allowed $(cat fionread)"
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case session
	atf_add_test_case arguments
}
