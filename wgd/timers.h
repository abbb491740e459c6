/*
 * The protocol timers of a peer (whitepaper section 6), as pure state:
 * events move deadlines, timers_expired() says what is due.  The engine
 * keeps one event per peer set to timers_next(), and passes the time in,
 * so the tests drive it with a fake clock.  Times are nanoseconds of
 * CLOCK_MONOTONIC.
 */

#ifndef WGD_TIMERS_H
#define WGD_TIMERS_H

#include <stdint.h>

#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_MSEC		1000000ULL

enum timer_id {
	TIMER_RETRANSMIT_HANDSHAKE,
	TIMER_SEND_KEEPALIVE,
	TIMER_NEW_HANDSHAKE,
	TIMER_ZERO_KEY_MATERIAL,
	TIMER_PERSISTENT_KEEPALIVE,
	TIMER_MAX
};

/* What an expired timer asks the engine to do. */
#define TIMER_DO_SEND_INITIATION	0x01
#define TIMER_DO_SEND_KEEPALIVE		0x02
#define TIMER_DO_GIVE_UP		0x04	/* drop queued packets */
#define TIMER_DO_ZERO_KEYS		0x08

struct wg_timers {
	uint64_t	 deadline[TIMER_MAX];	/* 0: not armed */
	uint64_t	 last_initiation_sent;	/* 0: never */
	unsigned int	 handshake_attempts;
	int		 need_another_keepalive;
	uint16_t	 persistent_keepalive;	/* seconds, 0: off */
};

void	 timers_init(struct wg_timers *, uint16_t);
void	 timers_set_persistent_keepalive(struct wg_timers *, uint16_t,
	    uint64_t);

int	 timers_armed(const struct wg_timers *, enum timer_id);

/* Events; jitter_ms is a random 0-333 from the caller. */
void	 timers_initiation_sent(struct wg_timers *, uint64_t, unsigned int);
void	 timers_handshake_complete(struct wg_timers *);
void	 timers_session_derived(struct wg_timers *, uint64_t);
void	 timers_data_sent(struct wg_timers *, uint64_t, unsigned int);
void	 timers_data_received(struct wg_timers *, uint64_t);
void	 timers_authenticated_sent(struct wg_timers *, uint64_t);
void	 timers_authenticated_received(struct wg_timers *, uint64_t);
void	 timers_stop(struct wg_timers *);

int	 timers_expired(struct wg_timers *, uint64_t);
uint64_t timers_next(const struct wg_timers *);

/* Decisions taken when sending or receiving, outside the timers. */
int	 timers_may_initiate(const struct wg_timers *, uint64_t);
int	 keypair_usable(uint64_t, uint64_t, uint64_t);
int	 keypair_rekey_on_send(uint64_t, uint64_t, uint64_t, int);
int	 keypair_rekey_on_receive(uint64_t, uint64_t, int);

#endif /* WGD_TIMERS_H */
