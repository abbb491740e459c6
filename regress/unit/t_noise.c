/*
 * wgd/noise.c: the Noise_IKpsk2 handshake byte for byte against a
 * handshake checked live with wireguard-go, then its refusals (replay,
 * tampering, out-of-order messages, low-order keys), the wiping of state
 * it promises, and the transport AEAD.
 */

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>
#include <sodium.h>

#include "key.h"
#include "noise.h"
#include "wg_proto.h"

/*
 * ../shared/vectors/wg-handshake.json: one handshake with preshared key
 * made by an independent implementation that completed it live against
 * wireguard-go 0.0.20220316.  MAC2 is zero (no cookie) in both messages.
 */
#define V_I_STATIC_PRIV	"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A="
#define V_I_STATIC_PUB	"B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw="
#define V_R_STATIC_PRIV	"ICIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A="
#define V_R_STATIC_PUB	"WGmv9FBUlzLLqu1eXfmzCm2jHLDldCutWtShp2jxpns="
#define V_I_EPH_PRIV	"QEJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A="
#define V_R_EPH_PRIV	"YGJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f0A="
#define V_PSK		"gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A="
#define V_TIMESTAMP	"400000006553f10a075bcd15"
#define V_I_INDEX	0x11223344
#define V_R_INDEX	0x55667788
#define V_INITIATION \
	"010000004433221164b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188" \
	"dd128d9846d48466158a0e4ca242d151ca97ab90159a98b67e616625e68b4065" \
	"d357376b6598e644ad7d678c0295d22de4cb43d5135581ed36346bfa7cf42a12" \
	"266235863f4efbc62519f49f8f62661b44a6a84392de152faa48fb09b8e57948" \
	"5abacbea00000000000000000000000000000000"
#define V_RESPONSE \
	"020000008877665544332211244fe3b963e899dd295baffce248d3530f3a9a74" \
	"79ba063002680ebfe7adad49b1f15013fcf37da7dc800a711e96d4eace5089dd" \
	"d8479220b0da35a7753c06b000000000000000000000000000000000"
#define V_I_SEND_KEY \
	"248a29611829aaf7ee8bc8e87df805c1019f08f82d80eb79b7625821ba0a1317"
#define V_I_RECV_KEY \
	"848308e622b3e15e5ebc5312111efc31082e86c85e9ee93fe8c5aa7f972cc9c3"
#define V_KEEPALIVE \
	"04000000887766550000000000000000c7401bed732b18f3c0e395fc3f7435fa"

/* The bytes before the macs, which cookie.c computes and noise.c skips. */
#define INITIATION_NOISE_BYTES	(WG_MSG_INITIATION_SIZE - 2 * WG_MAC_SIZE)
#define RESPONSE_NOISE_BYTES	(WG_MSG_RESPONSE_SIZE - 2 * WG_MAC_SIZE)

/* Both sides of one handshake: I (initiator) and R (responder). */
struct pair {
	struct noise_local	 i_local, r_local;
	struct noise_remote	 i_peer;	/* R as I sees it */
	struct noise_remote	 r_peer;	/* I as R sees it */
};

static void
hex_to_bin(uint8_t *out, size_t outlen, const char *hex)
{
	size_t	 len;

	ATF_REQUIRE(sodium_hex2bin(out, outlen, hex, strlen(hex), NULL, &len,
	    NULL) == 0);
	ATF_REQUIRE_EQ(len, outlen);
}

static void
b64_to_key(uint8_t key[WG_KEY_SIZE], const char *b64)
{
	ATF_REQUIRE(key_from_base64(key, b64) == 0);
}

static void
check_bytes(const void *got, const char *want_hex, size_t len,
    const char *what)
{
	uint8_t	 want[WG_MSG_INITIATION_SIZE];
	char	 got_hex[2 * WG_MSG_INITIATION_SIZE + 1];
	size_t	 i;

	ATF_REQUIRE(len <= sizeof(want) && strlen(want_hex) >= 2 * len);
	/* Only the first len bytes of want_hex are compared. */
	for (i = 0; i < len; i++) {
		ATF_REQUIRE(sodium_hex2bin(want + i, 1, want_hex + 2 * i, 2,
		    NULL, NULL, NULL) == 0);
	}
	if (memcmp(got, want, len) != 0) {
		sodium_bin2hex(got_hex, sizeof(got_hex), got, len);
		atf_tc_fail_nonfatal("%s:\n got %s\nwant %.*s", what, got_hex,
		    (int)(2 * len), want_hex);
	}
}

