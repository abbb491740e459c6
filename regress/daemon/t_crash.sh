#! /usr/bin/env atf-sh
#
# Crashes lose nothing: wgd killed (-9) while it provisions 100 new
# peers, at chosen points (strace kills it as it enters the Nth rename)
# and at a moment of the clock's choosing; then a restart.  Whatever
# the crash left is whole and stays as it was, keys above all, and the
# restart completes every peer.  A full disk under the state directory
# is an error that leaves the old files as they were.

. "$(atf_get_srcdir)/lib.sh"

PEERS=100

# crash_head [PROGS]: root, and the programs every case needs and PROGS.
crash_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" \
	    "ip wg zbarimg sha256sum join pgrep /usr/bin/python3 $*"
}

# crash_conf [N [LINE]]: N managed peers p1..pN, LINE in the interface.
crash_conf()
{
	{
		echo "socket \"$PWD/wgd.sock\""
		echo "state-dir \"$PWD/state\""
		echo 'interface "wgt0" {'
		echo '	listen-port 51820'
		echo '	address 10.13.0.1/24'
		echo '	address fd00:13::1/64'
		echo '	client endpoint "vpn.example.org"'
		echo "	${2:-}"
		i=1
		while [ $i -le "${1:-$PEERS}" ]; do
			echo "	peer \"p$i\""
			i=$((i + 1))
		done
		echo '}'
	} > wgd.conf
}

# snapshot FILE: a checksum of every file in the state dir but the
# temporaries a crash may leave (.NAME.new), which are never read.
snapshot()
{
	(cd state 2>/dev/null && find . -type f ! -name '.*.new' |
	    sort | xargs -r sha256sum) > "$1"
}

# whole: every key file the crash left holds a key, base64 and a
# newline, nothing less or more.
whole()
{
	find state -type f \( -name 'privatekey-*' -o -name 'presharedkey-*' \
	    -o -name 'publickey-*' \) > keyfiles
	[ -s keyfiles ] || return 0
	xargs -r grep -L -x '[A-Za-z0-9+/]\{42\}[AEIMQUYcgkosw048]=' \
	    < keyfiles > broken
	xargs -r wc -c < keyfiles | awk '$2 != "total" && $1 != 45' >> broken
	[ ! -s broken ] || atf_fail "not whole: $(head -3 broken)"
}

# kept BEFORE: every file of the snapshot BEFORE is still the same.
kept()
{
	snapshot after
	join -j 2 -o 1.1,2.1,0 "$1" after > both
	[ "$(wc -l < both)" -eq "$(wc -l < "$1")" ] ||
	    atf_fail "a file the crash left is gone: $(join -j 2 -v 1 \
	    "$1" after | head -3)"
	awk '$1 != $2 { print $3; bad = 1 } END { exit bad }' both > changed ||
	    atf_fail "changed by the restart: $(head -5 changed)"
}

# qr_shows PEER: the PNG holds exactly the text of the conf.
qr_shows()
{
	d=state/wgt0/peer_$1
	zbarimg --raw -q --nodbus -Sdisable -Sqrcode.enable \
	    "$d/peer_$1.png" > qr.txt 2>/dev/null ||
	    atf_fail "zbarimg cannot read $d/peer_$1.png"
	# zbarimg ends what it read with a newline of its own.
	printf '\n' | cat "$d/peer_$1.conf" - | cmp -s - qr.txt ||
	    atf_fail "peer_$1.png does not show peer_$1.conf"
}

