/*
 * A handshake flood from many configured peers, for make bench and the
 * hardening tests: what a responder can answer when every initiation is
 * one it must do the Diffie-Hellman work for.
 *
 *	hsflood -g count seed
 *	hsflood [-c cpu] [-d seconds] [-n peers] [-P initiations]
 *	    [-r rate] [-s sources] -k pubkey seed first-source address port
 *	hsflood -T index [-R] [-C counter] [-c cpu] [-d seconds] [-r rate]
 *	    [-s sources] first-source address port
 *
 * Peer i's private key is BLAKE2s(seed || i), so -g prints the public
 * keys of the first count peers, one a line, for the target's
 * configuration, and the flood finds the same peers again.
 *
 * The flood first computes -P initiations (default 100000) to the
 * target's public key -k, from -n peers (default 10000) in turn, each
 * with a timestamp newer than that peer's previous one and than those
 * of any earlier run, before the clock starts, on every CPU: sending
 * then costs no public-key work, so the figure is the target's.  With
 * -c it then moves to that one CPU, as taskset would.  It sends them to
 * address port for -d seconds (default 10) at -r a second (default 0,
 * as fast as it can) from -s source addresses (default 4096) counted up
 * from first-source, so that a target under load, which limits each
 * source to a few handshakes a second, is not stopped by that.  The
 * sources need not be assigned to an interface: the socket is
 * IP_TRANSPARENT, and a local route (ip route add local 10.99.0.0/16
 * dev lo) brings the answers in.
 *
 * A cookie reply is opened and the initiation it answers sent again
 * with MAC2, as a real initiator does; the next ones from that source
 * carry MAC2 too.  An initiation left unanswered for RETRY_NS was
 * dropped unread (the target could not keep up) and is sent again, so
 * the initiations last however fast they go out.  A line on stderr says when sending starts.  The
 * output is one line of counts: seconds,
 * initiations sent, send errors, cookie replies, cookies opened,
 * responses, and responses a second.  Every count is of datagrams but
 * responses, which count the initiations answered.
 *
 * With -T, no handshake: transport data messages to receiver index
 * index (as the packets on the wire carry it, a little-endian number),
 * with counters counted up from -C (default 0) and 64 bytes of
 * ciphertext and a tag that no key made: counters ahead of the
 * session's make the target open each one; counters it has seen, a
 * replay, need not (-R keeps them to the 1024 from -C, so a fast
 * flood never overtakes the session's own), the work of opening each and finding it forged left to
 * the target.  The line of counts then has seconds, datagrams sent,
 * send errors, and datagrams a second.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <endian.h>
#include <err.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
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
#include "noise.h"
#include "wg_proto.h"

#define NSEC		1000000000ULL
#define BATCH		64
#define MAX_PEERS	1000000
#define MAX_INITS	10000000
#define MAX_SOURCES	65536
#define MAX_SECONDS	600
#define MAX_ROUNDS	1000	/* timestamps take the round in microseconds */
#define RECV_SIZE	256
#define RETRY_NS	(NSEC / 2)
#define REPLAY_SPAN	1024	/* -R: the counters sent again and again */

#define MAC1_OFF	offsetof(struct wg_msg_initiation, macs.mac1)
#define MAC2_OFF	offsetof(struct wg_msg_initiation, macs.mac2)

/* Slots in the order something happened to them, with the time. */
struct ring {
	uint32_t	*slot;
	uint64_t	*when;
	uint32_t	 head, len, size;
};

struct source {
	uint8_t		 cookie[WG_COOKIE_SIZE];
	int		 has_cookie;
};

struct flood {
	int			 fd;
	struct sockaddr_in	 dst;
	uint32_t		 first_source;	/* host order */
	uint32_t		 nsources;
	struct source		*sources;
	uint8_t			 cookie_key[WG_KEY_SIZE];

	struct wg_msg_initiation *msgs;
	uint32_t		 nmsgs;
	uint64_t		*last_sent;	/* per slot, ns; 0: never */
	uint8_t			*answered;	/* per slot */
	uint32_t		 next;		/* the next one never sent */
	struct ring		 again;		/* a cookie came for them */
	struct ring		 unanswered;	/* in the order sent */

	uint64_t		 rate;
	uint64_t		 start, deadline;	/* ns */
	uint64_t		 sent, errors, cookies, opened, responses;
	uint64_t		 retries;
};

