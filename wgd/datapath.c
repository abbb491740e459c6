/*
 * Packets in and out of the engine.  From TUN: route by destination to a
 * peer, encrypt, send.  From UDP: handshake messages (checked for MAC1
 * before any Diffie-Hellman, answered with a cookie under load) and
 * transport data (decrypted, replay-checked, then the inner source must
 * be one of the sending peer's allowed ips).
 *
 * Nothing from the network is trusted: every length is checked before
 * use, and every drop is counted by reason instead of logged.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "aead.h"
#include "engine.h"
#include "log.h"
#include "tun.h"
#include "udpio.h"
#include "vnet.h"
#include "wg_proto.h"
#include "workers.h"

/* Reads per wake-up, so one busy descriptor cannot starve the rest. */
#define TUN_READS		64
#define UDP_ROUNDS		8

/*
 * Handshake messages per LOAD_WINDOW that make an interface under
 * load: it then wants MAC2 (a cookie) for the next second.
 */
#define LOAD_WINDOW_NS		(NSEC_PER_SEC / 8)
#define LOAD_THRESHOLD		64

/*
 * Under load, the handshakes one wake-up of a UDP socket answers; the
 * rest it reads are dropped.  The loop thread does the Diffie-Hellman,
 * so this bounds how long timers, imsgs and the other descriptors wait
 * behind a flood (about 15 ms here), as the kernel's bounded handshake
 * queue does.  Much smaller is worse: at 16 a TCP stream beside a flood
 * kept a fifth of its rate (bench/hsbench.sh), at 64 all of it.
 * Without load every handshake is answered.
 */
#define HANDSHAKES_PER_WAKE	64

#define IPV4_HEADER_MIN		20
#define IPV6_HEADER_SIZE	40

/*
 * Around a packet to seal: the data header goes in the seal's headroom;
 * the padding, then the seal's tailroom (the tag's among it), after.
 */
#define TX_HEADROOM		AEAD_HEADROOM
#define TX_TAILROOM		(WG_DATA_PADDING + AEAD_TAILROOM)
_Static_assert(TX_HEADROOM >= WG_MSG_DATA_HEADER_SIZE, "header room");
_Static_assert(VNET_MAX_SEGMENTS <= PEER_SEND_MAX, "a read in one send");

/*
 * A batch from TUN: up to TX_SLOTS reads, each a packet or a super-packet
 * split into an arena of its own, all sealed by the workers at once, and
 * no more reads once TX_BATCH_SEGS packets wait (eight super-packets of
 * a TCP stream), so a batch stays short.  A read's vnet header lands so
 * that a packet after it has TX_HEADROOM before it.  Small packets need
 * many slots: each read of one is a system call, and a batch of them to
 * one peer leaves in one GSO send.
 */
#define TX_SLOTS		64
#define TX_BATCH_SEGS		384
#define TUN_HEADROOM		(TX_HEADROOM - VNET_HDR_LEN)
#define TUNBUF_SIZE		(TX_HEADROOM + VNET_MAX_PACKET + TX_TAILROOM)
#define ARENA_SIZE		(VNET_MAX_PACKET + VNET_MAX_SEGMENTS * \
				    (TX_HEADROOM + 120 + TX_TAILROOM))

struct tx_slot {
	uint8_t			*buf;
	uint8_t			*arena;
	struct vnet_pkt		 segs[VNET_MAX_SEGMENTS];
	size_t			 nsegs;
	struct eng_peer		*peer;
	struct crypt_job	*jobs;
	size_t			 njobs;
};
static struct tx_slot	 tx[TX_SLOTS];

static unsigned int	 handshakes_left;	/* in this wake-up */

/*
 * Received datagrams, what their data messages open to, and the
 * plaintexts bound for TUN from those.  A message opens out of place
 * (aead.h), into room of its own in plain: the datagrams lie side by
 * side in rx, and their bytes past a message's ends are read, never
 * written.
 */
#define PLAIN_SIZE		(UDPIO_RECV_MSGS * UDPIO_RECV_BUFSIZE + \
				    UDPIO_MAX_DGRAMS * (AEAD_HEADROOM + \
				    AEAD_TAILROOM))
