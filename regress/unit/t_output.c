/*
 * wgctl/output.c and output_json.c: the structs wgd sends, printed in
 * the layout of SPEC's "wgctl show layout" (that of wg show) and as one
 * JSON object, compared byte for byte.
 */

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "addr.h"
#include "output.h"
#include "wgd.h"

/* Keys whose bytes are first, first + 1, ... first + 31. */
#define KEY0	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY32	"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define KEY64	"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define KEY96	"YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8="

#define AIPS_MAX	8

/* The clock of every test: 2023-11-14 22:13:20 UTC. */
#define NOW		1700000000

/* What an interface that dropped nothing shows. */
#define DROPS0	"\"drops\":{\"short\":0,\"bad_type\":0,\"bad_mac1\":0," \
	"\"cookie_sent\":0,\"rate_limited\":0,\"bad_handshake\":0," \
	"\"unknown_peer\":0,\"replayed_handshake\":0,\"unknown_index\":0," \
	"\"expired_session\":0,\"bad_auth\":0,\"replayed\":0," \
	"\"bad_inner_packet\":0,\"source_not_allowed\":0,\"no_route\":0," \
	"\"no_endpoint\":0,\"queue_full\":0,\"io_error\":0," \
	"\"handshake_timeout\":0}"

/* The new keys of a peer that never had a handshake nor any traffic. */
#define STATS0	"\"latest_handshake\":0,\"transfer_rx\":0,\"transfer_tx\":0,\"runtime\":false,\"disabled\":false"

struct capture {
	struct output_ctx	 ctx;
	char			*buf;
	size_t			 len;
};

static void
capture_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	ATF_REQUIRE((c->ctx.f = open_memstream(&c->buf, &c->len)) != NULL);
	c->ctx.now = NOW;
}

/* Compares what was written with want; frees the capture. */
static void
capture_check(struct capture *c, const char *want)
{
	ATF_REQUIRE(fclose(c->ctx.f) == 0);
	ATF_CHECK_STREQ_MSG(c->buf, want, "\n--- got ---\n%s--- want ---\n%s",
	    c->buf, want);
	free(c->buf);
}

static void
fill_key(uint8_t key[WG_KEY_LEN], uint8_t first)
{
	int	 i;

	for (i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)(first + i);
}

static struct ctl_iface
iface(const char *name, uint8_t key, uint16_t port)
{
	struct ctl_iface	 i;

	memset(&i, 0, sizeof(i));
	strlcpy(i.name, name, sizeof(i.name));
	fill_key(i.pubkey, key);
	i.listen_port = port;
	return i;
}

/* keyfirst 0 means no public key yet (a managed peer not provisioned). */
static struct ctl_peer
peer(const char *ifname, const char *name, uint8_t keyfirst,
    const char *endpoint, uint16_t keepalive)
{
	struct ctl_peer	 p;

	memset(&p, 0, sizeof(p));
	strlcpy(p.iface, ifname, sizeof(p.iface));
	strlcpy(p.name, name, sizeof(p.name));
	if (keyfirst != 0) {
		p.has_pubkey = 1;
		fill_key(p.pubkey, keyfirst);
	}
	strlcpy(p.endpoint, endpoint, sizeof(p.endpoint));
	p.keepalive = keepalive;
	/* Heard from: the layout tests; the hints have their own. */
	p.rx_any = 1;
	return p;
}

/* Parses a NULL-terminated list of prefixes; returns how many. */
static size_t
prefixes(struct wgd_prefix *v, const char *const *s)
{
	size_t	 n;

	for (n = 0; s[n] != NULL; n++) {
		ATF_REQUIRE(n < AIPS_MAX);
		ATF_REQUIRE_MSG(addr_parse_prefix(s[n], &v[n]) == 0,
		    "bad prefix %s", s[n]);
	}
	return n;
}

