/*
 * wgd/allowedips.c: longest-prefix matching on hand-made tables, then the
 * trie against a naive list (a linear scan for the longest matching
 * prefix) over random, heavily nested prefixes, insertions, replacements
 * and removals.  The random case takes its seed from "-v seed=N" and
 * names it, the phase and the last operation in every failure.
 */

#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "addr.h"
#include "allowedips.h"

#define NPEERS		50
#define POOL		32	/* base addresses prefixes are drawn from */
#define INSERTS		5000	/* per family, in each insertion phase */
#define LOOKUPS		1500	/* per family, after each phase */
#define DEFAULT_SEED	20240601

static int	 peerv[NPEERS];

#define PEER(i)		((void *)&peerv[(i)])

static int
peer_index(const void *peer)
{
	return peer == NULL ? -1 : (int)((const int *)peer - peerv);
}

static struct wgd_prefix
pfx(const char *s)
{
	struct wgd_prefix	 p;

	ATF_REQUIRE_MSG(addr_parse_prefix(s, &p) == 0, "bad prefix %s", s);
	return p;
}

static void
insert(struct allowedips *t, const char *s, int peer)
{
	struct wgd_prefix	 p = pfx(s);

	ATF_REQUIRE_MSG(allowedips_insert(t, &p, PEER(peer)) == 0,
	    "insert %s: %s", s, strerror(errno));
}

static int
lookup(const struct allowedips *t, const char *s)
{
	struct wgd_prefix	 p;

	ATF_REQUIRE_MSG(addr_parse(s, &p) == 0, "bad address %s", s);
	return peer_index(allowedips_lookup(t, p.af, p.addr.bytes));
}

static void
check_lookup(const struct allowedips *t, const char *s, int want)
{
	int	 got = lookup(t, s);

	ATF_CHECK_MSG(got == want, "lookup %s: peer %d, want %d", s, got,
	    want);
}

struct walk_list {
	struct wgd_prefix	*p;
	int			*peer;
	size_t			 n;
	size_t			 cap;
	size_t			 stop_after;	/* 0: never */
};

static int
walk_collect(const struct wgd_prefix *p, void *peer, void *arg)
{
	struct walk_list	*w = arg;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		ATF_REQUIRE((w->p = reallocarray(w->p, w->cap,
		    sizeof(*w->p))) != NULL);
		ATF_REQUIRE((w->peer = reallocarray(w->peer, w->cap,
		    sizeof(*w->peer))) != NULL);
	}
	w->p[w->n] = *p;
	w->peer[w->n] = peer_index(peer);
	w->n++;
	return w->stop_after != 0 && w->n == w->stop_after ? 42 : 0;
}

static void
walk_reset(struct walk_list *w)
{
	free(w->p);
	free(w->peer);
	memset(w, 0, sizeof(*w));
}

/* The walk of peer (-1: every peer) must list exactly want, in order. */
static void
check_walk(const struct allowedips *t, int peer, const char *const *want,
    size_t nwant)
{
	struct walk_list	 w;
	char			 s[ADDR_STRLEN];
	size_t			 i;

	memset(&w, 0, sizeof(w));
	ATF_REQUIRE_EQ(allowedips_walk(t, peer == -1 ? NULL : PEER(peer),
	    walk_collect, &w), 0);
	ATF_CHECK_EQ_MSG(w.n, nwant, "peer %d: %zu prefixes, want %zu", peer,
	    w.n, nwant);
	for (i = 0; i < w.n && i < nwant; i++) {
		addr_format_prefix(&w.p[i], s, sizeof(s));
		ATF_CHECK_STREQ_MSG(s, want[i], "peer %d, prefix %zu", peer,
		    i);
		if (peer != -1)
			ATF_CHECK_EQ(w.peer[i], peer);
	}
	walk_reset(&w);
}

static int
table_empty(const struct allowedips *t)
{
	return t->root4 == NULL && t->root6 == NULL;
}

