/*
 * The engine's receive path (wgd/datapath.c's datapath_udp_read, and
 * under it peer.c, noise.c, cookie.c, replay.c, ratelimiter.c,
 * failmem.c, allowedips.c and vnet.c's coalescing) on datagrams from
 * the network, as the engine runs it: an interface A with a fixed
 * private key and two peers, P and Q, built as t_peer.c builds them.
 *
 * A fuzzer cannot forge a MAC or an AEAD tag, so the harness also plays
 * P, whose private key it holds, with noise.c and cookie.c: the input
 * is a script of steps, each an opcode byte and its operands, and a
 * step either sends bytes of the input as they are, or a message P
 * makes with fields of the input (its ephemeral key, timestamp, sender
 * index, counter, inner packet), or moves the clock.  What A sends
 * back is P's to read: it answers an initiation, takes a cookie reply,
 * keeps the session a response gives it.  So every path of the
 * receiver is in reach: MAC1 and MAC2, cookie replies under load (more
 * than 64 handshake messages in 1/8 s), initiations accepted and
 * replayed, responses, transport data through the replay window onto
 * the TUN queue, and garbage of any type and length in between.
 *
 * The engine stays in this process and does no I/O: the link wraps
 * (make: LINK_FLAGS) udpio_recv(), which returns the step's datagrams,
 * and udpio_send() and sendto(), which hand what A sends to P; TUN
 * writes go to no descriptor.  The clock (now_ns, defined here in place
 * of clock.c's), the wall clock (clock_gettime, time: wrapped) and
 * libsodium's randomness (a generator of the harness's own) start over
 * at each input, so an input always does the same.  Everything is built
 * at the start of an input and freed at its end.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <sodium.h>

#include "engine.h"
#include "fuzz.h"
#include "key.h"
#include "noise.h"
#include "vnet.h"
#include "wg_proto.h"

/* The vectors' keys (../shared/vectors/wg-handshake.json). */
#define A_PRIVATE	"ICIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A="
#define P_PRIVATE	"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A="
#define Q_PRIVATE	"QEJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A="
#define PSK		"gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A="

#define S(x)		((uint64_t)(x) * NSEC_PER_SEC)
#define START		S(1000)
#define EPOCH		1700000000	/* the wall clock at START */

#define BATCH_MAX	128		/* datagrams of one receive */
#define OUTBOX_MAX	256		/* datagrams A sends in one step */
#define DGRAM_MAX	(WG_MSG_DATA_HEADER_SIZE + 2048 + WG_DATA_PADDING + \
			    WG_AEAD_TAG_SIZE)
#define REPEAT_MAX	80		/* past LOAD_THRESHOLD */
#define DGRAMS_MAX	256		/* to A, per input: a few ms */

enum op {
	OP_RAW,		/* len, bytes: as they are */
	OP_RAW_MACS,	/* len, bytes: with P's MAC1 (and MAC2) put on */
	OP_INIT,	/* P's initiation */
	OP_RESP,	/* P's response to A's initiation */
	OP_COOKIE,	/* P's cookie reply to A's last handshake message */
	OP_DATA,	/* P's transport data */
	OP_A_INIT,	/* A initiates */
	OP_TICK,	/* the clock moves; A's timers run */
	OP_REPEAT,	/* the last datagram again, many times, one batch */
	OP_BATCH,	/* datagrams wait for the next OP_BATCH, then go */
	OP_MAX
};

uint64_t	now_ns(void);
int		__wrap_udpio_recv(int, struct udpio_rx *, struct udpio_dgram *,
		    size_t);
int		__wrap_udpio_send(int, int *, const struct sockaddr *,
		    socklen_t, const struct udpio_local *, struct iovec *,
		    size_t);
ssize_t		__wrap_sendto(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t);
int		__wrap_clock_gettime(clockid_t, struct timespec *);
time_t		__wrap_time(time_t *);
int		__real_clock_gettime(clockid_t, struct timespec *);
time_t		__real_time(time_t *);

/* With the bytes udpio.c gives around a receive buffer, to be read. */
struct dgram {
	uint8_t			 before[UDPIO_RECV_ROOM];
	uint8_t			 buf[DGRAM_MAX];
	uint8_t			 after[UDPIO_RECV_ROOM];
	size_t			 len;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
};

static uint64_t		 fake_now;
static int		 faking;	/* the engine runs: its clocks */

