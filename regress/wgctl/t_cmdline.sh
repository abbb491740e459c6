#! /usr/bin/env atf-sh
#
# wgctl's daemon commands: the command line, the request each command
# sends and what wgctl makes of the replies, against fakewgd, a stand-in
# for wgd's control socket that answers with canned messages, well-formed
# or not.

# The wgctl under test comes first in PATH, for atf_check too.
use_build()
{
	PATH="$(atf_get_srcdir)/../../wgctl:$PATH"
	export PATH
	fakewgd="$(atf_get_srcdir)/fakewgd"
	[ -x "$fakewgd" ] || atf_fail "$fakewgd is not built"
}

# Starts fakewgd on ./sock for one connection; it writes the request it
# gets to ./req.
serve()
{
	"$fakewgd" sock "$1" req || atf_fail "fakewgd $1 did not start"
}

# Fails unless file $1 holds exactly one line starting with "wgctl: ".
one_line()
{
	[ "$(wc -l < "$1")" -eq 1 ] ||
	    atf_fail "not one line on stderr: $(cat "$1")"
	grep -q '^wgctl: ' "$1" || atf_fail "no program name: $(cat "$1")"
}

KEY0=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
KEY32=ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=
KEY64=QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=
KEY96=YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8=

# The JSON of an interface that dropped nothing, of a peer without a
# handshake or traffic.
DROPS0='"drops":{"short":0,"bad_type":0,"bad_mac1":0,"cookie_sent":0,'\
'"rate_limited":0,"bad_handshake":0,"unknown_peer":0,'\
'"replayed_handshake":0,"unknown_index":0,"expired_session":0,'\
'"bad_auth":0,"replayed":0,"bad_inner_packet":0,'\
'"source_not_allowed":0,"no_route":0,"no_endpoint":0,"queue_full":0,'\
'"io_error":0,"handshake_timeout":0}'
STATS0='"latest_handshake":0,"transfer_rx":0,"transfer_tx":0,"runtime":false,"disabled":false'

# What fakewgd's peer scenarios send, to ./conf.want.
conf_want()
{
	cat > conf.want <<EOF
[Interface]
Address = 10.13.13.2/32, fd00:13::2/128
PrivateKey = $KEY0
DNS = 10.13.13.1

[Peer]
PublicKey = $KEY32
PresharedKey = $KEY64
Endpoint = vpn.example.org:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
EOF
}

# Fails unless zbarimg reads the QR code in image $1 as conf.want.
# zbarimg ends what it read with a newline of its own.
scans_to_conf()
{
	{ cat conf.want; echo; } > scan.want
	atf_check -s exit:0 -o file:scan.want -e empty \
	    zbarimg --raw -q --nodbus "$1"
}

# Turns the half blocks of file $1 into ./qr.map, a letter a cell: U
# (upper half light), L (lower half light), F (full), D (dark, blank).
# Fails on any other character.
qr_map()
{
	sed -e 's/\xe2\x96\x80/U/g' -e 's/\xe2\x96\x84/L/g' \
	    -e 's/\xe2\x96\x88/F/g' -e 's/ /D/g' "$1" > qr.map
	if LC_ALL=C grep -q '[^ULFD]' qr.map; then
		cat "$1" >&2
		atf_fail "not only half blocks and spaces"
	fi
}

atf_test_case no_daemon
no_daemon_head()
{
	atf_set "descr" "without a daemon every daemon command fails with one line naming the socket, and exit 1"
}
no_daemon_body()
{
	use_build
	for cmd in "show" "show interface wg0" "show peer laptop" "reload" \
	    "log verbose" "log brief" "-j show" "peer laptop conf" \
	    "peer laptop qr" "peer laptop png out.png"; do
		atf_check -s exit:1 -o empty -e save:err \
		    wgctl -s /nonexistent/wgd.sock $cmd
		one_line err
		grep -q '^wgctl: connect /nonexistent/wgd.sock: ' err ||
		    atf_fail "$cmd: $(cat err)"
	done
	[ ! -e out.png ] || atf_fail "png made its file without a reply"
	# Not a socket, and a path too long for one.
	touch plain
	atf_check -s exit:1 -o empty -e match:'^wgctl: connect plain: ' \
	    wgctl -s plain show
	long=$(printf '%0200d' 0)
	atf_check -s exit:1 -o empty -e save:err wgctl -s "/$long" show
	one_line err
	grep -q "^wgctl: connect /$long: " err || atf_fail "$(cat err)"
	# The default socket is the one SPEC names.
	if [ ! -e /var/run/wgd.sock ]; then
		atf_check -s exit:1 -o empty \
		    -e match:'^wgctl: connect /var/run/wgd.sock: ' wgctl show
	fi
}

