/*
 * wgd/peer.c and the handshake half of wgd/datapath.c with a fake
 * clock: the engine's peers as the timers drive them, over UDP sockets
 * on the loopback, without a TUN device or a namespace.  This file
 * defines now_ns(), so the linker takes it in place of wgd/clock.c's.
 */

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>
#include <event.h>
#include <sodium.h>

#include "aead.h"
#include "engine.h"
#include "key.h"
#include "log.h"
#include "wg_proto.h"

#define S(x)		((uint64_t)(x) * NSEC_PER_SEC)
#define START		S(1000)

/* Room for a packet and what sealing it in place adds around it. */
#define PKTBUF_SIZE	(AEAD_HEADROOM + 64 + WG_DATA_PADDING + AEAD_TAILROOM)

static uint64_t	 fake_now = START;

uint64_t
now_ns(void)
{
	return fake_now;
}

/* What the engine sets up once, before any interface. */
static void
engine_once(void)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	log_init(1, LOG_DAEMON);
	ATF_REQUIRE(sodium_init() != -1);
	event_init();
	index_init();
	peer_keys_init();
	datapath_init();
}

/* A UDP socket on 127.0.0.1, any port, as the parent would make it. */
static int
udp_socket(struct sockaddr_in *sin)
{
	socklen_t	 len = sizeof(*sin);
	int		 fd;

	ATF_REQUIRE((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) !=
	    -1);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE(bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == 0);
	ATF_REQUIRE(getsockname(fd, (struct sockaddr *)sin, &len) == 0);
	return fd;
}

/* A running interface with a fresh key and the UDP socket fd (or -1). */
static void
iface_up(struct eng_iface *ifc, const char *name, int fd)
{
	engine_once();
	memset(ifc, 0, sizeof(*ifc));
	strlcpy(ifc->name, name, sizeof(ifc->name));
	key_generate_private(ifc->privkey);
	ifc->has_privkey = 1;
	ATF_REQUIRE(noise_local_init(&ifc->noise, ifc->privkey) == 0);
	memcpy(ifc->pubkey, ifc->noise.public, WG_KEY_LEN);
	cookie_checker_init(&ifc->cookie, ifc->pubkey);
	ATF_REQUIRE(ratelimiter_init(&ifc->ratelimiter, 64) == 0);
	allowedips_init(&ifc->routes);
	ifc->mtu = 1420;
	ifc->tun_fd = -1;
	ifc->udp4_fd = fd;
	ifc->udp6_fd = -1;
	TAILQ_INIT(&ifc->peers);
	ifc->running = 1;
}

static void
iface_down(struct eng_iface *ifc)
{
	struct eng_peer	*p;

	while ((p = TAILQ_FIRST(&ifc->peers)) != NULL) {
		TAILQ_REMOVE(&ifc->peers, p, entry);
		peer_stop(p);
	}
	allowedips_free(&ifc->routes);
	ratelimiter_free(&ifc->ratelimiter);
	cookie_checker_free(&ifc->cookie);
	noise_local_clear(&ifc->noise);
	if (ifc->udp4_fd != -1)
		close(ifc->udp4_fd);
}

/* Peer p of ifc, with public key pub, started as the engine does. */
static void
peer_up(struct eng_peer *p, struct eng_iface *ifc, const char *name,
    const uint8_t pub[WG_KEY_LEN])
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->name, name, sizeof(p->name));
	p->iface = ifc;
	p->has_pubkey = 1;
	memcpy(p->pubkey, pub, WG_KEY_LEN);
	TAILQ_INSERT_TAIL(&ifc->peers, p, entry);
	ATF_REQUIRE(peer_start(p) == 0);
	ATF_REQUIRE(p->usable);
}

/* A peer whose other end is nowhere: a key no one holds. */
static void
peer_up_nobody(struct eng_peer *p, struct eng_iface *ifc)
{
	uint8_t	 priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	key_generate_private(priv);
	ATF_REQUIRE(key_public_from_private(pub, priv) == 0);
	peer_up(p, ifc, "phone", pub);
}