/* The two interfaces of the tests below, through either backend. */
static void
two_interfaces(const struct output *out, struct output_ctx *ctx)
{
	static const char *const laptop[] = { "10.13.13.2/32", NULL };
	static const char *const office[] = { "10.13.13.50/32",
	    "192.168.50.0/24", "fd00:13::/64", NULL };
	struct wgd_prefix	 v[AIPS_MAX];
	struct ctl_iface	 i;
	struct ctl_peer		 p;
	size_t			 n;

	out->head(ctx);
	i = iface("wg0", 0, 51820);
	out->iface(ctx, &i);
	n = prefixes(v, laptop);
	p = peer("wg0", "laptop", 32, "203.0.113.7:44524", 25);
	out->peer(ctx, &p, v, n);
	p = peer("wg0", "phone", 0, "", 0);
	out->peer(ctx, &p, v, 0);
	n = prefixes(v, office);
	p = peer("wg0", "office", 64, "[2001:db8::1]:51820", 0);
	out->peer(ctx, &p, v, n);
	i = iface("wg1", 96, 51821);
	out->iface(ctx, &i);
	out->tail(ctx);
}

ATF_TC_WITHOUT_HEAD(text_spec_layout);
ATF_TC_BODY(text_spec_layout, tc)
{
	static const char *const aips[] = { "10.13.13.2/32", NULL };
	struct capture		 c;
	struct wgd_prefix	 v[AIPS_MAX];
	struct ctl_iface	 i = iface("wg0", 0, 51820);
	struct ctl_peer		 p = peer("wg0", "laptop", 32,
				    "203.0.113.7:44524", 25);

	p.last_handshake = NOW - 63;
	p.rx_bytes = 1268777;		/* 1.2100000381 MiB */
	p.tx_bytes = 3565158;		/* 3.3999996185 MiB */
	capture_start(&c);
	output_text.head(&c.ctx);
	output_text.iface(&c.ctx, &i);
	output_text.peer(&c.ctx, &p, v, prefixes(v, aips));
	output_text.tail(&c.ctx);
	capture_check(&c,
	    "interface: wg0\n"
	    "  public key: " KEY0 "\n"
	    "  listening port: 51820\n"
	    "\n"
	    "peer: laptop (" KEY32 ")\n"
	    "  endpoint: 203.0.113.7:44524\n"
	    "  allowed ips: 10.13.13.2/32\n"
	    "  latest handshake: 1 minute, 3 seconds ago\n"
	    "  transfer: 1.21 MiB received, 3.40 MiB sent\n"
	    "  persistent keepalive: every 25 seconds\n");
}

ATF_TC_WITHOUT_HEAD(text_blocks);
ATF_TC_BODY(text_blocks, tc)
{
	struct capture	 c;

	capture_start(&c);
	two_interfaces(&output_text, &c.ctx);
	capture_check(&c,
	    "interface: wg0\n"
	    "  public key: " KEY0 "\n"
	    "  listening port: 51820\n"
	    "\n"
	    "peer: laptop (" KEY32 ")\n"
	    "  endpoint: 203.0.113.7:44524\n"
	    "  allowed ips: 10.13.13.2/32\n"
	    "  persistent keepalive: every 25 seconds\n"
	    "\n"
	    "peer: phone\n"
	    "  allowed ips: (none)\n"
	    "\n"
	    "peer: office (" KEY64 ")\n"
	    "  endpoint: [2001:db8::1]:51820\n"
	    "  allowed ips: 10.13.13.50/32, 192.168.50.0/24, fd00:13::/64\n"
	    "\n"
	    "interface: wg1\n"
	    "  public key: " KEY96 "\n"
	    "  listening port: 51821\n");
}