static int
all_zero(const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* The vector's identities, psk on both sides. */
static void
vector_pair(struct pair *p)
{
	uint8_t	 priv[WG_KEY_SIZE], pub[WG_KEY_SIZE], psk[WG_KEY_SIZE];

	ATF_REQUIRE(sodium_init() != -1);
	b64_to_key(psk, V_PSK);
	b64_to_key(priv, V_I_STATIC_PRIV);
	ATF_REQUIRE(noise_local_init(&p->i_local, priv) == 0);
	b64_to_key(pub, V_I_STATIC_PUB);
	ATF_REQUIRE(memcmp(p->i_local.public, pub, WG_KEY_SIZE) == 0);

	b64_to_key(priv, V_R_STATIC_PRIV);
	ATF_REQUIRE(noise_local_init(&p->r_local, priv) == 0);
	b64_to_key(pub, V_R_STATIC_PUB);
	ATF_REQUIRE(memcmp(p->r_local.public, pub, WG_KEY_SIZE) == 0);

	ATF_REQUIRE(noise_remote_init(&p->i_peer, &p->i_local,
	    p->r_local.public, psk) == 0);
	ATF_REQUIRE(noise_remote_init(&p->r_peer, &p->r_local,
	    p->i_local.public, psk) == 0);
}

/* Fresh random identities; psk or not. */
static void
random_pair(struct pair *p, int with_psk)
{
	uint8_t	 priv[WG_KEY_SIZE], psk[WG_KEY_SIZE];

	ATF_REQUIRE(sodium_init() != -1);
	key_generate_private(priv);
	ATF_REQUIRE(noise_local_init(&p->i_local, priv) == 0);
	key_generate_private(priv);
	ATF_REQUIRE(noise_local_init(&p->r_local, priv) == 0);
	key_generate_preshared(psk);
	ATF_REQUIRE(noise_remote_init(&p->i_peer, &p->i_local,
	    p->r_local.public, with_psk ? psk : NULL) == 0);
	ATF_REQUIRE(noise_remote_init(&p->r_peer, &p->r_local,
	    p->i_local.public, with_psk ? psk : NULL) == 0);
}

static void
now_tai64n(uint8_t ts[WG_TIMESTAMP_SIZE])
{
	struct timespec	 now;

	ATF_REQUIRE(clock_gettime(CLOCK_REALTIME, &now) == 0);
	noise_tai64n(ts, now.tv_sec, (uint32_t)now.tv_nsec);
}

static void
make_initiation(struct pair *p, const uint8_t ts[WG_TIMESTAMP_SIZE],
    uint32_t index, struct wg_msg_initiation *m)
{
	uint8_t	 e[WG_KEY_SIZE];

	key_generate_private(e);
	ATF_REQUIRE(noise_create_initiation(&p->i_local, &p->i_peer, e, ts,
	    index, m) == 0);
}

/* Responder side of an initiation: both steps. */
static int
take_initiation(struct pair *p, const struct wg_msg_initiation *m)
{
	struct noise_pending	 pend;

	if (noise_consume_initiation(&p->r_local, m, &pend) == -1)
		return -1;
	ATF_REQUIRE(memcmp(pend.remote_public, p->r_peer.public,
	    WG_KEY_SIZE) == 0);
	return noise_accept_initiation(&p->r_peer, &pend);
}

static void
make_response(struct pair *p, uint32_t index, struct wg_msg_response *m)
{
	uint8_t	 e[WG_KEY_SIZE];

	key_generate_private(e);
	ATF_REQUIRE(noise_create_response(&p->r_peer, e, index, m) == 0);
}

/* A whole handshake between the two, returning both keypairs. */
static void
handshake(struct pair *p, struct noise_keypair *ikp, struct noise_keypair *rkp)
{
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint32_t			 ii, ri;

	ii = randombytes_random();
	ri = randombytes_random();
	now_tai64n(ts);
	make_initiation(p, ts, ii, &init);
	ATF_REQUIRE(take_initiation(p, &init) == 0);
	make_response(p, ri, &resp);
	ATF_REQUIRE(noise_consume_response(&p->i_local, &p->i_peer,
	    &resp) == 0);
	ATF_REQUIRE(noise_derive_keypair(&p->i_peer, ikp) == 0);
	ATF_REQUIRE(noise_derive_keypair(&p->r_peer, rkp) == 0);
	ATF_REQUIRE(ikp->initiator && !rkp->initiator);
	ATF_REQUIRE_EQ(ikp->local_index, ii);
	ATF_REQUIRE_EQ(ikp->remote_index, ri);
	ATF_REQUIRE_EQ(rkp->local_index, ri);
	ATF_REQUIRE_EQ(rkp->remote_index, ii);
}

ATF_TC_WITHOUT_HEAD(vector_initiation);
ATF_TC_BODY(vector_initiation, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 m;
	uint8_t				 e[WG_KEY_SIZE];
	uint8_t				 ts[WG_TIMESTAMP_SIZE];

	vector_pair(&p);
	b64_to_key(e, V_I_EPH_PRIV);
	hex_to_bin(ts, sizeof(ts), V_TIMESTAMP);
	ATF_REQUIRE(noise_create_initiation(&p.i_local, &p.i_peer, e, ts,
	    V_I_INDEX, &m) == 0);
	/*
	 * Every byte up to the macs; those are cookie.c's job, and noise.c
	 * leaves them zero.
	 */
	check_bytes(&m, V_INITIATION, INITIATION_NOISE_BYTES, "initiation");
	ATF_CHECK(all_zero(&m.macs, sizeof(m.macs)));
	ATF_CHECK_EQ(p.i_peer.hs.state, NOISE_STATE_CREATED_INITIATION);
	ATF_CHECK_EQ(p.i_peer.hs.local_index, V_I_INDEX);
}

ATF_TC_WITHOUT_HEAD(vector_responder);
ATF_TC_BODY(vector_responder, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	struct noise_pending		 pend;
	uint8_t				 e[WG_KEY_SIZE], pub[WG_KEY_SIZE];
	uint8_t				 ts[WG_TIMESTAMP_SIZE];

	vector_pair(&p);
	/* The whole datagram, as it arrived from the wire. */
	hex_to_bin((uint8_t *)&init, sizeof(init), V_INITIATION);
	ATF_REQUIRE(noise_consume_initiation(&p.r_local, &init, &pend) == 0);
	b64_to_key(pub, V_I_STATIC_PUB);
	ATF_CHECK(memcmp(pend.remote_public, pub, WG_KEY_SIZE) == 0);
	ATF_CHECK_EQ(pend.remote_index, V_I_INDEX);

	ATF_REQUIRE(noise_accept_initiation(&p.r_peer, &pend) == 0);
	hex_to_bin(ts, sizeof(ts), V_TIMESTAMP);
	ATF_CHECK(memcmp(p.r_peer.last_timestamp, ts, sizeof(ts)) == 0);
	ATF_CHECK_EQ(p.r_peer.hs.state, NOISE_STATE_CONSUMED_INITIATION);
	ATF_CHECK_EQ(p.r_peer.hs.remote_index, V_I_INDEX);

	b64_to_key(e, V_R_EPH_PRIV);
	ATF_REQUIRE(noise_create_response(&p.r_peer, e, V_R_INDEX, &resp) ==
	    0);
	check_bytes(&resp, V_RESPONSE, RESPONSE_NOISE_BYTES, "response");
	ATF_CHECK(all_zero(&resp.macs, sizeof(resp.macs)));
}

ATF_TC_WITHOUT_HEAD(vector_keys_and_keepalive);
ATF_TC_BODY(vector_keys_and_keepalive, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	struct noise_keypair		 ikp, rkp;
	struct wg_msg_data		 hdr;
	uint8_t				 e[WG_KEY_SIZE];
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint8_t				 pkt[WG_MSG_DATA_MIN_SIZE], none[1];
	uint8_t				 nonce[12], ct[5 + WG_AEAD_TAG_SIZE];
	uint8_t				 pt[5];
	int				 i;

	vector_pair(&p);
	b64_to_key(e, V_I_EPH_PRIV);
	hex_to_bin(ts, sizeof(ts), V_TIMESTAMP);
	ATF_REQUIRE(noise_create_initiation(&p.i_local, &p.i_peer, e, ts,
	    V_I_INDEX, &init) == 0);
	ATF_REQUIRE(take_initiation(&p, &init) == 0);
	b64_to_key(e, V_R_EPH_PRIV);
	ATF_REQUIRE(noise_create_response(&p.r_peer, e, V_R_INDEX, &resp) ==
	    0);

	/* The initiator consumes the vector's response, not ours. */
	hex_to_bin((uint8_t *)&resp, sizeof(resp), V_RESPONSE);
	ATF_REQUIRE(noise_consume_response(&p.i_local, &p.i_peer, &resp) ==
	    0);
	ATF_CHECK_EQ(p.i_peer.hs.remote_index, V_R_INDEX);

	ATF_REQUIRE(noise_derive_keypair(&p.i_peer, &ikp) == 0);
	check_bytes(ikp.send, V_I_SEND_KEY, WG_KEY_SIZE, "initiator send");
	check_bytes(ikp.recv, V_I_RECV_KEY, WG_KEY_SIZE, "initiator recv");
	ATF_REQUIRE(noise_derive_keypair(&p.r_peer, &rkp) == 0);
	check_bytes(rkp.recv, V_I_SEND_KEY, WG_KEY_SIZE, "responder recv");
	check_bytes(rkp.send, V_I_RECV_KEY, WG_KEY_SIZE, "responder send");

	/* Header: type 4, receiver = responder's index, counter 0. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = htole32(WG_MSG_DATA);
	hdr.receiver = htole32(ikp.remote_index);
	hdr.counter = htole64(0);
	memcpy(pkt, &hdr, sizeof(hdr));
	ATF_REQUIRE(noise_encrypt(&ikp, 0, none, 0,
	    pkt + WG_MSG_DATA_HEADER_SIZE) == 0);
	check_bytes(pkt, V_KEEPALIVE, sizeof(pkt), "keepalive");

	ATF_CHECK(noise_decrypt(&rkp, 0, pkt + WG_MSG_DATA_HEADER_SIZE,
	    WG_AEAD_TAG_SIZE, none) == 0);
	ATF_CHECK(noise_decrypt(&rkp, 1, pkt + WG_MSG_DATA_HEADER_SIZE,
	    WG_AEAD_TAG_SIZE, none) == -1);

	/*
	 * Counter 0 cannot tell byte orders apart: check the nonce layout
	 * (4 zero bytes, then the counter little-endian) with a nonce
	 * built here and libsodium called directly.
	 */
	memset(nonce, 0, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(0x0102030405060708ULL >> (8 * i));
	ATF_REQUIRE(noise_encrypt(&ikp, 0x0102030405060708ULL,
	    (const uint8_t *)"hello", 5, ct) == 0);
	ATF_CHECK(crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL,
	    ct, sizeof(ct), NULL, 0, nonce, ikp.send) == 0);
	ATF_CHECK(memcmp(pt, "hello", 5) == 0);
}

ATF_TC_WITHOUT_HEAD(tai64n);
ATF_TC_BODY(tai64n, tc)
{
	uint8_t		 a[WG_TIMESTAMP_SIZE], b[WG_TIMESTAMP_SIZE];
	int64_t		 sec;

	/*
	 * The vector's timestamp is 1700000000.123456789 UTC: seconds as
	 * 2^62 + 10 + t, big-endian.  The nanoseconds come out rounded
	 * down to a multiple of 2^24.
	 */
	noise_tai64n(a, 1700000000, 123456789);
	check_bytes(a, "400000006553f10a07000000", sizeof(a), "tai64n");

	/* Two stamps 20 ms apart (the initiation rate limit) differ. */
	noise_tai64n(a, 1700000000, 999999999 - 10000000);
	noise_tai64n(b, 1700000001, 10000000);
	ATF_CHECK(memcmp(a, b, sizeof(a)) < 0);
	noise_tai64n(a, 1700000001, 30000000);
	ATF_CHECK(memcmp(b, a, sizeof(a)) < 0);

	/*
	 * Across 2^31 s (a 32-bit time_t's end, in 2038) and 2^32 s, on
	 * every architecture: the arithmetic is 64-bit.
	 */
	noise_tai64n(a, INT32_MAX, 999999999);
	check_bytes(a, "40000000800000093b000000", sizeof(a), "2^31 - 1");
	noise_tai64n(b, (int64_t)INT32_MAX + 1, 0);
	check_bytes(b, "400000008000000a00000000", sizeof(b), "2^31");
	ATF_CHECK(memcmp(a, b, sizeof(a)) < 0);
	sec = UINT32_MAX;
	noise_tai64n(a, sec, 999999999);
	check_bytes(a, "40000001000000093b000000", sizeof(a), "2^32 - 1");
	noise_tai64n(b, sec + 1, 0);
	check_bytes(b, "400000010000000a00000000", sizeof(b), "2^32");
	ATF_CHECK(memcmp(a, b, sizeof(a)) < 0);
}

static void
transport_both_ways(struct noise_keypair *ikp, struct noise_keypair *rkp)
{
	uint8_t		 plain[1500], buf[1500 + WG_AEAD_TAG_SIZE];
	uint8_t		 back[1500];
	uint64_t	 ctr;
	size_t		 len;
	int		 i;

	for (i = 0; i < 100; i++) {
		len = randombytes_uniform(sizeof(plain) + 1);
		ctr = randombytes_uniform(1000);
		randombytes_buf(plain, len);

		ATF_REQUIRE(noise_encrypt(ikp, ctr, plain, len, buf) == 0);
		ATF_REQUIRE(noise_decrypt(rkp, ctr, buf, len +
		    WG_AEAD_TAG_SIZE, back) == 0);
		ATF_REQUIRE(memcmp(plain, back, len) == 0);
		/* Not with another counter, nor in the other direction. */
		ATF_REQUIRE(noise_decrypt(rkp, ctr + 1, buf, len +
		    WG_AEAD_TAG_SIZE, back) == -1);
		ATF_REQUIRE(noise_decrypt(ikp, ctr, buf, len +
		    WG_AEAD_TAG_SIZE, back) == -1);

		/* Back, in place. */
		memcpy(buf, plain, len);
		ATF_REQUIRE(noise_encrypt(rkp, ctr, buf, len, buf) == 0);
		ATF_REQUIRE(noise_decrypt(ikp, ctr, buf, len +
		    WG_AEAD_TAG_SIZE, buf) == 0);
		ATF_REQUIRE(memcmp(plain, buf, len) == 0);
	}
	ATF_CHECK(noise_decrypt(rkp, 0, buf, WG_AEAD_TAG_SIZE - 1, back) ==
	    -1);
	ATF_CHECK(noise_encrypt(ikp, REJECT_AFTER_MESSAGES, plain, 0, buf) ==
	    -1);
	ATF_CHECK(noise_encrypt(ikp, REJECT_AFTER_MESSAGES - 1, plain, 0,
	    buf) == 0);
	ATF_CHECK(noise_decrypt(rkp, REJECT_AFTER_MESSAGES - 1, buf,
	    WG_AEAD_TAG_SIZE, back) == 0);
	ATF_CHECK(noise_decrypt(rkp, REJECT_AFTER_MESSAGES, buf,
	    WG_AEAD_TAG_SIZE, back) == -1);
}

ATF_TC_WITHOUT_HEAD(random_peers_psk);
ATF_TC_BODY(random_peers_psk, tc)
{
	struct pair		 p;
	struct noise_keypair	 ikp, rkp;
	int			 i;

	for (i = 0; i < 20; i++) {
		random_pair(&p, 1);
		handshake(&p, &ikp, &rkp);
		ATF_REQUIRE(memcmp(ikp.send, rkp.recv, WG_KEY_SIZE) == 0);
		ATF_REQUIRE(memcmp(ikp.recv, rkp.send, WG_KEY_SIZE) == 0);
		ATF_REQUIRE(memcmp(ikp.send, ikp.recv, WG_KEY_SIZE) != 0);
		transport_both_ways(&ikp, &rkp);
	}
}

ATF_TC_WITHOUT_HEAD(random_peers_no_psk);
ATF_TC_BODY(random_peers_no_psk, tc)
{
	struct pair		 p;
	struct noise_keypair	 ikp, rkp;
	int			 i;

	for (i = 0; i < 20; i++) {
		random_pair(&p, 0);
		ATF_REQUIRE(all_zero(p.i_peer.psk, WG_KEY_SIZE));
		handshake(&p, &ikp, &rkp);
		transport_both_ways(&ikp, &rkp);
	}
}

ATF_TC_WITHOUT_HEAD(psk_mismatch);
ATF_TC_BODY(psk_mismatch, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint8_t				 psk[WG_KEY_SIZE];

	/* The psk enters only at the response, so only there it fails. */
	random_pair(&p, 1);
	key_generate_preshared(psk);
	ATF_REQUIRE(noise_remote_set_keys(&p.r_peer, &p.r_local, psk) == 0);
	now_tai64n(ts);
	make_initiation(&p, ts, 1, &init);
	ATF_REQUIRE(take_initiation(&p, &init) == 0);
	make_response(&p, 2, &resp);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) ==
	    -1);
	ATF_CHECK_EQ(p.i_peer.hs.state, NOISE_STATE_CREATED_INITIATION);
}

