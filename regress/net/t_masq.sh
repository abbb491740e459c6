#! /usr/bin/env atf-sh
#
# LAN access (masquerade on "IF"): a wireguard-go peer (B) reaches a
# host (L, 192.168.77.2 and fd00:177::2) on the server's LAN through
# the tunnel, and that host sees the server's LAN address (vL,
# 192.168.77.1 and fd00:177::1) as the source; the same behind Docker's
# FORWARD DROP; and when wgd stops or the option goes, the table, the
# DOCKER-USER rules and the sysctls are as they were, nothing else
# touched; after a kill -9 too, once wgd has started again.

. "$(atf_get_srcdir)/lib.sh"

# fail_with MESSAGE FILE...: the files on stderr, one line for atf.
fail_with()
{
	msg=$1
	shift
	cat "$@" >&2
	atf_fail "$msg (see stderr)"
}

masq_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" \
	    "ip wg wireguard-go ping nft iptables ip6tables pgrep"
}

# lan_setup: the LAN namespace L behind A's vL.  L has no route to the
# tunnel's subnets: only a source address on vL can get an answer.
lan_setup()
{
	L="wgnL$$"
	echo "$L" >> netns
	ip netns add "$L" || atf_fail "ip netns add"
	ip -n "$L" link set lo up
	ip link add vL netns "$A" type veth peer name vH netns "$L" ||
	    atf_fail "ip link add veth"
	ip -n "$A" addr add 192.168.77.1/24 dev vL
	ip -n "$A" addr add fd00:177::1/64 dev vL nodad
	ip -n "$L" addr add 192.168.77.2/24 dev vH
	ip -n "$L" addr add fd00:177::2/64 dev vH nodad
	ip -n "$A" link set vL up
	ip -n "$L" link set vH up
	# What the LAN host sees: echo requests counted by source.
	ip netns exec "$L" nft -f - <<'EOF' || atf_fail "nft in the LAN"
table inet seen {
counter lan4 { }
counter lan6 { }
counter other4 { }
counter other6 { }
chain input {
	type filter hook input priority filter; policy accept;
	icmp type echo-request ip saddr 192.168.77.1 counter name lan4
	icmp type echo-request ip saddr != 192.168.77.1 counter name other4
	icmpv6 type echo-request ip6 saddr fd00:177::1 counter name lan6
	icmpv6 type echo-request ip6 saddr != fd00:177::1 counter name other6
}
}
EOF
	# Known values to come back to: a new namespace may have inherited
	# the host's IPv4 forwarding.
	ip netns exec "$A" sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward &&
	    echo 0 > /proc/sys/net/ipv6/conf/all/forwarding &&
	    echo 1 > /proc/sys/net/ipv6/conf/vL/accept_ra' ||
	    atf_fail "cannot set A's sysctls"
}