_Static_assert(UDPIO_RECV_ROOM + WG_MSG_DATA_HEADER_SIZE >=
    AEAD_HEADROOM && UDPIO_RECV_ROOM >= AEAD_TAILROOM,
    "room to read past a datagram");
static struct udpio_rx	*rx;
static uint8_t		*plain;
static size_t		 plain_used;	/* in this batch */
static struct udpio_dgram dgrams[UDPIO_MAX_DGRAMS];
static struct vnet_pkt	 tunq[VNET_MAX_SEGMENTS];
static size_t		 ntunq;
static struct vnet_write writes[VNET_MAX_SEGMENTS];

/* A batch's crypto, and for a received one what each job came from. */
#define TX_MAX_JOBS	(TX_BATCH_SEGS + VNET_MAX_SEGMENTS)
#define MAX_JOBS	(TX_MAX_JOBS > UDPIO_MAX_DGRAMS ? \
			    TX_MAX_JOBS : UDPIO_MAX_DGRAMS)
static struct crypt_job	 jobs[MAX_JOBS];
static struct rx_meta {
	struct eng_keypair	*kp;
	struct udpio_dgram	*d;
} rxmeta[UDPIO_MAX_DGRAMS];

void
datapath_init(void)
{
	size_t	 i;

	for (i = 0; i < TX_SLOTS; i++)
		if ((tx[i].buf = malloc(TUNBUF_SIZE)) == NULL ||
		    (tx[i].arena = malloc(ARENA_SIZE)) == NULL)
			fatal("%s", __func__);
	if ((rx = udpio_rx_new()) == NULL ||
	    (plain = calloc(1, PLAIN_SIZE)) == NULL)
		fatal("%s", __func__);
}

/* The destination (or source) address of an IP packet, checked. */
static int
ip_addr(const uint8_t *pkt, size_t len, int dst, int *af,
    const uint8_t **addr)
{
	if (len < 1)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		if (len < IPV4_HEADER_MIN)
			return -1;
		*af = AF_INET;
		*addr = pkt + (dst ? 16 : 12);
		return 0;
	case 6:
		if (len < IPV6_HEADER_SIZE)
			return -1;
		*af = AF_INET6;
		*addr = pkt + (dst ? 24 : 8);
		return 0;
	}
	return -1;
}

/* The length the IP header claims, which trims the padding off. */
static int
ip_len(const uint8_t *pkt, size_t len, size_t *iplen)
{
	size_t	 n;

	if ((pkt[0] >> 4) == 4) {
		n = (size_t)pkt[2] << 8 | pkt[3];
		if (n < (size_t)(pkt[0] & 0x0f) * 4 || (pkt[0] & 0x0f) < 5)
			return -1;
	} else
		n = ((size_t)pkt[4] << 8 | pkt[5]) + IPV6_HEADER_SIZE;
	if (n > len)
		return -1;
	*iplen = n;
	return 0;
}

/*
 * One read from TUN into slot t: a packet, or a super-packet of up to
 * 64 KiB of one flow split into the packets it stands for, all bound
 * for the same peer.  Returns 1 with t filled, 0 for a packet dropped,
 * -1 when nothing more waits.
 */