/* An IPv4 packet from the host to the peer, as TUN would give it. */
static void
send_from_host(struct eng_peer *p)
{
	uint8_t	 buf[PKTBUF_SIZE];
	uint8_t	*ip = buf + AEAD_HEADROOM;

	memset(buf, 0, sizeof(buf));
	ip[0] = 0x45;
	ip[3] = 28;
	peer_encrypt_send(p, ip, 28);
}

/*
 * Moves the clock from deadline to deadline of p's timers, each doing
 * what it asks, until the packets waiting for a handshake are gone;
 * the time they went, or 0 when they still wait at until.
 */
static uint64_t
run_until_dropped(struct eng_peer *p, uint64_t until)
{
	uint64_t	 next;

	while (p->nstaged > 0) {
		if ((next = timers_next(&p->timers)) == 0 || next > until) {
			if (until > fake_now)
				fake_now = until;
			return 0;
		}
		if (next > fake_now)
			fake_now = next;
		peer_timers_run(p);
	}
	return fake_now;
}

/*
 * A managed peer that never connected has no address: what the host
 * sends it waits for a handshake that cannot start, and goes (counted)
 * when the attempts end, as Linux drops its staged packets after
 * REKEY_ATTEMPT_TIME.  A later packet waits its own 90 s again.
 */
ATF_TC_WITHOUT_HEAD(staged_without_endpoint);
ATF_TC_BODY(staged_without_endpoint, tc)
{
	struct eng_iface	 ifc;
	struct eng_peer		 p;
	uint64_t		 t0, gone;
	int			 i;

	iface_up(&ifc, "wg0", -1);
	peer_up_nobody(&p, &ifc);
	ATF_REQUIRE_EQ(p.endpoint_len, 0);
	t0 = fake_now;
	for (i = 0; i < 3; i++)
		send_from_host(&p);
	ATF_REQUIRE_EQ(p.nstaged, 3);

	ATF_CHECK_EQ(run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME) - 1),
	    0);
	ATF_CHECK_EQ(p.nstaged, 3);
	gone = run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME + 20));
	ATF_CHECK_MSG(gone != 0, "still %u packets waiting after %d s",
	    p.nstaged, REKEY_ATTEMPT_TIME + 20);
	ATF_CHECK_EQ(p.nstaged, 0);
	ATF_CHECK_EQ(ifc.drops[DROP_NO_ENDPOINT], 3);
	ATF_CHECK_EQ(ifc.drops[DROP_HANDSHAKE_TIMEOUT], 0);
	ATF_CHECK_EQ(ifc.handshakes_sent, 0);
	ATF_CHECK(!timers_armed(&p.timers, TIMER_RETRANSMIT_HANDSHAKE));

	t0 = fake_now + S(600);
	fake_now = t0;
	send_from_host(&p);
	ATF_CHECK_EQ(run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME) - 1),
	    0);
	ATF_CHECK_EQ(p.nstaged, 1);
	ATF_CHECK(run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME + 20)) !=
	    0);
	ATF_CHECK_EQ(ifc.drops[DROP_NO_ENDPOINT], 4);
	iface_down(&ifc);
}

/*
 * A peer with an address that never answers: the first initiation and
 * its retries go out, then the handshake is given up and what waited
 * goes with it.
 */
ATF_TC_WITHOUT_HEAD(staged_unanswered);
ATF_TC_BODY(staged_unanswered, tc)
{
	struct eng_iface	 ifc;
	struct eng_peer		 p;
	struct sockaddr_in	 mine, nobody;
	uint64_t		 t0, gone;
	int			 sink;

	iface_up(&ifc, "wg0", udp_socket(&mine));
	sink = udp_socket(&nobody);
	peer_up_nobody(&p, &ifc);
	peer_set_endpoint(&p, (struct sockaddr *)&nobody, sizeof(nobody),
	    NULL);
	t0 = fake_now;
	send_from_host(&p);
	send_from_host(&p);
	ATF_REQUIRE_EQ(p.nstaged, 2);
	ATF_CHECK_EQ(ifc.handshakes_sent, 1);

	ATF_CHECK_EQ(run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME) - 1),
	    0);
	ATF_CHECK_EQ(p.nstaged, 2);
	gone = run_until_dropped(&p, t0 + S(REKEY_ATTEMPT_TIME + 20));
	ATF_CHECK(gone != 0);
	ATF_CHECK_EQ(ifc.drops[DROP_HANDSHAKE_TIMEOUT], 2);
	ATF_CHECK_EQ(ifc.drops[DROP_NO_ENDPOINT], 0);
	/* The first initiation and 19 retries, as Linux sends them. */
	ATF_CHECK_EQ(ifc.handshakes_sent, 20);
	iface_down(&ifc);
	close(sink);
}

