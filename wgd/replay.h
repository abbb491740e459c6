/*
 * The receive side's replay protection for transport data messages: a
 * sliding window over the 64-bit counters (RFC 6479), the shape the
 * Linux and OpenBSD WireGuard implementations use.  Pure logic, no I/O.
 */

#ifndef WGD_REPLAY_H
#define WGD_REPLAY_H

#include <stdint.h>

#include "wg_proto.h"

#define REPLAY_WORD_BITS	64
#define REPLAY_WORDS		(REPLAY_BITMAP_BITS / REPLAY_WORD_BITS)

/*
 * One per receiving keypair.  No counter has been seen while the bitmap
 * is all zero and max is 0; a counter of 0 then sets bit 0, so the first
 * packet needs no flag of its own.
 */
struct replay {
	uint64_t	 max;		/* greatest counter accepted */
	uint64_t	 bitmap[REPLAY_WORDS];
};

void	replay_init(struct replay *);

/*
 * Call only for a packet that has authenticated, or a forger could move
 * the window.  Returns 0 and records the counter if it is new, inside the
 * window (max - REPLAY_WINDOW_SIZE <= counter) and below
 * REJECT_AFTER_MESSAGES; returns -1 otherwise.
 */
int	replay_check(struct replay *, uint64_t);

/*
 * Whether replay_check() would refuse the counter now, without recording
 * it: 1 for a counter seen, too old or past REJECT_AFTER_MESSAGES.  A
 * packet so numbered is dropped before its crypto, whatever its tag:
 * replayed packets cost no more than a look at the window.
 */
int	replay_seen(const struct replay *, uint64_t);

#endif /* WGD_REPLAY_H */