# complete [PEERS...]: every peer has all its files, they agree, no
# temporary is left; the QR code of each peer named is checked too.
complete()
{
	[ -z "$(find state -name '.*.new')" ] ||
	    atf_fail "temporaries left: $(find state -name '.*.new')"
	[ "$(wg pubkey < state/wgt0/server/privatekey-server)" = \
	    "$(cat state/wgt0/server/publickey-server)" ] ||
	    atf_fail "the server's public key does not match"
	/usr/bin/python3 - "$PEERS" > incomplete 2>&1 <<'EOF' ||
import sys

n = int(sys.argv[1])
server = open("state/wgt0/server/publickey-server").read().strip()
for i in range(1, n + 1):
    p = "p%d" % i
    d = "state/wgt0/peer_%s/" % p
    try:
        f = {k: open(d + k % p, "rb").read() for k in (
            "privatekey-peer_%s", "publickey-peer_%s",
            "presharedkey-peer_%s", "address-peer_%s", "peer_%s.conf",
            "peer_%s.png")}
    except OSError as e:
        sys.exit("%s: %s" % (p, e))
    if b"" in f.values():
        sys.exit("%s: an empty file" % p)
    f = {k: v.decode() for k, v in f.items() if not k.endswith(".png")}
    conf = f["peer_%s.conf"].splitlines()
    addrs = ", ".join(a + ("/128" if ":" in a else "/32")
        for a in f["address-peer_%s"].split())
    for want in ("PrivateKey = " + f["privatekey-peer_%s"].strip(),
        "PresharedKey = " + f["presharedkey-peer_%s"].strip(),
        "PublicKey = " + server, "Address = " + addrs):
        if want not in conf:
            sys.exit("%s: the conf lacks %s" % (p, want.split(" =")[0]))
EOF
	    atf_fail "$(cat incomplete)"
	for p in "$@"; do
		d=state/wgt0/peer_$p
		[ "$(wg pubkey < "$d/privatekey-peer_$p")" = \
		    "$(cat "$d/publickey-peer_$p")" ] ||
		    atf_fail "$p: the public key does not match"
		qr_shows "$p"
	done
}

# peer_at N: the peer whose file the Nth rename of a first start
# writes: 1-2 the server's keys, then 3 a peer (keys), one a peer
# (addresses), 2 a peer (QR code, conf), and last the list of managed
# peers (p1 for that one).
peer_at()
{
	n=$1
	if [ "$n" -le 2 ] || [ "$n" -ge 603 ]; then
		echo p1
	elif [ "$n" -le 302 ]; then
		echo "p$(( (n - 3) / 3 + 1 ))"
	elif [ "$n" -le 402 ]; then
		echo "p$((n - 302))"
	else
		echo "p$(( (n - 403) / 2 + 1 ))"
	fi
}

# wgd_run: wgd -d in the namespace, in the background (pid in wgd.pid).
wgd_run()
{
	ip netns exec "$(ns)" "$@" > log 2>&1 &
	echo $! > wgd.pid
}

# wgd_end: waits for the process of wgd.pid to be gone.
wgd_end()
{
	pid=$(cat wgd.pid)
	i=0
	while running "$pid"; do
		[ $i -lt 100 ] || atf_fail "wgd was not killed: $(cat log)"
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid" 2>/dev/null
	# Its children follow once their end of the socket closes.
	i=0
	while ip -n "$(ns)" link show wgt0 > /dev/null 2>&1; do
		[ $i -lt 50 ] || atf_fail "wgt0 outlived the killed wgd"
		sleep 0.1
		i=$((i + 1))
	done
}

# restart: wgd again, as a daemon (it returns once ready), then stopped.
restart()
{
	ip netns exec "$(ns)" "$WGD" -f "$PWD/wgd.conf" > restart.log 2>&1 ||
	    atf_fail "wgd did not start again: $(cat restart.log)"
	pid=$(parent_pid) || atf_fail "no wgd parent process"
	kill -TERM "$pid"
	gone_within_2s "$pid" || atf_fail "wgd did not stop"
	rm -f parent.pid
}

