/*
 * Hostile traffic for wgd's listening port, for the network tests.  It
 * sends only to the one address it is given, stops by itself (a bounded
 * number of datagrams, a bounded time), and prints what it sent and
 * what came back:
 *
 *	hostile [-c] [-d seconds] [-k pubkey] [-n rounds] [-r rate]
 *	    [-s source] mode address port
 *
 * Modes:
 *	lengths		every length 0-1500: random bytes, then the same
 *			length behind each message type's header
 *	badmac		initiations (148), responses (92) and cookie
 *			replies (64) with the right type, random content
 *	unknownindex	transport data (type 4), 16-1500 bytes, for random
 *			receiver indexes
 *	flood		handshake initiations at -r a second for -d
 *			seconds.  Without -k their MAC1 is wrong; with -k
 *			(the target's public key, base64) three in four
 *			carry a valid MAC1, which makes the target do
 *			Diffie-Hellman until it is under load and answers
 *			with cookies.  With -c the cookies are decrypted
 *			and used for MAC2, as a real peer would, so the
 *			per-source rate limit is what stops them.
 *
 * -n rounds (default 3) repeats lengths, badmac and unknownindex; -r
 * (default 10000) paces every mode; -s binds the source address.  The
 * output is one line: sent, send errors, datagrams received, cookie
 * replies received and decrypted.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <endian.h>
#include <err.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "blake2s.h"
#include "cookie.h"
#include "key.h"
#include "wg_proto.h"

#define MAX_LEN		1500
#define MAX_ROUNDS	100
#define MAX_SECONDS	60
#define MAX_RATE	100000
#define NSEC		1000000000ULL

/* Initiations remembered by sender index, to open cookie replies. */
#define RING		8192

struct target {
	int			 fd;
	uint64_t		 start;		/* ns */
	uint64_t		 deadline;	/* ns */
	uint64_t		 rate;
	uint64_t		 sent;
	uint64_t		 errors;
	uint64_t		 received;
	uint64_t		 cookies;
	uint64_t		 opened;

	int			 has_key;
	uint8_t			 mac1_key[WG_HASH_SIZE];
	uint8_t			 cookie_key[WG_KEY_SIZE];
	int			 obey;		/* -c */
	int			 has_cookie;
	uint8_t			 cookie[WG_COOKIE_SIZE];
	struct {
		uint32_t	 sender;
		uint8_t		 mac1[WG_MAC_SIZE];
	}			 ring[RING];
};

static void	 usage(void) __attribute__((__noreturn__));
static uint64_t	 now_ns(void);
static void	 drain(struct target *);
static int	 pace(struct target *);
static void	 send_one(struct target *, const void *, size_t);
static void	 mode_lengths(struct target *, int);
static void	 mode_badmac(struct target *, int);
static void	 mode_unknownindex(struct target *, int);
static void	 mode_flood(struct target *, uint64_t);

static void
usage(void)
{
	fprintf(stderr, "usage: hostile [-c] [-d seconds] [-k pubkey] "
	    "[-n rounds] [-r rate] [-s source]\n"
	    "\tlengths|badmac|unknownindex|flood address port\n");
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Hash(label || key), as the whitepaper's mac1 and cookie keys. */
/* Reads what came back; opens cookie replies to our initiations. */
static void
drain(struct target *t)
{
	struct wg_msg_cookie	 msg;
	uint8_t			 buf[2048], cookie[WG_COOKIE_SIZE];
	uint32_t		 rcv;
	ssize_t			 n;
	size_t			 slot;

	while ((n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		t->received++;
		if (n != sizeof(msg) || buf[0] != WG_MSG_COOKIE)
			continue;
		t->cookies++;
		if (!t->has_key)
			continue;
		memcpy(&msg, buf, sizeof(msg));
		rcv = le32toh(msg.receiver);
		slot = rcv % RING;
		if (t->ring[slot].sender != rcv)
			continue;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL,
		    NULL, msg.cookie_enc, sizeof(msg.cookie_enc),
		    t->ring[slot].mac1, WG_MAC_SIZE, msg.nonce,
		    t->cookie_key) != 0)
			continue;
		t->opened++;
		if (t->obey) {
			memcpy(t->cookie, cookie, sizeof(cookie));
			t->has_cookie = 1;
		}
	}
}

