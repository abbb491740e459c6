#!/bin/sh
# bench/hsbench.sh: handshakes a second under a flood of valid
# initiations, and what an established stream keeps meanwhile, wgd's
# against wireguard-go's.
#
# Usage: sh bench/hsbench.sh [-n peers] [-r count] [-t seconds]
#
#   -n peers    flood peers configured on the target (default 10000)
#   -r count    runs per implementation; the table shows medians
#               (default 1)
#   -t seconds  length of each flood and each stream (default 10)
#
# WIREGUARD_GO=path names the reference (default: the newest one in
# ../shared/tools when it is there, else Debian's).  FLOOD_RATE sets
# the initiations a second sent during the stream (default 20000, more
# than either answers here).  IMPLS="wgd" (or "go") runs one side only.
#
# Three network namespaces: the target T, with one interface and the
# flood peers plus one client peer; the client C (the same
# implementation), which runs an iperf3 stream to T through the tunnel;
# and F, where bench/hsflood sends from 4096 addresses of 10.99.0.0/16,
# on CPU 0 alone (its -c, as taskset would) so that its own work does
# not count.
# Each run measures, in turn: the stream alone, the flood alone (its
# responses a second), and the stream during a flood of FLOOD_RATE a
# second.  Nothing leaves those namespaces.  Expects wgd, wgctl and
# bench/hsflood to be built.  Needs root, iperf3, wireguard-go and wg.

set -u

BENCH=hsbench
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
WGD=$TOP/wgd/wgd
FLOOD=$TOP/bench/hsflood
FLOOD_RATE=${FLOOD_RATE:-20000}

PEERS=10000
REPEAT=1
DURATION=10

usage() {
	echo "usage: $0 [-n peers] [-r count] [-t seconds]" >&2
	exit 2
}

while getopts n:r:t: opt; do
	case $opt in
	n)	PEERS=$OPTARG ;;
	r)	REPEAT=$OPTARG ;;
	t)	DURATION=$OPTARG ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$PEERS" "$REPEAT" "$DURATION" "$FLOOD_RATE"; do
	case $v in ''|*[!0-9]*|0) usage ;; esac
done

need_root_and_tools
for f in "$WGD" "$FLOOD"; do
	[ -x "$f" ] || die "$f missing: run make bench/hsflood first"
done

NST=wghT$$
NSC=wghC$$
NSF=wghF$$
IFT=wgh$$t
IFC=wgh$$c
PORT=51820
SEED=hsbench$$

WORK=$(mktemp -d /tmp/wghsbench.XXXXXX) || exit 1
PIDS=

cleanup_run() {
	stop_pids
	for n in "$NST" "$NSC" "$NSF"; do
		ip netns del "$n" 2>/dev/null
	done
}