atf_test_case bad_words
bad_words_head()
{
	atf_set "descr" "unknown, ambiguous and missing words and bad names fail with one line before any connection"
}
bad_words_body()
{
	use_build
	long=$(printf 'a%.0s' $(seq 65))
	# Each case: the words, then what stderr must match.
	while IFS='|' read -r words want; do
		eval "set -- $words"
		atf_check -s exit:1 -o empty -e save:err \
		    wgctl -s /nonexistent/wgd.sock "$@"
		one_line err
		grep -q -- "$want" err ||
		    atf_fail "wgctl $words: want '$want', got: $(cat err)"
	done <<EOF
frobnicate|unknown argument "frobnicate": valid are doctor, genkey, genpsk, log, peer, pubkey, reload, show
gen|ambiguous argument "gen"
p|ambiguous argument "p": valid are
p laptop conf|ambiguous argument "p"
''|unknown argument ""
show frob|unknown argument "frob": valid are interface, metrics, peer
show wg0|unknown argument "wg0"
show peer|missing argument: a peer name
show peer -j|missing argument: a peer name
sh p|missing argument: a peer name
show interface|missing argument: an interface name
log|missing argument: one of brief, verbose
log x|unknown argument "x": valid are brief, verbose
reload now|unexpected argument "now"
show peer laptop extra|unexpected argument "extra"
show peer 'lap top'|bad peer name "lap top"
show peer a/b|bad peer name "a/b"
show peer ''|bad peer name ""
show peer $long|bad peer name "$long"
show interface ''|bad interface name ""
show interface 0123456789abcdef|bad interface name "0123456789abcdef"
show interface a/b|bad interface name "a/b"
show interface wg:0|bad interface name "wg:0"
peer|missing argument: a peer name
peer laptop|missing argument: one of conf, png, qr
pe laptop -j|missing argument: one of conf, png, qr
peer laptop frob|unknown argument "frob": valid are conf, png, qr
peer laptop p|missing argument: a file name
peer laptop png|missing argument: a file name
peer laptop png -j|missing argument: a file name
peer laptop png ''|bad file name ""
peer laptop png a b|unexpected argument "b"
peer laptop conf x|unexpected argument "x"
peer laptop qr x|unexpected argument "x"
peer 'lap top' conf|bad peer name "lap top"
peer '' conf|bad peer name ""
peer $long qr|bad peer name "$long"
peer conf|missing argument: one of conf, png, qr
EOF
	atf_check -s exit:1 -o empty -e match:'^usage: wgctl' wgctl -x show
	atf_check -s exit:1 -o empty -e match:'^usage: wgctl' wgctl -s
	atf_check -s exit:1 -o empty -e match:'^usage: wgctl' wgctl -j
}

atf_test_case requests
requests_head()
{
	atf_set "descr" "each command and its abbreviations send the request wgd expects; -j may stand anywhere"
}
requests_body()
{
	use_build
	while IFS='|' read -r words want; do
		serve empty
		atf_check -s exit:0 -o save:out -e empty wgctl -s sock $words
		atf_check -o inline:"$want\n" cat req
	done <<EOF
show|show all
sh|show all
s|show all
show interface wg0|show interface wg0
sh int wg0|show interface wg0
sh i wg0|show interface wg0
show peer laptop|show peer laptop
sh p laptop|show peer laptop
sh pe a.B_c-9|show peer a.B_c-9
show peer $(printf 'a%.0s' $(seq 64))|show peer $(printf 'a%.0s' $(seq 64))
show interface 0123456789abcde|show interface 0123456789abcde
reload|reload
rel|reload
r|reload
log verbose|log verbose 1
log v|log verbose 1
l v|log verbose 1
log brief|log verbose 0
lo b|log verbose 0
EOF
	# -j in every position selects JSON; without it, text.
	for words in "-j show" "show -j" "sh int -j wg0" "sh int wg0 -j" \
	    "-j sh -j p laptop"; do
		serve empty
		atf_check -s exit:0 -o inline:'{"interfaces":[]}\n' -e empty \
		    wgctl -s sock $words
	done
	serve empty
	atf_check -s exit:0 -o empty -e empty wgctl -s sock show
	atf_check -o inline:"show all\n" cat req
	# A peer whose name looks like an option is still a name.
	serve empty
	atf_check -s exit:0 -o empty -e empty wgctl -s sock show peer -x
	atf_check -o inline:"show peer -x\n" cat req
}

