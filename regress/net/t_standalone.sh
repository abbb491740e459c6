#! /usr/bin/env atf-sh
#
# wgd ifname: a standalone interface that wg(8) and wg-quick(8) drive,
# in place of wireguard-go.  Namespaces as the kernel's selftest has
# them: the interfaces start in a middle namespace, whose loopback
# carries their UDP, and are then moved out to two others.

. "$(atf_get_srcdir)/wglib.sh"

atf_test_case start_stop cleanup
start_stop_head()
{
	st_head
	atf_set "descr" "wgd ifname: ready when it returns, three processes, nothing behind after SIGTERM"
}
start_stop_body()
{
	st_setup
	wgd_up "$M" "$I1"
	p=$(cat "$I1.pid")
	[ -S "/var/run/wireguard/$I1.sock" ] || atf_fail "no socket"
	[ "$(stat -c %a "/var/run/wireguard/$I1.sock")" = 700 ] ||
	    atf_fail "socket mode $(stat -c %a "/var/run/wireguard/$I1.sock")"
	ip -n "$M" link show "$I1" | grep -q 'mtu 1420' ||
	    atf_fail "$(ip -n "$M" link show "$I1")"
	[ "$(pgrep -P "$p" | wc -l)" = 2 ] || atf_fail "not two children"
	ip netns exec "$M" wg show "$I1" > show || atf_fail "wg show"
	grep -q 'listening port: [1-9]' show || atf_fail "$(cat show)"
	grep -q 'public key' show && atf_fail "a key out of nowhere"
	ip netns exec "$M" wg show doesnotexist$$ 2>/dev/null &&
	    atf_fail "wg show of no interface succeeded"
	kill "$p"
	gone_within_2s "$p" || atf_fail "still running"
	[ -e "/var/run/wireguard/$I1.sock" ] && atf_fail "socket left"
	ip -n "$M" link show "$I1" 2>/dev/null && atf_fail "interface left"
	true
}
start_stop_cleanup()
{
	st_cleanup
}

atf_test_case exits_with_interface cleanup
exits_with_interface_head()
{
	st_head
	atf_set "descr" "ip link del ends wgd, also after the interface moved to another namespace; so does removing the socket"
}
exits_with_interface_body()
{
	st_setup
	wgd_up "$M" "$I1"
	p=$(cat "$I1.pid")
	ip -n "$M" link del "$I1"
	gone_within_2s "$p" || atf_fail "wgd stays after ip link del"
	[ -e "/var/run/wireguard/$I1.sock" ] && atf_fail "socket left"

	wgd_up "$M" "$I1"
	p=$(cat "$I1.pid")
	ip -n "$M" link set "$I1" netns "$X"
	sleep 0.5
	kill -0 "$p" || atf_fail "moving the interface ended wgd"
	ip -n "$X" link del "$I1"
	gone_within_2s "$p" || atf_fail "wgd stays after ip link del in $X"

	wgd_up "$M" "$I2"
	p=$(cat "$I2.pid")
	rm "/var/run/wireguard/$I2.sock"
	gone_within_2s "$p" || atf_fail "wgd stays without its socket"
	ip -n "$M" link show "$I2" 2>/dev/null && atf_fail "interface left"
	true
}
exits_with_interface_cleanup()
{
	st_cleanup
}

atf_test_case moved_pair cleanup
moved_pair_head()
{
	st_head
	atf_set "descr" "two wgd, moved to other namespaces, talk over the loopback of the one they started in: IPv4 and IPv6 inside"
}
moved_pair_body()
{
	st_setup
	pair_up
	ping_ok "$X" 192.168.241.2
	ping_ok "$Y" 192.168.241.1
	ping_ok "$X" fd00::2
	ip netns exec "$M" ss -uln | grep -q '127.0.0.1:10001\|\*:10001\|0.0.0.0:10001' ||
	    atf_fail "the UDP socket is not in $M: $(ip netns exec "$M" ss -uln)"
}
moved_pair_cleanup()
{
	st_cleanup
}

