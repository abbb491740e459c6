/*
 * wgd's replies to one wgctl request, checked and turned into output
 * (reply.c): wgctl.c reads the messages and hands each to
 * reply_dispatch().  Nothing of a reply is used before it is checked,
 * and nothing is printed that did not parse.
 */

#ifndef WGCTL_REPLY_H
#define WGCTL_REPLY_H

#include <stdint.h>
#include <stdio.h>

#include "imsg.h"
#include "output.h"

/* What one request's replies have built so far. */
struct reply {
	const struct output	*out;		/* NULL: not a show */
	struct output_ctx	 ctx;		/* out writes to ctx.f */
	FILE			*lines;		/* doctor's lines, at once */
	FILE			*errors;	/* wgd's error lines */
	int64_t			 now;		/* 0: the clock's, when read */
	int			 begun;		/* out->head was called */
	int			 has_iface;
	char			 iface[IFNAMSIZ];
	int			 has_peer;	/* peer is waiting for aips */
	struct ctl_peer		 peer;
	struct wgd_prefix	*aips;
	size_t			 naips;
	int			 nerrors;	/* IMSG_CTL_ERROR lines */
	int			 status;	/* from IMSG_CTL_END */
	int			 want_conf;	/* a peer request */
	int			 lines_say_why;	/* FAIL lines explain a 1 */
	char			*conf;		/* its IMSG_CTL_CONF, to wipe */
};

/*
 * Takes one message of the replies to r's request: 1 once it was the
 * last (IMSG_CTL_END), 0 when more are to come, -1 for a message wgd
 * cannot have sent ("bad reply").  The caller fills r first: out and
 * ctx.f for a show, lines and errors, want_conf or lines_say_why; it
 * frees aips and, wiped, conf.
 */
int	reply_dispatch(struct reply *, const struct imsg *);

#endif /* WGCTL_REPLY_H */
