/*
 * wgd/replay.c: the transport counter window, first as a table of the
 * cases that matter, then against a naive model on random sequences;
 * replay_seen, the look before the crypto, agrees with each answer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "replay.h"
#include "wg_proto.h"

#define W	((uint64_t)REPLAY_WINDOW_SIZE)
#define RING	((uint64_t)REPLAY_BITMAP_BITS)
#define LIMIT	((uint64_t)REJECT_AFTER_MESSAGES)

struct step {
	uint64_t	 counter;
	int		 want;		/* 0 accepted, -1 rejected */
};

/* Each sequence starts from a fresh window and ends at END. */
#define OK(c)	{ (c), 0 }
#define NO(c)	{ (c), -1 }
#define END	{ 0, 1 }

static const struct step in_order[] = {
	OK(0), OK(1), OK(2), OK(3), OK(4), OK(5), OK(63), OK(64), OK(65),
	END
};

static const struct step zero_first[] = {
	OK(0), NO(0), OK(1), NO(0), NO(1),
	END
};

static const struct step zero_late[] = {
	OK(5), OK(0), NO(0), OK(1), NO(5),
	END
};

static const struct step reordered[] = {
	OK(0), OK(3), OK(1), OK(2), NO(2), OK(7), OK(5), OK(4), OK(6), NO(7),
	OK(200), OK(130), OK(199), OK(8), NO(130), NO(8),
	END
};

/* max - W is the oldest counter still inside, max - W - 1 is out. */
static const struct step window_edge[] = {
	OK(W + 100), OK(100), NO(100), NO(99), OK(101), NO(0),
	END
};

static const struct step window_edge_first[] = {
	OK(10000), OK(10000 - W), NO(10000 - W - 1), OK(10000 - W + 1),
	END
};

/* The edge at each offset inside a word: the ring must not alias. */
static const struct step window_edge_words[] = {
	OK(W), OK(0), OK(W + 63), NO(62), OK(63), OK(W + 64), NO(63),
	OK(64), OK(RING + 64), OK(RING + 64 - W), NO(RING + 63 - W),
	END
};

static const struct step too_old[] = {
	OK(20000), NO(0), NO(1000), NO(20000 - W - 1), OK(19999),
	END
};

static const struct step duplicates[] = {
	OK(5), NO(5), OK(6), NO(5), NO(6), OK(4), NO(4), OK(1000), NO(1000),
	NO(6),
	END
};

/* An advance that stays inside the window must keep what it saw. */
static const struct step advance_keeps[] = {
	OK(0), OK(1), OK(62), OK(63), OK(64 * 100), NO(0), NO(1), NO(62),
	NO(63), OK(2), OK(W + 63), NO(63), NO(62),
	END
};

/* A jump clears the words it passes, whatever their bits held. */
static const struct step jump_clears[] = {
	OK(0), OK(1), OK(10), OK(63), OK(64), OK(100),
	OK(3 * RING + 100), OK(3 * RING), OK(3 * RING + 1),
	OK(3 * RING + 10), OK(3 * RING + 63), OK(3 * RING + 64), NO(100),
	END
};

static const struct step jump_one_ring[] = {
	OK(10), OK(RING + 10), NO(10), NO(RING + 10), OK(RING + 9),
	OK(RING + 11),
	END
};

static const struct step jump_huge[] = {
	OK(1), OK(1ULL << 40), NO(1), OK((1ULL << 40) - 1),
	OK((1ULL << 40) - W), NO((1ULL << 40) - W - 1),
	OK(1ULL << 62), NO(1ULL << 40),
	END
};

static const struct step reject_limit[] = {
	NO(LIMIT), NO(LIMIT + 1), NO(UINT64_MAX), OK(LIMIT - 2),
	OK(LIMIT - 1), NO(LIMIT - 1), NO(LIMIT), OK(LIMIT - 3),
	OK(LIMIT - 1 - W), NO(LIMIT - 2 - W), NO(UINT64_MAX),
	END
};

static const struct {
	const char		*name;
	const struct step	*steps;
} sequences[] = {
	{ "in_order", in_order },
	{ "zero_first", zero_first },
	{ "zero_late", zero_late },
	{ "reordered", reordered },
	{ "window_edge", window_edge },
	{ "window_edge_first", window_edge_first },
	{ "window_edge_words", window_edge_words },
	{ "too_old", too_old },
	{ "duplicates", duplicates },
	{ "advance_keeps", advance_keeps },
	{ "jump_clears", jump_clears },
	{ "jump_one_ring", jump_one_ring },
	{ "jump_huge", jump_huge },
	{ "reject_limit", reject_limit },
};