static void	 usage(void) __attribute__((__noreturn__));
static uint64_t	 now_ns(void);
static void	 peer_private(uint8_t [WG_KEY_SIZE], const char *, uint32_t);
static void	 print_keys(uint32_t, const char *);
static void	 precompute(struct flood *, const uint8_t [WG_KEY_SIZE],
		    const char *, uint32_t, uint32_t, uint32_t);
static void	 precompute_all(struct flood *, const uint8_t [WG_KEY_SIZE],
		    const char *, uint32_t);
static void	 ring_init(struct ring *, uint32_t);
static void	 ring_push(struct ring *, uint32_t, uint64_t);
static void	 ring_pop(struct ring *, uint32_t *, uint64_t *);
static int	 next_slot(struct flood *, uint64_t, uint32_t *);
static size_t	 budget(struct flood *, uint64_t);
static void	 send_batch(struct flood *, size_t, uint64_t);
static void	 receive(struct flood *);
static void	 forged_flood(struct flood *, uint32_t, uint64_t, int,
		    uint64_t);

static void
usage(void)
{
	fprintf(stderr, "usage: hsflood -g count seed\n"
	    "       hsflood [-c cpu] [-d seconds] [-n peers] "
	    "[-P initiations]\n"
	    "           [-r rate] [-s sources] -k pubkey seed first-source "
	    "address port\n"
	    "       hsflood -T index [-R] [-C counter] [-c cpu] "
	    "[-d seconds] [-r rate]\n"
	    "           [-s sources] first-source address port\n");
	exit(2);
}

/*
 * One datagram of a sendmmsg batch, to dst, with room for the source
 * address it is to leave from (IP_PKTINFO): that is returned to fill.
 */
static struct in_pktinfo *
mmsg_prepare(struct mmsghdr *mm, struct iovec *iov, void *cmsgbuf,
    size_t cmsglen, struct sockaddr_in *dst, void *data, size_t len)
{
	struct cmsghdr	*cm;

	iov->iov_base = data;
	iov->iov_len = len;
	memset(mm, 0, sizeof(*mm));
	mm->msg_hdr.msg_name = dst;
	mm->msg_hdr.msg_namelen = sizeof(*dst);
	mm->msg_hdr.msg_iov = iov;
	mm->msg_hdr.msg_iovlen = 1;
	mm->msg_hdr.msg_control = cmsgbuf;
	mm->msg_hdr.msg_controllen = cmsglen;
	cm = CMSG_FIRSTHDR(&mm->msg_hdr);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	return (struct in_pktinfo *)CMSG_DATA(cm);
}