# seen COUNTER: packets counted in the LAN host.
seen()
{
	ip netns exec "$L" nft list counter inet seen "$1" |
	    sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# masq_conf [LINE]: wgd.conf for A with LINE at the interface level.
masq_conf()
{
	wgd_conf ''
	awk -v line="$1" '{ print } /^\tlisten-port / { print "\t" line }' \
	    wgd.conf > wgd.conf.new && mv wgd.conf.new wgd.conf
}

# server_client: wgd in A, wireguard-go in B with a route to the LAN.
server_client()
{
	wgd_start
	go_start endpoint 192.168.241.1:51820
	ip netns exec "$B" wg set "$GODEV" peer "$(wgd_pubkey)" allowed-ips \
	    10.77.0.1/32,fd00:77::1/128,192.168.77.0/24,fd00:177::/64 ||
	    atf_fail "wg set"
	ip -n "$B" route add 192.168.77.0/24 dev "$GODEV"
	ip -n "$B" route add fd00:177::/64 dev "$GODEV"
}

# wgd sets masquerade up before it says it is ready.
masq_start()
{
	:
}

masq_reload()
{
	wgctl reload > reload.out 2>&1 || fail_with "reload failed" reload.out
}

# SIGTERM: wgd undoes it all before it exits.
masq_stop()
{
	kill -TERM "$(cat wgd.pid)"
	wait "$(cat wgd.pid)" || fail_with "wgd did not exit cleanly" wgd.log
	rm wgd.pid
}

masq_cleanup()
{
	net_cleanup
}

# sysctls: forwarding (IPv4, IPv6) and vL's accept_ra in A.
sysctls()
{
	ip netns exec "$A" cat /proc/sys/net/ipv4/ip_forward \
	    /proc/sys/net/ipv6/conf/all/forwarding \
	    /proc/sys/net/ipv6/conf/vL/accept_ra | tr '\n' ' '
}

# lan_reached: B pings L over IPv4 and IPv6, and L saw vL's addresses.
lan_reached()
{
	ping_ok "$B" 192.168.77.2
	ping_ok "$B" fd00:177::2
	[ "$(seen lan4)" -ge 3 ] || atf_fail "no echo from 192.168.77.1"
	[ "$(seen lan6)" -ge 3 ] || atf_fail "no echo from fd00:177::1"
	[ "$(seen other4)" -eq 0 ] || atf_fail "IPv4 echo not masqueraded"
	[ "$(seen other6)" -eq 0 ] || atf_fail "IPv6 echo not masqueraded"
}

lan_unreached()
{
	! ip netns exec "$B" ping -c 1 -W 1 192.168.77.2 >/dev/null 2>&1 ||
	    atf_fail "the LAN is still reachable"
}

# A's own firewall, Docker-like: FORWARD drops, DOCKER-USER decides
# first and holds a rule of the admin's.
docker_setup()
{
	for t in iptables ip6tables; do
		ip netns exec "$A" $t -P FORWARD DROP &&
		ip netns exec "$A" $t -N DOCKER-USER &&
		ip netns exec "$A" $t -A DOCKER-USER -j RETURN &&
		ip netns exec "$A" $t -A FORWARD -j DOCKER-USER ||
		    atf_fail "$t: Docker-like chains"
	done
	ip netns exec "$A" iptables -I DOCKER-USER -s 198.51.100.7 -j DROP
	ip netns exec "$A" ip6tables -I DOCKER-USER -s 2001:db8::7 -j DROP
}

firewall()
{
	ip netns exec "$A" iptables -S
	ip netns exec "$A" ip6tables -S
}

atf_test_case lan_access cleanup
lan_access_head()
{
	masq_head
	atf_set "descr" "a peer reaches a LAN host, which sees the" \
	    "server's LAN address; stopping puts every sysctl back"
}
lan_access_body()
{
	net_setup
	lan_setup
	ip netns exec "$A" nft add table inet keep
	ip netns exec "$A" nft add chain inet keep c \
	    '{ type filter hook forward priority 10; policy accept; }'
	ip netns exec "$A" nft add rule inet keep c iifname nothere drop
	nft_before=$(ip netns exec "$A" nft list table inet keep)
	before=$(sysctls)
	[ "$before" = "0 0 1 " ] || atf_fail "unexpected start: $before"
	masq_conf 'masquerade on "vL"'
	server_client
	masq_start
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	ip netns exec "$A" nft list table inet wgd > table ||
	    atf_fail "no table inet wgd"
	grep -q 'iifname "wgt0" oifname "vL" .*masquerade' table ||
	    fail_with "no masquerade rule" table
	lan_reached

	masq_stop
	! ip netns exec "$A" nft list table inet wgd >/dev/null 2>&1 ||
	    atf_fail "table inet wgd is still there"
	[ "$(sysctls)" = "$before" ] || atf_fail "sysctls: $(sysctls)"
	[ "$(ip netns exec "$A" nft list table inet keep)" = "$nft_before" ] ||
	    atf_fail "table inet keep changed"
}
lan_access_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	masq_cleanup
}

