#! /usr/bin/env atf-sh
#
# wgctl doctor, one broken setup per case, each built in the test's
# namespaces: the line that names the trouble, its fix, the exit status.
# Names resolve through a dnsmasq of the test's own (/etc/netns/NS/
# resolv.conf), never the Internet.

. "$(atf_get_srcdir)/lib.sh"

doctor_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg nft dnsmasq $*"
}

# dns_stub [NAME=ADDR...]: A's resolver is a dnsmasq that knows those.
dns_stub()
{
	mkdir -p "/etc/netns/$A"
	echo "$A" > etc_netns
	echo "nameserver 127.0.0.1" > "/etc/netns/$A/resolv.conf"
	args=
	for a in "$@"; do
		args="$args --address=/${a%%=*}/${a#*=}"
	done
	# shellcheck disable=SC2086
	ip netns exec "$A" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --user=root --pid-file= \
	    --listen-address=127.0.0.1 --bind-interfaces --local=/test/ $args \
	    2> dnsmasq.err &
	echo $! > dnsmasq.pid
	i=0
	while ! ip netns exec "$A" dig +time=1 +tries=1 @127.0.0.1 up.test \
	    > /dev/null 2>&1; do
		[ $i -lt 50 ] || atf_fail "dnsmasq: $(cat dnsmasq.err)"
		sleep 0.1
		i=$((i + 1))
	done
}

# doctor_conf [interface lines...]: wgd in A with the managed peer phone.
doctor_conf()
{
	lines=$(printf '%s\n' "$@")
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	listen-port 51820
	address 10.13.13.1/24
	client allowed-ips { 10.13.13.0/24 }
	peer "phone"
$lines
}
CONF
}

# doctor [args]: wgctl doctor in A into out, its status into status.
doctor()
{
	ip netns exec "$A" env WGD_TEST_WGD="$WGD" "$WGCTL" \
	    -s "$PWD/wgd.sock" doctor "$@" > out 2> err
	echo $? > status
}

# has LINE: out has that line, whole.
has()
{
	grep -qxF "$1" out ||
	    atf_fail "no line \"$1\" in: $(cat out err)"
}

# wait_file FILE: up to 5 s for a helper to make it.
wait_file()
{
	i=0
	while [ ! -f "$1" ]; do
		[ $i -lt 50 ] || atf_fail "no $1"
		sleep 0.1
		i=$((i + 1))
	done
}

# udp_holder ADDR PORT: a process in A that holds UDP ADDR:PORT and
# answers nothing, until killed (holder.pid).
udp_holder()
{
	ip netns exec "$A" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
open("bound", "w").close()
time.sleep(60)' "$1" "$2" &
	echo $! > holder.pid
	wait_file bound
}

# status_is N
status_is()
{
	[ "$(cat status)" = "$1" ] ||
	    atf_fail "exit status $(cat status), not $1: $(cat out err)"
}

# router_setup FORWARDED_PORT [nohairpin]: B becomes the home router.
# Its LAN side is 192.168.241.2 (A's default route), its WAN side
# 203.0.113.1 towards W, the Internet with a phone in it.  UDP port
# 51820 of the public address goes to A's FORWARDED_PORT, also for the
# LAN's own packets (NAT loopback, with SNAT so the answers come back
# through the router) unless nohairpin.
router_setup()
{
	W="wgnW$$"
	echo " $W" >> netns
	ip netns add "$W" || atf_fail "ip netns add"
	ip -n "$W" link set lo up
	ip link add wB netns "$B" type veth peer name wW netns "$W" ||
	    atf_fail "ip link add veth"
	ip -n "$B" addr add 203.0.113.1/24 dev wB
	ip -n "$W" addr add 203.0.113.50/24 dev wW
	ip -n "$B" link set wB up
	ip -n "$W" link set wW up
	ip -n "$W" route add default via 203.0.113.1
	ip -n "$A" route add default via 192.168.241.2
	ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=1
	router_forward "$@"
}

# router_forward FORWARDED_PORT [nohairpin]: the router's rules, anew.
router_forward()
{
	only=
	[ "$2" = nohairpin ] && only='iifname "wB"'
	ip netns exec "$B" nft -f - <<NFT || atf_fail "router rules"
table ip router
delete table ip router
table ip router {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		$only ip daddr 203.0.113.1 udp dport 51820 dnat to 192.168.241.1:$1
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.241.0/24 ip daddr 192.168.241.1 masquerade
		oifname "wB" masquerade
	}
}
NFT
	true
}

