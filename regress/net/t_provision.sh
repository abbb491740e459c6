#! /usr/bin/env atf-sh
#
# Managed peers: keys, preshared keys and addresses made once, kept in
# the state dir in the container's layout, and client configurations
# that work as they are.

. "$(atf_get_srcdir)/lib.sh"

prov_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping"
}

# managed_conf "peer lines...": wgd in A with managed peers.
managed_conf()
{
	lines=$(printf '%s\n' "$@")
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
socket "$PWD/wgd.rsock" restricted
state-dir "$PWD/state"
interface "wgt0" {
	address 10.13.13.1/24
	address fd00:13::1/64
	client endpoint "192.168.241.1"
	client allowed-ips { 10.13.13.0/24, fd00:13::/64 }
$lines
}
CONF
}

peer_file()
{
	cat "state/wgt0/peer_$1/$2-peer_$1"
}

wgd_restart()
{
	kill "$(cat wgd.pid)"
	wait "$(cat wgd.pid)" 2>/dev/null
	rm -f wgd.sock
	wgd_start
}

atf_test_case keys_persist cleanup
keys_persist_head()
{
	prov_head
	atf_set "descr" "restart and reload keep every key and address; files 0600, folders 0700"
}
keys_persist_body()
{
	net_setup
	managed_conf '	peer "laptop"' '	peer "phone" { address 10.13.13.9 }'
	wgd_start
	for f in privatekey publickey presharedkey address; do
		[ "$(stat -c %a "state/wgt0/peer_laptop/$f-peer_laptop")" = 600 ] ||
		    atf_fail "$f mode"
	done
	[ "$(stat -c %a state/wgt0/peer_laptop)" = 700 ] || atf_fail "dir mode"
	[ "$(stat -c %a state/wgt0/peer_laptop/peer_laptop.conf)" = 600 ] ||
	    atf_fail "conf mode"
	printf '10.13.13.2\nfd00:13::2\n' | cmp -s - state/wgt0/peer_laptop/address-peer_laptop ||
	    atf_fail "laptop: $(peer_file laptop address)"
	printf '10.13.13.9\nfd00:13::3\n' | cmp -s - state/wgt0/peer_phone/address-peer_phone ||
	    atf_fail "phone: $(peer_file phone address)"
	wg pubkey < state/wgt0/peer_laptop/privatekey-peer_laptop |
	    cmp -s - state/wgt0/peer_laptop/publickey-peer_laptop ||
	    atf_fail "public key does not match"
	cp -R state before
	wgd_restart
	atf_check -s exit:0 -o inline:"no changes\n" wgctl reload
	diff -r before state > diff.out || atf_fail "state changed: $(cat diff.out)"
}
keys_persist_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case add_and_remove cleanup
add_and_remove_head()
{
	prov_head
	atf_set "descr" "a peer added in the middle moves no one; a removed peer's folder goes aside and a new one of that name gets new keys"
}
add_and_remove_body()
{
	net_setup
	managed_conf '	peer "laptop"' '	peer "phone"'
	wgd_start
	laptop=$(peer_file laptop publickey)
	phone=$(peer_file phone address)
	managed_conf '	peer "laptop"' '	peer "tablet"' '	peer "phone"'
	atf_check -s exit:0 -o match:'^peer tablet: added$' wgctl reload
	[ "$(peer_file phone address)" = "$phone" ] || atf_fail "phone moved"
	printf '10.13.13.4\nfd00:13::4\n' | cmp -s - state/wgt0/peer_tablet/address-peer_tablet ||
	    atf_fail "tablet: $(peer_file tablet address)"
	wgctl show peer tablet | grep -q 'allowed ips: 10.13.13.4/32' ||
	    atf_fail "$(wgctl show peer tablet)"

	managed_conf '	peer "tablet"' '	peer "phone"'
	atf_check -s exit:0 -o match:'^peer laptop: removed$' wgctl reload
	[ -d state/wgt0/peer_laptop ] && atf_fail "laptop's folder is still there"
	ls -d state/wgt0/removed/peer_laptop.* > /dev/null ||
	    atf_fail "laptop's folder was not kept"
	atf_check -s exit:1 -o empty -e match:laptop wgctl show peer laptop

	managed_conf '	peer "laptop"' '	peer "tablet"' '	peer "phone"'
	atf_check -s exit:0 -o match:'^peer laptop: added$' wgctl reload
	[ "$(peer_file laptop publickey)" != "$laptop" ] ||
	    atf_fail "a removed peer's keys came back"

	# Removed while wgd was stopped: retired all the same at start.
	tablet=$(peer_file tablet publickey)
	kill "$(cat wgd.pid)"
	wait "$(cat wgd.pid)" 2>/dev/null
	rm -f wgd.sock
	managed_conf '	peer "laptop"' '	peer "phone"'
	wgd_start
	[ -d state/wgt0/peer_tablet ] && atf_fail "tablet's folder stayed"
	managed_conf '	peer "laptop"' '	peer "tablet"' '	peer "phone"'
	atf_check -s exit:0 -o match:'^peer tablet: added$' wgctl reload
	[ "$(peer_file tablet publickey)" != "$tablet" ] ||
	    atf_fail "a peer removed while stopped got its keys back"
}
add_and_remove_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case addresses_of_others cleanup
addresses_of_others_head()
{
	prov_head
	atf_set "descr" "a managed peer never gets an address an external peer routes, and a /31 has two hosts"
}
addresses_of_others_body()
{
	net_setup
	managed_conf '	peer "office" {' \
	    '		public-key "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw="' \
	    '		allowed-ips { 10.13.13.2/31, fd00:13::2/128 }' '	}' \
	    '	peer "laptop"'
	wgd_start
	printf '10.13.13.4\nfd00:13::3\n' | cmp -s - state/wgt0/peer_laptop/address-peer_laptop ||
	    atf_fail "laptop: $(peer_file laptop address)"
	kill "$(cat wgd.pid)"
	wait "$(cat wgd.pid)" 2>/dev/null
	rm -rf wgd.sock state
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	address 10.13.13.1/31
	peer "laptop"
}
CONF
	wgd_start
	[ "$(peer_file laptop address)" = 10.13.13.0 ] ||
	    atf_fail "/31: $(peer_file laptop address)"
}
addresses_of_others_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case bad_key_file cleanup
bad_key_file_head()
{
	prov_head
	atf_set "descr" "a key file that does not parse stops wgd, never a silent new key"
}
bad_key_file_body()
{
	net_setup
	managed_conf '	peer "laptop"'
	mkdir -p state/wgt0/peer_laptop
	chmod 700 state state/wgt0 state/wgt0/peer_laptop
	echo garbage > state/wgt0/peer_laptop/privatekey-peer_laptop
	chmod 600 state/wgt0/peer_laptop/privatekey-peer_laptop
	atf_check -s not-exit:0 -o empty -e match:privatekey-peer_laptop \
	    ip netns exec "$A" "$WGD" -d -f "$PWD/wgd.conf"
	grep -qx garbage state/wgt0/peer_laptop/privatekey-peer_laptop ||
	    atf_fail "the key file was replaced"
}
bad_key_file_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case full_subnet cleanup
full_subnet_head()
{
	prov_head
	atf_set "descr" "a subnet without a free address for a managed peer is an error"
}
full_subnet_body()
{
	net_setup
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	address 10.13.13.1/30
	peer "laptop"
	peer "phone"
}
CONF
	atf_check -s not-exit:0 -o empty -e match:'10.13.13.0/30 is full' \
	    ip netns exec "$A" "$WGD" -d -f "$PWD/wgd.conf"
}
full_subnet_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case client_conf_works cleanup
client_conf_works_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping"
	atf_set "descr" "wireguard-go configured from peer_laptop.conf alone reaches the server"
}
client_conf_works_body()
{
	net_setup
	managed_conf '	peer "laptop"' '	client persistent-keepalive 25'
	wgd_start
	conf=state/wgt0/peer_laptop/peer_laptop.conf
	go_up "$B" "$GODEV"
	wg-quick strip "$conf" > stripped
	ip netns exec "$B" wg setconf "$GODEV" stripped ||
	    atf_fail "wg setconf refused: $(cat stripped)"
	for a in $(sed -n 's/^Address = //p' "$conf" | tr ',' ' '); do
		ip -n "$B" addr add "$a" dev "$GODEV" ||
		    atf_fail "Address $a"
	done
	ip -n "$B" link set "$GODEV" up
	# What wg-quick does with AllowedIPs.
	for r in $(sed -n 's/^AllowedIPs = //p' "$conf" | tr ',' ' '); do
		ip -n "$B" route add "$r" dev "$GODEV"
	done
	ping_ok "$B" 10.13.13.1
	ping_ok "$B" fd00:13::1
}
client_conf_works_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case client_option_change cleanup
client_option_change_head()
{
	prov_head
	atf_set "descr" "changing the client port rewrites the Endpoint line and nothing else"
}
client_option_change_body()
{
	net_setup
	managed_conf '	peer "laptop"'
	wgd_start
	conf=state/wgt0/peer_laptop/peer_laptop.conf
	cp "$conf" before.conf
	grep -qx 'Endpoint = 192.168.241.1:51820' before.conf ||
	    atf_fail "$(cat before.conf)"
	sed -i 's/client endpoint "192.168.241.1"/client endpoint "192.168.241.1" port 443/' wgd.conf
	atf_check -s exit:0 -o ignore wgctl reload
	diff before.conf "$conf" > d
	[ "$(grep -c '^[<>]' d)" -eq 2 ] || atf_fail "$(cat d)"
	grep -qx '> Endpoint = 192.168.241.1:443' d || atf_fail "$(cat d)"
}
client_option_change_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case peer_client_options cleanup
peer_client_options_head()
{
	prov_head
	atf_set "descr" "a managed peer's own client options go into its file alone; changing one rewrites only that peer's files"
}
peer_client_options_body()
{
	net_setup
	managed_conf '	peer "laptop"' '	peer "phone" {' \
	    '		client allowed-ips { 0.0.0.0/0, ::/0 }' \
	    '		client persistent-keepalive 25' '	}'
	wgd_start
	d=state/wgt0
	grep -qx 'AllowedIPs = 0.0.0.0/0, ::/0' $d/peer_phone/peer_phone.conf ||
	    atf_fail "$(cat $d/peer_phone/peer_phone.conf)"
	grep -qx 'PersistentKeepalive = 25' $d/peer_phone/peer_phone.conf ||
	    atf_fail "$(cat $d/peer_phone/peer_phone.conf)"
	grep -qx 'AllowedIPs = 10.13.13.0/24, fd00:13::/64' \
	    $d/peer_laptop/peer_laptop.conf ||
	    atf_fail "$(cat $d/peer_laptop/peer_laptop.conf)"
	grep -q PersistentKeepalive $d/peer_laptop/peer_laptop.conf &&
	    atf_fail "laptop got phone's keepalive"
	cp -p $d/peer_laptop/peer_laptop.conf $d/peer_laptop/peer_laptop.png .
	cp $d/peer_phone/peer_phone.conf phone.before
	sleep 1
	sed -i 's/client persistent-keepalive 25/client persistent-keepalive 15/' \
	    wgd.conf
	wgctl reload > reload || atf_fail "reload: $(cat reload)"
	grep -qx 'peer phone: client persistent-keepalive changed' reload ||
	    atf_fail "$(cat reload)"
	grep -qx 'PersistentKeepalive = 15' $d/peer_phone/peer_phone.conf ||
	    atf_fail "phone not rewritten"
	for f in peer_laptop.conf peer_laptop.png; do
		[ "$(stat -c %Y $f)" = "$(stat -c %Y $d/peer_laptop/$f)" ] ||
		    atf_fail "$f was rewritten"
	done
	# A peer with its own key has no client configuration.
	managed_conf '	peer "laptop" {' "		public-key \"$(cat peer.pub)\"" \
	    '		client dns 10.13.13.1' '	}' '	peer "phone"'
	wgctl reload > reload 2>&1 && atf_fail "client options on an external peer"
	grep -q 'client options are for managed peers' reload ||
	    atf_fail "$(cat reload)"
}
peer_client_options_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case lan_behind_peer cleanup
lan_behind_peer_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping"
	atf_set "descr" "a managed peer's allowed-ips (a LAN behind it) are routed to it: the server reaches an address there"
}
lan_behind_peer_body()
{
	net_setup
	managed_conf '	peer "pi" {' '		allowed-ips { 192.168.88.0/24, fd00:88::/64 }' \
	    '	}'
	wgd_start
	ip -n "$A" route get 192.168.88.1 | grep -q 'dev wgt0' ||
	    atf_fail "no route: $(ip -n "$A" route get 192.168.88.1)"
	conf=state/wgt0/peer_pi/peer_pi.conf
	go_up "$B" "$GODEV"
	wg-quick strip "$conf" > stripped
	ip netns exec "$B" wg setconf "$GODEV" stripped || atf_fail "setconf"
	ip -n "$B" addr add 10.13.13.2/24 dev "$GODEV"
	ip -n "$B" addr add fd00:13::2/64 dev "$GODEV" nodad
	ip -n "$B" link set "$GODEV" up
	# The Pi's LAN: an address of its own, on its loopback.
	ip -n "$B" addr add 192.168.88.1/32 dev lo
	ip -n "$B" addr add fd00:88::1/128 dev lo
	# A managed peer has no endpoint until it first connects.
	ping_ok "$B" 10.13.13.1
	ping_ok "$A" 192.168.88.1
	ping_ok "$A" fd00:88::1
	wgctl show | grep -qx '  allowed ips: 192.168.88.0/24, fd00:88::/64, 10.13.13.2/32, fd00:13::2/128' ||
	    atf_fail "$(wgctl show)"
}

