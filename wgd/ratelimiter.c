/*
 * Token buckets counted in nanoseconds: a message costs the interval
 * between two messages at the steady rate, a bucket holds BURST of them,
 * and credit accrues one nanosecond per nanosecond.
 *
 * The entries are allocated once and linked three ways: a hash chain for
 * lookup (SipHash with a random key, so a sender cannot pick addresses
 * that pile into one chain), a free list, and a list by time last seen.
 * Every use moves an entry to the tail of that list, so the idle ones are
 * at its head and expiry never scans the table: each call first drops
 * the expired heads, paying once for each entry it frees.
 */

#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimiter.h"

#define NSEC_PER_SEC	1000000000ULL
#define PACKET_COST	(NSEC_PER_SEC / RATELIMITER_PER_SECOND)
#define TOKEN_MAX	(PACKET_COST * RATELIMITER_BURST)

_Static_assert(RATELIMITER_HASHKEY_SIZE == crypto_shorthash_KEYBYTES,
    "hash key size");
_Static_assert(RATELIMITER_EXPIRE_NS >= TOKEN_MAX,
    "a source is forgotten only once its bucket would be full");

static int	ratelimiter_key(uint8_t [RATELIMITER_KEY_SIZE], int,
		    const void *);
static struct ratelimiter_chain *
		ratelimiter_bucket(const struct ratelimiter *,
		    const uint8_t [RATELIMITER_KEY_SIZE]);
static struct ratelimiter_entry *
		ratelimiter_find(const struct ratelimiter *,
		    const uint8_t [RATELIMITER_KEY_SIZE]);
static uint64_t	ratelimiter_tokens(const struct ratelimiter_entry *,
		    uint64_t);
static bool	ratelimiter_idle(const struct ratelimiter_entry *, uint64_t);

/*
 * The family and the bytes that name a source; the rest of an IPv6
 * address is the host's to choose and would give it a bucket per packet.
 */
static int
ratelimiter_key(uint8_t key[RATELIMITER_KEY_SIZE], int af, const void *addr)
{
	memset(key, 0, RATELIMITER_KEY_SIZE);
	switch (af) {
	case AF_INET:
		key[0] = 4;
		memcpy(key + 1, addr, 4);
		return (0);
	case AF_INET6:
		key[0] = 6;
		memcpy(key + 1, addr, 8);
		return (0);
	default:
		return (-1);
	}
}

static struct ratelimiter_chain *
ratelimiter_bucket(const struct ratelimiter *rl,
    const uint8_t key[RATELIMITER_KEY_SIZE])
{
	uint8_t		 h[crypto_shorthash_BYTES];
	uint64_t	 v = 0;
	size_t		 i;

	crypto_shorthash(h, key, RATELIMITER_KEY_SIZE, rl->hashkey);
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (&rl->buckets[v & (rl->nbuckets - 1)]);
}

static struct ratelimiter_entry *
ratelimiter_find(const struct ratelimiter *rl,
    const uint8_t key[RATELIMITER_KEY_SIZE])
{
	struct ratelimiter_entry	*e;

	LIST_FOREACH(e, ratelimiter_bucket(rl, key), chain)
		if (memcmp(e->key, key, RATELIMITER_KEY_SIZE) == 0)
			return (e);
	return (NULL);
}

/* The entry's credit by now, never more than a burst's worth. */
static uint64_t
ratelimiter_tokens(const struct ratelimiter_entry *e, uint64_t now)
{
	if (now <= e->last)
		return (e->tokens);
	if (now - e->last >= TOKEN_MAX - e->tokens)
		return (TOKEN_MAX);
	return (e->tokens + (now - e->last));
}

/* A clock that went backwards leaves entries alone. */
static bool
ratelimiter_idle(const struct ratelimiter_entry *e, uint64_t now)
{
	return (now >= e->last && now - e->last >= RATELIMITER_EXPIRE_NS);
}

