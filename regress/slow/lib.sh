# Shared by the flood tests (make check-slow): a target T, wgd or the
# reference wireguard-go, with a client C of the same kind that streams
# TCP to it through the tunnel, a namespace F that floods T from 1,000
# addresses of 10.98.0.0/16 (bench/hsflood, pinned to CPU 0 with
# taskset), and a newcomer N, Debian's wireguard-go, that must still get
# in.  Every name carries the test's pid; the cleanup removes them and
# stops only the processes the test started, by pid.
#
# Outer: T-C 192.168.244.0/24, T-F 192.168.245.0/24, T-N 192.168.246.0/24.
# Tunnel: 10.79.0.1 (T), .2 (C), .3 (N).

top="$(atf_get_srcdir)/../.."
. "$top/regress/qemu.sh"
WGD="$top/wgd/wgd"
WGCTL="$top/wgctl/wgctl"
FLOOD="$top/bench/hsflood"
FLOOD_PEERS=1000
FLOOD_SOURCES=1000
PORT=51820
STREAM_SECONDS=${STREAM_SECONDS:-10}

# The reference, as make bench has it: the newest wireguard-go beside
# the tree, else Debian's.
if [ -z "${WIREGUARD_GO:-}" ]; then
	if [ -x "$SRCTOP/../shared/tools/wireguard-go-latest" ]; then
		WIREGUARD_GO=$SRCTOP/../shared/tools/wireguard-go-latest
	else
		WIREGUARD_GO=$(command -v wireguard-go)
	fi
fi

# flood_head [PROGS]: root, the programs every case needs, and PROGS.
flood_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" \
	    "ip wg wireguard-go iperf3 taskset ping ss pgrep" \
	    "/usr/bin/python3 $*"
	atf_set "timeout" "900"
}

# started PID...: remembered for the cleanup.
started()
{
	echo "$*" >> pids
}

flood_setup()
{
	skip_under_qemu "floods measure the machine, not qemu"
	[ -x "$FLOOD" ] || atf_fail "$FLOOD missing (make check-slow builds it)"
	T="wgfT$$" C="wgfC$$" F="wgfF$$" N="wgfN$$"
	echo "$T $C $F $N" > netns
	for n in $T $C $F $N; do
		ip netns add "$n" || atf_fail "ip netns add $n"
		ip -n "$n" link set lo up
	done
	ip link add vC netns "$T" type veth peer name vT netns "$C" &&
	ip link add vF netns "$T" type veth peer name vT netns "$F" &&
	ip link add vN netns "$T" type veth peer name vT netns "$N" ||
	    atf_fail "ip link add veth"
	ip -n "$T" addr add 192.168.244.1/24 dev vC
	ip -n "$C" addr add 192.168.244.2/24 dev vT
	ip -n "$T" addr add 192.168.245.1/24 dev vF
	ip -n "$F" addr add 192.168.245.2/24 dev vT
	ip -n "$T" addr add 192.168.246.1/24 dev vN
	ip -n "$N" addr add 192.168.246.2/24 dev vT
	for l in "$T vC" "$T vF" "$T vN" "$C vT" "$F vT" "$N vT"; do
		# shellcheck disable=SC2086
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$F" route add local 10.98.0.0/16 dev lo
	ip -n "$T" route add 10.98.0.0/16 via 192.168.245.2
	umask 077
	for k in T C N; do
		wg genkey > "key$k" && wg pubkey < "key$k" > "pub$k" ||
		    atf_fail "wg genkey"
	done
	"$FLOOD" -g $FLOOD_PEERS "seed$$" > floodkeys ||
	    atf_fail "hsflood -g failed"
	id _wgd >/dev/null 2>&1 ||
	    useradd --system --home-dir /var/empty --no-create-home \
	    --shell /usr/sbin/nologin _wgd || atf_fail "cannot create _wgd"
	# wireguard-go's sockets share /var/run/wireguard: unique names.
	GOT="wgf$$t" GOC="wgf$$c" GON="wgf$$n"
	echo "$GOT $GOC $GON" > godevs
}

flood_cleanup()
{
	if [ -f pids ]; then
		# shellcheck disable=SC2046
		kill $(cat pids) 2>/dev/null
		sleep 0.5
		# shellcheck disable=SC2046
		kill -9 $(cat pids) 2>/dev/null
	fi
	if [ -f netns ]; then
		for n in $(cat netns); do
			ip netns del "$n" 2>/dev/null
		done
	fi
	if [ -f godevs ]; then
		for d in $(cat godevs); do
			rm -f "/var/run/wireguard/$d.sock"
		done
	fi
	true
}

