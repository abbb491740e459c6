/*
 * wgd/failmem.c: the log budget for failed handshakes (one line per
 * source a minute, ten a minute in all, the rest counted and said once)
 * and what a refused packet leaves behind.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include "addr.h"
#include "failmem.h"

#define SEC	(1000ULL * 1000 * 1000)

static struct sockaddr_in
v4(uint32_t host, uint16_t port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc6336400 + host);	/* 198.51.100.x */
	sin.sin_port = htons(port);
	return sin;
}

static int
allow(struct fail_log *l, uint32_t host, uint16_t port, uint64_t now,
    uint64_t *left)
{
	struct sockaddr_in	 sin = v4(host, port);

	return fail_log_allow(l, (struct sockaddr *)&sin, now, left);
}

ATF_TC_WITHOUT_HEAD(one_source);
ATF_TC_BODY(one_source, tc)
{
	struct fail_log	 l;
	uint64_t	 left, t = 1000 * SEC;
	int		 i, n = 0;

	memset(&l, 0, sizeof(l));
	/* A client retrying every 5 s, from new ports: one line a minute. */
	for (i = 0; i < 12; i++)
		n += allow(&l, 7, 4500 + i, t + i * 5 * SEC, &left);
	ATF_CHECK_EQ(n, 1);
	ATF_CHECK(allow(&l, 7, 4500, t + 60 * SEC, &left));
	ATF_CHECK_EQ(left, 11);
	ATF_CHECK(!allow(&l, 7, 4500, t + 61 * SEC, &left));
	ATF_CHECK_EQ(left, 0);

	/* With nothing after it, a timer says what was left out. */
	ATF_CHECK_EQ(fail_log_due(&l, t + 70 * SEC), 50 * SEC);
	ATF_CHECK_EQ(fail_log_flush(&l, t + 70 * SEC), 0);
	ATF_CHECK_EQ(fail_log_flush(&l, t + 120 * SEC), 1);
	ATF_CHECK_EQ(fail_log_flush(&l, t + 121 * SEC), 0);
	ATF_CHECK_EQ(fail_log_due(&l, t + 121 * SEC), 0);
}

ATF_TC_WITHOUT_HEAD(flood);
ATF_TC_BODY(flood, tc)
{
	struct fail_log	 l;
	uint64_t	 left, total_left = 0, t = 5 * SEC;
	int		 i, minute, n;

	memset(&l, 0, sizeof(l));
	/* 1,000 addresses each minute, for three minutes. */
	for (minute = 0; minute < 3; minute++) {
		n = 0;
		for (i = 0; i < 1000; i++) {
			n += allow(&l, i % 250, 51820, t + minute * 60 * SEC +
			    (uint64_t)i * 50 * 1000 * 1000, &left);
			total_left += left;
		}
		ATF_CHECK_EQ_MSG(n, FAIL_LOG_PER_MINUTE, "minute %d: %d lines",
		    minute, n);
	}
	/* Every one left out is counted, once. */
	(void)allow(&l, 999, 1, t + 4 * 60 * SEC, &left);
	total_left += left;
	ATF_CHECK_EQ(total_left, 3 * (1000 - FAIL_LOG_PER_MINUTE));
}

ATF_TC_WITHOUT_HEAD(many_sources_table);
ATF_TC_BODY(many_sources_table, tc)
{
	struct fail_log	 l;
	uint64_t	 left, t = 1 * SEC;
	int		 i, n = 0;

	memset(&l, 0, sizeof(l));
	/* More sources than the table, one a minute each: all logged. */
	for (i = 0; i < 2 * FAIL_LOG_SOURCES; i++)
		n += allow(&l, i, 1, t + (uint64_t)i * 61 * SEC, &left);
	ATF_CHECK_EQ(n, 2 * FAIL_LOG_SOURCES);
}

ATF_TC_WITHOUT_HEAD(note);
ATF_TC_BODY(note, tc)
{
	struct fail_seen	 f;
	struct sockaddr_in	 a = v4(7, 4500), b = v4(7, 9), c = v4(8, 4500);
	struct sockaddr_in6	 s6;

	memset(&f, 0, sizeof(f));
	fail_note(&f, (struct sockaddr *)&a, 1234);
	fail_note(&f, (struct sockaddr *)&a, 1240);
	ATF_CHECK_EQ(f.when, 1240);
	ATF_CHECK_EQ(f.count, 2);
	ATF_CHECK(memcmp(&f.from, &a, sizeof(a)) == 0);
	ATF_CHECK(addr_same_host((struct sockaddr *)&a, (struct sockaddr *)&b));
	ATF_CHECK(!addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&c));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	ATF_CHECK(!addr_same_host((struct sockaddr *)&a,
	    (struct sockaddr *)&s6));
	fail_note(&f, (struct sockaddr *)&s6, 1300);
	ATF_CHECK(memcmp(&f.from, &s6, sizeof(s6)) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, one_source);
	ATF_TP_ADD_TC(tp, flood);
	ATF_TP_ADD_TC(tp, many_sources_table);
	ATF_TP_ADD_TC(tp, note);
	return atf_no_error();
}
