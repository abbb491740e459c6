/*
 * The handshakes' share of time under load (hsbudget.h): a credit in
 * nanoseconds that refills at HSBUDGET_SHARE_PERCENT of the time passed,
 * up to a burst's worth, and that work spent takes down, into a bounded
 * debt.
 */

#include "hsbudget.h"

/* The lowest the credit goes, however much work is charged. */
#define HSBUDGET_FLOOR	(-(HSBUDGET_DEBT_QUIET + HSBUDGET_BURST))

void
hsbudget_data(struct hsbudget *b, uint64_t now)
{
	b->data_at = now;
	b->data_seen = true;
}

/* The credit by now; full while no data flows. */
static int64_t
hsbudget_credit(struct hsbudget *b, uint64_t now)
{
	uint64_t	 passed;

	if (!b->data_seen || (now >= b->data_at &&
	    now - b->data_at >= HSBUDGET_DATA_IDLE)) {
		b->credit = HSBUDGET_BURST;
		b->credit_at = now;
		return b->credit;
	}
	/* A clock gone back gains nothing, and loses nothing. */
	if (now > b->credit_at) {
		passed = now - b->credit_at;
		/* Compared before multiplying: no overflow, however long. */
		if (passed >= (uint64_t)(HSBUDGET_BURST - b->credit) * 100 /
		    HSBUDGET_SHARE_PERCENT)
			b->credit = HSBUDGET_BURST;
		else
			b->credit += (int64_t)(passed * HSBUDGET_SHARE_PERCENT /
			    100);
		b->credit_at = now;
	}
	return b->credit;
}

bool
hsbudget_allow(struct hsbudget *b, uint64_t now, bool quiet)
{
	return hsbudget_credit(b, now) > (quiet ? -HSBUDGET_DEBT_QUIET : 0);
}

void
hsbudget_charge(struct hsbudget *b, uint64_t spent)
{
	if (spent >= (uint64_t)(b->credit - HSBUDGET_FLOOR))
		b->credit = HSBUDGET_FLOOR;
	else
		b->credit -= (int64_t)spent;
}
