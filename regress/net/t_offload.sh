#! /usr/bin/env atf-sh
#
# The offloaded data path with a peer that offloads too: the newest
# wireguard-go (TUN TSO/GRO, UDP GSO/GRO), from ../shared/tools.  Bytes
# cross the tunnel intact both ways, over TCP (TSO super-packets split,
# segments merged again on the way in) and UDP (our own sender with
# UDP_SEGMENT makes USO super-packets), over IPv4 and IPv6 outside and
# inside, and when a kernel without USO, a device whose GSO sends fail
# with EIO, or a path MTU lowered in the middle of a stream is in the
# way.

. "$(atf_get_srcdir)/lib.sh"

XFER="$(atf_get_srcdir)/xfer.py"
GO_LATEST="$SRCTOP/../shared/tools/wireguard-go-latest"
MB=24

offload_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg ping /usr/bin/python3 $*"
	atf_set "timeout" "120"
}

# The reference peer with offloads; a checkout without it skips.
need_go_latest()
{
	[ -x "$GO_LATEST" ] ||
	    atf_skip "no $GO_LATEST (the newest wireguard-go, beside the tree)"
	WG_GO=$GO_LATEST
}

# up [wgd environment...]: wgd in A, wireguard-go-latest in B.
up()
{
	need_go_latest
	net_setup
	wgd_conf "${OUTER_ENDPOINT:-endpoint \"192.168.241.2\" port 51821}"
	wgd_start "$@"
	go_start
	ping_ok "$A" 10.77.0.2
}

# tcp_through FROM TO ADDR: MB MiB from namespace FROM to ADDR in TO,
# the same bytes at both ends.
tcp_through()
{
	ip netns exec "$2" /usr/bin/python3 "$XFER" tcp-recv 5001 \
	    > recv.out 2>&1 &
	echo $! > go2.pid
	sleep 0.5
	ip netns exec "$1" /usr/bin/python3 "$XFER" tcp-send "$3" 5001 \
	    $((MB * 1048576)) > send.out 2>&1 ||
	    atf_fail "tcp-send: $(cat send.out)"
	wait "$(cat go2.pid)" 2>/dev/null
	sent=$(cat send.out)
	got=$(cat recv.out)
	[ "$got" = "$sent" ] ||
	    atf_fail "TCP $1 -> $2: sent '$sent', received '$got'"
}

# udp_through FROM TO ADDR GSO: datagrams FROM -> TO, none damaged,
# most arrived (UDP may lose some under load: damage is the test).
# They fill the tunnel's 1420 bytes: 1392 of UDP over IPv4, 1372 over
# IPv6, whose header is 20 bytes longer.
udp_through()
{
	case $3 in
	*:*)	size=1372 ;;
	*)	size=1392 ;;
	esac
	ip netns exec "$2" /usr/bin/python3 "$XFER" udp-recv 5002 2 \
	    > urecv.out 2>&1 &
	echo $! > go2.pid
	sleep 0.5
	ip netns exec "$1" /usr/bin/python3 "$XFER" udp-send "$3" 5002 \
	    4000 $size $4 > usend.out 2>&1 ||
	    atf_fail "udp-send: $(tail -n 1 usend.out)"
	wait "$(cat go2.pid)" 2>/dev/null
	set -- $(cat urecv.out)
	[ "${2:-1}" -eq 0 ] || atf_fail "UDP: $2 damaged datagrams"
	# Half: under ThreadSanitizer (check-datapath) a tenth is lost.
	[ "${1:-0}" -ge 2000 ] || atf_fail "UDP: only ${1:-0} of 4000 arrived"
}

atf_test_case tcp cleanup
tcp_head()
{
	offload_head
	atf_set "descr" "TCP both ways over IPv4 and IPv6 inside, with TSO and GRO on both sides: the same bytes arrive"
}
tcp_body()
{
	up
	tcp_through "$B" "$A" 10.77.0.1
	tcp_through "$A" "$B" 10.77.0.2
	tcp_through "$B" "$A" fd00:77::1
	tcp_through "$A" "$B" fd00:77::2
	# The host saw merged super-packets: GRO did its work, and the
	# drop counters stayed at zero for bad inner packets.
	[ "$(json_num bad_inner_packet)" = 0 ] ||
	    atf_fail "bad inner packets: $(wgctl show -j)"
}
tcp_cleanup()
{
	net_cleanup
}

