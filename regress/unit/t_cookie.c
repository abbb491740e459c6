/*
 * wgd/cookie.c: MAC1 against the handshake vectors, then cookie replies
 * between a checker and a maker on a fake clock.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "blake2s.h"
#include "cookie.h"
#include "key.h"
#include "wg_proto.h"

#define SEC	1000000000ULL

/*
 * ../shared/vectors/wg-handshake.json: a handshake from an independent
 * implementation of the whitepaper that completed against wireguard-go.
 * Neither message carries a cookie, so both mac2 are zero.
 */
#define INITIATOR_PUBLIC	"B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw="
#define RESPONDER_PUBLIC	"WGmv9FBUlzLLqu1eXfmzCm2jHLDldCutWtShp2jxpns="
#define INITIATION_HEX							\
	"010000004433221164b101b1d0be5a8704bd078f9895001fc03e8e9f"	\
	"9522f188dd128d9846d48466158a0e4ca242d151ca97ab90159a98b6"	\
	"7e616625e68b4065d357376b6598e644ad7d678c0295d22de4cb43d5"	\
	"135581ed36346bfa7cf42a12266235863f4efbc62519f49f8f62661b"	\
	"44a6a84392de152faa48fb09b8e579485abacbea0000000000000000"	\
	"0000000000000000"
#define RESPONSE_HEX							\
	"020000008877665544332211244fe3b963e899dd295baffce248d353"	\
	"0f3a9a7479ba063002680ebfe7adad49b1f15013fcf37da7dc800a71"	\
	"1e96d4eace5089ddd8479220b0da35a7753c06b00000000000000000"	\
	"0000000000000000"

static void
from_hex(uint8_t *buf, size_t size, const char *hex)
{
	size_t	 len;

	ATF_REQUIRE(sodium_hex2bin(buf, size, hex, strlen(hex), NULL, &len,
	    NULL) == 0);
	ATF_REQUIRE_EQ(len, size);
}

static void
from_b64(uint8_t key[WG_KEY_SIZE], const char *b64)
{
	ATF_REQUIRE(key_from_base64(key, b64) == 0);
}

static void
setup(void)
{
	ATF_REQUIRE(sodium_init() != -1);
}

static void
sin_make(struct sockaddr_in *sin, const char *addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ATF_REQUIRE(inet_pton(AF_INET, addr, &sin->sin_addr) == 1);
}

static void
sin6_make(struct sockaddr_in6 *sin6, const char *addr, uint16_t port)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ATF_REQUIRE(inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1);
}

