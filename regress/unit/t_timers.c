/*
 * wgd/timers.c with a fake clock: what a peer does and when, per the
 * whitepaper's section 6 and the reference implementations.
 */

#include <stdint.h>

#include <atf-c.h>

#include "timers.h"
#include "wg_proto.h"

#define S(x)	((uint64_t)(x) * NSEC_PER_SEC)
#define MS(x)	((uint64_t)(x) * NSEC_PER_MSEC)

/* Runs the clock from *now to until in 10 ms steps, ORing what is due. */
static int
run(struct wg_timers *t, uint64_t *now, uint64_t until)
{
	int	 due = 0;

	for (; *now <= until; *now += MS(10))
		due |= timers_expired(t, *now);
	return due;
}

/* Retries of an unanswered initiation sent at start, to the give-up. */
static void
give_up_from(uint64_t start)
{
	struct wg_timers	 t;
	uint64_t		 now = start;
	int			 sent = 1, due;

	timers_init(&t, 0);
	timers_initiation_sent(&t, now, 0);
	/* Nothing before REKEY_TIMEOUT. */
	ATF_CHECK_EQ(run(&t, &now, start + S(REKEY_TIMEOUT) - MS(10)), 0);
	for (;;) {
		due = run(&t, &now, now + S(REKEY_TIMEOUT) + MS(400));
		if (due & TIMER_DO_GIVE_UP)
			break;
		ATF_REQUIRE_EQ(due, TIMER_DO_SEND_INITIATION);
		timers_initiation_sent(&t, now, 333);
		sent++;
		ATF_REQUIRE(sent < 100);
	}
	/* The first initiation and 19 retries; no more after giving up. */
	ATF_CHECK_EQ(sent, 20);
	ATF_CHECK(now - start >= S(REKEY_ATTEMPT_TIME));
	ATF_CHECK_EQ(run(&t, &now, now + S(60)) & TIMER_DO_SEND_INITIATION, 0);
	/* Keys of the failed attempt are zeroed in time. */
	ATF_CHECK(run(&t, &now, now + S(REJECT_AFTER_TIME * 3)) &
	    TIMER_DO_ZERO_KEYS);
}

ATF_TC_WITHOUT_HEAD(retransmit_and_give_up);
ATF_TC_BODY(retransmit_and_give_up, tc)
{
	give_up_from(S(1000));
}

/*
 * The clock is 64-bit nanoseconds on every architecture: the same
 * retries, keepalives and key ages across 2^32 ns (4.3 s after boot),
 * 2^31 s and 2^32 s.
 */
ATF_TC_WITHOUT_HEAD(across_32_bits);
ATF_TC_BODY(across_32_bits, tc)
{
	static const uint64_t	 edges[] = {
		1ULL << 32, S(1ULL << 31), S(1ULL << 32)
	};
	struct wg_timers	 t;
	uint64_t		 e, now;
	size_t			 i;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		e = edges[i];
		give_up_from(e - S(3));

		timers_init(&t, 25);
		now = e - S(1);
		timers_session_derived(&t, now);
		timers_authenticated_sent(&t, now);
		ATF_CHECK_EQ(timers_next(&t), now + S(25));
		ATF_CHECK_EQ(run(&t, &now, e - S(1) + S(25) - MS(10)) &
		    TIMER_DO_SEND_KEEPALIVE, 0);
		ATF_CHECK(run(&t, &now, e - S(1) + S(25)) &
		    TIMER_DO_SEND_KEEPALIVE);

		ATF_CHECK(keypair_usable(e - S(1), e - S(1) +
		    S(REJECT_AFTER_TIME) - 1, 0));
		ATF_CHECK(!keypair_usable(e - S(1), e - S(1) +
		    S(REJECT_AFTER_TIME), 0));
		ATF_CHECK(keypair_rekey_on_send(e - S(1), e - S(1) +
		    S(REKEY_AFTER_TIME), 5, 1));
	}
}

