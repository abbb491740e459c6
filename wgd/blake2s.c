/*
 * BLAKE2s as RFC 7693 specifies it, with the HMAC (RFC 2104) and the
 * HKDF (RFC 5869 shape, whitepaper section 5.4) that WireGuard builds on
 * it.  Every buffer that held key material or an intermediate value
 * derived from one is wiped before a function returns.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blake2s.h"

static const uint32_t blake2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* Message word schedule, RFC 7693 section 2.7; BLAKE2s uses 10 rounds. */
static const uint8_t blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 }
};

static uint32_t
blake2s_ror(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

/* Words are little-endian whatever the host is. */
static uint32_t
blake2s_load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * The mixing function G of RFC 7693 section 3.1, rotations 16 12 8 7,
 * on named words: with the rounds unrolled, the compiler keeps the
 * sixteen of v in registers.  Every handshake message's MAC1, checked
 * before anything else, is a few of these: under a flood they are most
 * of the engine's time.
 */
#define G(a, b, c, d, x, y) do {				\
	a = a + b + (x);					\
	d = blake2s_ror(d ^ a, 16);				\
	c = c + d;						\
	b = blake2s_ror(b ^ c, 12);				\
	a = a + b + (y);					\
	d = blake2s_ror(d ^ a, 8);				\
	c = c + d;						\
	b = blake2s_ror(b ^ c, 7);				\
} while (0)

/* Round r: the columns, then the diagonals. */
#define ROUND(r) do {						\
	G(v0, v4, v8, v12, m[blake2s_sigma[r][0]],		\
	    m[blake2s_sigma[r][1]]);				\
	G(v1, v5, v9, v13, m[blake2s_sigma[r][2]],		\
	    m[blake2s_sigma[r][3]]);				\
	G(v2, v6, v10, v14, m[blake2s_sigma[r][4]],		\
	    m[blake2s_sigma[r][5]]);				\
	G(v3, v7, v11, v15, m[blake2s_sigma[r][6]],		\
	    m[blake2s_sigma[r][7]]);				\
	G(v0, v5, v10, v15, m[blake2s_sigma[r][8]],		\
	    m[blake2s_sigma[r][9]]);				\
	G(v1, v6, v11, v12, m[blake2s_sigma[r][10]],		\
	    m[blake2s_sigma[r][11]]);				\
	G(v2, v7, v8, v13, m[blake2s_sigma[r][12]],		\
	    m[blake2s_sigma[r][13]]);				\
	G(v3, v4, v9, v14, m[blake2s_sigma[r][14]],		\
	    m[blake2s_sigma[r][15]]);				\
} while (0)

/* The compression function F of RFC 7693 section 3.2 over one block. */
static void
blake2s_compress(struct blake2s_state *s, const uint8_t block[64])
{
	uint32_t	 m[16];
	uint32_t	 v0, v1, v2, v3, v4, v5, v6, v7;
	uint32_t	 v8, v9, v10, v11, v12, v13, v14, v15;
	int		 i;

	for (i = 0; i < 16; i++)
		m[i] = blake2s_load32(block + 4 * i);
	v0 = s->h[0];
	v1 = s->h[1];
	v2 = s->h[2];
	v3 = s->h[3];
	v4 = s->h[4];
	v5 = s->h[5];
	v6 = s->h[6];
	v7 = s->h[7];
	v8 = blake2s_iv[0];
	v9 = blake2s_iv[1];
	v10 = blake2s_iv[2];
	v11 = blake2s_iv[3];
	v12 = blake2s_iv[4] ^ s->t[0];
	v13 = blake2s_iv[5] ^ s->t[1];
	v14 = blake2s_iv[6] ^ s->f[0];
	v15 = blake2s_iv[7] ^ s->f[1];

	ROUND(0);
	ROUND(1);
	ROUND(2);
	ROUND(3);
	ROUND(4);
	ROUND(5);
	ROUND(6);
	ROUND(7);
	ROUND(8);
	ROUND(9);

	s->h[0] ^= v0 ^ v8;
	s->h[1] ^= v1 ^ v9;
	s->h[2] ^= v2 ^ v10;
	s->h[3] ^= v3 ^ v11;
	s->h[4] ^= v4 ^ v12;
	s->h[5] ^= v5 ^ v13;
	s->h[6] ^= v6 ^ v14;
	s->h[7] ^= v7 ^ v15;

	/*
	 * The message may be a key block: m is wiped.  The words of v stay
	 * in registers, or in a stack frame the next call overwrites.
	 */
	explicit_bzero(m, sizeof(m));
}

#undef ROUND
#undef G

/* The byte counter t is 64 bits kept as two words. */
static void
blake2s_add_count(struct blake2s_state *s, uint32_t n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

/*
 * A bad length is a programming error, and hashing on with it would give
 * a wrong but plausible-looking answer: stop instead.
 */
void
blake2s_init(struct blake2s_state *s, size_t outlen, const uint8_t *key,
    size_t keylen)
{
	int	 i;

	if (outlen == 0 || outlen > BLAKE2S_HASH_SIZE ||
	    keylen > BLAKE2S_KEY_SIZE || (key == NULL && keylen != 0))
		abort();

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 8; i++)
		s->h[i] = blake2s_iv[i];
	/* Parameter block: digest length, key length, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000 ^ (uint32_t)keylen << 8 ^ (uint32_t)outlen;
	s->outlen = outlen;

	if (keylen > 0) {
		/* The key, zero-padded, is the first block of input. */
		memcpy(s->buf, key, keylen);
		s->buflen = BLAKE2S_BLOCK_SIZE;
	}
}

