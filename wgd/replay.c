/*
 * A sliding window of REPLAY_BITMAP_BITS bits kept as a ring of 64-bit
 * words (RFC 6479, section 3).  Counter c lives in bit c % 64 of word
 * (c / 64) % REPLAY_WORDS.  The word holding max is only partly used, so
 * the window that never aliases is one word short of the bitmap:
 * REPLAY_WINDOW_SIZE counters below max, and max itself.  Moving max
 * forward clears whole words, never single bits, which keeps a big jump
 * as cheap as a small one.
 */

#include <stdint.h>
#include <string.h>

#include "replay.h"
#include "wg_proto.h"

_Static_assert(REPLAY_BITMAP_BITS % REPLAY_WORD_BITS == 0,
    "the bitmap is whole words");
_Static_assert((REPLAY_WORDS & (REPLAY_WORDS - 1)) == 0,
    "the ring of words is a power of two");
_Static_assert(REPLAY_WINDOW_SIZE == REPLAY_BITMAP_BITS - REPLAY_WORD_BITS,
    "the window is the bitmap less the word being filled");

void
replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
}

int
replay_check(struct replay *r, uint64_t counter)
{
	uint64_t	 word, top, n, i, bit;

	if (counter >= REJECT_AFTER_MESSAGES)
		return (-1);
	if (counter < r->max && r->max - counter > REPLAY_WINDOW_SIZE)
		return (-1);

	word = counter / REPLAY_WORD_BITS;
	if (counter > r->max) {
		/*
		 * The words after max's, up to and including the new one,
		 * held counters that have just fallen out of the window.
		 * Past a whole ring's worth every word is stale.
		 */
		top = r->max / REPLAY_WORD_BITS;
		n = word - top;
		if (n > REPLAY_WORDS)
			n = REPLAY_WORDS;
		for (i = 1; i <= n; i++)
			r->bitmap[(top + i) & (REPLAY_WORDS - 1)] = 0;
		r->max = counter;
	}

	word &= REPLAY_WORDS - 1;
	bit = 1ULL << (counter % REPLAY_WORD_BITS);
	if (r->bitmap[word] & bit)
		return (-1);
	r->bitmap[word] |= bit;
	return (0);
}

int
replay_seen(const struct replay *r, uint64_t counter)
{
	uint64_t	 word;

	if (counter >= REJECT_AFTER_MESSAGES)
		return (1);
	if (counter > r->max)
		return (0);
	if (r->max - counter > REPLAY_WINDOW_SIZE)
		return (1);
	word = (counter / REPLAY_WORD_BITS) & (REPLAY_WORDS - 1);
	return ((r->bitmap[word] >> (counter % REPLAY_WORD_BITS)) & 1);
}