ATF_TC_WITHOUT_HEAD(text_nothing_to_say);
ATF_TC_BODY(text_nothing_to_say, tc)
{
	struct capture		 c;
	struct ctl_iface	 i = iface("wg0", 0, 0);

	/* No interface at all: no output at all. */
	capture_start(&c);
	output_text.head(&c.ctx);
	output_text.tail(&c.ctx);
	capture_check(&c, "");

	/* No port (not bound): no listening port line. */
	capture_start(&c);
	output_text.head(&c.ctx);
	output_text.iface(&c.ctx, &i);
	output_text.tail(&c.ctx);
	capture_check(&c,
	    "interface: wg0\n"
	    "  public key: " KEY0 "\n");
}

ATF_TC_WITHOUT_HEAD(text_keepalive);
ATF_TC_BODY(text_keepalive, tc)
{
	static const struct {
		uint16_t	 secs;
		const char	*line;
	} cases[] = {
		{ 1, "every 1 second" },
		{ 59, "every 59 seconds" },
		{ 60, "every 1 minute" },
		{ 61, "every 1 minute, 1 second" },
		{ 3600, "every 1 hour" },
		{ 3725, "every 1 hour, 2 minutes, 5 seconds" },
		{ 7322, "every 2 hours, 2 minutes, 2 seconds" },
		{ 65535, "every 18 hours, 12 minutes, 15 seconds" }
	};
	struct capture		 c;
	struct ctl_peer		 p;
	char			 want[256];
	size_t			 k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		p = peer("wg0", "x", 32, "", cases[k].secs);
		capture_start(&c);
		output_text.peer(&c.ctx, &p, NULL, 0);
		snprintf(want, sizeof(want), "peer: x (" KEY32 ")\n"
		    "  allowed ips: (none)\n"
		    "  persistent keepalive: %s\n", cases[k].line);
		capture_check(&c, want);
	}
}

/* The latest handshake as wg show writes it, counted from ctx.now. */
ATF_TC_WITHOUT_HEAD(text_handshake);
ATF_TC_BODY(text_handshake, tc)
{
	static const struct {
		int64_t		 then;
		const char	*line;
	} cases[] = {
		{ NOW, "Now" },
		{ NOW - 1, "1 second ago" },
		{ NOW - 59, "59 seconds ago" },
		{ NOW - 60, "1 minute ago" },
		{ NOW - 63, "1 minute, 3 seconds ago" },
		{ NOW - 3601, "1 hour, 1 second ago" },
		{ NOW - 86400, "1 day ago" },
		{ NOW - (2 * 86400 + 3 * 3600 + 4 * 60 + 5),
		    "2 days, 3 hours, 4 minutes, 5 seconds ago" },
		{ NOW - 365 * 86400LL, "1 year ago" },
		{ NOW - (2 * 365 * 86400LL + 86400 + 1),
		    "2 years, 1 day, 1 second ago" },
		/* A year is 365 days, as in wg. */
		{ 1, "53 years, 330 days, 22 hours, 13 minutes, 19 seconds "
		    "ago" },
		/* Ahead of the clock, by any amount: wg's warning. */
		{ NOW + 1, "(System clock wound backward; connection "
		    "problems may ensue.)" },
		{ INT64_MAX, "(System clock wound backward; connection "
		    "problems may ensue.)" }
	};
	struct capture		 c;
	struct ctl_peer		 p;
	char			 want[256];
	size_t			 k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		p = peer("wg0", "x", 32, "", 0);
		p.last_handshake = cases[k].then;
		capture_start(&c);
		output_text.peer(&c.ctx, &p, NULL, 0);
		snprintf(want, sizeof(want), "peer: x (" KEY32 ")\n"
		    "  allowed ips: (none)\n"
		    "  latest handshake: %s\n", cases[k].line);
		capture_check(&c, want);
	}
}

/*
 * Handshake ages and the "connected" test across 2^31 s (a 32-bit
 * time_t's end, in 2038) and 2^32 s, on every architecture.
 */
