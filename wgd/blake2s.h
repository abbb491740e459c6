/*
 * BLAKE2s (RFC 7693), plain and keyed, and the HMAC and HKDF built on it
 * that WireGuard's Noise construction uses.  libsodium 1.0.18 has only
 * BLAKE2b, so this is ours.
 */

#ifndef WGD_BLAKE2S_H
#define WGD_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE2S_BLOCK_SIZE	64
#define BLAKE2S_HASH_SIZE	32
#define BLAKE2S_KEY_SIZE	32

struct blake2s_state {
	uint32_t	 h[8];
	uint32_t	 t[2];
	uint32_t	 f[2];
	uint8_t		 buf[BLAKE2S_BLOCK_SIZE];
	size_t		 buflen;
	size_t		 outlen;
};

/*
 * outlen 1-32; key may be NULL with keylen 0, else keylen 1-32.  The
 * one-shot blake2s() takes its arguments in RFC 7693's order: out,
 * outlen, key, keylen, in, inlen.  blake2s_final() wipes the state.
 */
void	blake2s_init(struct blake2s_state *, size_t, const uint8_t *, size_t);
void	blake2s_update(struct blake2s_state *, const uint8_t *, size_t);
void	blake2s_final(struct blake2s_state *, uint8_t *);
void	blake2s(uint8_t *, size_t, const uint8_t *, size_t, const uint8_t *,
	    size_t);

/*
 * HMAC-BLAKE2s-256 (RFC 2104 over BLAKE2s, as the whitepaper's Hmac):
 * out, key, keylen, in, inlen.  out may overlap key or in.
 */
void	blake2s_hmac(uint8_t [BLAKE2S_HASH_SIZE], const uint8_t *, size_t,
	    const uint8_t *, size_t);

/*
 * The whitepaper's KDF_n: HKDF with HMAC-BLAKE2s, chaining key ck,
 * input in; fills n (1-3) outputs of 32 bytes, the unused ones may be
 * NULL.  Arguments: out1, out2, out3, ck, in, inlen.  An output may
 * overlap ck or in, so C = KDF1(C, x) can be written in place.
 */
void	blake2s_hkdf(uint8_t [BLAKE2S_HASH_SIZE], uint8_t [BLAKE2S_HASH_SIZE],
	    uint8_t [BLAKE2S_HASH_SIZE], const uint8_t [BLAKE2S_HASH_SIZE],
	    const uint8_t *, size_t);

#endif /* WGD_BLAKE2S_H */