atf_test_case crash_points cleanup
crash_points_head()
{
	crash_head strace
	atf_set "descr" "killed as it enters a rename: the server key, each" \
	    "file of a peer, the QR code and its conf, the list of peers;" \
	    "the restart changes nothing that was written and completes" \
	    "every peer"
}
crash_points_body()
{
	skip_under_qemu "strace would see qemu's system calls, not wgd's"
	ns_create
	need_user
	crash_conf
	# Without a crash: where each rename falls, as peer_at has it.
	wgd_run strace -o trace -e trace=rename,renameat,renameat2 \
	    "$WGD" -d -f "$PWD/wgd.conf"
	i=0
	until grep -qx started log; do
		[ $i -lt 100 ] || atf_fail "wgd did not start: $(cat log)"
		sleep 0.1
		i=$((i + 1))
	done
	grep -c 'rename' trace > renames
	[ "$(cat renames)" -eq 603 ] ||
	    atf_fail "603 renames expected, not $(cat renames)"
	for n in 3 5 150 303 402 403 404 602; do
		p=$(peer_at $n)
		sed -n "${n}p" trace | grep -q "/peer_$p/" ||
		    atf_fail "rename $n is not of $p: $(sed -n "${n}p" trace)"
	done
	# strace would detach from a SIGTERM of its own: wgd's parent gets it.
	kill -TERM "$(parent_pid)"
	wgd_end
	rm -f parent.pid

	sed -n 603p trace | grep -q "/managed-peers" ||
	    atf_fail "rename 603 is not of the list: $(sed -n 603p trace)"
	for n in 1 3 4 5 150 303 403 404 603; do
		rm -rf state
		wgd_run strace -o /dev/null -e trace=rename,renameat,renameat2 \
		    -e inject=rename,renameat,renameat2:signal=KILL:when=$n \
		    "$WGD" -d -f "$PWD/wgd.conf"
		wgd_end
		grep -qx started log && atf_fail "rename $n: not killed"
		whole
		snapshot crashed
		restart
		kept crashed
		at=$(peer_at $n)
		echo "rename $n ($at): $(wc -l < crashed) files kept"
		complete p1 "$at" p$PEERS
	done
}
crash_points_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case killed cleanup
killed_head()
{
	crash_head
	atf_set "descr" "kill -9 of the parent while it provisions 100 new" \
	    "peers, at five moments: nothing written changes, and the" \
	    "restart completes every peer, QR codes as their confs"
}
killed_body()
{
	ns_create
	need_user
	crash_conf
	# Once that many peer folders (keys) or QR codes are there.
	for at in privatekey:10 privatekey:50 privatekey:90 .png:30 .png:80; do
		rm -rf state
		wgd_run "$WGD" -d -f "$PWD/wgd.conf"
		# No sleep: the moment is what is tested.
		deadline=$(($(date +%s) + 60))
		while [ "$(find state -name "*${at%:*}*" 2>/dev/null |
		    wc -l)" -lt "${at#*:}" ]; do
			running "$(cat wgd.pid)" ||
			    atf_fail "wgd ended before $at: $(cat log)"
			[ "$(date +%s)" -lt $deadline ] ||
			    atf_fail "$at never came: $(cat log)"
		done
		kill -KILL "$(cat wgd.pid)"
		wgd_end
		# Too late to tell anything once the last QR code is made.
		n=$(find state -name '*.png' | wc -l)
		[ "$n" -lt $PEERS ] ||
		    atf_fail "killed at $at: too late, all $n QR codes made"
		whole
		snapshot crashed
		echo "killed at $at or more: $(wc -l < crashed) files, $n QR codes"
		restart
		kept crashed
	done
	i=1
	qrs=
	while [ $i -le $PEERS ]; do
		qrs="$qrs p$i"
		i=$((i + 10))
	done
	# shellcheck disable=SC2086
	complete $qrs p$PEERS
}
killed_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case qr_of_reverted cleanup
qr_of_reverted_head()
{
	crash_head strace
	atf_set "descr" "killed between a peer's new QR code and its new" \
	    "conf, then started with the old configuration again: the QR" \
	    "code is made anew, to show the conf"
}
qr_of_reverted_body()
{
	skip_under_qemu "strace would see qemu's system calls, not wgd's"
	ns_create
	need_user
	PEERS=3
	crash_conf 3
	restart
	complete p1
	cp state/wgt0/peer_p1/peer_p1.conf old.conf
	# A new client dns: the first rename is p1's QR code, the second
	# its conf, which the kill stops.
	crash_conf 3 'client dns 10.13.0.53'
	wgd_run strace -o trace -e trace=rename,renameat,renameat2 \
	    -e inject=rename,renameat,renameat2:signal=KILL:when=2 \
	    "$WGD" -d -f "$PWD/wgd.conf"
	wgd_end
	grep -q 'peer_p1.png")' trace && grep -q 'peer_p1.conf")' trace ||
	    atf_fail "not the renames expected: $(cat trace)"
	cmp -s old.conf state/wgt0/peer_p1/peer_p1.conf ||
	    atf_fail "the conf was written"
	# A Pi without a clock may have written it in the past: its time,
	# older than its conf's, must not pass for the conf's QR code.
	touch -m -d @946684800 state/wgt0/peer_p1/peer_p1.png
	crash_conf 3
	p2png=state/wgt0/peer_p2/peer_p2.png
	was=$(stat -c '%i %y' "$p2png")
	restart
	cmp -s old.conf state/wgt0/peer_p1/peer_p1.conf ||
	    atf_fail "the conf changed"
	complete p1 p2 p3
	# A QR code sealed to its conf, which did not change, is left be.
	[ "$(stat -c '%i %y' "$p2png")" = "$was" ] ||
	    atf_fail "p2's QR code was written again: $was, now" \
	    "$(stat -c '%i %y' "$p2png")"
}
qr_of_reverted_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
}

