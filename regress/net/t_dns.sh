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
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping pgrep ss nft dnsmasq dig /usr/bin/python3"
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

# tunnel_up [dnsmasq options]: a dnsmasq on the server's loopback as its
# only resolver, wgd with client dns tunnel, the phone connected.
tunnel_up()
{
	net_setup
	dnsmasq_start dnsmasq --listen-address=127.0.0.1 --bind-interfaces "$@"
	resolvers 127.0.0.1
	dns_conf tunnel
	dns_wgd_start
	phone_up
}

# conf_says LINE: the phone's file holds LINE, within 3 seconds.
conf_says()
{
	i=0
	while ! grep -qx "$1" state/wgt0/peer_phone/peer_phone.conf; do
		[ $i -lt 30 ] || atf_fail "not \"$1\": $(cat \
		    state/wgt0/peer_phone/peer_phone.conf)"
		sleep 0.1
		i=$((i + 1))
	done
}

# dns_pid: the forwarder, a child of wgd (which is a child of ip).
dns_pid()
{
	for p in $(pgrep -P "$(cat wgd.pid)"); do
		for c in $p $(pgrep -P "$p"); do
			# Under qemu the only forked child is the resolver's.
			case $(proc_title "$c") in
			"wgd: dns"*|"wgd: forked")
				echo "$c" ;;
			esac
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

# fwd_port: the forwarder's port, from the log.
fwd_port()
{
	sed -n 's/.*dns forwarder on port \([0-9]*\),.*/\1/p' wgd.log | tail -n 1
}

# lan_answers: dnsmasq answers the LAN side (B over the veth) itself.
lan_answers()
{
	out=$(ip netns exec "$B" dig +short +time=2 +tries=2 @192.168.241.1 \
	    phone.test 2>&1)
	[ "$out" = 10.1.2.3 ] || atf_fail "dnsmasq on the LAN side: $out"
}

atf_test_case dnsmasq_before cleanup
dnsmasq_before_head()
{
	dns_head
	atf_set "descr" "a dnsmasq listening on every address (its default), started before wgd, keeps its port 53 and its LAN; the phone's queries to the tunnel address go through the forwarder"
}
dnsmasq_before_body()
{
	net_setup
	dnsmasq_start dnsmasq
	resolvers 127.0.0.1
	dns_conf tunnel
	dns_wgd_start
	phone_up
	resolves
	resolves +tcp
	grep -q 'query\[A\] phone.test from 127.0.0.1' dnsmasq.log ||
	    atf_fail "not through the forwarder: $(cat dnsmasq.log)"
	grep -q 'query\[A\] phone.test from 10.13.13.2' dnsmasq.log &&
	    atf_fail "dnsmasq answered the phone itself"
	lan_answers
	# wgd holds no port 53, of any protocol or address.
	ip netns exec "$A" ss -lnptu | grep ':53 ' | grep -q wgd &&
	    atf_fail "wgd holds port 53: $(ip netns exec "$A" ss -lnptu)"
	true
}
dnsmasq_before_cleanup()
{
	dns_cleanup
}

atf_test_case dnsmasq_after cleanup
dnsmasq_after_head()
{
	dns_head
	atf_set "descr" "the same dnsmasq started after wgd starts, serves its LAN and the phone, and restarts while wgd runs"
}
dnsmasq_after_body()
{
	net_setup
	resolvers 127.0.0.1
	dns_conf tunnel
	dns_wgd_start
	phone_up
	dnsmasq_start dnsmasq
	resolves
	lan_answers
	dnsmasq_stop dnsmasq
	out=$(ip netns exec "$B" dig +short +time=1 +tries=1 @10.13.13.1 \
	    phone.test 2>&1)
	[ "$out" != 10.1.2.3 ] || atf_fail "answered with dnsmasq stopped"
	dnsmasq_start dnsmasq
	resolves
	resolves +tcp
	lan_answers
}
dnsmasq_after_cleanup()
{
	dns_cleanup
}

