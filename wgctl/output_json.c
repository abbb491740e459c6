/*
 * wgctl show -j: one JSON object on one line, keys in a fixed order,
 * peers nested under their interface:
 *
 *	{"interfaces":[{"name":..,"public_key":..,"listen_port":..,
 *	    "drops":{"short":..,..},
 *	    "peers":[{"name":..,"public_key":..|null,"endpoint":..|null,
 *	    "allowed_ips":[..],"persistent_keepalive":..,
 *	    "latest_handshake":..,"transfer_rx":..,"transfer_tx":..,
 *	    "runtime":..,"disabled":..}]}]}
 *
 * New keys go after the old ones of their object (drops before the
 * peers, which stay last), so a reader of the old layout still finds
 * its keys in their order.  man/wgctl.8 lists them all.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "key.h"
#include "output.h"
#include "wgd.h"

static const char *const drop_names[] = DROP_NAMES;

_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DROP_MAX,
    "DROP_NAMES must name every enum drop_reason");

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0
 * when it is not one: overlong forms, surrogates and code points above
 * U+10FFFF are refused, as RFC 3629 says.
 */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	uint32_t	 cp, min;
	size_t		 len, i;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A JSON string.  Bytes that are not UTF-8 become U+FFFD, so the output
 * is valid JSON whatever the daemon sent.
 */
static void
json_string(FILE *f, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n = strlen(str), len;

	fputc('"', f);
	while (n > 0) {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			if ((len = utf8_seqlen(s, n)) == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, len, f);
			s += len;
			n -= len;
			continue;
		}
		s++;
		n--;
	}
	fputc('"', f);
}

static void
json_key(FILE *f, const uint8_t key[WG_KEY_LEN])
{
	char	 b64[WG_KEY_LEN_BASE64];

	key_to_base64(b64, key);
	json_string(f, b64);
}

static void
json_head(struct output_ctx *ctx)
{
	fputs("{\"interfaces\":[", ctx->f);
}

static void
json_iface(struct output_ctx *ctx, const struct ctl_iface *iface)
{
	size_t	 i;

	if (ctx->nifaces > 0)
		fputs("]},", ctx->f);
	fputs("{\"name\":", ctx->f);
	json_string(ctx->f, iface->name);
	fputs(",\"public_key\":", ctx->f);
	ctx->iface = *iface;
	json_key(ctx->f, iface->pubkey);
	fprintf(ctx->f, ",\"listen_port\":%u,\"drops\":{",
	    iface->listen_port);
	for (i = 0; i < DROP_MAX; i++) {
		if (i > 0)
			fputc(',', ctx->f);
		json_string(ctx->f, drop_names[i]);
		fprintf(ctx->f, ":%" PRIu64, iface->drops[i]);
	}
	fputs("},\"peers\":[", ctx->f);
	ctx->nifaces++;
	ctx->npeers = 0;
}

static void
json_peer(struct output_ctx *ctx, const struct ctl_peer *peer,
    const struct wgd_prefix *aips, size_t naips)
{
	char	 buf[ADDR_STRLEN], hint[512];
	size_t	 i;

	if (ctx->npeers > 0)
		fputc(',', ctx->f);
	fputs("{\"name\":", ctx->f);
	if (peer->runtime)
		fputs("null", ctx->f);
	else
		json_string(ctx->f, peer->name);
	fputs(",\"public_key\":", ctx->f);
	if (peer->has_pubkey)
		json_key(ctx->f, peer->pubkey);
	else
		fputs("null", ctx->f);
	fputs(",\"endpoint\":", ctx->f);
	if (peer->endpoint[0] != '\0')
		json_string(ctx->f, peer->endpoint);
	else
		fputs("null", ctx->f);
	fputs(",\"allowed_ips\":[", ctx->f);
	for (i = 0; i < naips; i++) {
		addr_format_prefix(&aips[i], buf, sizeof(buf));
		if (i > 0)
			fputc(',', ctx->f);
		json_string(ctx->f, buf);
	}
	fprintf(ctx->f, "],\"persistent_keepalive\":%u,"
	    "\"latest_handshake\":%" PRId64 ",\"transfer_rx\":%" PRIu64 ","
	    "\"transfer_tx\":%" PRIu64 ",\"runtime\":%s,\"disabled\":%s",
	    peer->keepalive, peer->last_handshake, peer->rx_bytes,
	    peer->tx_bytes, peer->runtime ? "true" : "false",
	    peer->disabled ? "true" : "false");
	if (output_hint(hint, sizeof(hint), &ctx->iface, peer, ctx->now)) {
		fputs(",\"hint\":", ctx->f);
		json_string(ctx->f, hint);
	}
	fputc('}', ctx->f);
	ctx->npeers++;
}

static void
json_tail(struct output_ctx *ctx)
{
	if (ctx->nifaces > 0)
		fputs("]}", ctx->f);
	fputs("]}\n", ctx->f);
}

const struct output output_json = {
	json_head,
	json_iface,
	json_peer,
	json_tail
};