int
ratelimiter_init(struct ratelimiter *rl, size_t max_entries)
{
	size_t	 i;

	memset(rl, 0, sizeof(*rl));
	if (max_entries == 0 || max_entries > RATELIMITER_MAX_ENTRIES) {
		errno = EINVAL;
		return (-1);
	}

	/* About one entry per chain when full. */
	for (rl->nbuckets = 1; rl->nbuckets < max_entries; rl->nbuckets <<= 1)
		;
	if ((rl->buckets = calloc(rl->nbuckets, sizeof(*rl->buckets))) ==
	    NULL)
		return (-1);
	if ((rl->entries = calloc(max_entries, sizeof(*rl->entries))) ==
	    NULL) {
		free(rl->buckets);
		rl->buckets = NULL;
		return (-1);
	}
	rl->max_entries = max_entries;

	for (i = 0; i < rl->nbuckets; i++)
		LIST_INIT(&rl->buckets[i]);
	LIST_INIT(&rl->free);
	for (i = 0; i < max_entries; i++)
		LIST_INSERT_HEAD(&rl->free, &rl->entries[i], chain);
	TAILQ_INIT(&rl->ages);
	crypto_shorthash_keygen(rl->hashkey);
	return (0);
}

void
ratelimiter_gc(struct ratelimiter *rl, uint64_t now)
{
	struct ratelimiter_entry	*e;

	while ((e = TAILQ_FIRST(&rl->ages)) != NULL &&
	    ratelimiter_idle(e, now)) {
		TAILQ_REMOVE(&rl->ages, e, age);
		LIST_REMOVE(e, chain);
		memset(e, 0, sizeof(*e));
		LIST_INSERT_HEAD(&rl->free, e, chain);
		rl->nentries--;
	}
}

bool
ratelimiter_allow(struct ratelimiter *rl, int af, const void *addr,
    uint64_t now)
{
	return (ratelimiter_admit(rl, af, addr, now) != RATELIMITER_REFUSED);
}

enum ratelimiter_verdict
ratelimiter_admit(struct ratelimiter *rl, int af, const void *addr,
    uint64_t now)
{
	struct ratelimiter_entry	*e;
	uint8_t				 key[RATELIMITER_KEY_SIZE];
	uint64_t			 tokens;

	if (ratelimiter_key(key, af, addr) == -1)
		return (RATELIMITER_REFUSED);
	ratelimiter_gc(rl, now);

	if ((e = ratelimiter_find(rl, key)) == NULL) {
		if ((e = LIST_FIRST(&rl->free)) == NULL)
			return (RATELIMITER_REFUSED);
		LIST_REMOVE(e, chain);
		memcpy(e->key, key, sizeof(key));
		e->tokens = TOKEN_MAX - PACKET_COST;
		e->last = now;
		LIST_INSERT_HEAD(ratelimiter_bucket(rl, key), e, chain);
		TAILQ_INSERT_TAIL(&rl->ages, e, age);
		rl->nentries++;
		return (RATELIMITER_QUIET);
	}

	tokens = ratelimiter_tokens(e, now);
	if (now > e->last)
		e->last = now;
	TAILQ_REMOVE(&rl->ages, e, age);
	TAILQ_INSERT_TAIL(&rl->ages, e, age);

	if (tokens < PACKET_COST) {
		e->tokens = tokens;
		return (RATELIMITER_REFUSED);
	}
	e->tokens = tokens - PACKET_COST;
	return (tokens == TOKEN_MAX ? RATELIMITER_QUIET : RATELIMITER_BUSY);
}

bool
ratelimiter_spent(const struct ratelimiter *rl, int af, const void *addr,
    uint64_t now)
{
	const struct ratelimiter_entry	*e;
	uint8_t				 key[RATELIMITER_KEY_SIZE];

	if (ratelimiter_key(key, af, addr) == -1 ||
	    (e = ratelimiter_find(rl, key)) == NULL)
		return (false);
	return (ratelimiter_tokens(e, now) < PACKET_COST);
}

void
ratelimiter_free(struct ratelimiter *rl)
{
	free(rl->entries);
	free(rl->buckets);
	explicit_bzero(rl, sizeof(*rl));
}