static int
tun_read_one(struct eng_iface *ifc, int fd, struct tx_slot *t)
{
	struct eng_peer		*p;
	struct vnet_hdr		 h;
	const uint8_t		*dst;
	ssize_t			 n;
	size_t			 len;
	int			 af, nsegs;

	n = read(fd, t->buf + TUN_HEADROOM, VNET_HDR_LEN + VNET_MAX_PACKET);
	if (n == -1) {
		/* The device was deleted, in whatever namespace it is. */
		if (errno == EBADFD)
			iface_tun_gone(ifc);
		else if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: read", ifc->name);
		return -1;
	}
	if (n <= VNET_HDR_LEN) {
		ifc->drops[DROP_INNER]++;
		return 0;
	}
	vnet_hdr_decode(&h, t->buf + TUN_HEADROOM);
	len = (size_t)n - VNET_HDR_LEN;
	if ((h.gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE) {
		t->segs[0].data = t->buf + TX_HEADROOM;
		t->segs[0].len = len;
		if (vnet_finish_csum(t->segs[0].data, len, &h) == -1) {
			ifc->drops[DROP_INNER]++;
			return 0;
		}
		nsegs = 1;
	} else if ((nsegs = vnet_split(&h, t->buf + TX_HEADROOM, len,
	    t->arena, ARENA_SIZE, TX_HEADROOM, TX_TAILROOM,
	    t->segs, VNET_MAX_SEGMENTS)) == -1) {
		ifc->drops[DROP_INNER]++;
		return 0;
	}
	if (ip_addr(t->segs[0].data, t->segs[0].len, 1, &af, &dst) == -1) {
		ifc->drops[DROP_INNER] += (uint64_t)nsegs;
		return 0;
	}
	if ((p = allowedips_lookup(&ifc->routes, af, dst)) == NULL ||
	    !p->usable) {
		ifc->drops[DROP_NO_ROUTE] += (uint64_t)nsegs;
		return 0;
	}
	t->nsegs = (size_t)nsegs;
	t->peer = p;
	return 1;
}

/*
 * Packets from the host, a batch at a time: read, then seal everything
 * on the workers, then send each read's packets to its peer in the
 * order read.
 */
void
datapath_tun_read(int fd, short event, void *arg)
{
	struct eng_iface	*ifc = arg;
	size_t			 nslots, nsegs, njobs, i, j, n;
	int			 reads = 0, r = 0;

	(void)event;
	/* Dropped packets count too: a flood of them cannot keep us here. */
	while (reads < TUN_READS && r != -1) {
		for (nslots = 0, nsegs = 0; nslots < TX_SLOTS &&
		    nsegs < TX_BATCH_SEGS && reads < TUN_READS; reads++) {
			if ((r = tun_read_one(ifc, fd, &tx[nslots])) == -1)
				break;
			if (r == 1)
				nsegs += tx[nslots++].nsegs;
		}
		if (nslots == 0)
			return;
		keypairs_hold();
		for (i = 0, njobs = 0; i < nslots; i++) {
			tx[i].jobs = jobs + njobs;
			tx[i].njobs = peer_seal_prepare(tx[i].peer, tx[i].segs,
			    tx[i].nsegs, tx[i].jobs);
			njobs += tx[i].njobs;
		}
		/* Data of a session, not packets staged for a handshake. */
		if (njobs > 0)
			hsbudget_data(&ifc->hsbudget, now_ns());
		workers_run(jobs, njobs);
		/*
		 * The jobs of consecutive reads lie side by side: a run of
		 * them to one peer leaves together, in order, and a GSO
		 * send takes what one can (udpio_send()).  So the segments
		 * of a 64 KiB super-packet, a few more than one send holds,
		 * leave with the next one's, not in a send of their own.
		 */
		for (i = 0; i < nslots; i = j) {
			n = tx[i].njobs;
			for (j = i + 1; j < nslots &&
			    tx[j].peer == tx[i].peer &&
			    n + tx[j].njobs <= PEER_SEND_MAX; j++)
				n += tx[j].njobs;
			peer_seal_finish(tx[i].peer, tx[i].jobs, n);
		}
		keypairs_release();
	}
}

/* Counts handshake messages; too many in a window means under load. */
static int
under_load(struct eng_iface *ifc, uint64_t now)
{
	if (now - ifc->load_window >= LOAD_WINDOW_NS) {
		ifc->load_window = now;
		ifc->load_count = 0;
	}
	if (++ifc->load_count > LOAD_THRESHOLD)
		ifc->under_load_until = now + NSEC_PER_SEC;
	return now < ifc->under_load_until;
}

/* A minute with failed handshakes left out of the log is over. */
static void
fail_log_end(int fd, short event, void *arg)
{
	struct eng_iface	*ifc = arg;
	uint64_t		 n;

	(void)fd;
	(void)event;
	ifc->fail_log_armed = 0;
	if ((n = fail_log_flush(&ifc->fail_log, now_ns())) > 0)
		log_info("%s: %llu more failed handshakes in the last minute "
		    "were not logged", ifc->name, (unsigned long long)n);
}

/*
 * A failed handshake, remembered for wgctl show's hints and logged at
 * info level within the interface's budget (failmem.c): a flood from
 * many addresses leaves a few lines a minute.
 */
static void
handshake_failed(struct eng_iface *ifc, struct fail_seen *f,
    const struct sockaddr *src, uint64_t now, const char *peer,
    const char *why)
{
	char		 addr[INET6_ADDRSTRLEN + 16];
	struct timeval	 tv;
	uint64_t	 left_out, due;
	int		 allowed;

	fail_note(f, src, time(NULL));
	allowed = fail_log_allow(&ifc->fail_log, src, now, &left_out);
	if (left_out > 0)
		log_info("%s: %llu more failed handshakes in the last minute "
		    "were not logged", ifc->name, (unsigned long long)left_out);
	if (!allowed) {
		/* Said at the minute's end, even if nothing follows. */
		if (!ifc->fail_log_armed &&
		    (due = fail_log_due(&ifc->fail_log, now)) > 0) {
			due = due / 1000 + 1;		/* in us */
			tv.tv_sec = due / 1000000;
			tv.tv_usec = due % 1000000;
			evtimer_set(&ifc->fail_log_ev, fail_log_end, ifc);
			evtimer_add(&ifc->fail_log_ev, &tv);
			ifc->fail_log_armed = 1;
		}
		return;
	}
	engine_format_addr(&f->from, addr, sizeof(addr));
	log_info("%s: handshake from %s%s%s failed: %s", ifc->name, addr,
	    peer != NULL ? " for peer " : "", peer != NULL ? peer : "", why);
}

/*
 * The checks every handshake message passes before any public-key
 * work: MAC1; under load first whether its source has used up its rate,
 * then MAC2, the per-source rate, what is left of this wake-up's
 * handshakes and of their share of time (hsbudget.h).  Returns 0 to go
 * on.
 */
static int
handshake_admit(struct eng_iface *ifc, const void *msg, size_t len,
    const struct sockaddr *src, uint64_t now)
{
	struct wg_msg_cookie		 reply;
	enum ratelimiter_verdict	 v;
	const void			*addr;
	int				 af, loaded;

	af = src->sa_family;
	if (af == AF_INET)
		addr = &((const struct sockaddr_in *)src)->sin_addr;
	else
		addr = &((const struct sockaddr_in6 *)src)->sin6_addr;
	/*
	 * Every message counts towards the load, as in the kernel's
	 * queue.  Under load, a source that has used up its rate is
	 * dropped before its MACs: a flood's sources have, nearly always.
	 */
	loaded = under_load(ifc, now);
	if (loaded && ratelimiter_spent(&ifc->ratelimiter, af, addr, now)) {
		ifc->drops[DROP_RATELIMIT]++;
		return -1;
	}
	if (cookie_checker_validate_mac1(&ifc->cookie, msg, len) == -1) {
		ifc->drops[DROP_MAC]++;
		ifc->handshakes_failed++;
		handshake_failed(ifc, &ifc->fails[IFACE_FAIL_MAC1], src, now,
		    NULL, "made for another server key (the client's conf "
		    "is not this server's)");
		return -1;
	}
	if (!loaded)
		return 0;
	if (cookie_checker_validate_mac2(&ifc->cookie, msg, len, src,
	    now) == -1) {
		ifc->drops[DROP_COOKIE_SENT]++;
		if (cookie_checker_create_reply(&ifc->cookie, &reply, msg, len,
		    src, now) == 0)
			(void)sendto(src->sa_family == AF_INET ? ifc->udp4_fd :
			    ifc->udp6_fd, &reply, sizeof(reply), 0, src,
			    src->sa_family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6));
		return -1;
	}
	v = ratelimiter_admit(&ifc->ratelimiter, af, addr, now);
	if (v == RATELIMITER_REFUSED || handshakes_left == 0 ||
	    !hsbudget_allow(&ifc->hsbudget, now, v == RATELIMITER_QUIET)) {
		ifc->drops[DROP_RATELIMIT]++;
		return -1;
	}
	handshakes_left--;
	return 0;
}

