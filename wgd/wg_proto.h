/*
 * The WireGuard wire format and protocol constants, named as in the
 * whitepaper (sections 5.4 and 6).  Multi-byte integers on the wire are
 * little-endian.
 */

#ifndef WGD_WG_PROTO_H
#define WGD_WG_PROTO_H

#include <stdint.h>

#define WG_CONSTRUCTION		"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define WG_IDENTIFIER		"WireGuard v1 zx2c4 Jason@zx2c4.com"
#define WG_LABEL_MAC1		"mac1----"
#define WG_LABEL_COOKIE		"cookie--"

#define WG_KEY_SIZE		32
#define WG_HASH_SIZE		32	/* BLAKE2s-256 */
#define WG_MAC_SIZE		16	/* keyed BLAKE2s-128 */
#define WG_AEAD_TAG_SIZE	16
#define WG_TIMESTAMP_SIZE	12	/* TAI64N */
#define WG_COOKIE_SIZE		16
#define WG_COOKIE_NONCE_SIZE	24	/* XChaCha20-Poly1305 */

enum wg_msg_type {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4
};

struct wg_macs {
	uint8_t		 mac1[WG_MAC_SIZE];
	uint8_t		 mac2[WG_MAC_SIZE];
} __attribute__((__packed__));

/* 148 bytes */
struct wg_msg_initiation {
	uint32_t	 type;		/* 1, then three zero bytes */
	uint32_t	 sender;
	uint8_t		 ephemeral[WG_KEY_SIZE];
	uint8_t		 static_enc[WG_KEY_SIZE + WG_AEAD_TAG_SIZE];
	uint8_t		 timestamp_enc[WG_TIMESTAMP_SIZE + WG_AEAD_TAG_SIZE];
	struct wg_macs	 macs;
} __attribute__((__packed__));

/* 92 bytes */
struct wg_msg_response {
	uint32_t	 type;
	uint32_t	 sender;
	uint32_t	 receiver;
	uint8_t		 ephemeral[WG_KEY_SIZE];
	uint8_t		 empty_enc[WG_AEAD_TAG_SIZE];
	struct wg_macs	 macs;
} __attribute__((__packed__));

/* 64 bytes */
struct wg_msg_cookie {
	uint32_t	 type;
	uint32_t	 receiver;
	uint8_t		 nonce[WG_COOKIE_NONCE_SIZE];
	uint8_t		 cookie_enc[WG_COOKIE_SIZE + WG_AEAD_TAG_SIZE];
} __attribute__((__packed__));

/* 16 bytes, then the encrypted packet padded to 16 and its tag */
struct wg_msg_data {
	uint32_t	 type;
	uint32_t	 receiver;
	uint64_t	 counter;
} __attribute__((__packed__));

#define WG_MSG_INITIATION_SIZE	148
#define WG_MSG_RESPONSE_SIZE	92
#define WG_MSG_COOKIE_SIZE	64
#define WG_MSG_DATA_HEADER_SIZE	16
#define WG_MSG_DATA_MIN_SIZE	(WG_MSG_DATA_HEADER_SIZE + WG_AEAD_TAG_SIZE)
#define WG_DATA_PADDING		16

/* Whitepaper section 6.1, in seconds unless named otherwise. */
#define REKEY_AFTER_MESSAGES	(1ULL << 60)
#define REJECT_AFTER_MESSAGES	(UINT64_MAX - (1ULL << 13))
#define REKEY_AFTER_TIME	120
#define REJECT_AFTER_TIME	180
#define REKEY_ATTEMPT_TIME	90
#define REKEY_TIMEOUT		5
#define REKEY_TIMEOUT_JITTER_MS	334	/* up to 333 ms added */
#define KEEPALIVE_TIMEOUT	10
#define COOKIE_SECRET_MAX_AGE	120
#define COOKIE_SECRET_LATENCY	5

/* Handshake initiations accepted from one peer, per second. */
#define INITIATIONS_PER_SECOND	50

/* The sliding replay window (RFC 6479 shape). */
#define REPLAY_BITMAP_BITS	8192
#define REPLAY_WINDOW_SIZE	(REPLAY_BITMAP_BITS - 64)	/* 8128 */

#endif /* WGD_WG_PROTO_H */