ATF_TC_WITHOUT_HEAD(replayed_initiation);
ATF_TC_BODY(replayed_initiation, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init, old;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];

	random_pair(&p, 1);
	now_tai64n(ts);
	make_initiation(&p, ts, 1, &init);
	ATF_REQUIRE(take_initiation(&p, &init) == 0);
	/* The same bytes again: a replay. */
	ATF_CHECK(take_initiation(&p, &init) == -1);
	/* A new initiation (new ephemeral) with the same timestamp too. */
	old = init;
	make_initiation(&p, ts, 2, &init);
	ATF_CHECK(take_initiation(&p, &init) == -1);

	/* A later one is fine, and then the older one is not. */
	ts[WG_TIMESTAMP_SIZE - 1]++;
	make_initiation(&p, ts, 3, &init);
	ATF_CHECK(take_initiation(&p, &init) == 0);
	ATF_CHECK(memcmp(p.r_peer.last_timestamp, ts, sizeof(ts)) == 0);
	ATF_CHECK(take_initiation(&p, &old) == -1);
	ATF_CHECK_EQ(p.r_peer.hs.remote_index, 3);

	/*
	 * A reload that changes the psk drops the handshake in progress
	 * but must keep the timestamp, or old initiations would replay.
	 */
	ATF_REQUIRE(noise_remote_set_keys(&p.r_peer, &p.r_local, NULL) == 0);
	ATF_CHECK(all_zero(&p.r_peer.hs, sizeof(p.r_peer.hs)));
	ATF_CHECK(all_zero(p.r_peer.psk, WG_KEY_SIZE));
	ATF_CHECK(memcmp(p.r_peer.last_timestamp, ts, sizeof(ts)) == 0);
	ATF_REQUIRE(noise_remote_set_keys(&p.i_peer, &p.i_local, NULL) == 0);
	make_initiation(&p, ts, 4, &init);
	ATF_CHECK(take_initiation(&p, &init) == -1);
}