ATF_TC_WITHOUT_HEAD(table);
ATF_TC_BODY(table, tc)
{
	struct replay		 r;
	const struct step	*st;
	size_t			 i, j;
	int			 got;

	for (i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
		replay_init(&r);
		for (j = 0; sequences[i].steps[j].want != 1; j++) {
			st = &sequences[i].steps[j];
			ATF_CHECK_MSG(replay_seen(&r, st->counter) ==
			    (st->want == -1), "%s step %zu: replay_seen "
			    "disagrees", sequences[i].name, j);
			got = replay_check(&r, st->counter);
			ATF_CHECK_MSG(got == st->want,
			    "%s step %zu: counter %llu %s", sequences[i].name,
			    j, (unsigned long long)st->counter,
			    got == 0 ? "accepted" : "rejected");
		}
	}
}

/*
 * The rule the window implements, written the slow way: remember every
 * counter ever accepted and the greatest; accept c iff it is below the
 * limit, was never seen, and is no more than W below the greatest.
 */
struct naive {
	uint64_t	 base;
	uint64_t	 span;
	uint8_t		*seen;		/* bit per counter from base */
	uint64_t	 max;
};

static int
naive_check(struct naive *n, uint64_t c)
{
	uint64_t	 i = c - n->base;

	if (c >= LIMIT)
		return (-1);
	if (n->seen[i / 8] & (1 << (i % 8)))
		return (-1);
	if (c < n->max && n->max - c > W)
		return (-1);
	n->seen[i / 8] |= 1 << (i % 8);
	if (c > n->max)
		n->max = c;
	return (0);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/*
 * Counters cluster around the greatest accepted, where the decisions
 * are: a little ahead, reordered behind, on and beside the window edge,
 * repeats, and now and then a jump of up to several rings.
 */
static int
compare_random(uint64_t base, uint64_t seed)
{
	struct naive	 n;
	struct replay	 r;
	uint64_t	 span = 1ULL << 26, s = seed, c, x, cur;
	int		 i, want, got, accepted = 0, rejected = 0, beyond = 0;

	n.base = base;
	n.span = span;
	n.max = 0;
	ATF_REQUIRE((n.seen = calloc(span / 8, 1)) != NULL);
	replay_init(&r);
	cur = base;

	for (i = 0; i < 200000; i++) {
		x = xorshift(&s);
		switch (x % 100) {
		case 0:
			c = base + (x >> 8) % (cur - base + 1);
			break;
		case 1:
			c = cur + (x >> 8) % (2 * RING);
			break;
		case 2: case 3: case 4: case 5: case 6:
			c = cur - W + ((x >> 8) % 3) - 1;
			break;
		default:
			if (x % 100 < 55)
				c = cur + (x >> 8) % 4;
			else
				c = cur - (x >> 8) % (W + 200);
			break;
		}
		if (c < base || c - base >= span)
			c = cur;
		if (c >= LIMIT)
			beyond++;
		want = naive_check(&n, c);
		/* The look before the crypto says what the check will. */
		ATF_REQUIRE_MSG(replay_seen(&r, c) == (want == -1),
		    "seed %llu step %d: replay_seen(%llu) is not %d",
		    (unsigned long long)seed, i, (unsigned long long)c,
		    want == -1);
		got = replay_check(&r, c);
		ATF_REQUIRE_MSG(got == want, "seed %llu step %d: counter %llu "
		    "(base + %llu) max base + %llu: want %d got %d",
		    (unsigned long long)seed, i, (unsigned long long)c,
		    (unsigned long long)(c - base),
		    (unsigned long long)(n.max - base), want, got);
		if (got == 0) {
			accepted++;
			cur = n.max;
		} else
			rejected++;
	}
	free(n.seen);
	/* Both answers must have come up often, or this proved little. */
	ATF_CHECK(accepted > 20000);
	ATF_CHECK(rejected > 20000);
	return (beyond);
}

ATF_TC_WITHOUT_HEAD(random_vs_naive);
ATF_TC_BODY(random_vs_naive, tc)
{
	compare_random(0, 0x9e3779b97f4a7c15ULL);
	compare_random(0, 12345);
	compare_random(1ULL << 32, 777);
}

/* Straddle the limit: the model and the window must both refuse past it. */
ATF_TC_WITHOUT_HEAD(random_vs_naive_at_limit);
ATF_TC_BODY(random_vs_naive_at_limit, tc)
{
	ATF_CHECK(compare_random(LIMIT - (1ULL << 22), 4242) > 10000);
	ATF_CHECK(compare_random(LIMIT - (1ULL << 21), 99) > 10000);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table);
	ATF_TP_ADD_TC(tp, random_vs_naive);
	ATF_TP_ADD_TC(tp, random_vs_naive_at_limit);
	return atf_no_error();
}