/* When the peer's latest handshake completed, for show and get. */
static void
handshake_time(struct eng_peer *p)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	p->state.last_handshake = ts.tv_sec;
	p->state.last_handshake_nsec = ts.tv_nsec;
}

static struct eng_keypair *
keypair_new(struct eng_peer *p)
{
	struct eng_keypair	*kp;

	if ((kp = calloc(1, sizeof(*kp))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	if (noise_derive_keypair(&p->noise, &kp->kp) == -1) {
		sodium_memzero(kp, sizeof(*kp));
		free(kp);
		return NULL;
	}
	kp->created = now_ns();
	replay_init(&kp->replay);
	/* The handshake's index now finds the session. */
	index_del(&p->hs_idx);
	if (index_set(&kp->idx, kp->kp.local_index, p, kp) == -1) {
		sodium_memzero(kp, sizeof(*kp));
		free(kp);
		return NULL;
	}
	return kp;
}

/* An initiation let through: the public-key work, and the answer. */
static void
answer_initiation(struct eng_iface *ifc, struct wg_msg_initiation *msgp,
    const struct sockaddr *src, socklen_t srclen,
    const struct udpio_local *local, uint64_t now)
{
	struct wg_msg_response		 resp;
	struct noise_pending		 pending;
	struct eng_peer			*p;
	struct eng_keypair		*kp;
	uint8_t				 eph[WG_KEY_SIZE];
	size_t				 len = sizeof(*msgp);

	if (noise_consume_initiation(&ifc->noise, msgp, &pending) == -1) {
		ifc->drops[DROP_HANDSHAKE]++;
		ifc->handshakes_failed++;
		return;
	}
	if ((p = peer_find_key(ifc, pending.remote_public)) == NULL) {
		noise_pending_clear(&pending);
		ifc->drops[DROP_UNKNOWN_PEER]++;
		ifc->handshakes_failed++;
		handshake_failed(ifc, &ifc->fails[IFACE_FAIL_UNKNOWN_KEY], src,
		    now, NULL, "a public key no peer has (a removed peer, or "
		    "an old conf)");
		return;
	}
	p->rx_any = 1;
	if (!p->usable) {
		/* Disabled: wgctl show says so; no log line each retry. */
		noise_pending_clear(&pending);
		ifc->drops[DROP_UNKNOWN_PEER]++;
		ifc->handshakes_failed++;
		return;
	}
	/* No more than INITIATIONS_PER_SECOND from one peer. */
	if (p->last_initiation_in != 0 && now - p->last_initiation_in <
	    NSEC_PER_SEC / INITIATIONS_PER_SECOND) {
		noise_pending_clear(&pending);
		ifc->drops[DROP_REPLAYED_HANDSHAKE]++;
		return;
	}
	if (noise_accept_initiation(&p->noise, &pending) == -1) {
		ifc->drops[DROP_REPLAYED_HANDSHAKE]++;
		ifc->handshakes_failed++;
		handshake_failed(ifc, &p->fails[PEER_FAIL_REPLAYED], src, now,
		    p->name, "replayed, or older than the last one (a second "
		    "device with the same conf, or a clock gone back)");
		return;
	}
	/* Our last answer got nothing back: it does not reach the peer. */
	if (p->unconfirmed)
		handshake_failed(ifc, &p->fails[PEER_FAIL_NO_CONFIRM], src, now,
		    p->name, "answered before, but nothing came back: the "
		    "answers do not reach it (a port mapping or firewall on "
		    "the way back)");
	p->unconfirmed = 1;
	p->last_initiation_in = now;
	ifc->handshakes_received++;
	/*
	 * An accepted handshake message counts in the peer's transfer, as
	 * in Linux and wireguard-go; like them, not a cookie reply.
	 */
	p->state.rx_bytes += len;
	peer_set_endpoint(p, src, srclen, local);
	timers_authenticated_received(&p->timers, now);

	index_add(&p->hs_idx, p, NULL);
	key_generate_private(eph);
	if (noise_create_response(&p->noise, eph, p->hs_idx.index,
	    &resp) == -1) {
		sodium_memzero(eph, sizeof(eph));
		index_del(&p->hs_idx);
		ifc->drops[DROP_HANDSHAKE]++;
		return;
	}
	sodium_memzero(eph, sizeof(eph));
	cookie_maker_mac(&p->cookie, &resp, sizeof(resp), now);
	if ((kp = keypair_new(p)) == NULL)
		return;
	peer_add_keypair(p, kp);
	log_debug("peer %s: handshake initiation received, answering",
	    p->name);
	/* An answer counts as our handshake: no initiation of our own now. */
	p->timers.last_initiation_sent = now;
	timers_session_derived(&p->timers, now);
	if (peer_send_buf(p, &resp, sizeof(resp)) == 0)
		timers_authenticated_sent(&p->timers, now);
	peer_timers_update(p);
}

static void
consume_initiation(struct eng_iface *ifc, const uint8_t *buf, size_t len,
    const struct sockaddr *src, socklen_t srclen,
    const struct udpio_local *local, uint64_t now)
{
	struct wg_msg_initiation	 msg;
	uint64_t			 t0;

	if (len != sizeof(msg)) {
		ifc->drops[DROP_TYPE]++;
		return;
	}
	memcpy(&msg, buf, sizeof(msg));
	/* Without a private key of our own, nobody can reach us. */
	if (!ifc->has_privkey) {
		ifc->drops[DROP_HANDSHAKE]++;
		return;
	}
	if (handshake_admit(ifc, &msg, sizeof(msg), src, now) == -1)
		return;
	/* Its time is charged to the credit, whatever comes of it. */
	t0 = now_ns();
	answer_initiation(ifc, &msg, src, srclen, local, now);
	hsbudget_charge(&ifc->hsbudget, now_ns() - t0);
}

static void
consume_response(struct eng_iface *ifc, const uint8_t *buf, size_t len,
    const struct sockaddr *src, socklen_t srclen,
    const struct udpio_local *local, uint64_t now)
{
	struct wg_msg_response	 msg;
	struct eng_index	*e;
	struct eng_peer		*p;
	struct eng_keypair	*kp;
	uint64_t		 t0;
	int			 rv;

	if (len != sizeof(msg)) {
		ifc->drops[DROP_TYPE]++;
		return;
	}
	memcpy(&msg, buf, sizeof(msg));
	if (handshake_admit(ifc, &msg, sizeof(msg), src, now) == -1)
		return;
	if ((e = index_find(le32toh(msg.receiver))) == NULL ||
	    e->keypair != NULL || e->peer->iface != ifc) {
		ifc->drops[DROP_UNKNOWN_INDEX]++;
		return;
	}
	p = e->peer;
	p->rx_any = 1;
	t0 = now_ns();
	rv = noise_consume_response(&ifc->noise, &p->noise, &msg);
	hsbudget_charge(&ifc->hsbudget, now_ns() - t0);
	if (rv == -1) {
		ifc->drops[DROP_HANDSHAKE]++;
		ifc->handshakes_failed++;
		return;
	}
	ifc->handshakes_received++;
	p->state.rx_bytes += len;
	if ((kp = keypair_new(p)) == NULL)
		return;
	peer_set_endpoint(p, src, srclen, local);
	peer_add_keypair(p, kp);
	log_debug("peer %s: handshake complete (initiator)", p->name);
	timers_authenticated_received(&p->timers, now);
	timers_session_derived(&p->timers, now);
	timers_handshake_complete(&p->timers);
	handshake_time(p);
	peer_send_staged(p);
	peer_timers_update(p);
}

static void
consume_cookie(struct eng_iface *ifc, const uint8_t *buf, size_t len,
    uint64_t now)
{
	struct wg_msg_cookie	 msg;
	struct eng_index	*e;

	if (len != sizeof(msg)) {
		ifc->drops[DROP_TYPE]++;
		return;
	}
	memcpy(&msg, buf, sizeof(msg));
	if ((e = index_find(le32toh(msg.receiver))) == NULL ||
	    e->peer->iface != ifc) {
		ifc->drops[DROP_UNKNOWN_INDEX]++;
		return;
	}
	if (cookie_maker_consume_reply(&e->peer->cookie, &msg, now) == -1)
		ifc->drops[DROP_HANDSHAKE]++;
	else
		log_debug("peer %s: got a cookie", e->peer->name);
}

/*
 * The plaintexts waiting for TUN, each with AEAD_HEADROOM bytes before
 * it free for its vnet header: TCP segments of one flow merged
 * where they can be, so the host sees few large packets.
 */
static void
tun_flush(struct eng_iface *ifc)
{
	size_t	 nw, i;

	nw = vnet_gro(tunq, ntunq, (ifc->tun_offload & TUN_USO) == TUN_USO,
	    writes);
	for (i = 0; i < nw; i++) {
		if (writev(ifc->tun_fd, writes[i].iov, writes[i].iovcnt) ==
		    -1) {
			ifc->drops[DROP_IO] += (uint64_t)writes[i].iovcnt;
			if (errno == EIO)
				iface_link_state(ifc, 0);
		} else if (ifc->link_down)
			iface_link_state(ifc, 1);
	}
	ntunq = 0;
}

/*
 * A data message before its crypto: the session its receiver index
 * names, still usable.  Fills the job to open it; 0 to go on.
 */
static int
data_prepare(struct eng_iface *ifc, struct udpio_dgram *d, uint64_t now,
    struct crypt_job *job, struct rx_meta *meta)
{
	struct wg_msg_data	 hdr;
	struct eng_index	*e;
	struct eng_keypair	*kp;
	size_t			 room;

	if (d->len < WG_MSG_DATA_MIN_SIZE) {
		ifc->drops[DROP_SHORT]++;
		return -1;
	}
	memcpy(&hdr, d->data, sizeof(hdr));
	if ((e = index_find(le32toh(hdr.receiver))) == NULL ||
	    (kp = e->keypair) == NULL || e->peer->iface != ifc) {
		ifc->drops[DROP_UNKNOWN_INDEX]++;
		return -1;
	}
	job->counter = le64toh(hdr.counter);
	if (!keypair_usable(kp->created, now, job->counter) ||
	    job->counter >= REJECT_AFTER_MESSAGES) {
		ifc->drops[DROP_EXPIRED]++;
		return -1;
	}
	/*
	 * A counter the window already refuses is refused before the
	 * crypto, which a flood of replayed packets would otherwise buy.
	 */
	if (replay_seen(&kp->replay, job->counter)) {
		ifc->drops[DROP_REPLAY]++;
		return -1;
	}
	job->key = kp->kp.recv;
	job->data = d->data + WG_MSG_DATA_HEADER_SIZE;
	job->len = d->len - WG_MSG_DATA_HEADER_SIZE;
	/* Cannot run out: plain has room for all rx can hold. */
	room = AEAD_HEADROOM + job->len + AEAD_TAILROOM;
	if (room > PLAIN_SIZE - plain_used) {
		ifc->drops[DROP_IO]++;
		return -1;
	}
	job->out = plain + plain_used + AEAD_HEADROOM;
	plain_used += room;
	job->seal = 0;
	meta->kp = kp;
	meta->d = d;
	return 0;
}

/* An inner source outside the peer's allowed ips: its conf's Address. */
static void
source_refused(struct eng_peer *p, int af, const uint8_t *addr)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
	}
	fail_note(&p->fails[PEER_FAIL_SOURCE], (struct sockaddr *)&ss,
	    time(NULL));
}

