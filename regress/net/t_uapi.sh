#! /usr/bin/env atf-sh
#
# The userspace API (wg(8)'s get=1/set=1 protocol) on an interface of
# wgd.conf: wireguard-go's replies byte for byte, every set key with its
# semantics and errno, a failed set changing nothing, wg show agreeing
# with wgctl show, and hostile clients on the socket.

. "$(atf_get_srcdir)/lib.sh"

SOCK=/var/run/wireguard/wgt0.sock
UAPI="/usr/bin/python3 $(atf_get_srcdir)/uapi.py"

uapi_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping ss ps pgrep /usr/bin/python3 $*"
}

# req REQUEST: the raw reply of wgd's socket (printf escapes allowed).
req()
{
	printf "$1" | $UAPI req "$SOCK"
}

# get_has LINE: wgd's get=1 holds exactly that line.
get_has()
{
	req 'get=1\n\n' | grep -qx "$1" ||
	    atf_fail "get=1 lacks $1: $(req 'get=1\n\n')"
}

get_lacks()
{
	req 'get=1\n\n' | grep -qx "$1" &&
	    atf_fail "get=1 still has $1: $(req 'get=1\n\n')"
	true
}

# set_ok REQUEST: a set that must succeed.
set_ok()
{
	r=$(req "$1")
	[ "$r" = "errno=0" ] || atf_fail "$(printf "$1" | head -n 3): $r"
}

hex()
{
	base64 -d | od -An -tx1 -v | tr -d ' \n'
}

