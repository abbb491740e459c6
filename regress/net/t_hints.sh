#! /usr/bin/env atf-sh
#
# wgctl show's hints for a phone that does not connect, each provoked
# with wireguard-go set up from the phone's own peer_phone.conf, then
# broken the way phones break: another server key, a removed peer's
# conf, a blocked port, a wrong Address, answers that do not get back.

. "$(atf_get_srcdir)/lib.sh"

hints_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping nft readlink $*"
}

# hints_conf PEER [lines]: wgd in A with the managed peer PEER.
hints_conf()
{
	peer=$1
	shift
	lines=$(printf '%s\n' "$@")
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	address 10.13.13.1/24
	client endpoint "192.168.241.1"
	client allowed-ips { 10.13.13.0/24 }
	peer "$peer"
$lines
}
CONF
}

# phone_up CONF: wireguard-go in B, from that client conf.
phone_up()
{
	go_up "$B" "$GODEV"
	# A path, or wg-quick takes it for an interface name.
	wg-quick strip "$(readlink -f "$1")" > phone.conf ||
	    atf_fail "wg-quick strip $1"
	ip netns exec "$B" wg setconf "$GODEV" phone.conf ||
	    atf_fail "setconf"
	a=$(sed -n 's/^Address = //p' "$1")
	ip -n "$B" addr add "${a%/*}/24" dev "$GODEV"
	ip -n "$B" link set "$GODEV" up
}

# pings: a few, whose answers do not matter.
pings()
{
	ip netns exec "$B" ping -c "${1:-2}" -i 0.5 -W 1 10.13.13.1 \
	    > /dev/null 2>&1
	true
}

# hint_is TEXT: wgctl show has that hint (a prefix), within 12 s.
hint_is()
{
	i=0
	while ! wgctl show | grep -qF "  hint: $1"; do
		[ $i -lt 60 ] || atf_fail "no hint \"$1\": $(wgctl show)"
		pings 1
		i=$((i + 1))
	done
	wgctl show -j | grep -qF "\"hint\":\"$1" ||
	    atf_fail "not in show -j: $(wgctl show -j)"
}

atf_test_case blocked_port cleanup
blocked_port_head()
{
	hints_head
	atf_set "descr" "the right key on a blocked port: no packet since wgd started, is UDP port 51820 forwarded?"
}
blocked_port_body()
{
	net_setup
	hints_conf phone
	wgd_start
	ip netns exec "$A" nft add table inet block
	ip netns exec "$A" nft add chain inet block in \
	    '{ type filter hook input priority -10; }'
	ip netns exec "$A" nft add rule inet block in udp dport 51820 drop
	phone_up state/wgt0/peer_phone/peer_phone.conf
	pings 3
	hint_is "no packet from this peer since wgd started: its conf sends to 192.168.241.1:51820; is that this host, with the port forwarded to UDP port 51820 here?"
}
blocked_port_cleanup()
{
	net_cleanup
}

atf_test_case wrong_server_key cleanup
wrong_server_key_head()
{
	hints_head
	atf_set "descr" "a phone that worked, now with another server key in its conf: handshakes arrive from its address but fail"
}
wrong_server_key_body()
{
	net_setup
	hints_conf phone
	wgd_start
	phone_up state/wgt0/peer_phone/peer_phone.conf
	ping_ok "$B" 10.13.13.1
	# The conf of another server, to the same address.
	ip netns exec "$B" wg set "$GODEV" peer "$(wgd_pubkey)" remove \
	    peer "$(wg genkey | wg pubkey)" allowed-ips 10.13.13.0/24 \
	    endpoint 192.168.241.1:51820 || atf_fail "wg set"
	hint_is "handshakes arrive from 192.168.241.2:"
	wgctl show | grep -q "but fail: the client's conf has another server key (scan its QR code again)" ||
	    atf_fail "$(wgctl show)"
	# The same in the counters: accepted once, then refused.
	wgctl show metrics > metrics
	grep -q '^wgd_handshakes_received_total{interface="wgt0"} [1-9]' \
	    metrics || atf_fail "$(cat metrics)"
	grep -q '^wgd_handshakes_failed_total{interface="wgt0"} [1-9]' \
	    metrics || atf_fail "$(cat metrics)"
	grep -q '^wgd_peer_connected{interface="wgt0",peer="phone"} 1$' \
	    metrics || atf_fail "$(cat metrics)"
}
wrong_server_key_cleanup()
{
	net_cleanup
}

