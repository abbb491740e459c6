/*
 * wgctl/output.c and output_json.c: the structs wgd sends, printed in
 * the layout of SPEC's "wgctl show layout" (that of wg show) and as one
 * JSON object, compared byte for byte.
 */

#include <sys/socket.h>

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
	    "\"listen_port\":51820,\"peers\":["
	    "{\"name\":\"laptop\",\"public_key\":\"" KEY32 "\","
	    "\"endpoint\":\"203.0.113.7:44524\","
	    "\"allowed_ips\":[\"10.13.13.2/32\"],"
	    "\"persistent_keepalive\":25},"
	    "{\"name\":\"phone\",\"public_key\":null,\"endpoint\":null,"
	    "\"allowed_ips\":[],\"persistent_keepalive\":0},"
	    "{\"name\":\"office\",\"public_key\":\"" KEY64 "\","
	    "\"endpoint\":\"[2001:db8::1]:51820\","
	    "\"allowed_ips\":[\"10.13.13.50/32\",\"192.168.50.0/24\","
	    "\"fd00:13::/64\"],\"persistent_keepalive\":0}]},"
	    "{\"name\":\"wg1\",\"public_key\":\"" KEY96 "\","
	    "\"listen_port\":51821,\"peers\":[]}"
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
	    KEY0 "\",\"listen_port\":0,\"peers\":[]}]}\n");
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
		    "\"persistent_keepalive\":0}", cases[k].out);
		capture_check(&c, want);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, text_spec_layout);
	ATF_TP_ADD_TC(tp, text_blocks);
	ATF_TP_ADD_TC(tp, text_nothing_to_say);
	ATF_TP_ADD_TC(tp, text_keepalive);
	ATF_TP_ADD_TC(tp, duration);
	ATF_TP_ADD_TC(tp, json_spec);
	ATF_TP_ADD_TC(tp, json_empty);
	ATF_TP_ADD_TC(tp, json_escaping);
	return atf_no_error();
}
