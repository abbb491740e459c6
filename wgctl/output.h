/*
 * Output backends for wgctl show (bgpctl's model): the same structs in,
 * text or JSON out.  wgctl.c has already checked every struct it passes
 * (strings terminated, prefixes valid), and calls, for one reply:
 *
 *	head, then for each interface: iface, then peer for each of its
 *	peers (with all of the peer's allowed ips), and tail at the end.
 *
 * Later fields of struct ctl_peer (latest handshake, transfer) reach
 * peer() with the struct: they need no new function here.
 */

#ifndef WGCTL_OUTPUT_H
#define WGCTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "wgd.h"

/* Where a backend writes and what it has written so far. */
struct output_ctx {
	FILE		*f;
	int		 nifaces;	/* printed so far */
	int		 npeers;	/* printed for the current interface */
};

struct output {
	void	(*head)(struct output_ctx *);
	void	(*iface)(struct output_ctx *, const struct ctl_iface *);
	void	(*peer)(struct output_ctx *, const struct ctl_peer *,
		    const struct wgd_prefix *, size_t);
	void	(*tail)(struct output_ctx *);
};

extern const struct output	output_text;
extern const struct output	output_json;

/* "1 hour, 2 minutes, 5 seconds", as wg show writes a duration. */
void	output_duration(char *, size_t, unsigned long long);

#endif /* WGCTL_OUTPUT_H */
