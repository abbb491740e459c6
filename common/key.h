/*
 * WireGuard keys: 32 bytes, shown as 44 characters of standard base64
 * ending in '='.  The decoder is exactly as strict as wg(8)'s: any other
 * length, alphabet, padding or non-zero trailing bits are refused.
 */

#ifndef WGD_KEY_H
#define WGD_KEY_H

#include <stdint.h>

#define WG_KEY_LEN		32
#define WG_KEY_LEN_BASE64	45	/* 44 characters and the NUL */

int	key_from_base64(uint8_t [WG_KEY_LEN], const char *);
void	key_to_base64(char [WG_KEY_LEN_BASE64], const uint8_t [WG_KEY_LEN]);
void	key_clamp(uint8_t [WG_KEY_LEN]);
int	key_public_from_private(uint8_t [WG_KEY_LEN],
	    const uint8_t [WG_KEY_LEN]);
void	key_generate_private(uint8_t [WG_KEY_LEN]);
void	key_generate_preshared(uint8_t [WG_KEY_LEN]);
int	key_is_zero(const uint8_t [WG_KEY_LEN]);

#endif /* WGD_KEY_H */