/* Transport data to one receiver index, each with a forged tag. */
static void
forged_flood(struct flood *f, uint32_t index, uint64_t first, int replay,
    uint64_t seconds)
{
	struct {
		struct wg_msg_data	 hdr;
		uint8_t			 sealed[64 + WG_AEAD_TAG_SIZE];
	} __attribute__((__packed__))	 msg[BATCH];
	struct mmsghdr			 mm[BATCH];
	struct iovec			 iov[BATCH];
	union {
		struct cmsghdr		 hdr;
		uint8_t			 buf[CMSG_SPACE(
					    sizeof(struct in_pktinfo))];
	}				 cmsg[BATCH];
	struct in_pktinfo		*src[BATCH];
	uint64_t			 now, elapsed, due, k = 0;
	size_t				 i, n;
	int				 r;

	memset(mm, 0, sizeof(mm));
	memset(cmsg, 0, sizeof(cmsg));
	for (i = 0; i < BATCH; i++) {
		msg[i].hdr.type = htole32(WG_MSG_DATA);
		msg[i].hdr.receiver = htole32(index);
		randombytes_buf(msg[i].sealed, sizeof(msg[i].sealed));
		src[i] = mmsg_prepare(&mm[i], &iov[i], cmsg[i].buf,
		    sizeof(cmsg[i].buf), &f->dst, &msg[i], sizeof(msg[i]));
	}
	fprintf(stderr, "hsflood: forged transport data to index %u, "
	    "sending\n", index);
	f->start = now_ns();
	f->deadline = f->start + seconds * NSEC;
	while ((now = now_ns()) < f->deadline) {
		n = budget(f, now);
		if (n == 0) {
			(void)poll(NULL, 0, 1);
			continue;
		}
		for (i = 0; i < n; i++) {
			msg[i].hdr.counter = htole64(first +
			    (replay ? k % REPLAY_SPAN : k));
			k++;
			src[i]->ipi_spec_dst.s_addr = htonl(f->first_source +
			    (uint32_t)(f->sent + i) % f->nsources);
		}
		if ((r = sendmmsg(f->fd, mm, n, 0)) == -1) {
			f->errors += n;
			r = (int)n;
		}
		f->sent += (uint64_t)r;
	}
	elapsed = now_ns() - f->start;
	due = f->sent;
	printf("seconds %.2f sent %llu errors %llu rate %.0f\n",
	    (double)elapsed / NSEC, (unsigned long long)due,
	    (unsigned long long)f->errors,
	    (double)due * NSEC / (double)elapsed);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void
peer_private(uint8_t priv[WG_KEY_SIZE], const char *seed, uint32_t i)
{
	struct blake2s_state	 s;
	uint32_t		 le = htole32(i);

	blake2s_init(&s, WG_KEY_SIZE, NULL, 0);
	blake2s_update(&s, (const uint8_t *)seed, strlen(seed));
	blake2s_update(&s, (const uint8_t *)&le, sizeof(le));
	blake2s_final(&s, priv);
	key_clamp(priv);
}

static void
print_keys(uint32_t count, const char *seed)
{
	uint8_t		 priv[WG_KEY_SIZE], pub[WG_KEY_SIZE];
	char		 b64[WG_KEY_LEN_BASE64];
	uint32_t	 i;

	for (i = 0; i < count; i++) {
		peer_private(priv, seed, i);
		if (key_public_from_private(pub, priv) == -1)
			errx(1, "peer %u: no public key", i);
		key_to_base64(b64, pub);
		printf("%s\n", b64);
	}
	sodium_memzero(priv, sizeof(priv));
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
}

/*
 * Initiation i comes from peer i % npeers with sender index i, so a
 * reply names the message it answers.  Round i / npeers goes into the
 * timestamp's nanoseconds, on top of the clock read in microseconds:
 * later rounds and later runs carry larger timestamps.
 */
static void
precompute(struct flood *f, const uint8_t target[WG_KEY_SIZE],
    const char *seed, uint32_t npeers, uint32_t first, uint32_t stride)
{
	struct noise_local	*locals;
	struct noise_remote	*remotes;
	struct timespec		 ts;
	uint8_t			 priv[WG_KEY_SIZE], eph[WG_KEY_SIZE];
	uint8_t			 mac1_key[WG_HASH_SIZE];
	uint8_t			 stamp[WG_TIMESTAMP_SIZE];
	uint64_t		 secs;
	uint32_t		 i, peer, round, nanos;

	if ((locals = calloc(npeers, sizeof(*locals))) == NULL ||
	    (remotes = calloc(npeers, sizeof(*remotes))) == NULL)
		err(1, "calloc");
	for (peer = 0; peer < npeers; peer++) {
		peer_private(priv, seed, peer);
		if (noise_local_init(&locals[peer], priv) == -1)
			errx(1, "peer %u: bad key", peer);
		if (noise_remote_init(&remotes[peer], &locals[peer], target,
		    NULL) == -1)
			errx(1, "the target's public key is unusable");
	}
	sodium_memzero(priv, sizeof(priv));
	cookie_hash_key(mac1_key, WG_LABEL_MAC1, target);

	clock_gettime(CLOCK_REALTIME, &ts);
	secs = 0x400000000000000aULL + (uint64_t)ts.tv_sec;
	for (i = first; i < f->nmsgs; i += stride) {
		peer = i % npeers;
		round = i / npeers;
		nanos = (uint32_t)(ts.tv_nsec / 1000 * 1000) + round;
		*(uint64_t *)stamp = htobe64(secs);
		*(uint32_t *)(stamp + 8) = htobe32(nanos);
		key_generate_private(eph);
		if (noise_create_initiation(&locals[peer], &remotes[peer], eph,
		    stamp,
		    i, &f->msgs[i]) == -1)
			errx(1, "initiation %u failed", i);
		blake2s(f->msgs[i].macs.mac1, WG_MAC_SIZE, mac1_key,
		    sizeof(mac1_key), (uint8_t *)&f->msgs[i], MAC1_OFF);
	}
	sodium_memzero(eph, sizeof(eph));
	for (peer = 0; peer < npeers; peer++) {
		noise_remote_clear(&remotes[peer]);
		noise_local_clear(&locals[peer]);
	}
	free(remotes);
	free(locals);
}

/*
 * One process a CPU, each computing every ncpu-th initiation into the
 * shared f->msgs.  The clock is read once, here, so all agree.
 */
static void
precompute_all(struct flood *f, const uint8_t target[WG_KEY_SIZE],
    const char *seed, uint32_t npeers)
{
	pid_t		 pid;
	long		 ncpu;
	uint32_t	 k;
	int		 status, failed = 0;

	if ((ncpu = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		ncpu = 1;
	if (ncpu > 64)
		ncpu = 64;
	for (k = 1; k < (uint32_t)ncpu; k++) {
		switch (pid = fork()) {
		case -1:
			err(1, "fork");
		case 0:
			precompute(f, target, seed, npeers, k, (uint32_t)ncpu);
			_exit(0);
		}
	}
	precompute(f, target, seed, npeers, 0, (uint32_t)ncpu);
	while (wait(&status) != -1)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	if (failed)
		errx(1, "computing the initiations failed");
}

static void
ring_init(struct ring *r, uint32_t size)
{
	r->head = r->len = 0;
	r->size = size;
	if ((r->slot = calloc(size, sizeof(*r->slot))) == NULL ||
	    (r->when = calloc(size, sizeof(*r->when))) == NULL)
		err(1, "calloc");
}

/* A full ring forgets the slot: it is only a retry lost. */
static void
ring_push(struct ring *r, uint32_t slot, uint64_t when)
{
	uint32_t	 i;

	if (r->len == r->size)
		return;
	i = (r->head + r->len) % r->size;
	r->slot[i] = slot;
	r->when[i] = when;
	r->len++;
}

static void
ring_pop(struct ring *r, uint32_t *slot, uint64_t *when)
{
	*slot = r->slot[r->head];
	*when = r->when[r->head];
	r->head = (r->head + 1) % r->size;
	r->len--;
}

/*
 * What to send next: one a cookie came for, else one unanswered for
 * RETRY_NS (its entry current: a later send of the same slot made a
 * later entry), else a new one.  0 if there is one.
 */
static int
next_slot(struct flood *f, uint64_t now, uint32_t *slot)
{
	uint64_t	 when;

	while (f->again.len > 0) {
		ring_pop(&f->again, slot, &when);
		if (!f->answered[*slot])
			return 0;
	}
	while (f->unanswered.len > 0 &&
	    f->unanswered.when[f->unanswered.head] + RETRY_NS <= now) {
		ring_pop(&f->unanswered, slot, &when);
		if (!f->answered[*slot] && f->last_sent[*slot] == when) {
			f->retries++;
			return 0;
		}
	}
	if (f->next < f->nmsgs) {
		*slot = f->next++;
		return 0;
	}
	return -1;
}

/* How many may go now without passing the rate. */
static size_t
budget(struct flood *f, uint64_t now)
{
	uint64_t	 due;

	if (f->rate == 0)
		return BATCH;
	due = (now - f->start) / 1000 * f->rate / 1000000;
	if (due <= f->sent)
		return 0;
	return due - f->sent < BATCH ? due - f->sent : BATCH;
}

static void
send_batch(struct flood *f, size_t n, uint64_t now)
{
	struct mmsghdr		 mm[BATCH];
	struct iovec		 iov[BATCH];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 cmsg[BATCH];
	struct in_pktinfo	*pi;
	struct wg_msg_initiation *m;
	struct source		*src;
	uint32_t		 slot;
	size_t			 count = 0;
	int			 r;

	memset(mm, 0, sizeof(mm));
	memset(cmsg, 0, sizeof(cmsg));
	while (count < n && next_slot(f, now, &slot) == 0) {
		f->last_sent[slot] = now;
		ring_push(&f->unanswered, slot, now);
		m = &f->msgs[slot];
		src = &f->sources[slot % f->nsources];
		if (src->has_cookie)
			blake2s(m->macs.mac2, WG_MAC_SIZE, src->cookie,
			    sizeof(src->cookie), (uint8_t *)m, MAC2_OFF);
		else
			memset(m->macs.mac2, 0, WG_MAC_SIZE);

		pi = mmsg_prepare(&mm[count], &iov[count], cmsg[count].buf,
		    sizeof(cmsg[count].buf), &f->dst, m, sizeof(*m));
		pi->ipi_spec_dst.s_addr = htonl(f->first_source +
		    slot % f->nsources);
		count++;
	}
	while (count > 0) {
		if ((r = sendmmsg(f->fd, mm, count, 0)) == -1) {
			f->errors += count;
			f->sent += count;
			return;
		}
		f->sent += (size_t)r;
		memmove(mm, mm + r, (count - (size_t)r) * sizeof(mm[0]));
		count -= (size_t)r;
	}
}

static void
receive(struct flood *f)
{
	static uint8_t		 buf[BATCH][RECV_SIZE];
	struct mmsghdr		 mm[BATCH];
	struct iovec		 iov[BATCH];
	struct wg_msg_cookie	 c;
	struct source		*src;
	uint32_t		 slot, type;
	int			 i, n;

	for (;;) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(f->fd, mm, BATCH, MSG_DONTWAIT,
		    NULL)) <= 0)
			return;
		for (i = 0; i < n; i++) {
			if (mm[i].msg_len < 8)
				continue;
			memcpy(&type, buf[i], sizeof(type));
			type = le32toh(type);
			if (type == WG_MSG_RESPONSE &&
			    mm[i].msg_len == WG_MSG_RESPONSE_SIZE) {
				memcpy(&slot, buf[i] + offsetof(struct
				    wg_msg_response, receiver), sizeof(slot));
				slot = le32toh(slot);
				if (slot < f->nmsgs && !f->answered[slot]) {
					f->answered[slot] = 1;
					f->responses++;
				}
				continue;
			}
			if (type != WG_MSG_COOKIE ||
			    mm[i].msg_len != sizeof(c))
				continue;
			f->cookies++;
			memcpy(&c, buf[i], sizeof(c));
			if ((slot = le32toh(c.receiver)) >= f->nmsgs)
				continue;
			src = &f->sources[slot % f->nsources];
			if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    src->cookie, NULL, NULL, c.cookie_enc,
			    sizeof(c.cookie_enc), f->msgs[slot].macs.mac1,
			    WG_MAC_SIZE, c.nonce, f->cookie_key) != 0)
				continue;
			src->has_cookie = 1;
			f->opened++;
			ring_push(&f->again, slot, 0);
		}
	}
}

