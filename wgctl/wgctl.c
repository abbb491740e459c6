/*
 * wgctl: controls wgd and makes WireGuard keys.
 *
 * A daemon command is one request on the control socket and the replies
 * up to IMSG_CTL_END.  Every reply is checked before use: wgctl prints
 * nothing that did not parse, and nothing of a reply it refused.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "config.h"
#include "imsg.h"
#include "keys.h"
#include "output.h"
#include "parser.h"
#include "wgd.h"

/* What one request's replies have built so far. */
struct reply {
	const struct output	*out;		/* NULL: not a show */
	struct output_ctx	 ctx;		/* writes to a buffer */
	int			 begun;		/* out->head was called */
	int			 has_iface;
	char			 iface[IFNAMSIZ];
	int			 has_peer;	/* peer is waiting for aips */
	struct ctl_peer		 peer;
	struct wgd_prefix	*aips;
	size_t			 naips;
	int			 nerrors;	/* IMSG_CTL_ERROR lines */
	int			 status;	/* from IMSG_CTL_END */
};

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: %s [-j] [-s socket] command [argument ...]\n",
	    getprogname());
	exit(1);
}

static void __attribute__((__noreturn__))
bad_reply(void)
{
	errx(1, "bad reply from wgd");
}

static void __attribute__((__noreturn__))
closed(void)
{
	errx(1, "wgd closed the connection");
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		err(1, "connect %s", path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	return fd;
}

static void
ctl_request(struct imsgbuf *ibuf, const struct parse_result *res)
{
	struct ctl_show	 show;
	int		 verbose, rv = -1;

	switch (res->action) {
	case SHOW:
	case SHOW_ONE_IFACE:
	case SHOW_ONE_PEER:
		memset(&show, 0, sizeof(show));
		if (res->action == SHOW)
			show.what = SHOW_ALL;
		else
			show.what = res->action == SHOW_ONE_IFACE ?
			    SHOW_IFACE : SHOW_PEER;
		if (res->name != NULL)
			strlcpy(show.name, res->name, sizeof(show.name));
		rv = imsg_compose(ibuf, IMSG_CTL_SHOW, 0, 0, -1, &show,
		    sizeof(show));
		break;
	case RELOAD:
		rv = imsg_compose(ibuf, IMSG_CTL_RELOAD, 0, 0, -1, NULL, 0);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		verbose = res->action == LOG_VERBOSE;
		rv = imsg_compose(ibuf, IMSG_CTL_LOG_VERBOSE, 0, 0, -1,
		    &verbose, sizeof(verbose));
		break;
	default:
		errx(1, "%s: not a daemon command", __func__);
	}
	if (rv == -1)
		err(1, "imsg_compose");
	if (imsg_flush(ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			closed();
		err(1, "send to wgd");
	}
}

/* A text payload: NUL-terminated, with no NUL before the end. */
static const char *
reply_text(const struct imsg *imsg)
{
	size_t	 len = imsg_get_len(imsg);

	if (len == 0 || memchr(imsg->data, '\0', len) !=
	    (char *)imsg->data + len - 1)
		bad_reply();
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

static void
reply_iface(struct reply *r, const struct imsg *imsg)
{
	struct ctl_iface	 iface;

	if (r->out == NULL || imsg_get_data(imsg, &iface, sizeof(iface)) == -1)
		bad_reply();
	if (!STR_TERMINATED(iface.name) || !conf_valid_ifname(iface.name))
		bad_reply();
	reply_flush_peer(r);
	if (!r->begun) {
		/*
		 * The clock for "latest handshake: ... ago", read once wgd
		 * has answered: a handshake it reports as just now is then
		 * never ahead of it.
		 */
		r->ctx.now = time(NULL);
		r->out->head(&r->ctx);
		r->begun = 1;
	}
	r->out->iface(&r->ctx, &iface);
	r->has_iface = 1;
	memcpy(r->iface, iface.name, sizeof(r->iface));
}

/*
 * A peer belongs to the interface sent last; it must name that one.  Its
 * latest handshake is a time since the epoch, or 0 for never: a negative
 * one is no time wgd can have seen.
 */
static void
reply_peer(struct reply *r, const struct imsg *imsg)
{
	struct ctl_peer	 peer;

	if (r->out == NULL || !r->has_iface ||
	    imsg_get_data(imsg, &peer, sizeof(peer)) == -1)
		bad_reply();
	if (!STR_TERMINATED(peer.iface) || !STR_TERMINATED(peer.name) ||
	    !STR_TERMINATED(peer.endpoint) || peer.has_pubkey > 1 ||
	    peer.last_handshake < 0 ||
	    strcmp(peer.iface, r->iface) != 0 ||
	    !conf_valid_peer_name(peer.name))
		bad_reply();
	reply_flush_peer(r);
	r->peer = peer;
	r->has_peer = 1;
}

/* More allowed ips of the peer sent last. */
static void
reply_allowed_ips(struct reply *r, const struct imsg *imsg)
{
	struct wgd_prefix	*p;
	size_t			 len = imsg_get_len(imsg), n, i;

	if (!r->has_peer || len % sizeof(*p) != 0)
		bad_reply();
	if ((n = len / sizeof(*p)) == 0)
		return;
	if ((p = reallocarray(r->aips, r->naips + n, sizeof(*p))) == NULL)
		err(1, NULL);
	r->aips = p;
	memcpy(&r->aips[r->naips], imsg->data, len);
	for (i = r->naips; i < r->naips + n; i++)
		if ((p[i].af != AF_INET && p[i].af != AF_INET6) ||
		    p[i].plen > addr_maxlen(p[i].af))
			bad_reply();
	r->naips += n;
}

static void
reply_end(struct reply *r, const struct imsg *imsg)
{
	struct ctl_end	 end;

	if (imsg_get_data(imsg, &end, sizeof(end)) == -1 ||
	    (end.status != 0 && end.status != 1))
		bad_reply();
	r->status = end.status;
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
	if (r->status != 0 && r->nerrors == 0)
		warnx("wgd reported a failure without a reason");
}

/* Returns 1 once the reply is complete. */
static int
reply_dispatch(struct reply *r, const struct imsg *imsg)
{
	if (imsg->hdr.flags & IMSGF_HASFD)
		bad_reply();
	switch (imsg->hdr.type) {
	case IMSG_CTL_IFACE:
		reply_iface(r, imsg);
		break;
	case IMSG_CTL_PEER:
		reply_peer(r, imsg);
		break;
	case IMSG_CTL_ALLOWED_IPS:
		reply_allowed_ips(r, imsg);
		break;
	case IMSG_CTL_LINE:
		fprintf(r->ctx.f, "%s\n", reply_text(imsg));
		break;
	case IMSG_CTL_ERROR:
		warnx("%s", reply_text(imsg));
		r->nerrors++;
		break;
	case IMSG_CTL_END:
		reply_end(r, imsg);
		return 1;
	default:
		bad_reply();
	}
	return 0;
}

/*
 * Reads replies up to IMSG_CTL_END.  Standard output is collected in a
 * buffer and written only then, so a reply refused half-way leaves no
 * half-printed output (and never half a JSON object) behind.
 */
static int
ctl_replies(struct imsgbuf *ibuf, const struct output *out)
{
	struct reply	 r;
	struct imsg	 imsg;
	char		*buf = NULL;
	size_t		 buflen = 0;
	ssize_t		 n;
	int		 done = 0;

	memset(&r, 0, sizeof(r));
	r.out = out;
	if ((r.ctx.f = open_memstream(&buf, &buflen)) == NULL)
		err(1, "open_memstream");
	while (!done) {
		if ((n = imsg_get(ibuf, &imsg)) == -1) {
			if (errno == ERANGE)
				bad_reply();
			err(1, "imsg_get");
		}
		if (n == 0) {
			if ((n = imsg_read(ibuf)) == -1) {
				if (errno == ECONNRESET)
					closed();
				if (errno == EBADMSG)
					bad_reply();
				err(1, "read from wgd");
			}
			if (n == 0)
				closed();
			continue;
		}
		done = reply_dispatch(&r, &imsg);
		imsg_free(&imsg);
	}
	if (fclose(r.ctx.f) == EOF)
		err(1, "open_memstream");
	if (fwrite(buf, 1, buflen, stdout) != buflen || fflush(stdout) == EOF)
		err(1, "stdout");
	free(buf);
	free(r.aips);
	return r.status;
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	struct imsgbuf		 ibuf;
	const char		*sockpath = WGD_SOCKET;
	int			 ch, fd, json = 0, status;

	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	if ((res = parse(argc, argv)) == NULL)
		exit(1);
	if (json)
		res->json = 1;
	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");

	switch (res->action) {
	case GENKEY:
		return keys_genkey();
	case GENPSK:
		return keys_genpsk();
	case PUBKEY:
		return keys_pubkey();
	case NONE:
		usage();
	default:
		break;
	}

	fd = ctl_connect(sockpath);
	imsg_init(&ibuf, fd);
	ctl_request(&ibuf, res);
	switch (res->action) {
	case SHOW:
	case SHOW_ONE_IFACE:
	case SHOW_ONE_PEER:
		status = ctl_replies(&ibuf,
		    res->json ? &output_json : &output_text);
		break;
	default:
		status = ctl_replies(&ibuf, NULL);
		break;
	}
	imsg_clear(&ibuf);
	close(fd);
	return status;
}