wait_up()
{
	i=0
	until ip -n "$1" link show dev "$2" 2>/dev/null | grep -q ',UP' &&
	    ip -n "$1" -4 addr show dev "$2" 2>/dev/null | grep -q inet; do
		i=$((i + 1))
		[ $i -lt 300 ] || atf_fail "$2 did not come up: $(cat "$3")"
		sleep 0.1
	done
}

# target_wgd [LINE]: wgd in T with the client, the newcomer and the
# flood's peers, LINE in the interface; its log in T.log, the parent's
# pid in T.pid.  WGD_ENV: VAR=value words for its environment.
target_wgd()
{
	{
		echo "socket \"$PWD/wgd.sock\""
		echo "socket \"$PWD/wgd.rsock\" restricted"
		echo "state-dir \"$PWD/state\""
		echo 'interface "wgf0" {'
		echo "	private-key file \"$PWD/keyT\""
		echo "	listen-port $PORT"
		echo '	address 10.79.0.1/24'
		echo '	mtu 1420'
		echo "	${1:-}"
		echo "	peer \"client\" { public-key \"$(cat pubC)\""
		echo '		allowed-ips 10.79.0.2/32 }'
		echo "	peer \"newcomer\" { public-key \"$(cat pubN)\""
		echo '		allowed-ips 10.79.0.3/32 }'
		awk '{ printf "\tpeer \"f%d\" { public-key \"%s\" }\n", NR,
		    $1 }' floodkeys
		echo '}'
	} > wgd.conf
	# shellcheck disable=SC2086
	ip netns exec "$T" env ${WGD_ENV:-} "$WGD" -d -f "$PWD/wgd.conf" \
	    > T.log 2>&1 &
	echo $! > T.pid
	started $!
	wait_up "$T" wgf0 T.log
	TDEV=wgf0
}

# target_go: the reference in T, configured the same way.
target_go()
{
	go_up "$T" "$GOT" T
	{
		echo '[Interface]'
		echo "PrivateKey = $(cat keyT)"
		echo "ListenPort = $PORT"
		echo '[Peer]'
		echo "PublicKey = $(cat pubC)"
		echo 'AllowedIPs = 10.79.0.2/32'
		echo '[Peer]'
		echo "PublicKey = $(cat pubN)"
		echo 'AllowedIPs = 10.79.0.3/32'
		awk '{ printf "[Peer]\nPublicKey = %s\n", $1 }' floodkeys
	} > T.wg
	ip netns exec "$T" wg setconf "$GOT" T.wg || atf_fail "wg setconf"
	dev_up "$T" "$GOT" 10.79.0.1 T.log
	TDEV=$GOT
}