ATF_TC_WITHOUT_HEAD(ages_across_32_bits);
ATF_TC_BODY(ages_across_32_bits, tc)
{
	static const int64_t	 edges[] = { INT32_MAX, UINT32_MAX };
	struct ctl_iface	 i;
	struct ctl_peer		 p;
	char			 buf[512];
	size_t			 k;

	memset(&i, 0, sizeof(i));
	i.listen_port = 51820;
	for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		output_ago(buf, sizeof(buf), edges[k] + 30, edges[k] - 30);
		ATF_CHECK_STREQ(buf, "1 minute ago");
		output_ago(buf, sizeof(buf), edges[k] - 1, edges[k] + 1);
		ATF_CHECK(strncmp(buf, "(System clock", 13) == 0);

		p = peer("wg0", "phone", 32, "", 0);
		p.rx_any = 1;
		p.unresolved = 1;
		strlcpy(p.endpoint_host, "office.example.org",
		    sizeof(p.endpoint_host));
		p.last_handshake = edges[k] - 10;
		ATF_CHECK(!output_hint(buf, sizeof(buf), &i, &p,
		    edges[k] + 10));
		ATF_CHECK(output_hint(buf, sizeof(buf), &i, &p,
		    edges[k] + OUTPUT_CONNECTED_SECS));
	}
}

/* No overflow whatever the two times are; 0 is never, not 1970. */
ATF_TC_WITHOUT_HEAD(ago_extremes);
ATF_TC_BODY(ago_extremes, tc)
{
	char	 buf[128];

	output_ago(buf, sizeof(buf), NOW, INT64_MIN);
	ATF_CHECK_STREQ(buf, "292471208731 years, 161 days, 13 hours, "
	    "43 minutes, 28 seconds ago");
	output_ago(buf, sizeof(buf), 0, -1);
	ATF_CHECK_STREQ(buf, "1 second ago");
	output_ago(buf, sizeof(buf), -1, 0);
	ATF_CHECK_STREQ(buf, "(System clock wound backward; connection "
	    "problems may ensue.)");
	/* Cut short rather than overflow. */
	output_ago(buf, 8, NOW, NOW - 3725);
	ATF_CHECK(strlen(buf) < 8);
	output_ago(buf, 2, NOW, NOW);
	ATF_CHECK_STREQ(buf, "N");
}

ATF_TC_WITHOUT_HEAD(text_transfer);
ATF_TC_BODY(text_transfer, tc)
{
	static const struct {
		uint64_t	 rx, tx;
		const char	*line;
	} cases[] = {
		{ 1, 0, "1 B received, 0 B sent" },
		{ 0, 1024, "0 B received, 1.00 KiB sent" },
		{ 1268777, 3565158, "1.21 MiB received, 3.40 MiB sent" },
		{ UINT64_MAX, UINT64_MAX,
		    "16777216.00 TiB received, 16777216.00 TiB sent" }
	};
	struct capture		 c;
	struct ctl_peer		 p;
	char			 want[256];
	size_t			 k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		p = peer("wg0", "x", 32, "", 0);
		p.rx_bytes = cases[k].rx;
		p.tx_bytes = cases[k].tx;
		capture_start(&c);
		output_text.peer(&c.ctx, &p, NULL, 0);
		snprintf(want, sizeof(want), "peer: x (" KEY32 ")\n"
		    "  allowed ips: (none)\n"
		    "  transfer: %s\n", cases[k].line);
		capture_check(&c, want);
	}
}

/*
 * wg show's units: whole bytes below 1 KiB, else two decimals of the
 * largest unit the count reaches, rounded after the unit is chosen (so
 * one byte short of 1 MiB is "1024.00 KiB", in wg as here).
 */
