/*
 * wgd/hsbudget.c: the handshakes' share of time under load, on a fake
 * clock: all of it while no data flows, the share while it does, a
 * burst at most saved up, quiet sources into a bounded debt, busy ones
 * not, and a clock gone back neither gains nor loses.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include "hsbudget.h"

#define MS	1000000ULL
#define T0	(1000 * MS)

/* How many handshakes of cost ns each pass in span ns, asked every step. */
static int
run(struct hsbudget *b, uint64_t *now, uint64_t span, uint64_t step,
    uint64_t cost, bool quiet, bool data)
{
	uint64_t	 end = *now + span;
	int		 n = 0;

	for (; *now < end; *now += step) {
		if (data)
			hsbudget_data(b, *now);
		if (hsbudget_allow(b, *now, quiet)) {
			hsbudget_charge(b, cost);
			n++;
		}
	}
	return n;
}

ATF_TC_WITHOUT_HEAD(no_data_no_limit);
ATF_TC_BODY(no_data_no_limit, tc)
{
	struct hsbudget	 b;
	uint64_t	 now = T0;

	memset(&b, 0, sizeof(b));
	/* Never any data: every handshake, whatever it costs. */
	ATF_CHECK_EQ(run(&b, &now, 100 * MS, MS, 5 * MS, false, false), 100);
	/* Data long ago is no data. */
	hsbudget_data(&b, now);
	now += HSBUDGET_DATA_IDLE;
	ATF_CHECK_EQ(run(&b, &now, 100 * MS, MS, 5 * MS, false, false), 100);
}

ATF_TC_WITHOUT_HEAD(share_while_data);
ATF_TC_BODY(share_while_data, tc)
{
	struct hsbudget	 b;
	uint64_t	 now = T0, spent;
	int		 n;

	memset(&b, 0, sizeof(b));
	hsbudget_data(&b, now);
	/*
	 * Handshakes of 100 us asked for every 10 us for a second, with
	 * data all along: they get the share, plus the burst they start
	 * with (and the last one's overrun).
	 */
	n = run(&b, &now, 1000 * MS, 10000, 100000, false, true);
	spent = (uint64_t)n * 100000;
	ATF_CHECK_MSG(spent >= 1000 * MS * HSBUDGET_SHARE_PERCENT / 100 &&
	    spent <= 1000 * MS * HSBUDGET_SHARE_PERCENT / 100 +
	    HSBUDGET_BURST + 100000, "%d handshakes, %llu ns", n,
	    (unsigned long long)spent);
}

ATF_TC_WITHOUT_HEAD(burst_is_bounded);
ATF_TC_BODY(burst_is_bounded, tc)
{
	struct hsbudget	 b;
	uint64_t	 now = T0;

	memset(&b, 0, sizeof(b));
	hsbudget_data(&b, now);
	(void)run(&b, &now, 50 * MS, MS, 10 * MS, false, true);
	/* A long quiet spell with data saves up a burst, no more. */
	(void)run(&b, &now, 5000 * MS, 50 * MS, 0, false, true);
	hsbudget_data(&b, now);
	ATF_CHECK_EQ(run(&b, &now, 1, 1, 1 * MS, false, true), 1);
	now -= 1;
	ATF_CHECK_EQ(run(&b, &now, 1, 1, 0, false, true), 1);
	now -= 1;
	/* 10 ms saved: 1 ms, then 9 ms, then nothing, at one instant. */
	ATF_CHECK_EQ(run(&b, &now, 1, 1, 9 * MS, false, true), 1);
	now -= 1;
	ATF_CHECK_EQ(run(&b, &now, 1, 1, 0, false, true), 0);
}

ATF_TC_WITHOUT_HEAD(quiet_into_debt);
ATF_TC_BODY(quiet_into_debt, tc)
{
	struct hsbudget	 b;
	uint64_t	 now = T0;
	int		 busy, quiet;

	memset(&b, 0, sizeof(b));
	hsbudget_data(&b, now);
	/* Busy sources use the credit up. */
	busy = run(&b, &now, 100 * MS, MS, 5 * MS, false, true);
	ATF_CHECK(!hsbudget_allow(&b, now, false));
	/* A quiet one still gets in, into the debt, until it is deep. */
	ATF_CHECK(hsbudget_allow(&b, now, true));
	quiet = 0;
	while (hsbudget_allow(&b, now, true) && quiet < 100) {
		hsbudget_charge(&b, MS);
		quiet++;
	}
	ATF_CHECK_MSG(quiet >= 15 && quiet <= 21, "%d quiet, %d busy", quiet,
	    busy);
	/* The debt is paid before busy sources get anything. */
	now += 100 * MS;
	hsbudget_data(&b, now);
	ATF_CHECK(!hsbudget_allow(&b, now, false));
	now += (HSBUDGET_DEBT_QUIET + HSBUDGET_BURST) * 100 /
	    HSBUDGET_SHARE_PERCENT;
	hsbudget_data(&b, now);
	ATF_CHECK(hsbudget_allow(&b, now, false));
	/* However much is charged, the debt has a floor. */
	hsbudget_charge(&b, UINT64_MAX);
	now += (HSBUDGET_DEBT_QUIET + HSBUDGET_BURST) * 100 /
	    HSBUDGET_SHARE_PERCENT + MS;
	hsbudget_data(&b, now);
	ATF_CHECK(hsbudget_allow(&b, now, false));
}

ATF_TC_WITHOUT_HEAD(clock_back);
ATF_TC_BODY(clock_back, tc)
{
	struct hsbudget	 b;
	uint64_t	 now = T0;

	memset(&b, 0, sizeof(b));
	hsbudget_data(&b, now);
	(void)run(&b, &now, 20 * MS, MS, 5 * MS, false, true);
	ATF_CHECK(!hsbudget_allow(&b, now, false));
	/* Back in time, with data: no credit gained, none lost. */
	now -= 500 * MS;
	hsbudget_data(&b, now);
	ATF_CHECK(!hsbudget_allow(&b, now, false));
	ATF_CHECK(hsbudget_allow(&b, now, true));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, no_data_no_limit);
	ATF_TP_ADD_TC(tp, share_while_data);
	ATF_TP_ADD_TC(tp, burst_is_bounded);
	ATF_TP_ADD_TC(tp, quiet_into_debt);
	ATF_TP_ADD_TC(tp, clock_back);
	return atf_no_error();
}
