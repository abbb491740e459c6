#! /usr/bin/env atf-sh
#
# wgd -i: a linuxserver/IOTstack WireGuard /config folder, made here in
# the container's layout, is adopted into the state dir, so that wgd
# serves its peers with their keys and the phones need no new QR code.
# Most cases touch only files in the work dir; the last two start wgd in
# namespaces of their own.

. "$(atf_get_srcdir)/lib.sh"

# import_head [more programs the case needs]
import_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "wg $*"
}

# container DIR PEER...: the /config folder the container makes for
# PEERS=PEER,...: named peers in peer_NAME/, numbers in peerN/, with
# addresses from .2 of INTERNAL_SUBNET in order (the first bare, the
# others /32, as different container versions write them), keys owned
# by the container's uid 1000, some of them 0644, and the server conf
# wg_confs/wg0.conf (wg0.conf with OLD=1, before 2023-10) with a [Peer]
# for each.  The container's variables set what its generator would:
# SERVERURL, SERVERPORT, PEERDNS, ALLOWEDIPS, INTERNAL_SUBNET,
# SERVER_ALLOWEDIPS_PEER_name, PERSISTENTKEEPALIVE_PEERS; ENDPOINT
# overrides the Endpoint.
container()
{
	dir=$1
	shift
	umask 077
	net=${INTERNAL_SUBNET:-10.13.13.0}
	net=${net%.*}
	dns=${PEERDNS:-auto}
	[ "$dns" = auto ] && dns=$net.1
	mkdir -p "$dir/server" "$dir/templates" "$dir/coredns"
	if [ -n "${OLD:-}" ]; then
		srv=$dir/wg0.conf
	else
		mkdir -p "$dir/wg_confs"
		srv=$dir/wg_confs/wg0.conf
	fi
	wg genkey > "$dir/server/privatekey-server"
	wg pubkey < "$dir/server/privatekey-server" > \
	    "$dir/server/publickey-server"
	cat > "$srv" <<CONF
[Interface]
Address = $net.1
ListenPort = 51820
PrivateKey = $(cat "$dir/server/privatekey-server")
PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -A FORWARD -o %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth+ -j MASQUERADE
PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -D FORWARD -o %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth+ -j MASQUERADE

CONF
	n=2
	for p in "$@"; do
		case $p in
		[0-9]*)	id="peer$p" ;;
		*)	id="peer_$p" ;;
		esac
		mkdir -p "$dir/$id"
		wg genkey > "$dir/$id/privatekey-$id"
		wg pubkey < "$dir/$id/privatekey-$id" > "$dir/$id/publickey-$id"
		wg genpsk > "$dir/$id/presharedkey-$id"
		if [ $n -eq 2 ]; then a=$net.$n; else a=$net.$n/32; fi
		cat > "$dir/$id/$id.conf" <<CONF
[Interface]
Address = $a
PrivateKey = $(cat "$dir/$id/privatekey-$id")
ListenPort = 51820
DNS = $dns

[Peer]
PublicKey = $(cat "$dir/server/publickey-server")
PresharedKey = $(cat "$dir/$id/presharedkey-$id")
Endpoint = ${ENDPOINT:-${SERVERURL:-vpn.example.org}:${SERVERPORT:-51820}}
AllowedIPs = ${ALLOWEDIPS:-0.0.0.0/0, ::/0}
CONF
		extra=$(eval echo "\${SERVER_ALLOWEDIPS_PEER_$p:-}")
		cat >> "$srv" <<CONF
[Peer]
# $id
PublicKey = $(cat "$dir/$id/publickey-$id")
PresharedKey = $(cat "$dir/$id/presharedkey-$id")
AllowedIPs = $net.$n/32${extra:+,$extra}
CONF
		case ",${PERSISTENTKEEPALIVE_PEERS:-}," in
		,all,|*,$p,*) echo "PersistentKeepalive = 25" >> "$srv" ;;
		esac
		echo >> "$srv"
		chmod 644 "$dir/$id/publickey-$id" "$dir/$id/presharedkey-$id" \
		    "$dir/$id/$id.conf"
		n=$((n + 1))
	done
	chown -R 1000:1000 "$dir"
	umask 022
}