/*
 * A data message after its crypto, in the order received: the replay
 * window, the peer's state, and the inner packet onto the TUN queue if
 * its source is one of the peer's allowed ips.
 */
static void
data_finish(struct eng_iface *ifc, const struct crypt_job *job,
    const struct rx_meta *meta, uint64_t now)
{
	struct eng_keypair	*kp = meta->kp;
	struct eng_peer		*p;
	const uint8_t		*addr;
	uint8_t			*pkt = job->out;
	size_t			 plen, iplen;
	int			 af;

	if (job->result == -1) {
		ifc->drops[DROP_DECRYPT]++;
		kp->idx.peer->rx_any = 1;
		fail_note(&kp->idx.peer->fails[PEER_FAIL_DECRYPT],
		    (struct sockaddr *)meta->d->from, time(NULL));
		return;
	}
	/* Dropped by a handshake earlier in this batch. */
	if (kp->retired) {
		ifc->drops[DROP_EXPIRED]++;
		return;
	}
	/* Counted only once authentic, so forgeries cannot move it. */
	if (replay_check(&kp->replay, job->counter) == -1) {
		ifc->drops[DROP_REPLAY]++;
		return;
	}
	hsbudget_data(&ifc->hsbudget, now);
	p = kp->idx.peer;
	p->rx_any = 1;
	p->unconfirmed = 0;
	plen = job->len - WG_AEAD_TAG_SIZE;
	peer_set_endpoint(p, (struct sockaddr *)meta->d->from,
	    meta->d->fromlen, &meta->d->local);
	p->state.rx_bytes += WG_MSG_DATA_HEADER_SIZE + job->len;
	timers_authenticated_received(&p->timers, now);
	if (peer_confirm_keypair(p, kp)) {
		log_debug("peer %s: handshake complete (responder)", p->name);
		timers_handshake_complete(&p->timers);
		handshake_time(p);
		peer_send_staged(p);
	}
	if (keypair_rekey_on_receive(kp->created, now, kp->kp.initiator) &&
	    p->current == kp)
		peer_send_initiation(p, 0);

	if (plen == 0) {
		peer_timers_update(p);
		return;		/* a keepalive */
	}
	timers_data_received(&p->timers, now);
	peer_timers_update(p);
	if (ip_addr(pkt, plen, 0, &af, &addr) == -1 ||
	    ip_len(pkt, plen, &iplen) == -1) {
		ifc->drops[DROP_INNER]++;
		return;
	}
	if (allowedips_lookup(&ifc->routes, af, addr) != p) {
		ifc->drops[DROP_SOURCE]++;
		source_refused(p, af, addr);
		return;
	}
	if (ntunq == VNET_MAX_SEGMENTS)
		tun_flush(ifc);
	tunq[ntunq].data = pkt;
	tunq[ntunq].len = iplen;
	ntunq++;
}

