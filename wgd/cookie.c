/*
 * MAC1, MAC2 and the cookie reply.  Mac(key, x) is keyed BLAKE2s with a
 * 16-byte output; Hash(x) is BLAKE2s-256.
 *
 *   mac1   = Mac(Hash(LABEL_MAC1 || Spub of the receiver), msg before mac1)
 *   cookie = Mac(secret, source address || source port), the secret
 *	      random and replaced every COOKIE_SECRET_MAX_AGE seconds
 *   mac2   = Mac(cookie, msg before mac2)
 *   reply  = XAEAD(Hash(LABEL_COOKIE || Spub of the reply's sender),
 *	      random nonce, cookie, ad = mac1 of the message answered)
 *
 * The reply is sealed to mac1 so only the one who sent that very message
 * (and so saw its mac1) can use the cookie: a spoofed source address
 * never receives it.
 */

#include <sys/socket.h>
#include <netinet/in.h>

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "cookie.h"
#include "wg_proto.h"

#define NSEC_PER_SEC	1000000000ULL

/* Where the macs sit, counted back from the end of a message. */
#define MACS_SIZE	sizeof(struct wg_macs)
#define MAC1_OFF(len)	((len) - MACS_SIZE)
#define MAC2_OFF(len)	((len) - MACS_SIZE + offsetof(struct wg_macs, mac2))
#define SENDER_OFF	offsetof(struct wg_msg_initiation, sender)

_Static_assert(MACS_SIZE == 2 * WG_MAC_SIZE, "macs are two macs");
_Static_assert(offsetof(struct wg_msg_initiation, sender) ==
    offsetof(struct wg_msg_response, sender),
    "both handshake messages carry the sender index at one place");
_Static_assert(sizeof(struct wg_msg_cookie) == WG_MSG_COOKIE_SIZE,
    "cookie message size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == WG_KEY_SIZE,
    "XChaCha20-Poly1305 key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
    WG_COOKIE_NONCE_SIZE, "XChaCha20-Poly1305 nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == WG_AEAD_TAG_SIZE,
    "XChaCha20-Poly1305 tag size");

static void	cookie_mac(uint8_t [WG_MAC_SIZE], const uint8_t *, size_t,
		    const uint8_t *, size_t);
static int	cookie_expired(uint64_t, uint64_t, uint64_t);
static int	cookie_source(const struct sockaddr *, const uint8_t **,
		    size_t *, const uint8_t **, size_t *);
static int	cookie_checker_cookie(struct cookie_checker *,
		    uint8_t [WG_COOKIE_SIZE], const struct sockaddr *,
		    uint64_t);

void
cookie_hash_key(uint8_t key[WG_HASH_SIZE], const char *label,
    const uint8_t pub[WG_KEY_SIZE])
{
	struct blake2s_state	 s;

	blake2s_init(&s, WG_HASH_SIZE, NULL, 0);
	blake2s_update(&s, (const uint8_t *)label, strlen(label));
	blake2s_update(&s, pub, WG_KEY_SIZE);
	blake2s_final(&s, key);
}

static void
cookie_mac(uint8_t mac[WG_MAC_SIZE], const uint8_t *key, size_t keylen,
    const uint8_t *in, size_t inlen)
{
	struct blake2s_state	 s;

	blake2s_init(&s, WG_MAC_SIZE, key, keylen);
	blake2s_update(&s, in, inlen);
	blake2s_final(&s, mac);
}

/*
 * Has something born at birth reached an age of secs?  A clock that
 * went backwards counts as expired: a fresh secret or a dropped cookie
 * is always safe, a stale one is not.
 */
static int
cookie_expired(uint64_t birth, uint64_t now, uint64_t secs)
{
	return (now < birth || now - birth >= secs * NSEC_PER_SEC);
}

/* The address and port bytes of src, both as on the wire. */
static int
cookie_source(const struct sockaddr *src, const uint8_t **addr,
    size_t *addrlen, const uint8_t **port, size_t *portlen)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (src->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)src;
		*addr = (const uint8_t *)&sin->sin_addr;
		*addrlen = sizeof(sin->sin_addr);
		*port = (const uint8_t *)&sin->sin_port;
		*portlen = sizeof(sin->sin_port);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)src;
		*addr = (const uint8_t *)&sin6->sin6_addr;
		*addrlen = sizeof(sin6->sin6_addr);
		*port = (const uint8_t *)&sin6->sin6_port;
		*portlen = sizeof(sin6->sin6_port);
		return (0);
	default:
		return (-1);
	}
}

/*
 * The cookie src would be given now.  The secret is made on first use
 * and replaced once it is COOKIE_SECRET_MAX_AGE old, here on the only
 * path that reads it, so no timer is needed.
 */
static int
cookie_checker_cookie(struct cookie_checker *cc,
    uint8_t cookie[WG_COOKIE_SIZE], const struct sockaddr *src, uint64_t now)
{
	struct blake2s_state	 s;
	const uint8_t		*addr, *port;
	size_t			 addrlen, portlen;

	if (cookie_source(src, &addr, &addrlen, &port, &portlen) == -1)
		return (-1);

	if (!cc->has_secret ||
	    cookie_expired(cc->secret_birth, now, COOKIE_SECRET_MAX_AGE)) {
		randombytes_buf(cc->secret, sizeof(cc->secret));
		cc->secret_birth = now;
		cc->has_secret = 1;
	}

	blake2s_init(&s, WG_COOKIE_SIZE, cc->secret, sizeof(cc->secret));
	blake2s_update(&s, addr, addrlen);
	blake2s_update(&s, port, portlen);
	blake2s_final(&s, cookie);
	return (0);
}