ATF_TC_WITHOUT_HEAD(bytes);
ATF_TC_BODY(bytes, tc)
{
	static const struct {
		uint64_t	 n;
		const char	*s;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.00 KiB" },
		{ 1535, "1.50 KiB" },
		{ 1048575, "1024.00 KiB" },
		{ 1048576, "1.00 MiB" },
		{ 1268777, "1.21 MiB" },
		{ 1073741823, "1024.00 MiB" },
		{ 1073741824, "1.00 GiB" },
		{ 5368709120ULL, "5.00 GiB" },
		{ 1099511627775ULL, "1024.00 GiB" },
		{ 1099511627776ULL, "1.00 TiB" },
		{ 1099511627776ULL * 1024, "1024.00 TiB" },
		{ UINT64_MAX, "16777216.00 TiB" }
	};
	char	 buf[32];
	size_t	 k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		output_bytes(buf, sizeof(buf), cases[k].n);
		ATF_CHECK_STREQ_MSG(buf, cases[k].s, "%llu bytes: got %s",
		    (unsigned long long)cases[k].n, buf);
	}
	/* Cut short rather than overflow. */
	output_bytes(buf, 4, 1268777);
	ATF_CHECK_STREQ(buf, "1.2");
}

/* SPEC's order: endpoint, allowed ips, handshake, transfer, keepalive. */
ATF_TC_WITHOUT_HEAD(text_order);
ATF_TC_BODY(text_order, tc)
{
	static const char *const aips[] = { "10.13.13.50/32", "fd00::/64",
	    NULL };
	struct capture		 c;
	struct wgd_prefix	 v[AIPS_MAX];
	struct ctl_peer		 p = peer("wg0", "office", 64,
				    "[2001:db8::1]:51820", 3725);

	p.last_handshake = NOW - 3601;
	p.rx_bytes = 1023;
	p.tx_bytes = 1099511627776ULL;
	capture_start(&c);
	output_text.peer(&c.ctx, &p, v, prefixes(v, aips));
	capture_check(&c,
	    "peer: office (" KEY64 ")\n"
	    "  endpoint: [2001:db8::1]:51820\n"
	    "  allowed ips: 10.13.13.50/32, fd00::/64\n"
	    "  latest handshake: 1 hour, 1 second ago\n"
	    "  transfer: 1023 B received, 1.00 TiB sent\n"
	    "  persistent keepalive: every 1 hour, 2 minutes, 5 seconds\n");
}

ATF_TC_WITHOUT_HEAD(duration);
ATF_TC_BODY(duration, tc)
{
	char	 buf[128];

	output_duration(buf, sizeof(buf), 0);
	ATF_CHECK_STREQ(buf, "0 seconds");
	output_duration(buf, sizeof(buf), 86400);
	ATF_CHECK_STREQ(buf, "1 day");
	output_duration(buf, sizeof(buf), 2 * 365 * 86400ULL + 86400 + 1);
	ATF_CHECK_STREQ(buf, "2 years, 1 day, 1 second");
	/* Cut short rather than overflow. */
	output_duration(buf, 8, 3725);
	ATF_CHECK(strlen(buf) < 8);
}

ATF_TC_WITHOUT_HEAD(json_spec);
ATF_TC_BODY(json_spec, tc)
{
	struct capture	 c;

	capture_start(&c);
	two_interfaces(&output_json, &c.ctx);
	capture_check(&c,
	    "{\"interfaces\":["
	    "{\"name\":\"wg0\",\"public_key\":\"" KEY0 "\","
	    "\"listen_port\":51820," DROPS0 ",\"peers\":["
	    "{\"name\":\"laptop\",\"public_key\":\"" KEY32 "\","
	    "\"endpoint\":\"203.0.113.7:44524\","
	    "\"allowed_ips\":[\"10.13.13.2/32\"],"
	    "\"persistent_keepalive\":25," STATS0 "},"
	    "{\"name\":\"phone\",\"public_key\":null,\"endpoint\":null,"
	    "\"allowed_ips\":[],\"persistent_keepalive\":0," STATS0 "},"
	    "{\"name\":\"office\",\"public_key\":\"" KEY64 "\","
	    "\"endpoint\":\"[2001:db8::1]:51820\","
	    "\"allowed_ips\":[\"10.13.13.50/32\",\"192.168.50.0/24\","
	    "\"fd00:13::/64\"],\"persistent_keepalive\":0," STATS0 "}]},"
	    "{\"name\":\"wg1\",\"public_key\":\"" KEY96 "\","
	    "\"listen_port\":51821," DROPS0 ",\"peers\":[]}"
	    "]}\n");
}

