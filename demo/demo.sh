#!/bin/sh
# demo/demo.sh: wgd's main job, end to end, in a few seconds (make demo).
#
# Two private network namespaces joined by a virtual cable: "home" runs
# wgd with the managed peers laptop and phone, "phone" runs Debian's
# wireguard-go configured from the peer_phone.conf that wgd generated,
# as the WireGuard app would be from the QR code.  The phone pings the
# server through the tunnel, resolves a name that only the home's own
# resolver knows (a dnsmasq on the server's loopback, as a Pi-hole
# would be) through wgd's DNS forwarder, and wgctl shows the session.
#
# Everything lives in those namespaces and in one temporary directory;
# nothing is written to /etc or /var/lib, no port is opened on the host.
# On exit, whatever happens, the namespaces, the processes this script
# started (by pid) and the temporary directory are removed.
# Needs root (it re-runs itself with sudo), and wgd/wgd and wgctl/wgctl
# built (make).

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
WGD=$TOP/wgd/wgd
WGCTL=$TOP/wgctl/wgctl

die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
	    die "needs root (network namespaces, TUN devices), and sudo is not installed: run it as root"
	echo "demo: needs root for network namespaces; running it through sudo" >&2
	exec sudo -- sh "$0" "$@"
fi

for f in "$WGD" "$WGCTL"; do
	[ -x "$f" ] || die "$f is missing: run make first"
done
for c in ip wg wg-quick wireguard-go ping dnsmasq dig; do
	command -v $c >/dev/null 2>&1 || die "$c not found: run make deps"
done
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: this machine cannot make TUN devices"

# indent: the output of a command, set off from the explanations.
indent() {
	sed 's/^./    &/' "$@"
}

# Unique names: wireguard-go's control sockets live in the one
# /var/run/wireguard shared by every namespace.  Interface names have at
# most 15 characters.
NS_HOME=wgdemo-home-$$
NS_PHONE=wgdemo-phone-$$
WGIF=wgdemo$$
GODEV=wgphone$$
HOME_IP=203.0.113.1	# the server's "public" address (documentation range)
PHONE_IP=203.0.113.2
TUN_SERVER=10.13.13.1
HOME_NAME=nas.home		# a name only the home's resolver knows
HOME_NAME_IP=192.168.1.20

WORK=
WGDPID=
GOPID=
MADE_NS=
MADE_VAR_EMPTY=
MADE_RUN_WG=

