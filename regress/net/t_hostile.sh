#! /usr/bin/env atf-sh
#
# Hostile traffic at wgd's listening port while a legitimate peer
# (Debian's wireguard-go) pings through the tunnel: garbage of every
# length, handshakes with wrong MACs, transport data for unknown
# indexes, and ten thousand initiations a second from one source, some
# with a valid MAC1 so they would cost Diffie-Hellman.  The tunnel keeps
# working, the engine stays up with bounded memory and a quiet log, the
# drops are counted by reason, and under load the flood gets cookies.
#
# The attacker lives in a third namespace (C) on a veth pair of its own
# into wgd's namespace: 192.168.242.1/.2 and fd00:242::1/::2.

. "$(atf_get_srcdir)/lib.sh"

HOSTILE="$top/regress/net/hostile"

attack_common_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping pgrep"
	atf_set "timeout" "120"
}

# The attacker's namespace, removed by net_cleanup with the others.
attacker_setup()
{
	C="wgnC$$"
	echo "$C" >> netns
	ip netns add "$C" || atf_fail "ip netns add $C"
	ip -n "$C" link set lo up
	ip link add vC netns "$A" type veth peer name vX netns "$C" ||
	    atf_fail "ip link add veth"
	ip -n "$A" addr add 192.168.242.1/24 dev vC
	ip -n "$C" addr add 192.168.242.2/24 dev vX
	ip -n "$A" addr add fd00:242::1/64 dev vC nodad
	ip -n "$C" addr add fd00:242::2/64 dev vX nodad
	ip -n "$A" link set vC up
	ip -n "$C" link set vX up
}

# run_hostile ARGS...: one run from the attacker's namespace, its summary
# line appended to hostile.out; the engine ($engine) must survive it.
run_hostile()
{
	ip netns exec "$C" "$HOSTILE" "$@" >> hostile.out 2> hostile.err ||
	    fail_with hostile.err "hostile $*"
	tail -n 1 hostile.out
	running "$engine" || fail_with wgd.log "the engine died: hostile $*"
}

# fail_with FILE MESSAGE: the end of FILE on stderr, then the one-line
# reason kyua shows.
fail_with()
{
	echo "--- $1:" >&2
	tail -n 20 "$1" >&2
	atf_fail "$2"
}

# field NAME: a number from the last summary line.
field()
{
	tail -n 1 hostile.out | sed -n "s/.* $1 \([0-9]*\).*/\1/p"
}

# drop NAME: an interface drop counter from wgctl show -j, or -1.
drop()
{
	wgctl show -j > show.json 2>&1
	n=$(sed -n "s/.*\"drops\":{[^}]*\"$1\":\([0-9]*\).*/\1/p" show.json)
	if [ -z "$n" ]; then
		# Called in $(...): atf_fail would only end the subshell.
		echo "no drop counter $1 in: $(cat show.json)" >&2
		n=-1
	fi
	echo "$n"
}