ATF_TC_WITHOUT_HEAD(json_empty);
ATF_TC_BODY(json_empty, tc)
{
	struct capture		 c;
	struct ctl_iface	 i = iface("wg0", 0, 0);

	capture_start(&c);
	output_json.head(&c.ctx);
	output_json.tail(&c.ctx);
	capture_check(&c, "{\"interfaces\":[]}\n");

	capture_start(&c);
	output_json.head(&c.ctx);
	output_json.iface(&c.ctx, &i);
	output_json.tail(&c.ctx);
	capture_check(&c, "{\"interfaces\":[{\"name\":\"wg0\",\"public_key\":\""
	    KEY0 "\",\"listen_port\":0," DROPS0 ",\"peers\":[]}]}\n");
}

/*
 * Every drop counter under its name, in enum drop_reason's order, and a
 * peer's handshake time and byte counts as plain numbers, whole range:
 * the names are written out here so that a rename in wgd.h, which would
 * break a user's scripts, fails this test.
 */
ATF_TC_WITHOUT_HEAD(json_stats);
ATF_TC_BODY(json_stats, tc)
{
	struct capture		 c;
	struct ctl_iface	 i = iface("wg0", 0, 51820);
	struct ctl_peer		 p = peer("wg0", "laptop", 32, "", 0);
	size_t			 k;

	for (k = 0; k < DROP_MAX; k++)
		i.drops[k] = k + 1;
	i.drops[DROP_IO] = UINT64_MAX;
	p.last_handshake = NOW - 63;
	p.rx_bytes = 1268777;
	p.tx_bytes = UINT64_MAX;
	capture_start(&c);
	output_json.head(&c.ctx);
	output_json.iface(&c.ctx, &i);
	output_json.peer(&c.ctx, &p, NULL, 0);
	p = peer("wg0", "phone", 0, "", 0);
	p.last_handshake = INT64_MAX;
	output_json.peer(&c.ctx, &p, NULL, 0);
	output_json.tail(&c.ctx);
	capture_check(&c, "{\"interfaces\":[{\"name\":\"wg0\","
	    "\"public_key\":\"" KEY0 "\",\"listen_port\":51820,"
	    "\"drops\":{\"short\":1,\"bad_type\":2,\"bad_mac1\":3,"
	    "\"cookie_sent\":4,\"rate_limited\":5,\"bad_handshake\":6,"
	    "\"unknown_peer\":7,\"replayed_handshake\":8,"
	    "\"unknown_index\":9,\"expired_session\":10,\"bad_auth\":11,"
	    "\"replayed\":12,\"bad_inner_packet\":13,"
	    "\"source_not_allowed\":14,\"no_route\":15,\"no_endpoint\":16,"
	    "\"queue_full\":17,\"io_error\":18446744073709551615,"
	    "\"handshake_timeout\":19},"
	    "\"peers\":["
	    "{\"name\":\"laptop\",\"public_key\":\"" KEY32 "\","
	    "\"endpoint\":null,\"allowed_ips\":[],"
	    "\"persistent_keepalive\":0,\"latest_handshake\":1699999937,"
	    "\"transfer_rx\":1268777,"
	    "\"transfer_tx\":18446744073709551615,\"runtime\":false,\"disabled\":false},"
	    "{\"name\":\"phone\",\"public_key\":null,\"endpoint\":null,"
	    "\"allowed_ips\":[],\"persistent_keepalive\":0,"
	    "\"latest_handshake\":9223372036854775807,"
	    "\"transfer_rx\":0,\"transfer_tx\":0,\"runtime\":false,\"disabled\":false}]}]}\n");
}

