/*
 * wgd/udpio.c on loopback: runs of datagrams sent with UDP_SEGMENT and
 * received with UDP_GRO arrive whole, in order and at their sizes;
 * each keeps the local address it came to, a send from a named local
 * address comes from it; a run the kernel refuses as one (too many
 * segments, too large) still arrives, one by one; EIO (forced by the
 * test-only switch) turns GSO off for the socket and loses nothing.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "udpio.h"

#define MAXDG	(UDPIO_MAX_DGRAMS)

static struct udpio_dgram	 dg[MAXDG];
/* Whether a datagram came in one GRO batch with the one before it. */
static int			 joined[MAXDG];
static uint8_t			 payload[UDPIO_GSO_SEGS * 2][1500];
static struct iovec		 iov[UDPIO_GSO_SEGS * 2];

/* A socket bound to addr, port 0, with udpio's options. */
static int
bound(int af, const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	int			 s, on = 1, size = 4 << 20;

	memset(ss, 0, sizeof(*ss));
	ATF_REQUIRE((s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0)) != -1);
	if (af == AF_INET6)
		ATF_REQUIRE(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on)) == 0);
	ATF_REQUIRE(udpio_sockopts(s, af) == 0);
	/* A hundred datagrams at once, as wgd's own sockets take them. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		ATF_REQUIRE(inet_pton(AF_INET, addr, &sin->sin_addr) == 1);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		ATF_REQUIRE(inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1);
		*len = sizeof(*sin6);
	}
	ATF_REQUIRE(bind(s, (struct sockaddr *)ss, *len) == 0);
	ATF_REQUIRE(getsockname(s, (struct sockaddr *)ss, len) == 0);
	return s;
}

/* n datagrams of size, the last one last bytes; numbered in byte 0. */
static size_t
run(size_t n, size_t size, size_t last)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		memset(payload[i], (int)i, sizeof(payload[0]));
		iov[i].iov_base = payload[i];
		iov[i].iov_len = i == n - 1 ? last : size;
	}
	return n;
}

/* Receives until want datagrams came or a second passes quietly. */
static size_t
receive(int s, struct udpio_rx *rx, struct udpio_dgram *out, size_t want)
{
	struct pollfd	 pfd = { .fd = s, .events = POLLIN };
	size_t		 got = 0;
	int		 n;

	while (got < want && poll(&pfd, 1, 1000) == 1) {
		ATF_REQUIRE((n = udpio_recv(s, rx, out + got, want - got)) !=
		    -1);
		/*
		 * Each batch lives in rx until the next call: keep a copy.
		 * One GRO batch's datagrams lie side by side there.
		 */
		for (int i = 0; i < n; i++)
			joined[got + i] = i > 0 && out[got + i].data ==
			    out[got + i - 1].data + out[got + i - 1].len;
		for (int i = 0; i < n; i++) {
			uint8_t *c = malloc(out[got + i].len + 1);

			ATF_REQUIRE(c != NULL);
			memcpy(c, out[got + i].data, out[got + i].len);
			out[got + i].data = c;
		}
		got += (size_t)n;
	}
	return got;
}

static void
check_run(struct udpio_dgram *got, size_t n, size_t size, size_t last)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		ATF_REQUIRE_EQ_MSG(got[i].len, i == n - 1 ? last : size,
		    "datagram %zu: %zu bytes", i, got[i].len);
		ATF_REQUIRE_EQ_MSG(got[i].data[0], (uint8_t)i,
		    "datagram %zu out of order", i);
		free(got[i].data);
	}
}

static void
roundtrip(int af, const char *dst, const char *src_addr, int gso_expected)
{
	struct sockaddr_storage	 to, from;
	struct udpio_local	 src, *srcp = NULL;
	struct udpio_rx		*rx;
	socklen_t		 tolen, fromlen;
	size_t			 n;
	int			 r, s, gso = 1;

	ATF_REQUIRE((rx = udpio_rx_new()) != NULL);
	r = bound(af, dst, &to, &tolen);
	s = bound(af, af == AF_INET ? "0.0.0.0" : "::", &from, &fromlen);
	if (src_addr != NULL) {
		memset(&src, 0, sizeof(src));
		src.af = af;
		ATF_REQUIRE(inet_pton(af, src_addr, &src.addr) == 1);
		srcp = &src;
	}

	/* One GSO run: 40 of 1452, the last 700. */
	n = run(40, 1452, 700);
	ATF_REQUIRE(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, srcp,
	    iov, n) == 0);
	ATF_REQUIRE_EQ(receive(r, rx, dg, n), n);
	ATF_CHECK_EQ(gso, gso_expected);
	/* The local address it came to; where it came from. */
	ATF_CHECK_EQ(dg[0].local.af, af);
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&to;
		struct sockaddr_in *f = (struct sockaddr_in *)dg[0].from;

		ATF_CHECK(memcmp(&dg[0].local.addr.in, &a->sin_addr, 4) == 0);
		if (srcp != NULL)
			ATF_CHECK(memcmp(&f->sin_addr, &src.addr.in, 4) == 0);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
		struct sockaddr_in6 *f = (struct sockaddr_in6 *)dg[0].from;

		ATF_CHECK(memcmp(&dg[0].local.addr.in6, &a->sin6_addr,
		    16) == 0);
		if (srcp != NULL)
			ATF_CHECK(memcmp(&f->sin6_addr, &src.addr.in6,
			    16) == 0);
	}
	check_run(dg, n, 1452, 700);

	/* More than a GSO send takes (64): two sends, nothing lost. */
	n = run(100, 1200, 1200);
	ATF_REQUIRE(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, srcp,
	    iov, n) == 0);
	ATF_REQUIRE_EQ(receive(r, rx, dg, n), n);
	check_run(dg, n, 1200, 1200);

	/* Sizes that break a run: each part leaves as it can. */
	n = run(10, 500, 500);
	iov[3].iov_len = 900;	/* larger than the first: a new run */
	iov[6].iov_len = 100;	/* short: ends its run */
	ATF_REQUIRE(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, srcp,
	    iov, n) == 0);
	ATF_REQUIRE_EQ(receive(r, rx, dg, n), n);
	for (size_t i = 0; i < n; i++) {
		ATF_CHECK_EQ(dg[i].len, i == 3 ? 900 : i == 6 ? 100 : 500);
		ATF_CHECK_EQ(dg[i].data[0], (uint8_t)i);
		free(dg[i].data);
	}

	/*
	 * A first datagram smaller than the next leaves alone, and the
	 * rest still as one GSO send (one GRO batch here).
	 */
	n = run(6, 500, 500);
	iov[0].iov_len = 100;
	ATF_REQUIRE(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, srcp,
	    iov, n) == 0);
	ATF_REQUIRE_EQ(receive(r, rx, dg, n), n);
	for (size_t i = 0; i < n; i++) {
		ATF_CHECK_EQ(dg[i].len, i == 0 ? 100 : 500);
		ATF_CHECK_EQ(dg[i].data[0], (uint8_t)i);
		if (gso_expected)
			ATF_CHECK_EQ_MSG(joined[i], i >= 2,
			    "datagram %zu %s the one before", i,
			    joined[i] ? "came with" : "did not come with");
		free(dg[i].data);
	}
	close(r);
	close(s);
	udpio_rx_free(rx);
}