# no_psk DIR ID: that peer as an older container made it, without a
# preshared key, in its conf and the server's.
no_psk()
{
	rm "$1/$2/presharedkey-$2"
	sed -i '/^PresharedKey/d' "$1/$2/$2.conf"
	for f in "$1/wg_confs/wg0.conf" "$1/wg0.conf"; do
		[ -f "$f" ] && sed -i "/^# $2\$/{n;n;/^PresharedKey/d;}" "$f"
	done
	true
}

# lan_if: the interface of this host's default route, which wgd -i
# names for the container's masquerade; empty without one.
lan_if()
{
	ip route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
}

# import_conf [lines inside the interface]: wgd.conf, state in ./state.
import_conf()
{
	lines=$(printf '%s\n' "$@")
	cat > wgd.conf <<CONF
socket "$PWD/wgd.sock"
state-dir "$PWD/state"
interface "wgt0" {
	listen-port 51820
	address ${ADDRESS:-10.13.13.1/24}
$lines
}
CONF
}

# same FILE1 FILE2: the same key, whatever white space follows it.
same()
{
	[ "$(cat "$1")" = "$(cat "$2")" ] ||
	    atf_fail "$2 is not $1: $(cat "$2")"
}

# imported FIXTURE ID NAME ADDRESS: peer NAME holds the fixture's keys.
imported()
{
	d=state/wgt0/peer_$3
	[ "$(stat -c %a "$d")" = 700 ] || atf_fail "$d mode"
	for f in privatekey publickey presharedkey address; do
		[ "$(stat -c %a:%u "$d/$f-peer_$3")" = 600:0 ] ||
		    atf_fail "$d/$f-peer_$3: $(stat -c %a:%u "$d/$f-peer_$3")"
	done
	for f in privatekey publickey presharedkey; do
		same "$1/$2/$f-$2" "$d/$f-peer_$3"
	done
	printf '%s\n' "$4" | cmp -s - "$d/address-peer_$3" ||
	    atf_fail "$3: address $(cat "$d/address-peer_$3")"
}

# paste: the output of wgd -i put into the interface block, as a user
# would; the result must be a good configuration.
paste_into_conf()
{
	sed -i "/^	address /r $1" wgd.conf
	atf_check -s exit:0 -o inline:"configuration OK\n" -e empty \
	    "$WGD" -n -f wgd.conf
}

atf_test_case named
named_head()
{
	import_head ip
	atf_set "descr" "peer_laptop and peer_phone: keys, preshared keys and addresses adopted, files 0600 in folders 0700, peer lines printed"
}
named_body()
{
	container fixture laptop phone
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	head -n 1 out | grep -q '^# .*interface "wgt0"' ||
	    atf_fail "no comment line first: $(cat out)"
	grep -q '^client endpoint "vpn.example.org" port 51820' out ||
	    atf_fail "no client endpoint: $(cat out)"
	# PEERDNS=auto: the phones asked the container at 10.13.13.1.
	grep -q '^client dns tunnel' out || atf_fail "no client dns: $(cat out)"
	grep -q 'client allowed-ips { 0.0.0.0/0, ::/0 }' out ||
	    atf_fail "no client allowed-ips: $(cat out)"
	grep -q '^# address 10.13.13.1/24	# so already' out ||
	    atf_fail "address: $(cat out)"
	grep -q '^# listen-port 51820	# so already' out ||
	    atf_fail "listen-port: $(cat out)"
	if [ -n "$(lan_if)" ]; then
		grep -q "^masquerade on \"$(lan_if)\"" out ||
		    atf_fail "no masquerade: $(cat out)"
	fi
	grep '^peer' out > lines
	printf 'peer "laptop"\npeer "phone"\n' | cmp -s - lines ||
	    atf_fail "peer lines: $(cat lines)"

	[ "$(stat -c %a state)" = 700 ] || atf_fail "state mode"
	[ "$(stat -c %a state/wgt0)" = 700 ] || atf_fail "state/wgt0 mode"
	[ "$(stat -c %a state/wgt0/server)" = 700 ] || atf_fail "server mode"
	for f in privatekey publickey; do
		same fixture/server/$f-server state/wgt0/server/$f-server
		[ "$(stat -c %a state/wgt0/server/$f-server)" = 600 ] ||
		    atf_fail "$f-server mode"
	done
	imported fixture peer_laptop laptop 10.13.13.2
	imported fixture peer_phone phone 10.13.13.3
	ls -a state/wgt0 | grep -q import &&
	    atf_fail "a temporary folder is left"

	# Again: nothing changes, each peer is noted as done.
	cp -Rp state before
	atf_check -s exit:0 -o save:out2 -e empty "$WGD" -i fixture -f wgd.conf
	grep -q '^# peer "laptop" was imported before' out2 ||
	    atf_fail "no note: $(cat out2)"
	diff -r before state > d || atf_fail "state changed: $(cat d)"

	# All of it can be pasted into the interface block.
	paste_into_conf out
	# Then the peers are in the configuration already: no second line.
	atf_check -s exit:0 -o save:out3 -e empty "$WGD" -i fixture -f wgd.conf
	grep -q '^peer' out3 && atf_fail "a peer line again: $(cat out3)"
	paste_into_conf out3
}

