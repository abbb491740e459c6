/*
 * The Noise_IKpsk2 handshake of the WireGuard whitepaper (section 5.4)
 * and the transport AEAD, as pure functions over structs: no I/O, no
 * clock, no randomness.  The caller passes in ephemeral private keys
 * (key_generate_private()), TAI64N timestamps (noise_tai64n()) and its
 * own sender indexes, and adds MAC1/MAC2 (cookie.c) to the messages.
 * Callers must have called sodium_init().
 *
 * Initiator:  noise_create_initiation -> send, then on the response
 *             noise_consume_response -> noise_derive_keypair.
 * Responder:  noise_consume_initiation -> look the peer up by the static
 *             key it returns -> noise_accept_initiation ->
 *             noise_create_response -> send -> noise_derive_keypair.
 *
 * Every function returns 0 or -1 and leaves no secret behind on either
 * path.  A failed call leaves the peer's handshake state as it was, so a
 * forged message cannot cancel a handshake in progress.
 */

#ifndef WGD_NOISE_H
#define WGD_NOISE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wg_proto.h"

enum noise_state {
	NOISE_STATE_NONE = 0,
	NOISE_STATE_CREATED_INITIATION,
	NOISE_STATE_CONSUMED_INITIATION,
	NOISE_STATE_CREATED_RESPONSE,
	NOISE_STATE_CONSUMED_RESPONSE
};

/* Our static identity (one per interface). */
struct noise_local {
	uint8_t		 private[WG_KEY_SIZE];
	uint8_t		 public[WG_KEY_SIZE];
};

/* One handshake in progress; all zero bytes (NOISE_STATE_NONE) when idle. */
struct noise_handshake {
	enum noise_state state;
	uint32_t	 local_index;	/* our sender index */
	uint32_t	 remote_index;	/* theirs, from their message */
	uint8_t		 hash[WG_HASH_SIZE];
	uint8_t		 ck[WG_HASH_SIZE];	/* chaining key */
	uint8_t		 e_local[WG_KEY_SIZE];	/* initiator's ephemeral priv */
	uint8_t		 e_remote[WG_KEY_SIZE];	/* initiator's ephemeral pub */
};

/* A peer as the handshake sees it. */
struct noise_remote {
	uint8_t		 public[WG_KEY_SIZE];
	uint8_t		 psk[WG_KEY_SIZE];	/* zero: no preshared key */
	uint8_t		 ss[WG_KEY_SIZE];	/* DH(s_local, s_remote) */
	uint8_t		 last_timestamp[WG_TIMESTAMP_SIZE];
	struct noise_handshake hs;
};

/*
 * An initiation whose static key has been decrypted but whose peer has
 * not been found or checked yet.  Holds secrets: hand it to
 * noise_accept_initiation() or noise_pending_clear().
 */
struct noise_pending {
	uint8_t		 remote_public[WG_KEY_SIZE];
	uint32_t	 remote_index;
	uint8_t		 e_remote[WG_KEY_SIZE];
	uint8_t		 hash[WG_HASH_SIZE];
	uint8_t		 ck[WG_HASH_SIZE];
	uint8_t		 timestamp_enc[WG_TIMESTAMP_SIZE + WG_AEAD_TAG_SIZE];
};

/* Transport keys of one session; wipe with noise_keypair_clear(). */
struct noise_keypair {
	uint8_t		 send[WG_KEY_SIZE];
	uint8_t		 recv[WG_KEY_SIZE];
	uint32_t	 local_index;	/* receiver index of data sent to us */
	uint32_t	 remote_index;	/* receiver index of data we send */
	int		 initiator;
};

/* Sets the private key and computes the public one; -1 if impossible. */
int	noise_local_init(struct noise_local *, const uint8_t [WG_KEY_SIZE]);
void	noise_local_clear(struct noise_local *);