atf_test_case lan_refused cleanup
lan_refused_head()
{
	dns_head
	atf_set "descr" "the forwarder answers no one outside the tunnel subnets: not the LAN at its port, not the LAN at port 53 of the tunnel address"
}
lan_refused_body()
{
	tunnel_up
	port=$(fwd_port)
	[ -n "$port" ] || atf_fail "no port in the log: $(cat wgd.log)"
	resolves
	for q in "-p $port @192.168.241.1" "-p $port @fd00:241::1" \
	    "+tcp -p $port @192.168.241.1"; do
		# shellcheck disable=SC2086
		out=$(ip netns exec "$B" dig +short +time=1 +tries=1 $q \
		    phone.test 2>&1)
		[ "$out" != 10.1.2.3 ] || atf_fail "answered the LAN: dig $q"
	done
	# A tunnel client's address forged on the LAN: dropped before the
	# forwarder (which would answer into the tunnel), for either family.
	ip -n "$B" addr add 10.13.13.77/32 dev lo
	ip -n "$B" addr add fd00:13::77/128 dev lo nodad
	for q in "-b 10.13.13.77 -p $port @192.168.241.1" \
	    "-b 10.13.13.77 -p $port @10.13.13.1" \
	    "-b fd00:13::77 -p $port @fd00:241::1"; do
		# shellcheck disable=SC2086
		ip netns exec "$B" dig +short +time=1 +tries=1 $q spoof.test \
		    > /dev/null 2>&1
	done
	grep -q spoof.test dnsmasq.log &&
	    atf_fail "a forged tunnel source was answered: $(cat dnsmasq.log)"
	ip netns exec "$A" nft list chain inet wgd dns_input > chain
	grep -q "dport $port .*packets [1-9]" chain ||
	    atf_fail "not dropped in dns_input: $(cat chain)"
	resolves
}
lan_refused_cleanup()
{
	dns_cleanup
}

atf_test_case truncated cleanup
truncated_head()
{
	dns_head
	atf_set "descr" "an answer too big for UDP comes back truncated (TC) as the resolver sent it, and the client gets it whole over TCP"
}
truncated_body()
{
	tunnel_up
	ip netns exec "$B" dig +noedns +ignore +time=2 +tries=2 TXT \
	    @10.13.13.1 big.test > udp.out 2>&1
	grep -q 'flags:.* tc' udp.out || atf_fail "no TC: $(cat udp.out)"
	ip netns exec "$B" dig +noedns +short +time=2 +tries=2 TXT \
	    @10.13.13.1 big.test > txt.out 2>&1
	[ "$(wc -l < txt.out)" = 6 ] || atf_fail "over TCP: $(cat txt.out)"
}
truncated_cleanup()
{
	dns_cleanup
}

# rss PID: resident memory in kB.
rss()
{
	sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}

atf_test_case flood cleanup
flood_head()
{
	dns_head
	atf_set "descr" "10,000 queries in a burst leave the forwarder's memory flat, and it answers at once afterwards"
}
flood_body()
{
	tunnel_up --dns-forward-max=10000 --cache-size=0
	resolves
	pid=$(dns_pid)
	ip netns exec "$B" /usr/bin/python3 "$(atf_get_srcdir)/dnsq.py" \
	    flood 10.13.13.1 1000 > warm.out || atf_fail "flood"
	before=$(rss "$pid")
	ip netns exec "$B" /usr/bin/python3 "$(atf_get_srcdir)/dnsq.py" \
	    flood 10.13.13.1 10000 > flood.out || atf_fail "flood"
	after=$(rss "$pid")
	echo "rss $before kB -> $after kB; answered $(cat flood.out) of 10000"
	# One client gets its share in flight (32), no more: some answers.
	[ "$(cat flood.out)" -gt 100 ] ||
	    atf_fail "only $(cat flood.out) answers of 10000"
	[ "$after" -le $((before + 512)) ] ||
	    atf_fail "memory grew from $before kB to $after kB"
	[ "$(dns_pid)" = "$pid" ] || atf_fail "the forwarder restarted"
	resolves
}
flood_cleanup()
{
	dns_cleanup
}

atf_test_case malformed cleanup
malformed_head()
{
	dns_head
	atf_set "descr" "short messages, compression loops, huge counts, answers for queries and junk over UDP and TCP neither crash nor stall the forwarder"
}
malformed_body()
{
	tunnel_up
	resolves
	pid=$(dns_pid)
	out=$(ip netns exec "$B" /usr/bin/python3 "$(atf_get_srcdir)/dnsq.py" \
	    malformed 10.13.13.1 2>&1)
	[ "$out" = 10.1.2.3 ] || atf_fail "no answer after the junk: $out"
	[ "$(dns_pid)" = "$pid" ] || atf_fail "the forwarder died: $(cat wgd.log)"
	resolves +tcp
}
malformed_cleanup()
{
	dns_cleanup
}

