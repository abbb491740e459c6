#! /usr/bin/env atf-sh
#
# wgctl against a running wgd: show, reload as a transaction, the log
# level, the restricted socket, and clients that send garbage.

. "$(atf_get_srcdir)/lib.sh"

OFFICE=B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=

control_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip pgrep ss"
}

start()
{
	need_user
	ns_create
	write_conf "$@"
	wgd_start
}

atf_test_case show cleanup
show_head()
{
	control_head
	atf_set "descr" "wgctl show, show interface, show peer, in the layout of wg show"
}
show_body()
{
	start
	pub=$(cat state/wgt0/server/publickey-server)
	laptop=$(cat state/wgt0/peer_laptop/publickey-peer_laptop)
	cat > expected <<OUT
interface: wgt0
  public key: $pub
  listening port: 51820

peer: laptop ($laptop)
  allowed ips: 10.13.13.2/32, fd00:13::2/128
  hint: no packet from this peer since wgd started: is UDP port 51820 forwarded to this host?

peer: office ($OFFICE)
  endpoint: 192.0.2.1:51820
  allowed ips: 10.13.13.50/32, 192.168.50.0/24
  persistent keepalive: every 25 seconds
  hint: no answer from 192.0.2.1:51820 since wgd started: is the peer up, and its UDP port open to this host?
OUT
	atf_check -s exit:0 -o file:expected -e empty wgctl show
	# Abbreviations, as bgpctl takes them.
	atf_check -s exit:0 -o file:expected -e empty wgctl sh
	atf_check -s exit:0 -o file:expected -e empty wgctl show interface wgt0
	atf_check -s exit:0 -o file:expected -e empty wgctl sh i wgt0

	cat > expected <<OUT
interface: wgt0
  public key: $pub
  listening port: 51820

peer: office ($OFFICE)
  endpoint: 192.0.2.1:51820
  allowed ips: 10.13.13.50/32, 192.168.50.0/24
  persistent keepalive: every 25 seconds
  hint: no answer from 192.0.2.1:51820 since wgd started: is the peer up, and its UDP port open to this host?
OUT
	atf_check -s exit:0 -o file:expected -e empty wgctl show peer office

	atf_check -s exit:1 -o empty -e match:'^wgctl: .*"nosuch"' \
	    wgctl show peer nosuch
	atf_check -s exit:1 -o empty -e match:'^wgctl: .*"wgt9"' \
	    wgctl show interface wgt9
}
show_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case show_json cleanup
show_json_head()
{
	control_head
	atf_set "descr" "wgctl show -j: one JSON object with stable keys"
}
show_json_body()
{
	start
	pub=$(cat state/wgt0/server/publickey-server)
	atf_check -s exit:0 -o save:json -e empty wgctl show -j
	atf_check -s exit:0 -o save:json2 -e empty wgctl -j show
	cmp -s json json2 || atf_fail "-j before and after the command differ"
	for want in '"interfaces":\[' "\"name\":\"wgt0\"" \
	    "\"public_key\":\"$pub\"" '"listen_port":51820' \
	    '"name":"laptop"' "\"public_key\":\"$OFFICE\"" \
	    '"endpoint":"192.0.2.1:51820"' \
	    '"allowed_ips":\["10.13.13.50/32","192.168.50.0/24"\]' \
	    '"persistent_keepalive":25'; do
		grep -q "$want" json || atf_fail "no $want in $(cat json)"
	done
	[ "$(wc -l < json)" -eq 1 ] || atf_fail "not one line: $(cat json)"
}
show_json_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	control_head
	atf_set "descr" "wgctl reload applies a good file as a difference and prints one line per change"
}
reload_body()
{
	start
	# Change office's allowed-ips, add a peer and an interface.
	sed -i 's|192.168.50.0/24|192.168.60.0/24|' wgd.conf
	sed -i 's|^	peer "laptop"$|	peer "laptop"\n	peer "phone"|' wgd.conf
	cat >> wgd.conf <<CONF
interface "wgt1" {
	listen-port 51821
	address 10.14.0.1/24
}
CONF
	atf_check -s exit:0 -o save:out -e empty wgctl reload
	for line in "interface wgt1: added" "peer office: allowed-ips changed" \
	    "peer phone: added"; do
		grep -qx "$line" out || atf_fail "no '$line' in: $(cat out)"
	done
	grep -qx "peer phone: client configuration in $PWD/state/wgt0/peer_phone/peer_phone.conf, QR code in peer_phone.png" out ||
	    atf_fail "no line for phone's files: $(cat out)"
	[ "$(wc -l < out)" -eq 4 ] || atf_fail "more than 4 lines: $(cat out)"
	ip -n "$(ns)" route show 192.168.60.0/24 | grep -q wgt0 ||
	    atf_fail "no route for the new allowed-ips"
	ip -n "$(ns)" route | grep -q 192.168.50.0 &&
	    atf_fail "the old route is still there"
	ip -n "$(ns)" -o addr show dev wgt1 | grep -q 10.14.0.1/24 ||
	    atf_fail "wgt1 is not up"
	wgctl show peer phone | grep -q '^peer: phone' ||
	    atf_fail "phone is not shown"

	# Removing an interface and changing a port.
	sed -i '/^interface "wgt1"/,$d' wgd.conf
	sed -i 's/listen-port 51820/listen-port 51999/' wgd.conf
	atf_check -s exit:0 -o save:out -e empty wgctl reload
	grep -qx "interface wgt1: removed" out || atf_fail "$(cat out)"
	grep -qx "interface wgt0: listen-port changed" out ||
	    atf_fail "$(cat out)"
	ip netns exec "$(ns)" ss -Hlun | grep -q ':51999' ||
	    atf_fail "not listening on the new port"
	ip netns exec "$(ns)" ss -Hlun | grep -q ':51820' &&
	    atf_fail "still listening on the old port"
	i=0
	while ip -n "$(ns)" link show wgt1 >/dev/null 2>&1; do
		[ $i -lt 20 ] || atf_fail "wgt1 is still there"
		sleep 0.1
		i=$((i + 1))
	done

	atf_check -s exit:0 -o inline:"no changes\n" -e empty wgctl reload

	# A renamed interface takes its port along in the same reload.
	sed -i 's/interface "wgt0"/interface "wgt2"/' wgd.conf
	atf_check -s exit:0 -o save:out -e empty wgctl reload
	grep -qx "interface wgt0: removed" out || atf_fail "$(cat out)"
	grep -qx "interface wgt2: added" out || atf_fail "$(cat out)"
	ip -n "$(ns)" -o addr show dev wgt2 | grep -q 10.13.13.1/24 ||
	    atf_fail "wgt2 is not up"
	ip netns exec "$(ns)" ss -Hlun | grep -q ':51999' ||
	    atf_fail "the port was lost"

	# Two interfaces swap their ports.
	cat >> wgd.conf <<CONF
interface "wgt3" {
	listen-port 51998
	address 10.15.0.1/24
}
CONF
	atf_check -s exit:0 -o ignore -e empty wgctl reload
	sed -i 's/listen-port 51999/listen-port 51997/; s/listen-port 51998/listen-port 51999/; s/listen-port 51997/listen-port 51998/' wgd.conf
	atf_check -s exit:0 -o save:out -e empty wgctl reload
	grep -qx "interface wgt2: listen-port changed" out ||
	    atf_fail "$(cat out)"
	grep -qx "interface wgt3: listen-port changed" out ||
	    atf_fail "$(cat out)"
	wgctl show interface wgt2 | grep -qx '  listening port: 51998' ||
	    atf_fail "$(wgctl show interface wgt2)"
}
reload_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case reload_threads cleanup
reload_threads_head()
{
	control_head
	atf_set "descr" "a new engine-threads waits for a restart, and wgctl reload says so"
}
reload_threads_body()
{
	start
	sed -i '1i engine-threads 3' wgd.conf
	atf_check -s exit:0 -o inline:"no changes\n" -e save:err wgctl reload
	grep -qx "wgctl: engine-threads 3 takes effect when wgd restarts" err ||
	    atf_fail "no word of engine-threads: $(cat err)"
	# Nothing else changed, and wgd still runs as it did.
	atf_check -s exit:0 -o ignore -e empty wgctl show
}
reload_threads_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case reload_bad_file cleanup
reload_bad_file_head()
{
	control_head
	atf_set "descr" "a bad file is refused with file:line errors and exit 1; the running configuration stays"
}
reload_bad_file_body()
{
	start
	wgctl show > before
	cp wgd.conf good.conf
	sed -i 's|192.168.50.0/24|192.168.50.0/33|' wgd.conf
	echo "bogus line" >> wgd.conf
	atf_check -s exit:1 -o empty -e save:err wgctl reload
	grep -q "^wgctl: $PWD/wgd.conf:[0-9]*: bad prefix \"192.168.50.0/33\"" \
	    err || atf_fail "no bad prefix error: $(cat err)"
	grep -q "^wgctl: $PWD/wgd.conf:[0-9]*: unknown keyword \"bogus\"" \
	    err || atf_fail "no unknown keyword error: $(cat err)"
	wgctl show > after
	cmp -s before after || atf_fail "the running configuration changed"
	ip -n "$(ns)" route show 192.168.50.0/24 | grep -q wgt0 ||
	    atf_fail "the route went away"

	# SIGHUP takes the same path.
	kill -HUP "$(cat parent.pid)"
	sleep 0.3
	wgctl show > after
	cmp -s before after || atf_fail "SIGHUP applied a bad file"
	cp good.conf wgd.conf
	sed -i 's/persistent-keepalive 25/persistent-keepalive 30/' wgd.conf
	kill -HUP "$(cat parent.pid)"
	i=0
	until wgctl show peer office | grep -q 'every 30 seconds'; do
		[ $i -lt 20 ] || atf_fail "SIGHUP did not reload"
		sleep 0.1
		i=$((i + 1))
	done
}
reload_bad_file_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case restricted cleanup
restricted_head()
{
	control_head
	atf_set "descr" "the restricted socket is 0666 and answers show only"
}
restricted_body()
{
	start
	"$WGCTL" -s "$PWD/wgd.rsock" show > rshow || atf_fail "show refused"
	wgctl show | cmp -s - rshow || atf_fail "restricted show differs"
	# For an unprivileged collector: metrics through the restricted one.
	"$WGCTL" -s "$PWD/wgd.rsock" show metrics > metrics ||
	    atf_fail "show metrics refused"
	grep -q '^wgd_peer_connected{interface="wgt0",peer="office"} 0$' \
	    metrics || atf_fail "$(cat metrics)"
	for cmd in reload "log verbose"; do
		# shellcheck disable=SC2086
		atf_check -s exit:1 -o empty -e save:err \
		    "$WGCTL" -s "$PWD/wgd.rsock" $cmd
		[ "$(wc -l < err)" -eq 1 ] || atf_fail "$cmd: $(cat err)"
		grep -q restricted err || atf_fail "$cmd: $(cat err)"
	done
}
restricted_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case log_level cleanup
log_level_head()
{
	control_head
	atf_set "descr" "wgctl log verbose / brief switch debug logging in all three processes"
}
log_level_body()
{
	need_user
	ns_create
	write_conf
	wgd_start_debug
	parent_pid > /dev/null
	wgctl show > /dev/null
	grep -q 'control: client' log && atf_fail "debug lines before verbose"
	atf_check -s exit:0 -o empty -e empty wgctl log verbose
	grep -q 'log level verbose' log || atf_fail "parent: $(cat log)"
	wgctl show > /dev/null
	grep -q 'control: client [0-9]* connected' log ||
	    atf_fail "no debug line from control: $(cat log)"
	wgctl reload > /dev/null
	grep -q 'configuration applied' log ||
	    atf_fail "no debug line from the engine: $(cat log)"
	atf_check -s exit:0 -o empty -e empty wgctl log brief
	n=$(grep -c 'control: client' log)
	wgctl show > /dev/null
	[ "$(grep -c 'control: client' log)" -eq "$n" ] ||
	    atf_fail "debug lines after brief"
}
log_level_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case bad_clients cleanup
bad_clients_head()
{
	control_head
	atf_set "descr" "malformed requests close that connection with a log line; wgd and other clients go on"
}
bad_clients_body()
{
	need_user
	ns_create
	write_conf
	wgd_start_debug
	parent_pid > /dev/null
	wgctl show > before
	for how in size type toolong short garbage unterminated; do
		"$BADCLIENT" "$PWD/wgd.sock" $how ||
		    atf_fail "$how: the connection stayed open"
		"$BADCLIENT" "$PWD/wgd.rsock" $how ||
		    atf_fail "$how: the restricted connection stayed open"
		wgctl show | cmp -s - before ||
		    atf_fail "$how: show differs afterwards"
	done
	for p in $(cat parent.pid) $(child_pid engine) $(child_pid control); do
		running $p || atf_fail "a process died"
	done
	n=$(grep -c 'control: client [0-9]*: ' log)
	[ "$n" -ge 12 ] || atf_fail "only $n log lines: $(cat log)"
}
bad_clients_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case key_persists cleanup
key_persists_head()
{
	control_head
	atf_set "descr" "a generated interface key is reused on every start"
}
key_persists_body()
{
	start
	first=$(wgctl show | sed -n 's/^  public key: //p')
	[ -n "$first" ] || atf_fail "no public key shown"
	[ "$first" = "$(cat state/wgt0/server/publickey-server)" ] ||
	    atf_fail "show and publickey-server disagree"
	kill "$(cat parent.pid)"
	gone_within_2s "$(cat parent.pid)" || atf_fail "wgd did not stop"
	wgd_start
	[ "$(wgctl show | sed -n 's/^  public key: //p')" = "$first" ] ||
	    atf_fail "a new key after a restart"
	# A key file that does not parse stops wgd, never a silent new key.
	kill "$(cat parent.pid)"
	gone_within_2s "$(cat parent.pid)" || atf_fail "wgd did not stop"
	echo garbage > state/wgt0/server/privatekey-server
	atf_check -s not-exit:0 -o empty -e match:privatekey-server \
	    ip netns exec "$(ns)" "$WGD" -f "$PWD/wgd.conf"
	grep -q garbage state/wgt0/server/privatekey-server ||
	    atf_fail "the bad key file was replaced"
}
key_persists_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case bad_address_file cleanup
bad_address_file_head()
{
	control_head
	atf_set "descr" "an address-peer_NAME that does not parse fails a reload and stops a start, naming the file; it is never replaced"
}
bad_address_file_body()
{
	need_user
	ns_create
	write_conf
	wgd_start_debug
	parent_pid > /dev/null || atf_fail "no parent"
	f=state/wgt0/peer_laptop/address-peer_laptop
	[ -s $f ] || atf_fail "no $f"
	wgctl show > before
	printf '10.13.13.2\nfd00:13::zz\n' > $f
	atf_check -s exit:1 -o empty -e match:'cannot provision' wgctl reload
	grep -q "$f:2: not an address" log ||
	    atf_fail "the log does not name $f: $(cat log)"
	wgctl show > after
	cmp -s before after || atf_fail "the running configuration changed"
	printf '10.13.13.2\nfd00:13::zz\n' | cmp -s - $f ||
	    atf_fail "$f was replaced: $(cat $f)"

	kill "$(cat parent.pid)"
	gone_within_2s "$(cat parent.pid)" || atf_fail "wgd did not stop"
	atf_check -s not-exit:0 -o empty -e match:"$f:2: not an address" \
	    ip netns exec "$(ns)" "$WGD" -f "$PWD/wgd.conf"
	printf '10.13.13.2\nfd00:13::zz\n' | cmp -s - $f ||
	    atf_fail "$f was replaced: $(cat $f)"
	# A blank line left by an editor is no error.
	printf '10.13.13.2\n\nfd00:13::2\n' > $f
	wgd_start
	wgctl show peer laptop | grep -q 'allowed ips: 10.13.13.2/32' ||
	    atf_fail "laptop lost its address: $(wgctl show peer laptop)"
}
bad_address_file_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case show
	atf_add_test_case show_json
	atf_add_test_case reload
	atf_add_test_case reload_threads
	atf_add_test_case reload_bad_file
	atf_add_test_case restricted
	atf_add_test_case log_level
	atf_add_test_case bad_clients
	atf_add_test_case key_persists
	atf_add_test_case bad_address_file
}