/*
 * Waits until the next datagram is due at t->rate a second.  0 to send
 * it, -1 once the deadline has passed.
 */
static int
pace(struct target *t)
{
	struct timespec	 ts;
	uint64_t	 due, now;

	due = t->start + t->sent * NSEC / t->rate;
	for (;;) {
		now = now_ns();
		if (now >= t->deadline)
			return -1;
		if (now >= due)
			return 0;
		drain(t);
		if (due - now > 1000000)
			due = now + 1000000;
		ts.tv_sec = 0;
		ts.tv_nsec = due - now;
		nanosleep(&ts, NULL);
		due = t->start + t->sent * NSEC / t->rate;
	}
}

static void
send_one(struct target *t, const void *buf, size_t len)
{
	if (send(t->fd, buf, len, 0) == -1)
		t->errors++;
	t->sent++;
}

static void
mode_lengths(struct target *t, int rounds)
{
	uint8_t		 buf[MAX_LEN];
	uint32_t	 type, le;
	size_t		 len;
	int		 r;

	for (r = 0; r < rounds; r++) {
		for (len = 0; len <= MAX_LEN; len++) {
			for (type = 0; type <= WG_MSG_DATA; type++) {
				if (type != 0 && len < sizeof(type))
					break;
				if (pace(t) == -1)
					return;
				randombytes_buf(buf, len);
				if (type != 0) {
					le = htole32(type);
					memcpy(buf, &le, sizeof(le));
				}
				send_one(t, buf, len);
			}
		}
	}
}

static void
mode_badmac(struct target *t, int rounds)
{
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	struct wg_msg_cookie		 cookie;
	int				 r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 1000; i++) {
			if (pace(t) == -1)
				return;
			switch (i % 3) {
			case 0:
				randombytes_buf(&init, sizeof(init));
				init.type = htole32(WG_MSG_INITIATION);
				send_one(t, &init, sizeof(init));
				break;
			case 1:
				randombytes_buf(&resp, sizeof(resp));
				resp.type = htole32(WG_MSG_RESPONSE);
				send_one(t, &resp, sizeof(resp));
				break;
			default:
				randombytes_buf(&cookie, sizeof(cookie));
				cookie.type = htole32(WG_MSG_COOKIE);
				send_one(t, &cookie, sizeof(cookie));
				break;
			}
		}
	}
}

static void
mode_unknownindex(struct target *t, int rounds)
{
	static const size_t	 sizes[] = { 16, 31, 32, 33, 47, 48, 64, 96,
	    128, 148, 256, 512, 1024, 1280, 1452, 1472, 1500 };
	uint8_t			 buf[MAX_LEN];
	struct wg_msg_data	 hdr;
	size_t			 len;
	int			 r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 1000; i++) {
			if (pace(t) == -1)
				return;
			if (i < (int)(sizeof(sizes) / sizeof(sizes[0])))
				len = sizes[i];
			else
				len = WG_MSG_DATA_HEADER_SIZE +
				    randombytes_uniform(MAX_LEN -
				    WG_MSG_DATA_HEADER_SIZE + 1);
			randombytes_buf(buf, len);
			randombytes_buf(&hdr, sizeof(hdr));
			hdr.type = htole32(WG_MSG_DATA);
			/* Small counters too: those a real session accepts. */
			if (i % 2)
				hdr.counter = htole64(i);
			memcpy(buf, &hdr, sizeof(hdr));
			send_one(t, buf, len);
		}
	}
}

static void
mode_flood(struct target *t, uint64_t count)
{
	struct wg_msg_initiation	 msg;
	uint32_t			 sender;
	size_t				 mac1_off, mac2_off;

	mac1_off = offsetof(struct wg_msg_initiation, macs.mac1);
	mac2_off = offsetof(struct wg_msg_initiation, macs.mac2);
	while (t->sent < count && pace(t) == 0) {
		randombytes_buf(&msg, sizeof(msg));
		msg.type = htole32(WG_MSG_INITIATION);
		sender = (uint32_t)t->sent;
		msg.sender = htole32(sender);
		if (t->has_key && t->sent % 4 != 3) {
			blake2s((uint8_t *)&msg + mac1_off, WG_MAC_SIZE,
			    t->mac1_key, sizeof(t->mac1_key),
			    (uint8_t *)&msg, mac1_off);
			if (t->has_cookie)
				blake2s((uint8_t *)&msg + mac2_off,
				    WG_MAC_SIZE, t->cookie,
				    sizeof(t->cookie), (uint8_t *)&msg,
				    mac2_off);
			else
				memset(msg.macs.mac2, 0, WG_MAC_SIZE);
			t->ring[sender % RING].sender = sender;
			memcpy(t->ring[sender % RING].mac1, msg.macs.mac1,
			    WG_MAC_SIZE);
		}
		send_one(t, &msg, sizeof(msg));
	}
}

