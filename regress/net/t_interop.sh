#! /usr/bin/env atf-sh
#
# wgd against Debian's wireguard-go, an implementation nobody here
# wrote: handshakes from either side, IPv4 and IPv6 inside and outside,
# a preshared key, a TCP stream, roaming, a real rekey; and wgd with wgd.

. "$(atf_get_srcdir)/lib.sh"

# net_head [more programs the case needs]
net_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping $*"
}

atf_test_case wgd_initiates cleanup
wgd_initiates_head()
{
	net_head
	atf_set "descr" "wgd starts the handshake; ping both ways over IPv4"
}
wgd_initiates_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	ping_ok "$B" 10.77.0.1
	grep -q 'handshake complete (initiator)' wgd.log ||
	    atf_fail "wgd did not initiate: $(cat wgd.log)"
}
wgd_initiates_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case go_initiates cleanup
go_initiates_head()
{
	net_head
	atf_set "descr" "wireguard-go starts the handshake; wgd answers; ping both ways, wgctl show has it all"
}
go_initiates_body()
{
	net_setup
	wgd_conf ''
	wgd_start
	go_start endpoint 192.168.241.1:51820
	ping_ok "$B" 10.77.0.1
	ping_ok "$A" 10.77.0.2
	grep -q 'handshake complete (responder)' wgd.log ||
	    atf_fail "wgd did not answer: $(cat wgd.log)"
	wgctl show > show
	grep -qx '  endpoint: 192.168.241.2:51821' show || atf_fail "$(cat show)"
	grep -q '^  latest handshake: .* ago$' show || atf_fail "$(cat show)"
	grep -q '^  transfer: .* received, .* sent$' show ||
	    atf_fail "$(cat show)"
	[ "$(json_num transfer_rx)" -gt 0 ] || atf_fail "no bytes received"
	[ "$(json_num latest_handshake)" -gt 1700000000 ] ||
	    atf_fail "latest_handshake is not an epoch time"
}
go_initiates_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case ipv6 cleanup
ipv6_head()
{
	net_head
	atf_set "descr" "IPv6 outside (endpoint) and inside, with IPv4 inside too"
}
ipv6_body()
{
	net_setup
	wgd_conf 'endpoint "fd00:241::2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" fd00:77::2
	ping_ok "$B" fd00:77::1
	ping_ok "$B" 10.77.0.1
	wgctl show | grep -qx '  endpoint: \[fd00:241::2\]:51821' ||
	    atf_fail "$(wgctl show)"
}
ipv6_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case preshared_key cleanup
preshared_key_head()
{
	net_head
	atf_set "descr" "a preshared key on both sides works; a different one does not"
}
preshared_key_body()
{
	net_setup
	wg genpsk > psk
	wg genpsk > otherpsk
	wgd_conf 'endpoint "192.168.241.2" port 51821' \
	    "preshared-key file \"$PWD/psk\""
	wgd_start
	go_start preshared-key otherpsk
	ip netns exec "$A" ping -c 2 -w 4 10.77.0.2 >/dev/null 2>&1 &&
	    atf_fail "a handshake with different preshared keys worked"
	ip netns exec "$B" wg set "$GODEV" peer "$(wgd_pubkey)" preshared-key psk
	ping_ok "$A" 10.77.0.2
	ping_ok "$B" 10.77.0.1
}
preshared_key_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case tcp_stream cleanup
tcp_stream_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping iperf3"
	atf_set "descr" "a TCP stream (iperf3, 3 s) through the tunnel"
}
tcp_stream_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	ip netns exec "$A" iperf3 -s -1 -B 10.77.0.1 > iperf-s.out 2>&1 &
	echo $! > go2.pid
	sleep 0.5
	ip netns exec "$B" iperf3 -c 10.77.0.1 -t 3 -f m > iperf.out 2>&1 ||
	    atf_fail "iperf3: $(cat iperf.out)"
	grep -q 'receiver' iperf.out || atf_fail "$(cat iperf.out)"
	rate=$(sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver.*/\1/p' iperf.out)
	echo "throughput: $rate Mbit/s"
	[ "${rate%.*}" -gt 0 ] || atf_fail "no throughput: $(cat iperf.out)"
}
tcp_stream_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case roaming cleanup
roaming_head()
{
	net_head sysctl
	atf_set "descr" "the wireguard-go side moves to a new address; traffic resumes and show has the new endpoint"
}
roaming_body()
{
	net_setup
	wgd_conf ''
	wgd_start
	go_start endpoint 192.168.241.1:51820
	ping_ok "$B" 10.77.0.1
	wgctl show | grep -qx '  endpoint: 192.168.241.2:51821' ||
	    atf_fail "$(wgctl show)"
	# A new address and port, as after a move between networks; the
	# new port also makes wireguard-go drop the source it had cached.
	ip netns exec "$B" sysctl -q -w net.ipv4.conf.vB.promote_secondaries=1
	ip -n "$B" addr add 192.168.241.3/24 dev vB
	ip -n "$B" addr del 192.168.241.2/24 dev vB
	ip netns exec "$B" wg set "$GODEV" listen-port 51822
	ping_ok "$B" 10.77.0.1
	wgctl show | grep -qx '  endpoint: 192.168.241.3:51822' ||
	    atf_fail "endpoint did not follow: $(wgctl show)"
	ping_ok "$A" 10.77.0.2
}
roaming_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case wgd_with_wgd cleanup
wgd_with_wgd_head()
{
	net_head
	atf_set "descr" "two wgd talk to each other"
}
wgd_with_wgd_body()
{
	net_setup
	wg genkey > a.key
	wg pubkey < a.key > a.pub
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	private-key file "$PWD/a.key"
	address 10.77.0.1/24
	peer "b" {
		public-key "$(cat peer.pub)"
		allowed-ips 10.77.0.2/32
		endpoint "192.168.241.2" port 51821
	}
}
CONF
	mkdir b
	cat > b/wgd.conf <<CONF