atf_test_case wg_quick cleanup
wg_quick_head()
{
	st_head wg-quick nft
	atf_set "descr" "wg-quick up and down with wgd, AllowedIPs 0.0.0.0/0, ::/0: fwmark on wgd's sockets, the default route through the tunnel, no loop"
}
wg_quick_body()
{
	skip_under_qemu "wg-quick sets an fwmark: setsockopt SO_MARK is refused (ENOPROTOOPT)"
	st_setup
	# X: a client (a Pi behind a router) with wg-quick; Y: the server,
	# wireguard-go, with an "Internet" address on its loopback.
	ip link add vX netns "$X" type veth peer name vY netns "$Y" ||
	    atf_fail "veth"
	ip -n "$X" addr add 192.168.50.2/24 dev vX
	ip -n "$Y" addr add 192.168.50.1/24 dev vY
	ip -n "$X" link set vX up
	ip -n "$Y" link set vY up
	ip -n "$X" route add default via 192.168.50.1
	ip -n "$Y" addr add 203.0.113.1/32 dev lo
	ip -n "$Y" addr add 2001:db8::1/128 dev lo
	# The server's public address, beyond X's default route: only the
	# fwmark keeps wgd's own packets out of the tunnel.
	ip -n "$Y" addr add 198.51.100.1/32 dev lo

	GODEV="wgg$$"
	echo "$I1 $I2 $GODEV" > ifaces
	go_up "$Y" "$GODEV"
	ip netns exec "$Y" wg set "$GODEV" private-key k2 listen-port 51820 \
	    peer "$(wg pubkey < k1)" allowed-ips 10.60.0.2/32,fd60::2/128
	ip -n "$Y" addr add 10.60.0.1/24 dev "$GODEV"
	ip -n "$Y" addr add fd60::1/64 dev "$GODEV" nodad
	ip -n "$Y" link set "$GODEV" up

	mkdir -p bin
	ln -s "$(cd "$top/wgd" && pwd)/wgd" bin/wgd
	cat > "$I1.conf" <<CONF
[Interface]
PrivateKey = $(cat k1)
Address = 10.60.0.2/24, fd60::2/64

[Peer]
PublicKey = $(wg pubkey < k2)
Endpoint = 198.51.100.1:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 1
CONF
	ip netns exec "$X" env PATH="$PWD/bin:$PATH" \
	    WG_QUICK_USERSPACE_IMPLEMENTATION=wgd \
	    wg-quick up "./$I1.conf" > up.log 2>&1 ||
	    atf_fail "wg-quick up: $(cat up.log)"
	parent_of "$X" "$I1" > "$I1.pid" || atf_fail "no parent for $I1"
	grep -q "wgd $I1" up.log || atf_fail "wgd did not run: $(cat up.log)"
	ip netns exec "$X" wg show "$I1" fwmark | grep -qx 0xca6c ||
	    atf_fail "fwmark: $(ip netns exec "$X" wg show "$I1")"
	ping_ok "$X" 203.0.113.1
	ping_ok "$X" 10.60.0.1
	ping_ok "$X" 2001:db8::1
	ip -n "$X" route get 203.0.113.1 | grep -q "dev $I1" ||
	    atf_fail "not through the tunnel: $(ip -n "$X" route get 203.0.113.1)"
	ip netns exec "$X" wg show "$I1" latest-handshakes | grep -q '	[1-9]' ||
	    atf_fail "no handshake"

	p=$(cat "$I1.pid")
	ip netns exec "$X" env PATH="$PWD/bin:$PATH" \
	    wg-quick down "./$I1.conf" > down.log 2>&1 ||
	    atf_fail "wg-quick down: $(cat down.log)"
	gone_within_2s "$p" || atf_fail "wgd stays after wg-quick down"
	[ -e "/var/run/wireguard/$I1.sock" ] && atf_fail "socket left"
	ip -n "$X" rule | grep -q 51820 && atf_fail "rules left"
	true
}
wg_quick_cleanup()
{
	st_cleanup
}

