/*
 * wgd/workers.c: batches of every size sealed and opened by the pool,
 * each job's result exactly what the AEAD alone gives (sealed in place,
 * opened into a buffer of its own, each with exactly the room aead.h
 * asks for around it, side by side as the data path lays them out, so
 * a job past its room races with the next), forgeries found in the
 * right places, batch after batch (so a thread late from one
 * batch cannot touch the next), with one thread and with several.
 * Run under ThreadSanitizer too (make SANITIZE=thread check-datapath).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "aead.h"
#include "workers.h"

#define MAXJOBS		600
#define PKT		200

#define ROOMY		(AEAD_HEADROOM + PKT + AEAD_TAILROOM)

static struct crypt_job	 jobs[MAXJOBS];
static uint8_t		 sealing[MAXJOBS * ROOMY];
static uint8_t		 opening[MAXJOBS * ROOMY];
static uint8_t		 plain[MAXJOBS][PKT];
static uint8_t		 want[MAXJOBS][PKT + AEAD_TAG_SIZE];

static void
batches(unsigned int threads, int rounds)
{
	uint8_t		 key[AEAD_KEY_SIZE];
	size_t		 n, i, len, off;
	int		 r;

	ATF_REQUIRE(sodium_init() >= 0);
	ATF_REQUIRE(aead_init() == 0);
	ATF_REQUIRE(workers_start(threads) == 0);
	ATF_REQUIRE_EQ(workers_count(), threads < 1 ? 1 : threads);
	randombytes_buf(key, sizeof(key));
	for (r = 0; r < rounds; r++) {
		n = r % 7 == 0 ? randombytes_uniform(20) :
		    randombytes_uniform(MAXJOBS + 1);
		for (i = 0, off = 0; i < n; i++) {
			len = randombytes_uniform(PKT + 1);
			randombytes_buf(plain[i], len);
			jobs[i].data = sealing + off + AEAD_HEADROOM;
			jobs[i].out = opening + off + AEAD_HEADROOM;
			off += AEAD_HEADROOM + len + AEAD_TAILROOM;
			memcpy(jobs[i].data, plain[i], len);
			ATF_REQUIRE(aead_seal(key, r * MAXJOBS + i, plain[i],
			    len, want[i]) == 0);
			jobs[i].key = key;
			jobs[i].counter = (uint64_t)r * MAXJOBS + i;
			jobs[i].len = len;
			jobs[i].seal = 1;
			jobs[i].result = 99;
		}
		workers_run(jobs, n);
		for (i = 0; i < n; i++) {
			ATF_REQUIRE_EQ(jobs[i].result, 0);
			if (memcmp(jobs[i].data, want[i], jobs[i].len +
			    AEAD_TAG_SIZE) != 0)
				atf_tc_fail("round %d job %zu sealed wrong",
				    r, i);
		}
		/* Open them again; every third one forged. */
		for (i = 0; i < n; i++) {
			jobs[i].len += AEAD_TAG_SIZE;
			jobs[i].seal = 0;
			jobs[i].result = 99;
			if (i % 3 == 0)
				jobs[i].data[jobs[i].len - 1] ^= 1;
		}
		workers_run(jobs, n);
		for (i = 0; i < n; i++) {
			ATF_REQUIRE_EQ_MSG(jobs[i].result, i % 3 == 0 ? -1 : 0,
			    "round %d job %zu", r, i);
			if (i % 3 != 0 && memcmp(jobs[i].out, plain[i],
			    jobs[i].len - AEAD_TAG_SIZE) != 0)
				atf_tc_fail("round %d job %zu opened wrong",
				    r, i);
		}
	}
	workers_stop();
	ATF_CHECK_EQ(workers_count(), 1);
}

ATF_TC_WITHOUT_HEAD(one_thread);
ATF_TC_BODY(one_thread, tc)
{
	batches(1, 200);
}

ATF_TC_WITHOUT_HEAD(four_threads);
ATF_TC_BODY(four_threads, tc)
{
	batches(4, 2000);
	/* Started again after a stop. */
	batches(2, 200);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, one_thread);
	ATF_TP_ADD_TC(tp, four_threads);
	return atf_no_error();
}