atf_test_case numbered
numbered_head()
{
	import_head
	atf_set "descr" "PEERS=2: peer1/ and peer2/ become peers \"peer1\" and \"peer2\"; without a server conf, DNS on the tunnel address still gives client dns tunnel"
}
numbered_body()
{
	container fixture 1 2
	# Without the server conf, the phones' DNS is still the tunnel's.
	rm -r fixture/wg_confs
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	grep -q '^client dns tunnel' out || atf_fail "client dns: $(cat out)"
	grep -q 'no wg_confs/wg0.conf' out || atf_fail "$(cat out)"
	grep '^peer' out > lines
	printf 'peer "peer1"\npeer "peer2"\n' | cmp -s - lines ||
	    atf_fail "peer lines: $(cat lines)"
	imported fixture peer1 peer1 10.13.13.2
	imported fixture peer2 peer2 10.13.13.3
	paste_into_conf out
}

atf_test_case no_preshared_key
no_preshared_key_head()
{
	import_head
	atf_set "descr" "a peer of an older container, without a preshared key, keeps none (all zeros) and is told how to get one"
}
no_preshared_key_body()
{
	container fixture laptop
	no_psk fixture peer_laptop
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	grep -q '^# peer "laptop" has no preshared key' out ||
	    atf_fail "no note: $(cat out)"
	psk=state/wgt0/peer_laptop/presharedkey-peer_laptop
	echo AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= | cmp -s - $psk ||
	    atf_fail "psk: $(cat $psk)"
	paste_into_conf out
}

atf_test_case other_server_key
other_server_key_head()
{
	import_head
	atf_set "descr" "a different server key in the state dir is refused in one line and left alone; nothing is written"
}
other_server_key_body()
{
	container fixture laptop
	import_conf
	umask 077
	mkdir -p state/wgt0/server
	wg genkey > state/wgt0/server/privatekey-server
	cp state/wgt0/server/privatekey-server mine
	atf_check -s exit:1 -o empty -e save:err "$WGD" -i fixture -f wgd.conf
	[ "$(wc -l < err)" -eq 1 ] || atf_fail "not one line: $(cat err)"
	grep -q 'privatekey-server' err || atf_fail "$(cat err)"
	cmp -s mine state/wgt0/server/privatekey-server ||
	    atf_fail "the server key was replaced"
	[ -e state/wgt0/peer_laptop ] && atf_fail "a peer was written"
	true
}

atf_test_case other_peer_keys
other_peer_keys_head()
{
	import_head
	atf_set "descr" "a peer folder with other keys (made by wgd) is refused and left alone"
}
other_peer_keys_body()
{
	container fixture laptop phone
	import_conf
	umask 077
	mkdir -p state/wgt0/peer_phone
	wg genkey > state/wgt0/peer_phone/privatekey-peer_phone
	cp -Rp state before
	atf_check -s exit:1 -o empty -e save:err "$WGD" -i fixture -f wgd.conf
	[ "$(wc -l < err)" -eq 1 ] || atf_fail "not one line: $(cat err)"
	grep -q 'peer_phone' err || atf_fail "$(cat err)"
	diff -r before state > d || atf_fail "state changed: $(cat d)"
}