atf_test_case docker cleanup
docker_head()
{
	masq_head
	atf_set "descr" "behind Docker's FORWARD DROP, the tunnel is" \
	    "accepted in DOCKER-USER, and only wgd's rules leave"
}
docker_body()
{
	net_setup
	lan_setup
	docker_setup
	# Docker turns IPv4 forwarding on, and an admin's accept_ra 0
	# means no RAs: wgd leaves both so, and puts back only IPv6's.
	ip netns exec "$A" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward &&
	    echo 0 > /proc/sys/net/ipv6/conf/vL/accept_ra'
	before=$(sysctls)
	[ "$before" = "1 0 0 " ] || atf_fail "unexpected start: $before"
	fw_before=$(firewall)
	masq_conf 'masquerade on "vL"'
	server_client
	masq_start
	[ "$(sysctls)" = "1 1 0 " ] || atf_fail "sysctls: $(sysctls)"
	for t in iptables ip6tables; do
		ip netns exec "$A" $t -S DOCKER-USER > rules
		[ "$(grep -c -- '--comment wgd' rules)" -eq 2 ] ||
		    fail_with "$t: not 2 rules of wgd" rules
		head -n 3 rules | grep -q -- '-i wgt0 .*--comment wgd' ||
		    fail_with "$t: not first" rules
	done
	lan_reached

	masq_stop
	firewall > fw_after
	[ "$(cat fw_after)" = "$fw_before" ] ||
	    fail_with "the firewall changed" fw_after
	! ip netns exec "$A" nft list table inet wgd >/dev/null 2>&1 ||
	    atf_fail "table inet wgd is still there"
	[ "$(sysctls)" = "$before" ] || atf_fail "sysctls: $(sysctls)"
}
docker_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	masq_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	masq_head
	atf_set "descr" "a reload without masquerade undoes it all;" \
	    "one with it brings it back"
}
reload_body()
{
	net_setup
	lan_setup
	docker_setup
	before=$(sysctls)
	fw_before=$(firewall)
	# What a wgd killed before it could clean up leaves behind.
	ip netns exec "$A" iptables -I DOCKER-USER -i wgold \
	    -m comment --comment wgd -j ACCEPT
	ip netns exec "$A" nft add table inet wgd
	ip netns exec "$A" nft add chain inet wgd stale
	masq_conf 'masquerade on "vL"'
	server_client
	masq_start
	! ip netns exec "$A" iptables -S DOCKER-USER | grep -q wgold ||
	    atf_fail "a stale rule of wgd stayed"
	! ip netns exec "$A" nft list table inet wgd | grep -q stale ||
	    atf_fail "the stale table stayed"
	lan_reached

	masq_conf ''
	masq_reload
	[ "$(sysctls)" = "$before" ] || atf_fail "sysctls: $(sysctls)"
	! ip netns exec "$A" nft list table inet wgd >/dev/null 2>&1 ||
	    atf_fail "table inet wgd is still there"
	firewall > fw_after
	[ "$(cat fw_after)" = "$fw_before" ] ||
	    fail_with "the firewall changed" fw_after
	lan_unreached

	masq_conf 'masquerade on "vL"'
	masq_reload
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	ping_ok "$B" 192.168.77.2
	ping_ok "$B" fd00:177::2
	masq_stop
	[ "$(sysctls)" = "$before" ] || atf_fail "sysctls: $(sysctls)"
}
reload_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	masq_cleanup
}

# masq_kill: kill -9 of the whole daemon, the parent and its children
# at once, and wait until all are gone.
masq_kill()
{
	pid=$(cat wgd.pid)
	children=$(pgrep -P "$pid")
	[ -n "$children" ] || atf_fail "wgd has no children"
	# shellcheck disable=SC2086
	kill -KILL "$pid" $children
	wait "$pid" 2>/dev/null
	rm wgd.pid
	for c in $children; do
		i=0
		while kill -0 "$c" 2>/dev/null; do
			[ $i -lt 50 ] || atf_fail "child $c did not die"
			sleep 0.1
			i=$((i + 1))
		done
	done
}

atf_test_case killed cleanup
killed_head()
{
	masq_head
	atf_set "descr" "after kill -9, the next start takes over what the" \
	    "killed wgd set up: one table, no rule twice, and the sysctls" \
	    "from before the first start put back"
}
killed_body()
{
	net_setup
	lan_setup
	docker_setup
	before=$(sysctls)
	[ "$before" = "0 0 1 " ] || atf_fail "unexpected start: $before"
	fw_before=$(firewall)
	masq_conf 'masquerade on "vL"'
	server_client
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	[ -s sysctls ] || atf_fail "no record of the sysctls"
	cp sysctls record.first
	grep -q '^/proc/sys/net/ipv4/ip_forward 0 1$' sysctls ||
	    fail_with "ip_forward not recorded" sysctls
	masq_kill
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"

	# The second start finds forwarding on: the record keeps the
	# values from before the first.
	wgd_start
	wgd_ready
	[ "$(sysctls)" = "1 1 2 " ] ||
	    fail_with "sysctls after a restart: $(sysctls)" wgd.log
	cmp -s sysctls record.first || fail_with "the record changed" sysctls
	[ "$(ip netns exec "$A" nft list tables | grep -c 'inet wgd')" -eq 1 ] ||
	    atf_fail "not one table inet wgd"
	for t in iptables ip6tables; do
		ip netns exec "$A" $t -S DOCKER-USER > rules
		[ "$(grep -c -- '--comment wgd' rules)" -eq 2 ] ||
		    fail_with "$t: not 2 rules of wgd" rules
		[ "$(sort rules | uniq -d | wc -l)" -eq 0 ] ||
		    fail_with "$t: a rule twice" rules
	done
	ping_ok "$B" 192.168.77.2
	masq_kill

	# Without masquerade, the start undoes what the killed one left.
	masq_conf ''
	wgd_start
	wgd_ready
	[ "$(sysctls)" = "$before" ] || atf_fail "sysctls: $(sysctls)"
	[ ! -e sysctls ] || fail_with "the record stayed" sysctls
	! ip netns exec "$A" nft list table inet wgd >/dev/null 2>&1 ||
	    atf_fail "table inet wgd is still there"
	firewall > fw_after
	[ "$(cat fw_after)" = "$fw_before" ] ||
	    fail_with "the firewall changed" fw_after
	grep -q 'ip_forward: 0 again' wgd.log ||
	    fail_with "no log line for ip_forward" wgd.log
	masq_stop
}
killed_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	masq_cleanup
}

