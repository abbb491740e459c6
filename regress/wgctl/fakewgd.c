/*
 * A stand-in for wgd's control socket, for wgctl's tests:
 *
 *	fakewgd socket scenario log
 *
 * listens on socket and returns once it does (so the caller knows wgctl
 * may connect), while a child accepts one connection, writes the request
 * it reads to log as one line ("show all", "show peer NAME", "reload",
 * "log verbose 1", "peer conf NAME", ...) and answers with the
 * scenario's canned replies, well-formed or not.  The child gives up
 * after ten seconds.
 *
 * The replies are built from wgd.h's structs, so they have its sizes;
 * the "bad-*-short" and "-long" scenarios are a byte off of those.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "imsg.h"
#include "wgd.h"

static struct imsgbuf	 ibuf;

static void
send_msg(uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&ibuf, type, 0, 0, -1, data, len) == -1)
		err(1, "imsg_compose");
}

static void
send_text(uint32_t type, const char *text)
{
	send_msg(type, text, strlen(text) + 1);
}

static void
send_end(int32_t status)
{
	struct ctl_end	 end;

	memset(&end, 0, sizeof(end));
	end.status = status;
	send_msg(IMSG_CTL_END, &end, sizeof(end));
}

static void
fill_key(uint8_t key[WG_KEY_LEN], uint8_t first)
{
	int	 i;

	for (i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)(first + i);
}

static struct ctl_iface
make_iface(const char *name, uint8_t key, uint16_t port)
{
	struct ctl_iface	 i;

	memset(&i, 0, sizeof(i));
	strlcpy(i.name, name, sizeof(i.name));
	fill_key(i.pubkey, key);
	i.listen_port = port;
	return i;
}

static struct ctl_peer
make_peer(const char *ifname, const char *name, uint8_t key,
    const char *endpoint, uint16_t keepalive)
{
	struct ctl_peer	 p;

	memset(&p, 0, sizeof(p));
	strlcpy(p.iface, ifname, sizeof(p.iface));
	strlcpy(p.name, name, sizeof(p.name));
	if (key != 0) {
		p.has_pubkey = 1;
		fill_key(p.pubkey, key);
	}
	strlcpy(p.endpoint, endpoint, sizeof(p.endpoint));
	p.keepalive = keepalive;
	/* Heard from: these show the layout, the hints have their own. */
	p.rx_any = 1;
	return p;
}

static void
send_iface(const char *name, uint8_t key, uint16_t port)
{
	struct ctl_iface	 i = make_iface(name, key, port);

	send_msg(IMSG_CTL_IFACE, &i, sizeof(i));
}

static void
send_peer(const struct ctl_peer *p)
{
	send_msg(IMSG_CTL_PEER, p, sizeof(*p));
}

static struct wgd_prefix
prefix(const char *s)
{
	struct wgd_prefix	 p;

	if (addr_parse_prefix(s, &p) == -1)
		errx(1, "bad prefix %s", s);
	return p;
}

static void
send_prefixes(const struct wgd_prefix *v, size_t n)
{
	send_msg(IMSG_CTL_ALLOWED_IPS, v, n * sizeof(*v));
}

/* Two interfaces, three peers, allowed ips in two parts: all valid. */
static void
sc_show(void)
{
	struct wgd_prefix	 v[2];
	struct ctl_peer		 p;

	send_iface("wg0", 0, 51820);
	p = make_peer("wg0", "laptop", 32, "203.0.113.7:44524", 25);
	send_peer(&p);
	v[0] = prefix("10.13.13.2/32");
	send_prefixes(v, 1);
	v[0] = prefix("192.168.50.0/24");
	v[1] = prefix("fd00:13::/64");
	send_prefixes(v, 2);
	send_prefixes(v, 0);
	p = make_peer("wg0", "phone", 0, "", 0);
	send_peer(&p);
	send_iface("wg1", 96, 51821);
	send_end(0);
}

/*
 * The same with a handshake and traffic (SPEC's layout in full) and
 * every drop counter set.  Handshake times are relative to this clock:
 * laptop's was 1 hour, 2 minutes, 5 seconds before the reply was sent,
 * phone's is an hour ahead of it, office never had one.
 */
