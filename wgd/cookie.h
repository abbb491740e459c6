/*
 * MAC1, MAC2 and cookie replies (whitepaper sections 5.4.4 and 5.4.7):
 * the defence of the handshake under load.  Pure logic, no I/O; time is
 * the caller's CLOCK_MONOTONIC in nanoseconds, so tests can fake it.
 * Everything here runs on the engine's event loop thread; nothing locks.
 *
 * Every handshake message (initiation, response) ends in struct wg_macs:
 * mac1 covers the bytes before it, mac2 the bytes before mac2.  The
 * functions take the whole message and its length and find the macs at
 * its end.
 */

#ifndef WGD_COOKIE_H
#define WGD_COOKIE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "wg_proto.h"

/*
 * The responder's side, one per interface: it checks the macs of the
 * messages it receives and, when busy, answers with a cookie.
 */
struct cookie_checker {
	uint8_t		 mac1_key[WG_HASH_SIZE];
	uint8_t		 cookie_key[WG_KEY_SIZE];
	uint8_t		 secret[WG_HASH_SIZE];
	uint64_t	 secret_birth;		/* ns */
	int		 has_secret;
};

/*
 * The initiator's side, one per peer: it puts macs on the messages sent
 * to the peer and keeps the cookie the peer last gave.
 */
struct cookie_maker {
	uint8_t		 mac1_key[WG_HASH_SIZE];
	uint8_t		 cookie_key[WG_KEY_SIZE];
	uint8_t		 mac1_last[WG_MAC_SIZE];
	uint8_t		 cookie[WG_COOKIE_SIZE];
	uint64_t	 cookie_birth;		/* ns */
	int		 mac1_sent;
	int		 has_cookie;
};

/*
 * Keys come from the interface's own static public key.  Re-run
 * init after the private key changes; that also drops the secret, so
 * cookies handed out before are void.
 */
void	cookie_checker_init(struct cookie_checker *,
	    const uint8_t [WG_KEY_SIZE]);
void	cookie_checker_free(struct cookie_checker *);

/* 0 if mac1 is right (compared in constant time), -1 if not. */
int	cookie_checker_validate_mac1(const struct cookie_checker *,
	    const void *, size_t);

/*
 * 0 if mac2 is the mac of the message under the cookie that src would
 * have been given now, -1 if not.  src is a struct sockaddr_in or
 * sockaddr_in6; the cookie covers its address and port.  Check mac1
 * first: this may rotate the secret.
 */
int	cookie_checker_validate_mac2(struct cookie_checker *, const void *,
	    size_t, const struct sockaddr *, uint64_t);

/*
 * Fills *reply, the cookie message answering the handshake message msg
 * that came from src: its receiver is the message's sender index, its
 * cookie is sealed to the message's mac1.  Call it only for a message
 * whose mac1 was valid.  0 on success, -1 for a bad length or address
 * family.
 */
int	cookie_checker_create_reply(struct cookie_checker *,
	    struct wg_msg_cookie *, const void *, size_t,
	    const struct sockaddr *, uint64_t);

/*
 * Hash(label || public key): the mac1 key (WG_LABEL_MAC1) or the cookie
 * key (WG_LABEL_COOKIE) of whoever owns that public key.
 */
void	cookie_hash_key(uint8_t [WG_HASH_SIZE], const char *,
	    const uint8_t [WG_KEY_SIZE]);

/* Keys come from the peer's static public key. */
void	cookie_maker_init(struct cookie_maker *, const uint8_t [WG_KEY_SIZE]);
void	cookie_maker_free(struct cookie_maker *);

/*
 * Writes mac1 and mac2 into the end of the handshake message msg, which
 * is otherwise complete, and remembers mac1 for the reply that may come.
 * mac2 is zero unless a cookie younger than COOKIE_SECRET_MAX_AGE -
 * COOKIE_SECRET_LATENCY is held.  -1 if the message is too short.
 */
int	cookie_maker_mac(struct cookie_maker *, void *, size_t, uint64_t);

/*
 * Takes the cookie out of a cookie reply from the peer.  0 if it
 * answered the last message sent and decrypted; -1 otherwise, leaving
 * the maker as it was.  A reply is good once: the next one needs a new
 * message.
 */
int	cookie_maker_consume_reply(struct cookie_maker *,
	    const struct wg_msg_cookie *, uint64_t);

#endif /* WGD_COOKIE_H */
