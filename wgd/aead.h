/*
 * The transport-data AEAD of WireGuard: ChaCha20-Poly1305 (RFC 8439)
 * with a 64-bit little-endian counter as the nonce, sealed and opened
 * through OpenSSL's libcrypto, whose assembly (AVX-512, AVX2, NEON) is
 * about twice libsodium's speed here and is the only vector code on the
 * Raspberry Pi.  libsodium keeps the handshake and the cookies.
 *
 * Each calling thread gets its own reused cipher context, made on its
 * first call and freed when the thread exits.  Call aead_init() once
 * before a chroot or a sandbox: it loads what libcrypto reads from
 * files.  Either function may be called from any thread afterwards.
 */

#ifndef WGD_AEAD_H
#define WGD_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEY_SIZE	32
#define AEAD_TAG_SIZE	16

int	aead_init(void);
int	aead_seal(const uint8_t [AEAD_KEY_SIZE], uint64_t, const uint8_t *,
	    size_t, uint8_t *);
int	aead_open(const uint8_t [AEAD_KEY_SIZE], uint64_t, const uint8_t *,
	    size_t, uint8_t *);

#endif /* WGD_AEAD_H */