/* Datagrams to A, one receive's, and what A sent. */
static struct dgram	*batch;
static size_t		 nbatch;
static int		 batching, delivered;
static struct dgram	*outbox;
static size_t		 noutbox;
static struct dgram	 last;		/* the last one to A */
static size_t		 budget;	/* datagrams left for this input */

/* A and its peers. */
static struct eng_iface	 ifc;
static struct eng_peer	 peer_p, peer_q;
static uint8_t		 a_priv[WG_KEY_LEN], a_pub[WG_KEY_LEN];
static uint8_t		 p_priv[WG_KEY_LEN], p_pub[WG_KEY_LEN];
static uint8_t		 q_pub[WG_KEY_LEN], psk[WG_KEY_LEN];

/* P, played by the harness. */
static struct noise_local	 p_local;
static struct noise_remote	 p_remote;	/* A, as P has it */
static struct cookie_maker	 p_maker;	/* MACs on P's messages */
static struct cookie_checker	 p_checker;	/* cookies P gives */
static struct noise_keypair	 p_kp;
static int			 p_has_kp;
static uint64_t			 p_counter;
static uint8_t			 a_last[WG_MSG_INITIATION_SIZE];
static size_t			 a_last_len;	/* A's last handshake msg */
static uint64_t			 p_tai;

/* libsodium's randomness, from a fixed seed and a counter. */
static uint64_t		 rng_calls;

static const char *
rng_name(void)
{
	return "fuzz";
}

static void
rng_buf(void *buf, size_t len)
{
	uint8_t	 seed[randombytes_SEEDBYTES];

	memset(seed, 0x5a, sizeof(seed));
	memcpy(seed, &rng_calls, sizeof(rng_calls));
	rng_calls++;
	randombytes_buf_deterministic(buf, len, seed);
}

static uint32_t
rng_random(void)
{
	uint32_t	 v;

	rng_buf(&v, sizeof(v));
	return v;
}

static void
rng_stir(void)
{
}

static struct randombytes_implementation rng = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = rng_stir,
	.buf = rng_buf,
};

uint64_t
now_ns(void)
{
	return fake_now;
}

int
__wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	uint64_t	 t = fake_now - START;

	if (!faking)
		return __real_clock_gettime(clock, ts);
	ts->tv_sec = (clock == CLOCK_REALTIME ? EPOCH : 0) +
	    (time_t)(t / NSEC_PER_SEC);
	ts->tv_nsec = (long)(t % NSEC_PER_SEC);
	return 0;
}

time_t
__wrap_time(time_t *t)
{
	struct timespec	 ts;

	if (!faking)
		return __real_time(t);
	__wrap_clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

/* What A sends goes to P's outbox. */
static void
sent(const void *buf, size_t len)
{
	FUZZ_CHECK(len <= DGRAM_MAX);
	if (noutbox == OUTBOX_MAX)
		return;
	memcpy(outbox[noutbox].buf, buf, len);
	outbox[noutbox++].len = len;
}

int
__wrap_udpio_send(int fd, int *gso, const struct sockaddr *to,
    socklen_t tolen, const struct udpio_local *src, struct iovec *iov,
    size_t n)
{
	size_t	 i;

	(void)fd;
	(void)gso;
	(void)src;
	FUZZ_CHECK(tolen > 0 && (to->sa_family == AF_INET ||
	    to->sa_family == AF_INET6));
	for (i = 0; i < n; i++)
		sent(iov[i].iov_base, iov[i].iov_len);
	return 0;
}

ssize_t
__wrap_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	(void)fd;
	(void)flags;
	FUZZ_CHECK(tolen > 0 && (to->sa_family == AF_INET ||
	    to->sa_family == AF_INET6));
	sent(buf, len);
	return (ssize_t)len;
}

/* One receive: the batch, once; then nothing. */
int
__wrap_udpio_recv(int fd, struct udpio_rx *rx, struct udpio_dgram *out,
    size_t nout)
{
	size_t	 i;

	(void)fd;
	(void)rx;
	if (delivered)
		return 0;
	delivered = 1;
	for (i = 0; i < nbatch && i < nout; i++) {
		out[i].data = batch[i].buf;
		out[i].len = batch[i].len;
		out[i].from = &batch[i].from;
		out[i].fromlen = batch[i].fromlen;
		memset(&out[i].local, 0, sizeof(out[i].local));
	}
	return (int)i;
}

