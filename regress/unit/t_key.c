/*
 * common/key.c: base64 exactly as strict as wg(8), X25519 public keys,
 * generated keys clamped (private) or not (preshared).
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "key.h"

static void
hex_to_key(uint8_t key[WG_KEY_LEN], const char *hex)
{
	size_t	 len;

	ATF_REQUIRE(sodium_hex2bin(key, WG_KEY_LEN, hex, strlen(hex), NULL,
	    &len, NULL) == 0);
	ATF_REQUIRE_EQ(len, WG_KEY_LEN);
}

static void
require_public(const char *priv_b64, const char *pub_b64)
{
	uint8_t	 priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char	 b64[WG_KEY_LEN_BASE64];

	ATF_REQUIRE(key_from_base64(priv, priv_b64) == 0);
	ATF_REQUIRE(key_public_from_private(pub, priv) == 0);
	key_to_base64(b64, pub);
	ATF_CHECK_STREQ(b64, pub_b64);
}

ATF_TC_WITHOUT_HEAD(rfc7748_public_key);
ATF_TC_BODY(rfc7748_public_key, tc)
{
	uint8_t	 priv[WG_KEY_LEN], pub[WG_KEY_LEN], want[WG_KEY_LEN];

	ATF_REQUIRE(sodium_init() != -1);
	/* RFC 7748, section 6.1: Alice's and Bob's key pairs. */
	hex_to_key(priv, "77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a");
	hex_to_key(want, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a");
	ATF_REQUIRE(key_public_from_private(pub, priv) == 0);
	ATF_CHECK(memcmp(pub, want, WG_KEY_LEN) == 0);

	hex_to_key(priv, "5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb");
	hex_to_key(want, "de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f");
	ATF_REQUIRE(key_public_from_private(pub, priv) == 0);
	ATF_CHECK(memcmp(pub, want, WG_KEY_LEN) == 0);
}

ATF_TC_WITHOUT_HEAD(handshake_vector_keys);
ATF_TC_BODY(handshake_vector_keys, tc)
{
	ATF_REQUIRE(sodium_init() != -1);
	/* ../shared/vectors/wg-handshake.json, checked against wireguard-go */
	require_public("AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=",
	    "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=");
	require_public("ICIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=",
	    "WGmv9FBUlzLLqu1eXfmzCm2jHLDldCutWtShp2jxpns=");
}

ATF_TC_WITHOUT_HEAD(unclamped_private_key);
ATF_TC_BODY(unclamped_private_key, tc)
{
	uint8_t	 priv[WG_KEY_LEN], clamped[WG_KEY_LEN];
	uint8_t	 pub1[WG_KEY_LEN], pub2[WG_KEY_LEN];

	ATF_REQUIRE(sodium_init() != -1);
	memset(priv, 0xff, sizeof(priv));
	memcpy(clamped, priv, sizeof(clamped));
	key_clamp(clamped);
	ATF_CHECK_EQ(clamped[0], 0xf8);
	ATF_CHECK_EQ(clamped[31], 0x7f);
	ATF_REQUIRE(key_public_from_private(pub1, priv) == 0);
	ATF_REQUIRE(key_public_from_private(pub2, clamped) == 0);
	ATF_CHECK(memcmp(pub1, pub2, WG_KEY_LEN) == 0);
	/* The caller's key is not modified. */
	ATF_CHECK_EQ(priv[0], 0xff);
}

ATF_TC_WITHOUT_HEAD(base64_round_trip);
ATF_TC_BODY(base64_round_trip, tc)
{
	uint8_t	 key[WG_KEY_LEN], back[WG_KEY_LEN];
	char	 b64[WG_KEY_LEN_BASE64];
	int	 i;

	ATF_REQUIRE(sodium_init() != -1);
	for (i = 0; i < 1000; i++) {
		randombytes_buf(key, sizeof(key));
		key_to_base64(b64, key);
		ATF_REQUIRE_EQ(strlen(b64), WG_KEY_LEN_BASE64 - 1);
		ATF_REQUIRE_EQ(b64[43], '=');
		ATF_REQUIRE(key_from_base64(back, b64) == 0);
		ATF_REQUIRE(memcmp(key, back, WG_KEY_LEN) == 0);
	}
}

ATF_TC_WITHOUT_HEAD(base64_strict);
ATF_TC_BODY(base64_strict, tc)
{
	static const char *const bad[] = {
		"",
		"=",
		/* 43 characters */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2=",
		/* 45 characters */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A==",
		/* no padding */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2AA",
		/* two padding characters in the 44 */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2==",
		/* non-zero bits after the last byte (wg refuses them) */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2B=",
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2D=",
		/* not the standard alphabet */
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH-A=",
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH_A=",
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e!2A=",
		/* white space is the caller's business, not the decoder's */
		" AIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=",
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=\n",
		"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e H2A=",
		/* padding in the middle */
		"AAIDBAUGBwgJCgsMDQ4PEBES=xQVFhcYGRobHB0eH2A=",
	};
	uint8_t	 key[WG_KEY_LEN], orig[WG_KEY_LEN];
	size_t	 i;

	ATF_REQUIRE(sodium_init() != -1);
	memset(orig, 0xa5, sizeof(orig));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(key, orig, sizeof(key));
		if (key_from_base64(key, bad[i]) != -1)
			atf_tc_fail_nonfatal("accepted \"%s\"", bad[i]);
		ATF_CHECK_MSG(memcmp(key, orig, sizeof(key)) == 0,
		    "\"%s\" left a partial key behind", bad[i]);
	}
	ATF_CHECK(key_from_base64(key,
	    "AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=") == 0);
	/* The last character may be any whose low bits are zero. */
	ATF_CHECK(key_from_base64(key,
	    "AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2E=") == 0);
}

ATF_TC_WITHOUT_HEAD(generated_keys);
ATF_TC_BODY(generated_keys, tc)
{
	uint8_t	 key[WG_KEY_LEN], prev[WG_KEY_LEN], pub[WG_KEY_LEN];
	int	 i, psk_unclamped = 0;

	ATF_REQUIRE(sodium_init() != -1);
	memset(prev, 0, sizeof(prev));
	for (i = 0; i < 64; i++) {
		key_generate_private(key);
		ATF_REQUIRE_EQ(key[0] & 7, 0);
		ATF_REQUIRE_EQ(key[31] & 0xc0, 0x40);
		ATF_REQUIRE(memcmp(key, prev, sizeof(key)) != 0);
		ATF_REQUIRE(key_public_from_private(pub, key) == 0);
		ATF_REQUIRE(!key_is_zero(pub));
		memcpy(prev, key, sizeof(prev));

		key_generate_preshared(key);
		if ((key[0] & 7) != 0 || (key[31] & 0xc0) != 0x40)
			psk_unclamped = 1;
	}
	/* 64 clamped-looking random keys would be a 2^-192 event. */
	ATF_CHECK(psk_unclamped);
	memset(key, 0, sizeof(key));
	ATF_CHECK(key_is_zero(key));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rfc7748_public_key);
	ATF_TP_ADD_TC(tp, handshake_vector_keys);
	ATF_TP_ADD_TC(tp, unclamped_private_key);
	ATF_TP_ADD_TC(tp, base64_round_trip);
	ATF_TP_ADD_TC(tp, base64_strict);
	ATF_TP_ADD_TC(tp, generated_keys);
	return atf_no_error();
}