atf_test_case mismatch
mismatch_head()
{
	import_head
	atf_set "descr" "a public key that is not the private key's, or a conf that disagrees with the key files, is an error naming the file"
}
mismatch_body()
{
	container fixture laptop phone
	import_conf
	wg genkey | wg pubkey > fixture/peer_phone/publickey-peer_phone
	atf_check -s exit:1 -o empty -e match:'publickey-peer_phone' \
	    "$WGD" -i fixture -f wgd.conf
	[ -e state ] && atf_fail "something was written"

	rm -r fixture
	container fixture laptop
	wg genkey | wg pubkey > fixture/server/publickey-server
	atf_check -s exit:1 -o empty -e match:'publickey-server' \
	    "$WGD" -i fixture -f wgd.conf

	rm -r fixture
	container fixture laptop
	sed -i "s|^PresharedKey = .*|PresharedKey = $(wg genpsk)|" \
	    fixture/peer_laptop/peer_laptop.conf
	atf_check -s exit:1 -o empty -e match:'peer_laptop.conf' \
	    "$WGD" -i fixture -f wgd.conf
	[ -e state ] && atf_fail "something was written"
	true
}

atf_test_case bad_key
bad_key_head()
{
	import_head
	atf_set "descr" "key files are read as strictly as wg reads them"
}
bad_key_body()
{
	container fixture laptop
	import_conf
	f=fixture/peer_laptop/privatekey-peer_laptop
	good=$(cat $f)
	for bad in garbage "$good x" "${good%=}" " $good"; do
		printf '%s\n' "$bad" > $f
		atf_check -s exit:1 -o empty -e match:'privatekey-peer_laptop' \
		    "$WGD" -i fixture -f wgd.conf
		[ -e state ] && atf_fail "something was written for '$bad'"
	done
	# Trailing white space is fine, as for wg.
	printf '%s \n\n' "$good" > $f
	atf_check -s exit:0 -o ignore -e empty "$WGD" -i fixture -f wgd.conf
}

atf_test_case symlinks
symlinks_head()
{
	import_head
	atf_set "descr" "a symbolic link in the folder, to a file or a folder out of it, is refused by name and nothing is written; the folder itself may be a link"
}
# refused PATH: PATH of the fixture moved out of it and linked back in.
refused()
{
	mkdir -p outside
	mv "fixture/$1" outside/
	ln -s "$PWD/outside/${1##*/}" "fixture/$1"
	atf_check -s exit:1 -o empty -e match:"^fixture/$1: a symbolic link" \
	    "$WGD" -i fixture -f wgd.conf
	[ -e state ] && atf_fail "something was written for $1"
	rm "fixture/$1"
	mv "outside/${1##*/}" "fixture/$1"
}
symlinks_body()
{
	container fixture laptop
	import_conf
	for f in server server/privatekey-server wg_confs \
	    wg_confs/wg0.conf peer_laptop peer_laptop/peer_laptop.conf \
	    peer_laptop/privatekey-peer_laptop \
	    peer_laptop/publickey-peer_laptop \
	    peer_laptop/presharedkey-peer_laptop; do
		refused $f
	done
	# The folder named on the command line is the user's choice.
	ln -s fixture linked
	atf_check -s exit:0 -o ignore -e empty "$WGD" -i linked -f wgd.conf
	imported fixture peer_laptop laptop 10.13.13.2
}

