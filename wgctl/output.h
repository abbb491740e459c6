/*
 * Output backends for wgctl show (bgpctl's model): the same structs in,
 * text or JSON out.  wgctl.c has already checked every struct it passes
 * (strings terminated, prefixes valid), and calls, for one reply:
 *
 *	head, then for each interface: iface, then peer for each of its
 *	peers (with all of the peer's allowed ips), and tail at the end.
 *
 * The caller sets ctx->now, the clock "latest handshake: ... ago" counts
 * from: time(NULL) in wgctl, a fixed value in the tests.
 */

#ifndef WGCTL_OUTPUT_H
#define WGCTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "wgd.h"

/*
 * A peer counts as connected while its latest handshake is younger
 * than a session lives without a new one (REJECT_AFTER_TIME): for show's
 * hints, show metrics and doctor alike.
 */
#define OUTPUT_CONNECTED_SECS	180

/* Where a backend writes and what it has written so far. */
struct output_ctx {
	FILE		*f;
	int64_t		 now;		/* epoch s, for the age of a handshake */
	int		 nifaces;	/* printed so far */
	int		 npeers;	/* printed for the current interface */
	struct ctl_iface iface;		/* the current interface */
	void		*data;		/* the backend's own */
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
extern const struct output	output_metrics;
extern const struct output	output_doctor;

/*
 * wgctl doctor when no wgd answers on the socket: the checks that need
 * none, on the file (doctor.c).  Returns the exit status.
 */
int	doctor_offline(const char *, const char *, const char *);

/* "1 hour, 2 minutes, 5 seconds", as wg show writes a duration. */
void	output_duration(char *, size_t, unsigned long long);

/*
 * As wg show writes the latest handshake at time then, seen at now:
 * "1 minute, 3 seconds ago", "Now", or a warning when then is ahead of
 * the clock.  It takes then as a time, 0 too: leaving out the line of a
 * peer that never had a handshake is the caller's job.
 */
void	output_ago(char *, size_t, int64_t, int64_t);

/*
 * The hint for a peer that does not connect, from what the engine saw
 * (hint.c); 0 and "" when there is none.
 */
int	output_hint(char *, size_t, const struct ctl_iface *,
	    const struct ctl_peer *, int64_t);

/* "1023 B", "1.21 MiB": as wg show writes an amount of data. */
void	output_bytes(char *, size_t, uint64_t);

#endif /* WGCTL_OUTPUT_H */
