/*
 * wgd/ratelimiter.c: the handshake token buckets on a fake clock, and
 * against a naive model that keeps its sources in a plain array.
 */

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "ratelimiter.h"

#define SEC	1000000000ULL
#define MS	1000000ULL

struct src {
	int		 af;
	uint8_t		 addr[16];
};

static struct src
src(const char *s)
{
	struct src	 a;

	memset(&a, 0, sizeof(a));
	a.af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	ATF_REQUIRE_MSG(inet_pton(a.af, s, a.addr) == 1, "bad address %s", s);
	return (a);
}

static bool
allow(struct ratelimiter *rl, struct src a, uint64_t now)
{
	return (ratelimiter_allow(rl, a.af, a.addr, now));
}

static void
setup(struct ratelimiter *rl, size_t max)
{
	ATF_REQUIRE(sodium_init() != -1);
	ATF_REQUIRE(ratelimiter_init(rl, max) == 0);
}

/* n in a row at one instant: how many get through? */
static int
burst(struct ratelimiter *rl, struct src a, int n, uint64_t now)
{
	int	 i, ok = 0;

	for (i = 0; i < n; i++)
		if (allow(rl, a, now))
			ok++;
	return (ok);
}

ATF_TC_WITHOUT_HEAD(burst_then_rate);
ATF_TC_BODY(burst_then_rate, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1");
	uint64_t		 t0 = 7 * SEC, t;
	int			 k, ok;

	setup(&rl, 16);
	ATF_CHECK_EQ(burst(&rl, a, 10, t0), RATELIMITER_BURST);
	ATF_CHECK(!allow(&rl, a, t0));

	/* One message's worth of credit takes 1/20 s to come back. */
	ATF_CHECK(!allow(&rl, a, t0 + 50 * MS - 1));
	ATF_CHECK(allow(&rl, a, t0 + 50 * MS));
	ATF_CHECK(!allow(&rl, a, t0 + 50 * MS));

	/* Offered at 100/s for a second, 20 pass, evenly. */
	t = t0 + 50 * MS;
	ok = 0;
	for (k = 1; k <= 100; k++) {
		if (allow(&rl, a, t + k * 10 * MS)) {
			ok++;
			ATF_CHECK_MSG(k % 5 == 0, "passed at %d0 ms", k);
		}
	}
	ATF_CHECK_EQ(ok, RATELIMITER_PER_SECOND);

	/* Idle long enough to refill, and the burst is there again. */
	t += 100 * 10 * MS + 250 * MS;
	ATF_CHECK_EQ(burst(&rl, a, 10, t), RATELIMITER_BURST);

	/* Credit never exceeds the burst, however long the wait. */
	t += 900 * MS;
	ATF_CHECK_EQ(burst(&rl, a, 10, t), RATELIMITER_BURST);
	ratelimiter_free(&rl);
}

/*
 * Quiet or busy: a new source is quiet, a source spending its burst is
 * busy, one idle for a burst's worth of time (250 ms) is quiet again, and
 * a flood's source, always sending, never is.
 */
ATF_TC_WITHOUT_HEAD(quiet_or_busy);
ATF_TC_BODY(quiet_or_busy, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1"), b = src("2001:db8::1");
	uint64_t		 t0 = 3 * SEC, t;
	int			 i, quiet = 0;

	setup(&rl, 16);
	ATF_CHECK_EQ(ratelimiter_admit(&rl, a.af, a.addr, t0),
	    RATELIMITER_QUIET);
	for (i = 1; i < RATELIMITER_BURST; i++)
		ATF_CHECK_EQ(ratelimiter_admit(&rl, a.af, a.addr, t0),
		    RATELIMITER_BUSY);
	ATF_CHECK_EQ(ratelimiter_admit(&rl, a.af, a.addr, t0),
	    RATELIMITER_REFUSED);
	/* Not yet full again a moment before the burst's worth. */
	ATF_CHECK_EQ(ratelimiter_admit(&rl, a.af, a.addr, t0 + 249 * MS),
	    RATELIMITER_BUSY);
	/* Full after a burst's worth more: quiet. */
	ATF_CHECK_EQ(ratelimiter_admit(&rl, a.af, a.addr, t0 + 549 * MS),
	    RATELIMITER_QUIET);

	/* A client retrying every 5 s: quiet each time. */
	for (t = t0; t < t0 + 60 * SEC; t += 5 * SEC)
		ATF_CHECK_EQ(ratelimiter_admit(&rl, b.af, b.addr, t),
		    RATELIMITER_QUIET);
	/* A source offering 100/s: passes at 20/s, quiet only once. */
	for (i = 0, t = 70 * SEC; i < 1000; i++, t += 10 * MS)
		if (ratelimiter_admit(&rl, a.af, a.addr, t) ==
		    RATELIMITER_QUIET)
			quiet++;
	ATF_CHECK_EQ(quiet, 1);
	ATF_CHECK_EQ(ratelimiter_allow(&rl, AF_UNIX, a.addr, t), false);
	ratelimiter_free(&rl);
}