atf_test_case removed_peer_conf cleanup
removed_peer_conf_head()
{
	hints_head
	atf_set "descr" "a removed peer's conf still in use, its peer added again with new keys: the new peer's hint names the failing handshakes"
}
removed_peer_conf_body()
{
	net_setup
	hints_conf phone
	wgd_start
	cp state/wgt0/peer_phone/peer_phone.conf old.conf
	# The phone removed and added again: new keys, a new QR code.
	hints_conf phone2
	wgctl reload > reload.out || atf_fail "reload: $(cat reload.out)"
	phone_up old.conf
	pings 3
	hint_is "no packet from this peer since wgd started: its conf sends to 192.168.241.1:51820; is that this host, with the port forwarded to UDP port 51820 here? (handshakes from 192.168.241.2:"
	wgctl show | grep -q "fail: a client with a key no peer has)" ||
	    atf_fail "$(wgctl show)"
}
removed_peer_conf_cleanup()
{
	net_cleanup
}

atf_test_case wrong_address cleanup
wrong_address_head()
{
	hints_head
	atf_set "descr" "a conf with another Address: the phone connects, but what it sends is dropped, and the hint says why"
}
wrong_address_body()
{
	net_setup
	hints_conf phone
	wgd_start
	sed 's/^Address = .*/Address = 10.13.13.99\/32/' \
	    state/wgt0/peer_phone/peer_phone.conf > wrong.conf
	phone_up wrong.conf
	pings 3
	hint_is "it sends from 10.13.13.99, which is not one of its allowed ips: its conf has another Address (scan its QR code again)"
}
wrong_address_cleanup()
{
	net_cleanup
}

atf_test_case no_way_back cleanup
no_way_back_head()
{
	hints_head
	atf_set "descr" "handshakes arrive and are answered, but the answers never reach the phone: the reply path is broken"
}
no_way_back_body()
{
	net_setup
	hints_conf phone
	wgd_start
	ip netns exec "$A" nft add table inet block
	ip netns exec "$A" nft add chain inet block out \
	    '{ type filter hook output priority -10; }'
	ip netns exec "$A" nft add rule inet block out udp sport 51820 drop
	phone_up state/wgt0/peer_phone/peer_phone.conf
	hint_is "handshakes from 192.168.241.2:"
	wgctl show | grep -q "are answered, but nothing comes back" ||
	    atf_fail "$(wgctl show)"
}
no_way_back_cleanup()
{
	net_cleanup
}

atf_test_case unresolved_name cleanup
unresolved_name_head()
{
	hints_head dnsmasq
	atf_set "descr" "a peer whose endpoint name does not resolve says so (the namespace's resolver is a local dnsmasq that knows no name)"
}
unresolved_name_body()
{
	net_setup
	# ip netns exec gives A this resolv.conf: a stub of ours.
	mkdir -p "/etc/netns/$A"
	echo "$A" > etc_netns
	echo "nameserver 127.0.0.1" > "/etc/netns/$A/resolv.conf"
	ip netns exec "$A" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --user=root --pid-file= \
	    --listen-address=127.0.0.1 --bind-interfaces 2> dnsmasq.err &
	echo $! > dnsmasq.pid
	hints_conf phone '	peer "office" {' \
	    "		public-key \"$(wg genkey | wg pubkey)\"" \
	    '		allowed-ips 10.13.13.50/32' \
	    '		endpoint "nosuch.test" port 51820' '	}'
	wgd_start
	i=0
	while ! wgctl show peer office | grep -qF "  hint: its endpoint name nosuch.test does not resolve: is the name right, and does this host's DNS answer?"; do
		[ $i -lt 100 ] || atf_fail "no hint: $(wgctl show peer office)"
		sleep 0.1
		i=$((i + 1))
	done
}
unresolved_name_cleanup()
{
	[ -f dnsmasq.pid ] && kill "$(cat dnsmasq.pid)" 2>/dev/null
	[ -f etc_netns ] && rm -rf "/etc/netns/$(cat etc_netns)"
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case blocked_port
	atf_add_test_case wrong_server_key
	atf_add_test_case removed_peer_conf
	atf_add_test_case wrong_address
	atf_add_test_case no_way_back
	atf_add_test_case unresolved_name
}