/* The responder orders timestamps across 2^31 s and 2^32 s too. */
ATF_TC_WITHOUT_HEAD(initiations_across_32_bits);
ATF_TC_BODY(initiations_across_32_bits, tc)
{
	static const int64_t		 edges[] = {
		INT32_MAX, UINT32_MAX
	};
	struct pair			 p;
	struct wg_msg_initiation	 before, after;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	size_t				 i;

	random_pair(&p, 0);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		noise_tai64n(ts, edges[i], 990000000);
		make_initiation(&p, ts, 1, &before);
		noise_tai64n(ts, edges[i] + 1, 10000000);
		make_initiation(&p, ts, 2, &after);
		ATF_CHECK(take_initiation(&p, &before) == 0);
		ATF_CHECK(take_initiation(&p, &after) == 0);
		ATF_CHECK(memcmp(p.r_peer.last_timestamp, ts, sizeof(ts)) == 0);
		ATF_CHECK(take_initiation(&p, &before) == -1);
	}
}

ATF_TC_WITHOUT_HEAD(tampered_initiation);
ATF_TC_BODY(tampered_initiation, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init, bad;
	struct noise_pending		 pend;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint8_t				*b;
	size_t				 i;
	int				 bit;

	random_pair(&p, 1);
	now_tai64n(ts);
	make_initiation(&p, ts, 7, &init);
	/*
	 * Every bit of the type, ephemeral, static and timestamp.  The
	 * sender index and the macs are protected by MAC1 (cookie.c), not
	 * by Noise, so they are left out here.
	 */
	for (i = 0; i < INITIATION_NOISE_BYTES; i++) {
		if (i >= offsetof(struct wg_msg_initiation, sender) &&
		    i < offsetof(struct wg_msg_initiation, ephemeral))
			continue;
		for (bit = 0; bit < 8; bit++) {
			bad = init;
			b = (uint8_t *)&bad;
			b[i] ^= 1 << bit;
			if (take_initiation(&p, &bad) != -1)
				atf_tc_fail("byte %zu bit %d accepted", i, bit);
		}
	}
	ATF_CHECK_EQ(p.r_peer.hs.state, NOISE_STATE_NONE);
	ATF_CHECK(all_zero(p.r_peer.last_timestamp, WG_TIMESTAMP_SIZE));
	/* The genuine one still goes through. */
	ATF_CHECK(take_initiation(&p, &init) == 0);

	/*
	 * A pending initiation handed with the wrong peer (here: claiming
	 * to be our own key) is refused, even with a fresh timestamp.
	 */
	ts[WG_TIMESTAMP_SIZE - 1]++;
	make_initiation(&p, ts, 8, &init);
	ATF_REQUIRE(noise_consume_initiation(&p.r_local, &init, &pend) == 0);
	memcpy(pend.remote_public, p.r_local.public, WG_KEY_SIZE);
	ATF_CHECK(noise_accept_initiation(&p.r_peer, &pend) == -1);
	ATF_CHECK(all_zero(&pend, sizeof(pend)));
}

