/*
 * The DNS forwarder's checks (wgd/dns_msg.c) on any message: the input
 * is one UDP payload, checked as a client's query and as a resolver's
 * answer.  A query that passes, sent back as its own answer (QR set,
 * the name in other case), must pass as the answer to itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"
#include "fuzz.h"

/* The question of "example.org A", as dig sends it. */
static const uint8_t	 example_q[] = {
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	0x00, 0x01, 0x00, 0x01
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_question	 q, fixed;
	uint8_t			*m;
	size_t			 i;

	/* Each check reads only what it was given: a copy of that size. */
	if ((m = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(m, data, len);

	(void)dns_truncated(m, len);
	memset(&fixed, 0, sizeof(fixed));
	fixed.len = sizeof(example_q);
	memcpy(fixed.q, example_q, sizeof(example_q));
	if (len >= DNS_HDR_LEN)
		fixed.id = dns_id(m);
	(void)dns_answer_check(m, len, &fixed);

	if (dns_query_check(m, len, &q) == 0) {
		FUZZ_CHECK(q.len >= 5 && q.len <= sizeof(q.q));
		FUZZ_CHECK(q.len <= len - DNS_HDR_LEN);
		FUZZ_CHECK(q.id == dns_id(m));
		FUZZ_CHECK(!dns_truncated(m, len) == !(m[2] & 0x02));
		m[2] |= 0x80;
		for (i = DNS_HDR_LEN; i < DNS_HDR_LEN + q.len - 4; i++)
			if (m[i] >= 'a' && m[i] <= 'z')
				m[i] -= 'a' - 'A';
		FUZZ_CHECK(dns_answer_check(m, len, &q) == 0);
		dns_set_id(m, (uint16_t)(q.id + 1));
		FUZZ_CHECK(dns_answer_check(m, len, &q) == -1);
	}
	free(m);
	return 0;
}