ATF_TC_WITHOUT_HEAD(longest_match_wins);
ATF_TC_BODY(longest_match_wins, tc)
{
	static const char *const nested[] = {
		"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32"
	};
	struct allowedips	 t;
	int			 order, i, j;

	/* Shortest first, then longest first: the shape must not matter. */
	for (order = 0; order < 2; order++) {
		allowedips_init(&t);
		for (i = 0; i < 4; i++) {
			j = order == 0 ? i : 3 - i;
			insert(&t, nested[j], j);
		}
		check_lookup(&t, "10.1.2.3", 3);
		check_lookup(&t, "10.1.2.2", 2);
		check_lookup(&t, "10.1.2.4", 2);
		check_lookup(&t, "10.1.255.255", 2);
		check_lookup(&t, "10.1.0.0", 2);
		check_lookup(&t, "10.2.0.1", 1);
		check_lookup(&t, "10.0.255.255", 1);
		check_lookup(&t, "10.255.255.255", 1);
		check_lookup(&t, "11.0.0.0", 0);
		check_lookup(&t, "9.255.255.255", 0);
		check_lookup(&t, "0.0.0.0", 0);
		check_lookup(&t, "255.255.255.255", 0);
		allowedips_free(&t);
		ATF_CHECK(table_empty(&t));
	}

	/* Siblings that part deep inside a byte, and a branch point. */
	allowedips_init(&t);
	insert(&t, "192.168.1.128/25", 1);
	insert(&t, "192.168.1.0/25", 2);
	insert(&t, "192.168.1.64/26", 3);
	check_lookup(&t, "192.168.1.200", 1);
	check_lookup(&t, "192.168.1.10", 2);
	check_lookup(&t, "192.168.1.70", 3);
	check_lookup(&t, "192.168.0.255", -1);
	check_lookup(&t, "192.168.2.0", -1);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(host_bits_masked);
ATF_TC_BODY(host_bits_masked, tc)
{
	static const char *const one[] = { "192.168.48.0/20" };
	static const char *const six[] = { "fd00:1234::/33" };
	struct allowedips	 t;
	struct wgd_prefix	 p;

	allowedips_init(&t);
	insert(&t, "192.168.50.77/20", 0);
	check_lookup(&t, "192.168.48.0", 0);
	check_lookup(&t, "192.168.63.255", 0);
	check_lookup(&t, "192.168.47.255", -1);
	check_lookup(&t, "192.168.64.0", -1);
	check_walk(&t, 0, one, 1);

	/* The same prefix with other host bits is the same prefix. */
	insert(&t, "192.168.60.1/20", 1);
	check_walk(&t, 1, one, 1);
	check_walk(&t, 0, NULL, 0);
	p = pfx("192.168.49.9/20");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(1)), 0);
	ATF_CHECK(table_empty(&t));

	insert(&t, "fd00:1234:5678::1/33", 2);
	check_lookup(&t, "fd00:1234:7fff::", 2);
	check_lookup(&t, "fd00:1234:8000::", -1);
	check_walk(&t, 2, six, 1);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(replace_peer);
ATF_TC_BODY(replace_peer, tc)
{
	static const char *const one[] = { "10.0.0.0/24" };
	struct allowedips	 t;
	struct wgd_prefix	 p = pfx("10.0.0.0/24");

	allowedips_init(&t);
	insert(&t, "10.0.0.0/16", 0);
	insert(&t, "10.0.0.0/24", 1);
	check_lookup(&t, "10.0.0.9", 1);
	insert(&t, "10.0.0.0/24", 2);
	check_lookup(&t, "10.0.0.9", 2);
	check_lookup(&t, "10.0.1.9", 0);
	check_walk(&t, 1, NULL, 0);
	check_walk(&t, 2, one, 1);

	/* The old owner can no longer remove it. */
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(1)), -1);
	ATF_CHECK_EQ(errno, ENOENT);
	check_lookup(&t, "10.0.0.9", 2);
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(2)), 0);
	check_lookup(&t, "10.0.0.9", 0);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(exact_and_aux);