/*
 * Strings are escaped whatever they hold: Linux takes nearly any byte
 * in an interface name, and the endpoint is wgd's text.  Broken UTF-8
 * becomes U+FFFD, so the object is always valid JSON.
 */
ATF_TC_WITHOUT_HEAD(json_escaping);
ATF_TC_BODY(json_escaping, tc)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "a\"b\\c", "a\\\"b\\\\c" },
		{ "\b\f\n\r\t", "\\b\\f\\n\\r\\t" },
		{ "\x01\x1f\x7f", "\\u0001\\u001f\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },		/* é */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },		/* € */
		{ "\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91" },	/* U+1F511 */
		{ "\xff", "\\ufffd" },
		{ "\xc3", "\\ufffd" },				/* cut short */
		{ "\xc3(", "\\ufffd(" },
		{ "\xc0\xaf", "\\ufffd\\ufffd" },		/* overlong / */
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" },
		{ "/", "/" }
	};
	struct capture	 c;
	struct ctl_peer	 p;
	char		 want[512];
	size_t		 k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		p = peer("wg0", "x", 0, cases[k].in, 0);
		capture_start(&c);
		output_json.peer(&c.ctx, &p, NULL, 0);
		snprintf(want, sizeof(want), "{\"name\":\"x\",\"public_key\":"
		    "null,\"endpoint\":\"%s\",\"allowed_ips\":[],"
		    "\"persistent_keepalive\":0," STATS0 "}", cases[k].out);
		capture_check(&c, want);
	}
}