/* A handshake message, or one of no known type. */
static void
consume_control(struct eng_iface *ifc, struct udpio_dgram *d, uint32_t type,
    uint64_t now)
{
	struct sockaddr	*from = (struct sockaddr *)d->from;

	switch (type) {
	case WG_MSG_INITIATION:
		consume_initiation(ifc, d->data, d->len, from, d->fromlen,
		    &d->local, now);
		break;
	case WG_MSG_RESPONSE:
		consume_response(ifc, d->data, d->len, from, d->fromlen,
		    &d->local, now);
		break;
	case WG_MSG_COOKIE:
		consume_cookie(ifc, d->data, d->len, now);
		break;
	default:
		/* wgctl doctor's, seen on its way back through the router. */
		if (engine_probe(ifc, d->data, d->len))
			break;
		ifc->drops[DROP_TYPE]++;
		break;
	}
}

/*
 * Datagrams from the network, a recvmmsg(2) at a time: data messages
 * are opened by the workers together, then handled in the order they
 * came; handshake messages after them, so that no session a batch
 * points to changes under it.
 */
void
datapath_udp_read(int fd, short event, void *arg)
{
	struct eng_iface	*ifc = arg;
	struct udpio_dgram	*d;
	uint32_t		 type;
	uint64_t		 now;
	size_t			 njobs, i;
	int			 round, n;

	(void)event;
	handshakes_left = HANDSHAKES_PER_WAKE;
	for (round = 0; round < UDP_ROUNDS; round++) {
		if ((n = udpio_recv(fd, rx, dgrams, UDPIO_MAX_DGRAMS)) == -1) {
			log_warn("%s: recvmmsg", ifc->name);
			return;
		}
		if (n == 0)
			return;
		now = now_ns();
		keypairs_hold();
		plain_used = 0;
		for (i = 0, njobs = 0; i < (size_t)n; i++) {
			d = &dgrams[i];
			if (d->len < 4) {
				ifc->drops[DROP_SHORT]++;
				d->len = 0;
				continue;
			}
			/* The type and three reserved bytes, all zero. */
			memcpy(&type, d->data, sizeof(type));
			if (le32toh(type) != WG_MSG_DATA)
				continue;
			if (data_prepare(ifc, d, now, &jobs[njobs],
			    &rxmeta[njobs]) == 0)
				njobs++;
			d->len = 0;	/* handled */
		}
		workers_run(jobs, njobs);
		for (i = 0; i < njobs; i++)
			data_finish(ifc, &jobs[i], &rxmeta[i], now);
		/* The datagrams live in rx until the next receive. */
		tun_flush(ifc);
		for (i = 0; i < (size_t)n; i++) {
			d = &dgrams[i];
			if (d->len == 0)
				continue;
			memcpy(&type, d->data, sizeof(type));
			consume_control(ifc, d, le32toh(type), now);
		}
		keypairs_release();
	}
}
