# Shared by t_standalone and t_wg: standalone wgd interfaces driven by
# wg(8) alone.  Namespaces as the kernel's selftest has them: the
# interfaces start in a middle namespace M, whose loopback carries
# their UDP, and are moved out to X and Y.  Names carry the test's pid.

. "$(atf_get_srcdir)/lib.sh"

st_head()
{
	atf_set "require.user" "root"
	atf_set "require.progs" "ip wg wireguard-go ping ss pgrep $*"
}

# st_setup: namespaces M (middle), X and Y; interface names I1, I2.
st_setup()
{
	M="wgsM$$"
	X="wgsX$$"
	Y="wgsY$$"
	I1="wgs1$$"
	I2="wgs2$$"
	echo "$M $X $Y" > netns
	echo "$I1 $I2" > ifaces
	for ns in $M $X $Y; do
		ip netns add "$ns" || atf_fail "ip netns add"
		ip -n "$ns" link set lo up
	done
	id _wgd >/dev/null 2>&1 ||
	    useradd --system --home-dir /var/empty --no-create-home \
	    --shell /usr/sbin/nologin _wgd || atf_fail "cannot create _wgd"
	umask 077
	wg genkey > k1
	wg genkey > k2
}

# wgd_up NS IF: wgd IF in NS, backgrounded once ready; with ST_DEBUG
# set, in the foreground (-d) with its log in IF.log.
wgd_up()
{
	if [ -n "${ST_DEBUG:-}" ]; then
		ip netns exec "$1" "$WGD" -d -v "$2" > "$2.log" 2>&1 &
		echo $! > "$2.pid"
		i=0
		while ! parent_of "$1" "$2" > /dev/null; do
			[ $i -lt 50 ] || atf_fail "wgd $2: $(cat "$2.log")"
			sleep 0.1
			i=$((i + 1))
		done
		return 0
	fi
	ip netns exec "$1" "$WGD" -v "$2" 2> "$2.err" ||
	    atf_fail "wgd $2 failed: $(cat "$2.err")"
	# The socket listens once wgd is ready, but the control process
	# may not hold it yet: the parent hands it over.
	i=0
	until parent_of "$1" "$2" > "$2.pid"; do
		[ $i -lt 50 ] || atf_fail "no parent for $2"
		sleep 0.1
		i=$((i + 1))
	done
}

# parent_of NS IF: the wgd parent serving IF, started in NS: the parent
# of the control process, which listens on the socket.
#
# Right after wgd is ready the parent may still hold the socket itself,
# or no process may (the fd on its way to the control process): each
# holder is taken by its title, and a pid of 1 never comes out, for a
# cleanup would kill it.
parent_of()
{
	for c in $(ip netns exec "$1" ss -xlpH 2>/dev/null |
	    grep "/var/run/wireguard/$2.sock " | grep -o 'pid=[0-9]*' |
	    cut -d = -f 2); do
		case $(proc_title "$c") in
		"wgd: control")
			p=$(awk '/^PPid:/ { print $2 }' "/proc/$c/status") ;;
		"wgd: parent")
			p=$c ;;
		*)
			continue ;;
		esac
		if [ "${p:-0}" -gt 1 ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

gone_within_2s()
{
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt 20 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# pair_up [HOST]: two standalone wgd in M, moved to X and Y, talking
# over M's loopback (HOST: 127.0.0.1, or [::1]); ports 10001, 10002.
pair_up()
{
	h=${1:-127.0.0.1}
	wgd_up "$M" "$I1"
	wgd_up "$M" "$I2"
	ip -n "$M" link set "$I1" netns "$X" || atf_fail "move $I1"
	ip -n "$M" link set "$I2" netns "$Y" || atf_fail "move $I2"
	wg set "$I1" private-key k1 listen-port 10001 peer \
	    "$(wg pubkey < k2)" endpoint "$h:10002" \
	    allowed-ips 192.168.241.2/32,fd00::2/128 || atf_fail "wg set $I1"
	wg set "$I2" private-key k2 listen-port 10002 peer \
	    "$(wg pubkey < k1)" endpoint "$h:10001" \
	    allowed-ips 192.168.241.1/32,fd00::1/128 || atf_fail "wg set $I2"
	ip -n "$X" addr add 192.168.241.1/24 dev "$I1"
	ip -n "$Y" addr add 192.168.241.2/24 dev "$I2"
	ip -n "$X" addr add fd00::1/64 dev "$I1" nodad
	ip -n "$Y" addr add fd00::2/64 dev "$I2" nodad
	ip -n "$X" link set "$I1" up
	ip -n "$Y" link set "$I2" up
}

ping_ok()
{
	ip netns exec "$1" ping -c 2 -i 0.3 -w 10 "$2" > ping.out 2>&1 ||
	    atf_fail "ping $2 from $1 failed: $(cat ping.out)"
}

st_cleanup()
{
	for f in *.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	if [ -f ifaces ]; then
		for i in $(cat ifaces); do
			rm -f "/var/run/wireguard/$i.sock"
		done
	fi
	if [ -f netns ]; then
		for ns in $(cat netns); do
			ip netns del "$ns" 2>/dev/null
		done
	fi
	true
}