ATF_TC_WITHOUT_HEAD(tampered_response);
ATF_TC_BODY(tampered_response, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp, bad;
	struct noise_handshake		 saved;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint8_t				*b;
	size_t				 i;
	int				 bit;

	random_pair(&p, 1);
	now_tai64n(ts);
	make_initiation(&p, ts, 7, &init);
	ATF_REQUIRE(take_initiation(&p, &init) == 0);
	make_response(&p, 9, &resp);
	saved = p.i_peer.hs;

	/* As above, the sender index is MAC1's to protect. */
	for (i = 0; i < RESPONSE_NOISE_BYTES; i++) {
		if (i >= offsetof(struct wg_msg_response, sender) &&
		    i < offsetof(struct wg_msg_response, receiver))
			continue;
		for (bit = 0; bit < 8; bit++) {
			bad = resp;
			b = (uint8_t *)&bad;
			b[i] ^= 1 << bit;
			if (noise_consume_response(&p.i_local, &p.i_peer,
			    &bad) != -1)
				atf_tc_fail("byte %zu bit %d accepted", i, bit);
		}
	}
	/* A forged response must not cost us the handshake in progress. */
	ATF_CHECK(memcmp(&saved, &p.i_peer.hs, sizeof(saved)) == 0);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) == 0);
}