atf_test_case address_checks
address_checks_head()
{
	import_head
	atf_set "descr" "an address outside the interface's subnets, or one another peer has, is refused with the fix"
}
address_checks_body()
{
	container fixture laptop
	cat > wgd.conf <<CONF
state-dir "$PWD/state"
interface "wgt0" {
	address 10.99.0.1/24
}
CONF
	atf_check -s exit:1 -o empty -e match:'address 10.13.13.1/24' \
	    "$WGD" -i fixture -f wgd.conf
	office=$(wg genkey | wg pubkey)
	import_conf "	peer \"office\" { public-key \"$office\"" \
	    '		allowed-ips 10.13.13.2/32 }'
	atf_check -s exit:1 -o empty -e match:'10.13.13.2.*office' \
	    "$WGD" -i fixture -f wgd.conf
	[ -e state ] && atf_fail "something was written"
	# A managed peer's kept addresses that do not read would stop wgd:
	# they stop the import first.
	import_conf '	peer "tablet"'
	mkdir -p state/wgt0/peer_tablet
	echo garbage > state/wgt0/peer_tablet/address-peer_tablet
	atf_check -s exit:1 -o empty \
	    -e match:'address-peer_tablet:1: not an address' \
	    "$WGD" -i fixture -f wgd.conf
	[ -e state/wgt0/peer_laptop ] && atf_fail "laptop was written"
	true
}

atf_test_case no_interface
no_interface_head()
{
	import_head
	atf_set "descr" "a configuration without an interface is one line that says how to add one"
}
no_interface_body()
{
	container fixture laptop
	echo "state-dir \"$PWD/state\"" > wgd.conf
	atf_check -s exit:1 -o empty -e save:err "$WGD" -i fixture -f wgd.conf
	[ "$(wc -l < err)" -eq 1 ] || atf_fail "not one line: $(cat err)"
	grep -q 'interface "wg0" { address 10.13.13.1/24 }' err ||
	    atf_fail "$(cat err)"
}