atf_test_case standalone_beside cleanup
standalone_beside_head()
{
	masq_head
	atf_set "descr" "wgd IFNAME started and stopped beside a" \
	    "masquerading wgd leaves its sysctls, table and record alone"
}
standalone_beside_body()
{
	net_setup
	lan_setup
	masq_conf 'masquerade on "vL"'
	server_client
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	cp sysctls record.before
	ip netns exec "$A" nft list table inet wgd > table.before
	dev="wgs$$"
	echo "$dev" > standalone
	ip netns exec "$A" "$WGD" "$dev" > standalone.log 2>&1 ||
	    fail_with "wgd $dev did not start" standalone.log
	ip -n "$A" link del "$dev"
	i=0
	while [ -S "/var/run/wireguard/$dev.sock" ]; do
		[ $i -lt 50 ] || atf_fail "wgd $dev did not stop"
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	cmp -s sysctls record.before || fail_with "the record changed" sysctls
	ip netns exec "$A" nft list table inet wgd | cmp -s - table.before ||
	    atf_fail "the table changed"
	lan_reached
	masq_stop
	[ "$(sysctls)" = "0 0 1 " ] || atf_fail "sysctls: $(sysctls)"
}
standalone_beside_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	# wgd IFNAME ends when its socket goes.
	[ -f standalone ] &&
	    rm -f "/var/run/wireguard/$(cat standalone).sock"
	masq_cleanup
}

atf_test_case bad_record cleanup
bad_record_head()
{
	masq_head
	atf_set "descr" "a sysctl record that does not read is left alone" \
	    "and named in the log; nothing it names is written"
}
bad_record_body()
{
	net_setup
	lan_setup
	printf '/etc/passwd 0 1\n' > sysctls
	cp sysctls record.bad
	masq_conf 'masquerade on "vL"'
	server_client
	[ "$(sysctls)" = "1 1 2 " ] || atf_fail "sysctls: $(sysctls)"
	cmp -s sysctls record.bad || fail_with "the record changed" sysctls
	grep -q 'sysctls:1: not a record of wgd' wgd.log ||
	    fail_with "no log line for the bad record" wgd.log
	grep -q 'ip_forward: 0 is not recorded (see above): after a crash' \
	    wgd.log || fail_with "no word of what a crash would keep" wgd.log
	masq_stop
	# Not recorded, but this run's own changes are still put back.
	[ "$(sysctls)" = "0 0 1 " ] || atf_fail "sysctls: $(sysctls)"
	cmp -s sysctls record.bad || fail_with "the record changed" sysctls
}
bad_record_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	masq_cleanup
}

# unreached NS SRC DST: a ping from SRC to DST gets no answer.
unreached()
{
	ip netns exec "$1" ping -c 2 -i 0.3 -W 1 -I "$2" "$3" > /dev/null 2>&1 &&
	    atf_fail "$3 answered $2"
	true
}

reached()
{
	ip netns exec "$1" ping -c 2 -i 0.3 -w 5 -I "$2" "$3" > ping.out 2>&1 ||
	    atf_fail "$3 did not answer $2: $(cat ping.out)"
}