ATF_TC_WITHOUT_HEAD(out_of_order);
ATF_TC_BODY(out_of_order, tc)
{
	struct pair			 p, q;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	struct noise_keypair		 kp;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];
	uint8_t				 e[WG_KEY_SIZE];

	random_pair(&p, 1);
	key_generate_private(e);
	/* Nothing to respond to, nothing to derive. */
	ATF_CHECK(noise_create_response(&p.r_peer, e, 9, &resp) == -1);
	ATF_CHECK(noise_derive_keypair(&p.r_peer, &kp) == -1);
	ATF_CHECK(noise_derive_keypair(&p.i_peer, &kp) == -1);

	/* A valid response, but to another pair's initiation. */
	random_pair(&q, 1);
	now_tai64n(ts);
	make_initiation(&q, ts, 7, &init);
	ATF_REQUIRE(take_initiation(&q, &init) == 0);
	make_response(&q, 9, &resp);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) == -1);
	ATF_CHECK_EQ(p.i_peer.hs.state, NOISE_STATE_NONE);

	/* A response to nothing: its own initiator, handshake done. */
	ATF_REQUIRE(noise_consume_response(&q.i_local, &q.i_peer, &resp) ==
	    0);
	ATF_CHECK(noise_consume_response(&q.i_local, &q.i_peer, &resp) ==
	    -1);
	ATF_REQUIRE(noise_derive_keypair(&q.i_peer, &kp) == 0);
	ATF_CHECK(noise_consume_response(&q.i_local, &q.i_peer, &resp) ==
	    -1);
	ATF_CHECK(noise_derive_keypair(&q.i_peer, &kp) == -1);

	/* With an initiation out, a response from another handshake. */
	make_initiation(&p, ts, 11, &init);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) == -1);
	ATF_CHECK_EQ(p.i_peer.hs.state, NOISE_STATE_CREATED_INITIATION);
	/* The initiator cannot derive before the response. */
	ATF_CHECK(noise_derive_keypair(&p.i_peer, &kp) == -1);
	/* The responder cannot derive before responding. */
	ATF_REQUIRE(take_initiation(&p, &init) == 0);
	ATF_CHECK(noise_derive_keypair(&p.r_peer, &kp) == -1);
	/* The receiver index must be the one we sent (11). */
	make_response(&p, 12, &resp);
	resp.receiver = htole32(12);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) == -1);
	resp.receiver = htole32(11);
	ATF_CHECK(noise_consume_response(&p.i_local, &p.i_peer, &resp) == 0);
}