static int
is_zero(const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

/* A handshake message, mac'd for the receiver that holds pub. */
static void
check_mac1_vector(const char *hex, size_t len, size_t mac1_off,
    const char *receiver_b64, const char *other_b64)
{
	struct cookie_checker	 cc;
	struct cookie_maker	 cm;
	uint8_t			 pub[WG_KEY_SIZE], msg[WG_MSG_INITIATION_SIZE];
	uint8_t			 made[WG_MSG_INITIATION_SIZE];
	size_t			 i;

	ATF_REQUIRE(len <= sizeof(msg));
	ATF_REQUIRE_EQ(mac1_off, len - 2 * WG_MAC_SIZE);
	from_hex(msg, len, hex);
	from_b64(pub, receiver_b64);

	cookie_checker_init(&cc, pub);
	ATF_CHECK_EQ(cookie_checker_validate_mac1(&cc, msg, len), 0);

	/* The maker writes the same mac1 and, with no cookie, a zero mac2. */
	memcpy(made, msg, len);
	memset(made + mac1_off, 0xa5, 2 * WG_MAC_SIZE);
	cookie_maker_init(&cm, pub);
	ATF_REQUIRE_EQ(cookie_maker_mac(&cm, made, len, 0), 0);
	ATF_CHECK(memcmp(made, msg, len) == 0);

	/* Any bit of the covered bytes or of mac1 matters; mac2 does not. */
	for (i = 0; i < mac1_off + WG_MAC_SIZE; i++) {
		msg[i] ^= 0x01;
		ATF_CHECK_MSG(cookie_checker_validate_mac1(&cc, msg, len) == -1,
		    "byte %zu flipped and still valid", i);
		msg[i] ^= 0x01;
	}
	msg[len - 1] ^= 0x80;
	ATF_CHECK_EQ(cookie_checker_validate_mac1(&cc, msg, len), 0);
	msg[len - 1] ^= 0x80;
	cookie_checker_free(&cc);

	/* Checked with the sender's own key, mac1 is wrong. */
	from_b64(pub, other_b64);
	cookie_checker_init(&cc, pub);
	ATF_CHECK_EQ(cookie_checker_validate_mac1(&cc, msg, len), -1);
	cookie_checker_free(&cc);
	cookie_maker_free(&cm);
}

ATF_TC_WITHOUT_HEAD(mac1_initiation_vector);
ATF_TC_BODY(mac1_initiation_vector, tc)
{
	setup();
	check_mac1_vector(INITIATION_HEX, WG_MSG_INITIATION_SIZE, 116,
	    RESPONDER_PUBLIC, INITIATOR_PUBLIC);
}

ATF_TC_WITHOUT_HEAD(mac1_response_vector);
ATF_TC_BODY(mac1_response_vector, tc)
{
	setup();
	check_mac1_vector(RESPONSE_HEX, WG_MSG_RESPONSE_SIZE, 60,
	    INITIATOR_PUBLIC, RESPONDER_PUBLIC);
}

/*
 * The two sides of a cookie exchange: the initiator's maker for the
 * responder, the responder's checker, and an initiation to send.
 */
struct pair {
	struct cookie_checker	 cc;
	struct cookie_maker	 cm;
	uint8_t			 msg[WG_MSG_INITIATION_SIZE];
};

static void
pair_init(struct pair *p)
{
	uint8_t	 pub[WG_KEY_SIZE];

	setup();
	from_b64(pub, RESPONDER_PUBLIC);
	cookie_checker_init(&p->cc, pub);
	cookie_maker_init(&p->cm, pub);
	from_hex(p->msg, sizeof(p->msg), INITIATION_HEX);
}

static void
pair_free(struct pair *p)
{
	cookie_checker_free(&p->cc);
	cookie_maker_free(&p->cm);
}

/* Makes the next initiation different, as a new ephemeral key would. */
static void
pair_new_message(struct pair *p)
{
	p->msg[8]++;
}

static const uint8_t *
mac2_of(const uint8_t *msg, size_t len)
{
	return (msg + len - WG_MAC_SIZE);
}

ATF_TC_WITHOUT_HEAD(round_trip);
ATF_TC_BODY(round_trip, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src, other, other_port;
	struct sockaddr_in6	 src6;
	uint64_t		 t0 = 1000 * SEC;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	sin_make(&other, "192.0.2.2", 51820);
	sin_make(&other_port, "192.0.2.1", 51821);
	sin6_make(&src6, "2001:db8::1", 51820);

	/* Before any cookie: mac1 good, mac2 zero and so not valid. */
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), t0), 0);
	ATF_CHECK(is_zero(mac2_of(p.msg, sizeof(p.msg)), WG_MAC_SIZE));
	ATF_CHECK_EQ(cookie_checker_validate_mac1(&p.cc, p.msg,
	    sizeof(p.msg)), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0), -1);

	/* Busy: the responder answers with a cookie for src. */
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0), 0);
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply, t0 + SEC), 0);

	/* The retry carries mac2, good from src only. */
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg),
	    t0 + 2 * SEC), 0);
	ATF_CHECK(!is_zero(mac2_of(p.msg, sizeof(p.msg)), WG_MAC_SIZE));
	ATF_CHECK_EQ(cookie_checker_validate_mac1(&p.cc, p.msg,
	    sizeof(p.msg)), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0 + 3 * SEC), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&other, t0 + 3 * SEC), -1);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&other_port, t0 + 3 * SEC), -1);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src6, t0 + 3 * SEC), -1);

	/* mac2 covers the message, mac1 included. */
	p.msg[20] ^= 1;
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0 + 3 * SEC), -1);
	p.msg[20] ^= 1;
	p.msg[sizeof(p.msg) - 2 * WG_MAC_SIZE] ^= 1;
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0 + 3 * SEC), -1);
	p.msg[sizeof(p.msg) - 2 * WG_MAC_SIZE] ^= 1;
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0 + 3 * SEC), 0);
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(round_trip_ipv6);
ATF_TC_BODY(round_trip_ipv6, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in6	 src, other;
	struct sockaddr_in	 src4;

	pair_init(&p);
	sin6_make(&src, "2001:db8::1", 51820);
	sin6_make(&other, "2001:db8::1:1", 51820);
	sin_make(&src4, "192.0.2.1", 51820);

	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, 0), 0);
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), SEC), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, SEC), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&other, SEC), -1);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src4, SEC), -1);
	pair_free(&p);
}

/*
 * The reply as the whitepaper lays it out, checked by hand: type 3,
 * receiver the message's sender index, the cookie Mac(secret, address ||
 * port) sealed with Hash(LABEL_COOKIE || responder's public key) and the
 * message's mac1 as ad.
 */