socket "$PWD/b/wgd.sock"
state-dir "$PWD/b/state"
interface "wgt1" {
	private-key file "$PWD/peer.key"
	listen-port 51821
	address 10.77.0.2/24
	peer "a" {
		public-key "$(cat a.pub)"
		allowed-ips 10.77.0.1/32
		endpoint "192.168.241.1" port 51820
	}
}
CONF
	wgd_start
	ip netns exec "$B" "$WGD" -d -v -f "$PWD/b/wgd.conf" > b/wgd.log 2>&1 &
	echo $! > wgd2.pid
	sleep 0.5
	ping_ok "$A" 10.77.0.2
	ping_ok "$B" 10.77.0.1
}
wgd_with_wgd_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case persistent_keepalive cleanup
persistent_keepalive_head()
{
	net_head
	atf_set "descr" "persistent-keepalive makes the handshake and keeps sending with no traffic at all"
}
persistent_keepalive_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821' 'persistent-keepalive 1'
	wgd_start
	go_start
	sleep 4
	ip netns exec "$B" wg show "$GODEV" dump > dump
	# peer line: key psk endpoint ips handshake rx tx keepalive
	set -- $(sed -n 2p dump)
	[ "$5" -gt 0 ] || atf_fail "no handshake: $(cat dump)"
	[ "$6" -ge 3 ] 2>/dev/null || atf_fail "no keepalives: $(cat dump)"
	first=$6
	sleep 2
	set -- $(ip netns exec "$B" wg show "$GODEV" dump | sed -n 2p)
	[ "$6" -gt "$first" ] || atf_fail "keepalives stopped"
	wgctl show | grep -qx '  persistent keepalive: every 1 second' ||
	    atf_fail "$(wgctl show)"
}
persistent_keepalive_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case endpoint_name cleanup
endpoint_name_head()
{
	net_head sysctl
	atf_set "descr" "an endpoint given as a name is resolved, and followed when it resolves elsewhere"
}
endpoint_name_body()
{
	net_setup
	# ip netns exec shows /etc/netns/NS/hosts as /etc/hosts.
	mkdir -p "/etc/netns/$A"
	echo "/etc/netns/$A" >> cleanup.dirs
	echo "192.168.241.2 peer.wgd.test" > "/etc/netns/$A/hosts"
	wgd_conf 'endpoint "peer.wgd.test" port 51821' 'persistent-keepalive 1'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	grep -q 'peer.wgd.test is 192.168.241.2' wgd.log ||
	    atf_fail "$(cat wgd.log)"

	# The peer moves; its name follows; a reload resolves it again.
	ip netns exec "$B" sysctl -q -w net.ipv4.conf.vB.promote_secondaries=1
	ip -n "$B" addr add 192.168.241.3/24 dev vB
	ip -n "$B" addr del 192.168.241.2/24 dev vB
	echo "192.168.241.3 peer.wgd.test" > "/etc/netns/$A/hosts"
	atf_check -s exit:0 -o ignore wgctl reload
	ping_ok "$A" 10.77.0.2
	grep -q 'peer.wgd.test is 192.168.241.3' wgd.log ||
	    atf_fail "$(cat wgd.log)"
}
endpoint_name_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	[ -f cleanup.dirs ] && rm -rf $(cat cleanup.dirs)
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case endpoint_name
	atf_add_test_case persistent_keepalive
	atf_add_test_case wgd_initiates
	atf_add_test_case go_initiates
	atf_add_test_case ipv6
	atf_add_test_case preshared_key
	atf_add_test_case tcp_stream
	atf_add_test_case roaming
	atf_add_test_case wgd_with_wgd
}