atf_test_case socket_in_use cleanup
socket_in_use_head()
{
	st_head /usr/bin/python3
	atf_set "descr" "a socket that a live process answers is an error at start, leaving nothing; a stale one is replaced"
}
socket_in_use_body()
{
	st_setup
	GODEV=$I1
	go_up "$Y" "$I1"
	ip netns exec "$M" "$WGD" "$I1" 2> err &&
	    atf_fail "wgd took the socket of a running wireguard-go"
	grep -q "in use" err || atf_fail "$(cat err)"
	ip -n "$M" link show "$I1" 2>/dev/null && atf_fail "interface left"
	ip netns exec "$Y" wg show "$I1" > /dev/null ||
	    atf_fail "wireguard-go's socket was harmed"

	# A socket file nobody answers: replaced.
	/usr/bin/python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('/var/run/wireguard/$I2.sock')"
	[ -S "/var/run/wireguard/$I2.sock" ] || atf_fail "no stale socket"
	wgd_up "$M" "$I2"
	ip netns exec "$M" wg show "$I2" > /dev/null || atf_fail "wg show"
}
socket_in_use_cleanup()
{
	st_cleanup
}

atf_test_case interop_go cleanup
interop_go_head()
{
	st_head iperf3
	atf_set "descr" "wgd standalone and Debian's wireguard-go, each configured by wg setconf alone: ping and iperf3 both ways, IPv4 and IPv6, over IPv6"
	atf_set "timeout" "120"
}
interop_go_body()
{
	st_setup
	GODEV="wgg$$"
	echo "$I1 $I2 $GODEV" > ifaces
	ip link add vX netns "$X" type veth peer name vY netns "$Y" ||
	    atf_fail "veth"
	ip -n "$X" addr add fd50::1/64 dev vX nodad
	ip -n "$Y" addr add fd50::2/64 dev vY nodad
	ip -n "$X" link set vX up
	ip -n "$Y" link set vY up
	wgd_up "$X" "$I1"
	go_up "$Y" "$GODEV"
	wg genpsk > psk
	# Both sides from wg(8) configuration files, as a user writes them.
	for side in 1 2; do
		other=$((3 - side))
		{
			printf '[Interface]\nPrivateKey = %s\n' "$(cat k$side)"
			printf 'ListenPort = 5182%s\n\n' $side
			printf '[Peer]\nPublicKey = %s\n' "$(wg pubkey < k$other)"
			printf 'PresharedKey = %s\n' "$(cat psk)"
			printf 'Endpoint = [fd50::%s]:5182%s\n' $other $other
			printf 'AllowedIPs = 10.50.0.%s/32, fd51::%s/128\n' \
			    $other $other
		} > wg$side.conf
	done
	ip netns exec "$X" wg setconf "$I1" wg1.conf || atf_fail "setconf wgd"
	ip netns exec "$Y" wg setconf "$GODEV" wg2.conf || atf_fail "setconf go"
	ip -n "$X" addr add 10.50.0.1/24 dev "$I1"
	ip -n "$X" addr add fd51::1/64 dev "$I1" nodad
	ip -n "$Y" addr add 10.50.0.2/24 dev "$GODEV"
	ip -n "$Y" addr add fd51::2/64 dev "$GODEV" nodad
	ip -n "$X" link set "$I1" up
	ip -n "$Y" link set "$GODEV" up
	ping_ok "$X" 10.50.0.2
	ping_ok "$Y" 10.50.0.1
	ping_ok "$X" fd51::2
	ping_ok "$Y" fd51::1
	ip netns exec "$Y" iperf3 -s > iperf-s.out 2>&1 &
	echo $! > iperf.pid
	i=0
	while ! ip netns exec "$Y" ss -tlnH | grep -q ':5201 '; do
		[ $i -lt 50 ] || atf_fail "iperf3 -s: $(cat iperf-s.out)"
		sleep 0.1
		i=$((i + 1))
	done
	for run in "fd51::2" "fd51::2 -R" "10.50.0.2" "10.50.0.2 -R"; do
		ip netns exec "$X" iperf3 -c $run -t 2 -f m \
		    > iperf.out 2>&1 || atf_fail "iperf3 $run: $(cat iperf.out)"
		grep -q receiver iperf.out || atf_fail "$(cat iperf.out)"
	done
	ip netns exec "$X" wg show "$I1" transfer | awk '{ exit !($2 > 1000000 && $3 > 1000000) }' ||
	    atf_fail "transfer: $(ip netns exec "$X" wg show "$I1" transfer)"
}
interop_go_cleanup()
{
	st_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case socket_in_use
	atf_add_test_case interop_go
	atf_add_test_case start_stop
	atf_add_test_case exits_with_interface
	atf_add_test_case moved_pair
	atf_add_test_case wg_quick
}
