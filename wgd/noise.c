/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it (whitepaper
 * section 5.4), written step by step after the paper so the code can be
 * read against it: C is the chaining key, H the hash, KDFn the HKDF of
 * blake2s.c.  The message structs are wire images, integers little-endian.
 *
 * Each step works on a copy of the handshake state and commits it to the
 * peer only when the whole message has been built or verified; the copy
 * and every key, DH result and tau are wiped on the way out.
 */

#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aead.h"
#include "blake2s.h"
#include "noise.h"
#include "wg_proto.h"

_Static_assert(sizeof(struct wg_msg_initiation) == WG_MSG_INITIATION_SIZE,
    "initiation size");
_Static_assert(sizeof(struct wg_msg_response) == WG_MSG_RESPONSE_SIZE,
    "response size");
_Static_assert(sizeof(struct wg_msg_data) == WG_MSG_DATA_HEADER_SIZE,
    "data header size");
_Static_assert(WG_AEAD_TAG_SIZE == crypto_aead_chacha20poly1305_IETF_ABYTES,
    "AEAD tag size");
_Static_assert(WG_HASH_SIZE == BLAKE2S_HASH_SIZE, "hash size");

/* TAI64 labels count from 2^62; WireGuard adds the 10 s TAI-UTC of 1972. */
#define NOISE_TAI64_BASE	0x400000000000000aULL
#define NOISE_TAI64N_NSEC_MASK	(~(uint32_t)((1U << 24) - 1))

#define NOISE_NONCE_SIZE	12
_Static_assert(NOISE_NONCE_SIZE == crypto_aead_chacha20poly1305_IETF_NPUBBYTES,
    "nonce size");

static void	noise_nonce(uint8_t [NOISE_NONCE_SIZE],
		    uint64_t);
static void	noise_seal(uint8_t *, const uint8_t [WG_KEY_SIZE],
		    const uint8_t *, size_t, const uint8_t [WG_HASH_SIZE]);
static int	noise_open(uint8_t *, const uint8_t [WG_KEY_SIZE],
		    const uint8_t *, size_t, const uint8_t [WG_HASH_SIZE]);
static void	noise_mix_hash(uint8_t [WG_HASH_SIZE], const uint8_t *, size_t);
static int	noise_dh(uint8_t [WG_KEY_SIZE], const uint8_t [WG_KEY_SIZE],
		    const uint8_t [WG_KEY_SIZE]);
static void	noise_start(uint8_t [WG_HASH_SIZE], uint8_t [WG_HASH_SIZE],
		    const uint8_t [WG_KEY_SIZE]);

/* 32 zero bits, then the counter little-endian. */
static void
noise_nonce(uint8_t nonce[NOISE_NONCE_SIZE],
    uint64_t counter)
{
	uint64_t	 le;

	le = htole64(counter);
	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

/*
 * AEAD(key, 0, plain, H).  Each handshake key encrypts exactly one
 * message, which is why a zero counter is safe here.
 */
static void
noise_seal(uint8_t *out, const uint8_t key[WG_KEY_SIZE], const uint8_t *in,
    size_t inlen, const uint8_t hash[WG_HASH_SIZE])
{
	uint8_t	 nonce[NOISE_NONCE_SIZE];

	noise_nonce(nonce, 0);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, inlen, hash,
	    WG_HASH_SIZE, NULL, nonce, key);
}

static int
noise_open(uint8_t *out, const uint8_t key[WG_KEY_SIZE], const uint8_t *in,
    size_t inlen, const uint8_t hash[WG_HASH_SIZE])
{
	uint8_t	 nonce[NOISE_NONCE_SIZE];

	noise_nonce(nonce, 0);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in,
	    inlen, hash, WG_HASH_SIZE, nonce, key) != 0)
		return -1;
	return 0;
}

/* H = HASH(H || data) */
static void
noise_mix_hash(uint8_t hash[WG_HASH_SIZE], const uint8_t *data, size_t len)
{
	struct blake2s_state	 s;

	blake2s_init(&s, WG_HASH_SIZE, NULL, 0);
	blake2s_update(&s, hash, WG_HASH_SIZE);
	blake2s_update(&s, data, len);
	blake2s_final(&s, hash);
}

