/*
 * wgctl doctor's port-forward probe (SPEC "wgctl doctor"): a datagram
 * whose first 32-bit word is no WireGuard message type (1 to 4), then a
 * random token.  The engine takes one that carries the token it was
 * armed with before any counter, hint or log line sees it.
 */

#ifndef WGD_PROBE_H
#define WGD_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROBE_MAGIC		"WGDPROBE"
#define PROBE_MAGIC_LEN		8
#define PROBE_TOKEN_LEN		16
#define PROBE_LEN		(PROBE_MAGIC_LEN + PROBE_TOKEN_LEN)

/* The token of buf when it is a probe; NULL otherwise. */
static inline const uint8_t *
probe_token(const uint8_t *buf, size_t len)
{
	if (len != PROBE_LEN || memcmp(buf, PROBE_MAGIC, PROBE_MAGIC_LEN) != 0)
		return NULL;
	return buf + PROBE_MAGIC_LEN;
}

#endif /* WGD_PROBE_H */