/* Where P sends from: one of two addresses, as bit says. */
static void
p_address(struct dgram *d, int v6)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&d->from;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&d->from;

	memset(&d->from, 0, sizeof(d->from));
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(51820);
		inet_pton(AF_INET6, "2001:db8::2", &sin6->sin6_addr);
		d->fromlen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(51820);
		inet_pton(AF_INET, "192.0.2.2", &sin->sin_addr);
		d->fromlen = sizeof(*sin);
	}
}

static void process_outbox(void);

/* The batch goes to A: one wake-up of its UDP socket. */
static void
flush(void)
{
	if (nbatch == 0)
		return;
	delivered = 0;
	datapath_udp_read(ifc.udp4_fd, EV_READ, &ifc);
	FUZZ_CHECK(delivered);
	nbatch = 0;
	process_outbox();
}

static void
deliver(const void *buf, size_t len, int v6)
{
	struct dgram	*d;

	if (budget == 0)
		return;
	budget--;
	if (len > DGRAM_MAX)
		len = DGRAM_MAX;
	if (nbatch == BATCH_MAX)
		flush();
	d = &batch[nbatch++];
	memcpy(d->buf, buf, len);
	d->len = len;
	p_address(d, v6);
	last = *d;
	if (!batching)
		flush();
}

/* P reads what A sent it. */
static void
process_outbox(void)
{
	struct noise_pending	 pending;
	struct dgram		*d;
	uint8_t			 pt[DGRAM_MAX];
	uint32_t		 type, receiver;
	uint64_t		 counter;
	size_t			 i;

	for (i = 0; i < noutbox; i++) {
		d = &outbox[i];
		FUZZ_CHECK(d->len >= 4);
		memcpy(&type, d->buf, sizeof(type));
		switch (le32toh(type)) {
		case WG_MSG_INITIATION:
			FUZZ_CHECK(d->len == WG_MSG_INITIATION_SIZE);
			/* A's MACs are made with P's key: they hold. */
			FUZZ_CHECK(cookie_checker_validate_mac1(&p_checker,
			    d->buf, d->len) == 0);
			FUZZ_CHECK(noise_consume_initiation(&p_local,
			    (struct wg_msg_initiation *)d->buf, &pending) ==
			    0);
			FUZZ_CHECK(memcmp(pending.remote_public, a_pub,
			    WG_KEY_LEN) == 0);
			/* Its timestamp may be the last one's: refused. */
			(void)noise_accept_initiation(&p_remote, &pending);
			memcpy(a_last, d->buf, d->len);
			a_last_len = d->len;
			break;
		case WG_MSG_RESPONSE:
			FUZZ_CHECK(d->len == WG_MSG_RESPONSE_SIZE);
			FUZZ_CHECK(cookie_checker_validate_mac1(&p_checker,
			    d->buf, d->len) == 0);
			memcpy(a_last, d->buf, d->len);
			a_last_len = d->len;
			/* To an initiation P has since replaced: refused. */
			if (noise_consume_response(&p_local, &p_remote,
			    (struct wg_msg_response *)d->buf) == 0) {
				noise_keypair_clear(&p_kp);
				FUZZ_CHECK(noise_derive_keypair(&p_remote,
				    &p_kp) == 0);
				p_has_kp = 1;
				p_counter = 0;
			}
			break;
		case WG_MSG_COOKIE:
			FUZZ_CHECK(d->len == WG_MSG_COOKIE_SIZE);
			(void)cookie_maker_consume_reply(&p_maker,
			    (struct wg_msg_cookie *)d->buf, fake_now);
			break;
		case WG_MSG_DATA:
			FUZZ_CHECK(d->len >= WG_MSG_DATA_MIN_SIZE);
			memcpy(&receiver, d->buf + 4, sizeof(receiver));
			memcpy(&counter, d->buf + 8, sizeof(counter));
			/* A keepalive or staged data, on P's session or not. */
			if (p_has_kp && le32toh(receiver) == p_kp.local_index)
				(void)noise_decrypt(&p_kp, le64toh(counter),
				    d->buf + WG_MSG_DATA_HEADER_SIZE, d->len -
				    WG_MSG_DATA_HEADER_SIZE, pt);
			break;
		default:
			FUZZ_CHECK(!"A sent a message of no type");
		}
	}
	noutbox = 0;
}