# alive PID: runs, and is not a zombie waiting for init to reap it.
alive() {
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# The pids in our namespaces: only processes this script started (wgd
# and its children, wireguard-go, ping) ever run there.
ns_pids() {
	for ns in $MADE_NS; do
		ip netns pids "$ns" 2>/dev/null
	done
}

cleanup() {
	trap - EXIT INT TERM HUP
	[ -n "$GOPID" ] && kill "$GOPID" 2>/dev/null
	# SIGTERM is wgd's clean shutdown: interface and socket removed.
	[ -n "$WGDPID" ] && kill "$WGDPID" 2>/dev/null
	i=0
	while [ -n "$(ns_pids)" ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	for p in $(ns_pids); do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "$GOPID" ] && wait "$GOPID" 2>/dev/null
	for ns in $MADE_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$GODEV.sock"
	[ -n "$MADE_RUN_WG" ] && rmdir /var/run/wireguard 2>/dev/null
	[ -n "$MADE_VAR_EMPTY" ] && rmdir /var/empty 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
	true
}
trap cleanup EXIT
trap 'echo "demo: interrupted; cleaning up" >&2; exit 130' INT
trap 'echo "demo: killed; cleaning up" >&2; exit 143' TERM HUP

# Headers in bold on a terminal.
if [ -t 1 ]; then
	B=$(printf '\033[1m')
	N=$(printf '\033[0m')
else
	B=
	N=
fi

step() {
	printf '\n%s=== %s%s\n' "$B" "$1" "$N"
	shift
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
	echo
}

# wgd makes /var/empty (its children's empty chroot) and wireguard-go
# /var/run/wireguard when missing: remove them again if we caused them.
[ -d /var/empty ] || MADE_VAR_EMPTY=1
[ -d /var/run/wireguard ] || MADE_RUN_WG=1

umask 077
WORK=$(mktemp -d /tmp/wgdemo.XXXXXX) || die "mktemp"
SOCK=$WORK/wgd.sock
STATE=$WORK/state

step "1. Two private networks: \"home\" (the wgd server) and \"phone\" (a client)" \
    "Network namespaces, joined by a virtual cable.  The server's public" \
    "address is $HOME_IP; in real life it is your router's, forwarding UDP" \
    "port 51820 to the machine that runs wgd."
ip netns add "$NS_HOME" || die "ip netns add $NS_HOME"
MADE_NS=$NS_HOME
ip netns add "$NS_PHONE" || die "ip netns add $NS_PHONE"
MADE_NS="$NS_HOME $NS_PHONE"
if ! { ip -n "$NS_HOME" link set lo up &&
    ip -n "$NS_PHONE" link set lo up &&
    ip link add veth0 netns "$NS_HOME" type veth peer name veth0 \
	netns "$NS_PHONE" &&
    ip -n "$NS_HOME" addr add $HOME_IP/24 dev veth0 &&
    ip -n "$NS_PHONE" addr add $PHONE_IP/24 dev veth0 &&
    ip -n "$NS_HOME" link set veth0 up &&
    ip -n "$NS_PHONE" link set veth0 up; }; then
	die "cannot set up the namespaces"
fi
echo "    home  $NS_HOME   veth0 $HOME_IP"
echo "    phone $NS_PHONE  veth0 $PHONE_IP"

# The home's resolver, on its loopback only, as Pi-hole on a Pi often
# is; the home's resolv.conf names it (wgd reads this file in place of
# /etc/resolv.conf, which the demo leaves alone).
ip netns exec "$NS_HOME" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --pid-file= --listen-address=127.0.0.1 \
    --bind-interfaces --address=/$HOME_NAME/$HOME_NAME_IP \
    > "$WORK/dnsmasq.log" 2>&1 &
echo "nameserver 127.0.0.1" > "$WORK/resolv.conf"
echo "    home  resolver 127.0.0.1 (dnsmasq, knows $HOME_NAME)"

# Children drop to _wgd, which make install creates; until then nobody.
if id _wgd >/dev/null 2>&1; then
	userline='#user "_wgd"			# the default'
else
	userline='user "nobody"			# _wgd does not exist yet (make install makes it)'
fi
cat > "$WORK/wgd.conf" <<CONF || die "cannot write $WORK/wgd.conf"
# The demo's /etc/wgd.conf, with its files in a temporary directory.
$userline
socket "$SOCK"
state-dir "$STATE"

interface "$WGIF" {
	listen-port 51820
	address $TUN_SERVER/24			# the tunnel's subnet

	# What goes into the generated client configurations:
	client endpoint "$HOME_IP" port 51820	# your public name or address
	client dns tunnel			# wgd answers on $TUN_SERVER
	client allowed-ips { 10.13.13.0/24 }	# what the clients send through
	client persistent-keepalive 25

	# Managed peers: wgd makes their keys, addresses and client files.
	peer "laptop"
	peer "phone"
}
CONF

step "2. The configuration: two managed peers, laptop and phone" \
    "A peer without a public key is managed: wgd makes its key pair, its" \
    "preshared key and its address, keeps them, and writes its client" \
    "configuration file and QR code.  $WORK/wgd.conf:"
sed 's/^/    | /' "$WORK/wgd.conf"

step "3. Start wgd in \"home\"" \
    "Without -d it returns once the tunnel is up and the files are written."
echo "    # wgd -f $WORK/wgd.conf"
ip netns exec "$NS_HOME" env WGD_TEST_RESOLV_CONF="$WORK/resolv.conf" \
    "$WGD" -f "$WORK/wgd.conf" > "$WORK/wgd.out" 2>&1
rc=$?
indent "$WORK/wgd.out"
[ $rc -eq 0 ] || die "wgd did not start (its errors are above)"
for p in $(ip netns pids "$NS_HOME"); do
	case $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) in
	"wgd: parent"*) WGDPID=$p ;;
	esac
done
[ -n "$WGDPID" ] || die "wgd said it started, but no \"wgd: parent\" process runs"
[ -S "$SOCK" ] || die "wgd started, but its control socket $SOCK is missing"
echo "    wgd is running (pid $WGDPID)"

CONF=$STATE/$WGIF/peer_phone/peer_phone.conf
[ -f "$CONF" ] || die "wgd did not write $CONF"

step "4. The phone's QR code" \
    "Scan it with the WireGuard app (\"+\", \"Scan from QR code\") and the" \
    "phone is set up: it holds the whole client configuration."
echo "    # wgctl peer phone qr"
if "$WGCTL" -s "$SOCK" peer phone qr > "$WORK/qr.out" 2> "$WORK/qr.err"; then
	cat "$WORK/qr.out"
else
	echo "    (this wgctl cannot draw the QR code: $(head -n 1 "$WORK/qr.err"))"
	echo "    The text it holds, from wgctl peer phone conf:"
	echo
	if ! "$WGCTL" -s "$SOCK" peer phone conf > "$WORK/conf.out" 2>/dev/null; then
		cp "$CONF" "$WORK/conf.out" || die "cannot read $CONF"
	fi
	sed 's/^/    | /' "$WORK/conf.out"
fi

step "5. The phone's client configuration file" \
    "The same configuration as a wg-quick file, the way a laptop takes it" \
    "(wg-quick up FILE, or \"Import tunnel(s) from file\" in the desktop" \
    "apps); wgctl peer phone conf prints it.  Beside it, its QR code as PNG:"
