#!/bin/sh
# bench/bench.sh: wgd's data path measured against wireguard-go's.
#
# Usage: sh bench/bench.sh [-m] [-t seconds] [-r count] [-p dir]
#
#   -t seconds  length of each iperf3 run (default 10)
#   -r count    runs per case; the table shows medians (default 1)
#   -m          also run wgd against wireguard-go, both directions
#   -p dir      record a perf profile of the wgd engine of each side
#               during the wgd <-> wgd runs into dir (needs perf)
#
# progs-optional: perf
#
# WIREGUARD_GO=path names the reference (default: the newest one in
# ../shared/tools when it is there, else Debian's); ENGINE_THREADS=n
# sets wgd's engine-threads.
#
# Each case gets two fresh network namespaces joined by a veth pair and
# one tunnel (MTU 1420, 10.77.0.1 <-> 10.77.0.2 inside, 192.168.241.1
# <-> 192.168.241.2 outside), wgd <-> wgd or wireguard-go <->
# wireguard-go: iperf3 with one TCP stream (and pings beside it for the
# latency under load, and the CPU time of both ends from /proc), four
# streams, and UDP of 1392-byte datagrams at an unlimited rate; and wgd
# again with one stream, started on one CPU.  The cases alternate
# inside each repetition, so a busy neighbour slows them alike.  Nothing
# here leaves those namespaces.  Expects wgd/wgd and wgctl/wgctl to be
# built; builds nothing.  Needs root, iperf3, wireguard-go and wg.

set -u

BENCH=bench
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
WGD=$TOP/wgd/wgd
WGCTL=$TOP/wgctl/wgctl

DURATION=10
REPEAT=1
MIXED=0
PERFDIR=

usage() {
	echo "usage: $0 [-m] [-t seconds] [-r count] [-p dir]" >&2
	exit 2
}

while getopts mt:r:p: opt; do
	case $opt in
	m)	MIXED=1 ;;
	t)	DURATION=$OPTARG ;;
	r)	REPEAT=$OPTARG ;;
	p)	PERFDIR=$OPTARG ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $DURATION in ''|*[!0-9]*|0) echo "$0: -t wants seconds" >&2; exit 2 ;; esac
case $REPEAT in ''|*[!0-9]*|0) echo "$0: -r wants a count" >&2; exit 2 ;; esac

need_root_and_tools
for f in "$WGD" "$WGCTL"; do
	[ -x "$f" ] || die "$f missing: run make first"
done
if [ -n "$PERFDIR" ]; then
	command -v perf >/dev/null 2>&1 || die "perf not found (linux-perf)"
	mkdir -p "$PERFDIR" || exit 1
	PERFDIR=$(cd "$PERFDIR" && pwd)
fi

# Names carry our PID: wireguard-go's UAPI sockets live in the one
# /var/run/wireguard of every namespace.
NSA=wgbA$$
NSB=wgbB$$
IFA=wgb$$a
IFB=wgb$$b
OUTA=192.168.241.1
OUTB=192.168.241.2
INA=10.77.0.1
INB=10.77.0.2
PORTA=51820
PORTB=51821
MTU=1420

WORK=$(mktemp -d /tmp/wgbench.XXXXXX) || exit 1
PIDS=

cleanup_case() {
	stop_pids
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}

cleanup() {
	trap - EXIT INT TERM HUP
	cleanup_case
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

umask 077
wg genkey > "$WORK/keyA" && wg pubkey < "$WORK/keyA" > "$WORK/pubA" &&
    wg genkey > "$WORK/keyB" && wg pubkey < "$WORK/keyB" > "$WORK/pubB" ||
    die "wg genkey failed"

netns_up() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip netns add "$NSA" && ip netns add "$NSB" || die "ip netns add"
	ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" ||
	    die "ip link add veth"
	ip -n "$NSA" addr add $OUTA/24 dev vA
	ip -n "$NSB" addr add $OUTB/24 dev vB
	ip -n "$NSA" link set vA up
	ip -n "$NSB" link set vB up
}

# start_wgd side ns ifname inner port peerside peerouter peerinner peerport
start_wgd() {
	d=$WORK/wgd$1
	rm -rf "$d"
	mkdir -p "$d"
	cat > "$d/wgd.conf" <<EOF
engine-threads ${ENGINE_THREADS:-0}
socket "$d/wgd.sock"
state-dir "$d/state"
interface "$3" {
	private-key file "$WORK/key$1"
	listen-port $5
	address $4/24
	mtu $MTU
	peer "bench$6" {
		public-key "$(cat "$WORK/pub$6")"
		allowed-ips $8/32
		endpoint "$7" port $9
	}
}
EOF
	ip netns exec "$2" $WGD_PREFIX "$WGD" -d -f "$d/wgd.conf" \
	    > "$d/log" 2>&1 &
	PIDS="$PIDS $!"
	eval "WGDPID$1=$!"
	i=0
	until ip -n "$2" -4 addr show dev "$3" 2>/dev/null | grep -q "$4/" &&
	    ip -n "$2" link show dev "$3" 2>/dev/null | grep -q ',UP'; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat "$d/log" >&2; die "wgd $1 did not start"; }
		sleep 0.1
	done
}