atf_test_case get_like_wireguard_go cleanup
get_like_wireguard_go_head()
{
	uapi_head
	atf_set "descr" "get=1 is byte for byte what wireguard-go answers for the same configuration, IPv4 and IPv6 endpoints"
}
get_like_wireguard_go_body()
{
	net_setup
	wg genpsk > psk
	wgd_conf 'endpoint "192.168.241.2" port 51821' "
		preshared-key file \"$PWD/psk\"
		allowed-ips { 10.9.0.0/16 }"
	wgd_start
	go_up "$B" "$GODEV"
	ip netns exec "$A" wg showconf wgt0 > conf ||
	    atf_fail "wg showconf: $(cat wgd.log)"
	grep -q '^PresharedKey' conf || atf_fail "showconf: $(cat conf)"
	ip netns exec "$B" wg setconf "$GODEV" conf || atf_fail "wg setconf"
	req 'get=1\n\n' > wgd.get
	printf 'get=1\n\n' | $UAPI req "/var/run/wireguard/$GODEV.sock" \
	    > go.get
	diff -u go.get wgd.get || atf_fail "get=1 differs from wireguard-go"
	grep -q '^endpoint=192.168.241.2:51821$' wgd.get ||
	    atf_fail "$(cat wgd.get)"

	for dev in wgt0:$A "$GODEV:$B"; do
		ip netns exec "${dev#*:}" wg set "${dev%%:*}" peer \
		    "$(cat peer.pub)" endpoint '[fd00:241::2]:51821' \
		    persistent-keepalive 0 || atf_fail "wg set ${dev%%:*}"
	done
	req 'get=1\n\n' > wgd.get
	printf 'get=1\n\n' | $UAPI req "/var/run/wireguard/$GODEV.sock" \
	    > go.get
	diff -u go.get wgd.get || atf_fail "get=1 differs from wireguard-go"
	grep -q '^endpoint=\[fd00:241::2\]:51821$' wgd.get ||
	    atf_fail "$(cat wgd.get)"
}
get_like_wireguard_go_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case set_keys cleanup
set_keys_head()
{
	uapi_head
	atf_set "descr" "every key of set=1 with wireguard-go's semantics"
}
set_keys_body()
{
	net_setup
	wgd_conf ''
	wgd_start
	b1=$(wg genkey | wg pubkey)
	b2=$(wg genkey | wg pubkey)
	k1=$(echo "$b1" | hex)
	k2=$(echo "$b2" | hex)
	k3=$(wg genkey | wg pubkey | hex)

	# A new peer, with everything a peer has.
	psk=$(wg genpsk | hex)
	set_ok "set=1\npublic_key=$k1\npreshared_key=$psk\nendpoint=192.168.241.2:7\npersistent_keepalive_interval=30\nreplace_allowed_ips=true\nallowed_ip=10.1.2.3/24\nallowed_ip=10.2.0.0/16\nprotocol_version=1\n\n"
	get_has "public_key=$k1"
	get_has "preshared_key=$psk"
	get_has "endpoint=192.168.241.2:7"
	get_has "persistent_keepalive_interval=30"
	get_has "allowed_ip=10.1.2.0/24"
	wgctl show | grep -q "^peer: ($b1) (runtime)$" ||
	    atf_fail "wgctl show: $(wgctl show)"

	# An exact prefix held by another peer moves; re-adding one moves
	# it to the end of the list.
	set_ok "set=1\npublic_key=$k2\nallowed_ip=10.2.0.0/16\nallowed_ip=10.3.0.0/16\n\n"
	ip netns exec "$A" wg show wgt0 allowed-ips > aips
	grep -q "^$b1	10.1.2.0/24$" aips ||
	    atf_fail "10.2.0.0/16 did not leave k1: $(cat aips)"
	set_ok "set=1\npublic_key=$k2\nallowed_ip=10.2.0.0/16\n\n"
	ip netns exec "$A" wg show wgt0 allowed-ips | grep -q \
	    "^$b2	10.3.0.0/16 10.2.0.0/16$" ||
	    atf_fail "re-adding did not move it last: $(wg show wgt0 allowed-ips)"

	# -prefix removes only the peer's own exact prefix.
	set_ok "set=1\npublic_key=$k2\nallowed_ip=-10.1.2.0/24\nallowed_ip=-10.3.9.9/16\n\n"
	get_has "allowed_ip=10.1.2.0/24"
	get_lacks "allowed_ip=10.3.0.0/16"

	# update_only does not create; remove removes; the interface's own
	# key is a placeholder whose lines change nothing.
	set_ok "set=1\npublic_key=$k3\nupdate_only=true\nallowed_ip=10.4.0.0/16\n\n"
	get_lacks "public_key=$k3"
	get_lacks "allowed_ip=10.4.0.0/16"
	set_ok "set=1\npublic_key=$k2\nupdate_only=true\npersistent_keepalive_interval=9\n\n"
	get_has "persistent_keepalive_interval=9"
	own=$(wgd_pubkey | hex)
	set_ok "set=1\npublic_key=$own\nallowed_ip=10.5.0.0/16\n\n"
	get_lacks "public_key=$own"
	get_lacks "allowed_ip=10.5.0.0/16"
	set_ok "set=1\npublic_key=$k2\nremove=true\n\n"
	get_lacks "public_key=$k2"

	# A private key whose public key is a peer's drops that peer.
	wg genkey > new.key
	set_ok "set=1\npublic_key=$(wg pubkey < new.key | hex)\n\n"
	get_has "public_key=$(wg pubkey < new.key | hex)"
	set_ok "set=1\nprivate_key=$(hex < new.key)\n\n"
	get_has "private_key=$(hex < new.key)"
	get_lacks "public_key=$(wg pubkey < new.key | hex)"

	# replace_allowed_ips, replace_peers.
	set_ok "set=1\npublic_key=$k1\nreplace_allowed_ips=true\nallowed_ip=10.6.0.0/16\n\n"
	get_lacks "allowed_ip=10.1.2.0/24"
	get_has "allowed_ip=10.6.0.0/16"
	set_ok "set=1\nreplace_peers=true\npublic_key=$k3\n\n"
	[ "$(req 'get=1\n\n' | grep -c '^public_key=')" = 1 ] ||
	    atf_fail "replace_peers left: $(req 'get=1\n\n')"

	# A zero private key removes it: no private_key line, no handshake.
	set_ok "set=1\nprivate_key=$(printf '%064d' 0)\n\n"
	req 'get=1\n\n' | grep -q '^private_key=' &&
	    atf_fail "private key still shown"
	true
}
set_keys_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case set_errors cleanup
set_errors_head()
{
	uapi_head
	atf_set "descr" "errno -22, -71 and -98 where wireguard-go answers them; a set that fails changes nothing"
}
set_errors_body()
{
	net_setup
	wgd_conf ''
	wgd_start
	k1=$(wg genkey | wg pubkey | hex)
	req 'get=1\n\n' > before

	for bad in 'nonsense=1' 'listen_port=65536' 'fwmark=-1' \
	    'replace_peers=false' "public_key=$k1\\nlisten_port=1" \
	    "public_key=$k1\\nprotocol_version=2" \
	    "public_key=$k1\\nendpoint=example.org:1" \
	    "public_key=$k1\\nallowed_ip=10.0.0.1" \
	    "public_key=$k1\\npersistent_keepalive_interval=65536" \
	    "public_key=$k1\\npreshared_key=00" \
	    "public_key=$k1\\nupdate_only=false"; do
		r=$(req "set=1\nlisten_port=4242\n$bad\n\n")
		[ "$r" = "errno=-22" ] || atf_fail "$bad: $r, not errno=-22"
	done
	r=$(req "set=1\npublic_key=$k1\nallowed_ip=10.7.0.0/16\nendpoint\n\n")
	[ "$r" = "errno=-71" ] || atf_fail "a line without =: $r"
	req 'get=1\n\n' > after
	diff -u before after || atf_fail "a failed set changed something"

	# A port in use: -98, and still nothing changed.
	ip netns exec "$A" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 4243))
