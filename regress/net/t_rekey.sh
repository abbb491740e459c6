#! /usr/bin/env atf-sh
#
# A tunnel that lives through a real rekey: after REKEY_AFTER_TIME
# (120 s) of traffic the initiator makes new keys, and not a packet is
# lost to it.  Slow by nature: the only long test.

. "$(atf_get_srcdir)/lib.sh"

atf_test_case rekey cleanup
rekey_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping"
	atf_set "timeout" "300"
	atf_set "descr" "ping through wgd and wireguard-go for 135 s: a new handshake after 120 s, no loss"
}
rekey_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	first=$(json_num latest_handshake)
	[ -n "$first" ] && [ "$first" -gt 0 ] || atf_fail "no handshake"
	ip netns exec "$A" ping -c 135 -i 1 10.77.0.2 > long.out 2>&1
	last=$(json_num latest_handshake)
	[ "$((last - first))" -ge 120 ] ||
	    atf_fail "no rekey: handshakes at $first and $last"
	grep -q ' 0% packet loss' long.out ||
	    atf_fail "packets lost: $(tail -2 long.out)"
	[ "$(grep -c 'handshake complete' wgd.log)" -ge 2 ] ||
	    atf_fail "$(cat wgd.log)"
}
rekey_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case rekey
}