atf_test_case wgd_serves_them cleanup
wgd_serves_them_head()
{
	import_head ip pgrep
	atf_set "descr" "wgd started after the import serves the container's keys: no new key, no new QR code"
}
wgd_serves_them_body()
{
	need_user
	container fixture laptop phone
	ns_create
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	paste_into_conf out
	cp -Rp state before
	wgd_start_debug
	parent_pid > /dev/null || atf_fail "no parent"
	server=$(cat fixture/server/publickey-server)
	laptop=$(cat fixture/peer_laptop/publickey-peer_laptop)
	phone=$(cat fixture/peer_phone/publickey-peer_phone)
	cat > expected <<OUT
interface: wgt0
  public key: $server
  listening port: 51820

peer: laptop ($laptop)
  allowed ips: 10.13.13.2/32
  hint: no packet from this peer since wgd started: its conf sends to vpn.example.org:51820; is that this host, with the port forwarded to UDP port 51820 here?

peer: phone ($phone)
  allowed ips: 10.13.13.3/32
  hint: no packet from this peer since wgd started: its conf sends to vpn.example.org:51820; is that this host, with the port forwarded to UDP port 51820 here?
OUT
	atf_check -s exit:0 -o file:expected -e empty wgctl show
	# The keys are the container's still; the new confs hold them.
	for f in privatekey presharedkey publickey address; do
		cmp -s before/wgt0/peer_laptop/$f-peer_laptop \
		    state/wgt0/peer_laptop/$f-peer_laptop ||
		    atf_fail "wgd changed $f-peer_laptop"
	done
	conf=state/wgt0/peer_laptop/peer_laptop.conf
	old=fixture/peer_laptop
	grep -qx "PrivateKey = $(cat $old/privatekey-peer_laptop)" $conf ||
	    atf_fail "not the container's private key in $conf"
	grep -qx "PresharedKey = $(cat $old/presharedkey-peer_laptop)" $conf ||
	    atf_fail "not the container's preshared key in $conf"
	grep -qx "PublicKey = $server" $conf ||
	    atf_fail "not the container's server key in $conf"
}
wgd_serves_them_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case server_conf
server_conf_head()
{
	import_head
	atf_set "descr" "the server conf's per-peer AllowedIPs (SERVER_ALLOWEDIPS_PEER_x) and PersistentKeepalive (PERSISTENTKEEPALIVE_PEERS), a custom INTERNAL_SUBNET, SERVERURL and SERVERPORT are carried into the printed lines; what cannot be carried is named on stderr"
}
server_conf_body()
{
	INTERNAL_SUBNET=10.99.0.0 SERVERURL=home.example.org SERVERPORT=51620 \
	    SERVER_ALLOWEDIPS_PEER_pi=192.168.77.0/24 \
	    PERSISTENTKEEPALIVE_PEERS=pi container fixture phone pi
	srv=fixture/wg_confs/wg0.conf
	# What a user added by hand, which wgd.conf cannot say.
	sed -i 's/^ListenPort = 51820$/&\nMTU = 1380/' $srv
	sed -i 's/^\(PostUp = .*\)$/\1; iptables -A INPUT -p udp -j ACCEPT/' $srv
	cat >> $srv <<CONF
[Peer]
# peer_gone
PublicKey = $(wg genkey | wg pubkey)
AllowedIPs = 10.99.0.9/32

CONF
	ADDRESS=10.99.0.1/24 import_conf
	atf_check -s exit:0 -o save:out -e save:err "$WGD" -i fixture -f wgd.conf
	grep -q '^client endpoint "home.example.org" port 51620' out ||
	    atf_fail "client endpoint: $(cat out)"
	grep -q '^# listen-port 51820	# so already' out ||
	    atf_fail "listen-port: $(cat out)"
	grep -q '^client dns tunnel' out || atf_fail "client dns: $(cat out)"
	printf 'peer "phone"\npeer "pi" {\n\tallowed-ips 192.168.77.0/24\t# SERVER_ALLOWEDIPS_PEER_pi\n\tpersistent-keepalive 25\t# PERSISTENTKEEPALIVE_PEERS\n}\n' > want
	sed -n '/^peer/,$p' out | cmp -s - want ||
	    atf_fail "peers: $(sed -n '/^peer/,$p' out)"
	grep -q "not carried over: $srv:4: MTU = 1380" err ||
	    atf_fail "MTU not named: $(cat err)"
	grep -q "not carried over: $srv:.*PostUp = iptables -A INPUT -p udp -j ACCEPT" err ||
	    atf_fail "PostUp not named: $(cat err)"
	grep -q "not carried over: $srv:.*peer_gone: no peer folder" err ||
	    atf_fail "peer_gone not named: $(cat err)"
	[ "$(wc -l < err)" = 3 ] || atf_fail "more named: $(cat err)"
	imported fixture peer_pi pi 10.99.0.3
	paste_into_conf out
	"$WGD" -nv -f wgd.conf > parsed
	sed -n '/peer "pi"/,/}/p' parsed > pi
	grep -q 'allowed-ips 192.168.77.0/24' pi || atf_fail "$(cat parsed)"
	grep -q 'persistent-keepalive 25' pi || atf_fail "$(cat parsed)"
}

atf_test_case old_layout
old_layout_head()
{
	import_head
	atf_set "descr" "a container from before 2023-10 kept its server conf in wg0.conf, not wg_confs/wg0.conf"
}
old_layout_body()
{
	OLD=1 SERVER_ALLOWEDIPS_PEER_laptop=192.168.50.0/24 \
	    container fixture laptop phone
	no_psk fixture peer_laptop
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	grep -q "from fixture/wg0.conf" out || atf_fail "$(cat out)"
	grep -q '^	allowed-ips 192.168.50.0/24' out || atf_fail "$(cat out)"
	paste_into_conf out
}

