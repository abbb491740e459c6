/*
 * The per-source token bucket that limits handshake messages while the
 * engine is under load: RATELIMITER_PER_SECOND a second from one source,
 * bursts of RATELIMITER_BURST.  A source is an IPv4 address or an IPv6
 * /64, since one host usually owns a whole /64.  Pure logic, no I/O;
 * time is the caller's CLOCK_MONOTONIC in nanoseconds, and must never
 * go back: idle sources are found in order of the time they were seen.
 *
 * The table is bounded: when max_entries sources are being tracked, a new
 * one is refused rather than the table grown, so a flood from spoofed
 * addresses costs fixed memory.  A source idle for RATELIMITER_EXPIRE_NS
 * is forgotten; its bucket would be full again by then anyway.
 */

#ifndef WGD_RATELIMITER_H
#define WGD_RATELIMITER_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMITER_PER_SECOND	20
#define RATELIMITER_BURST	5
#define RATELIMITER_EXPIRE_NS	1000000000ULL
#define RATELIMITER_MAX_ENTRIES	(1 << 20)
#define RATELIMITER_KEY_SIZE	9	/* family, then 4 or 8 address bytes */
#define RATELIMITER_HASHKEY_SIZE 16	/* crypto_shorthash (SipHash-2-4) */

struct ratelimiter_entry {
	LIST_ENTRY(ratelimiter_entry)	 chain;	/* bucket, or free list */
	TAILQ_ENTRY(ratelimiter_entry)	 age;	/* least recently seen first */
	uint64_t			 last;	/* ns */
	uint64_t			 tokens; /* ns of credit */
	uint8_t				 key[RATELIMITER_KEY_SIZE];
};
LIST_HEAD(ratelimiter_chain, ratelimiter_entry);
TAILQ_HEAD(ratelimiter_ages, ratelimiter_entry);

struct ratelimiter {
	struct ratelimiter_entry	*entries;	/* all of them */
	struct ratelimiter_chain	*buckets;
	size_t				 nbuckets;	/* a power of two */
	size_t				 max_entries;
	size_t				 nentries;	/* in use */
	struct ratelimiter_chain	 free;
	struct ratelimiter_ages		 ages;
	uint8_t				 hashkey[RATELIMITER_HASHKEY_SIZE];
};

/*
 * Allocates room for max_entries sources (1 to RATELIMITER_MAX_ENTRIES)
 * and draws a random hash key.  sodium_init() must have run.  0, or -1
 * with errno set.
 */
int	ratelimiter_init(struct ratelimiter *, size_t);

/*
 * May one more handshake message from addr (af AF_INET: 4 bytes, AF_INET6:
 * 16 bytes) be handled now?  Counts it if so.  An unknown family, or a new
 * source while the table is full, is refused.
 */
bool	ratelimiter_allow(struct ratelimiter *, int, const void *, uint64_t);

/*
 * The same, telling a quiet source from a busy one: a source is quiet
 * when its bucket was full, new or idle for a whole burst's worth of
 * time.  A client that tries every few seconds is quiet; a flood's
 * sources never are.
 */
enum ratelimiter_verdict {
	RATELIMITER_REFUSED,
	RATELIMITER_BUSY,
	RATELIMITER_QUIET
};
enum ratelimiter_verdict ratelimiter_admit(struct ratelimiter *, int,
	    const void *, uint64_t);

/*
 * Has addr used up its rate for now?  Counts nothing and changes
 * nothing, so a message that need not be checked further (a flood's,
 * or one with a forged source: the caller has not yet seen a cookie)
 * can be dropped before its MACs cost anything, without draining the
 * bucket of the source it claims.  An unknown source has not.
 */
bool	ratelimiter_spent(const struct ratelimiter *, int, const void *,
	    uint64_t);

/* Forgets the sources idle for RATELIMITER_EXPIRE_NS or more. */
void	ratelimiter_gc(struct ratelimiter *, uint64_t);

void	ratelimiter_free(struct ratelimiter *);

#endif /* WGD_RATELIMITER_H */