/* At 20/s exactly, every message passes, indefinitely. */
ATF_TC_WITHOUT_HEAD(steady_rate_passes);
ATF_TC_BODY(steady_rate_passes, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1");
	int			 k, ok = 0;

	setup(&rl, 16);
	for (k = 0; k < 1000; k++)
		if (allow(&rl, a, k * 50 * MS))
			ok++;
	ATF_CHECK_EQ(ok, 1000);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(sources_independent);
ATF_TC_BODY(sources_independent, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1"), b = src("192.0.2.2");
	struct src		 c = src("2001:db8::1");

	setup(&rl, 16);
	ATF_CHECK_EQ(burst(&rl, a, 10, 0), RATELIMITER_BURST);
	ATF_CHECK_EQ(burst(&rl, b, 10, 0), RATELIMITER_BURST);
	ATF_CHECK_EQ(burst(&rl, c, 10, 0), RATELIMITER_BURST);
	ATF_CHECK(!allow(&rl, a, 0));
	ATF_CHECK(allow(&rl, b, 50 * MS));
	ATF_CHECK(allow(&rl, a, 50 * MS));
	ATF_CHECK_EQ(rl.nentries, 3);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(ipv6_same_64_shares);
ATF_TC_BODY(ipv6_same_64_shares, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("2001:db8:1:2::1");
	struct src		 a2 = src("2001:db8:1:2:ffff:ffff:ffff:fffe");
	struct src		 b = src("2001:db8:1:3::1");
	struct src		 zero = src("2001:db8::1");
	struct src		 v4 = src("32.1.13.184");	/* 2001:db8 */

	setup(&rl, 16);
	ATF_CHECK_EQ(burst(&rl, a, 3, 0), 3);
	ATF_CHECK_EQ(burst(&rl, a2, 10, 0), RATELIMITER_BURST - 3);
	ATF_CHECK(!allow(&rl, a, 0));
	ATF_CHECK_EQ(burst(&rl, b, 10, 0), RATELIMITER_BURST);
	ATF_CHECK_EQ(rl.nentries, 2);
	ratelimiter_free(&rl);

	/* An IPv4 address with the same leading bytes is another source. */
	setup(&rl, 16);
	ATF_CHECK_EQ(burst(&rl, v4, 10, 0), RATELIMITER_BURST);
	ATF_CHECK_EQ(burst(&rl, zero, 10, 0), RATELIMITER_BURST);
	ATF_CHECK_EQ(rl.nentries, 2);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(spent_asks_only);
ATF_TC_BODY(spent_asks_only, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1"), b = src("2001:db8::2");
	uint64_t		 t0 = 5 * SEC;
	int			 i;

	setup(&rl, 4);
	/* Unknown sources have not used anything, and stay unknown. */
	ATF_CHECK(!ratelimiter_spent(&rl, a.af, a.addr, t0));
	ATF_CHECK(!ratelimiter_spent(&rl, AF_UNIX, a.addr, t0));
	ATF_CHECK_EQ(rl.nentries, 0);
	ATF_CHECK_EQ(burst(&rl, a, RATELIMITER_BURST, t0), RATELIMITER_BURST);
	ATF_CHECK(ratelimiter_spent(&rl, a.af, a.addr, t0));
	ATF_CHECK(!ratelimiter_spent(&rl, b.af, b.addr, t0));
	/* Asking again and again neither drains nor refills the bucket. */
	for (i = 0; i < 1000; i++)
		ATF_CHECK(ratelimiter_spent(&rl, a.af, a.addr,
		    t0 + 49 * MS));
	ATF_CHECK(!ratelimiter_spent(&rl, a.af, a.addr, t0 + 50 * MS));
	ATF_CHECK(allow(&rl, a, t0 + 50 * MS));
	ATF_CHECK(ratelimiter_spent(&rl, a.af, a.addr, t0 + 50 * MS));
	ATF_CHECK(!allow(&rl, a, t0 + 50 * MS));
	ATF_CHECK_EQ(rl.nentries, 1);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(table_full_refuses_new);
ATF_TC_BODY(table_full_refuses_new, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1"), b = src("192.0.2.2");
	struct src		 c = src("192.0.2.3"), d = src("2001:db8::4");

	setup(&rl, 3);
	ATF_CHECK(allow(&rl, a, 0));
	ATF_CHECK(allow(&rl, b, 0));
	ATF_CHECK(allow(&rl, c, 0));
	ATF_CHECK(!allow(&rl, d, 0));
	ATF_CHECK(!allow(&rl, d, 500 * MS));
	ATF_CHECK_EQ(rl.nentries, 3);
	/* The sources already known keep their buckets. */
	ATF_CHECK_EQ(burst(&rl, a, 10, 500 * MS), RATELIMITER_BURST);
	ATF_CHECK_EQ(burst(&rl, b, 10, 500 * MS), RATELIMITER_BURST);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(many_sources);
ATF_TC_BODY(many_sources, tc)
{
	struct ratelimiter	 rl;
	struct src		 a;
	uint32_t		 i, n = 5000;

	setup(&rl, n);
	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	for (i = 0; i < n; i++) {
		a.addr[0] = 10;
		a.addr[1] = i >> 16;
		a.addr[2] = i >> 8;
		a.addr[3] = i;
		ATF_REQUIRE_MSG(burst(&rl, a, RATELIMITER_BURST, 0) ==
		    RATELIMITER_BURST, "source %u", i);
	}
	ATF_CHECK_EQ(rl.nentries, n);
	for (i = 0; i < n; i++) {
		a.addr[1] = i >> 16;
		a.addr[2] = i >> 8;
		a.addr[3] = i;
		ATF_REQUIRE_MSG(!allow(&rl, a, 0), "source %u", i);
	}
	a.addr[0] = 11;
	ATF_CHECK(!allow(&rl, a, 0));
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(entries_expire);
ATF_TC_BODY(entries_expire, tc)
{
	struct ratelimiter	 rl;
	struct src		 a = src("192.0.2.1"), b = src("192.0.2.2");
	struct src		 c = src("192.0.2.3");
	uint64_t		 t0 = 3 * SEC;

	/* A full table makes room as its sources fall idle. */
	setup(&rl, 2);
	ATF_CHECK(allow(&rl, a, t0));
	ATF_CHECK(allow(&rl, b, t0 + 100 * MS));
	ATF_CHECK(!allow(&rl, c, t0 + SEC - 1));
	ATF_CHECK(allow(&rl, c, t0 + SEC));
	ATF_CHECK(!allow(&rl, a, t0 + SEC));
	ATF_CHECK(allow(&rl, a, t0 + SEC + 100 * MS));
	ATF_CHECK_EQ(rl.nentries, 2);
	ratelimiter_free(&rl);

	/* The explicit sweep; any use, even a refused one, is activity. */
	setup(&rl, 8);
	ATF_CHECK_EQ(burst(&rl, a, 10, t0), RATELIMITER_BURST);
	ATF_CHECK(allow(&rl, b, t0));
	ATF_CHECK(!allow(&rl, a, t0 + 10 * MS));
	ATF_CHECK(allow(&rl, c, t0 + 500 * MS));
	ATF_CHECK(allow(&rl, b, t0 + 600 * MS));
	ratelimiter_gc(&rl, t0 + SEC + 10 * MS - 1);
	ATF_CHECK_EQ(rl.nentries, 3);
	ratelimiter_gc(&rl, t0 + SEC + 10 * MS);
	ATF_CHECK_EQ(rl.nentries, 2);
	ratelimiter_gc(&rl, t0 + SEC + 500 * MS);
	ATF_CHECK_EQ(rl.nentries, 1);
	ratelimiter_gc(&rl, t0 + SEC + 600 * MS);
	ATF_CHECK_EQ(rl.nentries, 0);
	/* All the room is back. */
	ATF_CHECK(allow(&rl, a, t0 + 2 * SEC));
	ATF_CHECK_EQ(rl.nentries, 1);
	ratelimiter_free(&rl);
}

ATF_TC_WITHOUT_HEAD(bad_input);
ATF_TC_BODY(bad_input, tc)
{
	struct ratelimiter	 rl;
	uint8_t			 addr[16] = { 0 };

	ATF_REQUIRE(sodium_init() != -1);
	ATF_CHECK_EQ(ratelimiter_init(&rl, 0), -1);
	ATF_CHECK_EQ(ratelimiter_init(&rl, RATELIMITER_MAX_ENTRIES + 1), -1);
	setup(&rl, 4);
	ATF_CHECK(!ratelimiter_allow(&rl, AF_UNSPEC, addr, 0));
	ATF_CHECK(!ratelimiter_allow(&rl, AF_UNIX, addr, 0));
	ATF_CHECK_EQ(rl.nentries, 0);
	ratelimiter_free(&rl);
}

/*
 * The same rules written the slow way: an array of sources searched
 * from end to end, idle ones swept by a scan before every message.
 */
struct model_entry {
	int		 af;
	uint8_t		 prefix[8];
	uint64_t	 last;
	uint64_t	 credit;
};

struct model {
	struct model_entry	 e[64];
	size_t			 n, max;
};

static bool
model_allow(struct model *m, struct src a, uint64_t now)
{
	const uint64_t	 cost = SEC / RATELIMITER_PER_SECOND;
	const uint64_t	 full = cost * RATELIMITER_BURST;
	size_t		 i, len = a.af == AF_INET ? 4 : 8;

	for (i = 0; i < m->n; )
		if (now - m->e[i].last >= SEC)
			m->e[i] = m->e[--m->n];
		else
			i++;
	for (i = 0; i < m->n; i++)
		if (m->e[i].af == a.af &&
		    memcmp(m->e[i].prefix, a.addr, len) == 0)
			break;
	if (i == m->n) {
		if (m->n == m->max)
			return (false);
		m->n++;
		m->e[i].af = a.af;
		memcpy(m->e[i].prefix, a.addr, len);
		m->e[i].credit = full;
		m->e[i].last = now;
	}
	m->e[i].credit += now - m->e[i].last;
	if (m->e[i].credit > full)
		m->e[i].credit = full;
	m->e[i].last = now;
	if (m->e[i].credit < cost)
		return (false);
	m->e[i].credit -= cost;
	return (true);
}

/* Would model_allow refuse a for its rate (not for a full table)? */
static bool
model_spent(const struct model *m, struct src a, uint64_t now)
{
	const uint64_t	 cost = SEC / RATELIMITER_PER_SECOND;
	size_t		 i, len = a.af == AF_INET ? 4 : 8;

	for (i = 0; i < m->n; i++)
		if (now - m->e[i].last < SEC && m->e[i].af == a.af &&
		    memcmp(m->e[i].prefix, a.addr, len) == 0)
			return (m->e[i].credit + (now - m->e[i].last) < cost);
	return (false);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

ATF_TC_WITHOUT_HEAD(random_vs_model);
ATF_TC_BODY(random_vs_model, tc)
{
	struct ratelimiter	 rl;
	struct model		 m;
	struct src		 a;
	uint64_t		 s = 0x243f6a8885a308d3ULL, x, now = 0;
	int			 i, want, got, spent, passed = 0, refused = 0;
	int			 spent_seen = 0;

	setup(&rl, 12);
	memset(&m, 0, sizeof(m));
	m.max = 12;
	for (i = 0; i < 200000; i++) {
		x = xorshift(&s);
		switch (x % 64) {
		case 0:
			now += 900 * MS + (x >> 8) % (200 * MS);
			break;
		case 1: case 2: case 3:
			now += (x >> 8) % (100 * MS);
			break;
		default:
			now += (x >> 8) % (5 * MS);
			break;
		}
		/* 24 sources for 12 places: the table fills, some wait. */
		x = xorshift(&s);
		memset(&a, 0, sizeof(a));
		if (x & 1) {
			a.af = AF_INET;
			a.addr[0] = 198;
			a.addr[1] = 51;
			a.addr[2] = 100;
			a.addr[3] = (x >> 1) % 12;
		} else {
			a.af = AF_INET6;
			a.addr[0] = 0x20;
			a.addr[1] = 0x01;
			a.addr[7] = (x >> 1) % 12;
			memcpy(a.addr + 8, &x, 8);	/* host part varies */
		}
		/* Asking first changes nothing that follows. */
		spent = ratelimiter_spent(&rl, a.af, a.addr, now);
		ATF_REQUIRE_MSG(spent == model_spent(&m, a, now),
		    "step %d: spent %d", i, spent);
		spent_seen += spent;
		want = model_allow(&m, a, now);
		got = allow(&rl, a, now);
		ATF_REQUIRE_MSG(want == got,
		    "step %d at %llu ns: want %d got %d", i,
		    (unsigned long long)now, want, got);
		ATF_REQUIRE(!(spent && got));
		ATF_REQUIRE_EQ(rl.nentries, m.n);
		if (got)
			passed++;
		else
			refused++;
	}
	ATF_CHECK(passed > 20000);
	ATF_CHECK(refused > 20000);
	ATF_CHECK_MSG(spent_seen > 100, "%d", spent_seen);
	ratelimiter_free(&rl);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, burst_then_rate);
	ATF_TP_ADD_TC(tp, spent_asks_only);
	ATF_TP_ADD_TC(tp, quiet_or_busy);
	ATF_TP_ADD_TC(tp, steady_rate_passes);
	ATF_TP_ADD_TC(tp, sources_independent);
	ATF_TP_ADD_TC(tp, ipv6_same_64_shares);
	ATF_TP_ADD_TC(tp, table_full_refuses_new);
	ATF_TP_ADD_TC(tp, many_sources);
	ATF_TP_ADD_TC(tp, entries_expire);
	ATF_TP_ADD_TC(tp, bad_input);
	ATF_TP_ADD_TC(tp, random_vs_model);
	return atf_no_error();
}
