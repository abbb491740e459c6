# Shared by the network tests: two namespaces joined by a veth pair,
# wgd in one (A), a peer in the other (B) -- Debian's wireguard-go, or a
# second wgd.  Names carry the test's pid; the cleanup removes them and
# kills only the processes the test started, by pid.
#
# Outer addresses: 192.168.241.1/.2 and fd00:241::1/::2.
# Inner addresses: 10.77.0.1/.2 and fd00:77::1/::2.

top="$(atf_get_srcdir)/../.."
. "$top/regress/qemu.sh"
WGD="$top/wgd/wgd"
WGCTL="$top/wgctl/wgctl"

net_setup()
{
	A="wgnA$$"
	B="wgnB$$"
	# wireguard-go's control socket lives in /var/run/wireguard, shared
	# by every namespace: the device name must be unique too.
	GODEV="wgg$$"
	echo "$GODEV" > godev
	echo "$A $B" > netns
	ip netns add "$A" || atf_fail "ip netns add"
	ip netns add "$B" || atf_fail "ip netns add"
	ip -n "$A" link set lo up
	ip -n "$B" link set lo up
	ip link add vA netns "$A" type veth peer name vB netns "$B" ||
	    atf_fail "ip link add veth"
	ip -n "$A" addr add 192.168.241.1/24 dev vA
	ip -n "$B" addr add 192.168.241.2/24 dev vB
	ip -n "$A" addr add fd00:241::1/64 dev vA nodad
	ip -n "$B" addr add fd00:241::2/64 dev vB nodad
	ip -n "$A" link set vA up
	ip -n "$B" link set vB up
	mkdir -p bin
	printf '#!/bin/sh\nexec "%s" -s "%s" "$@"\n' "$WGCTL" \
	    "$PWD/wgd.sock" > bin/wgctl
	chmod 755 bin/wgctl
	PATH="$PWD/bin:$PATH"
	# The sysctls are the namespace's: so is wgd's record of them.
	WGD_TEST_SYSCTL_RECORD="$PWD/sysctls"
	export PATH WGD_TEST_SYSCTL_RECORD
	id _wgd >/dev/null 2>&1 ||
	    useradd --system --home-dir /var/empty --no-create-home \
	    --shell /usr/sbin/nologin _wgd || atf_fail "cannot create _wgd"
	umask 077
	wg genkey > peer.key
	wg pubkey < peer.key > peer.pub
}

# wgd_conf ENDPOINT [peer options...]: wgd in A with the peer "go".
wgd_conf()
{
	endpoint=$1
	shift
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	listen-port 51820
	address 10.77.0.1/24
	address fd00:77::1/64
	peer "go" {
		public-key "$(cat peer.pub)"
		allowed-ips { 10.77.0.2/32, fd00:77::2/128 }
		$endpoint
		$*
	}
}
CONF
}

# wgd_start [VAR=value...]: wgd in A, with those in its environment.
wgd_start()
{
	ip netns exec "$A" env "$@" "$WGD" -d -v -f "$PWD/wgd.conf" \
	    > wgd.log 2>&1 &
	echo $! > wgd.pid
	i=0
	while [ ! -S wgd.sock ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S wgd.sock ] || atf_fail "wgd did not start: $(cat wgd.log)"
}

# wgd_ready: until wgd has logged that it is up: interfaces, routes,
# masquerade, all done (the control socket comes before those).
wgd_ready()
{
	i=0
	while ! grep -qx 'started' wgd.log; do
		[ $i -lt 100 ] || atf_fail "wgd did not get ready: $(cat wgd.log)"
		sleep 0.1
		i=$((i + 1))
	done
}

wgd_pubkey()
{
	cat state/wgt0/server/publickey-server
}

# go_up NS DEV [NAME]: wireguard-go DEV in NS (WG_GO names another build
# than Debian's), once its device and API socket are there; pid and log
# in NAME.pid and NAME.log (go: a second one is go2).
go_up()
{
	f=${3:-go}
	ip netns exec "$1" "${WG_GO:-wireguard-go}" -f "$2" > "$f.log" 2>&1 &
	echo $! > "$f.pid"
	i=0
	while [ ! -S "/var/run/wireguard/$2.sock" ]; do
		[ $i -lt 50 ] ||
		    atf_fail "wireguard-go did not start: $(cat "$f.log")"
		sleep 0.1
		i=$((i + 1))
	done
}

# go_start [wg set options for the peer...]: wireguard-go in B, up and
# configured before it returns, so no packet meets a half-made device.
go_start()
{
	go_up "$B" "$GODEV"
	ip netns exec "$B" wg set "$GODEV" private-key peer.key listen-port 51821 \
	    peer "$(wgd_pubkey)" allowed-ips 10.77.0.1/32,fd00:77::1/128 \
	    "$@" || atf_fail "wg set"
	ip -n "$B" addr add 10.77.0.2/24 dev "$GODEV"
	ip -n "$B" addr add fd00:77::2/64 dev "$GODEV" nodad
	ip -n "$B" link set "$GODEV" mtu 1420 up
}

# ping_ok NS ADDR: a few pings, allowing for the first handshake.
ping_ok()
{
	ip netns exec "$1" ping -c 3 -i 0.3 -w 10 "$2" > ping.out 2>&1 ||
	    atf_fail "ping $2 from $1 failed: $(cat ping.out)"
}

# json_num KEY: the first number under "KEY" in wgctl show -j.
json_num()
{
	wgctl show -j | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1
}

net_cleanup()
{
	for f in wgd.pid go.pid go2.pid wgd2.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	# The API sockets of wireguard-go and wgd, which Kyua's SIGKILL at
	# the end of the body left no time to remove them.
	[ -f godev ] && rm -f "/var/run/wireguard/$(cat godev).sock"
	[ -f wgd.pid ] && rm -f /var/run/wireguard/wgt0.sock
	[ -f wgd2.pid ] && rm -f /var/run/wireguard/wgt1.sock
	if [ -f netns ]; then
		for ns in $(cat netns); do
			ip netns del "$ns" 2>/dev/null
		done
	fi
	true
}