atf_test_case show_text
show_text_head()
{
	atf_set "descr" "show prints interfaces and peers in the layout of wg show"
}
show_text_body()
{
	use_build
	cat > want <<EOF
interface: wg0
  public key: $KEY0
  listening port: 51820

peer: laptop ($KEY32)
  endpoint: 203.0.113.7:44524
  allowed ips: 10.13.13.2/32, 192.168.50.0/24, fd00:13::/64
  persistent keepalive: every 25 seconds

peer: phone
  allowed ips: (none)

interface: wg1
  public key: $KEY96
  listening port: 51821
EOF
	serve show
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show
}

atf_test_case show_json
show_json_head()
{
	atf_set "descr" "show -j prints one JSON object with peers nested under their interface"
}
show_json_body()
{
	use_build
	# One line in the file; pieces here for readability.
	{
		printf '{"interfaces":['
		printf '{"name":"wg0","public_key":"%s",' $KEY0
		printf '"listen_port":51820,%s,"peers":[' "$DROPS0"
		printf '{"name":"laptop","public_key":"%s",' $KEY32
		printf '"endpoint":"203.0.113.7:44524",'
		printf '"allowed_ips":["10.13.13.2/32","192.168.50.0/24",'
		printf '"fd00:13::/64"],"persistent_keepalive":25,'
		printf '%s},' "$STATS0"
		printf '{"name":"phone","public_key":null,"endpoint":null,'
		printf '"allowed_ips":[],"persistent_keepalive":0,%s}]},' \
		    "$STATS0"
		printf '{"name":"wg1","public_key":"%s",' $KEY96
		printf '"listen_port":51821,%s,"peers":[]}' "$DROPS0"
		printf ']}\n'
	} > want
	serve show
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show -j
}

atf_test_case show_runtime
show_runtime_head()
{
	atf_set "descr" "a peer added through wg(8) is shown by its key, marked (runtime); in JSON its name is null"
}
show_runtime_body()
{
	use_build
	cat > want <<EOF
interface: wg0
  public key: $KEY0
  listening port: 1

peer: ($KEY32) (runtime)
  endpoint: 192.0.2.9:7
  allowed ips: (none)
EOF
	serve runtime
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show
	{
		printf '{"interfaces":['
		printf '{"name":"wg0","public_key":"%s",' $KEY0
		printf '"listen_port":1,%s,"peers":[' "$DROPS0"
		printf '{"name":null,"public_key":"%s",' $KEY32
		printf '"endpoint":"192.0.2.9:7","allowed_ips":[],'
		printf '"persistent_keepalive":0,%s' "$STATS0" |
		    sed 's/"runtime":false/"runtime":true/'
		printf '}]}]}\n'
	} > want
	serve runtime
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show -j
}

atf_test_case show_disabled
show_disabled_head()
{
	atf_set "descr" "a peer disabled in wgd.conf gets SPEC's hint; show -j says disabled"
}
show_disabled_body()
{
	use_build
	cat > want <<EOF
interface: wg0
  public key: $KEY0
  listening port: 1

peer: guest ($KEY32)
  allowed ips: (none)
  hint: disabled in wgd.conf
EOF
	serve disabled
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show
	serve disabled
	wgctl -s sock show -j > json || atf_fail "show -j"
	grep -q '"name":"guest",.*"runtime":false,"disabled":true,"hint":"disabled in wgd.conf"}' json ||
	    atf_fail "$(cat json)"
}