/*
 * noise_remote_init() zeroes the struct, then stores the peer's public
 * key and, through noise_remote_set_keys(), the precomputed static DH and
 * the psk (NULL for none).  noise_remote_set_keys() is also what a reload
 * calls when our private key or the psk changes: it keeps the public key
 * and the replay timestamp and drops any handshake in progress.  Both
 * return -1 when the static DH is all zero (a low-order public key): the
 * peer is stored but every handshake with it is refused.
 */
int	noise_remote_init(struct noise_remote *, const struct noise_local *,
	    const uint8_t [WG_KEY_SIZE], const uint8_t *);
int	noise_remote_set_keys(struct noise_remote *, const struct noise_local *,
	    const uint8_t *);
void	noise_remote_clear(struct noise_remote *);
void	noise_handshake_clear(struct noise_handshake *);

/*
 * TAI64N of a CLOCK_REALTIME reading (seconds since the epoch, 64-bit
 * whatever time_t is), nanoseconds rounded down to a multiple of 2^24
 * (about 16.8 ms) so the timestamp reveals little about our clock, yet
 * still grows between two initiations the responder's
 * INITIATIONS_PER_SECOND limit lets through.
 */
void	noise_tai64n(uint8_t [WG_TIMESTAMP_SIZE], int64_t, uint32_t);

/*
 * Fills the whole initiation except macs (left zero).  The ephemeral
 * private key is copied into remote->hs; the caller wipes its own copy.
 */
int	noise_create_initiation(const struct noise_local *,
	    struct noise_remote *, const uint8_t [WG_KEY_SIZE],
	    const uint8_t [WG_TIMESTAMP_SIZE], uint32_t,
	    struct wg_msg_initiation *);

/*
 * Step one for the responder: checks the type, decrypts the initiator's
 * static key into pending->remote_public.  The macs are not looked at:
 * MAC1 must have been checked before (it also covers the sender index,
 * which the Noise hash does not).
 */
int	noise_consume_initiation(const struct noise_local *,
	    const struct wg_msg_initiation *, struct noise_pending *);

/*
 * Step two, with the peer whose public key is pending->remote_public:
 * decrypts the timestamp, refuses it unless it is strictly greater than
 * the last one accepted from this peer (a replay), then stores the
 * handshake in remote->hs and the timestamp in remote->last_timestamp.
 * The INITIATIONS_PER_SECOND flood limit needs a clock and is the
 * caller's, around this call.  pending is wiped whatever the outcome.
 */
int	noise_accept_initiation(struct noise_remote *, struct noise_pending *);
void	noise_pending_clear(struct noise_pending *);

/* After an accepted initiation; fills all but macs. */
int	noise_create_response(struct noise_remote *,
	    const uint8_t [WG_KEY_SIZE], uint32_t, struct wg_msg_response *);

/*
 * On the initiator, for the response whose receiver index is
 * remote->hs.local_index.  As with the initiation, MAC1 protects the
 * sender index and must be checked first.
 */
int	noise_consume_response(const struct noise_local *,
	    struct noise_remote *, const struct wg_msg_response *);

/*
 * After noise_consume_response() (initiator) or noise_create_response()
 * (responder): the transport keys, and remote->hs wiped to all zero
 * bytes.  A responder's keypair must not send until the initiator's
 * first data message has arrived on it (the data path's rule).
 */
int	noise_derive_keypair(struct noise_remote *, struct noise_keypair *);
void	noise_keypair_clear(struct noise_keypair *);

/*
 * Transport AEAD: ChaCha20-Poly1305 with nonce 0^32 || LE64(counter)
 * and no additional data.  encrypt writes len + 16 bytes, decrypt
 * len - 16 (len >= 16); out may equal in but not overlap it otherwise,
 * and a failed decrypt leaves out zeroed.  Counters from
 * REJECT_AFTER_MESSAGES on are refused.  Padding and the replay window
 * are the data path's.
 */
int	noise_encrypt(const struct noise_keypair *, uint64_t, const uint8_t *,
	    size_t, uint8_t *);
int	noise_decrypt(const struct noise_keypair *, uint64_t, const uint8_t *,
	    size_t, uint8_t *);

#endif /* WGD_NOISE_H */