echo "    $CONF"
[ -f "${CONF%.conf}.png" ] && echo "    ${CONF%.conf}.png"
echo
echo "    (every peer's keys and files: $STATE/$WGIF/peer_NAME/)"

step "6. Bring up the phone: wireguard-go configured from peer_phone.conf alone" \
    "What the app does with it: keys and endpoint (wg setconf), the" \
    "tunnel address (Address), and routes for AllowedIPs."
ip netns exec "$NS_PHONE" wireguard-go -f "$GODEV" > "$WORK/go.log" 2>&1 &
GOPID=$!
i=0
while ! ip -n "$NS_PHONE" link show "$GODEV" >/dev/null 2>&1; do
	kill -0 "$GOPID" 2>/dev/null ||
	    die "wireguard-go exited: $(cat "$WORK/go.log")"
	[ $i -lt 50 ] || die "wireguard-go made no device in 5 seconds"
	sleep 0.1
	i=$((i + 1))
done
wg-quick strip "$CONF" > "$WORK/phone.wg" || die "wg-quick strip $CONF"
ip netns exec "$NS_PHONE" wg setconf "$GODEV" "$WORK/phone.wg" ||
    die "wg setconf refused the phone's configuration"
addrs=$(sed -n 's/^Address *= *//p' "$CONF" | tr ',' ' ')
[ -n "$addrs" ] || die "$CONF has no Address"
for a in $addrs; do
	ip -n "$NS_PHONE" addr add "$a" dev "$GODEV" || die "ip addr add $a"
done
ip -n "$NS_PHONE" link set "$GODEV" mtu 1420 up || die "ip link set $GODEV up"
for r in $(sed -n 's/^AllowedIPs *= *//p' "$CONF" | tr ',' ' '); do
	ip -n "$NS_PHONE" route replace "$r" dev "$GODEV" ||
	    die "ip route $r"
done
echo "    phone: $GODEV up, address $addrs, endpoint" \
    "$(sed -n 's/^Endpoint *= *//p' "$CONF")"

step "7. The phone pings the server's tunnel address $TUN_SERVER" \
    "The first packet starts the WireGuard handshake."
if ! ip netns exec "$NS_PHONE" ping -c 3 -i 0.5 -w 10 "$TUN_SERVER" \
    > "$WORK/ping.out" 2>&1; then
	indent "$WORK/ping.out"
	echo "    The phone's side (wg show $GODEV):"
	ip netns exec "$NS_PHONE" wg show "$GODEV" 2>&1 | indent
	echo
	echo "    The server's side (wgctl show):"
	"$WGCTL" -s "$SOCK" show 2>&1 | indent
	die "the phone got no answer from $TUN_SERVER through the tunnel"
fi
indent "$WORK/ping.out"

DNS=$(sed -n 's/^DNS *= *//p' "$CONF")
step "8. The phone resolves $HOME_NAME through the tunnel" \
    "Its configuration says DNS = $DNS: wgd's forwarder answers there by" \
    "asking the home's own resolver, which keeps its port 53."
echo "    # dig @$DNS $HOME_NAME"
ip netns exec "$NS_PHONE" dig +short +time=2 +tries=3 @"$DNS" "$HOME_NAME" \
    > "$WORK/dig.out" 2>&1
indent "$WORK/dig.out"
[ "$(cat "$WORK/dig.out")" = "$HOME_NAME_IP" ] ||
    die "the phone could not resolve $HOME_NAME through the tunnel"

step "9. What the server sees: wgctl show" \
    "The phone's handshake and traffic; the laptop was never connected."
echo "    # wgctl show"
"$WGCTL" -s "$SOCK" show > "$WORK/show.out" || die "wgctl show failed"
indent "$WORK/show.out"
grep -q 'latest handshake' "$WORK/show.out" ||
    die "wgctl show reports no handshake"

step "10. Clean up" \
    "Stop wgd and wireguard-go, remove the namespaces and $WORK."
cleanup
left=
for ns in $MADE_NS; do
	ip netns list | grep -q "^$ns\( \|$\)" && left="$left namespace $ns,"
done
for p in $WGDPID $GOPID; do
	alive "$p" && left="$left pid $p,"
done
[ -e "$WORK" ] && left="$left $WORK,"
[ -z "$left" ] || die "cleanup left${left%,} behind"
echo "    Done: nothing of the demo is left."

cat <<'EOF'

The demo worked.  To run wgd for real on this machine:

    make install            # wgd, wgctl, manuals, systemd unit, user _wgd
    editor /etc/wgd.conf    # as root: public_name, lan, your peers
    wgd -n                  # check it
    systemctl enable --now wgd
    wgctl peer phone qr     # scan it with the WireGuard app

and on your router forward UDP port 51820 to this machine.  Coming from
the linuxserver/IOTstack container?  wgd -i /path/to/its/config keeps
every phone's keys: see README.
EOF