/*
 * X25519.  An all-zero result means the public value was of low order
 * and the DH contributes nothing secret; the paper requires refusing it.
 */
static int
noise_dh(uint8_t out[WG_KEY_SIZE], const uint8_t priv[WG_KEY_SIZE],
    const uint8_t pub[WG_KEY_SIZE])
{
	if (crypto_scalarmult_curve25519(out, priv, pub) != 0 ||
	    sodium_is_zero(out, WG_KEY_SIZE)) {
		sodium_memzero(out, WG_KEY_SIZE);
		return -1;
	}
	return 0;
}

/*
 * C = HASH(CONSTRUCTION), H = HASH(HASH(C || IDENTIFIER) || S_resp_pub).
 * Nothing here is secret and it costs three small hashes next to four
 * X25519 operations, so it is recomputed rather than cached.
 */
static void
noise_start(uint8_t ck[WG_HASH_SIZE], uint8_t hash[WG_HASH_SIZE],
    const uint8_t responder_public[WG_KEY_SIZE])
{
	blake2s(ck, WG_HASH_SIZE, NULL, 0, (const uint8_t *)WG_CONSTRUCTION,
	    strlen(WG_CONSTRUCTION));
	memcpy(hash, ck, WG_HASH_SIZE);
	noise_mix_hash(hash, (const uint8_t *)WG_IDENTIFIER,
	    strlen(WG_IDENTIFIER));
	noise_mix_hash(hash, responder_public, WG_KEY_SIZE);
}

int
noise_local_init(struct noise_local *l, const uint8_t private[WG_KEY_SIZE])
{
	memcpy(l->private, private, WG_KEY_SIZE);
	if (crypto_scalarmult_curve25519_base(l->public, l->private) != 0) {
		noise_local_clear(l);
		return -1;
	}
	return 0;
}

void
noise_local_clear(struct noise_local *l)
{
	sodium_memzero(l, sizeof(*l));
}

int
noise_remote_init(struct noise_remote *r, const struct noise_local *l,
    const uint8_t public[WG_KEY_SIZE], const uint8_t *psk)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->public, public, WG_KEY_SIZE);
	return noise_remote_set_keys(r, l, psk);
}

int
noise_remote_set_keys(struct noise_remote *r, const struct noise_local *l,
    const uint8_t *psk)
{
	noise_handshake_clear(&r->hs);
	if (psk != NULL)
		memcpy(r->psk, psk, WG_KEY_SIZE);
	else
		sodium_memzero(r->psk, WG_KEY_SIZE);
	/* noise_dh() leaves ss zero on failure, which later calls check. */
	return noise_dh(r->ss, l->private, r->public);
}

void
noise_remote_clear(struct noise_remote *r)
{
	sodium_memzero(r, sizeof(*r));
}