ATF_TC_WITHOUT_HEAD(wiped_state);
ATF_TC_BODY(wiped_state, tc)
{
	struct pair			 p;
	struct wg_msg_initiation	 init;
	struct wg_msg_response		 resp;
	struct noise_pending		 pend;
	struct noise_keypair		 ikp, rkp;
	uint8_t				 ts[WG_TIMESTAMP_SIZE];

	random_pair(&p, 1);
	now_tai64n(ts);
	make_initiation(&p, ts, 7, &init);
	ATF_CHECK(!all_zero(p.i_peer.hs.e_local, WG_KEY_SIZE));

	/* The pending initiation is wiped by the second step. */
	ATF_REQUIRE(noise_consume_initiation(&p.r_local, &init, &pend) == 0);
	ATF_CHECK(!all_zero(pend.ck, sizeof(pend.ck)));
	ATF_REQUIRE(noise_accept_initiation(&p.r_peer, &pend) == 0);
	ATF_CHECK(all_zero(&pend, sizeof(pend)));

	/* And by the first when it fails. */
	memset(&pend, 0xa5, sizeof(pend));
	init.static_enc[0] ^= 1;
	ATF_CHECK(noise_consume_initiation(&p.r_local, &init, &pend) == -1);
	ATF_CHECK(all_zero(&pend, sizeof(pend)));
	init.static_enc[0] ^= 1;

	/* The initiator's ephemeral goes once the response is in. */
	make_response(&p, 9, &resp);
	ATF_REQUIRE(noise_consume_response(&p.i_local, &p.i_peer, &resp) ==
	    0);
	ATF_CHECK(all_zero(p.i_peer.hs.e_local, WG_KEY_SIZE));

	/* Derivation leaves the handshake all zero bytes on both sides. */
	ATF_REQUIRE(noise_derive_keypair(&p.i_peer, &ikp) == 0);
	ATF_REQUIRE(noise_derive_keypair(&p.r_peer, &rkp) == 0);
	ATF_CHECK(all_zero(&p.i_peer.hs, sizeof(p.i_peer.hs)));
	ATF_CHECK(all_zero(&p.r_peer.hs, sizeof(p.r_peer.hs)));
	ATF_CHECK_EQ(p.i_peer.hs.state, NOISE_STATE_NONE);

	noise_keypair_clear(&ikp);
	ATF_CHECK(all_zero(&ikp, sizeof(ikp)));
	noise_remote_clear(&p.r_peer);
	ATF_CHECK(all_zero(&p.r_peer, sizeof(p.r_peer)));
	noise_local_clear(&p.r_local);
	ATF_CHECK(all_zero(&p.r_local, sizeof(p.r_local)));
}