static void
op_raw(struct fuzz_in *in, int macs, int v6)
{
	uint8_t		 buf[DGRAM_MAX];
	size_t		 len;

	len = fuzz_u16(in) % (DGRAM_MAX + 1);
	len = fuzz_bytes(in, buf, len);
	if (macs)
		(void)cookie_maker_mac(&p_maker, buf, len, fake_now);
	deliver(buf, len, v6);
}

/* A key's worth of the input, as a private key. */
static void
private_of(struct fuzz_in *in, uint8_t key[WG_KEY_LEN])
{
	fuzz_bytes(in, key, WG_KEY_LEN);
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

static void
op_init(struct fuzz_in *in, int v6)
{
	struct wg_msg_initiation	 msg;
	uint8_t				 eph[WG_KEY_LEN];
	uint8_t				 tai[WG_TIMESTAMP_SIZE];
	uint8_t				 flags, at, x;
	uint32_t			 sender;

	flags = fuzz_u8(in);
	sender = fuzz_u32(in);
	private_of(in, eph);
	/* A timestamp of the input's, or one newer than the last. */
	if (flags & 1)
		fuzz_bytes(in, tai, sizeof(tai));
	else
		noise_tai64n(tai, EPOCH + (int64_t)p_tai++, 0);
	if (noise_create_initiation(&p_local, &p_remote, eph, tai, sender,
	    &msg) == -1)
		return;
	/* A byte changed before the MACs: a message that does not open. */
	if (flags & 2) {
		at = fuzz_u8(in);
		x = fuzz_u8(in);
		((uint8_t *)&msg)[at % offsetof(struct wg_msg_initiation,
		    macs)] ^= x;
	}
	cookie_maker_mac(&p_maker, &msg, sizeof(msg), fake_now);
	deliver(&msg, sizeof(msg), v6);
}

static void
op_resp(struct fuzz_in *in, int v6)
{
	struct wg_msg_response	 msg;
	uint8_t			 eph[WG_KEY_LEN];
	uint32_t		 sender;

	sender = fuzz_u32(in);
	private_of(in, eph);
	if (p_remote.hs.state != NOISE_STATE_CONSUMED_INITIATION ||
	    noise_create_response(&p_remote, eph, sender, &msg) == -1)
		return;
	cookie_maker_mac(&p_maker, &msg, sizeof(msg), fake_now);
	/* P's session is there, to use once A has confirmed it. */
	noise_keypair_clear(&p_kp);
	FUZZ_CHECK(noise_derive_keypair(&p_remote, &p_kp) == 0);
	p_has_kp = 1;
	p_counter = 0;
	deliver(&msg, sizeof(msg), v6);
}

static void
op_cookie(int v6)
{
	struct wg_msg_cookie		 reply;
	struct sockaddr_in		 a;

	if (a_last_len == 0)
		return;
	/* A's address, as P sees the message come. */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(51820);
	inet_pton(AF_INET, "198.51.100.1", &a.sin_addr);
	if (cookie_checker_create_reply(&p_checker, &reply, a_last,
	    a_last_len, (struct sockaddr *)&a, fake_now) == 0)
		deliver(&reply, sizeof(reply), v6);
}

/* An IPv4 packet from 10.0.0.2 (P's) or 10.0.0.3 (Q's) to A. */
static size_t
inner_ipv4(uint8_t *p, size_t paylen, int from_q)
{
	size_t	 len = 20 + paylen;
	uint16_t c;

	memmove(p + 20, p, paylen);
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	p[12] = 10;
	p[15] = from_q ? 3 : 2;
	p[16] = 10;
	p[19] = 1;
	c = vnet_csum_fold(vnet_csum_add(0, p, 20));
	p[10] = (uint8_t)(~c >> 8);
	p[11] = (uint8_t)~c;
	return len;
}

static void
op_data(struct fuzz_in *in, int v6)
{
	uint8_t		 buf[DGRAM_MAX], pt[2048];
	uint8_t		 flags;
	uint32_t	 receiver;
	uint64_t	 counter;
	size_t		 len, padded;

	flags = fuzz_u8(in);
	counter = flags & 1 ? fuzz_u64(in) : p_counter++;
	receiver = flags & 4 ? fuzz_u32(in) : p_kp.remote_index;
	len = fuzz_u16(in) % (sizeof(pt) - 20 - WG_DATA_PADDING);
	len = fuzz_bytes(in, pt, len);
	if (flags & 2)
		len = inner_ipv4(pt, len, flags & 8);
	if (!p_has_kp)
		return;
	padded = (len + WG_DATA_PADDING - 1) / WG_DATA_PADDING *
	    WG_DATA_PADDING;
	memset(pt + len, 0, padded - len);
	buf[0] = WG_MSG_DATA;
	buf[1] = buf[2] = buf[3] = 0;
	receiver = htole32(receiver);
	memcpy(buf + 4, &receiver, 4);
	counter = htole64(counter);
	memcpy(buf + 8, &counter, 8);
	if (noise_encrypt(&p_kp, le64toh(counter), pt, padded,
	    buf + WG_MSG_DATA_HEADER_SIZE) == -1)
		return;
	deliver(buf, WG_MSG_DATA_HEADER_SIZE + padded + WG_AEAD_TAG_SIZE, v6);
}

static void
op_tick(struct fuzz_in *in)
{
	uint16_t	 t = fuzz_u16(in);

	/* Up to 65 s in ms, or up to 18 hours in s. */
	fake_now += t & 1 ? S(t >> 1) : (uint64_t)(t >> 1) * 1000000;
	peer_timers_run(&peer_p);
	peer_timers_run(&peer_q);
	process_outbox();
}

static void
op_repeat(struct fuzz_in *in)
{
	size_t	 n = fuzz_u8(in) % (REPEAT_MAX + 1), i;
	int	 was = batching;

	if (last.len == 0)
		return;
	batching = 1;
	for (i = 0; i < n; i++)
		deliver(last.buf, last.len, last.from.ss_family == AF_INET6);
	batching = was;
	if (!batching)
		flush();
}

static void
key_of(uint8_t key[WG_KEY_LEN], const char *b64)
{
	if (key_from_base64(key, b64) == -1)
		abort();
}

static void
setup(void)
{
	uint8_t	 q_priv[WG_KEY_LEN];

	if (randombytes_set_implementation(&rng) != 0 || sodium_init() == -1)
		abort();
	fuzz_quiet_log();
	event_init();
	index_init();
	peer_keys_init();
	faking = 1;
	datapath_init();
	faking = 0;
	if ((batch = calloc(BATCH_MAX, sizeof(*batch))) == NULL ||
	    (outbox = calloc(OUTBOX_MAX, sizeof(*outbox))) == NULL)
		abort();
	key_of(a_priv, A_PRIVATE);
	key_of(p_priv, P_PRIVATE);
	key_of(q_priv, Q_PRIVATE);
	key_of(psk, PSK);
	if (key_public_from_private(a_pub, a_priv) == -1 ||
	    key_public_from_private(p_pub, p_priv) == -1 ||
	    key_public_from_private(q_pub, q_priv) == -1)
		abort();
	sodium_memzero(q_priv, sizeof(q_priv));
}

static void
route(struct eng_peer *p, const char *s)
{
	struct wgd_prefix	 pfx;

	if (addr_parse_prefix(s, &pfx) == -1 ||
	    allowedips_insert(&ifc.routes, &pfx, p) == -1)
		abort();
}

/* A, up as t_peer.c's iface_up and peer_up make it, with P and Q. */
static void
engine_up(uint8_t flags)
{
	struct dgram	 d;

	memset(&ifc, 0, sizeof(ifc));
	strlcpy(ifc.name, "wg0", sizeof(ifc.name));
	memcpy(ifc.privkey, a_priv, WG_KEY_LEN);
	ifc.has_privkey = 1;
	FUZZ_CHECK(noise_local_init(&ifc.noise, ifc.privkey) == 0);
	memcpy(ifc.pubkey, ifc.noise.public, WG_KEY_LEN);
	cookie_checker_init(&ifc.cookie, ifc.pubkey);
	FUZZ_CHECK(ratelimiter_init(&ifc.ratelimiter, 64) == 0);
	allowedips_init(&ifc.routes);
	ifc.mtu = 1420;
	ifc.tun_fd = -1;
	/* Never used: udpio_send and sendto are the harness's. */
	ifc.udp4_fd = ifc.udp6_fd = 1000;
	ifc.listen_port = 51820;
	TAILQ_INIT(&ifc.peers);
	ifc.running = 1;

	memset(&peer_p, 0, sizeof(peer_p));
	strlcpy(peer_p.name, "phone", sizeof(peer_p.name));
	peer_p.iface = &ifc;
	peer_p.has_pubkey = 1;
	memcpy(peer_p.pubkey, p_pub, WG_KEY_LEN);
	/* The first byte: a preshared key or not, a keepalive or not. */
	peer_p.has_psk = !(flags & 1);
	memcpy(peer_p.psk, psk, WG_KEY_LEN);
	peer_p.keepalive = flags & 2 ? 25 : 0;
	TAILQ_INSERT_TAIL(&ifc.peers, &peer_p, entry);
	FUZZ_CHECK(peer_start(&peer_p) == 0 && peer_p.usable);
	/* P's address, known unless the first byte says not. */
	if (!(flags & 4)) {
		p_address(&d, 0);
		peer_set_endpoint(&peer_p, (struct sockaddr *)&d.from,
		    d.fromlen, NULL);
	}
	route(&peer_p, "10.0.0.2/32");
	route(&peer_p, "fd00::2/128");

	memset(&peer_q, 0, sizeof(peer_q));
	strlcpy(peer_q.name, "laptop", sizeof(peer_q.name));
	peer_q.iface = &ifc;
	peer_q.has_pubkey = 1;
	memcpy(peer_q.pubkey, q_pub, WG_KEY_LEN);
	TAILQ_INSERT_TAIL(&ifc.peers, &peer_q, entry);
	FUZZ_CHECK(peer_start(&peer_q) == 0 && peer_q.usable);
	route(&peer_q, "10.0.0.3/32");
	route(&peer_q, "10.1.0.0/16");

	FUZZ_CHECK(noise_local_init(&p_local, p_priv) == 0);
	FUZZ_CHECK(noise_remote_init(&p_remote, &p_local, a_pub,
	    peer_p.has_psk ? psk : NULL) == 0);
	cookie_maker_init(&p_maker, a_pub);
	cookie_checker_init(&p_checker, p_pub);
	memset(&p_kp, 0, sizeof(p_kp));
	p_has_kp = 0;
	p_counter = 0;
	a_last_len = 0;
	p_tai = 0;
	memset(&last, 0, sizeof(last));
	nbatch = noutbox = 0;
	batching = 0;
}

static void
engine_down(void)
{
	struct eng_peer	*p;

	while ((p = TAILQ_FIRST(&ifc.peers)) != NULL) {
		TAILQ_REMOVE(&ifc.peers, p, entry);
		peer_stop(p);
	}
	if (ifc.fail_log_armed)
		evtimer_del(&ifc.fail_log_ev);
	allowedips_free(&ifc.routes);
	ratelimiter_free(&ifc.ratelimiter);
	cookie_checker_free(&ifc.cookie);
	noise_local_clear(&ifc.noise);
	noise_local_clear(&p_local);
	noise_remote_clear(&p_remote);
	cookie_maker_free(&p_maker);
	cookie_checker_free(&p_checker);
	noise_keypair_clear(&p_kp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int	 ready;
	struct fuzz_in	 in = { data, len };
	uint8_t		 op;
	int		 v6, steps = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (len < 1)
		return 0;
	rng_calls = 0;
	budget = DGRAMS_MAX;
	fake_now = START;
	faking = 1;
	engine_up(fuzz_u8(&in));
	/* At most 64 steps: each can cost some Diffie-Hellmans. */
	while (in.len > 0 && steps++ < 64) {
		op = fuzz_u8(&in);
		v6 = (op & 0x80) != 0;
		switch ((op & 0x7f) % OP_MAX) {
		case OP_RAW:
		case OP_RAW_MACS:
			op_raw(&in, (op & 0x7f) % OP_MAX == OP_RAW_MACS, v6);
			break;
		case OP_INIT:
			op_init(&in, v6);
			break;
		case OP_RESP:
			op_resp(&in, v6);
			break;
		case OP_COOKIE:
			op_cookie(v6);
			break;
		case OP_DATA:
			op_data(&in, v6);
			break;
		case OP_A_INIT:
			peer_send_initiation(&peer_p, 0);
			process_outbox();
			break;
		case OP_TICK:
			op_tick(&in);
			break;
		case OP_REPEAT:
			op_repeat(&in);
			break;
		case OP_BATCH:
			if ((batching = !batching) == 0)
				flush();
			break;
		}
	}
	batching = 0;
	flush();
	engine_down();
	faking = 0;
	return 0;
}