ATF_TC_WITHOUT_HEAD(reply_layout);
ATF_TC_BODY(reply_layout, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;
	struct blake2s_state	 s;
	uint8_t			 pub[WG_KEY_SIZE], key[WG_HASH_SIZE];
	uint8_t			 want[WG_COOKIE_SIZE], got[WG_COOKIE_SIZE];
	uint8_t			*wire = (uint8_t *)&reply;
	const uint8_t		 src_bytes[] = { 192, 0, 2, 1, 0xca, 0x6c };

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);	/* port 0xca6c */
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);

	ATF_CHECK(memcmp(wire, "\x03\x00\x00\x00\x44\x33\x22\x11", 8) == 0);

	from_b64(pub, RESPONDER_PUBLIC);
	blake2s_init(&s, WG_HASH_SIZE, NULL, 0);
	blake2s_update(&s, (const uint8_t *)"cookie--", 8);
	blake2s_update(&s, pub, sizeof(pub));
	blake2s_final(&s, key);
	ATF_REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(got, NULL, NULL,
	    wire + 32, 32, p.msg + 116, WG_MAC_SIZE, wire + 8, key) == 0);

	blake2s_init(&s, WG_COOKIE_SIZE, p.cc.secret, sizeof(p.cc.secret));
	blake2s_update(&s, src_bytes, sizeof(src_bytes));
	blake2s_final(&s, want);
	ATF_CHECK(memcmp(got, want, sizeof(want)) == 0);

	/* Another reply to the same message uses a fresh nonce. */
	memcpy(got, reply.nonce, sizeof(got));
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_CHECK(memcmp(got, reply.nonce, sizeof(got)) != 0);
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(reply_must_match_last_mac1);
ATF_TC_BODY(reply_must_match_last_mac1, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply_first, reply_last;
	struct sockaddr_in	 src;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);

	/* No message sent yet: no reply can be expected. */
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply_first, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply_first, 0), -1);

	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply_first, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply_last, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);

	/* The answer to the earlier message is stale. */
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply_first, 0), -1);
	ATF_CHECK_EQ(p.cm.has_cookie, 0);
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply_last, 0), 0);
	ATF_CHECK_EQ(p.cm.has_cookie, 1);

	/* Each reply is good once. */
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply_last, 0), -1);
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(reply_tampered);
ATF_TC_BODY(reply_tampered, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply, bad;
	struct sockaddr_in	 src;
	struct cookie_checker	 stranger;
	uint8_t			 pub[WG_KEY_SIZE];
	uint8_t			*b = (uint8_t *)&bad;
	size_t			 i;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);

	/* Type, nonce, sealed cookie, tag: one flipped bit in any spoils it. */
	for (i = 0; i < sizeof(bad); i++) {
		if (i >= offsetof(struct wg_msg_cookie, receiver) &&
		    i < offsetof(struct wg_msg_cookie, nonce))
			continue;	/* routing: the caller's business */
		memcpy(&bad, &reply, sizeof(bad));
		b[i] ^= 0x04;
		ATF_CHECK_MSG(cookie_maker_consume_reply(&p.cm, &bad, 0) == -1,
		    "byte %zu flipped and accepted", i);
	}

	/* Sealed by a responder with another key. */
	from_b64(pub, INITIATOR_PUBLIC);
	cookie_checker_init(&stranger, pub);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&stranger, &bad, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &bad, 0), -1);
	cookie_checker_free(&stranger);

	/* The failures left the maker waiting for the genuine reply. */
	ATF_CHECK_EQ(p.cm.has_cookie, 0);
	ATF_CHECK_EQ(cookie_maker_consume_reply(&p.cm, &reply, 0), 0);
	pair_free(&p);
}

/*
 * The maker stops sending a cookie at COOKIE_SECRET_MAX_AGE -
 * COOKIE_SECRET_LATENCY (115 s); the checker stops taking it when its
 * secret turns COOKIE_SECRET_MAX_AGE (120 s) old.
 */