/* hint.c: which hint, from which facts, and none for a healthy peer. */
ATF_TC_WITHOUT_HEAD(hints);
ATF_TC_BODY(hints, tc)
{
	struct ctl_iface	 i;
	struct ctl_peer		 p;
	char			 h[512];

	memset(&i, 0, sizeof(i));
	i.listen_port = 51820;

	/* Never heard from: the port forward. */
	p = peer("wg0", "phone", 32, "", 0);
	p.rx_any = 0;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "no packet from this peer since wgd started: is "
	    "UDP port 51820 forwarded to this host?");

	/* Handshakes that fail from somewhere: maybe this client's. */
	i.fails[IFACE_FAIL_UNKNOWN_KEY].when = NOW - 30;
	strlcpy(i.fails[IFACE_FAIL_UNKNOWN_KEY].from, "198.51.100.7:4500",
	    sizeof(i.fails[0].from));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "no packet from this peer since wgd started: is "
	    "UDP port 51820 forwarded to this host? (handshakes from "
	    "198.51.100.7:4500 fail: a client with a key no peer has)");
	i.fails[IFACE_FAIL_UNKNOWN_KEY].when = NOW - 3600;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "(handshakes") == NULL);

	/* A managed peer: its conf's Endpoint is named. */
	strlcpy(p.client_endpoint, "home.example.org:51620",
	    sizeof(p.client_endpoint));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strncmp(h, "no packet from this peer since wgd started: "
	    "its conf sends to home.example.org:51620; is that this host, "
	    "with the port forwarded to UDP port 51820 here? (handshakes",
	    150) == 0);
	p.client_endpoint[0] = '\0';

	/* An endpoint not learned is configured: wgd calls, none answers. */
	strlcpy(p.endpoint, "192.0.2.1:51820", sizeof(p.endpoint));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "no answer from 192.0.2.1:51820 since wgd "
	    "started: is the peer up, and its UDP port open to this host?");
	p.endpoint[0] = '\0';

	/* A name that does not resolve. */
	p.unresolved = 1;
	strlcpy(p.endpoint_host, "office.example.org",
	    sizeof(p.endpoint_host));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "its endpoint name office.example.org does not "
	    "resolve: is the name right, and does this host's DNS answer?");
	p.unresolved = 0;

	/* Heard from, connected a while ago, nothing failed: no hint. */
	p.rx_any = 1;
	p.last_handshake = NOW - 3600;
	ATF_CHECK(!output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "");

	/* The server key of another conf, from its endpoint. */
	p.iface_fails[IFACE_FAIL_MAC1].when = NOW - 20;
	strlcpy(p.iface_fails[IFACE_FAIL_MAC1].from, "198.51.100.7:4500",
	    sizeof(p.iface_fails[0].from));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "handshakes arrive from 198.51.100.7:4500 but "
	    "fail: the client's conf has another server key (scan its QR "
	    "code again)");
	/* A later failure says more: an old key of its own. */
	p.iface_fails[IFACE_FAIL_UNKNOWN_KEY] = p.iface_fails[0];
	p.iface_fails[IFACE_FAIL_UNKNOWN_KEY].when = NOW - 5;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "the client has an old key") != NULL);
	/* A handshake after them: they are old news. */
	p.last_handshake = NOW - 2;
	ATF_CHECK(!output_hint(h, sizeof(h), &i, &p, NOW));
	/* Before them, recent or not: something changed since. */
	p.last_handshake = NOW - 8;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "the client has an old key") != NULL);
	p.last_handshake = NOW - 1000;

	memset(p.iface_fails, 0, sizeof(p.iface_fails));
	p.fails[PEER_FAIL_REPLAYED].when = NOW - 30;
	strlcpy(p.fails[PEER_FAIL_REPLAYED].from, "[2001:db8::7]:1",
	    sizeof(p.fails[0].from));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "from [2001:db8::7]:1 are replayed") != NULL);
	p.fails[PEER_FAIL_NO_CONFIRM] = p.fails[PEER_FAIL_REPLAYED];
	p.fails[PEER_FAIL_NO_CONFIRM].when = NOW - 10;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "are answered, but nothing comes back") != NULL);

	/* Connected, but sending from an address not its own. */
	memset(p.fails, 0, sizeof(p.fails));
	p.last_handshake = NOW - 3;
	p.fails[PEER_FAIL_SOURCE].when = NOW - 1;
	strlcpy(p.fails[PEER_FAIL_SOURCE].from, "10.13.13.99:0",
	    sizeof(p.fails[0].from));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "it sends from 10.13.13.99, which is not one of "
	    "its allowed ips: its conf has another Address (scan its QR "
	    "code again)");
	strlcpy(p.fails[PEER_FAIL_SOURCE].from, "[fd00::99]:0",
	    sizeof(p.fails[0].from));
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK(strstr(h, "it sends from fd00::99, which") != NULL);
	/* Long ago: forgotten. */
	p.fails[PEER_FAIL_SOURCE].when = NOW - 600;
	ATF_CHECK(!output_hint(h, sizeof(h), &i, &p, NOW));

	/* Disabled says so, whatever else. */
	p.disabled = 1;
	ATF_CHECK(output_hint(h, sizeof(h), &i, &p, NOW));
	ATF_CHECK_STREQ(h, "disabled in wgd.conf");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, text_spec_layout);
	ATF_TP_ADD_TC(tp, text_blocks);
	ATF_TP_ADD_TC(tp, text_nothing_to_say);
	ATF_TP_ADD_TC(tp, text_keepalive);
	ATF_TP_ADD_TC(tp, text_handshake);
	ATF_TP_ADD_TC(tp, ages_across_32_bits);
	ATF_TP_ADD_TC(tp, ago_extremes);
	ATF_TP_ADD_TC(tp, text_transfer);
	ATF_TP_ADD_TC(tp, bytes);
	ATF_TP_ADD_TC(tp, text_order);
	ATF_TP_ADD_TC(tp, duration);
	ATF_TP_ADD_TC(tp, json_spec);
	ATF_TP_ADD_TC(tp, json_empty);
	ATF_TP_ADD_TC(tp, json_stats);
	ATF_TP_ADD_TC(tp, json_escaping);
	ATF_TP_ADD_TC(tp, hints);
	return atf_no_error();
}
