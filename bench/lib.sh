# bench/lib.sh: what bench.sh and hsbench.sh share.  Sourced after they
# set BENCH (their name, for messages) and TOP (the tree).

# The reference: the newest wireguard-go when it is beside the tree
# (../shared/tools), else Debian's.  WIREGUARD_GO=path picks another.
if [ -z "${WIREGUARD_GO:-}" ]; then
	if [ -x "$TOP/../shared/tools/wireguard-go-latest" ]; then
		WIREGUARD_GO=$TOP/../shared/tools/wireguard-go-latest
	else
		WIREGUARD_GO=$(command -v wireguard-go)
	fi
fi

die() {
	echo "$BENCH: $*" >&2
	exit 1
}

# need_root_and_tools program...: root, wireguard-go, wg and the rest.
need_root_and_tools() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, TUN devices)"
	[ -x "${WIREGUARD_GO:-}" ] ||
	    die "no wireguard-go (make deps, or WIREGUARD_GO=path)"
	for c in ip ss iperf3 wg ping timeout "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "$c not found (make deps)"
	done
}

# stop_pids: ends every process in $PIDS, which are ours.
stop_pids() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=
}

# wait_go_socket ifname log: until that wireguard-go answers on its
# UAPI socket (in the one /var/run/wireguard of every namespace).
wait_go_socket() {
	i=0
	until [ -S "/var/run/wireguard/$1.sock" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat "$2" >&2; die "wireguard-go $1 did not start"; }
		sleep 0.1
	done
}

# json_num FILE KEY: the last number under "KEY" in iperf3's JSON (the
# summary comes last).
json_num() {
	sed -n "s/.*\"$2\":[ \t]*\([-0-9.e+]*\).*/\1/p" "$1" | tail -n 1
}

# received FILE KEY: KEY (bits_per_second, bytes) of the receiver's sum
# in iperf3's JSON.
received() {
	sed -n '/"sum_received"/,/}/p' "$1" |
	    sed -n "s/.*\"$2\":[ \t]*\([0-9.e+]*\).*/\1/p"
}

# median: of the numbers on standard input, rounded when it is a mean.
median() {
	tr ' ' '\n' | awk 'NF' | sort -n | awk '
	{ v[NR] = $1 }
	END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}