ATF_TC_WITHOUT_HEAD(cookie_expiry);
ATF_TC_BODY(cookie_expiry, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;
	uint64_t		 t0 = 5 * SEC, use;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	use = (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * SEC;

	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), t0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, t0), 0);

	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg),
	    t0 + use - 1), 0);
	ATF_CHECK(!is_zero(mac2_of(p.msg, sizeof(p.msg)), WG_MAC_SIZE));
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, t0 + use - 1), 0);

	/* A message that left just in time still counts, until 120 s. */
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src,
	    t0 + COOKIE_SECRET_MAX_AGE * SEC - 1), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src,
	    t0 + COOKIE_SECRET_MAX_AGE * SEC), -1);

	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg),
	    t0 + use), 0);
	ATF_CHECK(is_zero(mac2_of(p.msg, sizeof(p.msg)), WG_MAC_SIZE));
	ATF_CHECK_EQ(p.cm.has_cookie, 0);
	ATF_CHECK(is_zero(p.cm.cookie, sizeof(p.cm.cookie)));
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(secret_rotation);
ATF_TC_BODY(secret_rotation, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;
	uint8_t			 old_msg[WG_MSG_INITIATION_SIZE];
	uint8_t			 first[WG_COOKIE_SIZE];
	uint64_t		 later = (COOKIE_SECRET_MAX_AGE + 1) * SEC;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);

	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, 0), 0);
	memcpy(first, p.cm.cookie, sizeof(first));

	/* Within the secret's life the same source gets the same cookie. */
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	memcpy(old_msg, p.msg, sizeof(old_msg));
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 60 * SEC), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, 60 * SEC), 0);
	ATF_CHECK(memcmp(first, p.cm.cookie, sizeof(first)) == 0);

	/* After rotation it gets another, and the old one is void. */
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), later), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, later), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, later), 0);
	ATF_CHECK(memcmp(first, p.cm.cookie, sizeof(first)) != 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, old_msg,
	    sizeof(old_msg), (struct sockaddr *)&src, later), -1);

	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), later), 0);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, later), 0);
	pair_free(&p);
}

/* Rotation also happens on the validating path alone. */
ATF_TC_WITHOUT_HEAD(secret_rotation_on_validate);
ATF_TC_BODY(secret_rotation_on_validate, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;
	uint8_t			 old_secret[WG_HASH_SIZE];

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, 0), 0);
	memcpy(old_secret, p.cc.secret, sizeof(old_secret));
	pair_new_message(&p);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);

	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 200 * SEC), -1);
	ATF_CHECK(memcmp(old_secret, p.cc.secret, sizeof(old_secret)) != 0);
	ATF_CHECK_EQ(p.cc.secret_birth, 200 * SEC);
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(bad_input);
ATF_TC_BODY(bad_input, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;
	struct sockaddr		 unspec;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;

	ATF_CHECK_EQ(cookie_checker_validate_mac1(&p.cc, p.msg,
	    2 * WG_MAC_SIZE - 1), -1);
	ATF_CHECK_EQ(cookie_maker_mac(&p.cm, p.msg, 2 * WG_MAC_SIZE - 1, 0),
	    -1);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    2 * WG_MAC_SIZE - 1, (struct sockaddr *)&src, 0), -1);
	ATF_CHECK_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    8 + 2 * WG_MAC_SIZE - 1, (struct sockaddr *)&src, 0), -1);
	ATF_CHECK_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), &unspec, 0), -1);
	ATF_CHECK_EQ(cookie_checker_validate_mac2(&p.cc, p.msg,
	    sizeof(p.msg), &unspec, 0), -1);
	pair_free(&p);
}

ATF_TC_WITHOUT_HEAD(free_wipes);
ATF_TC_BODY(free_wipes, tc)
{
	struct pair		 p;
	struct wg_msg_cookie	 reply;
	struct sockaddr_in	 src;

	pair_init(&p);
	sin_make(&src, "192.0.2.1", 51820);
	ATF_REQUIRE_EQ(cookie_maker_mac(&p.cm, p.msg, sizeof(p.msg), 0), 0);
	ATF_REQUIRE_EQ(cookie_checker_create_reply(&p.cc, &reply, p.msg,
	    sizeof(p.msg), (struct sockaddr *)&src, 0), 0);
	ATF_REQUIRE_EQ(cookie_maker_consume_reply(&p.cm, &reply, 0), 0);
	pair_free(&p);
	ATF_CHECK(is_zero((uint8_t *)&p.cc, sizeof(p.cc)));
	ATF_CHECK(is_zero((uint8_t *)&p.cm, sizeof(p.cm)));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mac1_initiation_vector);
	ATF_TP_ADD_TC(tp, mac1_response_vector);
	ATF_TP_ADD_TC(tp, round_trip);
	ATF_TP_ADD_TC(tp, round_trip_ipv6);
	ATF_TP_ADD_TC(tp, reply_layout);
	ATF_TP_ADD_TC(tp, reply_must_match_last_mac1);
	ATF_TP_ADD_TC(tp, reply_tampered);
	ATF_TP_ADD_TC(tp, cookie_expiry);
	ATF_TP_ADD_TC(tp, secret_rotation);
	ATF_TP_ADD_TC(tp, secret_rotation_on_validate);
	ATF_TP_ADD_TC(tp, bad_input);
	ATF_TP_ADD_TC(tp, free_wipes);
	return atf_no_error();
}