atf_test_case resolvers_change cleanup
resolvers_change_head()
{
	dns_head
	atf_set "descr" "resolv.conf replaced by rename: the forwarder asks the new resolver, and client dns auto follows, naming the peers that need a new QR code; the forwarder then stays, and an empty file changes nothing"
}
resolvers_change_body()
{
	net_setup
	dnsmasq_start dnsmasq --listen-address=127.0.0.1 --bind-interfaces
	DNSMASQ_AT=127.0.0.2 dnsmasq_start dnsmasq2 \
	    --listen-address=127.0.0.2 --bind-interfaces \
	    --address=/other.test/10.9.9.9
	# An upstream resolver first: auto names it, no forwarder runs.
	resolvers 192.0.2.53
	dns_conf auto
	dns_wgd_start
	conf=state/wgt0/peer_phone/peer_phone.conf
	grep -qx 'DNS = 192.0.2.53' $conf || atf_fail "$(cat $conf)"
	[ -z "$(dns_pid)" ] || atf_fail "a forwarder with no use"
	# Pi-hole installed: only a local resolver is left.
	resolvers 127.0.0.1
	conf_says 'DNS = 10.13.13.1, fd00:13::1'
	grep -q 'peer phone: .*scan its new QR code' wgd.log ||
	    atf_fail "no peer named: $(cat wgd.log)"
	[ -n "$(dns_pid)" ] || atf_fail "no forwarder"
	phone_up
	resolves
	# Another local resolver, the file replaced again.
	resolvers 127.0.0.2
	i=0
	while :; do
		out=$(ip netns exec "$B" dig +short +time=1 +tries=1 \
		    @10.13.13.1 other.test 2>&1)
		[ "$out" = 10.9.9.9 ] && break
		[ $i -lt 10 ] || atf_fail "the new resolver was not asked: $out"
		sleep 0.5
		i=$((i + 1))
	done
	# Back to an upstream one: new files name it, and the forwarder
	# stays for the phones that still have the tunnel's address.
	resolvers 192.0.2.53
	conf_says 'DNS = 192.0.2.53'
	[ -n "$(dns_pid)" ] || atf_fail "the forwarder went"
	# An empty file (an uplink down) keeps the last resolvers.
	: > resolv.conf.new
	mv resolv.conf.new resolv.conf
	sleep 1.5
	grep -qx 'DNS = 192.0.2.53' $conf ||
	    atf_fail "an empty resolv.conf changed auto: $(cat $conf)"
	kill -0 "$(cat wgd.pid)" || atf_fail "wgd died: $(cat wgd.log)"
}
resolvers_change_cleanup()
{
	dns_cleanup
}

atf_test_case resolved_and_links cleanup
resolved_and_links_head()
{
	dns_head
	atf_set "descr" "resolv.conf naming only systemd-resolved's stub: auto takes the stub's upstreams from its file; a resolv.conf that is a link is followed, its target replaced by rename"
}
resolved_and_links_body()
{
	net_setup
	mkdir run
	echo "nameserver 127.0.0.53" > run/stub.conf
	ln -s "$PWD/run/stub.conf" resolv.conf
	echo "nameserver 192.0.2.53" > resolved.conf
	dns_conf auto
	dns_wgd_start
	conf=state/wgt0/peer_phone/peer_phone.conf
	grep -qx 'DNS = 192.0.2.53' $conf || atf_fail "$(cat $conf)"
	# The stub's upstreams change: systemd-resolved renames its file.
	echo "nameserver 192.0.2.54" > resolved.conf.new
	mv resolved.conf.new resolved.conf
	conf_says 'DNS = 192.0.2.54'
	# Where the link leads changes: a local resolver only.
	echo "nameserver 127.0.0.1" > run/stub.conf.new
	echo > resolved.conf.new
	mv resolved.conf.new resolved.conf
	mv run/stub.conf.new run/stub.conf
	conf_says 'DNS = 10.13.13.1, fd00:13::1'
	[ -n "$(dns_pid)" ] || atf_fail "no forwarder"
}
resolved_and_links_cleanup()
{
	dns_cleanup
}