void
noise_handshake_clear(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

void
noise_pending_clear(struct noise_pending *p)
{
	sodium_memzero(p, sizeof(*p));
}

void
noise_keypair_clear(struct noise_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

void
noise_tai64n(uint8_t out[WG_TIMESTAMP_SIZE], int64_t unix_sec, uint32_t nsec)
{
	uint64_t	 be_sec;
	uint32_t	 be_nsec;

	be_sec = htobe64(NOISE_TAI64_BASE + (uint64_t)unix_sec);
	be_nsec = htobe32(nsec & NOISE_TAI64N_NSEC_MASK);
	memcpy(out, &be_sec, sizeof(be_sec));
	memcpy(out + sizeof(be_sec), &be_nsec, sizeof(be_nsec));
}

int
noise_create_initiation(const struct noise_local *l, struct noise_remote *r,
    const uint8_t e_priv[WG_KEY_SIZE],
    const uint8_t timestamp[WG_TIMESTAMP_SIZE], uint32_t sender,
    struct wg_msg_initiation *m)
{
	struct noise_handshake	 hs;
	uint8_t			 dh[WG_KEY_SIZE], key[WG_KEY_SIZE];
	int			 rv = -1;

	memset(m, 0, sizeof(*m));
	memset(&hs, 0, sizeof(hs));
	if (sodium_is_zero(r->ss, WG_KEY_SIZE))
		goto out;

	noise_start(hs.ck, hs.hash, r->public);

	/* msg.ephemeral = E_i_pub; C = KDF1(C, E_i_pub); H mixes it. */
	memcpy(hs.e_local, e_priv, WG_KEY_SIZE);
	if (crypto_scalarmult_curve25519_base(m->ephemeral, hs.e_local) != 0)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, m->ephemeral, WG_KEY_SIZE);
	noise_mix_hash(hs.hash, m->ephemeral, WG_KEY_SIZE);

	/* (C, k) = KDF2(C, DH(E_i, S_r)); msg.static = AEAD(k, S_i_pub) */
	if (noise_dh(dh, hs.e_local, r->public) == -1)
		goto out;
	blake2s_hkdf(hs.ck, key, NULL, hs.ck, dh, WG_KEY_SIZE);
	noise_seal(m->static_enc, key, l->public, WG_KEY_SIZE, hs.hash);
	noise_mix_hash(hs.hash, m->static_enc, sizeof(m->static_enc));

	/* (C, k) = KDF2(C, DH(S_i, S_r)); msg.timestamp = AEAD(k, TAI64N) */
	blake2s_hkdf(hs.ck, key, NULL, hs.ck, r->ss, WG_KEY_SIZE);
	noise_seal(m->timestamp_enc, key, timestamp, WG_TIMESTAMP_SIZE,
	    hs.hash);
	noise_mix_hash(hs.hash, m->timestamp_enc, sizeof(m->timestamp_enc));

	m->type = htole32(WG_MSG_INITIATION);
	m->sender = htole32(sender);

	hs.state = NOISE_STATE_CREATED_INITIATION;
	hs.local_index = sender;
	memcpy(&r->hs, &hs, sizeof(hs));
	rv = 0;
 out:
	if (rv == -1)
		memset(m, 0, sizeof(*m));
	sodium_memzero(&hs, sizeof(hs));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	return rv;
}

int
noise_consume_initiation(const struct noise_local *l,
    const struct wg_msg_initiation *m, struct noise_pending *p)
{
	uint8_t	 dh[WG_KEY_SIZE], key[WG_KEY_SIZE];
	int	 rv = -1;

	memset(p, 0, sizeof(*p));
	memset(key, 0, sizeof(key));
	if (le32toh(m->type) != WG_MSG_INITIATION)
		goto out;

	noise_start(p->ck, p->hash, l->public);

	memcpy(p->e_remote, m->ephemeral, WG_KEY_SIZE);
	blake2s_hkdf(p->ck, NULL, NULL, p->ck, p->e_remote, WG_KEY_SIZE);
	noise_mix_hash(p->hash, p->e_remote, WG_KEY_SIZE);

	if (noise_dh(dh, l->private, p->e_remote) == -1)
		goto out;
	blake2s_hkdf(p->ck, key, NULL, p->ck, dh, WG_KEY_SIZE);
	if (noise_open(p->remote_public, key, m->static_enc,
	    sizeof(m->static_enc), p->hash) == -1)
		goto out;
	noise_mix_hash(p->hash, m->static_enc, sizeof(m->static_enc));

	/* The rest needs the peer's precomputed DH: noise_accept_initiation. */
	memcpy(p->timestamp_enc, m->timestamp_enc, sizeof(p->timestamp_enc));
	p->remote_index = le32toh(m->sender);
	rv = 0;
 out:
	if (rv == -1)
		noise_pending_clear(p);
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	return rv;
}

int
noise_accept_initiation(struct noise_remote *r, struct noise_pending *p)
{
	struct noise_handshake	 hs;
	uint8_t			 key[WG_KEY_SIZE];
	uint8_t			 ts[WG_TIMESTAMP_SIZE];
	int			 rv = -1;

	memset(&hs, 0, sizeof(hs));
	memset(key, 0, sizeof(key));
	memset(ts, 0, sizeof(ts));
	if (sodium_is_zero(r->ss, WG_KEY_SIZE) ||
	    sodium_memcmp(p->remote_public, r->public, WG_KEY_SIZE) != 0)
		goto out;

	memcpy(hs.ck, p->ck, WG_HASH_SIZE);
	memcpy(hs.hash, p->hash, WG_HASH_SIZE);
	blake2s_hkdf(hs.ck, key, NULL, hs.ck, r->ss, WG_KEY_SIZE);
	if (noise_open(ts, key, p->timestamp_enc, sizeof(p->timestamp_enc),
	    hs.hash) == -1)
		goto out;
	noise_mix_hash(hs.hash, p->timestamp_enc, sizeof(p->timestamp_enc));

	/*
	 * Big-endian, so byte order is numeric order.  memcmp is fine: the
	 * sender proved it holds the keys, and the value is no secret.
	 */
	if (memcmp(ts, r->last_timestamp, WG_TIMESTAMP_SIZE) <= 0)
		goto out;

	hs.state = NOISE_STATE_CONSUMED_INITIATION;
	hs.remote_index = p->remote_index;
	memcpy(hs.e_remote, p->e_remote, WG_KEY_SIZE);
	memcpy(&r->hs, &hs, sizeof(hs));
	memcpy(r->last_timestamp, ts, WG_TIMESTAMP_SIZE);
	rv = 0;
 out:
	noise_pending_clear(p);
	sodium_memzero(&hs, sizeof(hs));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ts, sizeof(ts));
	return rv;
}