/*
 * The last block must be compressed with the final flag set, so a full
 * buffer is only compressed once more input proves it is not the last.
 */
void
blake2s_update(struct blake2s_state *s, const uint8_t *in, size_t inlen)
{
	size_t	 n;

	while (inlen > 0) {
		if (s->buflen == BLAKE2S_BLOCK_SIZE) {
			blake2s_add_count(s, BLAKE2S_BLOCK_SIZE);
			blake2s_compress(s, s->buf);
			s->buflen = 0;
		}
		if (s->buflen == 0) {
			/* Whole blocks straight from the input. */
			while (inlen > BLAKE2S_BLOCK_SIZE) {
				blake2s_add_count(s, BLAKE2S_BLOCK_SIZE);
				blake2s_compress(s, in);
				in += BLAKE2S_BLOCK_SIZE;
				inlen -= BLAKE2S_BLOCK_SIZE;
			}
		}
		n = BLAKE2S_BLOCK_SIZE - s->buflen;
		if (n > inlen)
			n = inlen;
		memcpy(s->buf + s->buflen, in, n);
		s->buflen += n;
		in += n;
		inlen -= n;
	}
}

void
blake2s_final(struct blake2s_state *s, uint8_t *out)
{
	uint8_t	 full[BLAKE2S_HASH_SIZE];
	int	 i;

	blake2s_add_count(s, (uint32_t)s->buflen);
	s->f[0] = 0xffffffff;
	memset(s->buf + s->buflen, 0, BLAKE2S_BLOCK_SIZE - s->buflen);
	blake2s_compress(s, s->buf);

	for (i = 0; i < 8; i++) {
		full[4 * i] = s->h[i] & 0xff;
		full[4 * i + 1] = (s->h[i] >> 8) & 0xff;
		full[4 * i + 2] = (s->h[i] >> 16) & 0xff;
		full[4 * i + 3] = (s->h[i] >> 24) & 0xff;
	}
	memcpy(out, full, s->outlen);

	explicit_bzero(full, sizeof(full));
	explicit_bzero(s, sizeof(*s));
}

void
blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
    const uint8_t *in, size_t inlen)
{
	struct blake2s_state	 s;

	blake2s_init(&s, outlen, key, keylen);
	blake2s_update(&s, in, inlen);
	blake2s_final(&s, out);
}

/*
 * out is written only by the last blake2s_final(), after key and in
 * have been read for good, which is what lets them overlap.
 */
void
blake2s_hmac(uint8_t out[BLAKE2S_HASH_SIZE], const uint8_t *key,
    size_t keylen, const uint8_t *in, size_t inlen)
{
	struct blake2s_state	 s;
	uint8_t			 pad[BLAKE2S_BLOCK_SIZE];
	uint8_t			 inner[BLAKE2S_HASH_SIZE];
	int			 i;

	memset(pad, 0, sizeof(pad));
	if (keylen > BLAKE2S_BLOCK_SIZE)
		blake2s(pad, BLAKE2S_HASH_SIZE, NULL, 0, key, keylen);
	else
		memcpy(pad, key, keylen);

	for (i = 0; i < BLAKE2S_BLOCK_SIZE; i++)
		pad[i] ^= 0x36;
	blake2s_init(&s, BLAKE2S_HASH_SIZE, NULL, 0);
	blake2s_update(&s, pad, sizeof(pad));
	blake2s_update(&s, in, inlen);
	blake2s_final(&s, inner);

	/* From the inner pad to the outer one without keeping the key. */
	for (i = 0; i < BLAKE2S_BLOCK_SIZE; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&s, BLAKE2S_HASH_SIZE, NULL, 0);
	blake2s_update(&s, pad, sizeof(pad));
	blake2s_update(&s, inner, sizeof(inner));
	blake2s_final(&s, out);

	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(inner, sizeof(inner));
}

/*
 * tau0 = HMAC(ck, in), tau1 = HMAC(tau0, 0x1), tau_i = HMAC(tau0,
 * tau_(i-1) || i).  The outputs are written only after ck and in have
 * been consumed by the first HMAC, so they may overlap either.
 */
void
blake2s_hkdf(uint8_t out1[BLAKE2S_HASH_SIZE], uint8_t out2[BLAKE2S_HASH_SIZE],
    uint8_t out3[BLAKE2S_HASH_SIZE], const uint8_t ck[BLAKE2S_HASH_SIZE],
    const uint8_t *in, size_t inlen)
{
	uint8_t	 prk[BLAKE2S_HASH_SIZE];
	uint8_t	 t[BLAKE2S_HASH_SIZE + 1];

	blake2s_hmac(prk, ck, BLAKE2S_HASH_SIZE, in, inlen);

	t[0] = 0x1;
	blake2s_hmac(t, prk, sizeof(prk), t, 1);
	if (out1 != NULL)
		memcpy(out1, t, BLAKE2S_HASH_SIZE);

	if (out2 != NULL || out3 != NULL) {
		t[BLAKE2S_HASH_SIZE] = 0x2;
		blake2s_hmac(t, prk, sizeof(prk), t, sizeof(t));
		if (out2 != NULL)
			memcpy(out2, t, BLAKE2S_HASH_SIZE);
	}

	if (out3 != NULL) {
		t[BLAKE2S_HASH_SIZE] = 0x3;
		blake2s_hmac(t, prk, sizeof(prk), t, sizeof(t));
		memcpy(out3, t, BLAKE2S_HASH_SIZE);
	}

	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(t, sizeof(t));
}