engine_pid()
{
	for p in $(pgrep -P "$(cat wgd.pid)"); do
		if [ "$(proc_title "$p")" = "wgd: engine" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

rss_kb()
{
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

running()
{
	[ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Log lines since line $1, but for our own wgctl connections.
log_added()
{
	tail -n +$(($1 + 1)) wgd.log |
	    grep -cv '^control: client [0-9]* \(connected\|disconnected\)'
}

# Stops wireguard-go and wgd by pid, as a service manager would: wgd
# must go within 3 s and exit 0 after all it went through.  (Left to
# kyua, they would die by SIGKILL at the end of the body, leaving
# wireguard-go's socket in /var/run/wireguard.)
stop_all()
{
	kill "$(cat go.pid)" 2>/dev/null
	wait "$(cat go.pid)"
	rm -f go.pid
	wgd=$(cat wgd.pid)
	kill "$wgd" || atf_fail "wgd is not running"
	i=0
	while running "$wgd" && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if running "$wgd"; then
		kill -9 "$wgd"
		atf_fail "wgd still runs 3 s after SIGTERM"
	fi
	status=0
	wait "$wgd" || status=$?
	rm -f wgd.pid
	[ "$status" -eq 0 ] ||
	    fail_with wgd.log "wgd exited $status"
	# From a make SANITIZE=1 build: ASan and UBSan write to the log.
	if grep -q 'Sanitizer\|runtime error:' wgd.log; then
		fail_with wgd.log "a sanitizer report in the log"
	fi
}

replies()
{
	grep -c 'bytes from' ping.log
}

atf_test_case attack cleanup
attack_head()
{
	attack_common_head
	atf_set "descr" "garbage, bad MACs, unknown indexes and a 10000/s initiation flood: the tunnel, the engine, its memory and its log hold; drops are counted; the flood gets cookies"
}
attack_body()
{
	[ -x "$HOSTILE" ] || atf_fail "$HOSTILE is not built"
	net_setup
	attacker_setup
	wgd_conf ''
	wgd_start
	go_start endpoint 192.168.241.1:51820
	ping_ok "$B" 10.77.0.1
	pub=$(wgd_pubkey)

	engine=$(engine_pid) || atf_fail "no engine process"
	rss0=$(rss_kb "$engine")
	lines0=$(wc -l < wgd.log)

	# The legitimate peer pings for the whole test, and stops by itself.
	ip netns exec "$B" ping -n -i 0.2 -W 1 -c 400 10.77.0.1 \
	    > ping.log 2>&1 &
	echo $! > ping.pid
	sleep 1

	run_hostile -n 2 lengths 192.168.242.1 51820
	run_hostile -n 1 lengths fd00:242::1 51820
	[ "$(drop short)" -gt 0 ] || atf_fail "no short packets counted"
	[ "$(drop bad_type)" -gt 0 ] || atf_fail "no bad types counted"

	# 4000 messages: two thirds handshakes, one third cookie replies.
	mac0=$(drop bad_mac1)
	idx0=$(drop unknown_index)
	run_hostile -n 3 badmac 192.168.242.1 51820
	run_hostile -n 1 badmac fd00:242::1 51820
	[ "$(drop bad_mac1)" -ge $((mac0 + 2666)) ] ||
	    atf_fail "bad MAC1s not counted: $mac0, then $(drop bad_mac1)"
	[ "$(drop unknown_index)" -ge $((idx0 + 1332)) ] ||
	    atf_fail "cookies for unknown indexes not counted: $(drop unknown_index)"

	before=$(drop unknown_index)
	run_hostile -n 3 unknownindex 192.168.242.1 51820
	run_hostile -n 1 unknownindex fd00:242::1 51820
	[ "$(drop unknown_index)" -ge $((before + 3900)) ] ||
	    atf_fail "unknown indexes not counted: $(drop unknown_index)"

	# Valid MAC1s at 10000/s: the engine must go under load and answer
	# with cookies that open with its key and our MAC1, instead of
	# doing Diffie-Hellman for each.
	hs0=$(drop bad_handshake)
	run_hostile -k "$pub" -d 5 -r 10000 flood 192.168.242.1 51820
	[ "$(field sent)" -ge 40000 ] || atf_fail "flood too slow"
	[ "$(field cookies)" -gt 0 ] ||
	    atf_fail "no cookie reply under a valid-MAC1 flood"
	[ "$(field opened)" -gt 0 ] ||
	    atf_fail "the cookie replies do not decrypt"
	[ "$(drop cookie_sent)" -gt 0 ] || atf_fail "cookie_sent not counted"
	# The same, obeying the cookies: then the per-source rate limit
	# holds it back.
	run_hostile -c -k "$pub" -d 4 -r 10000 flood fd00:242::1 51820
	[ "$(field opened)" -gt 0 ] || atf_fail "no cookie over IPv6"
	[ "$(drop rate_limited)" -gt 0 ] ||
	    atf_fail "a flood with valid MAC2s was not rate limited"
	hs=$(($(drop bad_handshake) - hs0))
	echo "handshakes attempted during the floods: $hs"
	[ "$hs" -lt 2000 ] ||
	    atf_fail "$hs initiations reached Diffie-Hellman under load"

	# The tunnel still works after the flood.
	after=$(replies)
	sleep 2
	[ "$(($(replies) - after))" -ge 5 ] ||
	    fail_with ping.log "no ping replies after the flood"
	kill -INT "$(cat ping.pid)"
	wait "$(cat ping.pid)"
	rm -f ping.pid
	tail -n 3 ping.log
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' ping.log)
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' ping.log)
	[ -n "$sent" ] && [ "$sent" -gt 50 ] ||
	    fail_with ping.log "ping did not run"
	[ $((got * 100)) -ge $((sent * 90)) ] ||
	    atf_fail "ping lost more than 10%: $got of $sent"

	running "$engine" || fail_with wgd.log "the engine died"
	[ "$(engine_pid)" = "$engine" ] || atf_fail "the engine was restarted"
	running "$(cat wgd.pid)" || fail_with wgd.log "wgd died"
	rss=$(rss_kb "$engine")
	echo "engine VmRSS: $rss0 kB before, $rss kB after"
	# About 170,000 datagrams: a leak of 50 bytes each would show.
	[ $((rss - rss0)) -lt 8192 ] ||
	    atf_fail "engine grew from $rss0 to $rss kB"
	lines=$(log_added "$lines0")
	echo "log lines added: $lines"
	[ "$lines" -lt 50 ] ||
	    fail_with wgd.log "the log grew by $lines lines"
	wgctl show -j
	echo
	stop_all
}
attack_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	[ -f ping.pid ] && kill "$(cat ping.pid)" 2>/dev/null
	net_cleanup
}

atf_test_case failed_handshakes_logged cleanup
failed_handshakes_logged_head()
{
	attack_common_head
	atf_set "descr" "failed handshakes are logged at info level with their source and why, one line per source a minute and ten a minute in all: a phone with another server key is named, fifteen attacking addresses leave ten lines"
}
failed_handshakes_logged_body()
{
	[ -x "$HOSTILE" ] || atf_fail "$HOSTILE is not built"
	net_setup
	attacker_setup
	wgd_conf ''
	wgd_start
	engine=$(engine_pid) || atf_fail "no engine process"
	# A phone whose conf has another server key, retrying.
	go_up "$B" "$GODEV"
	ip netns exec "$B" wg set "$GODEV" private-key peer.key \
	    listen-port 51821 peer "$(wg genkey | wg pubkey)" \
	    allowed-ips 10.77.0.1/32 endpoint 192.168.241.1:51820 \
	    persistent-keepalive 1 || atf_fail "wg set"
	ip -n "$B" addr add 10.77.0.2/24 dev "$GODEV"
	ip -n "$B" link set "$GODEV" up
	i=0
	while ! grep -q 'handshake from 192.168.241.2:51821 failed: made for another server key' wgd.log; do
		[ $i -lt 100 ] || fail_with wgd.log "the phone's failure not logged"
		sleep 0.1
		i=$((i + 1))
	done
	# Fifteen more addresses, each a burst of bad MACs.
	for n in $(seq 10 24); do
		ip -n "$C" addr add 192.168.242.$n/24 dev vX
	done
	for n in $(seq 10 24); do
		run_hostile -s 192.168.242.$n -d 1 -r 20 flood 192.168.242.1 51820
	done
	grep 'handshake from .* failed' wgd.log > failed
	[ "$(wc -l < failed)" -eq 10 ] ||
	    fail_with failed "not ten lines in the minute: $(wc -l < failed)"
	sed 's/.*from \(.*\):[0-9]* .*/\1/' failed | sort | uniq -d > twice
	[ ! -s twice ] || fail_with twice "a source logged twice in a minute"
	running "$engine" || fail_with wgd.log "the engine died"
}
failed_handshakes_logged_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	net_cleanup
}

atf_test_case handshake_under_flood cleanup
handshake_under_flood_head()
{
	attack_common_head
	atf_set "descr" "while a valid-MAC1 flood keeps wgd under load, wireguard-go gets a cookie, retries with MAC2 and completes a new handshake"
}
handshake_under_flood_body()
{
	[ -x "$HOSTILE" ] || atf_fail "$HOSTILE is not built"
	# wireguard-go logs the cookie replies it receives.
	LOG_LEVEL=verbose
	export LOG_LEVEL
	net_setup
	attacker_setup
	wgd_conf ''
	wgd_start
	go_start endpoint 192.168.241.1:51820
	ping_ok "$B" 10.77.0.1
	pub=$(wgd_pubkey)
	hs0=$(json_num latest_handshake)
	lines0=$(wc -l < wgd.log)
	engine=$(engine_pid) || atf_fail "no engine process"

	ip netns exec "$C" "$HOSTILE" -k "$pub" -d 14 -r 10000 flood \
	    192.168.242.1 51820 > hostile.out 2> hostile.err &
	echo $! > hostile.pid
	sleep 1
	[ "$(drop cookie_sent)" -gt 0 ] || atf_fail "wgd is not under load"

	# A peer that forgot its session: its next packet starts a new
	# handshake, which wgd answers with a cookie; the retry after
	# REKEY_TIMEOUT carries a MAC2 and goes through.
	ip netns exec "$B" wg set "$GODEV" peer "$pub" remove
	ip netns exec "$B" wg set "$GODEV" peer "$pub" \
	    allowed-ips 10.77.0.1/32,fd00:77::1/128 \
	    endpoint 192.168.241.1:51820 || atf_fail "wg set"
	sleep 1
	ip netns exec "$B" ping -n -c 1 -i 0.5 -w 11 10.77.0.1 > ping.log 2>&1 ||
	    fail_with ping.log "no handshake under the flood"
	running "$(cat hostile.pid)" ||
	    fail_with hostile.out "the flood ended before the handshake"
	grep -q 'Receiving cookie response from 192.168.241.1:51820' go.log ||
	    fail_with go.log "wireguard-go got no cookie"
	grep -q 'Could not decrypt invalid cookie response' go.log &&
	    atf_fail "wireguard-go could not open wgd's cookie"
	[ "$(json_num latest_handshake)" -gt "$hs0" ] ||
	    atf_fail "latest_handshake did not move"
	running "$engine" || fail_with wgd.log "the engine died"
	wait "$(cat hostile.pid)"
	rm -f hostile.pid
	cat hostile.out
	[ "$(field cookies)" -gt 0 ] || atf_fail "the flood got no cookies"
	lines=$(log_added "$lines0")
	[ "$lines" -lt 50 ] ||
	    fail_with wgd.log "the log grew by $lines lines"
	stop_all
}
handshake_under_flood_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	[ -f hostile.pid ] && kill "$(cat hostile.pid)" 2>/dev/null
	net_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case attack
	atf_add_test_case handshake_under_flood
	atf_add_test_case failed_handshakes_logged
}
