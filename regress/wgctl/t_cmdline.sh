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
KEY96=YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8=

atf_test_case no_daemon
no_daemon_head()
{
	atf_set "descr" "without a daemon every daemon command fails with one line naming the socket, and exit 1"
}
no_daemon_body()
{
	use_build
	for cmd in "show" "show interface wg0" "show peer laptop" "reload" \
	    "log verbose" "log brief" "-j show"; do
		atf_check -s exit:1 -o empty -e save:err \
		    wgctl -s /nonexistent/wgd.sock $cmd
		one_line err
		grep -q '^wgctl: connect /nonexistent/wgd.sock: ' err ||
		    atf_fail "$cmd: $(cat err)"
	done
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
frobnicate|unknown argument "frobnicate": valid are genkey, genpsk, log,
gen|ambiguous argument "gen"
''|unknown argument ""
show frob|unknown argument "frob": valid are interface, peer
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
		printf '"listen_port":51820,"peers":['
		printf '{"name":"laptop","public_key":"%s",' $KEY32
		printf '"endpoint":"203.0.113.7:44524",'
		printf '"allowed_ips":["10.13.13.2/32","192.168.50.0/24",'
		printf '"fd00:13::/64"],"persistent_keepalive":25},'
		printf '{"name":"phone","public_key":null,"endpoint":null,'
		printf '"allowed_ips":[],"persistent_keepalive":0}]},'
		printf '{"name":"wg1","public_key":"%s",' $KEY96
		printf '"listen_port":51821,"peers":[]}'
		printf ']}\n'
	} > want
	serve show
	atf_check -s exit:0 -o file:want -e empty wgctl -s sock show -j
}

atf_test_case show_json_valid
show_json_valid_head()
{
	atf_set "descr" "a JSON parser accepts what show -j prints"
	atf_set "require.progs" "python3"
}
show_json_valid_body()
{
	use_build
	serve show
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock -j show
	atf_check -s exit:0 -o ignore -e empty python3 -m json.tool out
	serve empty
	atf_check -s exit:0 -o save:out -e empty wgctl -s sock -j show
	atf_check -s exit:0 -o ignore -e empty python3 -m json.tool out
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
	    bad-iface-short bad-iface-long bad-iface-unterminated \
	    bad-iface-name bad-iface-empty-name bad-peer-first \
	    bad-peer-other-iface bad-peer-short bad-peer-name \
	    bad-peer-unterminated-name bad-peer-unterminated-endpoint \
	    bad-peer-has-pubkey-2 bad-aips-first bad-aips-odd-size \
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
	atf_add_test_case show_json_valid
	atf_add_test_case daemon_errors
	atf_add_test_case reload_lines
	atf_add_test_case bad_replies
	atf_add_test_case early_eof
}