# start_go side ns ifname inner port peerside peerouter peerinner peerport
start_go() {
	d=$WORK/go$1
	mkdir -p "$d"
	ip netns exec "$2" env WG_PROCESS_FOREGROUND=1 "$WIREGUARD_GO" -f "$3" \
	    > "$d/log" 2>&1 &
	PIDS="$PIDS $!"
	wait_go_socket "$3" "$d/log"
	ip netns exec "$2" wg set "$3" private-key "$WORK/key$1" \
	    listen-port "$5" peer "$(cat "$WORK/pub$6")" allowed-ips "$8/32" \
	    endpoint "$7:$9" || die "wg set $3"
	ip -n "$2" link set dev "$3" mtu $MTU
	ip -n "$2" addr add "$4/24" dev "$3"
	ip -n "$2" link set dev "$3" up
}

# The engine is the child of wgd's parent whose title says so.
engine_pid() {
	for c in $(pgrep -P "$1"); do
		if tr '\0' ' ' < /proc/"$c"/cmdline 2>/dev/null |
		    grep -q engine; then
			echo "$c"
			return
		fi
	done
}

# cpu_ticks PID...: user and system time of those processes and their
# threads, in clock ticks.
cpu_ticks() {
	t=0
	for p in "$@"; do
		[ -r /proc/"$p"/stat ] || continue
		set -- $(sed 's/^.*) //' /proc/"$p"/stat)
		t=$((t + ${12} + ${13}))
	done
	echo $t
}

# impl_pids: every process of the tunnel endpoints of this case.
impl_pids() {
	for p in $PIDS; do
		echo "$p"
		pgrep -P "$p" 2>/dev/null
	done
}

# start impl side: starts wgd or wireguard-go ("go") as side A or B.
start() {
	if [ "$2" = A ]; then
		set -- "$1" A "$NSA" "$IFA" $INA $PORTA B $OUTB $INB $PORTB
	else
		set -- "$1" B "$NSB" "$IFB" $INB $PORTB A $OUTA $INA $PORTA
	fi
	if [ "$1" = wgd ]; then
		shift
		start_wgd "$@"
	else
		shift
		start_go "$@"
	fi
}

# run_case name implA implB mode: one measurement, through a tunnel of
# implA (in A, the client side) and implB.  mode: tcp1, tcp4 (streams),
# rev (one stream, B sends), udp (1392-byte datagrams, unlimited rate),
# or core1 (one stream with the wgd processes on one CPU).  Sets RES to
# "Mbit/s retransmits rtt_ms cpu_s_per_GB", or for udp to
# "delivered_pps lost_percent".
run_case() {
	name=$1
	mode=$4
	netns_up
	# On one CPU from the start, so the engine counts one in its mask.
	WGD_PREFIX=
	[ "$mode" = core1 ] && WGD_PREFIX="taskset -c 0"
	start "$2" A
	start "$3" B

	# The first packet starts the handshake.
	i=0
	until ip netns exec "$NSA" ping -c 1 -W 1 -q $INB >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 10 ] || die "$name: no traffic through the tunnel"
	done
	tunnel=$(impl_pids)

	ip netns exec "$NSB" iperf3 -s -1 -B $INB > "$WORK/server.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until ip netns exec "$NSB" ss -ltn 2>/dev/null | grep -q "$INB:5201"; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "$name: iperf3 server did not start"
		sleep 0.1
	done

	perfpids=
	if [ -n "$PERFDIR" ] && [ "$name" = wgd ]; then
		for s in A B; do
			eval "ep=\$(engine_pid \$WGDPID$s)"
			[ -n "$ep" ] || continue
			perf stat -e context-switches,cpu-migrations,syscalls:sys_enter_read,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_writev,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait -o "$PERFDIR/stat$s.$rep.txt" -p "$ep" \
			    -- sleep "$DURATION" > "$PERFDIR/perf$s.$rep.log" 2>&1 &
			perfpids="$perfpids $!"
			PIDS="$PIDS $!"
		done
	fi

	case $mode in
	tcp4)	opts="-P 4" ;;
	rev)	opts="-R" ;;
	udp)	opts="-u -b 0 -l 1392" ;;
	*)	opts= ;;
	esac
	cpu0=$(cpu_ticks $tunnel)
	# Latency under load: pings beside the stream, from its second on.
	ip netns exec "$NSA" ping -q -i 0.2 -w "$DURATION" $INB \
	    > "$WORK/ping.log" 2>&1 &
	pingpid=$!
	# In the background, so that a signal's trap runs at once.
	timeout $((DURATION + 30)) ip netns exec "$NSA" iperf3 -J \
	    -c $INB -t "$DURATION" $opts > "$WORK/client.json" 2>&1 &
	cli=$!
	PIDS="$PIDS $cli $pingpid"
	wait $cli
	st=$?
	cpu1=$(cpu_ticks $tunnel)
	wait $pingpid
	for p in $perfpids; do
		wait "$p"
	done
	j=$WORK/client.json
	grep -q '"sum_received"\|"lost_packets"' "$j" || {
		sed 's/^/  /' "$j" >&2
		die "$name: iperf3 failed (exit $st)"
	}
	if [ "$mode" = udp ]; then
		# The server's count, which the client's JSON carries.
		RES=$(awk -v p="$(json_num "$j" packets)" \
		    -v l="$(json_num "$j" lost_packets)" \
		    -v s="$(json_num "$j" seconds)" \
		    -v lp="$(json_num "$j" lost_percent)" \
		    'BEGIN { printf "%.0f %.2f\n", (p - l) / s, lp }')
	else
		rcv=$(received "$j" bits_per_second)
		bytes=$(received "$j" bytes)
		retr=$(json_num "$j" retransmits)
		rtt=$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' "$WORK/ping.log")
		RES=$(awk -v r="$rcv" -v b="$bytes" -v t="${retr:-0}" \
		    -v rtt="${rtt:-0}" -v c=$((cpu1 - cpu0)) \
		    -v hz="$(getconf CLK_TCK)" 'BEGIN {
			printf "%.0f %d %.3f %.2f\n", r / 1e6, t, rtt,
			    (b > 0 ? c / hz / (b / 1e9) : 0)
		}')
	fi
	cleanup_case
}