# phone_in NS ADDRESS: wireguard-go in NS from the phone's conf, sent to
# ADDRESS:51820, connected.
phone_in()
{
	go_up "$1" "$GODEV"
	wg-quick strip "$(readlink -f state/wgt0/peer_phone/peer_phone.conf)" |
	    sed "s/^Endpoint = .*/Endpoint = $2:51820/" \
	    > phone.conf || atf_fail "strip"
	ip netns exec "$1" wg setconf "$GODEV" phone.conf || atf_fail "setconf"
	ip -n "$1" addr add 10.13.13.2/24 dev "$GODEV"
	ip -n "$1" link set "$GODEV" up
	ping_ok "$1" 10.13.13.1
}

doctor_cleanup()
{
	[ -f dnsmasq.pid ] && kill "$(cat dnsmasq.pid)" 2>/dev/null
	[ -f holder.pid ] && kill "$(cat holder.pid)" 2>/dev/null
	[ -f etc_netns ] && rm -rf "/etc/netns/$(cat etc_netns)"
	net_cleanup
}

atf_test_case stopped_port_taken cleanup
stopped_port_taken_head()
{
	doctor_head /usr/bin/python3
	atf_set "descr" "wgd stopped and another process on its UDP port: doctor says wgd is not running, checks the file through wgd -nv and names the process"
}
stopped_port_taken_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	udp_holder 0.0.0.0 51820
	doctor -f "$PWD/wgd.conf"
	status_is 1
	has "FAIL: wgd is not running: no control socket at $PWD/wgd.sock"
	has "ok: the configuration $PWD/wgd.conf parses"
	grep -qx "FAIL: wgt0: UDP port 51820 is taken by python3 (pid [0-9]*)" \
	    out || atf_fail "$(cat out)"
	grep -qx "  fix: stop it .*listen-port N in wgd.conf.*" out ||
	    atf_fail "$(cat out)"
	kill "$(cat holder.pid)"
	sleep 0.3
	doctor -f "$PWD/wgd.conf"
	has "ok: wgt0: UDP port 51820 is free for wgd"
}
stopped_port_taken_cleanup()
{
	doctor_cleanup
}

atf_test_case bad_config cleanup
bad_config_head()
{
	doctor_head
	atf_set "descr" "wgd stopped, and the file does not parse: wgd's own errors, as FAIL lines; the same for the file of a running wgd, broken since it started"
}
bad_config_body()
{
	net_setup
	doctor_conf 'listen-port 99999'
	doctor -f "$PWD/wgd.conf"
	status_is 1
	grep -q "^FAIL: the configuration: $PWD/wgd.conf:[0-9]*: " out ||
	    atf_fail "$(cat out err)"
	has "  fix: correct $PWD/wgd.conf, then check it with wgd -n -f $PWD/wgd.conf"
	# Running, with the file broken since: a reload would refuse it.
	doctor_conf 'client endpoint "203.0.113.7"'
	wgd_start
	sed -i 's/listen-port 51820/listen-port 99999/' wgd.conf
	doctor
	status_is 1
	grep -q "^FAIL: the configuration: $PWD/wgd.conf:[0-9]*: " out ||
	    atf_fail "$(cat out err)"
	has "  fix: correct $PWD/wgd.conf: wgctl reload and a restart refuse it until then"
	has "ok: wgt0: up"
}
bad_config_cleanup()
{
	doctor_cleanup
}

atf_test_case forwarding_off cleanup
forwarding_off_head()
{
	doctor_head sysctl
	atf_set "descr" "masquerade on, and forwarding turned off under wgd: FAIL, and wgctl reload, the fix it names, fixes it"
}
forwarding_off_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"' 'masquerade on "vA"'
	wgd_start
	doctor
	has "ok: wgt0: forwarding on, masquerading out of vA"
	ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=0
	doctor
	status_is 1
	has "FAIL: wgt0: IPv4 forwarding is off: peers reach this host only"
	has "  fix: wgctl reload (wgd turns it on again); find what turned it off in /etc/sysctl.d"
	wgctl reload > /dev/null || atf_fail "reload"
	doctor
	has "ok: wgt0: forwarding on, masquerading out of vA"
	status_is 0
}
forwarding_off_cleanup()
{
	doctor_cleanup
}