static void
sc_show_stats(void)
{
	struct wgd_prefix	 v[2];
	struct ctl_iface	 i = make_iface("wg0", 0, 51820);
	struct ctl_peer		 p;
	time_t			 now = time(NULL);
	size_t			 k;

	for (k = 0; k < DROP_MAX; k++)
		i.drops[k] = 1000 + k;
	i.drops[DROP_IO] = UINT64_MAX;
	send_msg(IMSG_CTL_IFACE, &i, sizeof(i));
	p = make_peer("wg0", "laptop", 32, "203.0.113.7:44524", 25);
	p.last_handshake = now - 3725;
	p.rx_bytes = 1268777;
	p.tx_bytes = 3565158;
	send_peer(&p);
	v[0] = prefix("10.13.13.2/32");
	send_prefixes(v, 1);
	p = make_peer("wg0", "phone", 0, "", 0);
	p.last_handshake = now + 3600;
	p.rx_bytes = 1024;
	send_peer(&p);
	p = make_peer("wg0", "office", 64, "[2001:db8::1]:51820", 0);
	p.tx_bytes = UINT64_MAX;
	send_peer(&p);
	v[0] = prefix("10.13.13.50/32");
	v[1] = prefix("fd00:13::/64");
	send_prefixes(v, 2);
	send_iface("wg1", 96, 51821);
	send_end(0);
}

static void
sc_empty(void)
{
	send_end(0);
}

static void
sc_error(void)
{
	send_text(IMSG_CTL_ERROR, "no interface \"wg9\"");
	send_end(1);
}

static void
sc_lines(void)
{
	send_text(IMSG_CTL_LINE, "peer \"laptop\" added");
	send_text(IMSG_CTL_LINE, "peer \"phone\" removed");
	send_end(0);
}

static void
sc_errors(void)
{
	send_text(IMSG_CTL_ERROR, "/etc/wgd.conf:3: unknown keyword \"x\"");
	send_text(IMSG_CTL_ERROR, "/etc/wgd.conf:9: bad key");
	send_end(1);
}

static void
sc_silent_failure(void)
{
	send_end(1);
}

static void
sc_eof(void)
{
}

static void
sc_eof_midway(void)
{
	send_iface("wg0", 0, 51820);
}

static void
sc_status_2(void)
{
	send_end(2);
}

static void
sc_status_negative(void)
{
	send_end(-1);
}

static void
sc_end_short(void)
{
	int16_t	 s = 0;

	send_msg(IMSG_CTL_END, &s, sizeof(s));
}

static void
sc_end_long(void)
{
	int64_t	 s = 0;

	send_msg(IMSG_CTL_END, &s, sizeof(s));
}

static void
sc_iface_short(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);

	send_msg(IMSG_CTL_IFACE, &i, sizeof(i) - 1);
	send_end(0);
}

static void
sc_iface_long(void)
{
	char	 buf[sizeof(struct ctl_iface) + 1];

	memset(buf, 0, sizeof(buf));
	buf[0] = 'w';
	send_msg(IMSG_CTL_IFACE, buf, sizeof(buf));
	send_end(0);
}

/* An interface from a wgd without drop counters. */
static void
sc_iface_no_drops(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);

	send_msg(IMSG_CTL_IFACE, &i, offsetof(struct ctl_iface, drops));
	send_end(0);
}

static void
sc_iface_unterminated(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);

	memset(i.name, 'a', sizeof(i.name));
	send_msg(IMSG_CTL_IFACE, &i, sizeof(i));
	send_end(0);
}

static void
sc_iface_bad_name(void)
{
	send_iface("a/b", 0, 1);
	send_end(0);
}

static void
sc_iface_empty_name(void)
{
	send_iface("", 0, 1);
	send_end(0);
}

static void
sc_peer_first(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	send_peer(&p);
	send_end(0);
}

static void
sc_peer_other_iface(void)
{
	struct ctl_peer	 p = make_peer("wg1", "laptop", 32, "", 0);

	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_short(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	send_iface("wg0", 0, 1);
	send_msg(IMSG_CTL_PEER, &p, sizeof(p) - 1);
	send_end(0);
}

static void
sc_peer_long(void)
{
	char	 buf[sizeof(struct ctl_peer) + 1];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "wg0", 3);
	memcpy(buf + offsetof(struct ctl_peer, name), "laptop", 6);
	send_iface("wg0", 0, 1);
	send_msg(IMSG_CTL_PEER, buf, sizeof(buf));
	send_end(0);
}