atf_test_case timeout cleanup
timeout_head()
{
	dns_head
	atf_set "descr" "a resolver that never answers: the client gets SERVFAIL after the tries, and the forwarder serves the next query from a working one"
}
timeout_body()
{
	net_setup
	dnsmasq_start dnsmasq --listen-address=127.0.0.1 --bind-interfaces
	# A resolver that reads and never answers.
	ip netns exec "$A" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.7", 53))
while True:
    s.recv(4096)
' &
	echo $! > silent.pid
	resolvers 127.0.0.7
	dns_conf tunnel
	dns_wgd_start
	phone_up
	start=$(date +%s)
	ip netns exec "$B" dig +time=12 +tries=1 @10.13.13.1 phone.test \
	    > dig.out 2>&1
	took=$(($(date +%s) - start))
	grep -q 'status: SERVFAIL' dig.out || atf_fail "$(cat dig.out)"
	[ "$took" -ge 4 ] && [ "$took" -le 9 ] ||
	    atf_fail "SERVFAIL after $took s, not after the tries"
	resolvers 127.0.0.1
	sleep 1.5
	resolves
}
timeout_cleanup()
{
	[ -f silent.pid ] && kill "$(cat silent.pid)" 2>/dev/null
	dns_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	dns_head
	atf_set "descr" "a reload to client dns tunnel starts the forwarder and rewrites the phone's file; a reload away from it stops it"
}
reload_body()
{
	net_setup
	dnsmasq_start dnsmasq --listen-address=127.0.0.1 --bind-interfaces
	resolvers 127.0.0.1
	dns_conf '{ 192.0.2.1 }'
	dns_wgd_start
	[ -z "$(dns_pid)" ] || atf_fail "a forwarder with no use"
	ip netns exec "$A" nft list table inet wgd > /dev/null 2>&1 &&
	    atf_fail "an nft table with nothing in it"
	sed -i 's/client dns { 192.0.2.1 }/client dns tunnel/' wgd.conf
	wgctl reload > reload.out || atf_fail "reload: $(cat reload.out)"
	[ -n "$(dns_pid)" ] || atf_fail "no forwarder after the reload"
	grep -qx 'DNS = 10.13.13.1, fd00:13::1' \
	    state/wgt0/peer_phone/peer_phone.conf ||
	    atf_fail "$(cat state/wgt0/peer_phone/peer_phone.conf)"
	phone_up
	resolves
	sed -i 's/client dns tunnel/client dns { 192.0.2.1 }/' wgd.conf
	wgctl reload > reload.out || atf_fail "reload: $(cat reload.out)"
	i=0
	while [ -n "$(dns_pid)" ]; do
		[ $i -lt 30 ] || atf_fail "the forwarder stayed"
		sleep 0.1
		i=$((i + 1))
	done
	ip netns exec "$A" nft list table inet wgd > /dev/null 2>&1 &&
	    atf_fail "the redirect stayed: $(ip netns exec "$A" nft list ruleset)"
	kill -0 "$(cat wgd.pid)" || atf_fail "wgd died: $(cat wgd.log)"
}
reload_cleanup()
{
	dns_cleanup
}

atf_test_case supervised cleanup
supervised_head()
{
	dns_head
	atf_set "descr" "the forwarder is supervised like the other children: killed, wgd logs it and exits non-zero"
}
supervised_body()
{
	net_setup
	resolvers 127.0.0.1
	dns_conf tunnel
	dns_wgd_start
	pid=$(dns_pid)
	[ -n "$pid" ] || atf_fail "no forwarder"
	[ "$(stat -c %U "/proc/$pid")" != root ] || atf_fail "runs as root"
	# Seen from a chroot of our own (check-fresh), the path is longer.
	case $(readlink "/proc/$pid/root") in
	*/var/empty) ;;
	*) atf_fail "not chrooted: $(readlink "/proc/$pid/root")" ;;
	esac
	kill -9 "$pid"
	i=0
	while kill -0 "$(cat wgd.pid)" 2>/dev/null; do
		[ $i -lt 50 ] || atf_fail "wgd did not exit"
		sleep 0.1
		i=$((i + 1))
	done
	wait "$(cat wgd.pid)"
	[ $? -ne 0 ] || atf_fail "wgd exited 0"
	grep -q 'dns process was killed by signal 9' wgd.log ||
	    atf_fail "$(cat wgd.log)"
	ip -n "$A" link show wgt0 2>/dev/null && atf_fail "wgt0 left behind"
	true
}
supervised_cleanup()
{
	dns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case loopback_resolver
	atf_add_test_case dnsmasq_before
	atf_add_test_case dnsmasq_after
	atf_add_test_case lan_refused
	atf_add_test_case truncated
	atf_add_test_case flood
	atf_add_test_case malformed
	atf_add_test_case resolvers_change
	atf_add_test_case resolved_and_links
	atf_add_test_case timeout
	atf_add_test_case reload
	atf_add_test_case supervised
}