atf_test_case show_metrics
show_metrics_head()
{
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "descr" "show metrics: every counter of show -j in the Prometheus text format 0.0.4, read by Debian's python3-prometheus-client with every family typed, and clean for promtool check metrics"
}
show_metrics_body()
{
	use_build
	serve show-stats
	atf_check -s exit:0 -o save:metrics -e empty wgctl -s sock show metrics
	# 0.0.4: the TYPE line names the _total sample; no EOF, no time.
	grep -qx '# TYPE wgd_drops_total counter' metrics ||
	    atf_fail "$(cat metrics)"
	grep -q '^# EOF' metrics && atf_fail "an OpenMetrics EOF"
	awk '!/^#/ && NF != 2 { exit 1 }' metrics ||
	    atf_fail "a sample with a timestamp: $(cat metrics)"
	/usr/bin/python3 "$(atf_get_srcdir)/metrics.py" < metrics > parsed ||
	    atf_fail "does not parse: $(cat metrics)"
	for l in 'wgd_drops_total{interface="wg0",reason="short"} 1000.0' \
	    'wgd_drops_total{interface="wg0",reason="io_error"} 1.8446744073709552e+19' \
	    'wgd_drops_total{interface="wg1",reason="short"} 0.0' \
	    'wgd_peer_receive_bytes_total{interface="wg0",peer="laptop"} 1268777.0' \
	    'wgd_peer_transmit_bytes_total{interface="wg0",peer="laptop"} 3565158.0' \
	    'wgd_peer_connected{interface="wg0",peer="laptop"} 0.0' \
	    'wgd_peer_latest_handshake_seconds{interface="wg0",peer="office"} 0.0' \
	    'wgd_handshakes_sent_total{interface="wg1"} 0.0'; do
		grep -qxF "$l" parsed || atf_fail "no $l: $(cat parsed)"
	done
	[ "$(grep -c '^wgd_drops_total' parsed)" = 38 ] ||
	    atf_fail "not every drop reason of both interfaces"
	# Prometheus's own linter, from Debian's package (make deps).
	promtool="$(atf_get_srcdir)/../../.obj/promtool/promtool"
	[ -x "$promtool" ] ||
	    atf_fail "no $promtool: make deps takes it out of prometheus.deb"
	atf_check -s exit:0 -o empty -e empty "$promtool" check metrics \
	    < metrics
}

atf_test_case show_stats_text
show_stats_text_head()
{
	atf_set "descr" "show prints the latest handshake and the transfer as wg show does, in SPEC's order"
}
show_stats_text_body()
{
	use_build
	cat > want <<EOF
interface: wg0
  public key: $KEY0
  listening port: 51820

peer: laptop ($KEY32)
  endpoint: 203.0.113.7:44524
  allowed ips: 10.13.13.2/32
  latest handshake: AGO
  transfer: 1.21 MiB received, 3.40 MiB sent
  persistent keepalive: every 25 seconds

peer: phone
  allowed ips: (none)
  latest handshake: (System clock wound backward; connection problems may ensue.)
  transfer: 1.00 KiB received, 0 B sent

peer: office ($KEY64)
  endpoint: [2001:db8::1]:51820
  allowed ips: 10.13.13.50/32, fd00:13::/64
  transfer: 0 B received, 16777216.00 TiB sent

interface: wg1
  public key: $KEY96
  listening port: 51821
EOF
	serve show-stats
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock show
	# fakewgd sent a handshake 3725 s old; a slow run adds seconds.
	ago='1 hour, 2 minutes, [5-9] seconds ago'
	if ! grep -q "^  latest handshake: $ago\$" out; then
		cat out >&2
		atf_fail "no latest handshake 1 hour, 2 minutes, 5 seconds ago"
	fi
	sed "s/^\(  latest handshake: \)$ago\$/\1AGO/" out > out.ago
	atf_check -o file:want cat out.ago
}

