/*
 * The timers of whitepaper section 6.2-6.5, shaped as the Linux and
 * OpenBSD implementations run them: five per peer, armed and disarmed by
 * what the peer sends and receives.  Nothing here reads a clock or does
 * I/O; the engine does what timers_expired() returns.
 */

#include <string.h>

#include "timers.h"
#include "wg_proto.h"

/*
 * Retries before giving up, counted as Linux and wireguard-go count
 * them: the first initiation and 19 retries, 5 s apart, then silence.
 */
#define MAX_TIMER_HANDSHAKES	(REKEY_ATTEMPT_TIME / REKEY_TIMEOUT)

static uint64_t
secs(uint64_t s)
{
	return s * NSEC_PER_SEC;
}

static void
arm(struct wg_timers *t, enum timer_id id, uint64_t when)
{
	t->deadline[id] = when != 0 ? when : 1;
}

static int
armed(const struct wg_timers *t, enum timer_id id)
{
	return t->deadline[id] != 0;
}

int
timers_armed(const struct wg_timers *t, enum timer_id id)
{
	return armed(t, id);
}

void
timers_init(struct wg_timers *t, uint16_t persistent_keepalive)
{
	memset(t, 0, sizeof(*t));
	t->persistent_keepalive = persistent_keepalive;
}

/* A new interval takes effect at once, as wg set does. */
void
timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval,
    uint64_t now)
{
	t->persistent_keepalive = interval;
	if (interval == 0)
		t->deadline[TIMER_PERSISTENT_KEEPALIVE] = 0;
	else
		arm(t, TIMER_PERSISTENT_KEEPALIVE, now + secs(interval));
}

/* Every initiation sent, first or retry, waits REKEY_TIMEOUT for an answer. */
void
timers_initiation_sent(struct wg_timers *t, uint64_t now,
    unsigned int jitter_ms)
{
	t->last_initiation_sent = now;
	arm(t, TIMER_RETRANSMIT_HANDSHAKE,
	    now + secs(REKEY_TIMEOUT) + jitter_ms * NSEC_PER_MSEC);
}

void
timers_handshake_complete(struct wg_timers *t)
{
	t->deadline[TIMER_RETRANSMIT_HANDSHAKE] = 0;
	t->handshake_attempts = 0;
}

/* Keys are zeroed if no new session comes within three rejections. */
void
timers_session_derived(struct wg_timers *t, uint64_t now)
{
	arm(t, TIMER_ZERO_KEY_MATERIAL, now + secs(REJECT_AFTER_TIME * 3));
}

/* Data sent and nothing heard back: try a new handshake. */
void
timers_data_sent(struct wg_timers *t, uint64_t now, unsigned int jitter_ms)
{
	if (!armed(t, TIMER_NEW_HANDSHAKE))
		arm(t, TIMER_NEW_HANDSHAKE, now +
		    secs(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) +
		    jitter_ms * NSEC_PER_MSEC);
}

/* Data received and nothing to send back: a keepalive acknowledges it. */
void
timers_data_received(struct wg_timers *t, uint64_t now)
{
	if (!armed(t, TIMER_SEND_KEEPALIVE))
		arm(t, TIMER_SEND_KEEPALIVE, now + secs(KEEPALIVE_TIMEOUT));
	else
		t->need_another_keepalive = 1;
}

static void
persistent_traversal(struct wg_timers *t, uint64_t now)
{
	if (t->persistent_keepalive != 0)
		arm(t, TIMER_PERSISTENT_KEEPALIVE,
		    now + secs(t->persistent_keepalive));
}

/* Any authenticated packet sent: data, keepalive or handshake. */
void
timers_authenticated_sent(struct wg_timers *t, uint64_t now)
{
	t->deadline[TIMER_SEND_KEEPALIVE] = 0;
	persistent_traversal(t, now);
}

/* Any authenticated packet received: the peer is alive. */
void
timers_authenticated_received(struct wg_timers *t, uint64_t now)
{
	t->deadline[TIMER_NEW_HANDSHAKE] = 0;
	persistent_traversal(t, now);
}

void
timers_stop(struct wg_timers *t)
{
	memset(t->deadline, 0, sizeof(t->deadline));
	t->handshake_attempts = 0;
	t->need_another_keepalive = 0;
}