# go_up NS DEV NAME [PROGRAM]: a wireguard-go (the reference unless
# PROGRAM says otherwise), its pid in NAME.pid, its log in NAME.log.
go_up()
{
	ip netns exec "$1" "${4:-$WIREGUARD_GO}" -f "$2" > "$3.log" 2>&1 &
	echo $! > "$3.pid"
	started $!
	i=0
	until [ -S "/var/run/wireguard/$2.sock" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || atf_fail "wireguard-go did not start: $(cat "$3.log")"
		sleep 0.1
	done
}

dev_up()
{
	ip -n "$1" link set dev "$2" mtu 1420
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set dev "$2" up
	wait_up "$1" "$2" "$4"
}

# client_wgd / client_go: C, the same kind as T, streams to it.
client_wgd()
{
	mkdir -p c
	cat > c/wgd.conf <<CONF
socket "$PWD/c/wgd.sock"
state-dir "$PWD/c/state"
interface "wgf1" {
	private-key file "$PWD/keyC"
	address 10.79.0.2/24
	mtu 1420
	peer "target" {
		public-key "$(cat pubT)"
		allowed-ips 10.79.0.1/32
		endpoint "192.168.244.1" port $PORT
	}
}
CONF
	ip netns exec "$C" "$WGD" -d -f "$PWD/c/wgd.conf" > C.log 2>&1 &
	started $!
	wait_up "$C" wgf1 C.log
}

client_go()
{
	go_up "$C" "$GOC" C
	ip netns exec "$C" wg set "$GOC" private-key keyC peer "$(cat pubT)" \
	    allowed-ips 10.79.0.1/32 endpoint 192.168.244.1:$PORT ||
	    atf_fail "wg set"
	dev_up "$C" "$GOC" 10.79.0.2 C.log
}

# tunnel_up: the client reaches T, and T's iperf3 server listens.
tunnel_up()
{
	ip netns exec "$C" ping -c 1 -w 10 -q 10.79.0.1 > /dev/null 2>&1 ||
	    atf_fail "no traffic through the tunnel"
	ip netns exec "$T" iperf3 -s -B 10.79.0.1 > iperf3.log 2>&1 &
	started $!
	i=0
	until ip netns exec "$T" ss -ltn 2>/dev/null | grep -q ':5201'; do
		i=$((i + 1))
		[ $i -lt 50 ] || atf_fail "iperf3 server did not start"
		sleep 0.1
	done
}

# stream NAME: one TCP stream from C to T for STREAM_SECONDS; prints
# Mbit/s as the receiver counted them.
stream()
{
	timeout $((STREAM_SECONDS + 30)) ip netns exec "$C" iperf3 -J \
	    -c 10.79.0.1 -t "$STREAM_SECONDS" > "$1.json" 2>&1
	sed -n '/"sum_received"/,/}/p' "$1.json" |
	    sed -n 's/.*"bits_per_second":[ \t]*\([0-9.e+]*\).*/\1/p' |
	    awk '{ printf "%.0f\n", $1 / 1e6 }' > "$1.mbit"
	[ -s "$1.mbit" ] || atf_fail "stream $1: no figure: $(tail -5 "$1.json")"
	cat "$1.mbit"
}

# get VAR COMMAND...: VAR=$(COMMAND...), but COMMAND runs in this shell,
# so that an atf_fail in it ends the test (in a command substitution it
# would end only the subshell, and the test would go on to pass).
get()
{
	_var=$1
	shift
	"$@" > get.out
	eval "$_var=\$(cat get.out)"
}

# rss PID: resident memory in KiB.
rss()
{
	[ -r "/proc/$1/status" ] || atf_fail "process $1 is gone"
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}

# child_pid NAME: wgd's child process NAME (engine, control, dns).
child_pid()
{
	for p in $(pgrep -P "$(cat T.pid)"); do
		[ "$(proc_title "$p")" = "wgd: $1" ] && { echo "$p"; return 0; }
	done
	atf_fail "no $1 process"
}

# engine_pid: the process of T that does the crypto: wgd's engine, or
# wireguard-go itself.
engine_pid()
{
	if [ "$TDEV" = wgf0 ]; then
		child_pid engine
	else
		cat T.pid
	fi
}

# flood_start NAME SECONDS [hsflood options]: the flood on CPU 0 alone,
# once it is sending (its initiations are computed first).
flood_start()
{
	name=$1 secs=$2
	shift 2
	ip netns exec "$F" taskset -c 0 "$FLOOD" -d "$secs" -s $FLOOD_SOURCES \
	    "$@" > "$name.out" 2> "$name.err" &
	echo $! > "$name.pid"
	started $!
	i=0
	until grep -q sending "$name.err"; do
		i=$((i + 1))
		[ $i -lt 600 ] || atf_fail "the flood did not start: $(cat "$name.err")"
		sleep 0.1
	done
}

flood_wait()
{
	wait "$(cat "$1.pid")" || atf_fail "hsflood failed: $(cat "$1.err")"
	cat "$1.out"
}

# field NAME KEY: a count from hsflood's line.
field()
{
	sed -n "s/.* $2 \\([0-9.]*\\).*/\\1/p" "$1.out"
}

# newcomer [wgd|go]: Debian's wireguard-go in N, never seen by T before,
# gets a handshake and an answer to a ping; prints the seconds it took.
# Against go, the reference, it may fail: it prints "-" then.
newcomer()
{
	go_up "$N" "$GON" N wireguard-go
	ip netns exec "$N" wg set "$GON" private-key keyN peer "$(cat pubT)" \
	    allowed-ips 10.79.0.1/32 endpoint 192.168.246.1:$PORT ||
	    atf_fail "wg set"
	dev_up "$N" "$GON" 10.79.0.3 N.log
	t0=$(date +%s)
	if ! ip netns exec "$N" ping -c 1 -w 30 -q 10.79.0.1 > /dev/null 2>&1
	then
		[ "${1:-wgd}" = go ] && { echo -; return 0; }
		atf_fail "the newcomer did not get through the flood"
	fi
	echo $(( $(date +%s) - t0 ))
}

# at_least A B FACTOR: whether A >= B * FACTOR.
at_least()
{
	awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { exit !(a >= b * f) }'
}