/* What the engine does when fd has something to read. */
static void
readable(struct eng_iface *ifc)
{
	datapath_udp_read(ifc->udp4_fd, EV_READ, ifc);
}

/*
 * A whole handshake between two interfaces of this process, and the
 * keepalives that confirm it: each side's transfer counts the handshake
 * messages it sent and accepted, as wg show has them from the kernel.
 */
ATF_TC_WITHOUT_HEAD(handshake_bytes);
ATF_TC_BODY(handshake_bytes, tc)
{
	struct eng_iface	 a, b;
	struct eng_peer		 pa, pb;	/* b as a has it, a as b has it */
	struct sockaddr_in	 sa, sb;
	const uint64_t		 keepalive = WG_MSG_DATA_HEADER_SIZE +
				    WG_AEAD_TAG_SIZE;
	uint8_t			 msg[256];
	uint64_t		 rx;
	int			 i;

	iface_up(&a, "wg0", udp_socket(&sa));
	iface_up(&b, "wg1", udp_socket(&sb));
	peer_up(&pa, &a, "b", b.pubkey);
	peer_up(&pb, &b, "a", a.pubkey);
	peer_set_endpoint(&pa, (struct sockaddr *)&sb, sizeof(sb), NULL);

	peer_send_initiation(&pa, 0);
	ATF_REQUIRE_EQ(a.handshakes_sent, 1);
	ATF_CHECK_EQ(pa.state.tx_bytes, sizeof(struct wg_msg_initiation));
	ATF_CHECK_EQ(pa.state.tx_bytes, 148);

	/* b answers: initiation in, response out. */
	readable(&b);
	ATF_REQUIRE_EQ(b.handshakes_received, 1);
	ATF_CHECK_EQ(pb.state.rx_bytes, 148);
	ATF_CHECK_EQ(pb.state.tx_bytes, sizeof(struct wg_msg_response));
	ATF_CHECK_EQ(pb.state.tx_bytes, 92);

	/* a has its session, and confirms it with a keepalive. */
	readable(&a);
	ATF_REQUIRE(pa.current != NULL);
	ATF_CHECK_EQ(pa.state.rx_bytes, 92);
	ATF_CHECK_EQ(pa.state.tx_bytes, 148 + keepalive);

	/* b takes it, and says so with one of its own. */
	readable(&b);
	ATF_REQUIRE(pb.current != NULL);
	ATF_CHECK_EQ(pb.state.rx_bytes, 148 + keepalive);
	ATF_CHECK_EQ(pb.state.tx_bytes, 92 + keepalive);
	readable(&a);
	ATF_CHECK_EQ(pa.state.rx_bytes, 92 + keepalive);

	/*
	 * An initiation that comes twice counts once: the copy is refused.
	 * Its timestamp is of the real clock, with a grain of 16 ms: the
	 * first copy must be newer than the first handshake's.
	 */
	fake_now += S(REKEY_TIMEOUT);
	usleep(50000);
	rx = pb.state.rx_bytes;
	peer_send_initiation(&pa, 0);
	ATF_REQUIRE_EQ(recv(b.udp4_fd, msg, sizeof(msg), 0), 148);
	for (i = 0; i < 2; i++)
		ATF_REQUIRE_EQ(sendto(a.udp4_fd, msg, 148, 0,
		    (struct sockaddr *)&sb, sizeof(sb)), 148);
	readable(&b);
	ATF_CHECK_EQ(b.drops[DROP_REPLAYED_HANDSHAKE], 1);
	ATF_CHECK_EQ(pb.state.rx_bytes, rx + 148);

	iface_down(&a);
	iface_down(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, staged_without_endpoint);
	ATF_TP_ADD_TC(tp, staged_unanswered);
	ATF_TP_ADD_TC(tp, handshake_bytes);
	return atf_no_error();
}