atf_test_case disk_full cleanup
disk_full_head()
{
	crash_head mount umount dd
	atf_set "descr" "the state directory's disk full: a reload that adds" \
	    "peers or changes their confs fails, a start fails, and the" \
	    "old files stay as they were; with room again, all is written"
}
disk_full_body()
{
	skip_under_qemu "no need: the same C code as on the host"
	ns_create
	need_user
	mkdir state
	mount -t tmpfs -o size=1m,mode=0700 wgdcrash "$PWD/state" ||
	    atf_fail "cannot mount a tmpfs"
	echo "$PWD/state" > mounted
	PEERS=3
	crash_conf 3
	wgd_start
	complete p1 p3
	snapshot before

	# Fill the disk; what is left is less than a key's block.
	dd if=/dev/zero of=state/filler bs=4k 2>/dev/null
	PEERS=5
	crash_conf 5
	atf_check -s exit:1 -o ignore -e match:"No space left on device" \
	    wgctl reload
	kept before
	[ -z "$(find state -name '.*.new')" ] ||
	    atf_fail "temporaries left: $(find state -name '.*.new')"
	[ ! -e state/wgt0/peer_p4 ] || [ -z "$(ls -A state/wgt0/peer_p4)" ] ||
	    atf_fail "a half-made peer: $(ls state/wgt0/peer_p4)"
	atf_check -o not-match:'^peer: p4( |$)' wgctl show

	# A conf that changes: the old one and its QR code stay.
	PEERS=3
	crash_conf 3 'client dns 10.13.0.53'
	atf_check -s exit:1 -o ignore -e match:"No space left on device" \
	    wgctl reload
	kept before
	[ -z "$(find state -name '.*.new')" ] ||
	    atf_fail "temporaries left: $(find state -name '.*.new')"

	# A start on the full disk fails, saying why; the files stay.
	kill -TERM "$(parent_pid)"
	gone_within_2s "$(cat parent.pid)" || atf_fail "wgd did not stop"
	rm -f parent.pid
	PEERS=5
	crash_conf 5
	atf_check -s exit:1 -o ignore -e match:"No space left on device" \
	    ip netns exec "$(ns)" "$WGD" -f "$PWD/wgd.conf"
	kept before

	rm state/filler
	wgd_start
	complete p1 p5
	# All of the three peers' files and the server's, as they were.
	grep -v managed-peers before > before.peers
	kept before.peers
}
disk_full_cleanup()
{
	. "$(atf_get_srcdir)/lib.sh"
	ns_cleanup
	[ -f mounted ] && umount "$(cat mounted)"
	true
}

atf_init_test_cases()
{
	atf_add_test_case crash_points
	atf_add_test_case killed
	atf_add_test_case qr_of_reverted
	atf_add_test_case disk_full
}