atf_test_case masquerade_table_gone cleanup
masquerade_table_gone_head()
{
	doctor_head
	atf_set "descr" "masquerade on, and wgd's nftables table deleted under it (a firewall script's flush ruleset): FAIL naming the table"
}
masquerade_table_gone_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"' 'masquerade on "vA"'
	wgd_start
	ip netns exec "$A" nft flush ruleset
	doctor
	status_is 1
	has "FAIL: wgt0: the nftables table \"inet wgd\" that masquerades the tunnel is missing"
}
masquerade_table_gone_cleanup()
{
	doctor_cleanup
}

atf_test_case subnet_overlap cleanup
subnet_overlap_head()
{
	doctor_head
	atf_set "descr" "a tunnel subnet inside a LAN route of the host: FAIL naming both and the device"
}
subnet_overlap_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	ip -n "$A" route add 10.13.0.0/16 via 192.168.241.2
	wgd_start
	doctor
	status_is 1
	has "FAIL: wgt0: the tunnel subnet 10.13.13.0/24 overlaps the route 10.13.0.0/16 on vA"
	has "  fix: address with a subnet no LAN here uses, e.g. address 10.13.13.1/24"
	# Without the daemon, from the file, the same.
	kill "$(cat wgd.pid)"
	sleep 1
	doctor -f "$PWD/wgd.conf"
	has "FAIL: wgt0: the tunnel subnet 10.13.13.0/24 overlaps the route 10.13.0.0/16 on vA"
}
subnet_overlap_cleanup()
{
	doctor_cleanup
}

atf_test_case endpoint_unresolved cleanup
endpoint_unresolved_head()
{
	doctor_head dig /usr/bin/python3
	atf_set "descr" "a client endpoint name that does not resolve: FAIL, within a few seconds also when the resolver does not answer"
}
endpoint_unresolved_body()
{
	net_setup
	dns_stub vpn.home.test=203.0.113.7
	doctor_conf 'client endpoint "nosuch.home.test"'
	wgd_start
	doctor
	status_is 1
	has "FAIL: wgt0: client endpoint nosuch.home.test does not resolve: Name or service not known"
	has "  fix: check the name in client endpoint, and that your dynamic DNS updates it (getent hosts nosuch.home.test)"
	# A resolver that never answers costs a few seconds, no more.
	kill "$(cat dnsmasq.pid)"
	rm dnsmasq.pid
	udp_holder 127.0.0.1 53
	start=$(date +%s)
	doctor
	took=$(($(date +%s) - start))
	fast_enough "$took" 9 || atf_fail "doctor took $took s"
	has "FAIL: wgt0: client endpoint nosuch.home.test does not resolve: no answer within a few seconds"
}
endpoint_unresolved_cleanup()
{
	doctor_cleanup
}

atf_test_case endpoint_is_this_host cleanup
endpoint_is_this_host_head()
{
	doctor_head dig
	atf_set "descr" "a client endpoint that resolves to the host itself: warn, the endpoint is this host; a public one: ok with its address"
}
endpoint_is_this_host_body()
{
	net_setup
	dns_stub vpn.home.test=192.168.241.1 public.home.test=203.0.113.7
	doctor_conf 'client endpoint "vpn.home.test"'
	wgd_start
	doctor
	has "warn: wgt0: the endpoint is this host: client endpoint vpn.home.test resolves to 192.168.241.1"
	sed -i 's/vpn.home.test/public.home.test/' wgd.conf
	wgctl reload > /dev/null || atf_fail "reload"
	doctor
	has "ok: wgt0: client endpoint public.home.test resolves to 203.0.113.7"
}
endpoint_is_this_host_cleanup()
{
	doctor_cleanup
}