time.sleep(30)' &
	echo $! > go2.pid
	sleep 0.5
	r=$(req "set=1\nlisten_port=4243\npublic_key=$k1\n\n")
	[ "$r" = "errno=-98" ] || atf_fail "port in use: $r"
	req 'get=1\n\n' > after
	diff -u before after || atf_fail "a failed set changed something"

	# A first line that is neither get=1 nor set=1: closed silently.
	[ "$(req 'get=2\n\n')" = closed ] || atf_fail "get=2 answered"
	[ "$(req 'get=1\nx\n')" = "errno=-22" ] ||
	    atf_fail "get=1 with a trailer: $(req 'get=1\nx\n')"

	# listen_port 0: a free port, which get reports.
	set_ok "set=1\nlisten_port=0\n\n"
	port=$(ip netns exec "$A" wg show wgt0 listen-port)
	[ "$port" -gt 0 ] && [ "$port" != 51820 ] ||
	    atf_fail "listen_port=0 gave $port"
	ip netns exec "$A" ss -uln | grep -q ":$port " ||
	    atf_fail "nothing listens on $port"
	ip netns exec "$A" ss -uln | grep -q ":51820 " &&
	    atf_fail "the old port is still bound"

	# The refused requests above were refused for their second line:
	# their first one alone is fine.
	set_ok "set=1\npublic_key=$k1\nprotocol_version=1\n\n"
}
set_errors_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case fwmark cleanup
fwmark_head()
{
	uapi_head
	atf_set "descr" "an fwmark set through the API marks wgd's sockets, shows in get and wg show, and wgctl reload removes it"
}
fwmark_body()
{
	skip_under_qemu "setsockopt SO_MARK is refused (ENOPROTOOPT)"
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	set_ok "set=1\nfwmark=66\n\n"
	get_has "fwmark=66"
	ip netns exec "$A" wg show wgt0 fwmark | grep -qx 0x42 ||
	    atf_fail "wg show fwmark"
	ip netns exec "$A" wg set wgt0 fwmark 0x10 || atf_fail "wg set"
	get_has "fwmark=16"
	ping_ok "$A" 10.77.0.2
	wgctl reload > reload || atf_fail "reload: $(cat reload)"
	grep -qxF "interface wgt0: fwmark 0x10 set through wg(8), removed" \
	    reload || atf_fail "$(cat reload)"
	req 'get=1\n\n' | grep '^fwmark=' && atf_fail "reload kept the fwmark"
	ping_ok "$A" 10.77.0.2
}
fwmark_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case runtime_and_reload cleanup
runtime_and_reload_head()
{
	uapi_head
	atf_set "descr" "changes through wg(8) are runtime-only: wgctl show marks an added peer, wgctl reload undoes each change and says so"
}
runtime_and_reload_body()
{
	net_setup
	b2=$(wg genkey | wg pubkey)
	wgd_conf '' "persistent-keepalive 25
	}
	peer \"two\" {
		public-key \"$b2\"
		allowed-ips { 10.77.0.3/32 }"
	wgd_start
	req 'get=1\n\n' > before
	b3=$(wg genkey | wg pubkey)
	ip netns exec "$A" wg set wgt0 listen-port 4000 \
	    peer "$b3" allowed-ips 10.8.0.0/16 \
	    peer "$(cat peer.pub)" persistent-keepalive 7 \
	    allowed-ips 10.77.0.2/32,10.9.0.0/24 \
	    peer "$b2" remove || atf_fail "wg set"
	wgctl show > show
	grep -qx "peer: ($b3) (runtime)" show || atf_fail "$(cat show)"
	grep -q "two" show && atf_fail "two was not removed: $(cat show)"

	wgctl reload > reload || atf_fail "reload: $(cat reload)"
	for l in "peer ($b3): added through wg(8), removed" \
	    "peer go: persistent keepalive, allowed ips set through wg(8), back to the configuration's" \
	    "peer two: removed through wg(8), back" \
	    "interface wgt0: listen port 4000 set through wg(8), back to 51820"; do
		grep -qxF "$l" reload || atf_fail "reload lacks \"$l\": $(cat reload)"
	done
	grep -q 'no changes' reload && atf_fail "$(cat reload)"
	req 'get=1\n\n' > after
	diff -u before after || atf_fail "reload did not restore wgd.conf"
	ip netns exec "$A" ss -uln | grep -q ':4000 ' && atf_fail "4000 bound"
	[ "$(wgctl reload)" = "no changes" ] || atf_fail "a second reload"

	# The private key leaves wgd through the API socket only.
	priv=$(cat state/wgt0/server/privatekey-server)
	req 'get=1\n\n' | grep -q "^private_key=$(echo "$priv" | hex)$" ||
	    atf_fail "get=1 lacks the private key"
	{ wgctl show; wgctl show -j; } | grep -qF "$priv" &&
	    atf_fail "wgctl show gives the private key away"
	[ "$(stat -c %a "$SOCK")" = 700 ] || atf_fail "socket mode"

	# A private key set through wg(8) goes too.
	ip netns exec "$A" wg set wgt0 private-key peer.key
	wgctl reload | grep -qxF "interface wgt0: private key set through wg(8), back to the configuration's" ||
	    atf_fail "private key"
	req 'get=1\n\n' > after
	diff -u before after || atf_fail "reload did not restore the key"
}
runtime_and_reload_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case keepalive_at_once cleanup
keepalive_at_once_head()
{
	uapi_head
	atf_set "descr" "a persistent keepalive set from 0 sends one at once, as wireguard-go does: a handshake follows without traffic"
}
keepalive_at_once_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	sleep 1
	ip netns exec "$A" wg show wgt0 latest-handshakes | grep -q '	0$' ||
	    atf_fail "a handshake before any traffic"
	ip netns exec "$A" wg set wgt0 peer "$(cat peer.pub)" \
	    persistent-keepalive 25 || atf_fail "wg set"
	i=0
	while ip netns exec "$A" wg show wgt0 latest-handshakes | grep -q '	0$'; do
		[ $i -lt 20 ] || atf_fail "no handshake within 2 s"
		sleep 0.1
		i=$((i + 1))
	done
}
keepalive_at_once_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case many_allowed_ips cleanup
many_allowed_ips_head()
{
	uapi_head
	atf_set "descr" "one request of 130,000 allowed ips applies in under 0.5 s, new, re-added or moved; 20,000 peers replaced in under 1 s"
}
many_allowed_ips_body()
{
	net_setup
	wgd_conf ''
	wgd_start
	other=$(wg genkey | wg pubkey | hex)
	# New, then the same again (each moves to the end of the list),
	# then all of them moved to another peer.
	for what in "$(hex < peer.pub) 130000" \
	    "$(hex < peer.pub) 130000 add" "$other 130000 add"; do
		$UAPI many-ips "$SOCK" $what > out
		head -n 1 out | grep -qx 'errno=0' || atf_fail "$(cat out)"
		took=$(tail -n 1 out)
		echo "130000 allowed ips ($what): $took s"
		fast_enough "$took" 0.5 ||
		    atf_fail "took $took s"
		[ "$(req 'get=1\n\n' | grep -c '^allowed_ip=')" = 130000 ] ||
		    atf_fail "not all there"
	done
	req 'get=1\n\n' | tail -n 3 | head -n 1 |
	    grep -qx 'allowed_ip=10.101.251.207/32' ||
	    atf_fail "order: $(req 'get=1\n\n' | tail -n 3)"
	ip netns exec "$A" wg show wgt0 allowed-ips | grep -q "^$(cat peer.pub)	(none)$" ||
	    atf_fail "the first peer kept some"

	# 20,000 peers, and all of them replaced: no walk of the whole
	# routing table per peer.
	$UAPI many-peers "$SOCK" 20000 > out
	cat out
	grep -q '^20000 peers: errno=0 ' out || atf_fail "$(cat out)"
	took=$(sed -n 's/^replace_peers: errno=0 //p' out)
	[ -n "$took" ] || atf_fail "$(cat out)"
	fast_enough "$took" 1 ||
	    atf_fail "replace_peers took $took s"
}
many_allowed_ips_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case show_like_wgctl cleanup
show_like_wgctl_head()
{
	uapi_head
	atf_set "descr" "after traffic with wireguard-go, wg show and wgctl show agree on endpoint, handshake and transfer"
}
show_like_wgctl_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	ip netns exec "$A" wg show wgt0 dump | tail -n 1 > dump
	wgctl show -j > json
	read -r key psk ep aips hs rx tx ka < dump
	[ "$key" = "$(cat peer.pub)" ] || atf_fail "key: $(cat dump)"
	grep -q "\"endpoint\":\"$ep\"" json || atf_fail "endpoint $ep: $(cat json)"
	grep -q "\"latest_handshake\":$hs," json || atf_fail "handshake $hs: $(cat json)"
	grep -q "\"transfer_rx\":$rx," json || atf_fail "rx $rx: $(cat json)"
	grep -q "\"transfer_tx\":$tx," json || atf_fail "tx $tx: $(cat json)"
	[ "$rx" -gt 0 ] && [ "$hs" -gt 1700000000 ] || atf_fail "$(cat dump)"
}
show_like_wgctl_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case syncconf_noop cleanup
syncconf_noop_head()
{
	uapi_head
	atf_set "descr" "wg syncconf with the interface's own showconf changes nothing and drops no session"
}
syncconf_noop_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	req 'get=1\n\n' | grep -v '_bytes=' > before
	n=$(grep -c 'handshake complete' wgd.log)
	ip netns exec "$A" wg showconf wgt0 > conf
	ip netns exec "$A" wg syncconf wgt0 conf || atf_fail "wg syncconf"
	req 'get=1\n\n' | grep -v '_bytes=' > after
	diff -u before after || atf_fail "syncconf changed something"
	ping_ok "$A" 10.77.0.2
	[ "$(grep -c 'handshake complete' wgd.log)" = "$n" ] ||
	    atf_fail "a new handshake: the session was dropped"
}
syncconf_noop_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case limited_peer cleanup
limited_peer_head()
{
	uapi_head nft
	atf_set "descr" "a peer limited by forward-to gets no new allowed ip through wg(8): the nftables guard knows it by the sources of wgd.conf; the same ones again and other peers are fine"
}
limited_peer_body()
{
	net_setup
	wgd_conf '' 'forward-to { 10.77.0.1/32 }'
	wgd_start
	pub=$(cat peer.pub)
	ip netns exec "$A" wg set wgt0 peer "$pub" \
	    allowed-ips 10.77.0.2/32,fd00:77::2/128,10.50.0.0/24 2> err &&
	    atf_fail "a new source for a limited peer was taken"
	grep -q 'Operation not permitted' err || atf_fail "$(cat err)"
	grep -q 'limited by forward-to (go): allowed ip 10.50.0.0/24' wgd.log ||
	    atf_fail "not logged: $(cat wgd.log)"
	get_lacks 'allowed_ip=10.50.0.0/24'
	# Removed, then added again: still limited until a reload.
	ip netns exec "$A" wg set wgt0 peer "$pub" remove || atf_fail "remove"
	ip netns exec "$A" wg set wgt0 peer "$pub" allowed-ips 10.50.0.0/24 \
	    2> err && atf_fail "a removed limited peer came back unlimited"
	grep -q 'Operation not permitted' err || atf_fail "$(cat err)"
	wgctl reload > reload.out || atf_fail "reload: $(cat reload.out)"
	get_has 'allowed_ip=10.77.0.2/32'
	ip netns exec "$A" wg set wgt0 peer "$pub" \
	    allowed-ips 10.77.0.2/32,fd00:77::2/128 ||
	    atf_fail "the same allowed ips again"
	ip netns exec "$A" wg showconf wgt0 > conf
	ip netns exec "$A" wg syncconf wgt0 conf || atf_fail "wg syncconf"
	other=$(wg genkey | wg pubkey)
	ip netns exec "$A" wg set wgt0 peer "$other" allowed-ips 10.50.0.0/24 ||
	    atf_fail "an unlimited peer"
	get_has 'allowed_ip=10.50.0.0/24'
}
limited_peer_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case bad_clients cleanup
bad_clients_head()
{
	uapi_head
	atf_set "descr" "random bytes, a 1 MB line, silence, a deaf client, 100 idle connections, 5000 peers: answered or closed, the tunnel unharmed"
	atf_set "timeout" "120"
}
bad_clients_body()
{
	net_setup
	wgd_conf 'endpoint "192.168.241.2" port 51821'
	wgd_start
	go_start
	ping_ok "$A" 10.77.0.2
	ip netns exec "$B" ping -i 0.2 -w 40 10.77.0.1 > ping.log 2>&1 &
	echo $! > go2.pid
	procs="$(cat wgd.pid) $(pgrep -P "$(cat wgd.pid)")"
	for p in $procs; do
		echo "$p $(ps -o rss= -p "$p")"
	done > rss.before
	$UAPI bad "$SOCK" > bad.out 2>&1 || atf_fail "$(cat bad.out)"
	cat bad.out
	grep -qx 'random: closed' bad.out || atf_fail "random bytes"
	grep -qx 'long line: errno=-5 closed' bad.out || atf_fail "long line"
	grep -qx 'deaf errno client, others served: True' bad.out ||
	    atf_fail "deaf errno client"
	grep -qx 'half request, others served: True' bad.out ||
	    atf_fail "half request"
	grep -qx 'deaf client, others served: True' bad.out ||
	    atf_fail "deaf client"
	grep -qx '100 idle, others served: True' bad.out || atf_fail "idle"
	grep -qx '5000 peers: errno=0' bad.out || atf_fail "5000 peers"
	grep -qx '5000 removed: errno=0' bad.out || atf_fail "removal"
	grep -qx '20 sets at once: errno=0' bad.out || atf_fail "20 sets"
	grep -q '^half request closed after 1[01] s: True$' bad.out ||
	    atf_fail "half request not closed"
	kill -INT "$(cat go2.pid)"
	wait "$(cat go2.pid)"
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' ping.log)
	[ "$loss" = 0 ] || atf_fail "the tunnel lost packets: $(tail -n 3 ping.log)"
	kill -0 "$(cat wgd.pid)" || atf_fail "wgd died: $(cat wgd.log)"
	# Memory stays bounded: no process grew by 32 MiB (the engine
	# holds 5000 more peers for a while: 8 MiB).  ThreadSanitizer
	# (make check-slow sets TSAN_OPTIONS) multiplies what allocations
	# cost by about six.
	limit=32768
	[ -n "${TSAN_OPTIONS:-}" ] && limit=$((limit * 6))
	while read -r p before; do
		rss=$(ps -o rss= -p "$p")
		echo "pid $p: $before -> $rss KiB"
		[ $((rss - before)) -lt $limit ] ||
		    atf_fail "pid $p grew from $before to $rss KiB"
	done < rss.before
}
bad_clients_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case get_like_wireguard_go
	atf_add_test_case set_keys
	atf_add_test_case set_errors
	atf_add_test_case fwmark
	atf_add_test_case runtime_and_reload
	atf_add_test_case keepalive_at_once
	atf_add_test_case many_allowed_ips
	atf_add_test_case show_like_wgctl
	atf_add_test_case syncconf_noop
	atf_add_test_case limited_peer
	atf_add_test_case bad_clients
}