ATF_TC_WITHOUT_HEAD(low_order_points);
ATF_TC_BODY(low_order_points, tc)
{
	struct pair			 p;
	struct noise_remote		 bad;
	struct wg_msg_initiation	 init;
	struct noise_pending		 pend;
	uint8_t				 zero[WG_KEY_SIZE], one[WG_KEY_SIZE];
	uint8_t				 e[WG_KEY_SIZE];
	uint8_t				 ts[WG_TIMESTAMP_SIZE];

	random_pair(&p, 0);
	memset(zero, 0, sizeof(zero));
	/* u = 1: a point of order 4 on Curve25519 (RFC 7748's list). */
	memset(one, 0, sizeof(one));
	one[0] = 1;
	now_tai64n(ts);
	key_generate_private(e);

	/* A peer with a low-order static key: stored, never usable. */
	ATF_CHECK(noise_remote_init(&bad, &p.i_local, zero, NULL) == -1);
	ATF_CHECK(all_zero(bad.ss, WG_KEY_SIZE));
	ATF_CHECK(noise_create_initiation(&p.i_local, &bad, e, ts, 1,
	    &init) == -1);
	ATF_CHECK(all_zero(&init, sizeof(init)));
	ATF_CHECK(noise_remote_init(&bad, &p.i_local, one, NULL) == -1);
	ATF_CHECK(noise_create_initiation(&p.i_local, &bad, e, ts, 1,
	    &init) == -1);

	/* An initiation whose ephemeral is of low order. */
	make_initiation(&p, ts, 1, &init);
	memcpy(init.ephemeral, one, WG_KEY_SIZE);
	ATF_CHECK(noise_consume_initiation(&p.r_local, &init, &pend) == -1);
	memcpy(init.ephemeral, zero, WG_KEY_SIZE);
	ATF_CHECK(noise_consume_initiation(&p.r_local, &init, &pend) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, vector_initiation);
	ATF_TP_ADD_TC(tp, vector_responder);
	ATF_TP_ADD_TC(tp, vector_keys_and_keepalive);
	ATF_TP_ADD_TC(tp, tai64n);
	ATF_TP_ADD_TC(tp, random_peers_psk);
	ATF_TP_ADD_TC(tp, random_peers_no_psk);
	ATF_TP_ADD_TC(tp, psk_mismatch);
	ATF_TP_ADD_TC(tp, replayed_initiation);
	ATF_TP_ADD_TC(tp, initiations_across_32_bits);
	ATF_TP_ADD_TC(tp, tampered_initiation);
	ATF_TP_ADD_TC(tp, tampered_response);
	ATF_TP_ADD_TC(tp, out_of_order);
	ATF_TP_ADD_TC(tp, wiped_state);
	ATF_TP_ADD_TC(tp, low_order_points);
	return atf_no_error();
}