atf_test_case peers cleanup
peers_head()
{
	doctor_head wireguard-go wg-quick readlink ping
	atf_set "descr" "per peer: a connected phone is ok with its handshake, one never heard from is a warning with its hint"
}
peers_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"' 'peer "laptop"'
	wgd_start
	phone_in "$B" 192.168.241.1
	doctor
	grep -qx "ok: wgt0: peer phone: connected, latest handshake: .*" \
	    out || atf_fail "$(cat out)"
	has "warn: wgt0: peer laptop: no handshake since wgd started"
	has "  fix: no packet from this peer since wgd started: its conf sends to 203.0.113.7:51820; is that this host, with the port forwarded to UDP port 51820 here?"
	status_is 0
	# One interface by name; another is refused.
	doctor wgt0
	has "warn: wgt0: peer laptop: no handshake since wgd started"
	# One doctor at a time: a second one is told so.
	doctor > /dev/null &
	first=$!
	sleep 0.3
	ip netns exec "$A" "$WGCTL" -s "$PWD/wgd.sock" doctor > out2 2> err2 &&
	    atf_fail "two doctors at once"
	grep -qx "wgctl: a doctor is running already: try again in a minute" \
	    err2 || atf_fail "$(cat out2 err2)"
	wait $first
	doctor nosuch0
	status_is 1
	grep -qx "wgctl: no interface named \"nosuch0\"" err ||
	    atf_fail "$(cat out err)"
	[ ! -s out ] || atf_fail "$(cat out)"
}
peers_cleanup()
{
	doctor_cleanup
}

atf_test_case old_container_dnat cleanup
old_container_dnat_head()
{
	doctor_head iptables iptables-legacy
	atf_set "descr" "the old container still receiving the port: Docker's DNAT of the UDP port to another address, through iptables-nft and through iptables-legacy"
}
old_container_dnat_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	ip -n "$A" route add default via 192.168.241.2
	wgd_start
	doctor
	has "ok: wgt0: the firewall lets UDP port 51820 in"
	has "ok: wgt0: the firewall forwards what peers send on to vA"
	for ipt in iptables iptables-legacy; do
		ip netns exec "$A" $ipt -t nat -N DOCKER
		ip netns exec "$A" $ipt -t nat -A PREROUTING -m addrtype \
		    --dst-type LOCAL -j DOCKER
		ip netns exec "$A" $ipt -t nat -A DOCKER ! -i docker0 -p udp \
		    -m udp --dport 51820 -j DNAT --to-destination 172.17.0.2:51820
		doctor
		status_is 1
		if [ $ipt = iptables ]; then
			where="nftables table ip nat chain DOCKER"
		else
			where="iptables-legacy table nat chain DOCKER"
		fi
		has "FAIL: wgt0: a DNAT rule sends UDP port 51820 to 172.17.0.2:51820 ($where): another program gets wgd's packets"
		has "  fix: an old WireGuard container? docker ps -a, then docker rm -f NAME; or delete that rule"
		ip netns exec "$A" $ipt -t nat -F
		ip netns exec "$A" $ipt -t nat -X
	done
}
old_container_dnat_cleanup()
{
	doctor_cleanup
}

atf_test_case input_drop cleanup
input_drop_head()
{
	doctor_head iptables iptables-legacy
	atf_set "descr" "an INPUT policy that drops the port (iptables-nft), then a legacy rule that drops it: FAIL with the accept rule to add"
}
input_drop_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	ip -n "$A" route add default via 192.168.241.2
	wgd_start
	ip netns exec "$A" iptables -A INPUT -i lo -j ACCEPT
	ip netns exec "$A" iptables -A INPUT -p tcp --dport 22 -j ACCEPT
	ip netns exec "$A" iptables -P INPUT DROP
	doctor
	status_is 1
	has "FAIL: wgt0: the firewall drops UDP port 51820 coming in (nftables table ip filter chain INPUT, its policy)"
	has "  fix: iptables -I INPUT -p udp --dport 51820 -j ACCEPT"
	ip netns exec "$A" iptables -I INPUT -p udp --dport 51820 -j ACCEPT
	doctor
	has "ok: wgt0: the firewall lets UDP port 51820 in"
	ip netns exec "$A" iptables-legacy -A INPUT -p udp -m udp \
	    --dport 51820 -j DROP
	doctor
	has "FAIL: wgt0: the firewall drops UDP port 51820 coming in (iptables-legacy table filter chain INPUT)"
	has "  fix: iptables-legacy -I INPUT -p udp --dport 51820 -j ACCEPT"
	ip netns exec "$A" iptables-legacy -F INPUT
	# A native table of nft's, with a match doctor does not read.
	ip netns exec "$A" nft add table inet fw
	ip netns exec "$A" nft add chain inet fw in \
	    '{ type filter hook input priority 0; policy drop; }'
	ip netns exec "$A" nft add rule inet fw in ip saddr 203.0.113.0/24 accept
	doctor
	has "warn: wgt0: cannot tell whether the firewall lets UDP port 51820 in: a rule in nftables table inet fw chain in matches on ip saddr, which doctor does not read"
	has "  fix: check that this chain lets UDP port 51820 in, or add: nft insert rule inet fw in udp dport 51820 accept"
}
input_drop_cleanup()
{
	doctor_cleanup
}