int
noise_create_response(struct noise_remote *r,
    const uint8_t e_priv[WG_KEY_SIZE], uint32_t sender,
    struct wg_msg_response *m)
{
	struct noise_handshake	 hs;
	uint8_t			 dh[WG_KEY_SIZE], key[WG_KEY_SIZE];
	uint8_t			 tau[WG_HASH_SIZE];
	int			 rv = -1;

	memset(m, 0, sizeof(*m));
	memset(dh, 0, sizeof(dh));
	memset(key, 0, sizeof(key));
	memset(tau, 0, sizeof(tau));
	memcpy(&hs, &r->hs, sizeof(hs));
	if (hs.state != NOISE_STATE_CONSUMED_INITIATION)
		goto out;

	/* msg.ephemeral = E_r_pub; C = KDF1(C, E_r_pub); H mixes it. */
	if (crypto_scalarmult_curve25519_base(m->ephemeral, e_priv) != 0)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, m->ephemeral, WG_KEY_SIZE);
	noise_mix_hash(hs.hash, m->ephemeral, WG_KEY_SIZE);

	/* C = KDF1(C, DH(E_r, E_i)); C = KDF1(C, DH(E_r, S_i)) */
	if (noise_dh(dh, e_priv, hs.e_remote) == -1)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, dh, WG_KEY_SIZE);
	if (noise_dh(dh, e_priv, r->public) == -1)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, dh, WG_KEY_SIZE);

	/* (C, tau, k) = KDF3(C, Q); H mixes tau; msg.empty = AEAD(k, "") */
	blake2s_hkdf(hs.ck, tau, key, hs.ck, r->psk, WG_KEY_SIZE);
	noise_mix_hash(hs.hash, tau, sizeof(tau));
	noise_seal(m->empty_enc, key, (const uint8_t *)"", 0, hs.hash);
	noise_mix_hash(hs.hash, m->empty_enc, sizeof(m->empty_enc));

	m->type = htole32(WG_MSG_RESPONSE);
	m->sender = htole32(sender);
	m->receiver = htole32(hs.remote_index);

	hs.state = NOISE_STATE_CREATED_RESPONSE;
	hs.local_index = sender;
	memset(hs.e_remote, 0, sizeof(hs.e_remote));
	memcpy(&r->hs, &hs, sizeof(hs));
	rv = 0;
 out:
	if (rv == -1)
		memset(m, 0, sizeof(*m));
	sodium_memzero(&hs, sizeof(hs));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(tau, sizeof(tau));
	return rv;
}