ATF_TC_WITHOUT_HEAD(retransmit_jitter);
ATF_TC_BODY(retransmit_jitter, tc)
{
	struct wg_timers	 t;
	uint64_t		 now = S(10);

	timers_init(&t, 0);
	timers_initiation_sent(&t, now, 333);
	ATF_CHECK_EQ(timers_next(&t), now + S(REKEY_TIMEOUT) + MS(333));
	ATF_CHECK_EQ(timers_expired(&t, now + S(REKEY_TIMEOUT) + MS(332)), 0);
	ATF_CHECK_EQ(timers_expired(&t, now + S(REKEY_TIMEOUT) + MS(333)),
	    TIMER_DO_SEND_INITIATION);
}

ATF_TC_WITHOUT_HEAD(handshake_complete_stops_retries);
ATF_TC_BODY(handshake_complete_stops_retries, tc)
{
	struct wg_timers	 t;
	uint64_t		 now = S(10);

	timers_init(&t, 0);
	timers_initiation_sent(&t, now, 0);
	now += S(1);
	timers_handshake_complete(&t);
	timers_session_derived(&t, now);
	ATF_CHECK_EQ(run(&t, &now, now + S(60)), 0);
	ATF_CHECK_EQ(t.handshake_attempts, 0);
	/* 540 s after the session, its keys go. */
	ATF_CHECK_EQ(run(&t, &now, S(11) + S(540) - MS(10)), 0);
	ATF_CHECK_EQ(run(&t, &now, S(11) + S(540)), TIMER_DO_ZERO_KEYS);
}

ATF_TC_WITHOUT_HEAD(passive_keepalive);
ATF_TC_BODY(passive_keepalive, tc)
{
	struct wg_timers	 t;
	uint64_t		 now = S(100);

	timers_init(&t, 0);
	/* Data in, nothing out: a keepalive after 10 s, only one. */
	timers_authenticated_received(&t, now);
	timers_data_received(&t, now);
	ATF_CHECK_EQ(run(&t, &now, S(100) + S(KEEPALIVE_TIMEOUT) - MS(10)),
	    0);
	ATF_CHECK_EQ(run(&t, &now, S(100) + S(KEEPALIVE_TIMEOUT)),
	    TIMER_DO_SEND_KEEPALIVE);
	timers_authenticated_sent(&t, now);
	ATF_CHECK_EQ(run(&t, &now, now + S(60)), 0);

	/* Data in, then data out within 10 s: no keepalive needed. */
	timers_data_received(&t, now);
	now += S(3);
	timers_authenticated_sent(&t, now);
	timers_data_sent(&t, now, 0);
	timers_authenticated_received(&t, now + S(1));
	ATF_CHECK_EQ(run(&t, &now, now + S(30)) & TIMER_DO_SEND_KEEPALIVE, 0);

	/* More data while one is pending asks for another keepalive. */
	timers_data_received(&t, now);
	timers_data_received(&t, now + S(5));
	ATF_CHECK(run(&t, &now, now + S(KEEPALIVE_TIMEOUT)) &
	    TIMER_DO_SEND_KEEPALIVE);
	ATF_CHECK(run(&t, &now, now + S(KEEPALIVE_TIMEOUT)) &
	    TIMER_DO_SEND_KEEPALIVE);
	ATF_CHECK_EQ(run(&t, &now, now + S(30)), 0);
}

ATF_TC_WITHOUT_HEAD(new_handshake_when_unanswered);
ATF_TC_BODY(new_handshake_when_unanswered, tc)
{
	struct wg_timers	 t;
	uint64_t		 now = S(100);

	timers_init(&t, 0);
	/* Data out and nothing back for 15 s: a new handshake. */
	timers_data_sent(&t, now, 0);
	ATF_CHECK_EQ(run(&t, &now, S(100) + S(15) - MS(10)), 0);
	ATF_CHECK_EQ(run(&t, &now, S(100) + S(15)), TIMER_DO_SEND_INITIATION);

	/* An answer in time cancels it. */
	timers_data_sent(&t, now, 0);
	timers_authenticated_received(&t, now + S(2));
	ATF_CHECK_EQ(run(&t, &now, now + S(30)), 0);
}