atf_test_case forward_drop cleanup
forward_drop_head()
{
	doctor_head iptables iptables-legacy
	atf_set "descr" "Docker's FORWARD policy DROP without masquerade: FAIL naming masquerade as the fix; with it, wgd's DOCKER-USER rule makes it ok; a drop of iptables-legacy's too"
}
forward_drop_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	ip -n "$A" route add default via 192.168.241.2
	ip netns exec "$A" iptables -N DOCKER-USER
	ip netns exec "$A" iptables -A DOCKER-USER -j RETURN
	ip netns exec "$A" iptables -A FORWARD -j DOCKER-USER
	ip netns exec "$A" iptables -P FORWARD DROP
	wgd_start
	doctor
	status_is 1
	has "FAIL: wgt0: the firewall drops what peers send on to vA (nftables table ip filter chain FORWARD, its policy)"
	has "  fix: masquerade on \"vA\" in wgd.conf (wgd then accepts the tunnel in Docker's DOCKER-USER chain); or: iptables -I FORWARD -i wgt0 -j ACCEPT"
	# Stopped, with masquerade: wgd will take care of it.
	sed -i 's/^	peer "phone"$/	masquerade on "vA"\n&/' wgd.conf
	kill "$(cat wgd.pid)"
	sleep 1
	doctor -f "$PWD/wgd.conf"
	has "ok: wgt0: wgd accepts the tunnel in Docker's DOCKER-USER chain when it starts"
	wgd_start
	doctor
	has "ok: wgt0: the firewall forwards what peers send on to vA"
	status_is 0
	# iptables-legacy drops too, by policy, then by a rule: a drop in
	# either backend drops.
	ip netns exec "$A" iptables-legacy -P FORWARD DROP
	doctor
	status_is 1
	has "FAIL: wgt0: the firewall drops what peers send on to vA (iptables-legacy table filter chain FORWARD, its policy)"
	has "  fix: wgctl reload puts wgd's rules back; if it still drops: iptables-legacy -I FORWARD -i wgt0 -j ACCEPT"
	ip netns exec "$A" iptables-legacy -P FORWARD ACCEPT
	ip netns exec "$A" iptables-legacy -A FORWARD -i wgt0 -j DROP
	doctor
	has "FAIL: wgt0: the firewall drops what peers send on to vA (iptables-legacy table filter chain FORWARD)"
}
forward_drop_cleanup()
{
	doctor_cleanup
}

atf_test_case healthy cleanup
healthy_head()
{
	doctor_head dig sysctl wireguard-go wg-quick readlink ping
	atf_set "descr" "the healthy home: a router with its port forward and NAT loopback, a phone connected through it from outside: only ok lines, exit 0; the probe leaves no trace in the counters or the log"
}
healthy_body()
{
	net_setup
	router_setup 51820
	dns_stub vpn.home.test=203.0.113.1
	doctor_conf 'client endpoint "vpn.home.test"' 'masquerade on "vA"'
	wgd_start
	# The phone, outside, through the router.
	phone_in "$W" 203.0.113.1
	bad_type=$(json_num bad_type)
	doctor
	status_is 0
	has "ok: wgt0: the router forwards UDP port 51820 here: a probe sent to 203.0.113.1:51820 came back"
	has "ok: wgt0: client endpoint vpn.home.test resolves to 203.0.113.1"
	grep -q "^ok: wgt0: peer phone: connected" out || atf_fail "$(cat out)"
	! grep -v "^ok: " out || atf_fail "not only ok lines"
	[ -s err ] && atf_fail "stderr: $(cat err)"
	# Three tries: none counted, none logged.
	[ "$(json_num bad_type)" = "$bad_type" ] ||
	    atf_fail "bad_type $bad_type -> $(json_num bad_type)"
	grep -i "handshake.*fail\|bad_type\|unknown type" wgd.log &&
	    atf_fail "the probe was logged"
	# wgd stopped: doctor binds the port itself and sees the probe.
	kill "$(cat wgd.pid)"
	sleep 1
	doctor -f "$PWD/wgd.conf"
	has "ok: wgt0: the router forwards UDP port 51820 here: a probe sent to 203.0.113.1:51820 came back"
	has "ok: wgt0: UDP port 51820 is free for wgd"
}
healthy_cleanup()
{
	doctor_cleanup
}