ATF_TC_BODY(exact_and_aux, tc)
{
	struct allowedips	 t;
	struct wgd_prefix	 p16 = pfx("10.0.0.0/16"), p24 = pfx("10.0.0.9/24");
	struct wgd_prefix	 p25 = pfx("10.0.0.0/25"), p6 = pfx("fd00::/64");
	uint32_t		 aux = 99;

	allowedips_init(&t);
	ATF_REQUIRE(allowedips_insert_aux(&t, &p16, PEER(1), 7) == 0);
	ATF_REQUIRE(allowedips_insert_aux(&t, &p24, PEER(2), 8) == 0);
	ATF_REQUIRE(allowedips_insert_aux(&t, &p6, PEER(3), 9) == 0);
	ATF_CHECK(allowedips_exact(&t, &p16, &aux) == PEER(1));
	ATF_CHECK_EQ(aux, 7);
	/* Host bits ignored; only the exact length matches. */
	ATF_CHECK(allowedips_exact(&t, &p24, &aux) == PEER(2));
	ATF_CHECK_EQ(aux, 8);
	ATF_CHECK(allowedips_exact(&t, &p25, NULL) == NULL);
	ATF_CHECK(allowedips_exact(&t, &p6, &aux) == PEER(3));
	ATF_CHECK_EQ(aux, 9);
	/* Inserting again moves it, with the new number. */
	ATF_REQUIRE(allowedips_insert_aux(&t, &p24, PEER(4), 3) == 0);
	ATF_CHECK(allowedips_exact(&t, &p24, &aux) == PEER(4));
	ATF_CHECK_EQ(aux, 3);
	/* A branch point holds no peer. */
	ATF_REQUIRE(allowedips_insert(&t, &p25, PEER(5)) == 0);
	p25 = pfx("10.0.0.128/25");
	ATF_REQUIRE(allowedips_insert(&t, &p25, PEER(6)) == 0);
	p25 = pfx("10.0.0.0/24");
	ATF_CHECK(allowedips_exact(&t, &p25, NULL) == PEER(4));
	p25 = pfx("10.0.0.0/17");
	ATF_CHECK(allowedips_exact(&t, &p25, NULL) == NULL);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(remove_one_prefix);
ATF_TC_BODY(remove_one_prefix, tc)
{
	struct allowedips	 t;
	struct wgd_prefix	 p;

	allowedips_init(&t);
	insert(&t, "0.0.0.0/0", 0);
	insert(&t, "10.0.0.0/8", 1);
	insert(&t, "10.1.0.0/16", 2);
	insert(&t, "10.1.2.3/32", 3);
	insert(&t, "10.1.128.0/17", 4);

	p = pfx("10.1.0.0/16");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(2)), 0);
	check_lookup(&t, "10.1.5.5", 1);
	check_lookup(&t, "10.1.2.3", 3);
	check_lookup(&t, "10.1.200.1", 4);
	check_lookup(&t, "10.9.0.0", 1);
	check_lookup(&t, "11.0.0.0", 0);
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(2)), -1);
	ATF_CHECK_EQ(errno, ENOENT);

	/* A branch point is not a prefix, nor is a prefix never added. */
	p = pfx("10.1.0.0/16");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(1)), -1);
	p = pfx("10.1.2.0/24");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(3)), -1);
	p = pfx("10.1.2.3/31");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(3)), -1);
	/* Nor is another peer's prefix. */
	p = pfx("10.0.0.0/8");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(0)), -1);
	ATF_CHECK_EQ(errno, ENOENT);
	check_lookup(&t, "10.9.0.0", 1);

	p = pfx("0.0.0.0/0");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(0)), 0);
	check_lookup(&t, "11.0.0.0", -1);
	check_lookup(&t, "10.9.0.0", 1);
	p = pfx("10.0.0.0/8");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(1)), 0);
	check_lookup(&t, "10.9.0.0", -1);
	check_lookup(&t, "10.1.2.3", 3);
	check_lookup(&t, "10.1.200.1", 4);
	p = pfx("10.1.2.3/32");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(3)), 0);
	p = pfx("10.1.128.0/17");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(4)), 0);
	/* Every node went with the last prefix. */
	ATF_CHECK(table_empty(&t));
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(remove_peer);
ATF_TC_BODY(remove_peer, tc)
{
	static const char *const rest[] = {
		"10.1.0.0/16", "10.1.0.0/24", "fd00:1::/32"
	};
	struct allowedips	 t;

	allowedips_init(&t);
	insert(&t, "10.0.0.0/8", 0);
	insert(&t, "10.1.0.0/16", 1);
	insert(&t, "10.1.0.0/24", 1);
	insert(&t, "10.1.0.0/28", 0);
	insert(&t, "192.168.1.0/24", 0);
	insert(&t, "fd00::/8", 0);
	insert(&t, "fd00:1::/32", 1);
	insert(&t, "fd00:1::1/128", 0);

	allowedips_remove_peer(&t, PEER(0));
	check_lookup(&t, "10.1.0.1", 1);
	check_lookup(&t, "10.1.1.1", 1);
	check_lookup(&t, "10.2.0.1", -1);
	check_lookup(&t, "192.168.1.1", -1);
	check_lookup(&t, "fd00:1::1", 1);
	check_lookup(&t, "fd00:2::1", -1);
	check_walk(&t, 0, NULL, 0);
	check_walk(&t, 1, rest, 3);

	/* Unknown peers and repeated removals change nothing. */
	allowedips_remove_peer(&t, PEER(0));
	allowedips_remove_peer(&t, PEER(7));
	check_walk(&t, -1, rest, 3);

	allowedips_remove_peer(&t, PEER(1));
	ATF_CHECK(table_empty(&t));
	check_lookup(&t, "10.1.0.1", -1);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(families_are_separate);
ATF_TC_BODY(families_are_separate, tc)
{
	struct allowedips	 t;
	struct wgd_prefix	 p;

	allowedips_init(&t);
	insert(&t, "0.0.0.0/0", 0);
	check_lookup(&t, "0.0.0.0", 0);
	check_lookup(&t, "255.255.255.255", 0);
	check_lookup(&t, "::", -1);
	check_lookup(&t, "::ffff:10.0.0.1", -1);

	insert(&t, "::/0", 1);
	check_lookup(&t, "::", 1);
	check_lookup(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1);
	check_lookup(&t, "::ffff:10.0.0.1", 1);
	check_lookup(&t, "10.0.0.1", 0);

	/* The same leading bits in the other family are another prefix. */
	insert(&t, "10.0.0.0/8", 2);
	insert(&t, "a00::/8", 3);
	check_lookup(&t, "10.1.1.1", 2);
	check_lookup(&t, "a00::1", 3);
	check_lookup(&t, "b00::1", 1);

	/* Full-length prefixes, the last bit of either family included. */
	insert(&t, "255.255.255.255/32", 4);
	insert(&t, "255.255.255.254/32", 5);
	insert(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 6);
	insert(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128", 7);
	insert(&t, "::/128", 8);
	check_lookup(&t, "255.255.255.255", 4);
	check_lookup(&t, "255.255.255.254", 5);
	check_lookup(&t, "255.255.255.253", 0);
	check_lookup(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6);
	check_lookup(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 7);
	check_lookup(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd", 1);
	check_lookup(&t, "::", 8);
	check_lookup(&t, "::1", 1);

	p = pfx("0.0.0.0/0");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(0)), 0);
	check_lookup(&t, "11.0.0.1", -1);
	check_lookup(&t, "b00::1", 1);
	p = pfx("::/0");
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(1)), 0);
	check_lookup(&t, "b00::1", -1);
	check_lookup(&t, "10.1.1.1", 2);
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(bad_arguments);
ATF_TC_BODY(bad_arguments, tc)
{
	struct allowedips	 t;
	struct wgd_prefix	 p;
	uint8_t			 a[16];

	allowedips_init(&t);
	p = pfx("10.0.0.0/8");
	ATF_CHECK_EQ(allowedips_insert(&t, &p, NULL), -1);
	ATF_CHECK_EQ(errno, EINVAL);
	p.plen = 33;
	ATF_CHECK_EQ(allowedips_insert(&t, &p, PEER(0)), -1);
	ATF_CHECK_EQ(errno, EINVAL);
	p = pfx("fd00::/8");
	p.plen = 129;
	ATF_CHECK_EQ(allowedips_insert(&t, &p, PEER(0)), -1);
	ATF_CHECK_EQ(errno, EINVAL);
	p.af = AF_UNIX;
	p.plen = 8;
	ATF_CHECK_EQ(allowedips_insert(&t, &p, PEER(0)), -1);
	ATF_CHECK_EQ(allowedips_remove(&t, &p, PEER(0)), -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(table_empty(&t));

	insert(&t, "0.0.0.0/0", 0);
	memset(a, 0, sizeof(a));
	ATF_CHECK(allowedips_lookup(&t, AF_UNIX, a) == NULL);
	ATF_CHECK(allowedips_lookup(&t, AF_INET, a) == PEER(0));
	allowedips_remove_peer(&t, NULL);
	ATF_CHECK(allowedips_lookup(&t, AF_INET, a) == PEER(0));
	allowedips_free(&t);
}

ATF_TC_WITHOUT_HEAD(walk_lists_peer_prefixes);
ATF_TC_BODY(walk_lists_peer_prefixes, tc)
{
	/* Inserted in this order, peer 0 and peer 1 interleaved. */
	static const char *const in[] = {
		"fd00::/8", "10.0.0.0/24", "10.0.0.0/8", "0.0.0.0/0",
		"fd00:1::/32", "192.168.0.0/16", "10.0.0.128/25", "::/0",
		"10.0.0.0/16", "fd00::1/128", "9.0.0.0/8", "172.16.0.0/12",
	};
	static const int who[] = { 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0 };
	/* The walk gives them in addr_cmp() order. */
	static const char *const want0[] = {
		"10.0.0.0/8", "10.0.0.128/25", "172.16.0.0/12",
		"192.168.0.0/16", "::/0", "fd00::/8", "fd00::1/128",
	};
	static const char *const want1[] = {
		"0.0.0.0/0", "9.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24",
		"fd00:1::/32",
	};
	static const char *const all[] = {
		"0.0.0.0/0", "9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16",
		"10.0.0.0/24", "10.0.0.128/25", "172.16.0.0/12",
		"192.168.0.0/16", "::/0", "fd00::/8", "fd00::1/128",
		"fd00:1::/32",
	};
	struct allowedips	 t;
	struct walk_list	 w;
	size_t			 i;

	allowedips_init(&t);
	check_walk(&t, 0, NULL, 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		insert(&t, in[i], who[i]);
	check_walk(&t, 0, want0, sizeof(want0) / sizeof(want0[0]));
	check_walk(&t, 1, want1, sizeof(want1) / sizeof(want1[0]));
	check_walk(&t, 2, NULL, 0);
	check_walk(&t, -1, all, sizeof(all) / sizeof(all[0]));

	/* A callback's nonzero return ends the walk and is passed on. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	ATF_CHECK_EQ(allowedips_walk(&t, PEER(0), walk_collect, &w), 42);
	ATF_CHECK_EQ(w.n, 2);
	walk_reset(&w);
	allowedips_free(&t);
}

/*
 * The randomized comparison.  The list holds each prefix once (masked)
 * with its peer; its answer for an address is the longest prefix that
 * contains it, found by looking at every entry.
 */

struct entry {
	struct wgd_prefix	 p;
	int			 peer;
};

struct rnd {
	struct allowedips	 t;
	struct entry		*e[2];		/* [0] IPv4, [1] IPv6 */
	size_t			 n[2];
	size_t			 cap[2];
	uint8_t			 pool[2][POOL][16];
	uint64_t		 seed;
	uint64_t		 state;
	const char		*phase;
	unsigned int		 op;
	char			 what[128];	/* the last operation */
};

static const int	 fam_af[2] = { AF_INET, AF_INET6 };
static const int	 fam_bits[2] = { 32, 128 };
static const int	 fam_bytes[2] = { 4, 16 };

/* splitmix64: small, good enough, and the same on every machine. */
static uint64_t
rnd_next(struct rnd *r)
{
	uint64_t	 z;

	z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int
rnd_below(struct rnd *r, unsigned int n)
{
	return (unsigned int)(rnd_next(r) % n);
}

static int
get_bit(const uint8_t *a, int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void
flip_bit(uint8_t *a, int i)
{
	a[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
}

/* Sets bits from..bits-1 of a to random values. */
static void
randomize_from(struct rnd *r, uint8_t *a, int from, int bits)
{
	int	 i;

	for (i = from; i < bits; i++)
		if (get_bit(a, i) != (int)(rnd_next(r) & 1))
			flip_bit(a, i);
}

/* Deliberately unlike the trie: byte by byte, then the partial byte. */
static int
list_contains(const struct wgd_prefix *p, const uint8_t *a)
{
	int	 i, full = p->plen / 8, rest = p->plen % 8;

	for (i = 0; i < full; i++)
		if (p->addr.bytes[i] != a[i])
			return 0;
	return rest == 0 ||
	    ((p->addr.bytes[full] ^ a[full]) & (0xff00 >> rest) & 0xff) == 0;
}

static const struct entry *
list_lookup(const struct rnd *r, int fam, const uint8_t *a)
{
	const struct entry	*best = NULL;
	size_t			 i;

	for (i = 0; i < r->n[fam]; i++)
		if ((best == NULL || r->e[fam][i].p.plen > best->p.plen) &&
		    list_contains(&r->e[fam][i].p, a))
			best = &r->e[fam][i];
	return best;
}

static struct entry *
list_find(struct rnd *r, const struct wgd_prefix *p)
{
	int	 fam = p->af == AF_INET6;
	size_t	 i;

	for (i = 0; i < r->n[fam]; i++)
		if (addr_equal(&r->e[fam][i].p, p))
			return &r->e[fam][i];
	return NULL;
}

static void
list_set(struct rnd *r, const struct wgd_prefix *given, int peer)
{
	struct wgd_prefix	 p = *given;
	struct entry		*e;
	int			 fam = p.af == AF_INET6;

	addr_mask(&p);
	if ((e = list_find(r, &p)) != NULL) {
		e->peer = peer;
		return;
	}
	if (r->n[fam] == r->cap[fam]) {
		r->cap[fam] = r->cap[fam] ? r->cap[fam] * 2 : 1024;
		ATF_REQUIRE((r->e[fam] = reallocarray(r->e[fam], r->cap[fam],
		    sizeof(*r->e[fam]))) != NULL);
	}
	r->e[fam][r->n[fam]].p = p;
	r->e[fam][r->n[fam]].peer = peer;
	r->n[fam]++;
}

static void
list_drop(struct rnd *r, struct entry *e)
{
	int	 fam = e->p.af == AF_INET6;

	*e = r->e[fam][--r->n[fam]];
}

static void
note(struct rnd *r, const char *verb, const struct wgd_prefix *p, int peer)
{
	char	 s[ADDR_STRLEN];

	r->op++;
	if (p != NULL) {
		addr_format_prefix(p, s, sizeof(s));
		snprintf(r->what, sizeof(r->what), "%s %s peer %d", verb, s,
		    peer);
	} else
		snprintf(r->what, sizeof(r->what), "%s peer %d", verb, peer);
}

static void
compare_one(struct rnd *r, int fam, const uint8_t *a)
{
	const struct entry	*e;
	struct wgd_prefix	 addr;
	char			 sa[ADDR_STRLEN], sp[ADDR_STRLEN];
	int			 got, want;

	got = peer_index(allowedips_lookup(&r->t, fam_af[fam], a));
	e = list_lookup(r, fam, a);
	want = e == NULL ? -1 : e->peer;
	if (got == want)
		return;
	memset(&addr, 0, sizeof(addr));
	addr.af = (uint8_t)fam_af[fam];
	memcpy(addr.addr.bytes, a, (size_t)fam_bytes[fam]);
	addr_format(&addr, sa, sizeof(sa));
	if (e != NULL)
		addr_format_prefix(&e->p, sp, sizeof(sp));
	else
		strlcpy(sp, "none", sizeof(sp));
	atf_tc_fail("seed %" PRIu64 ", %s, op %u (%s): lookup %s: "
	    "trie says peer %d, list says peer %d (%s)", r->seed, r->phase,
	    r->op, r->what, sa, got, want, sp);
}

/* An address inside p, or now and then just outside it. */
static void
near(struct rnd *r, const struct wgd_prefix *p, uint8_t *a)
{
	int	 fam = p->af == AF_INET6;

	memcpy(a, p->addr.bytes, (size_t)fam_bytes[fam]);
	randomize_from(r, a, p->plen, fam_bits[fam]);
	if (p->plen > 0 && rnd_below(r, 4) == 0)
		flip_bit(a, p->plen - 1 - (int)rnd_below(r,
		    p->plen < 3 ? p->plen : 3));
}

static void
gen_prefix(struct rnd *r, int fam, struct wgd_prefix *p)
{
	static const int	 cluster[2][6] = {
		{ 8, 16, 24, 28, 30, 32 },
		{ 16, 32, 48, 64, 112, 128 },
	};
	int	 bits = fam_bits[fam], i, n, len;

	memset(p, 0, sizeof(*p));
	p->af = (uint8_t)fam_af[fam];
	memcpy(p->addr.bytes, r->pool[fam][rnd_below(r, POOL)],
	    (size_t)fam_bytes[fam]);
	/* Near relatives of the base: a few bits flipped past a quarter. */
	n = (int)rnd_below(r, 6);
	for (i = 0; i < n; i++)
		flip_bit(p->addr.bytes, bits / 4 +
		    (int)rnd_below(r, (unsigned int)(bits - bits / 4)));
	switch (rnd_below(r, 8)) {
	case 0:
		len = (int)rnd_below(r, (unsigned int)bits + 1);
		break;
	case 1:
		len = bits;
		break;
	default:
		len = cluster[fam][rnd_below(r, 6)] + (int)rnd_below(r, 7) - 3;
		break;
	}
	p->plen = (uint8_t)(len < 0 ? 0 : len > bits ? bits : len);
	/* Host bits stay as drawn: the trie must ignore them. */
}

/* A random prefix of the list, with random host bits. */
static struct entry *
pick(struct rnd *r, int fam, struct wgd_prefix *p)
{
	struct entry	*e;

	if (r->n[fam] == 0)
		return NULL;
	e = &r->e[fam][rnd_below(r, (unsigned int)r->n[fam])];
	*p = e->p;
	randomize_from(r, p->addr.bytes, p->plen, fam_bits[fam]);
	return e;
}

/*
 * A lookup where the last operation changed things, so that a mismatch
 * names the operation that caused it, not only the phase.
 */
static void
check_near(struct rnd *r, const struct wgd_prefix *p)
{
	uint8_t	 a[16];

	near(r, p, a);
	compare_one(r, p->af == AF_INET6, a);
}

static void
op_insert(struct rnd *r, int fam)
{
	struct wgd_prefix	 p;
	int			 peer = (int)rnd_below(r, NPEERS);

	gen_prefix(r, fam, &p);
	note(r, "insert", &p, peer);
	ATF_REQUIRE_MSG(allowedips_insert(&r->t, &p, PEER(peer)) == 0,
	    "seed %" PRIu64 ", op %u (%s): %s", r->seed, r->op, r->what,
	    strerror(errno));
	list_set(r, &p, peer);
	check_near(r, &p);
}

static void
op_replace(struct rnd *r, int fam)
{
	struct wgd_prefix	 p;
	struct entry		*e;
	int			 peer;

	if ((e = pick(r, fam, &p)) == NULL)
		return;
	peer = (e->peer + 1 + (int)rnd_below(r, NPEERS - 1)) % NPEERS;
	note(r, "replace", &p, peer);
	ATF_REQUIRE(allowedips_insert(&r->t, &p, PEER(peer)) == 0);
	e->peer = peer;
	check_near(r, &p);
}

/*
 * Removes a prefix of the list, or tries one with the wrong peer, or one
 * that may not be there at all: the trie must agree on which succeed.
 */
static void
op_remove(struct rnd *r, int fam)
{
	struct wgd_prefix	 p, m;
	struct entry		*e;
	int			 peer, rv, want;

	switch (rnd_below(r, 4)) {
	case 0:
		gen_prefix(r, fam, &p);
		peer = (int)rnd_below(r, NPEERS);
		break;
	case 1:
		if ((e = pick(r, fam, &p)) == NULL)
			return;
		peer = (e->peer + 1 + (int)rnd_below(r, NPEERS - 1)) % NPEERS;
		break;
	default:
		if ((e = pick(r, fam, &p)) == NULL)
			return;
		peer = e->peer;
		break;
	}
	m = p;
	addr_mask(&m);
	e = list_find(r, &m);
	want = e != NULL && e->peer == peer ? 0 : -1;
	note(r, "remove", &p, peer);
	rv = allowedips_remove(&r->t, &p, PEER(peer));
	if (rv != want)
		atf_tc_fail("seed %" PRIu64 ", op %u (%s): returned %d, "
		    "want %d", r->seed, r->op, r->what, rv, want);
	if (rv == 0)
		list_drop(r, e);
	check_near(r, &p);
}

static void
op_remove_peer(struct rnd *r, int peer)
{
	size_t	 i;
	int	 fam;

	note(r, "remove all of", NULL, peer);
	allowedips_remove_peer(&r->t, PEER(peer));
	for (fam = 0; fam < 2; fam++)
		for (i = 0; i < r->n[fam];)
			if (r->e[fam][i].peer == peer)
				list_drop(r, &r->e[fam][i]);
			else
				i++;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;

	return addr_cmp(&x->p, &y->p);
}

/*
 * The walk of every peer must give the list's contents, sorted, and the
 * walk of one peer exactly its share of them.
 */
static void
check_walks(struct rnd *r)
{
	struct walk_list	 w;
	struct entry		*all;
	size_t			 n = r->n[0] + r->n[1], i, j;
	int			 peer;

	ATF_REQUIRE((all = reallocarray(NULL, n + 1, sizeof(*all))) != NULL);
	memcpy(all, r->e[0], r->n[0] * sizeof(*all));
	memcpy(all + r->n[0], r->e[1], r->n[1] * sizeof(*all));
	qsort(all, n, sizeof(*all), entry_cmp);

	memset(&w, 0, sizeof(w));
	ATF_REQUIRE_EQ(allowedips_walk(&r->t, NULL, walk_collect, &w), 0);
	ATF_REQUIRE_MSG(w.n == n, "seed %" PRIu64 ", %s: walk gave %zu "
	    "prefixes, list has %zu", r->seed, r->phase, w.n, n);
	for (i = 0; i < n; i++)
		ATF_REQUIRE_MSG(addr_equal(&w.p[i], &all[i].p) &&
		    w.peer[i] == all[i].peer, "seed %" PRIu64 ", %s: walk "
		    "differs at %zu", r->seed, r->phase, i);
	walk_reset(&w);

	for (peer = 0; peer < NPEERS; peer++) {
		ATF_REQUIRE_EQ(allowedips_walk(&r->t, PEER(peer),
		    walk_collect, &w), 0);
		for (i = j = 0; i < n; i++) {
			if (all[i].peer != peer)
				continue;
			ATF_REQUIRE_MSG(j < w.n &&
			    addr_equal(&w.p[j], &all[i].p) &&
			    w.peer[j] == peer, "seed %" PRIu64 ", %s: walk of "
			    "peer %d differs at %zu", r->seed, r->phase, peer,
			    j);
			j++;
		}
		ATF_REQUIRE_MSG(j == w.n, "seed %" PRIu64 ", %s: walk of peer "
		    "%d gave %zu prefixes, want %zu", r->seed, r->phase, peer,
		    w.n, j);
		walk_reset(&w);
	}
	free(all);
}

/* Lookups near prefixes, near the base addresses, and anywhere. */
static void
check_all(struct rnd *r, const char *phase)
{
	struct wgd_prefix	 p;
	uint8_t			 a[16];
	int			 fam, i;

	r->phase = phase;
	for (fam = 0; fam < 2; fam++) {
		for (i = 0; i < LOOKUPS; i++) {
			memset(a, 0, sizeof(a));
			switch (rnd_below(r, 8)) {
			case 0:
			case 1:
				memcpy(a, r->pool[fam][rnd_below(r, POOL)],
				    sizeof(a));
				randomize_from(r, a,
				    (int)rnd_below(r, (unsigned int)
				    fam_bits[fam] + 1), fam_bits[fam]);
				break;
			case 2:
				randomize_from(r, a, 0, fam_bits[fam]);
				break;
			default:
				if (pick(r, fam, &p) == NULL)
					continue;
				near(r, &p, a);
				break;
			}
			compare_one(r, fam, a);
		}
	}
	check_walks(r);
}

/*
 * Base addresses that share long prefixes with each other: each one is
 * an earlier one with its bits past a random point redrawn.
 */
static void
make_pool(struct rnd *r)
{
	int	 fam, i, bits;

	for (fam = 0; fam < 2; fam++) {
		bits = fam_bits[fam];
		memset(r->pool[fam][0], 0, 16);
		memset(r->pool[fam][1], 0xff, 16);
		randomize_from(r, r->pool[fam][2], 0, bits);
		for (i = 3; i < POOL; i++) {
			memcpy(r->pool[fam][i],
			    r->pool[fam][rnd_below(r, (unsigned int)i)], 16);
			randomize_from(r, r->pool[fam][i],
			    (int)rnd_below(r, (unsigned int)bits), bits);
		}
	}
}

ATF_TC_WITHOUT_HEAD(random_against_list);
ATF_TC_BODY(random_against_list, tc)
{
	struct rnd		*r;
	struct entry		*e;
	struct wgd_prefix	 p;
	int			 i, fam;

	ATF_REQUIRE((r = calloc(1, sizeof(*r))) != NULL);
	r->seed = (uint64_t)atf_tc_get_config_var_as_long_wd(tc, "seed",
	    DEFAULT_SEED);
	r->state = r->seed;
	printf("seed %" PRIu64 " (run again with -v seed=N)\n", r->seed);
	allowedips_init(&r->t);
	make_pool(r);

	r->phase = "insert";
	for (i = 0; i < 2 * INSERTS; i++)
		op_insert(r, i % 2);
	check_all(r, "after insert");

	r->phase = "replace";
	for (i = 0; i < INSERTS / 5; i++)
		op_replace(r, (int)rnd_below(r, 2));
	check_all(r, "after replace");

	r->phase = "remove";
	for (i = 0; i < INSERTS / 2; i++)
		op_remove(r, (int)rnd_below(r, 2));
	check_all(r, "after remove");

	r->phase = "remove peer";
	for (i = 0; i < 8; i++)
		op_remove_peer(r, (int)rnd_below(r, NPEERS));
	check_all(r, "after remove peer");

	r->phase = "insert again";
	for (i = 0; i < 2 * INSERTS; i++)
		op_insert(r, i % 2);
	check_all(r, "after insert again");

	r->phase = "mixed";
	for (i = 0; i < INSERTS; i++) {
		fam = (int)rnd_below(r, 2);
		switch (rnd_below(r, 500)) {
		case 0:
			op_remove_peer(r, (int)rnd_below(r, NPEERS));
			break;
		default:
			if (i % 3 == 0)
				op_insert(r, fam);
			else if (i % 3 == 1)
				op_replace(r, fam);
			else
				op_remove(r, fam);
			break;
		}
	}
	check_all(r, "after mixed");

	/*
	 * Emptied half peer by peer, half prefix by prefix, the table must
	 * have freed every node: a branch point or an emptied node left
	 * behind shows as a root that is not NULL.
	 */
	r->phase = "empty";
	for (i = 0; i < NPEERS / 2; i++)
		op_remove_peer(r, i);
	check_all(r, "after removing half the peers");
	for (fam = 0; fam < 2; fam++)
		while (r->n[fam] > 0) {
			e = &r->e[fam][rnd_below(r, (unsigned int)r->n[fam])];
			p = e->p;
			note(r, "remove", &p, e->peer);
			ATF_REQUIRE_MSG(allowedips_remove(&r->t, &p,
			    PEER(e->peer)) == 0, "seed %" PRIu64 ", op %u "
			    "(%s): %s", r->seed, r->op, r->what,
			    strerror(errno));
			list_drop(r, e);
			check_near(r, &p);
		}
	check_all(r, "after removing every prefix");
	ATF_CHECK_MSG(table_empty(&r->t), "seed %" PRIu64 ": nodes left in "
	    "an empty table", r->seed);

	allowedips_free(&r->t);
	free(r->e[0]);
	free(r->e[1]);
	free(r);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, longest_match_wins);
	ATF_TP_ADD_TC(tp, host_bits_masked);
	ATF_TP_ADD_TC(tp, replace_peer);
	ATF_TP_ADD_TC(tp, exact_and_aux);
	ATF_TP_ADD_TC(tp, remove_one_prefix);
	ATF_TP_ADD_TC(tp, remove_peer);
	ATF_TP_ADD_TC(tp, families_are_separate);
	ATF_TP_ADD_TC(tp, bad_arguments);
	ATF_TP_ADD_TC(tp, walk_lists_peer_prefixes);
	ATF_TP_ADD_TC(tp, random_against_list);
	return atf_no_error();
}
