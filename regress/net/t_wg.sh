#! /usr/bin/env atf-sh
#
# Behaviours wg users rely on, on standalone wgd interfaces driven by
# wg(8) and ip(8) alone: roaming, ports that change and swap, IPv6
# outside, the device going down and up in another namespace, a 34 KB
# MTU, answers from the address the peer sent to, and a keepalive that
# holds a NAT mapping open.

. "$(atf_get_srcdir)/wglib.sh"

# endpoint_of IF: the endpoint wg show gives IF's only peer.
endpoint_of()
{
	wg show "$1" endpoints | cut -f 2
}

atf_test_case roaming cleanup
roaming_head()
{
	st_head
	atf_set "descr" "the endpoint follows any authenticated packet, also one whose inner source the allowed ips refuse"
}
roaming_body()
{
	st_setup
	pair_up
	ping_ok "$X" 192.168.241.2
	[ "$(endpoint_of "$I1")" = 127.0.0.1:10002 ] ||
	    atf_fail "endpoint $(endpoint_of "$I1")"
	wg set "$I2" listen-port 10003 || atf_fail "listen-port"
	ping_ok "$Y" 192.168.241.1
	[ "$(endpoint_of "$I1")" = 127.0.0.1:10003 ] ||
	    atf_fail "did not roam: $(endpoint_of "$I1")"

	wg set "$I1" peer "$(wg pubkey < k2)" allowed-ips 192.168.241.99/32
	wg set "$I2" listen-port 10004 || atf_fail "listen-port"
	ip netns exec "$Y" ping -c 2 -w 3 192.168.241.1 > /dev/null 2>&1 &&
	    atf_fail "a refused source got through"
	[ "$(endpoint_of "$I1")" = 127.0.0.1:10004 ] ||
	    atf_fail "a refused inner source did not roam: $(endpoint_of "$I1")"
}
roaming_cleanup()
{
	st_cleanup
}

atf_test_case ports cleanup
ports_head()
{
	st_head
	atf_set "descr" "IPv6 outside; a listen port changed while up; a port in use refused; two peers that swap ports"
}
ports_body()
{
	st_setup
	pair_up '[::1]'
	ping_ok "$X" 192.168.241.2
	ping_ok "$Y" fd00::1
	[ "$(endpoint_of "$I1")" = '[::1]:10002' ] ||
	    atf_fail "endpoint $(endpoint_of "$I1")"
	wg set "$I1" listen-port 10005 || atf_fail "listen-port"
	ping_ok "$X" 192.168.241.2
	[ "$(endpoint_of "$I2")" = '[::1]:10005' ] ||
	    atf_fail "$I2 did not follow: $(endpoint_of "$I2")"
	wg set "$I1" listen-port 10002 2> err && atf_fail "a port in use"
	grep -q 'Address already in use' err || atf_fail "$(cat err)"
	[ "$(wg show "$I1" listen-port)" = 10005 ] || atf_fail "port changed"

	# The two swap ports, through a third.
	wg set "$I2" listen-port 10006 || atf_fail "to 10006"
	wg set "$I1" listen-port 10002 || atf_fail "to 10002"
	wg set "$I2" listen-port 10005 || atf_fail "to 10005"
	wg set "$I1" peer "$(wg pubkey < k2)" endpoint '[::1]:10005'
	wg set "$I2" peer "$(wg pubkey < k1)" endpoint '[::1]:10002'
	ping_ok "$X" 192.168.241.2
	ping_ok "$Y" 192.168.241.1
	ip netns exec "$M" ss -uln | grep -q ':10006 ' &&
	    atf_fail "10006 is still bound"
	true
}
ports_cleanup()
{
	st_cleanup
}

atf_test_case link_and_mtu cleanup
link_and_mtu_head()
{
	st_head
	atf_set "descr" "the device going down and up in another namespace is noticed, and traffic resumes; a 34 KB MTU works"
}
link_and_mtu_body()
{
	ST_DEBUG=1
	st_setup
	pair_up
	ping_ok "$X" 192.168.241.2
	ip -n "$Y" link set "$I2" down
	ip netns exec "$X" ping -c 2 -w 3 192.168.241.2 > /dev/null 2>&1 &&
	    atf_fail "a ping through a device that is down"
	grep -q "$I2: the device is down" "$I2.log" ||
	    atf_fail "not noticed: $(cat "$I2.log")"
	ip -n "$Y" link set "$I2" up
	ping_ok "$X" 192.168.241.2
	grep -q "$I2: the device is up again" "$I2.log" ||
	    atf_fail "not noticed: $(cat "$I2.log")"

	ip -n "$X" link set "$I1" mtu 34000
	ip -n "$Y" link set "$I2" mtu 34000
	ip netns exec "$X" ping -c 2 -w 10 -s 33000 -M do 192.168.241.2 \
	    > ping.out 2>&1 || atf_fail "34 KB pings: $(cat ping.out)"
	ip netns exec "$Y" ping -c 2 -w 10 -s 33000 -M do 192.168.241.1 \
	    > ping.out 2>&1 || atf_fail "34 KB pings: $(cat ping.out)"
}
link_and_mtu_cleanup()
{
	st_cleanup
}