void
cookie_checker_init(struct cookie_checker *cc, const uint8_t pub[WG_KEY_SIZE])
{
	explicit_bzero(cc, sizeof(*cc));
	cookie_hash_key(cc->mac1_key, WG_LABEL_MAC1, pub);
	cookie_hash_key(cc->cookie_key, WG_LABEL_COOKIE, pub);
}

void
cookie_checker_free(struct cookie_checker *cc)
{
	explicit_bzero(cc, sizeof(*cc));
}

int
cookie_checker_validate_mac1(const struct cookie_checker *cc,
    const void *msg, size_t len)
{
	const uint8_t	*m = msg;
	uint8_t		 mac[WG_MAC_SIZE];
	int		 ret;

	if (len < MACS_SIZE)
		return (-1);
	cookie_mac(mac, cc->mac1_key, sizeof(cc->mac1_key), m, MAC1_OFF(len));
	ret = crypto_verify_16(mac, m + MAC1_OFF(len));
	explicit_bzero(mac, sizeof(mac));
	return (ret == 0 ? 0 : -1);
}

int
cookie_checker_validate_mac2(struct cookie_checker *cc, const void *msg,
    size_t len, const struct sockaddr *src, uint64_t now)
{
	const uint8_t	*m = msg;
	uint8_t		 cookie[WG_COOKIE_SIZE], mac[WG_MAC_SIZE];
	int		 ret;

	if (len < MACS_SIZE)
		return (-1);
	if (cookie_checker_cookie(cc, cookie, src, now) == -1)
		return (-1);
	cookie_mac(mac, cookie, sizeof(cookie), m, MAC2_OFF(len));
	ret = crypto_verify_16(mac, m + MAC2_OFF(len));
	explicit_bzero(cookie, sizeof(cookie));
	explicit_bzero(mac, sizeof(mac));
	return (ret == 0 ? 0 : -1);
}

int
cookie_checker_create_reply(struct cookie_checker *cc,
    struct wg_msg_cookie *reply, const void *msg, size_t len,
    const struct sockaddr *src, uint64_t now)
{
	const uint8_t	*m = msg;
	uint8_t		 cookie[WG_COOKIE_SIZE];
	uint32_t	 receiver;

	if (len < SENDER_OFF + sizeof(receiver) + MACS_SIZE)
		return (-1);
	if (cookie_checker_cookie(cc, cookie, src, now) == -1)
		return (-1);

	/* The sender index goes back unchanged, still little-endian. */
	memcpy(&receiver, m + SENDER_OFF, sizeof(receiver));
	reply->type = htole32(WG_MSG_COOKIE);
	reply->receiver = receiver;
	randombytes_buf(reply->nonce, sizeof(reply->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(reply->cookie_enc, NULL,
	    cookie, sizeof(cookie), m + MAC1_OFF(len), WG_MAC_SIZE, NULL,
	    reply->nonce, cc->cookie_key);
	explicit_bzero(cookie, sizeof(cookie));
	return (0);
}

void
cookie_maker_init(struct cookie_maker *cm, const uint8_t pub[WG_KEY_SIZE])
{
	explicit_bzero(cm, sizeof(*cm));
	cookie_hash_key(cm->mac1_key, WG_LABEL_MAC1, pub);
	cookie_hash_key(cm->cookie_key, WG_LABEL_COOKIE, pub);
}

void
cookie_maker_free(struct cookie_maker *cm)
{
	explicit_bzero(cm, sizeof(*cm));
}

int
cookie_maker_mac(struct cookie_maker *cm, void *msg, size_t len,
    uint64_t now)
{
	uint8_t		*m = msg;

	if (len < MACS_SIZE)
		return (-1);

	cookie_mac(m + MAC1_OFF(len), cm->mac1_key, sizeof(cm->mac1_key), m,
	    MAC1_OFF(len));
	memcpy(cm->mac1_last, m + MAC1_OFF(len), WG_MAC_SIZE);
	cm->mac1_sent = 1;

	/*
	 * Stop using a cookie a little before the responder's secret can
	 * have changed, so a message in flight does not arrive with one
	 * already void.
	 */
	if (cm->has_cookie && cookie_expired(cm->cookie_birth, now,
	    COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY)) {
		explicit_bzero(cm->cookie, sizeof(cm->cookie));
		cm->has_cookie = 0;
	}

	if (cm->has_cookie)
		cookie_mac(m + MAC2_OFF(len), cm->cookie, sizeof(cm->cookie),
		    m, MAC2_OFF(len));
	else
		memset(m + MAC2_OFF(len), 0, WG_MAC_SIZE);
	return (0);
}

int
cookie_maker_consume_reply(struct cookie_maker *cm,
    const struct wg_msg_cookie *reply, uint64_t now)
{
	uint8_t		 cookie[WG_COOKIE_SIZE];

	if (!cm->mac1_sent || le32toh(reply->type) != WG_MSG_COOKIE)
		return (-1);

	/* The tag covers mac1 as ad: a reply to another message fails. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
	    reply->cookie_enc, sizeof(reply->cookie_enc), cm->mac1_last,
	    sizeof(cm->mac1_last), reply->nonce, cm->cookie_key) != 0) {
		explicit_bzero(cookie, sizeof(cookie));
		return (-1);
	}

	memcpy(cm->cookie, cookie, sizeof(cm->cookie));
	explicit_bzero(cookie, sizeof(cookie));
	cm->cookie_birth = now;
	cm->has_cookie = 1;
	cm->mac1_sent = 0;
	return (0);
}