int
noise_consume_response(const struct noise_local *l, struct noise_remote *r,
    const struct wg_msg_response *m)
{
	struct noise_handshake	 hs;
	uint8_t			 dh[WG_KEY_SIZE], key[WG_KEY_SIZE];
	uint8_t			 tau[WG_HASH_SIZE], empty[1];
	int			 rv = -1;

	memset(dh, 0, sizeof(dh));
	memset(key, 0, sizeof(key));
	memset(tau, 0, sizeof(tau));
	memcpy(&hs, &r->hs, sizeof(hs));
	if (hs.state != NOISE_STATE_CREATED_INITIATION ||
	    le32toh(m->type) != WG_MSG_RESPONSE ||
	    le32toh(m->receiver) != hs.local_index)
		goto out;

	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, m->ephemeral, WG_KEY_SIZE);
	noise_mix_hash(hs.hash, m->ephemeral, WG_KEY_SIZE);

	/* C = KDF1(C, DH(E_i, E_r)); C = KDF1(C, DH(S_i, E_r)) */
	if (noise_dh(dh, hs.e_local, m->ephemeral) == -1)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, dh, WG_KEY_SIZE);
	if (noise_dh(dh, l->private, m->ephemeral) == -1)
		goto out;
	blake2s_hkdf(hs.ck, NULL, NULL, hs.ck, dh, WG_KEY_SIZE);

	blake2s_hkdf(hs.ck, tau, key, hs.ck, r->psk, WG_KEY_SIZE);
	noise_mix_hash(hs.hash, tau, sizeof(tau));
	if (noise_open(empty, key, m->empty_enc, sizeof(m->empty_enc),
	    hs.hash) == -1)
		goto out;
	noise_mix_hash(hs.hash, m->empty_enc, sizeof(m->empty_enc));

	hs.state = NOISE_STATE_CONSUMED_RESPONSE;
	hs.remote_index = le32toh(m->sender);
	/* The ephemeral has done its work; forward secrecy wants it gone. */
	sodium_memzero(hs.e_local, sizeof(hs.e_local));
	memcpy(&r->hs, &hs, sizeof(hs));
	rv = 0;
 out:
	sodium_memzero(&hs, sizeof(hs));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(tau, sizeof(tau));
	return rv;
}

/* (T_send, T_recv) = KDF2(C, "") for the initiator, swapped for us. */
int
noise_derive_keypair(struct noise_remote *r, struct noise_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	switch (r->hs.state) {
	case NOISE_STATE_CONSUMED_RESPONSE:
		kp->initiator = 1;
		blake2s_hkdf(kp->send, kp->recv, NULL, r->hs.ck, NULL, 0);
		break;
	case NOISE_STATE_CREATED_RESPONSE:
		kp->initiator = 0;
		blake2s_hkdf(kp->recv, kp->send, NULL, r->hs.ck, NULL, 0);
		break;
	default:
		return -1;
	}
	kp->local_index = r->hs.local_index;
	kp->remote_index = r->hs.remote_index;
	noise_handshake_clear(&r->hs);
	return 0;
}

int
noise_encrypt(const struct noise_keypair *kp, uint64_t counter,
    const uint8_t *in, size_t len, uint8_t *out)
{
	if (counter >= REJECT_AFTER_MESSAGES ||
	    len > crypto_aead_chacha20poly1305_IETF_MESSAGEBYTES_MAX)
		return -1;
	return aead_seal(kp->send, counter, in, len, out);
}

int
noise_decrypt(const struct noise_keypair *kp, uint64_t counter,
    const uint8_t *in, size_t len, uint8_t *out)
{
	if (counter >= REJECT_AFTER_MESSAGES || len < WG_AEAD_TAG_SIZE)
		return -1;
	return aead_open(kp->recv, counter, in, len, out);
}
