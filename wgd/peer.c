/*
 * A peer's protocol state in the engine: its sessions (current, previous
 * and next keypairs, rotated as the Linux and OpenBSD implementations
 * rotate them), the index table that finds a session or handshake by
 * the receiver index of an incoming message, the packets waiting for a
 * handshake, and the timers that drive handshakes and keepalives.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aead.h"
#include "engine.h"
#include "log.h"
#include "udpio.h"
#include "vnet.h"
#include "wg_proto.h"
#include "workers.h"

#define INDEX_BUCKETS	4096	/* a power of two */
#define KEY_BUCKETS	16384	/* a power of two */
#define STAGED_MAX	128	/* packets waiting for a handshake */

LIST_HEAD(index_bucket, eng_index);
static struct index_bucket	 index_table[INDEX_BUCKETS];

/*
 * Usable peers of every interface by public key, for the initiations:
 * a list walk cost more than the Diffie-Hellman with 10,000 peers.  The
 * hash is keyed, so the bucket an initiation's key falls in says
 * nothing about the keys configured.
 */
LIST_HEAD(key_bucket, eng_peer);
static struct key_bucket	 key_table[KEY_BUCKETS];
static uint8_t			 key_hashkey[crypto_shorthash_KEYBYTES];

/*
 * The largest packet with the seal's room around it (the data header's
 * and the tag's among it) and the padding's.
 */
static uint8_t			 txbuf[AEAD_HEADROOM + 65536 +
				    WG_DATA_PADDING + AEAD_TAILROOM];
#define TXBUF_DATA		(txbuf + AEAD_HEADROOM)

void
index_init(void)
{
	size_t	 i;

	for (i = 0; i < INDEX_BUCKETS; i++)
		LIST_INIT(&index_table[i]);
}

void
peer_keys_init(void)
{
	size_t	 i;

	for (i = 0; i < KEY_BUCKETS; i++)
		LIST_INIT(&key_table[i]);
	crypto_shorthash_keygen(key_hashkey);
}

static struct key_bucket *
key_bucket(const uint8_t key[WG_KEY_LEN])
{
	uint8_t		 h[crypto_shorthash_BYTES];
	uint32_t	 i;

	crypto_shorthash(h, key, WG_KEY_LEN, key_hashkey);
	memcpy(&i, h, sizeof(i));
	return &key_table[i & (KEY_BUCKETS - 1)];
}