atf_test_case udp cleanup
udp_head()
{
	offload_head
	atf_set "descr" "UDP both ways, plain and as USO super-packets from a sender with UDP_SEGMENT: no datagram damaged"
}
udp_body()
{
	up
	udp_through "$A" "$B" 10.77.0.2 0
	udp_through "$A" "$B" 10.77.0.2 16
	udp_through "$A" "$B" fd00:77::2 16
	udp_through "$B" "$A" 10.77.0.1 16
}
udp_cleanup()
{
	net_cleanup
}

atf_test_case no_uso cleanup
no_uso_head()
{
	offload_head
	atf_set "descr" "a kernel without USO (the probe made to fail): the TUN runs without it, UDP_SEGMENT senders, UDP to wgd (never merged for TUN) and TCP still work"
}
no_uso_body()
{
	up WGD_TEST_NO_USO=1
	# TSO and the rest, not USO4 and USO6 (0x60).
	off=$(sed -n 's/.*TUN offloads \(0x[0-9a-f]*\)$/\1/p' wgd.log)
	[ -n "$off" ] && [ $((off & 0x60)) -eq 0 ] &&
	    [ $((off & 0x2)) -ne 0 ] ||
	    atf_fail "TUN offloads '$off' without USO: $(cat wgd.log)"
	udp_through "$A" "$B" 10.77.0.2 16
	udp_through "$B" "$A" 10.77.0.1 16
	tcp_through "$A" "$B" 10.77.0.2
}
no_uso_cleanup()
{
	net_cleanup
}

atf_test_case gso_eio cleanup
gso_eio_head()
{
	offload_head
	atf_set "descr" "a device whose GSO sends fail with EIO: wgd turns GSO off, says so, and loses nothing"
}
gso_eio_body()
{
	up WGD_TEST_GSO_EIO=1
	tcp_through "$A" "$B" 10.77.0.2
	grep -q "UDP segmentation offload fails with EIO" wgd.log ||
	    atf_fail "no word of GSO off: $(cat wgd.log)"
}
gso_eio_cleanup()
{
	net_cleanup
}

atf_test_case ipv6_outer cleanup
ipv6_outer_head()
{
	offload_head
	atf_set "descr" "the tunnel over IPv6: TCP both ways arrives intact"
}
ipv6_outer_body()
{
	OUTER_ENDPOINT='endpoint "fd00:241::2" port 51821'
	up
	tcp_through "$A" "$B" 10.77.0.2
	tcp_through "$B" "$A" 10.77.0.1
	wgctl show | grep -q 'endpoint: \[fd00:241::2\]:51821' ||
	    atf_fail "not over IPv6: $(wgctl show)"
}
ipv6_outer_cleanup()
{
	net_cleanup
}

# lower_mtu_during FROM TO ADDR: a stream, with both ends of the path
# at MTU 1280 a second into it, below the tunnel's 1452-byte packets.
lower_mtu_during()
{
	MB=64
	( sleep 1; ip -n "$A" link set vA mtu 1280;
	    ip -n "$B" link set vB mtu 1280 ) &
	lower=$!
	tcp_through "$1" "$2" "$3"
	wait $lower
	[ "$(ip -n "$A" -o link show vA |
	    sed -n 's/.* mtu \([0-9]*\).*/\1/p')" = 1280 ] ||
	    atf_fail "the MTU was not lowered"
}

atf_test_case mtu_lowered cleanup
mtu_lowered_head()
{
	offload_head
	atf_set "descr" "the path's MTU lowered below wgd's packets in the middle of a stream wgd sends: the stream completes intact"
}
mtu_lowered_body()
{
	up
	lower_mtu_during "$A" "$B" 10.77.0.2
}
mtu_lowered_cleanup()
{
	net_cleanup
}

atf_test_case mtu_lowered_in cleanup
mtu_lowered_in_head()
{
	offload_head wireguard-go
	atf_set "descr" "the path's MTU lowered in the middle of a stream wgd receives, in fragments: the stream completes intact"
}
mtu_lowered_in_body()
{
	# Debian's wireguard-go sends: the newest one's GSO sends stall
	# on such a path by themselves, whoever receives them.
	WG_GO=wireguard-go
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	lower_mtu_during "$B" "$A" 10.77.0.1
}
mtu_lowered_in_cleanup()
{
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case tcp
	atf_add_test_case udp
	atf_add_test_case no_uso
	atf_add_test_case gso_eio
	atf_add_test_case ipv6_outer
	atf_add_test_case mtu_lowered
	atf_add_test_case mtu_lowered_in
}