int
main(int argc, char *argv[])
{
	static struct flood	 f;
	struct sockaddr_in	 sin;
	struct in_addr		 first;
	struct pollfd		 pfd;
	uint8_t			 target[WG_KEY_SIZE];
	const char		*errstr, *seed = NULL;
	uint64_t		 seconds = 10, now, elapsed, sent_before = 0;
	uint32_t		 npeers = 10000, ninits = 100000;
	uint32_t		 nsources = 4096, genkeys = 0;
	cpu_set_t		 cpus;
	long long		 cpu = -1;
	long long		 index = 0, start = 0;
	int			 ch, has_key = 0, on = 1, size = 8 << 20;
	int			 forged = 0, replay = 0;
	size_t			 n;

	while ((ch = getopt(argc, argv, "C:c:d:g:k:n:P:Rr:s:T:")) != -1) {
		switch (ch) {
		case 'R':
			replay = 1;
			break;
		case 'C':
			start = strtonum(optarg, 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-C %s: %s", optarg, errstr);
			break;
		case 'T':
			index = strtonum(optarg, 0, UINT32_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-T %s: %s", optarg, errstr);
			forged = 1;
			break;
		case 'c':
			cpu = strtonum(optarg, 0, CPU_SETSIZE - 1, &errstr);
			if (errstr != NULL)
				errx(2, "-c %s: %s", optarg, errstr);
			break;
		case 'd':
			seconds = strtonum(optarg, 1, MAX_SECONDS, &errstr);
			if (errstr != NULL)
				errx(2, "-d %s: %s", optarg, errstr);
			break;
		case 'g':
			genkeys = strtonum(optarg, 1, MAX_PEERS, &errstr);
			if (errstr != NULL)
				errx(2, "-g %s: %s", optarg, errstr);
			break;
		case 'k':
			if (key_from_base64(target, optarg) == -1)
				errx(2, "-k: not a key");
			has_key = 1;
			break;
		case 'n':
			npeers = strtonum(optarg, 1, MAX_PEERS, &errstr);
			if (errstr != NULL)
				errx(2, "-n %s: %s", optarg, errstr);
			break;
		case 'P':
			ninits = strtonum(optarg, 1, MAX_INITS, &errstr);
			if (errstr != NULL)
				errx(2, "-P %s: %s", optarg, errstr);
			break;
		case 'r':
			f.rate = strtonum(optarg, 0, 10000000, &errstr);
			if (errstr != NULL)
				errx(2, "-r %s: %s", optarg, errstr);
			break;
		case 's':
			nsources = strtonum(optarg, 1, MAX_SOURCES, &errstr);
			if (errstr != NULL)
				errx(2, "-s %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if (genkeys != 0) {
		if (argc != 1)
			usage();
		print_keys(genkeys, argv[0]);
		return 0;
	}
	if (forged ? argc != 3 || has_key : argc != 4 || !has_key)
		usage();
	/* -T takes no seed: the addresses come first. */
	if (!forged) {
		seed = argv[0];
		argv++;
	}
	if (inet_pton(AF_INET, argv[0], &first) != 1)
		errx(2, "%s: not an IPv4 address", argv[0]);
	f.first_source = ntohl(first.s_addr);
	if (f.first_source > UINT32_MAX - nsources)
		errx(2, "%s: %u sources do not fit", argv[0], nsources);
	f.nsources = nsources;
	memset(&f.dst, 0, sizeof(f.dst));
	f.dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &f.dst.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", argv[1]);
	f.dst.sin_port = htons(strtonum(argv[2], 1, 65535, &errstr));
	if (errstr != NULL)
		errx(2, "port %s: %s", argv[2], errstr);
	if ((ninits + npeers - 1) / npeers > MAX_ROUNDS)
		errx(2, "more than %d initiations a peer", MAX_ROUNDS);
	f.nmsgs = ninits;

	if ((f.fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (setsockopt(f.fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on)) == -1)
		err(1, "IP_TRANSPARENT");
	(void)setsockopt(f.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size));
	(void)setsockopt(f.fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (bind(f.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	if (forged) {
		if (cpu != -1) {
			CPU_ZERO(&cpus);
			CPU_SET(cpu, &cpus);
			if (sched_setaffinity(0, sizeof(cpus), &cpus) == -1)
				err(1, "sched_setaffinity %lld", cpu);
		}
		forged_flood(&f, (uint32_t)index, (uint64_t)start, replay,
		    seconds);
		return 0;
	}

	f.msgs = mmap(NULL, (size_t)f.nmsgs * sizeof(*f.msgs),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f.msgs == MAP_FAILED)
		err(1, "mmap");
	if ((f.last_sent = calloc(f.nmsgs, sizeof(*f.last_sent))) == NULL ||
	    (f.answered = calloc(f.nmsgs, sizeof(*f.answered))) == NULL ||
	    (f.sources = calloc(f.nsources, sizeof(*f.sources))) == NULL)
		err(1, "calloc");
	ring_init(&f.again, f.nmsgs);
	ring_init(&f.unanswered, f.nmsgs);
	cookie_hash_key(f.cookie_key, WG_LABEL_COOKIE, target);
	precompute_all(&f, target, seed, npeers);
	if (cpu != -1) {
		CPU_ZERO(&cpus);
		CPU_SET(cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) == -1)
			err(1, "sched_setaffinity %lld", cpu);
	}

	fprintf(stderr, "hsflood: %u initiations computed, sending\n",
	    f.nmsgs);
	f.start = now_ns();
	f.deadline = f.start + seconds * NSEC;
	pfd.fd = f.fd;
	pfd.events = POLLIN;
	while ((now = now_ns()) < f.deadline) {
		receive(&f);
		if ((n = budget(&f, now)) > 0)
			send_batch(&f, n, now);
		if (n == 0 || f.sent == sent_before)
			(void)poll(&pfd, 1, 1);
		sent_before = f.sent;
	}
	receive(&f);
	elapsed = now_ns() - f.start;
	printf("seconds %.2f sent %llu retries %llu errors %llu cookies %llu "
	    "opened %llu responses %llu rate %.0f\n", (double)elapsed / NSEC,
	    (unsigned long long)f.sent, (unsigned long long)f.retries,
	    (unsigned long long)f.errors,
	    (unsigned long long)f.cookies, (unsigned long long)f.opened,
	    (unsigned long long)f.responses,
	    (double)f.responses * NSEC / (double)elapsed);
	if (f.next >= f.nmsgs)
		fprintf(stderr, "hsflood: every one of the %u initiations was "
		    "sent; raise -P if the target answered most\n", f.nmsgs);
	return 0;
}