struct eng_peer *
peer_find_key(const struct eng_iface *ifc, const uint8_t key[WG_KEY_LEN])
{
	struct eng_peer	*p;

	LIST_FOREACH(p, key_bucket(key), by_key)
		if (p->iface == ifc &&
		    sodium_memcmp(p->pubkey, key, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

struct eng_index *
index_find(uint32_t index)
{
	struct eng_index	*e;

	LIST_FOREACH(e, &index_table[index & (INDEX_BUCKETS - 1)], entry)
		if (e->index == index)
			return e;
	return NULL;
}

static void
index_link(struct eng_index *e, uint32_t index, struct eng_peer *peer,
    struct eng_keypair *kp)
{
	e->index = index;
	e->peer = peer;
	e->keypair = kp;
	e->linked = 1;
	LIST_INSERT_HEAD(&index_table[index & (INDEX_BUCKETS - 1)], e, entry);
}

/* Links e under index; -1 if someone holds it already. */
int
index_set(struct eng_index *e, uint32_t index, struct eng_peer *peer,
    struct eng_keypair *kp)
{
	index_del(e);
	if (index_find(index) != NULL)
		return -1;
	index_link(e, index, peer, kp);
	return 0;
}

/* Links e under a new random index no one else holds. */
void
index_add(struct eng_index *e, struct eng_peer *peer, struct eng_keypair *kp)
{
	uint32_t	 index;

	index_del(e);
	do {
		index = randombytes_random();
	} while (index_find(index) != NULL);
	index_link(e, index, peer, kp);
}

void
index_del(struct eng_index *e)
{
	if (!e->linked)
		return;
	LIST_REMOVE(e, entry);
	e->linked = 0;
}

static unsigned int
jitter_ms(void)
{
	return randombytes_uniform(REKEY_TIMEOUT_JITTER_MS);
}

/*
 * Keypairs dropped while a batch of the data path holds pointers to
 * them: retired (no index finds them) and freed when the batch ends.
 */
static struct eng_keypair	*retired;
static int			 holding;

static void
keypair_free(struct eng_keypair *kp)
{
	if (kp == NULL)
		return;
	index_del(&kp->idx);
	if (holding) {
		kp->retired = 1;
		kp->next_retired = retired;
		retired = kp;
		return;
	}
	sodium_memzero(kp, sizeof(*kp));
	free(kp);
}

/* A batch begins: no keypair it points to may be freed until release. */
void
keypairs_hold(void)
{
	holding = 1;
}

void
keypairs_release(void)
{
	struct eng_keypair	*kp;

	holding = 0;
	while ((kp = retired) != NULL) {
		retired = kp->next_retired;
		sodium_memzero(kp, sizeof(*kp));
		free(kp);
	}
}

static void
staged_flush(struct eng_peer *p)
{
	struct staged_packet	*sp;

	while ((sp = STAILQ_FIRST(&p->staged)) != NULL) {
		STAILQ_REMOVE_HEAD(&p->staged, entry);
		sodium_memzero(sp->data, sp->len);
		free(sp);
	}
	p->nstaged = 0;
}

/* Drops every session and the handshake in progress. */
void
peer_reset_sessions(struct eng_peer *p)
{
	keypair_free(p->current);
	keypair_free(p->previous);
	keypair_free(p->next);
	p->current = p->previous = p->next = NULL;
	index_del(&p->hs_idx);
	noise_handshake_clear(&p->noise.hs);
}

/* A literal address in the configuration is where to start. */
void
peer_configured_endpoint(struct eng_peer *p)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	if (p->endpoint_host[0] == '\0')
		return;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, p->endpoint_host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(p->endpoint_port);
		peer_set_endpoint(p, (struct sockaddr *)&sin, sizeof(sin),
		    NULL);
	} else if (inet_pton(AF_INET6, p->endpoint_host,
	    &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(p->endpoint_port);
		peer_set_endpoint(p, (struct sockaddr *)&sin6, sizeof(sin6),
		    NULL);
	}
}

/*
 * Does what the peer's timers ask for at now_ns(): its timer event
 * calls this, and the unit tests do after moving their fake clock.
 */
void
peer_timers_run(struct eng_peer *p)
{
	uint64_t	 again;
	int		 due;

	due = timers_expired(&p->timers, now_ns());
	if (due & TIMER_DO_ZERO_KEYS) {
		log_debug("peer %s: no session for %d s, keys zeroed",
		    p->name, REJECT_AFTER_TIME * 3);
		peer_reset_sessions(p);
	}
	if (due & TIMER_DO_GIVE_UP) {
		log_debug("peer %s: no answer to %d s of handshakes",
		    p->name, REKEY_ATTEMPT_TIME);
		/*
		 * What waited for the handshake goes with it, as in Linux;
		 * counted by what stood in the way.
		 */
		p->iface->drops[p->endpoint_len == 0 ? DROP_NO_ENDPOINT :
		    DROP_HANDSHAKE_TIMEOUT] += p->nstaged;
		staged_flush(p);
	}
	if (due & TIMER_DO_SEND_INITIATION)
		peer_send_initiation(p, 1);
	if (due & TIMER_DO_SEND_KEEPALIVE) {
		/* Sending disarms the timer that asked for another one. */
		again = p->timers.deadline[TIMER_SEND_KEEPALIVE];
		peer_send_keepalive(p);
		if (again != 0)
			p->timers.deadline[TIMER_SEND_KEEPALIVE] = again;
	}
	peer_timers_update(p);
}

static void
peer_timer_cb(int fd, short event, void *arg)
{
	struct eng_peer	*p = arg;

	(void)fd;
	(void)event;
	p->timer_scheduled = 0;
	peer_timers_run(p);
}

/*
 * Whether handshakes can use the peer: it is not disabled, its
 * interface has a private key and the two keys agree on a shared secret.  The noise state is set
 * either way, so a later private key only needs noise_remote_set_keys.
 */
static int
peer_noise_init(struct eng_peer *p)
{
	struct eng_iface	*ifc = p->iface;

	if (noise_remote_init(&p->noise, &ifc->noise, p->pubkey,
	    p->has_psk ? p->psk : NULL) == -1) {
		if (ifc->has_privkey)
			log_warnx("peer %s: its public key is not usable",
			    p->name);
		return 0;
	}
	return ifc->has_privkey && !p->disabled;
}

/* A peer handshakes can use now: its endpoint and keepalive start. */
static void
peer_becomes_usable(struct eng_peer *p)
{
	p->usable = 1;
	peer_configured_endpoint(p);
	/* A persistent keepalive starts the first handshake by itself. */
	if (p->keepalive != 0 && p->endpoint_len != 0)
		timers_set_persistent_keepalive(&p->timers, p->keepalive,
		    now_ns());
	peer_timers_update(p);
}

/*
 * Sets up a peer's protocol state.  A peer without a public key (a
 * managed peer not provisioned yet) or with one no handshake can use is
 * kept, but never handshakes.  Every peer with a key is in the key
 * table, so the userspace API finds it.
 */
int
peer_start(struct eng_peer *p)
{
	STAILQ_INIT(&p->staged);
	p->nstaged = 0;
	timers_init(&p->timers, p->keepalive);
	evtimer_set(&p->timer_ev, peer_timer_cb, p);
	p->running = 1;
	p->usable = 0;
	if (!p->has_pubkey)
		return 0;
	cookie_maker_init(&p->cookie, p->pubkey);
	LIST_INSERT_HEAD(key_bucket(p->pubkey), p, by_key);
	p->keyed = 1;
	if (peer_noise_init(p))
		peer_becomes_usable(p);
	return 0;
}

/*
 * The interface's private key changed (or went): sessions made with
 * the old one are void, and the peer is usable again only if the new
 * key agrees with its own.
 */
void
peer_local_key_changed(struct eng_peer *p)
{
	if (!p->running || !p->keyed)
		return;
	peer_reset_sessions(p);
	if (!peer_noise_init(p))
		p->usable = 0;
	else if (!p->usable)
		peer_becomes_usable(p);
}

void
peer_stop(struct eng_peer *p)
{
	if (!p->running)
		return;
	evtimer_del(&p->timer_ev);
	p->timer_scheduled = 0;
	peer_reset_sessions(p);
	staged_flush(p);
	cookie_maker_free(&p->cookie);
	noise_remote_clear(&p->noise);
	if (p->keyed)
		LIST_REMOVE(p, by_key);
	p->running = 0;
	p->usable = 0;
	p->keyed = 0;
}

/*
 * The peer's address, and the local address it reached us at (NULL:
 * none known, for an address from the configuration or wg(8)): we
 * answer from that one, so a peer behind NAT, or one that sent to our
 * second address, sees its answers come from where it sent.
 */
void
peer_set_endpoint(struct eng_peer *p, const struct sockaddr *sa,
    socklen_t len, const struct udpio_local *local)
{
	if (len > sizeof(p->endpoint))
		return;
	memcpy(&p->endpoint, sa, len);
	p->endpoint_len = len;
	if (local != NULL && local->af == sa->sa_family)
		p->local = *local;
	else
		memset(&p->local, 0, sizeof(p->local));
}

/*
 * Sends to the peer from its local address; when that address is gone
 * (the kernel refuses it), forgets it and lets routing choose one.
 */
static int
peer_udp_send(struct eng_peer *p, int fd, int *gso, struct iovec *iov,
    size_t n)
{
	if (udpio_send(fd, gso, (struct sockaddr *)&p->endpoint,
	    p->endpoint_len, p->local.af != 0 ? &p->local : NULL, iov,
	    n) == 0)
		return 0;
	if (p->local.af == 0 || (errno != EINVAL && errno != EADDRNOTAVAIL &&
	    errno != ENETUNREACH))
		return -1;
	log_debug("peer %s: our address it used is gone: another one",
	    p->name);
	memset(&p->local, 0, sizeof(p->local));
	return udpio_send(fd, gso, (struct sockaddr *)&p->endpoint,
	    p->endpoint_len, NULL, iov, n);
}

void
peer_timers_update(struct eng_peer *p)
{
	struct timeval	 tv;
	uint64_t	 next, now, delta;

	if (!p->running)
		return;
	/* Most packets move no deadline: then the event is already right. */
	if ((next = timers_next(&p->timers)) == p->timer_scheduled)
		return;
	p->timer_scheduled = next;
	if (next == 0) {
		evtimer_del(&p->timer_ev);
		return;
	}
	now = now_ns();
	delta = next > now ? next - now : 0;
	tv.tv_sec = delta / NSEC_PER_SEC;
	tv.tv_usec = (delta % NSEC_PER_SEC) / 1000;
	evtimer_add(&p->timer_ev, &tv);
}

/*
 * Sends a whole UDP payload to the peer's endpoint.  What leaves counts
 * in its transfer, as the kernel counts its handshake messages.
 */
int
peer_send_buf(struct eng_peer *p, const void *buf, size_t len)
{
	struct eng_iface	*ifc = p->iface;
	struct iovec		 iov;
	int			 fd, nogso = 0;

	if (p->endpoint_len == 0) {
		ifc->drops[DROP_NO_ENDPOINT]++;
		return -1;
	}
	fd = p->endpoint.ss_family == AF_INET ? ifc->udp4_fd : ifc->udp6_fd;
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	if (fd == -1 || peer_udp_send(p, fd, &nogso, &iov, 1) == -1) {
		ifc->drops[DROP_IO]++;
		return -1;
	}
	p->state.tx_bytes += len;
	return 0;
}

/*
 * Sends a handshake initiation, at most one per REKEY_TIMEOUT unless
 * the retransmit timer asks for a retry.
 */
void
peer_send_initiation(struct eng_peer *p, int retry)
{
	struct wg_msg_initiation	 msg;
	struct timespec			 ts;
	uint8_t				 eph[WG_KEY_SIZE];
	uint8_t				 tai[WG_TIMESTAMP_SIZE];
	uint64_t			 now = now_ns();

	if (!p->usable)
		return;
	/* A fresh attempt, not a retry, gets its full 90 s (as Linux). */
	if (!retry)
		p->timers.handshake_attempts = 0;
	if (!retry && !timers_may_initiate(&p->timers, now))
		return;
	/*
	 * Without the peer's address nothing can leave, but the attempt
	 * counts as made, as in wireguard-go: the retries run out after
	 * REKEY_ATTEMPT_TIME and take the packets waiting with them,
	 * which would otherwise wait for good; an address learned
	 * meanwhile gets the next retry.
	 */
	if (p->endpoint_len == 0) {
		timers_initiation_sent(&p->timers, now, jitter_ms());
		peer_timers_update(p);
		return;
	}
	index_add(&p->hs_idx, p, NULL);
	key_generate_private(eph);
	clock_gettime(CLOCK_REALTIME, &ts);
	noise_tai64n(tai, ts.tv_sec, (uint32_t)ts.tv_nsec);
	if (noise_create_initiation(&p->iface->noise, &p->noise, eph, tai,
	    p->hs_idx.index, &msg) == -1) {
		sodium_memzero(eph, sizeof(eph));
		index_del(&p->hs_idx);
		return;
	}
	sodium_memzero(eph, sizeof(eph));
	cookie_maker_mac(&p->cookie, &msg, sizeof(msg), now);
	log_debug("peer %s: sending handshake initiation", p->name);
	p->iface->handshakes_sent++;
	(void)peer_send_buf(p, &msg, sizeof(msg));
	timers_authenticated_sent(&p->timers, now);
	timers_initiation_sent(&p->timers, now, jitter_ms());
	peer_timers_update(p);
}

/*
 * A new session.  The initiator uses it at once; the responder keeps
 * it as next until the initiator's first data proves the initiator has
 * it too (peer_confirm_keypair).
 */
void
peer_add_keypair(struct eng_peer *p, struct eng_keypair *kp)
{
	if (kp->kp.initiator) {
		if (p->next != NULL) {
			keypair_free(p->previous);
			p->previous = p->next;
			p->next = NULL;
			keypair_free(p->current);
		} else {
			keypair_free(p->previous);
			p->previous = p->current;
		}
		p->current = kp;
	} else {
		keypair_free(p->next);
		keypair_free(p->previous);
		p->previous = NULL;
		p->next = kp;
	}
}

/* Data arrived under kp: if it was the next session, it is current now. */
int
peer_confirm_keypair(struct eng_peer *p, struct eng_keypair *kp)
{
	if (p->next != kp)
		return 0;
	keypair_free(p->previous);
	p->previous = p->current;
	p->current = p->next;
	p->next = NULL;
	return 1;
}

/* Trailing zeros up to a multiple of 16, never past the MTU. */
static size_t
padded_len(size_t len, uint32_t mtu)
{
	size_t	 padded = (len + WG_DATA_PADDING - 1) &
		    ~(size_t)(WG_DATA_PADDING - 1);

	if (len <= mtu && padded > mtu)
		padded = mtu;
	return padded > len ? padded : len;
}

/*
 * Encrypts the plaintext at data (len bytes, 0 for a keepalive) in
 * place and sends it, as one packet of the batched path.  data needs
 * AEAD_HEADROOM bytes before it (the data header goes there) and the
 * padding's and AEAD_TAILROOM after the plaintext.  Without a usable
 * session the packet waits for the handshake this starts.
 */
void
peer_encrypt_send(struct eng_peer *p, uint8_t *data, size_t len)
{
	struct vnet_pkt		 pkt;
	struct crypt_job	 job;

	pkt.data = data;
	pkt.len = len;
	if (peer_seal_prepare(p, &pkt, 1, &job) == 0)
		return;
	/* One job: the calling thread seals it, inside a batch or not. */
	workers_run(&job, 1);
	peer_seal_finish(p, &job, 1);
}

/*
 * The first half of sending n packets (each with AEAD_HEADROOM bytes
 * before it, where the data header goes, and room for the padding and
 * AEAD_TAILROOM after): their headers, padding and counters, and a job
 * each to seal them in place.  Without a usable session they wait for
 * the handshake this starts instead.  Returns how many jobs it filled.
 */
size_t
peer_seal_prepare(struct eng_peer *p, struct vnet_pkt *pkts, size_t n,
    struct crypt_job *jobs)
{
	struct eng_iface	*ifc = p->iface;
	struct eng_keypair	*kp = p->current;
	struct wg_msg_data	 hdr;
	uint64_t		 now = now_ns();
	size_t			 i, plen, njobs;

	if (kp == NULL || !keypair_usable(kp->created, now, kp->send_counter)) {
		/* A keepalive is not kept: the handshake stands for it. */
		for (i = 0; i < n; i++)
			if (pkts[i].len > 0)
				peer_stage(p, pkts[i].data, pkts[i].len);
		peer_send_initiation(p, 0);
		return 0;
	}
	if (p->endpoint_len == 0) {
		ifc->drops[DROP_NO_ENDPOINT] += n;
		return 0;
	}
	hdr.type = htole32(WG_MSG_DATA);
	hdr.receiver = htole32(kp->kp.remote_index);
	/* Past the last counter, what is left waits for a new session. */
	for (i = 0; i < n && kp->send_counter < REJECT_AFTER_MESSAGES; i++) {
		plen = padded_len(pkts[i].len, ifc->mtu);
		memset(pkts[i].data + pkts[i].len, 0, plen - pkts[i].len);
		jobs[i].key = kp->kp.send;
		jobs[i].counter = kp->send_counter++;
		jobs[i].data = pkts[i].data;
		jobs[i].len = plen;
		jobs[i].seal = 1;
		hdr.counter = htole64(jobs[i].counter);
		memcpy(pkts[i].data - WG_MSG_DATA_HEADER_SIZE, &hdr,
		    sizeof(hdr));
	}
	njobs = i;
	for (; i < n; i++)
		peer_stage(p, pkts[i].data, pkts[i].len);
	if (njobs < n)
		peer_send_initiation(p, 0);
	return njobs;
}

/*
 * The second half, once the workers sealed the jobs: the messages leave
 * in order, a super-packet's in one GSO send, and the timers learn it.
 */
void
peer_seal_finish(struct eng_peer *p, struct crypt_job *jobs, size_t n)
{
	struct iovec		 iov[PEER_SEND_MAX];
	struct eng_iface	*ifc = p->iface;
	struct eng_keypair	*kp = p->current;
	uint64_t		 now = now_ns(), bytes = 0;
	size_t			 i, m;
	int			 fd, *gso, data;

	if (n > PEER_SEND_MAX)
		fatalx("%s: %zu packets", __func__, n);
	for (i = 0, m = 0, data = 0; i < n; i++) {
		if (jobs[i].result == -1) {
			ifc->drops[DROP_IO]++;
			continue;
		}
		data |= jobs[i].len > 0;
		iov[m].iov_base = jobs[i].data - WG_MSG_DATA_HEADER_SIZE;
		iov[m].iov_len = WG_MSG_DATA_HEADER_SIZE + jobs[i].len +
		    WG_AEAD_TAG_SIZE;
		bytes += iov[m++].iov_len;
	}
	if (m == 0)
		return;
	if (p->endpoint.ss_family == AF_INET) {
		fd = ifc->udp4_fd;
		gso = &ifc->udp4_gso;
	} else {
		fd = ifc->udp6_fd;
		gso = &ifc->udp6_gso;
	}
	if (fd == -1 || peer_udp_send(p, fd, gso, iov, m) == -1) {
		ifc->drops[DROP_IO] += m;
		return;
	}
	p->state.tx_bytes += bytes;
	timers_authenticated_sent(&p->timers, now);
	/*
	 * Data, not keepalives, wants an answer.  The jitter costs a
	 * getrandom(2): only when the timer needs it.
	 */
	if (data && !timers_armed(&p->timers, TIMER_NEW_HANDSHAKE))
		timers_data_sent(&p->timers, now, jitter_ms());
	if (kp != NULL && keypair_rekey_on_send(kp->created, now,
	    kp->send_counter, kp->kp.initiator))
		peer_send_initiation(p, 0);
	peer_timers_update(p);
}

/* Without a session, as in Linux, a keepalive asks for a handshake. */
void
peer_send_keepalive(struct eng_peer *p)
{
	peer_encrypt_send(p, TXBUF_DATA, 0);
}

/* Keeps a packet until a session exists; the oldest goes when full. */
void
peer_stage(struct eng_peer *p, const uint8_t *data, size_t len)
{
	struct staged_packet	*sp;

	if (p->nstaged >= STAGED_MAX) {
		sp = STAILQ_FIRST(&p->staged);
		STAILQ_REMOVE_HEAD(&p->staged, entry);
		sodium_memzero(sp->data, sp->len);
		free(sp);
		p->nstaged--;
		p->iface->drops[DROP_QUEUE_FULL]++;
	}
	if ((sp = malloc(sizeof(*sp) + len)) == NULL) {
		p->iface->drops[DROP_QUEUE_FULL]++;
		return;
	}
	sp->len = len;
	memcpy(sp->data, data, len);
	STAILQ_INSERT_TAIL(&p->staged, sp, entry);
	p->nstaged++;
}

/*
 * After a handshake: what waited goes out, or a keepalive confirms the
 * new session to the responder at once.
 */
void
peer_send_staged(struct eng_peer *p)
{
	struct staged_queue	 q;
	struct staged_packet	*sp;

	if (p->nstaged == 0) {
		peer_send_keepalive(p);
		return;
	}
	STAILQ_INIT(&q);
	STAILQ_CONCAT(&q, &p->staged);
	p->nstaged = 0;
	while ((sp = STAILQ_FIRST(&q)) != NULL) {
		STAILQ_REMOVE_HEAD(&q, entry);
		memcpy(TXBUF_DATA, sp->data, sp->len);
		peer_encrypt_send(p, TXBUF_DATA, sp->len);
		sodium_memzero(sp->data, sp->len);
		free(sp);
	}
}
