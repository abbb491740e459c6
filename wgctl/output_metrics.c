/*
 * wgctl show metrics: every counter of show -j in the Prometheus text
 * exposition format 0.0.4, which node_exporter's textfile collector
 * reads.  A family's samples must be one group after its HELP and TYPE
 * lines, while the replies come interface by interface: so the structs
 * are kept until the end and printed family by family.  The TYPE line
 * names the sample as written (wgd_drops_total); no timestamps, no
 * "# EOF": the textfile collector refuses both.
 */

#include <err.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "output.h"


static const char *const drop_names[] = DROP_NAMES;

struct metrics {
	struct ctl_iface	*ifaces;
	size_t			 nifaces;
	struct ctl_peer		*peers;
	size_t			 npeers;
};

static struct metrics *
metrics(struct output_ctx *ctx)
{
	if (ctx->data == NULL && (ctx->data = calloc(1,
	    sizeof(struct metrics))) == NULL)
		err(1, "%s", __func__);
	return ctx->data;
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *name, const char *value)
{
	const char	*p;

	fprintf(f, "%s=\"", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {interface="wg0",peer="laptop"}: its name, or its key. */
static void
peer_labels(FILE *f, const struct ctl_peer *p)
{
	char	 b64[WG_KEY_LEN_BASE64];

	fputc('{', f);
	label(f, "interface", p->iface);
	fputc(',', f);
	if (p->name[0] != '\0')
		label(f, "peer", p->name);
	else {
		key_to_base64(b64, p->pubkey);
		label(f, "peer", b64);
	}
	fputc('}', f);
}

static void
metrics_head(struct output_ctx *ctx)
{
	(void)metrics(ctx);
}

static void
metrics_iface(struct output_ctx *ctx, const struct ctl_iface *iface)
{
	struct metrics		*m = metrics(ctx);
	struct ctl_iface	*v;

	if ((v = reallocarray(m->ifaces, m->nifaces + 1, sizeof(*v))) == NULL)
		err(1, "%s", __func__);
	m->ifaces = v;
	m->ifaces[m->nifaces++] = *iface;
}

static void
metrics_peer(struct output_ctx *ctx, const struct ctl_peer *peer,
    const struct wgd_prefix *aips, size_t naips)
{
	struct metrics	*m = metrics(ctx);
	struct ctl_peer	*v;

	(void)aips;
	(void)naips;
	if ((v = reallocarray(m->peers, m->npeers + 1, sizeof(*v))) == NULL)
		err(1, "%s", __func__);
	m->peers = v;
	m->peers[m->npeers++] = *peer;
}

static void
iface_counter(FILE *f, const struct metrics *m, const char *name,
    const char *help, size_t off)
{
	size_t	 i;

	family(f, name, "counter", help);
	for (i = 0; i < m->nifaces; i++) {
		fprintf(f, "%s{", name);
		label(f, "interface", m->ifaces[i].name);
		fprintf(f, "} %" PRIu64 "\n",
		    *(const uint64_t *)((const char *)&m->ifaces[i] + off));
	}
}

/* The value of a peer's sample, as printed. */
typedef void (*peer_value)(FILE *, const struct ctl_peer *, int64_t);

static void
peer_rx(FILE *f, const struct ctl_peer *p, int64_t now)
{
	(void)now;
	fprintf(f, "%" PRIu64, p->rx_bytes);
}

static void
peer_tx(FILE *f, const struct ctl_peer *p, int64_t now)
{
	(void)now;
	fprintf(f, "%" PRIu64, p->tx_bytes);
}

static void
peer_handshake(FILE *f, const struct ctl_peer *p, int64_t now)
{
	(void)now;
	fprintf(f, "%" PRId64, p->last_handshake);
}

static void
peer_connected(FILE *f, const struct ctl_peer *p, int64_t now)
{
	fprintf(f, "%d", p->last_handshake != 0 &&
	    now - p->last_handshake < OUTPUT_CONNECTED_SECS);
}

static void
peer_family(struct output_ctx *ctx, const struct metrics *m,
    const char *name, const char *type, const char *help, peer_value value)
{
	size_t	 i;

	family(ctx->f, name, type, help);
	for (i = 0; i < m->npeers; i++) {
		fputs(name, ctx->f);
		peer_labels(ctx->f, &m->peers[i]);
		fputc(' ', ctx->f);
		value(ctx->f, &m->peers[i], ctx->now);
		fputc('\n', ctx->f);
	}
}

static void
metrics_tail(struct output_ctx *ctx)
{
	struct metrics		*m = metrics(ctx);
	FILE			*f = ctx->f;
	size_t			 i, k;

	family(f, "wgd_drops_total", "counter",
	    "Packets wgd dropped, by reason (as in wgctl show -j).");
	for (i = 0; i < m->nifaces; i++)
		for (k = 0; k < DROP_MAX; k++) {
			fputs("wgd_drops_total{", f);
			label(f, "interface", m->ifaces[i].name);
			fputc(',', f);
			label(f, "reason", drop_names[k]);
			fprintf(f, "} %" PRIu64 "\n", m->ifaces[i].drops[k]);
		}
	iface_counter(f, m, "wgd_handshakes_sent_total",
	    "Handshake initiations sent.",
	    offsetof(struct ctl_iface, handshakes_sent));
	iface_counter(f, m, "wgd_handshakes_received_total",
	    "Handshake initiations and responses received and accepted.",
	    offsetof(struct ctl_iface, handshakes_received));
	iface_counter(f, m, "wgd_handshakes_failed_total",
	    "Handshake messages refused: another server key, an unknown or "
	    "disabled peer, a replay, or one that did not verify.",
	    offsetof(struct ctl_iface, handshakes_failed));

	peer_family(ctx, m, "wgd_peer_receive_bytes_total", "counter",
	    "Bytes received from the peer.", peer_rx);
	peer_family(ctx, m, "wgd_peer_transmit_bytes_total", "counter",
	    "Bytes sent to the peer.", peer_tx);
	peer_family(ctx, m, "wgd_peer_latest_handshake_seconds", "gauge",
	    "Unix time of the latest completed handshake; 0: none yet.",
	    peer_handshake);
	peer_family(ctx, m, "wgd_peer_connected", "gauge",
	    "1 when the latest handshake is less than 3 minutes old.",
	    peer_connected);
	free(m->ifaces);
	free(m->peers);
	free(m);
	ctx->data = NULL;
}

const struct output output_metrics = {
	metrics_head,
	metrics_iface,
	metrics_peer,
	metrics_tail
};