int
main(int argc, char *argv[])
{
	static struct target	 t;
	struct addrinfo		 hints, *dst, *src = NULL;
	uint8_t			 pub[WG_KEY_LEN];
	const char		*errstr, *mode, *source = NULL;
	uint64_t		 seconds = 5, count;
	int			 ch, rounds = 3, error;

	t.rate = 10000;
	while ((ch = getopt(argc, argv, "cd:k:n:r:s:")) != -1) {
		switch (ch) {
		case 'c':
			t.obey = 1;
			break;
		case 'd':
			seconds = strtonum(optarg, 1, MAX_SECONDS, &errstr);
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		case 'k':
			if (key_from_base64(pub, optarg) == -1)
				errx(2, "bad public key %s", optarg);
			cookie_hash_key(t.mac1_key, WG_LABEL_MAC1, pub);
			cookie_hash_key(t.cookie_key, WG_LABEL_COOKIE, pub);
			t.has_key = 1;
			break;
		case 'n':
			rounds = strtonum(optarg, 1, MAX_ROUNDS, &errstr);
			if (errstr != NULL)
				errx(2, "rounds %s: %s", optarg, errstr);
			break;
		case 'r':
			t.rate = strtonum(optarg, 1, MAX_RATE, &errstr);
			if (errstr != NULL)
				errx(2, "rate %s: %s", optarg, errstr);
			break;
		case 's':
			source = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	mode = argv[0];
	if (t.obey && !t.has_key)
		errx(2, "-c needs -k");
	if (sodium_init() == -1)
		errx(1, "sodium_init");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((error = getaddrinfo(argv[1], argv[2], &hints, &dst)) != 0)
		errx(2, "%s port %s: %s", argv[1], argv[2],
		    gai_strerror(error));
	if (source != NULL) {
		hints.ai_family = dst->ai_family;
		hints.ai_flags |= AI_PASSIVE;
		if ((error = getaddrinfo(source, "0", &hints, &src)) != 0)
			errx(2, "source %s: %s", source, gai_strerror(error));
	}
	if ((t.fd = socket(dst->ai_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (src != NULL && bind(t.fd, src->ai_addr, src->ai_addrlen) == -1)
		err(1, "bind %s", source);
	/* Connected: nothing but the target is ever sent to or read. */
	if (connect(t.fd, dst->ai_addr, dst->ai_addrlen) == -1)
		err(1, "connect %s", argv[1]);

	t.start = now_ns();
	t.deadline = t.start + MAX_SECONDS * NSEC;
	if (strcmp(mode, "lengths") == 0)
		mode_lengths(&t, rounds);
	else if (strcmp(mode, "badmac") == 0)
		mode_badmac(&t, rounds);
	else if (strcmp(mode, "unknownindex") == 0)
		mode_unknownindex(&t, rounds);
	else if (strcmp(mode, "flood") == 0) {
		t.deadline = t.start + seconds * NSEC;
		count = seconds * t.rate;
		mode_flood(&t, count);
	} else
		usage();

	/* Late answers, for a moment. */
	usleep(200000);
	drain(&t);
	printf("%s sent %llu errors %llu received %llu cookies %llu "
	    "opened %llu seconds %.1f\n", mode, (unsigned long long)t.sent,
	    (unsigned long long)t.errors, (unsigned long long)t.received,
	    (unsigned long long)t.cookies, (unsigned long long)t.opened,
	    (double)(now_ns() - t.start) / NSEC);
	explicit_bzero(&t, sizeof(t));
	freeaddrinfo(dst);
	if (src != NULL)
		freeaddrinfo(src);
	return 0;
}