cleanup() {
	trap - EXIT INT TERM HUP
	cleanup_run
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

umask 077
wg genkey > "$WORK/keyT" && wg pubkey < "$WORK/keyT" > "$WORK/pubT" &&
    wg genkey > "$WORK/keyC" && wg pubkey < "$WORK/keyC" > "$WORK/pubC" ||
    die "wg genkey failed"
"$FLOOD" -g "$PEERS" "$SEED" > "$WORK/floodkeys" || die "hsflood -g failed"

# T-C on 192.168.242.0/24, T-F on 192.168.243.0/24; F owns 10.99/16.
netns_up() {
	cleanup_run
	for n in "$NST" "$NSC" "$NSF"; do
		ip netns add "$n" || die "ip netns add $n"
		ip -n "$n" link set lo up
	done
	ip link add vTC netns "$NST" type veth peer name vC netns "$NSC" &&
	    ip link add vTF netns "$NST" type veth peer name vF netns "$NSF" ||
	    die "ip link add veth"
	ip -n "$NST" addr add 192.168.242.1/24 dev vTC
	ip -n "$NSC" addr add 192.168.242.2/24 dev vC
	ip -n "$NST" addr add 192.168.243.1/24 dev vTF
	ip -n "$NSF" addr add 192.168.243.2/24 dev vF
	for l in "$NST vTC" "$NST vTF" "$NSC vC" "$NSF vF"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$NSF" route add local 10.99.0.0/16 dev lo
	ip -n "$NST" route add 10.99.0.0/16 via 192.168.243.2
}

wait_up() {
	i=0
	until ip -n "$1" link show dev "$2" 2>/dev/null | grep -q ',UP' &&
	    ip -n "$1" -4 addr show dev "$2" 2>/dev/null | grep -q inet; do
		i=$((i + 1))
		[ $i -lt 300 ] || { cat "$3" >&2; die "$2 did not come up"; }
		sleep 0.1
	done
}

# start_wgd ns ifname inner key peerpub peerinner [endpoint] [floodpeers]
start_wgd() {
	d=$WORK/wgd$2
	mkdir -p "$d"
	{
		echo "socket \"$d/wgd.sock\""
		echo "state-dir \"$d/state\""
		echo "interface \"$2\" {"
		echo "	private-key file \"$4\""
		[ -n "$7" ] || echo "	listen-port $PORT"
		echo "	address $3/24"
		echo "	mtu 1420"
		echo "	peer \"other\" {"
		echo "		public-key \"$(cat "$5")\""
		echo "		allowed-ips $6/32"
		[ -z "$7" ] || echo "		endpoint \"$7\" port $PORT"
		echo "	}"
		if [ -n "$8" ]; then
			awk '{ printf "\tpeer \"f%d\" { public-key \"%s\" }\n",
			    NR, $1 }' "$8"
		fi
		echo "}"
	} > "$d/wgd.conf"
	ip netns exec "$1" "$WGD" -d -f "$d/wgd.conf" > "$d/log" 2>&1 &
	PIDS="$PIDS $!"
	wait_up "$1" "$2" "$d/log"
}

# start_go: the same arguments as start_wgd.
start_go() {
	d=$WORK/go$2
	mkdir -p "$d"
	ip netns exec "$1" "$WIREGUARD_GO" -f "$2" > "$d/log" 2>&1 &
	PIDS="$PIDS $!"
	wait_go_socket "$2" "$d/log"
	{
		echo "[Interface]"
		echo "PrivateKey = $(cat "$4")"
		[ -n "$7" ] || echo "ListenPort = $PORT"
		echo "[Peer]"
		echo "PublicKey = $(cat "$5")"
		echo "AllowedIPs = $6/32"
		[ -z "$7" ] || echo "Endpoint = $7:$PORT"
		if [ -n "$8" ]; then
			awk '{ printf "[Peer]\nPublicKey = %s\n", $1 }' "$8"
		fi
	} > "$d/wg.conf"
	ip netns exec "$1" wg setconf "$2" "$d/wg.conf" || die "wg setconf"
	ip -n "$1" link set dev "$2" mtu 1420
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set dev "$2" up
	wait_up "$1" "$2" "$d/log"
}

# stream: one iperf3 TCP stream from C to T; prints Mbit/s.
stream() {
	timeout $((DURATION + 30)) ip netns exec "$NSC" iperf3 -J \
	    -c 10.78.0.1 -t "$DURATION" > "$WORK/client.json" 2>&1 &
	cli=$!
	PIDS="$PIDS $cli"
	wait $cli
	received "$WORK/client.json" bits_per_second |
	    awk '{ printf "%.0f\n", $1 / 1e6 }'
}

# flood seconds rate: prints hsflood's line.
flood() {
	ip netns exec "$NSF" "$FLOOD" -c 0 -d "$1" -r "$2" \
	    -n "$PEERS" -P $((PEERS * 20)) -k "$(cat "$WORK/pubT")" \
	    "$SEED" 10.99.0.1 192.168.243.1 $PORT
}