/*
 * Disarms every timer due at now and returns what they ask for, as
 * TIMER_DO_* bits.  Timers that must run again are re-armed here, or by
 * the event the engine reports after doing what was asked.
 */
int
timers_expired(struct wg_timers *t, uint64_t now)
{
	int	 due = 0;

	if (armed(t, TIMER_RETRANSMIT_HANDSHAKE) &&
	    t->deadline[TIMER_RETRANSMIT_HANDSHAKE] <= now) {
		t->deadline[TIMER_RETRANSMIT_HANDSHAKE] = 0;
		if (t->handshake_attempts > MAX_TIMER_HANDSHAKES) {
			due |= TIMER_DO_GIVE_UP;
			t->deadline[TIMER_SEND_KEEPALIVE] = 0;
			if (!armed(t, TIMER_ZERO_KEY_MATERIAL))
				arm(t, TIMER_ZERO_KEY_MATERIAL,
				    now + secs(REJECT_AFTER_TIME * 3));
		} else {
			t->handshake_attempts++;
			due |= TIMER_DO_SEND_INITIATION;
		}
	}
	if (armed(t, TIMER_SEND_KEEPALIVE) &&
	    t->deadline[TIMER_SEND_KEEPALIVE] <= now) {
		t->deadline[TIMER_SEND_KEEPALIVE] = 0;
		due |= TIMER_DO_SEND_KEEPALIVE;
		if (t->need_another_keepalive) {
			t->need_another_keepalive = 0;
			arm(t, TIMER_SEND_KEEPALIVE,
			    now + secs(KEEPALIVE_TIMEOUT));
		}
	}
	if (armed(t, TIMER_NEW_HANDSHAKE) &&
	    t->deadline[TIMER_NEW_HANDSHAKE] <= now) {
		t->deadline[TIMER_NEW_HANDSHAKE] = 0;
		due |= TIMER_DO_SEND_INITIATION;
	}
	if (armed(t, TIMER_ZERO_KEY_MATERIAL) &&
	    t->deadline[TIMER_ZERO_KEY_MATERIAL] <= now) {
		t->deadline[TIMER_ZERO_KEY_MATERIAL] = 0;
		due |= TIMER_DO_ZERO_KEYS;
	}
	if (armed(t, TIMER_PERSISTENT_KEEPALIVE) &&
	    t->deadline[TIMER_PERSISTENT_KEEPALIVE] <= now) {
		t->deadline[TIMER_PERSISTENT_KEEPALIVE] = 0;
		if (t->persistent_keepalive != 0)
			due |= TIMER_DO_SEND_KEEPALIVE;
	}
	return due;
}

/* The earliest armed deadline, 0 when none is. */
uint64_t
timers_next(const struct wg_timers *t)
{
	uint64_t	 next = 0;
	int		 i;

	for (i = 0; i < TIMER_MAX; i++)
		if (t->deadline[i] != 0 && (next == 0 || t->deadline[i] < next))
			next = t->deadline[i];
	return next;
}

/* At most one initiation per REKEY_TIMEOUT, retries aside. */
int
timers_may_initiate(const struct wg_timers *t, uint64_t now)
{
	return t->last_initiation_sent == 0 ||
	    now - t->last_initiation_sent >= secs(REKEY_TIMEOUT);
}

/* Whether a keypair made at created may still carry counter. */
int
keypair_usable(uint64_t created, uint64_t now, uint64_t counter)
{
	return now - created < secs(REJECT_AFTER_TIME) &&
	    counter < REJECT_AFTER_MESSAGES;
}

/* Sending: the initiator renews its keys after REKEY_AFTER_TIME. */
int
keypair_rekey_on_send(uint64_t created, uint64_t now, uint64_t counter,
    int initiator)
{
	return counter >= REKEY_AFTER_MESSAGES ||
	    (initiator && now - created >= secs(REKEY_AFTER_TIME));
}

/*
 * Receiving on an old keypair: the initiator renews it before the
 * responder would have to reject it, allowing for the peer's keepalive
 * and one handshake round.
 */
int
keypair_rekey_on_receive(uint64_t created, uint64_t now, int initiator)
{
	return initiator && now - created >= secs(REJECT_AFTER_TIME -
	    KEEPALIVE_TIMEOUT - REKEY_TIMEOUT);
}
