/*
 * The time an interface's handshakes may take while it is under load:
 * pure logic, no I/O; time is the caller's CLOCK_MONOTONIC in
 * nanoseconds, so tests can fake it.
 *
 * Under load, while data flows, the handshakes let through may take
 * HSBUDGET_SHARE_PERCENT of the time of the thread that also reads
 * every datagram (wall-clock time: on two cores that thread and the
 * workers that seal the data share what a flood leaves): a flood of
 * valid initiations from many sources, each within its own rate, would
 * otherwise keep it doing Diffie-Hellman while the sessions' data waits
 * and the socket overflows.  The work is measured, not counted, so the
 * share holds on a slow Pi as on a fast PC.  A source that was quiet (a
 * client trying every few seconds) may go over, into a debt that busy
 * sources must first pay back.  With no data for HSBUDGET_DATA_IDLE,
 * nothing waits behind the handshakes: they may take all the time.
 */

#ifndef WGD_HSBUDGET_H
#define WGD_HSBUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define HSBUDGET_SHARE_PERCENT	20
#define HSBUDGET_BURST		((int64_t)10 * 1000 * 1000)	/* ns */
#define HSBUDGET_DEBT_QUIET	((int64_t)20 * 1000 * 1000)	/* ns */
#define HSBUDGET_DATA_IDLE	(1000ULL * 1000 * 1000 / 10)	/* ns */

struct hsbudget {
	int64_t		 credit;	/* ns of handshake work */
	uint64_t	 credit_at;	/* when last refilled */
	uint64_t	 data_at;	/* last data in or out */
	bool		 data_seen;
};

/* Data went in or out at now. */
void	hsbudget_data(struct hsbudget *, uint64_t);

/*
 * May one more handshake be worked on now?  A quiet source may be let
 * through into debt.  Refills the credit for the time passed.
 */
bool	hsbudget_allow(struct hsbudget *, uint64_t, bool);

/* spent ns of handshake work were done: the credit goes down. */
void	hsbudget_charge(struct hsbudget *, uint64_t);

#endif /* WGD_HSBUDGET_H */