# Each case: name, side A, side B, mode.  Both sides of every ratio run
# in the same repetition, one after the other.
CASES=${BENCH_CASES:-"wgd:wgd:wgd:tcp1 go:go:go:tcp1 wgd4:wgd:wgd:tcp4 go4:go:go:tcp4
wgdudp:wgd:wgd:udp goudp:go:go:udp wgd1c:wgd:wgd:core1"}
[ $MIXED -eq 1 ] && CASES="$CASES wgd2go:wgd:go:tcp1 go2wgd:wgd:go:rev"

echo "bench: reference $WIREGUARD_GO"
echo "bench: ${DURATION}s per run, MTU $MTU, $REPEAT run(s) per case," \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rep=1
while [ $rep -le "$REPEAT" ]; do
	for c in $CASES; do
		n=${c%%:*}; c=${c#*:}
		a=${c%%:*}; c=${c#*:}
		b=${c%%:*}; m=${c#*:}
		run_case "$n" "$a" "$b" "$m"
		i=1
		for v in $RES; do
			eval "V_${n}_$i=\"\${V_${n}_$i:-} $v\""
			i=$((i + 1))
		done
		printf '  run %d %-8s %s\n' $rep "$n" "$RES" >&2
	done
	rep=$((rep + 1))
done

# med NAME FIELD: the median of that field over the runs.
med() {
	eval "echo \${V_$1_$2:-}" | median
}

# row LABEL UNIT WGD GO [lower]: one line of the table, with the ratio
# wgd / wireguard-go, or its inverse where lower is better.
row() {
	awk -v l="$1" -v u="$2" -v a="$3" -v b="$4" -v inv="${5:-}" 'BEGIN {
		if (a == 0 && b == 0)
			r = "-"
		else if (inv == "")
			r = sprintf("%.2fx", b > 0 ? a / b : 0)
		else
			r = sprintf("%.2fx", a > 0 ? b / a : 0)
		printf "%-30s %10s %12s %8s  %s\n", l, a, b, r, u
	}'
}

printf '\n%-30s %10s %12s %8s\n' "median of $REPEAT" wgd wireguard-go ratio
row "TCP, 1 stream" Mbit/s "$(med wgd 1)" "$(med go 1)"
row "TCP, 4 streams" Mbit/s "$(med wgd4 1)" "$(med go4 1)"
row "UDP 1392 B, delivered" packets/s "$(med wgdudp 1)" "$(med goudp 1)"
row "UDP 1392 B, lost" "% (lower is better)" "$(med wgdudp 2)" \
    "$(med goudp 2)" lower
row "ping under TCP load" "ms (lower is better)" "$(med wgd 3)" \
    "$(med go 3)" lower
row "CPU per GB, both ends" "s (lower is better)" "$(med wgd 4)" \
    "$(med go 4)" lower
row "TCP retransmits" "(lower is better)" "$(med wgd 2)" "$(med go 2)" lower
row "wgd on 1 CPU, TCP" "Mbit/s (vs wgd on 2)" "$(med wgd1c 1)" \
    "$(med wgd 1)"
if [ $MIXED -eq 1 ]; then
	row "wgd -> wireguard-go" Mbit/s "$(med wgd2go 1)" "$(med go 1)"
	row "wireguard-go -> wgd" Mbit/s "$(med go2wgd 1)" "$(med go 1)"
fi