atf_test_case phone_keeps_working cleanup
phone_keeps_working_head()
{
	import_head wg-quick wireguard-go ip pgrep ping dnsmasq dig
	atf_set "descr" "wireguard-go set up from the container's own peer confs, one with a preshared key and one from an older container without, reaches wgd and resolves a name at the DNS its conf names (PEERDNS=auto)"
}
phone_keeps_working_body()
{
	need_user
	ENDPOINT=192.168.243.1:51820 container fixture laptop phone
	no_psk fixture peer_phone
	ns_create
	import_conf
	atf_check -s exit:0 -o save:out -e empty "$WGD" -i fixture -f wgd.conf
	paste_into_conf out
	# The host's resolver, on its loopback, as Pi-hole often is.
	ip netns exec "$(ns)" dnsmasq --keep-in-foreground \
	    --conf-file=/dev/null --no-resolv --no-hosts --user=root \
	    --pid-file= --listen-address=127.0.0.1 --bind-interfaces \
	    --address=/nas.home/192.168.1.20 2> dnsmasq.err &
	echo $! > dnsmasq.pid
	echo "nameserver 127.0.0.1" > resolv.conf
	WGD_ENV="WGD_TEST_RESOLV_CONF=$PWD/resolv.conf" wgd_start_debug
	parent_pid > /dev/null || atf_fail "no parent"

	# The phone's side: a namespace on a veth, as in ../net.
	phone_ns="wgdp$$"
	echo "$phone_ns" > phone_netns
	ip netns add "$phone_ns" || atf_fail "ip netns add"
	ip -n "$phone_ns" link set lo up
	ip link add wgdi$$a netns "$(ns)" type veth peer name wgdi$$b \
	    netns "$phone_ns" || atf_fail "ip link add veth"
	ip -n "$(ns)" addr add 192.168.243.1/24 dev wgdi$$a
	ip -n "$phone_ns" addr add 192.168.243.2/24 dev wgdi$$b
	ip -n "$(ns)" link set wgdi$$a up
	ip -n "$phone_ns" link set wgdi$$b up

	n=0
	for id in peer_laptop peer_phone; do
		n=$((n + 1))
		dev="wgi$$$n"
		echo "$dev" >> godev
		ip netns exec "$phone_ns" wireguard-go -f "$dev" > go.log 2>&1 &
		echo $! > go.pid
		i=0
		while ! ip -n "$phone_ns" link show "$dev" >/dev/null 2>&1; do
			[ $i -lt 50 ] || atf_fail "wireguard-go did not start"
			sleep 0.1
			i=$((i + 1))
		done
		# The conf the phone scanned from the container, unchanged.
		conf=fixture/$id/$id.conf
		wg-quick strip "$conf" > stripped
		ip netns exec "$phone_ns" wg setconf "$dev" stripped ||
		    atf_fail "wg setconf: $(cat stripped)"
		a=$(sed -n 's/^Address = //p' "$conf")
		ip -n "$phone_ns" addr add "${a%/32}/32" dev "$dev"
		ip -n "$phone_ns" link set "$dev" up
		ip -n "$phone_ns" route add 10.13.13.0/24 dev "$dev"
		ip netns exec "$phone_ns" ping -c 3 -i 0.3 -w 10 10.13.13.1 \
		    > ping.out 2>&1 ||
		    atf_fail "$id: no ping through wgd: $(tail -n 1 ping.out)"
		dns=$(sed -n 's/^DNS = //p' "$conf")
		out=$(ip netns exec "$phone_ns" dig +short +time=2 +tries=2 \
		    @"$dns" nas.home 2>&1)
		[ "$out" = 192.168.1.20 ] ||
		    atf_fail "$id: no name through wgd at $dns: $out"
		kill "$(cat go.pid)"
		wait "$(cat go.pid)" 2>/dev/null
		rm -f go.pid
	done
	wgctl show | grep -c 'latest handshake' > n
	[ "$(cat n)" -eq 2 ] || atf_fail "handshakes: $(wgctl show)"
}
phone_keeps_working_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	[ -f go.pid ] && kill "$(cat go.pid)" 2>/dev/null
	if [ -f godev ]; then
		for dev in $(cat godev); do
			rm -f "/var/run/wireguard/$dev.sock"
		done
	fi
	[ -f phone_netns ] && ip netns del "$(cat phone_netns)" 2>/dev/null
	[ -f dnsmasq.pid ] && kill "$(cat dnsmasq.pid)" 2>/dev/null
	ns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case named
	atf_add_test_case numbered
	atf_add_test_case server_conf
	atf_add_test_case old_layout
	atf_add_test_case no_preshared_key
	atf_add_test_case other_server_key
	atf_add_test_case other_peer_keys
	atf_add_test_case mismatch
	atf_add_test_case bad_key
	atf_add_test_case symlinks
	atf_add_test_case address_checks
	atf_add_test_case no_interface
	atf_add_test_case wgd_serves_them
	atf_add_test_case phone_keeps_working
}