atf_test_case source_address cleanup
source_address_head()
{
	st_head
	atf_set "descr" "wgd answers from the address the peer sent to, of several on its uplink, and finds another when that one goes: IPv4 and IPv6; a link-local endpoint with its zone"
}
source_address_body()
{
	st_setup
	ip link add vX netns "$X" type veth peer name vY netns "$Y" ||
	    atf_fail "veth"
	ip -n "$X" addr add 192.168.60.2/24 dev vX
	ip -n "$X" addr add fd60::2/64 dev vX nodad
	ip -n "$Y" addr add 192.168.60.1/24 dev vY
	ip -n "$Y" addr add 192.168.60.11/24 dev vY
	ip -n "$Y" addr add fd60::1/64 dev vY nodad
	ip -n "$Y" addr add fd60::11/64 dev vY nodad
	ip -n "$X" link set vX up
	ip -n "$Y" link set vY up
	wgd_up "$X" "$I1"
	wgd_up "$Y" "$I2"
	wg set "$I2" private-key k2 listen-port 10002 peer \
	    "$(wg pubkey < k1)" allowed-ips 192.168.241.1/32
	ip -n "$Y" addr add 192.168.241.2/24 dev "$I2"
	ip -n "$Y" link set "$I2" up
	ip -n "$X" addr add 192.168.241.1/24 dev "$I1"
	ip -n "$X" link set "$I1" up
	for v in 4 6; do
		if [ $v = 4 ]; then
			second=192.168.60.11 first=192.168.60.1
			second_ep=192.168.60.11:10002 first_ep=192.168.60.1:10002
		else
			second=fd60::11 first=fd60::1
			second_ep='[fd60::11]:10002' first_ep='[fd60::1]:10002'
		fi
		wg set "$I1" private-key k1 listen-port 10001 peer \
		    "$(wg pubkey < k2)" endpoint "$second_ep" \
		    allowed-ips 192.168.241.2/32 || atf_fail "wg set"
		ping_ok "$X" 192.168.241.2
		ping_ok "$Y" 192.168.241.1
		[ "$(endpoint_of "$I1")" = "$second_ep" ] ||
		    atf_fail "IPv$v: answered from $(endpoint_of "$I1")"
		ip -n "$Y" addr del "$second/$([ $v = 4 ] && echo 24 || echo 64)" dev vY
		ping_ok "$Y" 192.168.241.1
		[ "$(endpoint_of "$I1")" = "$first_ep" ] ||
		    atf_fail "IPv$v: after removal, from $(endpoint_of "$I1")"
	done

	# A link-local endpoint, with its zone, as wg(8) writes one.
	ip -n "$X" addr add fe80::a/64 dev vX nodad
	ip -n "$Y" addr add fe80::b/64 dev vY nodad
	ip netns exec "$X" wg set "$I1" peer "$(wg pubkey < k2)" \
	    endpoint '[fe80::b%vX]:10002' || atf_fail "a link-local endpoint"
	ip netns exec "$X" wg show "$I1" endpoints | grep -q '	\[fe80::b%vX\]:10002$' ||
	    atf_fail "endpoint $(ip netns exec "$X" wg show "$I1" endpoints)"
	ping_ok "$X" 192.168.241.2
	ip netns exec "$Y" wg show "$I2" endpoints | grep -q '	\[fe80::a%vY\]:10001$' ||
	    atf_fail "$I2 sees $(ip netns exec "$Y" wg show "$I2" endpoints)"
}
source_address_cleanup()
{
	st_cleanup
}

atf_test_case nat_keepalive cleanup
nat_keepalive_head()
{
	st_head nft sysctl
	atf_set "descr" "behind a NAT whose UDP mappings last 2 s, a persistent keepalive of 1 s keeps the tunnel reachable from outside; without, it is not"
}
nat_keepalive_body()
{
	st_setup
	# X behind the NAT M, Y outside.
	ip link add vX netns "$X" type veth peer name vMX netns "$M" ||
	    atf_fail "veth"
	ip link add vY netns "$Y" type veth peer name vMY netns "$M" ||
	    atf_fail "veth"
	ip -n "$X" addr add 10.0.1.2/24 dev vX
	ip -n "$M" addr add 10.0.1.1/24 dev vMX
	ip -n "$M" addr add 10.0.2.1/24 dev vMY
	ip -n "$Y" addr add 10.0.2.2/24 dev vY
	for l in "$X vX" "$M vMX" "$M vMY" "$Y vY"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$X" route add default via 10.0.1.1
	ip netns exec "$M" sysctl -q net.ipv4.ip_forward=1
	ip netns exec "$M" nft -f - <<NFT || atf_fail "nft"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "vMY" masquerade
	}
}
NFT
	ip netns exec "$M" sysctl -q net.netfilter.nf_conntrack_udp_timeout=2 \
	    net.netfilter.nf_conntrack_udp_timeout_stream=2 ||
	    atf_fail "conntrack timeouts"
	wgd_up "$X" "$I1"
	wgd_up "$Y" "$I2"
	wg set "$I2" private-key k2 listen-port 10002 peer \
	    "$(wg pubkey < k1)" allowed-ips 192.168.241.1/32
	wg set "$I1" private-key k1 listen-port 10001 peer \
	    "$(wg pubkey < k2)" endpoint 10.0.2.2:10002 \
	    allowed-ips 192.168.241.2/32
	ip -n "$X" addr add 192.168.241.1/24 dev "$I1"
	ip -n "$Y" addr add 192.168.241.2/24 dev "$I2"
	ip -n "$X" link set "$I1" up
	ip -n "$Y" link set "$I2" up

	ping_ok "$X" 192.168.241.2
	sleep 5
	ip netns exec "$Y" ping -c 2 -w 3 192.168.241.1 > /dev/null 2>&1 &&
	    atf_fail "reachable without a keepalive: the NAT did not expire"

	wg set "$I1" peer "$(wg pubkey < k2)" persistent-keepalive 1
	ping_ok "$X" 192.168.241.2
	sleep 5
	ping_ok "$Y" 192.168.241.1
}
nat_keepalive_cleanup()
{
	st_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case roaming
	atf_add_test_case ports
	atf_add_test_case link_and_mtu
	atf_add_test_case source_address
	atf_add_test_case nat_keepalive
}
