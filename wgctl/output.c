/*
 * wgctl show as text, in the layout of wg show: a block per interface
 * and per peer, a blank line between blocks, and no line that would have
 * nothing to say.
 */

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "key.h"
#include "output.h"
#include "wgd.h"

static void
text_head(struct output_ctx *ctx)
{
	(void)ctx;
}

static void
text_iface(struct output_ctx *ctx, const struct ctl_iface *iface)
{
	char	 b64[WG_KEY_LEN_BASE64];

	if (ctx->nifaces > 0 || ctx->npeers > 0)
		fputc('\n', ctx->f);
	fprintf(ctx->f, "interface: %s\n", iface->name);
	key_to_base64(b64, iface->pubkey);
	fprintf(ctx->f, "  public key: %s\n", b64);
	if (iface->listen_port != 0)
		fprintf(ctx->f, "  listening port: %u\n", iface->listen_port);
	ctx->nifaces++;
	ctx->npeers = 0;
}

static void
text_peer(struct output_ctx *ctx, const struct ctl_peer *peer,
    const struct wgd_prefix *aips, size_t naips)
{
	char	 b64[WG_KEY_LEN_BASE64], buf[ADDR_STRLEN], every[128];
	size_t	 i;

	if (ctx->nifaces > 0 || ctx->npeers > 0)
		fputc('\n', ctx->f);
	fprintf(ctx->f, "peer: %s", peer->name);
	if (peer->has_pubkey) {
		key_to_base64(b64, peer->pubkey);
		fprintf(ctx->f, " (%s)", b64);
	}
	fputc('\n', ctx->f);
	if (peer->endpoint[0] != '\0')
		fprintf(ctx->f, "  endpoint: %s\n", peer->endpoint);
	fputs("  allowed ips: ", ctx->f);
	for (i = 0; i < naips; i++) {
		addr_format_prefix(&aips[i], buf, sizeof(buf));
		fprintf(ctx->f, "%s%s", i > 0 ? ", " : "", buf);
	}
	if (naips == 0)
		fputs("(none)", ctx->f);
	fputc('\n', ctx->f);
	if (peer->keepalive != 0) {
		output_duration(every, sizeof(every), peer->keepalive);
		fprintf(ctx->f, "  persistent keepalive: every %s\n", every);
	}
	ctx->npeers++;
}

static void
text_tail(struct output_ctx *ctx)
{
	(void)ctx;
}

const struct output output_text = {
	text_head,
	text_iface,
	text_peer,
	text_tail
};

void
output_duration(char *buf, size_t len, unsigned long long secs)
{
	static const struct {
		const char		*name;
		unsigned long long	 secs;
	} units[] = {
		{ "year",	365ULL * 24 * 60 * 60 },
		{ "day",	24 * 60 * 60 },
		{ "hour",	60 * 60 },
		{ "minute",	60 },
		{ "second",	1 }
	};
	unsigned long long	 n;
	size_t			 i, off = 0;
	int			 w;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = secs / units[i].secs;
		secs %= units[i].secs;
		if (n == 0)
			continue;
		w = snprintf(buf + off, len - off, "%s%llu %s%s",
		    off > 0 ? ", " : "", n, units[i].name, n == 1 ? "" : "s");
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
	if (off == 0)
		strlcpy(buf, "0 seconds", len);
}
