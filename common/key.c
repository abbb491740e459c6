/*
 * Key encoding and generation on top of libsodium.  Callers must call
 * sodium_init() first; the daemon does so before it chroots.
 */

#include <string.h>

#include <sodium.h>

#include "key.h"

/*
 * Returns 0 and fills key, or -1.  libsodium's decoder runs in constant
 * time over the characters and refuses non-zero bits after the last full
 * byte, so with the length and padding checked here it accepts exactly
 * what wg(8) accepts.  On failure key holds no partial result.
 */
int
key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	uint8_t		 tmp[WG_KEY_LEN + 1];
	const char	*end;
	size_t		 len;

	if (strnlen(b64, WG_KEY_LEN_BASE64) != WG_KEY_LEN_BASE64 - 1 ||
	    b64[WG_KEY_LEN_BASE64 - 2] != '=')
		return -1;
	if (sodium_base642bin(tmp, sizeof(tmp), b64, WG_KEY_LEN_BASE64 - 1,
	    NULL, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != WG_KEY_LEN || end != b64 + WG_KEY_LEN_BASE64 - 1) {
		sodium_memzero(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(key, tmp, WG_KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

void
key_to_base64(char b64[WG_KEY_LEN_BASE64], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(b64, WG_KEY_LEN_BASE64, key, WG_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* X25519 clamping (RFC 7748), as wg genkey applies it. */
void
key_clamp(uint8_t key[WG_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

/*
 * The public key of a private key, clamping a copy first as wg pubkey
 * does, so an unclamped private key gives the same answer as in wg(8).
 */
int
key_public_from_private(uint8_t pub[WG_KEY_LEN],
    const uint8_t priv[WG_KEY_LEN])
{
	uint8_t	 clamped[WG_KEY_LEN];
	int	 rv;

	memcpy(clamped, priv, sizeof(clamped));
	key_clamp(clamped);
	rv = crypto_scalarmult_curve25519_base(pub, clamped);
	sodium_memzero(clamped, sizeof(clamped));
	return rv == 0 ? 0 : -1;
}

void
key_generate_private(uint8_t key[WG_KEY_LEN])
{
	randombytes_buf(key, WG_KEY_LEN);
	key_clamp(key);
}

void
key_generate_preshared(uint8_t key[WG_KEY_LEN])
{
	randombytes_buf(key, WG_KEY_LEN);
}

/* Constant time: used on secrets (an all-zero key means "none"). */
int
key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	return sodium_is_zero(key, WG_KEY_LEN);
}
