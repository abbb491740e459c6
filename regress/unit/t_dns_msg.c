/*
 * wgd/dns_msg.c: what the DNS forwarder accepts as a query and as the
 * answer to one, with real messages (as dig sends them) and hostile ones.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "dns_msg.h"

/* dig +noedns example.org A, id 0x1234, RD. */
static const uint8_t query_a[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	0x00, 0x01, 0x00, 0x01
};

/* The same with EDNS: an OPT record in the additional section. */
static const uint8_t query_edns[] = {
	0x12, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

/* Its answer, the name in other case, one A record by pointer. */
static const uint8_t answer_a[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	7, 'E', 'x', 'A', 'm', 'p', 'l', 'e', 3, 'O', 'R', 'G', 0,
	0x00, 0x01, 0x00, 0x01,
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04,
	93, 184, 215, 14
};

static void
check_query(const uint8_t *m, size_t len, int want)
{
	struct dns_question	 q;

	ATF_CHECK_EQ_MSG(dns_query_check(m, len, &q), want,
	    "query of %zu bytes", len);
}

ATF_TC_WITHOUT_HEAD(good_queries);
ATF_TC_BODY(good_queries, tc)
{
	struct dns_question	 q;

	ATF_REQUIRE_EQ(dns_query_check(query_a, sizeof(query_a), &q), 0);
	ATF_CHECK_EQ(q.id, 0x1234);
	ATF_CHECK_EQ(q.len, sizeof(query_a) - DNS_HDR_LEN);
	ATF_CHECK(memcmp(q.q, query_a + DNS_HDR_LEN, q.len) == 0);
	check_query(query_edns, sizeof(query_edns), 0);
}

ATF_TC_WITHOUT_HEAD(bad_queries);
ATF_TC_BODY(bad_queries, tc)
{
	uint8_t		 m[DNS_QUERY_MAX + 1];
	size_t		 i, off;

	/* Every cut of a good query is short. */
	for (i = 0; i < sizeof(query_a); i++)
		check_query(query_a, i, -1);

	/* A response, another opcode, other counts. */
	memcpy(m, query_a, sizeof(query_a));
	m[2] |= 0x80;
	check_query(m, sizeof(query_a), -1);
	memcpy(m, query_a, sizeof(query_a));
	m[2] |= 5 << 3;				/* UPDATE */
	check_query(m, sizeof(query_a), -1);
	for (off = 4; off < 12; off += 2) {
		memcpy(m, query_a, sizeof(query_a));
		m[off] = 0xff;
		m[off + 1] = 0xff;		/* huge counts */
		check_query(m, sizeof(query_a), -1);
	}
	memcpy(m, query_a, sizeof(query_a));
	m[5] = 2;				/* two questions */
	check_query(m, sizeof(query_a), -1);
	memcpy(m, query_a, sizeof(query_a));
	m[5] = 0;				/* none */
	check_query(m, sizeof(query_a), -1);

	/* A pointer to itself: a compression loop. */
	memcpy(m, query_a, DNS_HDR_LEN);
	m[12] = 0xc0;
	m[13] = 12;
	memset(m + 14, 0, 4);
	check_query(m, 18, -1);
	/* A pointer forward, into the message. */
	m[13] = 14;
	check_query(m, 18, -1);
	/* Obsolete label types. */
	m[12] = 0x40;
	check_query(m, 18, -1);
	m[12] = 0x80;
	check_query(m, 18, -1);

	/* A label that runs past the end. */
	memcpy(m, query_a, DNS_HDR_LEN);
	m[12] = 63;
	memset(m + 13, 'a', 10);
	check_query(m, 23, -1);

	/* A name longer than 255 bytes, well formed otherwise. */
	memcpy(m, query_a, DNS_HDR_LEN);
	off = DNS_HDR_LEN;
	for (i = 0; i < 5; i++) {
		m[off++] = 60;
		memset(m + off, 'x', 60);
		off += 60;
	}
	m[off++] = 0;
	memset(m + off, 1, 4);
	check_query(m, off + 4, -1);
	/* 253 characters is the longest name there is: fine. */
	memcpy(m, query_a, DNS_HDR_LEN);
	off = DNS_HDR_LEN;
	for (i = 0; i < 4; i++) {
		m[off++] = i < 3 ? 63 : 61;
		memset(m + off, 'y', m[off - 1]);
		off += m[off - 1];
	}
	m[off++] = 0;
	memset(m + off, 1, 4);
	check_query(m, off + 4, 0);

	/* Longer than any query. */
	memcpy(m, query_a, sizeof(query_a));
	memset(m + sizeof(query_a), 0, sizeof(m) - sizeof(query_a));
	check_query(m, sizeof(m), -1);
}

ATF_TC_WITHOUT_HEAD(answers);
ATF_TC_BODY(answers, tc)
{
	struct dns_question	 q;
	uint8_t			 m[sizeof(answer_a)];
	size_t			 i;

	ATF_REQUIRE_EQ(dns_query_check(query_a, sizeof(query_a), &q), 0);
	ATF_CHECK_EQ(dns_answer_check(answer_a, sizeof(answer_a), &q), 0);
	ATF_CHECK(!dns_truncated(answer_a, sizeof(answer_a)));

	/* The forwarder's own id is what the answer must carry. */
	memcpy(m, answer_a, sizeof(m));
	dns_set_id(m, 0xbeef);
	ATF_CHECK_EQ(dns_id(m), 0xbeef);
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);
	q.id = 0xbeef;
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), 0);
	q.id = 0x1234;

	/* A question cut short is no answer; the records may be (TC). */
	for (i = 0; i < DNS_HDR_LEN + q.len; i++)
		ATF_CHECK_EQ(dns_answer_check(answer_a, i, &q), -1);
	memcpy(m, answer_a, sizeof(m));
	m[2] |= 0x02;
	ATF_CHECK_EQ(dns_answer_check(m, DNS_HDR_LEN + q.len, &q), 0);
	ATF_CHECK(dns_truncated(m, DNS_HDR_LEN + q.len));

	/* Another name, type or class: the answer to something else. */
	memcpy(m, answer_a, sizeof(m));
	m[13] = 'f';
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);
	memcpy(m, answer_a, sizeof(m));
	m[26] = 0x1c;				/* AAAA */
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);
	memcpy(m, answer_a, sizeof(m));
	m[25] = 0x01;				/* type 257 */
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);
	memcpy(m, answer_a, sizeof(m));
	m[28] = 0x03;				/* class CH */
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);

	/* Not a response; a question by pointer (a loop). */
	memcpy(m, answer_a, sizeof(m));
	m[2] &= ~0x80;
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);
	memcpy(m, answer_a, sizeof(m));
	m[12] = 0xc0;
	m[13] = 0x0c;
	ATF_CHECK_EQ(dns_answer_check(m, sizeof(m), &q), -1);

	/* An error without the question is fine, a success is not. */
	memcpy(m, answer_a, DNS_HDR_LEN);
	m[5] = 0;
	m[7] = 0;
	ATF_CHECK_EQ(dns_answer_check(m, DNS_HDR_LEN, &q), -1);
	m[3] = 0x82;				/* SERVFAIL */
	ATF_CHECK_EQ(dns_answer_check(m, DNS_HDR_LEN, &q), 0);
}

/* Random bytes: never accepted as an answer to a fixed question. */
ATF_TC_WITHOUT_HEAD(random_bytes);
ATF_TC_BODY(random_bytes, tc)
{
	struct dns_question	 q, any;
	uint8_t			 m[600];
	size_t			 len;
	int			 i;

	ATF_REQUIRE_EQ(dns_query_check(query_a, sizeof(query_a), &q), 0);
	srandom(1);
	for (i = 0; i < 200000; i++) {
		len = (size_t)random() % sizeof(m);
		for (size_t k = 0; k < len; k++)
			m[k] = random();
		(void)dns_query_check(m, len, &any);
		ATF_CHECK_EQ(dns_answer_check(m, len, &q), -1);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, good_queries);
	ATF_TP_ADD_TC(tp, bad_queries);
	ATF_TP_ADD_TC(tp, answers);
	ATF_TP_ADD_TC(tp, random_bytes);
	return atf_no_error();
}
