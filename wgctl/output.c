/*
 * wgctl show as text, in the layout of wg show: a block per interface
 * and per peer, a blank line between blocks, and no line that would have
 * nothing to say.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	ctx->iface = *iface;
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
	char	 ago[128], rx[32], tx[32], hint[512];
	size_t	 i;

	if (ctx->nifaces > 0 || ctx->npeers > 0)
		fputc('\n', ctx->f);
	if (peer->has_pubkey)
		key_to_base64(b64, peer->pubkey);
	/* SPEC: a peer added through wg(8) goes by its key. */
	if (peer->runtime)
		fprintf(ctx->f, "peer: (%s) (runtime)", b64);
	else {
		fprintf(ctx->f, "peer: %s", peer->name);
		if (peer->has_pubkey)
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
	if (peer->last_handshake != 0) {
		output_ago(ago, sizeof(ago), ctx->now, peer->last_handshake);
		fprintf(ctx->f, "  latest handshake: %s\n", ago);
	}
	if (peer->rx_bytes != 0 || peer->tx_bytes != 0) {
		output_bytes(rx, sizeof(rx), peer->rx_bytes);
		output_bytes(tx, sizeof(tx), peer->tx_bytes);
		fprintf(ctx->f, "  transfer: %s received, %s sent\n", rx, tx);
	}
	if (peer->keepalive != 0) {
		output_duration(every, sizeof(every), peer->keepalive);
		fprintf(ctx->f, "  persistent keepalive: every %s\n", every);
	}
	if (output_hint(hint, sizeof(hint), &ctx->iface, peer, ctx->now))
		fprintf(ctx->f, "  hint: %s\n", hint);
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

void
output_ago(char *buf, size_t len, int64_t now, int64_t then)
{
	if (len == 0)
		return;
	if (then == now)
		strlcpy(buf, "Now", len);
	else if (then > now)
		strlcpy(buf, "(System clock wound backward; "
		    "connection problems may ensue.)", len);
	else {
		/* In unsigned arithmetic: now - then may not fit int64_t. */
		output_duration(buf, len, (uint64_t)now - (uint64_t)then);
		strlcat(buf, " ago", len);
	}
}

void
output_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const	 units[] = {
		"KiB", "MiB", "GiB", "TiB"
	};
	double				 v = b;
	size_t				 i;

	if (b < 1024) {
		snprintf(buf, len, "%u B", (unsigned int)b);
		return;
	}
	/*
	 * The unit is chosen on the exact count, then the value rounded,
	 * as wg show does: 1048575 bytes are "1024.00 KiB".
	 */
	for (i = 0, v /= 1024; i < 3 && b >= 1024ULL * 1024; i++) {
		b /= 1024;
		v /= 1024;
	}
	snprintf(buf, len, "%.2f %s", v, units[i]);
}