atf_test_case router_wrong_port cleanup
router_wrong_port_head()
{
	doctor_head dig sysctl
	atf_set "descr" "the router forwards the public port 51820 to port 51820, and wgd listens on 51821: warn naming both ports"
}
router_wrong_port_body()
{
	net_setup
	router_setup 51820
	dns_stub vpn.home.test=203.0.113.1
	doctor_conf 'client endpoint "vpn.home.test" port 51820'
	sed -i 's/listen-port 51820/listen-port 51821/' wgd.conf
	wgd_start
	doctor
	status_is 0
	has "warn: wgt0: the router forwards UDP port 51820 to port 51820 here, but wgd listens on port 51821"
	has "  fix: in the router, forward UDP port 51820 to port 51821 of this host; or: listen-port 51820 in wgd.conf"
	# Forwarded right, it is ok.
	router_forward 51821
	doctor
	has "ok: wgt0: the router forwards UDP port 51820 here: a probe sent to 203.0.113.1:51820 came back"
}
router_wrong_port_cleanup()
{
	doctor_cleanup
}

atf_test_case router_no_hairpin cleanup
router_no_hairpin_head()
{
	doctor_head dig sysctl
	atf_set "descr" "a router without NAT loopback: inconclusive, a warning, never a FAIL; and no stale conntrack entry makes it look forwarded"
}
router_no_hairpin_body()
{
	net_setup
	router_setup 51820
	dns_stub vpn.home.test=203.0.113.1
	doctor_conf 'client endpoint "vpn.home.test"'
	wgd_start
	doctor
	has "ok: wgt0: the router forwards UDP port 51820 here: a probe sent to 203.0.113.1:51820 came back"
	# The loopback gone, the router's conntrack kept: fresh source
	# ports each try meet none of its entries.
	only='iifname "wB"'
	ip netns exec "$B" nft flush chain ip router pre
	ip netns exec "$B" nft add rule ip router pre $only ip daddr \
	    203.0.113.1 udp dport 51820 dnat to 192.168.241.1:51820
	doctor
	status_is 0
	has "warn: wgt0: the router's port forward is inconclusive: no probe sent to 203.0.113.1:51820 came back"
	has "  fix: try from outside the home: a phone on mobile data, then wgctl show; a router without NAT loopback never sends a probe back"
}
router_no_hairpin_cleanup()
{
	doctor_cleanup
}

atf_test_case dns_tunnel_dead cleanup
dns_tunnel_dead_head()
{
	doctor_head dig
	atf_set "descr" "client dns tunnel: ok while the host's resolver answers the forwarder; FAIL when it is gone (the tunnel resolver not answering from the tunnel), and when the redirect of port 53 is gone"
}
dns_tunnel_dead_body()
{
	net_setup
	dns_stub vpn.home.test=203.0.113.1
	echo "nameserver 127.0.0.1" > resolv.conf
	: > resolved.conf
	doctor_conf 'client endpoint "vpn.home.test"' 'client dns tunnel'
	wgd_start WGD_TEST_RESOLV_CONF="$PWD/resolv.conf" \
	    WGD_TEST_RESOLVED_CONF="$PWD/resolved.conf"
	doctor
	has "ok: wgt0: DNS through the tunnel (10.13.13.1) answers"
	kill "$(cat dnsmasq.pid)"
	rm dnsmasq.pid
	doctor
	status_is 1
	grep -qx "FAIL: wgt0: DNS through the tunnel (10.13.13.1) fails: .*" \
	    out || atf_fail "$(cat out)"
	has "  fix: check that the resolvers in /etc/resolv.conf answer (is Pi-hole running?): dig @127.0.0.1 vpn.home.test"
	ip netns exec "$A" nft flush chain inet wgd dns
	doctor
	grep -qx "FAIL: wgt0: port 53 of the tunnel addresses is not redirected to wgd's DNS forwarder (port [0-9]*)" \
	    out || atf_fail "$(cat out)"
	has "  fix: wgctl reload"
}
dns_tunnel_dead_cleanup()
{
	doctor_cleanup
}

