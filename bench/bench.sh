#!/bin/sh
# bench/bench.sh: TCP throughput through wgd compared with wireguard-go.
#
# Usage: sh bench/bench.sh [-m] [-t seconds] [-r count] [-p dir]
#
#   -t seconds  length of each iperf3 run (default 10)
#   -r count    runs per case; with more than one the median is shown
#               (default 1)
#   -m          also run wgd against wireguard-go, both directions
#   -p dir      record a perf profile of the wgd engine of each side
#               during the wgd <-> wgd runs into dir (needs perf)
#
# progs-optional: perf
#
# Each case gets two fresh network namespaces joined by a veth pair,
# one tunnel (MTU 1420, 10.77.0.1 <-> 10.77.0.2 inside, 192.168.241.1
# <-> 192.168.241.2 outside) and one single-stream iperf3 TCP run from
# the first namespace to the second.  The cases alternate inside each
# repetition, so a busy neighbour slows them alike.  Nothing here leaves
# those namespaces.  Expects wgd/wgd and wgctl/wgctl to be built; builds
# nothing.  Needs root, iperf3, wireguard-go and wg.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
WGD=$TOP/wgd/wgd
WGCTL=$TOP/wgctl/wgctl
# The reference: the newest wireguard-go when it is beside the tree
# (../shared/tools), else Debian's.  WIREGUARD_GO=path picks another.
if [ -z "${WIREGUARD_GO:-}" ]; then
	if [ -x "$TOP/../shared/tools/wireguard-go-latest" ]; then
		WIREGUARD_GO=$TOP/../shared/tools/wireguard-go-latest
	else
		WIREGUARD_GO=$(command -v wireguard-go)
	fi
fi

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

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, TUN devices)"
for f in "$WGD" "$WGCTL"; do
	[ -x "$f" ] || die "$f missing: run make first"
done
[ -x "${WIREGUARD_GO:-}" ] || die "no wireguard-go (make deps, or WIREGUARD_GO=path)"
for c in ip ss iperf3 wg ping timeout; do
	command -v $c >/dev/null 2>&1 || die "$c not found (make deps)"
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
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=
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
	ip netns exec "$2" "$WGD" -d -f "$d/wgd.conf" > "$d/log" 2>&1 &
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
	i=0
	until [ -S "/var/run/wireguard/$3.sock" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat "$d/log" >&2; die "wireguard-go $1 did not start"; }
		sleep 0.1
	done
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

# Prints "sender receiver" in Mbit/s from iperf3 -J output.
iperf_mbits() {
	awk '
	/"sum_sent":/		{ cur = "s" }
	/"sum_received":/	{ cur = "r" }
	/"bits_per_second":/ && cur != "" {
		v = $0; sub(/.*:[ \t]*/, "", v); sub(/,.*/, "", v)
		if (cur == "s") s = v; else r = v
		cur = ""
	}
	END {
		if (s == "" || r == "") exit 1
		printf "%.0f %.0f\n", s / 1e6, r / 1e6
	}' "$1"
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

# run_case name implA implB [rev]: sets RES to "sender receiver".
run_case() {
	name=$1
	rev=${4:-}
	netns_up
	start "$2" A
	start "$3" B

	# The first packet starts the handshake.
	i=0
	until ip netns exec "$NSA" ping -c 1 -W 1 -q $INB >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 10 ] || die "$name: no traffic through the tunnel"
	done

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
			perf record -g -o "$PERFDIR/engine$s.$rep.data" -p "$ep" \
			    -- sleep "$DURATION" > "$PERFDIR/perf$s.$rep.log" 2>&1 &
			perfpids="$perfpids $!"
			PIDS="$PIDS $!"
		done
	fi

	# In the background, so that a signal's trap runs at once.
	timeout $((DURATION + 30)) ip netns exec "$NSA" iperf3 -J \
	    -c $INB -t "$DURATION" ${rev:+-R} > "$WORK/client.json" 2>&1 &
	cli=$!
	PIDS="$PIDS $cli"
	wait $cli
	st=$?
	for p in $perfpids; do
		wait "$p"
	done
	RES=$(iperf_mbits "$WORK/client.json") || {
		sed 's/^/  /' "$WORK/client.json" >&2
		die "$name: iperf3 failed (exit $st)"
	}
	cleanup_case
}

median() {
	tr ' ' '\n' | awk 'NF' | sort -n | awk '
	{ v[NR] = $1 }
	END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

CASES="wgd go"
[ $MIXED -eq 1 ] && CASES="$CASES wgd2go go2wgd"

case_args() {
	case $1 in
	wgd)	echo "wgd wgd" ;;
	go)	echo "go go" ;;
	wgd2go)	echo "wgd go" ;;	# wgd encrypts, wireguard-go decrypts
	go2wgd)	echo "wgd go rev" ;;	# wireguard-go encrypts, wgd decrypts
	esac
}

case_label() {
	case $1 in
	wgd)	echo "wgd -> wgd" ;;
	go)	echo "wireguard-go -> wireguard-go" ;;
	wgd2go)	echo "wgd -> wireguard-go" ;;
	go2wgd)	echo "wireguard-go -> wgd" ;;
	esac
}

echo "bench: reference $WIREGUARD_GO"
echo "bench: iperf3 TCP, 1 stream, ${DURATION}s, MTU $MTU, $REPEAT run(s)" \
    "per case, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rep=1
while [ $rep -le "$REPEAT" ]; do
	for c in $CASES; do
		# shellcheck disable=SC2046
		run_case "$c" $(case_args "$c")
		r=$RES
		eval "SND_$c=\"\${SND_$c:-} ${r% *}\""
		eval "RCV_$c=\"\${RCV_$c:-} ${r#* }\""
		[ "$REPEAT" -gt 1 ] &&
		    printf '  run %d %-30s %6s %6s Mbit/s\n' $rep \
		    "$(case_label "$c")" "${r% *}" "${r#* }" >&2
	done
	rep=$((rep + 1))
done

[ "$REPEAT" -gt 1 ] && hdr="median Mbit/s" || hdr="Mbit/s"
printf '%-30s %8s %8s   (%s)\n' case sender receiver "$hdr"
for c in $CASES; do
	eval "s=\$(echo \$SND_$c | median)"
	eval "r=\$(echo \$RCV_$c | median)"
	printf '%-30s %8s %8s\n' "$(case_label "$c")" "$s" "$r"
	eval "MED_$c=$r"
done
# shellcheck disable=SC2154
awk -v a="$MED_wgd" -v b="$MED_go" 'BEGIN {
	if (b > 0) printf "ratio wgd/wireguard-go: %.2f\n", a / b
	else print "ratio wgd/wireguard-go: n/a"
}'
