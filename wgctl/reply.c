/*
 * wgd's replies to one request, checked before use: a show's
 * interfaces, peers and their allowed ips go to the output backend,
 * text lines where they belong, a peer's client configuration is
 * kept, and the end says the status.  A message out of place, of the
 * wrong size or with a field wgd cannot have sent refuses the whole
 * reply: wgctl.c then prints none of it.
 */

#include <sys/socket.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "reply.h"
#include "wgd.h"

/* A text payload: NUL-terminated, with no NUL before the end; or NULL. */
static const char *
reply_text(const struct imsg *imsg)
{
	size_t	 len = imsg_get_len(imsg);

	if (len == 0 || memchr(imsg->data, '\0', len) !=
	    (char *)imsg->data + len - 1)
		return NULL;
	return imsg->data;
}

/* Prints the waiting peer, now that it has all its allowed ips. */
static void
reply_flush_peer(struct reply *r)
{
	if (!r->has_peer)
		return;
	r->out->peer(&r->ctx, &r->peer, r->aips, r->naips);
	r->has_peer = 0;
	free(r->aips);
	r->aips = NULL;
	r->naips = 0;
}

/*
 * Failed handshakes or packets wgd remembers: each at a time since the
 * epoch (0: never), from an address it wrote.  The hints compare the
 * time with the clock and print the address.
 */
static int
fails_valid(const struct ctl_fail *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (f[i].when < 0 || !STR_TERMINATED(f[i].from))
			return 0;
	return 1;
}

static int
reply_iface(struct reply *r, const struct imsg *imsg)
{
	struct ctl_iface	 iface;

	if (r->out == NULL || imsg_get_data(imsg, &iface, sizeof(iface)) == -1)
		return -1;
	if (!STR_TERMINATED(iface.name) || !conf_valid_ifname(iface.name) ||
	    !fails_valid(iface.fails, IFACE_FAIL_MAX))
		return -1;
	reply_flush_peer(r);
	if (!r->begun) {
		/*
		 * The clock for "latest handshake: ... ago", read once wgd
		 * has answered: a handshake it reports as just now is then
		 * never ahead of it.
		 */
		r->ctx.now = r->now != 0 ? r->now : time(NULL);
		r->out->head(&r->ctx);
		r->begun = 1;
	}
	r->out->iface(&r->ctx, &iface);
	r->has_iface = 1;
	memcpy(r->iface, iface.name, sizeof(r->iface));
	return 0;
}

/*
 * A peer belongs to the interface sent last; it must name that one.  Its
 * latest handshake is a time since the epoch, or 0 for never: a negative
 * one is no time wgd can have seen.  Every string ends in its field.
 */
static int
reply_peer(struct reply *r, const struct imsg *imsg)
{
	struct ctl_peer	 peer;

	if (r->out == NULL || !r->has_iface ||
	    imsg_get_data(imsg, &peer, sizeof(peer)) == -1)
		return -1;
	if (!STR_TERMINATED(peer.iface) || !STR_TERMINATED(peer.name) ||
	    !STR_TERMINATED(peer.endpoint) ||
	    !STR_TERMINATED(peer.endpoint_host) ||
	    !STR_TERMINATED(peer.client_endpoint) ||
	    !fails_valid(peer.fails, PEER_FAIL_MAX) ||
	    !fails_valid(peer.iface_fails, IFACE_FAIL_MAX) ||
	    peer.has_pubkey > 1 ||
	    peer.runtime > 1 || peer.disabled > 1 ||
	    peer.last_handshake < 0 ||
	    strcmp(peer.iface, r->iface) != 0 ||
	    (peer.runtime ? peer.name[0] != '\0' || !peer.has_pubkey :
	    !conf_valid_peer_name(peer.name)))
		return -1;
	reply_flush_peer(r);
	r->peer = peer;
	r->has_peer = 1;
	return 0;
}

/* More allowed ips of the peer sent last. */
static int
reply_allowed_ips(struct reply *r, const struct imsg *imsg)
{
	struct wgd_prefix	*p;
	size_t			 len = imsg_get_len(imsg), n, i;

	if (!r->has_peer || len % sizeof(*p) != 0)
		return -1;
	if ((n = len / sizeof(*p)) == 0)
		return 0;
	if ((p = reallocarray(r->aips, r->naips + n, sizeof(*p))) == NULL)
		err(1, NULL);
	r->aips = p;
	memcpy(&r->aips[r->naips], imsg->data, len);
	for (i = r->naips; i < r->naips + n; i++)
		if ((p[i].af != AF_INET && p[i].af != AF_INET6) ||
		    p[i].plen > addr_maxlen(p[i].af))
			return -1;
	r->naips += n;
	return 0;
}

/*
 * A managed peer's client configuration, which holds its private key:
 * the only reply to a peer request that is not an error, sent once.
 */
static int
reply_conf(struct reply *r, const struct imsg *imsg)
{
	const char	*text;
	size_t		 len;

	if (!r->want_conf || r->conf != NULL ||
	    (text = reply_text(imsg)) == NULL ||
	    (len = imsg_get_len(imsg)) == 1)
		return -1;
	if ((r->conf = malloc(len)) == NULL)
		err(1, NULL);
	memcpy(r->conf, text, len);
	return 0;
}

static int
reply_end(struct reply *r, const struct imsg *imsg)
{
	struct ctl_end	 end;

	if (imsg_get_data(imsg, &end, sizeof(end)) == -1 ||
	    (end.status != 0 && end.status != 1))
		return -1;
	r->status = end.status;
	if (r->want_conf && r->status == 0 && r->conf == NULL)
		return -1;
	if (r->out != NULL) {
		reply_flush_peer(r);
		/* A failed show with nothing to show prints nothing. */
		if (!r->begun && r->status == 0) {
			r->out->head(&r->ctx);
			r->begun = 1;
		}
		if (r->begun)
			r->out->tail(&r->ctx);
	}
	/* SPEC: an error is explained on stderr, even if wgd did not. */
	if (r->status != 0 && r->nerrors == 0 && !r->lines_say_why)
		fprintf(r->errors, "%s: wgd reported a failure without a "
		    "reason\n", getprogname());
	return 0;
}

int
reply_dispatch(struct reply *r, const struct imsg *imsg)
{
	const char	*text;

	if (imsg->hdr.flags & IMSGF_HASFD)
		return -1;
	switch (imsg->hdr.type) {
	case IMSG_CTL_IFACE:
		return reply_iface(r, imsg);
	case IMSG_CTL_PEER:
		return reply_peer(r, imsg);
	case IMSG_CTL_ALLOWED_IPS:
		return reply_allowed_ips(r, imsg);
	case IMSG_CTL_LINE:
		/* A peer's conf is all a peer request prints. */
		if (r->want_conf || (text = reply_text(imsg)) == NULL)
			return -1;
		/* The doctor's, as they come: its checks take seconds. */
		if (r->lines_say_why) {
			if (fprintf(r->lines, "%s\n", text) < 0 ||
			    fflush(r->lines) == EOF)
				err(1, "stdout");
		} else
			fprintf(r->ctx.f, "%s\n", text);
		return 0;
	case IMSG_CTL_CONF:
		return reply_conf(r, imsg);
	case IMSG_CTL_ERROR:
		if ((text = reply_text(imsg)) == NULL)
			return -1;
		fprintf(r->errors, "%s: %s\n", getprogname(), text);
		r->nerrors++;
		return 0;
	case IMSG_CTL_END:
		return reply_end(r, imsg) == -1 ? -1 : 1;
	default:
		return -1;
	}
}