atf_test_case dns_unreachable cleanup
dns_unreachable_head()
{
	doctor_head dig
	atf_set "descr" "a client dns server the client cannot reach: a LAN address outside its allowed-ips, then inside them without masquerade; with masquerade, a server that answers is ok"
}
dns_unreachable_body()
{
	net_setup
	# A LAN resolver (Pi-hole) at 192.168.241.2, in B.
	ip netns exec "$B" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --user=root --pid-file= \
	    --listen-address=192.168.241.2 --bind-interfaces --local=/test/ \
	    --address=/localhost/127.0.0.1 2> lan-dnsmasq.err &
	echo $! > holder.pid
	doctor_conf 'client endpoint "203.0.113.7"' 'client dns 192.168.241.2'
	wgd_start
	doctor
	status_is 1
	has "FAIL: wgt0: client dns 192.168.241.2 is a private address outside the client allowed-ips: away from home, a phone cannot reach it"
	has "  fix: client allowed-ips with 192.168.241.2 added, or: client dns tunnel"
	sed -i 's|client allowed-ips { 10.13.13.0/24 }|client allowed-ips { 10.13.13.0/24, 192.168.241.0/24 }|' \
	    wgd.conf
	wgctl reload > /dev/null || atf_fail "reload"
	doctor
	status_is 1
	has "FAIL: wgt0: client dns 192.168.241.2 is reached through the tunnel and on from this host, which forwards nothing for peers without masquerade"
	has "  fix: masquerade on \"vA\" in wgd.conf, or: client dns tunnel"
	sed -i 's|^	peer "phone"$|	masquerade on "vA"\n&|' wgd.conf
	wgctl reload > /dev/null || atf_fail "reload"
	doctor
	has "ok: wgt0: client dns 192.168.241.2 answers"
	# A public one, outside the tunnel, is the phone's own business.
	sed -i 's|client dns 192.168.241.2|client dns 198.51.100.53|' wgd.conf
	wgctl reload > /dev/null || atf_fail "reload"
	doctor
	has "ok: wgt0: client dns 198.51.100.53 is reached outside the tunnel"
}
dns_unreachable_cleanup()
{
	doctor_cleanup
}

atf_test_case restricted cleanup
restricted_head()
{
	doctor_head
	atf_set "descr" "doctor runs through the main socket only"
}
restricted_body()
{
	net_setup
	doctor_conf 'client endpoint "203.0.113.7"'
	sed -i "1a socket \"$PWD/ro.sock\" restricted" wgd.conf
	wgd_start
	ip netns exec "$A" "$WGCTL" -s "$PWD/ro.sock" doctor > out 2> err &&
	    atf_fail "doctor on the restricted socket"
	grep -qx "wgctl: doctor is not allowed on the restricted socket" err ||
	    atf_fail "$(cat err)"
}
restricted_cleanup()
{
	doctor_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case stopped_port_taken
	atf_add_test_case bad_config
	atf_add_test_case forwarding_off
	atf_add_test_case masquerade_table_gone
	atf_add_test_case subnet_overlap
	atf_add_test_case endpoint_unresolved
	atf_add_test_case endpoint_is_this_host
	atf_add_test_case peers
	atf_add_test_case old_container_dnat
	atf_add_test_case input_drop
	atf_add_test_case forward_drop
	atf_add_test_case healthy
	atf_add_test_case router_wrong_port
	atf_add_test_case router_no_hairpin
	atf_add_test_case dns_tunnel_dead
	atf_add_test_case dns_unreachable
	atf_add_test_case restricted
}
