#! /usr/bin/env atf-sh
#
# client dns tunnel: wgd's forwarder answers a phone's queries on the
# tunnel address by asking the host's resolvers, beside a dnsmasq (as
# Pi-hole is) on the same host, without ever holding port 53.
#
# The server's resolvers are named in files of the test's own
# (WGD_TEST_RESOLV_CONF): `ip netns exec` pins /etc/resolv.conf.

. "$(atf_get_srcdir)/lib.sh"

dns_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping pgrep dnsmasq dig"
}

# dns_conf DNS [peer lines...]: wgd in A, its phone's client dns DNS.
dns_conf()
{
	dns=$1
	shift
	lines=$(printf '%s\n' "$@")
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	address 10.13.13.1/24
	address fd00:13::1/64
	client endpoint "192.168.241.1"
	client allowed-ips { 0.0.0.0/0, ::/0 }
	client dns $dns
	peer "phone"
$lines
}
CONF
}

# resolvers ADDR...: the server's resolv.conf, replaced by rename as
# resolvconf and systemd-resolved do.
resolvers()
{
	: > resolv.conf.new
	for a in "$@"; do
		echo "nameserver $a" >> resolv.conf.new
	done
	mv resolv.conf.new resolv.conf
}

dns_wgd_start()
{
	wgd_start WGD_TEST_RESOLV_CONF="$PWD/resolv.conf" \
	    WGD_TEST_RESOLVED_CONF="$PWD/resolved.conf"
}

# dnsmasq_start NAME [options...]: a dnsmasq in A that knows the test
# names, logging its queries; pid in NAME.pid.
dnsmasq_start()
{
	n=$1
	shift
	ip netns exec "$A" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --user=root --pid-file= \
	    --log-queries --log-facility="$PWD/$n.log" \
	    --address=/phone.test/10.1.2.3 \
	    --txt-record=big.test,"$(printf '%0250d' 0)" \
	    --txt-record=big.test,"$(printf '%0250d' 1)" \
	    --txt-record=big.test,"$(printf '%0250d' 2)" \
	    --txt-record=big.test,"$(printf '%0250d' 3)" \
	    --txt-record=big.test,"$(printf '%0250d' 4)" \
	    --txt-record=big.test,"$(printf '%0250d' 5)" \
	    "$@" 2> "$n.err" &
	echo $! > "$n.pid"
	i=0
	while ! ip netns exec "$A" dig +short +time=1 +tries=1 \
	    @"${DNSMASQ_AT:-127.0.0.1}" phone.test > /dev/null 2>&1; do
		[ $i -lt 50 ] || atf_fail "dnsmasq did not start: $(cat "$n.err")"
		sleep 0.1
		i=$((i + 1))
	done
}

dnsmasq_stop()
{
	kill "$(cat "$1.pid")"
	wait "$(cat "$1.pid")" 2>/dev/null
	rm -f "$1.pid"
}

# phone_up: the phone's own peer_phone.conf, in wireguard-go in B.
phone_up()
{
	go_up "$B" "$GODEV"
	wg-quick strip state/wgt0/peer_phone/peer_phone.conf > phone.conf
	ip netns exec "$B" wg setconf "$GODEV" phone.conf ||
	    atf_fail "setconf"
	ip -n "$B" addr add 10.13.13.2/24 dev "$GODEV"
	ip -n "$B" addr add fd00:13::2/64 dev "$GODEV" nodad
	ip -n "$B" link set "$GODEV" up
	ping_ok "$B" 10.13.13.1
}

# resolves [dig options...]: the phone resolves phone.test through the
# tunnel, at the address its conf names.
resolves()
{
	server=$(sed -n 's/^DNS = \([^,]*\).*/\1/p' \
	    state/wgt0/peer_phone/peer_phone.conf)
	[ "$server" = 10.13.13.1 ] ||
	    atf_fail "DNS is not the tunnel: $(cat state/wgt0/peer_phone/peer_phone.conf)"
	out=$(ip netns exec "$B" dig +short +time=2 +tries=2 "$@" \
	    @"$server" phone.test 2>&1)
	[ "$out" = 10.1.2.3 ] || atf_fail "dig $* @$server: $out"
}

# dns_pid: the forwarder, a child of wgd (which is a child of ip).
dns_pid()
{
	for p in $(pgrep -P "$(cat wgd.pid)"); do
		for c in $p $(pgrep -P "$p"); do
			grep -q '^wgd: dns' "/proc/$c/cmdline" 2>/dev/null &&
			    echo "$c"
		done
	done
}

dns_cleanup()
{
	for f in dnsmasq.pid dnsmasq2.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	net_cleanup
}

atf_test_case loopback_resolver cleanup
loopback_resolver_head()
{
	dns_head
	atf_set "descr" "with only a loopback resolver on the host (Pi-hole's case), auto means the tunnel and the phone resolves through it, over UDP and TCP"
}
loopback_resolver_body()
{
	net_setup
	dnsmasq_start dnsmasq --listen-address=127.0.0.1 --bind-interfaces
	resolvers 127.0.0.1
	dns_conf auto
	dns_wgd_start
	grep -qx 'DNS = 10.13.13.1, fd00:13::1' \
	    state/wgt0/peer_phone/peer_phone.conf ||
	    atf_fail "$(cat state/wgt0/peer_phone/peer_phone.conf)"
	[ -n "$(dns_pid)" ] || atf_fail "no dns process"
	phone_up
	resolves
	resolves +tcp
	out=$(ip netns exec "$B" dig +short +time=2 +tries=2 AAAA \
	    @fd00:13::1 phone.test 2>&1)
	ip netns exec "$B" dig +time=2 +tries=2 @fd00:13::1 phone.test |
	    grep -q 'status: NOERROR' || atf_fail "over IPv6: $out"
	# The query reached dnsmasq from the forwarder, not the phone.
	grep -q 'query\[A\] phone.test from 127.0.0.1' dnsmasq.log ||
	    atf_fail "$(cat dnsmasq.log)"
}
loopback_resolver_cleanup()
{
	dns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case loopback_resolver
}