atf_test_case show_stats_json
show_stats_json_head()
{
	atf_set "descr" "show -j prints every drop counter by name and each peer's handshake time and byte counts"
}
show_stats_json_body()
{
	use_build
	serve show-stats
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock -j show
	after=$(date +%s)
	# The handshake times fakewgd sent are its clock -3725 and +3600.
	set -- $(grep -o '"latest_handshake":[0-9]*' out | cut -d: -f2)
	if [ $# -ne 3 ]; then
		cat out >&2
		atf_fail "not 3 latest_handshake keys"
	fi
	laptop=$1 phone=$2
	[ $((after - 3725 - laptop)) -ge 0 ] &&
	    [ $((after - 3725 - laptop)) -le 10 ] ||
	    atf_fail "laptop's handshake $laptop, now $after"
	[ $((phone - laptop)) -eq 7325 ] ||
	    atf_fail "phone's handshake $phone, laptop's $laptop"
	[ "$3" = 0 ] || atf_fail "office's handshake $3, not 0"
	{
		printf '{"interfaces":['
		printf '{"name":"wg0","public_key":"%s",' $KEY0
		printf '"listen_port":51820,"drops":{'
		printf '"short":1000,"bad_type":1001,"bad_mac1":1002,'
		printf '"cookie_sent":1003,"rate_limited":1004,'
		printf '"bad_handshake":1005,"unknown_peer":1006,'
		printf '"replayed_handshake":1007,"unknown_index":1008,'
		printf '"expired_session":1009,"bad_auth":1010,"replayed":1011,'
		printf '"bad_inner_packet":1012,"source_not_allowed":1013,'
		printf '"no_route":1014,"no_endpoint":1015,"queue_full":1016,'
		printf '"io_error":18446744073709551615,'
		printf '"handshake_timeout":1018},"peers":['
		printf '{"name":"laptop","public_key":"%s",' $KEY32
		printf '"endpoint":"203.0.113.7:44524",'
		printf '"allowed_ips":["10.13.13.2/32"],'
		printf '"persistent_keepalive":25,"latest_handshake":%s,' $laptop
		printf '"transfer_rx":1268777,"transfer_tx":3565158,"runtime":false,"disabled":false},'
		printf '{"name":"phone","public_key":null,"endpoint":null,'
		printf '"allowed_ips":[],"persistent_keepalive":0,'
		printf '"latest_handshake":%s,' $phone
		printf '"transfer_rx":1024,"transfer_tx":0,"runtime":false,"disabled":false},'
		printf '{"name":"office","public_key":"%s",' $KEY64
		printf '"endpoint":"[2001:db8::1]:51820",'
		printf '"allowed_ips":["10.13.13.50/32","fd00:13::/64"],'
		printf '"persistent_keepalive":0,"latest_handshake":0,'
		printf '"transfer_rx":0,"transfer_tx":18446744073709551615,"runtime":false,"disabled":false}]},'
		printf '{"name":"wg1","public_key":"%s",' $KEY96
		printf '"listen_port":51821,%s,"peers":[]}' "$DROPS0"
		printf ']}\n'
	} > want
	atf_check -o file:want cat out
}

atf_test_case show_json_valid
show_json_valid_head()
{
	atf_set "descr" "a JSON parser accepts what show -j prints"
	atf_set "require.progs" "/usr/bin/python3"
}
show_json_valid_body()
{
	use_build
	for sc in show show-stats; do
		serve $sc
		atf_check -s exit:0 -o save:out -e empty wgctl -s sock -j show
		atf_check -s exit:0 -o ignore -e empty /usr/bin/python3 -m json.tool out
	done
	serve empty
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock -j show
	atf_check -s exit:0 -o ignore -e empty /usr/bin/python3 -m json.tool out
}

atf_test_case daemon_errors
daemon_errors_head()
{
	atf_set "descr" "wgd's errors go to stderr as 'wgctl: text' and its status is the exit status"
}
daemon_errors_body()
{
	use_build
	serve error
	atf_check -s exit:1 -o empty -e inline:'wgctl: no interface "wg9"\n' \
	    wgctl -s sock show interface wg9
	atf_check -o inline:"show interface wg9\n" cat req
	# A failed show -j prints no JSON at all.
	serve error
	atf_check -s exit:1 -o empty -e inline:'wgctl: no interface "wg9"\n' \
	    wgctl -s sock -j show interface wg9
	serve errors
	atf_check -s exit:1 -o empty \
	    -e inline:'wgctl: /etc/wgd.conf:3: unknown keyword "x"\nwgctl: /etc/wgd.conf:9: bad key\n' \
	    wgctl -s sock reload
	# A failure is never silent, even when wgd gives no reason.
	serve silent-failure
	atf_check -s exit:1 -o empty -e save:err wgctl -s sock log brief
	one_line err
}

atf_test_case reload_lines
reload_lines_head()
{
	atf_set "descr" "reload prints wgd's lines on stdout and exits 0"
}
reload_lines_body()
{
	use_build
	serve lines
	atf_check -s exit:0 -e empty \
	    -o inline:'peer "laptop" added\npeer "phone" removed\n' \
	    wgctl -s sock reload
	atf_check -o inline:"reload\n" cat req
}

atf_test_case bad_replies
bad_replies_head()
{
	atf_set "descr" "a malformed reply is refused with one line and exit 1, and nothing of it is printed"
}
bad_replies_body()
{
	use_build
	for sc in bad-status-2 bad-status-negative bad-end-short bad-end-long \
	    bad-iface-short bad-iface-long bad-iface-no-drops \
	    bad-iface-unterminated bad-iface-name bad-iface-empty-name \
	    bad-peer-first bad-peer-other-iface bad-peer-short \
	    bad-peer-long bad-peer-no-stats bad-peer-name \
	    bad-peer-unterminated-name bad-peer-unterminated-endpoint \
	    bad-peer-has-pubkey-2 bad-peer-negative-handshake \
	    bad-iface-fail-negative bad-iface-fail-unterminated \
	    bad-peer-fail-unterminated bad-peer-iface-fail-negative \
	    bad-peer-unterminated-host bad-peer-unterminated-client-endpoint \
	    bad-runtime-named bad-runtime-keyless bad-runtime-2 \
	    bad-disabled-2 \
	    bad-aips-first bad-aips-odd-size \
	    bad-aips-af bad-aips-v4-plen bad-aips-v6-plen \
	    bad-line-unterminated bad-line-empty bad-line-inner-nul \
	    bad-error-unterminated bad-unknown-type bad-type-max \
	    bad-request-type bad-header bad-with-fd; do
		for json in "" "-j"; do
			serve $sc
			atf_check -s exit:1 -o empty \
			    -e inline:"wgctl: bad reply from wgd\n" \
			    wgctl -s sock $json show
		done
	done
	# Interfaces and peers answer a show, nothing else.
	for cmd in reload "log verbose"; do
		serve show
		atf_check -s exit:1 -o empty \
		    -e inline:"wgctl: bad reply from wgd\n" wgctl -s sock $cmd
	done
}

atf_test_case peer_conf
peer_conf_head()
{
	atf_set "descr" "peer NAME conf prints the client configuration exactly as wgd sent it; its abbreviations send the same request"
}
peer_conf_body()
{
	use_build
	conf_want
	for words in "peer laptop conf" "pe laptop c" "peer laptop co" \
	    "-j peer laptop conf" "peer laptop conf -j"; do
		serve peer-conf
		atf_check -s exit:0 -o file:conf.want -e empty \
		    wgctl -s sock $words
		atf_check -o inline:"peer conf laptop\n" cat req
	done
	# Peer names are checked as show checks them, and may be keywords.
	for name in a.B_c-9 conf png qr peer $(printf 'a%.0s' $(seq 64)); do
		serve peer-conf
		atf_check -s exit:0 -o file:conf.want -e empty \
		    wgctl -s sock peer $name conf
		atf_check -o inline:"peer conf $name\n" cat req
	done
	# qr and png send the same request.
	serve peer-conf
	atf_check -s exit:0 -o not-empty -e empty wgctl -s sock pe laptop q
	atf_check -o inline:"peer conf laptop\n" cat req
	serve peer-conf
	atf_check -s exit:0 -o empty -e empty wgctl -s sock pe laptop pn f.png
	atf_check -o inline:"peer conf laptop\n" cat req
	# Too long for a QR code is not too long to print.
	serve peer-conf-huge
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock peer big conf
	[ "$(wc -c < out)" -gt 2953 ] || atf_fail "short output"
	atf_check -o empty tr -d a < out
}

atf_test_case peer_qr
peer_qr_head()
{
	atf_set "descr" "peer NAME qr prints lines of equal width of UTF-8 half blocks and spaces, with a light quiet zone around the code"
}
peer_qr_body()
{
	use_build
	serve peer-conf
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock peer laptop qr
	qr_map out
	set -- $(awk '{ print length }' qr.map | sort -u)
	[ $# -eq 1 ] || atf_fail "lines of several widths: $*"
	cols=$1
	lines=$(wc -l < qr.map)
	# A code is 21 to 177 modules, an odd number, and 4 more on each
	# side; a line holds two module rows.
	[ $cols -ge 29 ] && [ $cols -le 185 ] && [ $((cols % 2)) -eq 1 ] ||
	    atf_fail "$cols columns"
	[ $lines -eq $(((cols + 1) / 2)) ] ||
	    atf_fail "$lines lines of $cols columns"
	# The quiet zone: 4 light modules on every side, and a light half
	# below the last module row.
	full=$(printf 'F%.0s' $(seq $cols))
	[ "$(sed -n 1p qr.map)" = "$full" ] &&
	    [ "$(sed -n 2p qr.map)" = "$full" ] &&
	    [ "$(sed -n '$p' qr.map)" = "$full" ] ||
	    atf_fail "no light quiet zone above or below"
	if grep -v '^FFFF.*FFFF$' qr.map | grep -q .; then
		atf_fail "no light quiet zone left or right"
	fi
	# Too long for a QR code: one line, nothing printed.
	serve peer-conf-huge
	atf_check -s exit:1 -o empty \
	    -e inline:"wgctl: the configuration of peer big is too long for a QR code\n" \
	    wgctl -s sock peer big qr
}

atf_test_case peer_qr_scans
peer_qr_scans_head()
{
	atf_set "descr" "the QR code that peer NAME qr prints, drawn as an image, reads back as the client configuration"
	atf_set "require.progs" "zbarimg"
}
peer_qr_scans_body()
{
	use_build
	conf_want
	serve peer-conf
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock peer laptop qr
	qr_map out
	# A PBM, 1 for black: drawn halves are light, blank ones dark; a
	# module 4 pixels square, as zbar wants more than one.
	awk -v s=4 '
	{
		up = lo = ""
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			u = (c == "U" || c == "F") ? "0 " : "1 "
			l = (c == "L" || c == "F") ? "0 " : "1 "
			for (k = 0; k < s; k++) {
				up = up u
				lo = lo l
			}
		}
		row[++n] = up
		row[++n] = lo
		w = length($0) * s
	}
	END {
		printf "P1\n%d %d\n", w, n * s
		for (j = 1; j <= n; j++)
			for (k = 0; k < s; k++)
				print row[j]
	}' qr.map > qr.pbm
	scans_to_conf qr.pbm
}

atf_test_case peer_png
peer_png_head()
{
	atf_set "descr" "peer NAME png FILE writes a PNG that reads back as the client configuration, mode 0600 whatever the umask"
	atf_set "require.progs" "zbarimg"
}
peer_png_body()
{
	use_build
	conf_want
	printf '\211PNG\r\n\032\n' > magic
	for mask in 022 000 077; do
		rm -f out.png
		serve peer-conf
		atf_check -s exit:0 -o empty -e empty \
		    -x "umask $mask && wgctl -s sock peer laptop png out.png"
		atf_check -o inline:"600\n" stat -c %a out.png
		atf_check -o file:magic head -c 8 out.png
		scans_to_conf out.png
	done
	# An existing file is truncated: nothing of the old one stays.
	head -c 100000 /dev/zero > old.png
	chmod 600 old.png
	serve peer-conf
	atf_check -s exit:0 -o empty -e empty \
	    wgctl -s sock peer laptop png old.png
	atf_check -o inline:"600\n" stat -c %a old.png
	[ "$(wc -c < old.png)" -lt 100000 ] || atf_fail "old.png not truncated"
	scans_to_conf old.png
	# One that others may read keeps its mode, with a warning.
	: > shared.png
	chmod 644 shared.png
	serve peer-conf
	atf_check -s exit:0 -o empty -e save:err \
	    wgctl -s sock peer laptop png shared.png
	one_line err
	atf_check -o match:'^wgctl: shared.png: .*others can read' cat err
	atf_check -o inline:"644\n" stat -c %a shared.png
	scans_to_conf shared.png
	# A pipe, which has no fsync.
	serve peer-conf
	atf_check -s exit:0 -o empty -e empty \
	    -x "wgctl -s sock peer laptop png /dev/stdout | cat > piped.png"
	scans_to_conf piped.png
}

atf_test_case peer_png_errors
peer_png_errors_head()
{
	atf_set "descr" "peer NAME png FILE that cannot be written fails with 'wgctl: FILE: reason' and exit 1"
}
peer_png_errors_body()
{
	use_build
	serve peer-conf
	atf_check -s exit:1 -o empty \
	    -e inline:"wgctl: nodir/out.png: No such file or directory\n" \
	    wgctl -s sock peer laptop png nodir/out.png
	mkdir dir
	serve peer-conf
	atf_check -s exit:1 -o empty -e inline:"wgctl: dir: Is a directory\n" \
	    wgctl -s sock peer laptop png dir
	if [ -w /dev/full ]; then
		serve peer-conf
		atf_check -s exit:1 -o empty \
		    -e inline:"wgctl: /dev/full: No space left on device\n" \
		    wgctl -s sock peer laptop png /dev/full
	fi
	serve peer-conf-huge
	atf_check -s exit:1 -o empty \
	    -e inline:"wgctl: big.png: the configuration of peer big is too long for a QR code\n" \
	    wgctl -s sock peer big png big.png
}

atf_test_case peer_errors
peer_errors_head()
{
	atf_set "descr" "wgd's refusal of a peer command is one line and exit 1, with nothing printed and no file made"
}
peer_errors_body()
{
	use_build
	for cmd in conf qr "png out.png"; do
		serve peer-unknown
		atf_check -s exit:1 -o empty \
		    -e inline:'wgctl: no peer named "nobody"\n' \
		    wgctl -s sock peer nobody $cmd
		atf_check -o inline:"peer conf nobody\n" cat req
		serve peer-restricted
		atf_check -s exit:1 -o empty -e save:err \
		    wgctl -s sock peer laptop $cmd
		one_line err
		atf_check -o match:'restricted socket' cat err
		serve silent-failure
		atf_check -s exit:1 -o empty -e save:err \
		    wgctl -s sock peer laptop $cmd
		one_line err
	done
	[ ! -e out.png ] || atf_fail "png made its file after an error"
}

atf_test_case peer_bad_replies
peer_bad_replies_head()
{
	atf_set "descr" "a malformed reply to a peer command, or a configuration in reply to another command, is refused and nothing of it is printed"
}
peer_bad_replies_body()
{
	use_build
	for sc in bad-conf-unterminated bad-conf-empty bad-conf-no-payload \
	    bad-conf-inner-nul bad-conf-twice bad-conf-missing \
	    bad-conf-with-line bad-conf-with-iface bad-conf-with-fd \
	    show lines eof-midway bad-status-2 bad-end-short \
	    bad-unknown-type bad-header; do
		for cmd in conf qr "png out.png"; do
			serve $sc
			atf_check -s exit:1 -o empty \
			    -e inline:"wgctl: bad reply from wgd\n" \
			    wgctl -s sock peer laptop $cmd
		done
	done
	[ ! -e out.png ] || atf_fail "png made its file for a bad reply"
	# A configuration answers a peer request, nothing else.
	for cmd in show "-j show" "show peer laptop" reload "log verbose"; do
		serve peer-conf
		atf_check -s exit:1 -o empty \
		    -e inline:"wgctl: bad reply from wgd\n" wgctl -s sock $cmd
	done
	serve eof
	atf_check -s exit:1 -o empty \
	    -e inline:"wgctl: wgd closed the connection\n" \
	    wgctl -s sock peer laptop conf
}

atf_test_case early_eof
early_eof_head()
{
	atf_set "descr" "a connection closed before the end of the reply is an error, and nothing is printed"
}
early_eof_body()
{
	use_build
	for sc in eof eof-midway; do
		serve $sc
		atf_check -s exit:1 -o empty \
		    -e inline:"wgctl: wgd closed the connection\n" \
		    wgctl -s sock show
	done
}

atf_init_test_cases()
{
	atf_add_test_case no_daemon
	atf_add_test_case bad_words
	atf_add_test_case requests
	atf_add_test_case show_text
	atf_add_test_case show_json
	atf_add_test_case show_runtime
	atf_add_test_case show_disabled
	atf_add_test_case show_metrics
	atf_add_test_case show_stats_text
	atf_add_test_case show_stats_json
	atf_add_test_case show_json_valid
	atf_add_test_case daemon_errors
	atf_add_test_case reload_lines
	atf_add_test_case bad_replies
	atf_add_test_case peer_conf
	atf_add_test_case peer_qr
	atf_add_test_case peer_qr_scans
	atf_add_test_case peer_png
	atf_add_test_case peer_png_errors
	atf_add_test_case peer_errors
	atf_add_test_case peer_bad_replies
	atf_add_test_case early_eof
}