atf_test_case forward_to cleanup
forward_to_head()
{
	masq_head
	atf_set "descr" "forward-to: a limited peer reaches only the listed LAN host and the tunnel address, not another LAN host, the host's LAN address nor a port forwarded (DNAT) there; an unlimited peer beside it reaches all"
}
forward_to_body()
{
	net_setup
	lan_setup
	ip -n "$L" addr add 192.168.77.3/24 dev vH
	# Docker's kind of port publishing, on the host's LAN address, to
	# the very host the guest may reach: still the host's address, so
	# still refused (judged before the DNAT).
	ip netns exec "$A" nft -f - <<'EOF' || atf_fail "nft dnat"
table ip fakedocker {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 192.168.77.1 icmp type echo-request dnat to 192.168.77.2
	}
}
EOF
	wg genkey > guest.key
	wgd_conf '' "
	}
	peer \"guest\" {
		public-key \"$(wg pubkey < guest.key)\"
		allowed-ips { 10.77.0.3/32 }
		forward-to 192.168.77.2/32"
	awk '{ print } /^\tlisten-port / { print "\tmasquerade on \"vL\"" }' \
	    wgd.conf > wgd.conf.new && mv wgd.conf.new wgd.conf
	server_client
	# The guest: a second wireguard-go in B, its packets sent from
	# 10.77.0.3 by a rule of their own.
	G="wgh$$"
	echo "$G" > godev2
	go_up "$B" "$G" go2
	ip netns exec "$B" wg set "$G" private-key guest.key listen-port 51822 \
	    peer "$(wgd_pubkey)" endpoint 192.168.241.1:51820 \
	    allowed-ips 0.0.0.0/0 || atf_fail "wg set $G"
	ip -n "$B" addr add 10.77.0.3/32 dev "$G"
	ip -n "$B" link set "$G" up
	ip -n "$B" route add 10.77.0.0/24 dev "$G" table 100
	ip -n "$B" route add 192.168.77.0/24 dev "$G" table 100
	ip -n "$B" rule add from 10.77.0.3 table 100

	grep -q 'forward-to' wgd.conf || atf_fail "$(cat wgd.conf)"
	ip netns exec "$A" nft list chain inet wgd guard > guard ||
	    atf_fail "no guard chain"
	# The unlimited peer reaches everything.
	for dst in 192.168.77.2 192.168.77.3 192.168.77.1 10.77.0.1; do
		reached "$B" 10.77.0.2 $dst
	done
	# The guest: its host and the tunnel address only.
	reached "$B" 10.77.0.3 192.168.77.2
	reached "$B" 10.77.0.3 10.77.0.1
	unreached "$B" 10.77.0.3 192.168.77.3
	unreached "$B" 10.77.0.3 192.168.77.1
	grep -q 'peer guest: forward-to' guard || fail_with "no rule" guard

	# Without forward-to, the guest reaches all; the table stays for
	# the masquerade.
	sed -i '/forward-to/d' wgd.conf
	masq_reload
	grep -q 'peer guest: forward-to changed' reload.out ||
	    fail_with "reload did not say it" reload.out
	reached "$B" 10.77.0.3 192.168.77.3
	reached "$B" 10.77.0.3 192.168.77.1
}
forward_to_cleanup()
{
	[ -f godev2 ] && rm -f "/var/run/wireguard/$(cat godev2).sock"
	masq_cleanup
}

atf_test_case forward_to_unenforceable cleanup
forward_to_unenforceable_head()
{
	masq_head
	atf_set "descr" "forward-to that nft cannot express stops the start, and a reload to it: a guest never goes unlimited"
}
forward_to_unenforceable_body()
{
	net_setup
	# A valid device name, but not a word for nft's language.
	cat > bad.conf <<CONF
socket "$PWD/bad.sock"
state-dir "$PWD/state"
interface "wg+$$" {
	address 10.78.0.1/24
	peer "guest" { forward-to 10.78.0.0/24 }
}
CONF
	ip netns exec "$A" "$WGD" -d -f "$PWD/bad.conf" > bad.log 2>&1 &&
	    atf_fail "wgd started: $(cat bad.log)"
	grep -q 'forward-to cannot be enforced' bad.log ||
	    atf_fail "$(cat bad.log)"
	ip -n "$A" link show "wg+$$" > /dev/null 2>&1 &&
	    atf_fail "the interface was made"
	[ -e bad.sock ] && atf_fail "a control socket was made"

	# A running wgd keeps its configuration.
	wgd_conf ''
	wgd_start
	cp wgd.conf good.conf
	sed -i 's/^interface "wgt0"/interface "wgt+0"/' wgd.conf
	sed -i 's/^\tpeer "go" {/\tpeer "go" {\n\t\tforward-to 10.77.0.0\/24/' wgd.conf
	grep -q forward-to wgd.conf || atf_fail "$(cat wgd.conf)"
	wgctl reload > reload.out 2>&1 && atf_fail "reload: $(cat reload.out)"
	grep -q 'forward-to cannot be enforced' reload.out ||
	    atf_fail "$(cat reload.out)"
	ip -n "$A" link show wgt0 > /dev/null || atf_fail "wgt0 is gone"
}
forward_to_unenforceable_cleanup()
{
	masq_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case forward_to_unenforceable
	atf_add_test_case forward_to
	atf_add_test_case lan_access
	atf_add_test_case docker
	atf_add_test_case reload
	atf_add_test_case killed
	atf_add_test_case bad_record
	atf_add_test_case standalone_beside
}