# run impl: sets RES to "stream_mbit flood_rate stream_during_mbit
# flood_rate_during".
run() {
	netns_up
	start_$1 "$NST" "$IFT" 10.78.0.1 "$WORK/keyT" "$WORK/pubC" \
	    10.78.0.2 "" "$WORK/floodkeys"
	start_$1 "$NSC" "$IFC" 10.78.0.2 "$WORK/keyC" "$WORK/pubT" \
	    10.78.0.1 192.168.242.1 ""
	i=0
	until ip netns exec "$NSC" ping -c 1 -W 1 -q 10.78.0.1 \
	    >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 10 ] || die "$1: no traffic through the tunnel"
	done
	ip netns exec "$NST" iperf3 -s -B 10.78.0.1 > "$WORK/server.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until ip netns exec "$NST" ss -ltn 2>/dev/null | grep -q ':5201'; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "$1: iperf3 server did not start"
		sleep 0.1
	done

	alone=$(stream)
	flood "$DURATION" 0 > "$WORK/rate.log"
	sed "s/^/  $1 flood: /" "$WORK/rate.log" >&2
	rate=$(sed -n 's/.* rate \([0-9]*\)$/\1/p' "$WORK/rate.log")
	# The flood computes its initiations first, then starts the clock:
	# the stream starts once it is sending.
	flood $((DURATION + 4)) "$FLOOD_RATE" > "$WORK/flood.log" \
	    2> "$WORK/flood.err" &
	fl=$!
	PIDS="$PIDS $fl"
	i=0
	until grep -q sending "$WORK/flood.err"; do
		i=$((i + 1))
		[ $i -lt 600 ] || die "$1: the flood did not start"
		sleep 0.1
	done
	sleep 1
	during=$(stream)
	wait $fl
	sed "s/^/  $1 flood beside the stream: /" "$WORK/flood.log" >&2
	frate=$(sed -n 's/.* rate \([0-9]*\)$/\1/p' "$WORK/flood.log")
	RES="${alone:-0} ${rate:-0} ${during:-0} ${frate:-0}"
	cleanup_run
}

echo "hsbench: reference $WIREGUARD_GO"
echo "hsbench: $PEERS flood peers, ${DURATION}s per flood and stream," \
    "$REPEAT run(s), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rep=1
while [ $rep -le "$REPEAT" ]; do
	for impl in ${IMPLS:-wgd go}; do
		run $impl
		i=1
		for v in $RES; do
			eval "V_${impl}_$i=\"\${V_${impl}_$i:-} $v\""
			i=$((i + 1))
		done
		printf '  run %d %-4s %s\n' $rep $impl "$RES" >&2
	done
	rep=$((rep + 1))
done

med() {
	eval "echo \${V_$1_$2:-}" | median
}

printf '\n%-34s %10s %12s %8s\n' "median of $REPEAT" wgd wireguard-go ratio
awk -v wa="$(med wgd 1)" -v wr="$(med wgd 2)" -v wd="$(med wgd 3)" \
    -v wf="$(med wgd 4)" -v ga="$(med go 1)" -v gr="$(med go 2)" \
    -v gd="$(med go 3)" -v gf="$(med go 4)" -v fr="$FLOOD_RATE" 'BEGIN {
	f = "%-34s %10s %12s %8s  %s\n"
	printf f, "responses, unlimited flood", wr, gr,
	    sprintf("%.2fx", gr > 0 ? wr / gr : 0), "a second"
	printf f, "responses, " fr "/s flood + stream", wf, gf,
	    sprintf("%.2fx", gf > 0 ? wf / gf : 0), "a second"
	printf f, "TCP stream alone", wa, ga, "", "Mbit/s"
	printf f, "TCP stream during " fr "/s flood", wd, gd, "", "Mbit/s"
	printf f, "stream kept during the flood", \
	    sprintf("%.0f%%", wa > 0 ? 100 * wd / wa : 0), \
	    sprintf("%.0f%%", ga > 0 ? 100 * gd / ga : 0), "", ""
}'
