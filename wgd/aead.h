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

/*
 * The data path's seal and open take one pass of ChaCha20 instead of
 * three and are about 1.6 times as fast, given room around a message
 * that no other thread touches meanwhile: AEAD_HEADROOM bytes before
 * it, kept as they were (seal) or zeroed (open's out), and
 * AEAD_TAILROOM after it: seal writes its tag there and clobbers the
 * rest; open reads that far past its input (never writing it) and
 * clobbers that far past its output.
 */
#define AEAD_HEADROOM	64
#define AEAD_TAILROOM	64

int	aead_init(void);
int	aead_seal(const uint8_t [AEAD_KEY_SIZE], uint64_t, const uint8_t *,
	    size_t, uint8_t *);
int	aead_open(const uint8_t [AEAD_KEY_SIZE], uint64_t, const uint8_t *,
	    size_t, uint8_t *);
int	aead_seal_room(const uint8_t [AEAD_KEY_SIZE], uint64_t, uint8_t *,
	    size_t);
int	aead_open_room(const uint8_t [AEAD_KEY_SIZE], uint64_t,
	    const uint8_t *, size_t, uint8_t *);

#endif /* WGD_AEAD_H */