atf_test_case lan_from_other_peer cleanup
lan_from_other_peer_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping sysctl"
	atf_set "descr" "another peer reaches the LAN behind a managed peer through the server, when the server routes and that peer's own client allowed-ips name the LAN"
}
lan_from_other_peer_body()
{
	net_setup
	# The phone in C, on a link of its own to the server.
	C="wgnC$$"
	echo "$C" >> netns
	ip netns add "$C" || atf_fail "ip netns add"
	ip -n "$C" link set lo up
	ip link add vC netns "$A" type veth peer name vD netns "$C" ||
	    atf_fail "veth"
	ip -n "$A" addr add 192.168.242.1/24 dev vC
	ip -n "$C" addr add 192.168.242.2/24 dev vD
	ip -n "$A" link set vC up
	ip -n "$C" link set vD up
	ip netns exec "$A" sysctl -q net.ipv4.ip_forward=1
	managed_conf '	peer "pi" {' '		allowed-ips 192.168.88.0/24' '	}' \
	    '	peer "phone" {' \
	    '		client allowed-ips { 10.13.13.0/24, 192.168.88.0/24 }' \
	    '		client endpoint "192.168.242.1"' '	}'
	wgd_start
	grep -q '^AllowedIPs = 10.13.13.0/24, 192.168.88.0/24$' \
	    state/wgt0/peer_phone/peer_phone.conf ||
	    atf_fail "$(cat state/wgt0/peer_phone/peer_phone.conf)"

	# The Pi, its LAN an address on its loopback, connects first.
	go_up "$B" "$GODEV"
	wg-quick strip state/wgt0/peer_pi/peer_pi.conf > pi.conf
	ip netns exec "$B" wg setconf "$GODEV" pi.conf || atf_fail "setconf pi"
	ip -n "$B" addr add 10.13.13.2/24 dev "$GODEV"
	ip -n "$B" link set "$GODEV" up
	ip -n "$B" addr add 192.168.88.1/32 dev lo
	ping_ok "$B" 10.13.13.1

	# The phone, from its own conf alone.
	PH="wgp$$"
	echo "$PH" > godev2
	go_up "$C" "$PH" go2
	wg-quick strip state/wgt0/peer_phone/peer_phone.conf > phone.conf
	ip netns exec "$C" wg setconf "$PH" phone.conf || atf_fail "setconf phone"
	ip -n "$C" addr add 10.13.13.3/24 dev "$PH"
	ip -n "$C" link set "$PH" up
	ip -n "$C" route add 192.168.88.0/24 dev "$PH"
	ping_ok "$C" 192.168.88.1
}
lan_from_other_peer_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	[ -f godev2 ] && rm -f "/var/run/wireguard/$(cat godev2).sock"
	net_cleanup
}
lan_behind_peer_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case disabled_peer cleanup
disabled_peer_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wg-quick wireguard-go ping"
	atf_set "descr" "disable ends a managed peer's session at reload and refuses its handshakes; re-enabled, the same conf connects again"
}
disabled_peer_body()
{
	net_setup
	managed_conf '	peer "phone" {' '	}'
	wgd_start
	conf=state/wgt0/peer_phone/peer_phone.conf
	go_up "$B" "$GODEV"
	wg-quick strip "$conf" > stripped
	ip netns exec "$B" wg setconf "$GODEV" stripped || atf_fail "setconf"
	ip -n "$B" addr add 10.13.13.2/24 dev "$GODEV"
	ip -n "$B" link set "$GODEV" up
	ping_ok "$B" 10.13.13.1
	cp -R state before

	sed -i 's/	peer "phone" {/	peer "phone" { disable/' wgd.conf
	wgctl reload > reload || atf_fail "reload: $(cat reload)"
	grep -qx 'peer phone: disable changed' reload || atf_fail "$(cat reload)"
	wgctl show | grep -qx '  hint: disabled in wgd.conf' ||
	    atf_fail "$(wgctl show)"
	# The old session is gone at once.
	ip netns exec "$B" ping -c 3 -i 0.3 -w 3 10.13.13.1 > /dev/null 2>&1 &&
	    atf_fail "a disabled peer's session still works"
	# A new handshake (the phone set up again starts one at once) is
	# refused.
	ip netns exec "$B" wg setconf "$GODEV" stripped || atf_fail "setconf"
	ip netns exec "$B" ping -c 3 -i 0.3 -w 4 10.13.13.1 > /dev/null 2>&1 &&
	    atf_fail "a disabled peer made a handshake"
	[ "$(json_num unknown_peer)" -gt 0 ] ||
	    atf_fail "no handshake refused: $(wgctl show -j)"
	diff -r before state > d || atf_fail "files changed: $(cat d)"

	sed -i 's/	peer "phone" { disable/	peer "phone" {/' wgd.conf
	wgctl reload > reload || atf_fail "reload: $(cat reload)"
	ping_ok "$B" 10.13.13.1
	diff -r before state > d || atf_fail "files changed: $(cat d)"
}
disabled_peer_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case qr_code cleanup
qr_code_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg zbarimg"
	atf_set "descr" "peer_NAME.png decodes to exactly the text of peer_NAME.conf, and follows it"
}
qr_code_body()
{
	net_setup
	managed_conf '	peer "laptop"' '	peer "phone"'
	wgd_start
	for p in laptop phone; do
		d=state/wgt0/peer_$p
		[ "$(stat -c %a $d/peer_$p.png)" = 600 ] || atf_fail "png mode"
		# QR codes only: a QR code's modules read as a linear
		# barcode would be a second line.
		zbarimg --raw -q --nodbus -Sdisable -Sqrcode.enable \
		    $d/peer_$p.png > decoded ||
		    atf_fail "zbarimg cannot read $d/peer_$p.png"
		# zbarimg ends what it read with a newline of its own.
		printf '\n' | cat $d/peer_$p.conf - | cmp -s - decoded ||
		    atf_fail "$p: the QR code is not the conf"
	done
	sed -i 's/client endpoint "192.168.241.1"/client endpoint "vpn.example.org"/' wgd.conf
	atf_check -s exit:0 -o ignore wgctl reload
	d=state/wgt0/peer_laptop
	zbarimg --raw -q --nodbus -Sdisable -Sqrcode.enable \
	    $d/peer_laptop.png | grep -q vpn.example.org ||
	    atf_fail "the QR code did not follow the conf"

	# wgctl gives the same text, on the main socket only.
	atf_check -s exit:0 -o file:$d/peer_laptop.conf wgctl peer laptop conf
	atf_check -s exit:1 -o empty -e match:restricted \
	    "$WGCTL" -s "$PWD/wgd.rsock" peer laptop conf
}
qr_code_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case peer_client_options
	atf_add_test_case disabled_peer
	atf_add_test_case lan_behind_peer
	atf_add_test_case lan_from_other_peer
	atf_add_test_case addresses_of_others
	atf_add_test_case qr_code
	atf_add_test_case keys_persist
	atf_add_test_case add_and_remove
	atf_add_test_case bad_key_file
	atf_add_test_case full_subnet
	atf_add_test_case client_conf_works
	atf_add_test_case client_option_change
}