ATF_TC_WITHOUT_HEAD(ipv4);
ATF_TC_BODY(ipv4, tc)
{
	roundtrip(AF_INET, "127.0.0.1", NULL, 1);
	/* From another local address, named on the send. */
	roundtrip(AF_INET, "127.0.0.1", "127.0.0.2", 1);
}

ATF_TC_WITHOUT_HEAD(ipv6);
ATF_TC_BODY(ipv6, tc)
{
	int	 s;

	if ((s = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		atf_tc_skip("no IPv6 here");
	close(s);
	roundtrip(AF_INET6, "::1", NULL, 1);
	roundtrip(AF_INET6, "::1", "::1", 1);
}

ATF_TC_WITHOUT_HEAD(gso_eio);
ATF_TC_BODY(gso_eio, tc)
{
	ATF_REQUIRE(setenv("WGD_TEST_GSO_EIO", "1", 1) == 0);
	/* GSO off after the first send, and every datagram there. */
	roundtrip(AF_INET, "127.0.0.1", NULL, 0);
}

/* A network namespace of our own whose loopback has a small MTU. */
static void
small_mtu_netns(int mtu)
{
	struct ifreq	 ifr;
	int		 s;

	if (geteuid() != 0)
		atf_tc_skip("needs root for a network namespace");
	ATF_REQUIRE_MSG(unshare(CLONE_NEWNET) == 0, "unshare: %s",
	    strerror(errno));
	ATF_REQUIRE((s = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	ifr.ifr_mtu = mtu;
	ATF_REQUIRE(ioctl(s, SIOCSIFMTU, &ifr) == 0);
	ATF_REQUIRE(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	ATF_REQUIRE(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
}

ATF_TC_WITHOUT_HEAD(refused_run);
ATF_TC_BODY(refused_run, tc)
{
	struct sockaddr_storage	 to, from;
	struct udpio_rx		*rx;
	socklen_t		 tolen, fromlen;
	size_t			 n, i;
	int			 r, s, gso = 1;

	/*
	 * A path MTU below the segments: the kernel refuses the GSO send
	 * (EINVAL), and the run goes out datagram by datagram, which the
	 * kernel fragments, since WireGuard's outer packets may be.
	 */
	small_mtu_netns(1280);
	ATF_REQUIRE((rx = udpio_rx_new()) != NULL);
	r = bound(AF_INET, "127.0.0.1", &to, &tolen);
	s = bound(AF_INET, "127.0.0.1", &from, &fromlen);
	n = run(20, 1452, 1452);
	ATF_REQUIRE(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, NULL,
	    iov, n) == 0);
	ATF_CHECK_EQ(gso, 1);
	ATF_REQUIRE_EQ(receive(r, rx, dg, n), n);
	check_run(dg, n, 1452, 1452);

	/* What no path takes fails, and says why. */
	n = run(3, 1452, 1452);
	for (i = 0; i < n; i++) {
		iov[i].iov_len = 70000;
		ATF_REQUIRE((iov[i].iov_base = calloc(1, 70000)) != NULL);
	}
	ATF_CHECK(udpio_send(s, &gso, (struct sockaddr *)&to, tolen, NULL,
	    iov, n) == -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	for (i = 0; i < n; i++)
		free(iov[i].iov_base);
	close(r);
	close(s);
	udpio_rx_free(rx);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ipv4);
	ATF_TP_ADD_TC(tp, ipv6);
	ATF_TP_ADD_TC(tp, gso_eio);
	ATF_TP_ADD_TC(tp, refused_run);
	return atf_no_error();
}