ATF_TC_WITHOUT_HEAD(persistent_keepalive);
ATF_TC_BODY(persistent_keepalive, tc)
{
	struct wg_timers	 t;
	uint64_t		 now = S(100);
	int			 n = 0, i;

	timers_init(&t, 25);
	timers_authenticated_sent(&t, now);
	for (i = 0; i < 4; i++) {
		if (run(&t, &now, now + S(25)) & TIMER_DO_SEND_KEEPALIVE) {
			n++;
			timers_authenticated_sent(&t, now);
		}
	}
	ATF_CHECK(n >= 3);
	/* Traffic in the meantime pushes it back. */
	timers_authenticated_sent(&t, now);
	ATF_CHECK_EQ(run(&t, &now, now + S(20)), 0);
	timers_authenticated_received(&t, now);
	ATF_CHECK_EQ(run(&t, &now, now + S(20)), 0);
	/* Turned off, it stops. */
	timers_set_persistent_keepalive(&t, 0, now);
	ATF_CHECK_EQ(run(&t, &now, now + S(100)), 0);
}

ATF_TC_WITHOUT_HEAD(initiation_rate);
ATF_TC_BODY(initiation_rate, tc)
{
	struct wg_timers	 t;

	timers_init(&t, 0);
	ATF_CHECK(timers_may_initiate(&t, S(1)));
	timers_initiation_sent(&t, S(1), 0);
	ATF_CHECK(!timers_may_initiate(&t, S(1) + S(REKEY_TIMEOUT) - 1));
	ATF_CHECK(timers_may_initiate(&t, S(1) + S(REKEY_TIMEOUT)));
}

ATF_TC_WITHOUT_HEAD(keypair_ages);
ATF_TC_BODY(keypair_ages, tc)
{
	uint64_t	 made = S(1000);

	ATF_CHECK(keypair_usable(made, made + S(REJECT_AFTER_TIME) - 1, 0));
	ATF_CHECK(!keypair_usable(made, made + S(REJECT_AFTER_TIME), 0));
	ATF_CHECK(!keypair_usable(made, made, REJECT_AFTER_MESSAGES));
	ATF_CHECK(keypair_usable(made, made, REJECT_AFTER_MESSAGES - 1));

	/* Only the initiator renews on age; either on message count. */
	ATF_CHECK(!keypair_rekey_on_send(made, made + S(119), 5, 1));
	ATF_CHECK(keypair_rekey_on_send(made, made + S(REKEY_AFTER_TIME), 5,
	    1));
	ATF_CHECK(!keypair_rekey_on_send(made, made + S(REKEY_AFTER_TIME), 5,
	    0));
	ATF_CHECK(keypair_rekey_on_send(made, made, REKEY_AFTER_MESSAGES, 0));
	ATF_CHECK(!keypair_rekey_on_receive(made, made + S(164), 1));
	ATF_CHECK(keypair_rekey_on_receive(made, made + S(165), 1));
	ATF_CHECK(!keypair_rekey_on_receive(made, made + S(170), 0));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, retransmit_and_give_up);
	ATF_TP_ADD_TC(tp, across_32_bits);
	ATF_TP_ADD_TC(tp, retransmit_jitter);
	ATF_TP_ADD_TC(tp, handshake_complete_stops_retries);
	ATF_TP_ADD_TC(tp, passive_keepalive);
	ATF_TP_ADD_TC(tp, new_handshake_when_unanswered);
	ATF_TP_ADD_TC(tp, persistent_keepalive);
	ATF_TP_ADD_TC(tp, initiation_rate);
	ATF_TP_ADD_TC(tp, keypair_ages);
	return atf_no_error();
}