/* A peer from a wgd without handshake time and byte counts. */
static void
sc_peer_no_stats(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	send_iface("wg0", 0, 1);
	send_msg(IMSG_CTL_PEER, &p, offsetof(struct ctl_peer, last_handshake));
	send_end(0);
}

static void
sc_peer_bad_name(void)
{
	struct ctl_peer	 p = make_peer("wg0", "lap top", 32, "", 0);

	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_unterminated_name(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	memset(p.name, 'a', sizeof(p.name));
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_unterminated_endpoint(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	memset(p.endpoint, '1', sizeof(p.endpoint));
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

/* A peer added through wg(8): no name, its key. */
static void
sc_runtime(void)
{
	struct ctl_peer	 p = make_peer("wg0", "", 32, "192.0.2.9:7", 0);

	p.runtime = 1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

/* A peer disabled in wgd.conf. */
static void
sc_disabled(void)
{
	struct ctl_peer	 p = make_peer("wg0", "guest", 32, "", 0);

	p.disabled = 1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_disabled_2(void)
{
	struct ctl_peer	 p = make_peer("wg0", "guest", 32, "", 0);

	p.disabled = 2;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_runtime_named(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	p.runtime = 1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_runtime_keyless(void)
{
	struct ctl_peer	 p = make_peer("wg0", "", 0, "", 0);

	p.runtime = 1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_runtime_2(void)
{
	struct ctl_peer	 p = make_peer("wg0", "", 32, "", 0);

	p.runtime = 2;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_has_pubkey_2(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	p.has_pubkey = 2;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

/* A time before the epoch: no handshake wgd can have seen. */
static void
sc_peer_negative_handshake(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	p.last_handshake = -1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

/* A failure of the interface at no time wgd can have seen. */
static void
sc_iface_fail_negative(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);

	i.fails[0].when = INT64_MIN;
	send_msg(IMSG_CTL_IFACE, &i, sizeof(i));
	send_end(0);
}

/* An address of a failure that does not end in its field. */
static void
sc_iface_fail_unterminated(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);

	i.fails[IFACE_FAIL_MAX - 1].when = 1;
	memset(i.fails[IFACE_FAIL_MAX - 1].from, '1',
	    sizeof(i.fails[IFACE_FAIL_MAX - 1].from));
	send_msg(IMSG_CTL_IFACE, &i, sizeof(i));
	send_end(0);
}

static void
sc_peer_fail_unterminated(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	memset(p.fails[0].from, '1', sizeof(p.fails[0].from));
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_iface_fail_negative(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	p.iface_fails[IFACE_FAIL_MAX - 1].when = -1;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_unterminated_host(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	memset(p.endpoint_host, 'a', sizeof(p.endpoint_host));
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_peer_unterminated_client_endpoint(void)
{
	struct ctl_peer	 p = make_peer("wg0", "laptop", 32, "", 0);

	memset(p.client_endpoint, 'a', sizeof(p.client_endpoint));
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_end(0);
}

static void
sc_aips_first(void)
{
	struct wgd_prefix	 v = prefix("10.0.0.0/8");

	send_iface("wg0", 0, 1);
	send_prefixes(&v, 1);
	send_end(0);
}

static void
sc_aips_odd_size(void)
{
	struct wgd_prefix	 v[2];
	struct ctl_peer		 p = make_peer("wg0", "laptop", 32, "", 0);

	v[0] = v[1] = prefix("10.0.0.0/8");
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_msg(IMSG_CTL_ALLOWED_IPS, v, sizeof(v) - 1);
	send_end(0);
}

static void
send_bad_prefix(uint8_t af, uint8_t plen)
{
	struct wgd_prefix	 v[2];
	struct ctl_peer		 p = make_peer("wg0", "laptop", 32, "", 0);

	v[0] = prefix("10.0.0.0/8");
	memset(&v[1], 0, sizeof(v[1]));
	v[1].af = af;
	v[1].plen = plen;
	send_iface("wg0", 0, 1);
	send_peer(&p);
	send_prefixes(v, 2);
	send_end(0);
}

static void
sc_aips_bad_af(void)
{
	send_bad_prefix(AF_UNIX, 8);
}

static void
sc_aips_v4_plen(void)
{
	send_bad_prefix(AF_INET, 33);
}

static void
sc_aips_v6_plen(void)
{
	send_bad_prefix(AF_INET6, 129);
}

static void
sc_line_unterminated(void)
{
	send_msg(IMSG_CTL_LINE, "abc", 3);
	send_end(0);
}

static void
sc_line_empty(void)
{
	send_msg(IMSG_CTL_LINE, NULL, 0);
	send_end(0);
}

static void
sc_line_inner_nul(void)
{
	send_msg(IMSG_CTL_LINE, "a\0b", 4);
	send_end(0);
}

static void
sc_error_unterminated(void)
{
	send_msg(IMSG_CTL_ERROR, "oops", 4);
	send_end(1);
}

static void
sc_unknown_type(void)
{
	send_msg(IMSG_RECONF_BEGIN, NULL, 0);
	send_end(0);
}

static void
sc_type_max(void)
{
	send_msg(IMSG_MAX + 1000, NULL, 0);
	send_end(0);
}

static void
sc_request_type(void)
{
	struct ctl_show	 s;

	memset(&s, 0, sizeof(s));
	send_msg(IMSG_CTL_SHOW, &s, sizeof(s));
	send_end(0);
}

static void
sc_bad_header(void)
{
	struct imsg_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_CTL_END;
	hdr.len = 3;
	if (write(ibuf.fd, &hdr, sizeof(hdr)) != sizeof(hdr))
		err(1, "write");
}

static void
sc_with_fd(void)
{
	struct ctl_iface	 i = make_iface("wg0", 0, 1);
	int			 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		err(1, "/dev/null");
	if (imsg_compose(&ibuf, IMSG_CTL_IFACE, 0, 0, fd, &i,
	    sizeof(i)) == -1)
		err(1, "imsg_compose");
	send_end(0);
}

/*
 * A client configuration as wgd writes one, with made-up keys (the bytes
 * 0..31, 32..63 and 64..95 in base64), and a reply for it.
 */
#define PEER_CONF_TEXT \
	"[Interface]\n" \
	"Address = 10.13.13.2/32, fd00:13::2/128\n" \
	"PrivateKey = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n" \
	"DNS = 10.13.13.1\n" \
	"\n" \
	"[Peer]\n" \
	"PublicKey = ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\n" \
	"PresharedKey = QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\n" \
	"Endpoint = vpn.example.org:51820\n" \
	"AllowedIPs = 0.0.0.0/0, ::/0\n" \
	"PersistentKeepalive = 25\n"

static void
sc_peer_conf(void)
{
	send_text(IMSG_CTL_CONF, PEER_CONF_TEXT);
	send_end(0);
}

/* The most a reply carries: more than a QR code holds. */
static void
sc_peer_conf_huge(void)
{
	char	*text;

	if ((text = malloc(IMSG_MAXDATA)) == NULL)
		err(1, NULL);
	memset(text, 'a', IMSG_MAXDATA - 1);
	text[IMSG_MAXDATA - 1] = '\0';
	send_text(IMSG_CTL_CONF, text);
	send_end(0);
	free(text);
}

static void
sc_peer_unknown(void)
{
	send_text(IMSG_CTL_ERROR, "no peer named \"nobody\"");
	send_end(1);
}

static void
sc_peer_restricted(void)
{
	send_text(IMSG_CTL_ERROR, "peer configurations are not given out on "
	    "the restricted socket");
	send_end(1);
}

static void
sc_conf_unterminated(void)
{
	send_msg(IMSG_CTL_CONF, PEER_CONF_TEXT, strlen(PEER_CONF_TEXT));
	send_end(0);
}

static void
sc_conf_empty(void)
{
	send_text(IMSG_CTL_CONF, "");
	send_end(0);
}

static void
sc_conf_no_payload(void)
{
	send_msg(IMSG_CTL_CONF, NULL, 0);
	send_end(0);
}

static void
sc_conf_inner_nul(void)
{
	send_msg(IMSG_CTL_CONF, "[Interface]\n\0x\n", 16);
	send_end(0);
}

static void
sc_conf_twice(void)
{
	send_text(IMSG_CTL_CONF, PEER_CONF_TEXT);
	send_text(IMSG_CTL_CONF, PEER_CONF_TEXT);
	send_end(0);
}

/* Success with nothing to print. */
static void
sc_conf_missing(void)
{
	send_end(0);
}

static void
sc_conf_with_line(void)
{
	send_text(IMSG_CTL_LINE, "hello");
	send_text(IMSG_CTL_CONF, PEER_CONF_TEXT);
	send_end(0);
}

static void
sc_conf_with_iface(void)
{
	send_iface("wg0", 0, 51820);
	send_text(IMSG_CTL_CONF, PEER_CONF_TEXT);
	send_end(0);
}

static void
sc_conf_with_fd(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		err(1, "/dev/null");
	if (imsg_compose(&ibuf, IMSG_CTL_CONF, 0, 0, fd, PEER_CONF_TEXT,
	    sizeof(PEER_CONF_TEXT)) == -1)
		err(1, "imsg_compose");
	send_end(0);
}

static const struct scenario {
	const char	*name;
	void		(*send)(void);
} scenarios[] = {
	{ "show",			sc_show },
	{ "show-stats",			sc_show_stats },
	{ "empty",			sc_empty },
	{ "error",			sc_error },
	{ "lines",			sc_lines },
	{ "errors",			sc_errors },
	{ "silent-failure",		sc_silent_failure },
	{ "eof",			sc_eof },
	{ "eof-midway",			sc_eof_midway },
	{ "bad-status-2",		sc_status_2 },
	{ "bad-status-negative",	sc_status_negative },
	{ "bad-end-short",		sc_end_short },
	{ "bad-end-long",		sc_end_long },
	{ "bad-iface-short",		sc_iface_short },
	{ "bad-iface-long",		sc_iface_long },
	{ "bad-iface-no-drops",		sc_iface_no_drops },
	{ "bad-iface-unterminated",	sc_iface_unterminated },
	{ "bad-iface-name",		sc_iface_bad_name },
	{ "bad-iface-empty-name",	sc_iface_empty_name },
	{ "bad-peer-first",		sc_peer_first },
	{ "bad-peer-other-iface",	sc_peer_other_iface },
	{ "bad-peer-short",		sc_peer_short },
	{ "bad-peer-long",		sc_peer_long },
	{ "bad-peer-no-stats",		sc_peer_no_stats },
	{ "bad-peer-name",		sc_peer_bad_name },
	{ "bad-peer-unterminated-name",	sc_peer_unterminated_name },
	{ "bad-peer-unterminated-endpoint", sc_peer_unterminated_endpoint },
	{ "bad-peer-has-pubkey-2",	sc_peer_has_pubkey_2 },
	{ "runtime",			sc_runtime },
	{ "disabled",			sc_disabled },
	{ "bad-disabled-2",		sc_disabled_2 },
	{ "bad-runtime-named",		sc_runtime_named },
	{ "bad-runtime-keyless",	sc_runtime_keyless },
	{ "bad-runtime-2",		sc_runtime_2 },
	{ "bad-peer-negative-handshake", sc_peer_negative_handshake },
	{ "bad-iface-fail-negative",	sc_iface_fail_negative },
	{ "bad-iface-fail-unterminated", sc_iface_fail_unterminated },
	{ "bad-peer-fail-unterminated",	sc_peer_fail_unterminated },
	{ "bad-peer-iface-fail-negative", sc_peer_iface_fail_negative },
	{ "bad-peer-unterminated-host",	sc_peer_unterminated_host },
	{ "bad-peer-unterminated-client-endpoint",
					sc_peer_unterminated_client_endpoint },
	{ "bad-aips-first",		sc_aips_first },
	{ "bad-aips-odd-size",		sc_aips_odd_size },
	{ "bad-aips-af",		sc_aips_bad_af },
	{ "bad-aips-v4-plen",		sc_aips_v4_plen },
	{ "bad-aips-v6-plen",		sc_aips_v6_plen },
	{ "bad-line-unterminated",	sc_line_unterminated },
	{ "bad-line-empty",		sc_line_empty },
	{ "bad-line-inner-nul",		sc_line_inner_nul },
	{ "bad-error-unterminated",	sc_error_unterminated },
	{ "bad-unknown-type",		sc_unknown_type },
	{ "bad-type-max",		sc_type_max },
	{ "bad-request-type",		sc_request_type },
	{ "bad-header",			sc_bad_header },
	{ "bad-with-fd",		sc_with_fd },
	{ "peer-conf",			sc_peer_conf },
	{ "peer-conf-huge",		sc_peer_conf_huge },
	{ "peer-unknown",		sc_peer_unknown },
	{ "peer-restricted",		sc_peer_restricted },
	{ "bad-conf-unterminated",	sc_conf_unterminated },
	{ "bad-conf-empty",		sc_conf_empty },
	{ "bad-conf-no-payload",	sc_conf_no_payload },
	{ "bad-conf-inner-nul",		sc_conf_inner_nul },
	{ "bad-conf-twice",		sc_conf_twice },
	{ "bad-conf-missing",		sc_conf_missing },
	{ "bad-conf-with-line",		sc_conf_with_line },
	{ "bad-conf-with-iface",	sc_conf_with_iface },
	{ "bad-conf-with-fd",		sc_conf_with_fd },
	{ NULL,				NULL }
};

/* One line for the request, as the tests compare it. */
static void
log_request(const struct imsg *imsg)
{
	struct ctl_show		 show;
	struct ctl_peer_req	 req;
	int			 verbose;

	switch (imsg->hdr.type) {
	case IMSG_CTL_SHOW:
		if (imsg_get_data(imsg, &show, sizeof(show)) == -1 ||
		    !STR_TERMINATED(show.name)) {
			printf("bad show request\n");
			break;
		}
		if (show.what == SHOW_ALL && show.name[0] == '\0')
			printf("show all\n");
		else if (show.what == SHOW_IFACE)
			printf("show interface %s\n", show.name);
		else if (show.what == SHOW_PEER)
			printf("show peer %s\n", show.name);
		else
			printf("show what=%u name=%s\n", show.what, show.name);
		break;
	case IMSG_CTL_RELOAD:
		if (imsg_get_len(imsg) == 0)
			printf("reload\n");
		else
			printf("bad reload request\n");
		break;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &verbose, sizeof(verbose)) == -1)
			printf("bad log request\n");
		else
			printf("log verbose %d\n", verbose);
		break;
	case IMSG_CTL_PEER_CONF:
		if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
		    !STR_TERMINATED(req.name))
			printf("bad peer request\n");
		else
			printf("peer conf %s\n", req.name);
		break;
	default:
		printf("type %u len %zu\n", imsg->hdr.type,
		    imsg_get_len(imsg));
		break;
	}
	if (fflush(stdout) == EOF)
		err(1, "log");
}

static void
serve(int lfd, const struct scenario *sc)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 fd;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		err(1, "accept");
	close(lfd);
	imsg_init(&ibuf, fd);
	while ((n = imsg_get(&ibuf, &imsg)) == 0) {
		if ((n = imsg_read(&ibuf)) == -1)
			err(1, "read");
		if (n == 0)
			errx(1, "wgctl closed without a request");
	}
	if (n == -1)
		err(1, "imsg_get");
	log_request(&imsg);
	imsg_free(&imsg);

	sc->send();
	/* wgctl may hang up at a bad reply: that is its right. */
	if (imsg_flush(&ibuf) == -1 && errno != EPIPE && errno != ECONNRESET)
		err(1, "write");
	imsg_clear(&ibuf);
	close(fd);
}

int
main(int argc, char *argv[])
{
	const struct scenario	*sc;
	struct sockaddr_un	 sun;
	int			 lfd, logfd;

	if (argc != 4) {
		fprintf(stderr, "usage: fakewgd socket scenario log\n");
		return 1;
	}
	for (sc = scenarios; sc->name != NULL; sc++)
		if (strcmp(sc->name, argv[2]) == 0)
			break;
	if (sc->name == NULL)
		errx(1, "unknown scenario %s", argv[2]);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: path too long", argv[1]);
	if ((logfd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "%s", argv[3]);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (unlink(argv[1]) == -1 && errno != ENOENT)
		err(1, "unlink %s", argv[1]);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "bind %s", argv[1]);
	if (listen(lfd, 1) == -1)
		err(1, "listen");

	fflush(stdout);
	switch (fork()) {
	case -1:
		err(1, "fork");
	case 0:
		break;
	default:
		return 0;	/* listening: wgctl may connect */
	}

	/* The child keeps neither the caller's stdout nor its stderr. */
	if (dup2(logfd, STDOUT_FILENO) == -1 ||
	    dup2(logfd, STDERR_FILENO) == -1)
		err(1, "dup2");
	close(logfd);
	close(STDIN_FILENO);
	signal(SIGPIPE, SIG_IGN);
	alarm(10);
	serve(lfd, sc);
	return 0;
}
