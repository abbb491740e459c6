/*
 * wgd/blake2s.c: BLAKE2s against RFC 7693 and the BLAKE2 team's known
 * answers, incremental hashing against one-shot, and HMAC and HKDF
 * against both fixed answers from another implementation and a
 * computation spelled out here from plain blake2s() calls.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "blake2s.h"

static void
hex_to_bin(uint8_t *out, size_t outlen, const char *hex)
{
	size_t	 len;

	ATF_REQUIRE(sodium_hex2bin(out, outlen, hex, strlen(hex), NULL, &len,
	    NULL) == 0);
	ATF_REQUIRE_EQ(len, outlen);
}

static void
check_hex(const uint8_t *got, size_t len, const char *want_hex,
    const char *what)
{
	uint8_t	 want[64];
	char	 got_hex[129];

	ATF_REQUIRE(len <= sizeof(want));
	hex_to_bin(want, len, want_hex);
	if (memcmp(got, want, len) != 0) {
		sodium_bin2hex(got_hex, sizeof(got_hex), got, len);
		atf_tc_fail_nonfatal("%s: got %s, want %s", what, got_hex,
		    want_hex);
	}
}

ATF_TC_WITHOUT_HEAD(rfc7693_abc);
ATF_TC_BODY(rfc7693_abc, tc)
{
	struct blake2s_state	 s;
	uint8_t			 out[BLAKE2S_HASH_SIZE];
	const char		*abc_hash = "508c5e8c327c14e2e1a72ba34eeb452f"
				    "37458b209ed63a294d999b4c86675982";

	/* RFC 7693, Appendix B: BLAKE2s-256("abc"). */
	blake2s(out, sizeof(out), NULL, 0, (const uint8_t *)"abc", 3);
	check_hex(out, sizeof(out), abc_hash, "one-shot");

	blake2s_init(&s, sizeof(out), NULL, 0);
	blake2s_update(&s, (const uint8_t *)"a", 1);
	blake2s_update(&s, (const uint8_t *)"bc", 2);
	blake2s_final(&s, out);
	check_hex(out, sizeof(out), abc_hash, "two updates");
}

/*
 * RFC 7693, Appendix E: the deterministic input generator of the
 * reference self-test, a Fibonacci-like sequence whose top bytes are
 * the data.
 */
static void
selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t	 a, b, t;
	size_t		 i;

	a = 0xdead4bad * seed;
	b = 1;
	for (i = 0; i < len; i++) {
		t = a + b;
		a = b;
		b = t;
		out[i] = (t >> 24) & 0xff;
	}
}

ATF_TC_WITHOUT_HEAD(rfc7693_selftest);
ATF_TC_BODY(rfc7693_selftest, tc)
{
	static const size_t	 md_len[] = { 16, 20, 28, 32 };
	static const size_t	 in_len[] = { 0, 3, 64, 65, 255, 1024 };
	struct blake2s_state	 grand;
	uint8_t			 in[1024], md[32], key[32], out[32];
	size_t			 i, j;

	/*
	 * RFC 7693, Appendix E (blake2s_selftest): BLAKE2s-256 over the
	 * unkeyed and keyed hashes of every outlen and input length; the
	 * expected grand hash is blake2s_res there.
	 */
	blake2s_init(&grand, 32, NULL, 0);
	for (i = 0; i < sizeof(md_len) / sizeof(md_len[0]); i++) {
		for (j = 0; j < sizeof(in_len) / sizeof(in_len[0]); j++) {
			selftest_seq(in, in_len[j], (uint32_t)in_len[j]);
			blake2s(md, md_len[i], NULL, 0, in, in_len[j]);
			blake2s_update(&grand, md, md_len[i]);

			selftest_seq(key, md_len[i], (uint32_t)md_len[i]);
			blake2s(md, md_len[i], key, md_len[i], in, in_len[j]);
			blake2s_update(&grand, md, md_len[i]);
		}
	}
	blake2s_final(&grand, out);
	check_hex(out, sizeof(out), "6a411f08ce25adcdfb02aba641451cec"
	    "53c598b24f4fc787fbdc88797f4c1dfe", "grand hash");
}

ATF_TC_WITHOUT_HEAD(keyed_kat);
ATF_TC_BODY(keyed_kat, tc)
{
	/*
	 * testvectors/blake2s-kat.txt of the BLAKE2 reference code
	 * (github.com/BLAKE2/BLAKE2): key 00..1f, input 00..(n-1),
	 * BLAKE2s-256.  Lengths chosen around the 64-byte block edge.
	 * Cross-checked with CPython's hashlib.blake2s(key=...).
	 */
	static const struct {
		size_t		 len;
		const char	*hash;
	} kat[] = {
		{ 0, "48a8997da407876b3d79c0d92325ad3b"
		    "89cbb754d86ab71aee047ad345fd2c49" },
		{ 1, "40d15fee7c328830166ac3f918650f80"
		    "7e7e01e177258cdc0a39b11f598066f1" },
		{ 2, "6bb71300644cd3991b26ccd4d274acd1"
		    "adeab8b1d7914546c1198bbe9fc9d803" },
		{ 3, "1d220dbe2ee134661fdf6d9e74b41704"
		    "710556f2f6e5a091b227697445dbea6b" },
		{ 63, "c65382513f07460da39833cb666c5ed8"
		    "2e61b9e998f4b0c4287cee56c3cc9bcd" },
		{ 64, "8975b0577fd35566d750b362b0897a26"
		    "c399136df07bababbde6203ff2954ed4" },
		{ 65, "21fe0ceb0052be7fb0f004187cacd7de"
		    "67fa6eb0938d927677f2398c132317a8" },
		{ 128, "0c311f38c35a4fb90d651c289d486856"
		    "cd1413df9b0677f53ece2cd9e477c60a" },
		{ 255, "3fb735061abc519dfe979e54c1ee5bfa"
		    "d0a9d858b3315bad34bde999efd724dd" },
	};
	uint8_t	 key[32], in[255], out[32];
	char	 what[32];
	size_t	 i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		blake2s(out, sizeof(out), key, sizeof(key), in, kat[i].len);
		snprintf(what, sizeof(what), "length %zu", kat[i].len);
		check_hex(out, sizeof(out), kat[i].hash, what);
	}
}

ATF_TC_WITHOUT_HEAD(short_output);
ATF_TC_BODY(short_output, tc)
{
	uint8_t	 out16[16], out32[32];

	/*
	 * The output length is hashed into the parameter block, so a
	 * 16-byte hash is not a truncated 32-byte one.  Expected value
	 * from CPython's hashlib.blake2s(b"abc", digest_size=16).
	 */
	blake2s(out16, sizeof(out16), NULL, 0, (const uint8_t *)"abc", 3);
	check_hex(out16, sizeof(out16), "aa4938119b1dc7b87cbad0ffd200d0ae",
	    "BLAKE2s-128(abc)");
	blake2s(out32, sizeof(out32), NULL, 0, (const uint8_t *)"abc", 3);
	ATF_CHECK(memcmp(out16, out32, sizeof(out16)) != 0);
}

ATF_TC_WITHOUT_HEAD(incremental);
ATF_TC_BODY(incremental, tc)
{
	struct blake2s_state	 s;
	uint8_t			 in[1100], key[32], one[32], inc[32];
	size_t			 len, off, chunk, outlen, keylen;
	int			 round;

	ATF_REQUIRE(sodium_init() != -1);
	for (round = 0; round < 2000; round++) {
		len = randombytes_uniform(sizeof(in) + 1);
		outlen = 1 + randombytes_uniform(32);
		keylen = randombytes_uniform(33);
		randombytes_buf(in, len);
		randombytes_buf(key, keylen);

		blake2s(one, outlen, keylen ? key : NULL, keylen, in, len);

		blake2s_init(&s, outlen, keylen ? key : NULL, keylen);
		for (off = 0; off < len; off += chunk) {
			/* Zero-length, sub-block and multi-block chunks. */
			switch (randombytes_uniform(3)) {
			case 0:
				chunk = randombytes_uniform(4);
				break;
			case 1:
				chunk = randombytes_uniform(65);
				break;
			default:
				chunk = randombytes_uniform(200);
				break;
			}
			if (chunk > len - off)
				chunk = len - off;
			blake2s_update(&s, in + off, chunk);
		}
		blake2s_final(&s, inc);
		if (memcmp(one, inc, outlen) != 0)
			atf_tc_fail("len %zu outlen %zu keylen %zu differ",
			    len, outlen, keylen);
	}
}

ATF_TC_WITHOUT_HEAD(final_wipes_state);
ATF_TC_BODY(final_wipes_state, tc)
{
	struct blake2s_state	 s, zero;
	uint8_t			 key[32], out[32];

	memset(key, 0x5a, sizeof(key));
	memset(&zero, 0, sizeof(zero));
	blake2s_init(&s, sizeof(out), key, sizeof(key));
	blake2s_update(&s, (const uint8_t *)"secret", 6);
	blake2s_final(&s, out);
	/* The state held the key block; nothing of it may remain. */
	ATF_CHECK(memcmp(&s, &zero, sizeof(s)) == 0);
}

/* RFC 2104 spelled out over one-shot BLAKE2s, block size 64. */
static void
hmac_by_hand(uint8_t out[32], const uint8_t *key, size_t keylen,
    const uint8_t *in, size_t inlen)
{
	uint8_t	 k[64], buf[64 + 2048], inner[32];
	size_t	 i;

	ATF_REQUIRE(inlen <= 2048);
	memset(k, 0, sizeof(k));
	if (keylen > 64)
		blake2s(k, 32, NULL, 0, key, keylen);
	else
		memcpy(k, key, keylen);

	for (i = 0; i < 64; i++)
		buf[i] = k[i] ^ 0x36;
	memcpy(buf + 64, in, inlen);
	blake2s(inner, 32, NULL, 0, buf, 64 + inlen);

	for (i = 0; i < 64; i++)
		buf[i] = k[i] ^ 0x5c;
	memcpy(buf + 64, inner, 32);
	blake2s(out, 32, NULL, 0, buf, 64 + 32);
}

ATF_TC_WITHOUT_HEAD(hmac);
ATF_TC_BODY(hmac, tc)
{
	uint8_t	 key[130], in[300], got[32], want[32];
	size_t	 keylen, inlen, i;
	const char *msg = "WireGuard HMAC test";

	ATF_REQUIRE(sodium_init() != -1);

	/*
	 * Fixed answers from CPython 3.11: hmac.new(key, msg,
	 * hashlib.blake2s), key 00..1f, then key 00..63 (longer than a
	 * block, so hashed first).
	 */
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	blake2s_hmac(got, key, 32, (const uint8_t *)msg, strlen(msg));
	check_hex(got, 32, "9826477d736cfb8534349d0b3ca80491"
	    "4a788554527ea0ca7f7f5a39a60b460f", "32-byte key");
	blake2s_hmac(got, key, 100, (const uint8_t *)msg, strlen(msg));
	check_hex(got, 32, "c8937a9786d025a5543eb251d21ab4ff"
	    "8cfb11544440ee7005346b0c7a9b9f43", "100-byte key");

	/* Every key length around the block size, against the long way. */
	for (keylen = 0; keylen <= sizeof(key); keylen++) {
		inlen = randombytes_uniform(sizeof(in) + 1);
		randombytes_buf(key, keylen);
		randombytes_buf(in, inlen);
		blake2s_hmac(got, key, keylen, in, inlen);
		hmac_by_hand(want, key, keylen, in, inlen);
		if (memcmp(got, want, 32) != 0)
			atf_tc_fail("keylen %zu inlen %zu", keylen, inlen);
	}

	/* The output may overwrite the key or the message. */
	randombytes_buf(key, 32);
	randombytes_buf(in, 32);
	hmac_by_hand(want, key, 32, in, 32);
	blake2s_hmac(key, key, 32, in, 32);
	ATF_CHECK(memcmp(key, want, 32) == 0);
	randombytes_buf(key, 32);
	hmac_by_hand(want, key, 32, in, 32);
	blake2s_hmac(in, key, 32, in, 32);
	ATF_CHECK(memcmp(in, want, 32) == 0);
}

/* The whitepaper's KDF_3, spelled out with the HMAC checked above. */
static void
hkdf_by_hand(uint8_t t1[32], uint8_t t2[32], uint8_t t3[32],
    const uint8_t ck[32], const uint8_t *in, size_t inlen)
{
	uint8_t	 t0[32], buf[33];

	hmac_by_hand(t0, ck, 32, in, inlen);
	buf[0] = 0x1;
	hmac_by_hand(t1, t0, 32, buf, 1);
	memcpy(buf, t1, 32);
	buf[32] = 0x2;
	hmac_by_hand(t2, t0, 32, buf, 33);
	memcpy(buf, t2, 32);
	buf[32] = 0x3;
	hmac_by_hand(t3, t0, 32, buf, 33);
}

ATF_TC_WITHOUT_HEAD(hkdf);
ATF_TC_BODY(hkdf, tc)
{
	uint8_t	 ck[32], in[100], t1[32], t2[32], t3[32];
	uint8_t	 w1[32], w2[32], w3[32], x[32];
	size_t	 i, inlen;
	int	 round;

	ATF_REQUIRE(sodium_init() != -1);

	/*
	 * Fixed answers from CPython 3.11 (hmac + hashlib.blake2s, the
	 * whitepaper's formulas): ck 40..5f, input a0..cc (45 bytes), then
	 * the empty input (what the transport keys are derived from).
	 */
	for (i = 0; i < 32; i++)
		ck[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < 45; i++)
		in[i] = (uint8_t)(0xa0 + i);
	blake2s_hkdf(t1, t2, t3, ck, in, 45);
	check_hex(t1, 32, "cdf469d60665558018bc76764a40fabf"
	    "30613728fcfa976da82b22093d41b686", "tau1");
	check_hex(t2, 32, "c24c37548d7cba0f7e6b587444ad8c26"
	    "ba2d4f7c75aa84fe3e2a712d3eb197c5", "tau2");
	check_hex(t3, 32, "11aa71f93d18806a45d45551f195cb65"
	    "2bf5ba0883bad733810a312824a262ab", "tau3");
	blake2s_hkdf(t1, t2, NULL, ck, NULL, 0);
	check_hex(t1, 32, "78eea5e4bfedc2e792dc08620303ca62"
	    "66f1fd18fab37c848ab8e97d65665f68", "empty tau1");
	check_hex(t2, 32, "b458121cc4faa0a6c9552680d783a1f7"
	    "ccea37e483bf5a88b990f5ebe26057cc", "empty tau2");

	for (round = 0; round < 200; round++) {
		inlen = randombytes_uniform(sizeof(in) + 1);
		randombytes_buf(ck, sizeof(ck));
		randombytes_buf(in, inlen);
		hkdf_by_hand(w1, w2, w3, ck, in, inlen);

		blake2s_hkdf(t1, t2, t3, ck, in, inlen);
		ATF_REQUIRE(memcmp(t1, w1, 32) == 0);
		ATF_REQUIRE(memcmp(t2, w2, 32) == 0);
		ATF_REQUIRE(memcmp(t3, w3, 32) == 0);

		/* KDF1 and KDF2 are prefixes of KDF3. */
		blake2s_hkdf(t1, NULL, NULL, ck, in, inlen);
		ATF_REQUIRE(memcmp(t1, w1, 32) == 0);
		blake2s_hkdf(NULL, t2, NULL, ck, in, inlen);
		ATF_REQUIRE(memcmp(t2, w2, 32) == 0);
		blake2s_hkdf(NULL, NULL, t3, ck, in, inlen);
		ATF_REQUIRE(memcmp(t3, w3, 32) == 0);

		/* C = KDF1(C, x) in place, as noise.c writes it. */
		memcpy(x, ck, 32);
		blake2s_hkdf(x, t2, NULL, x, in, inlen);
		ATF_REQUIRE(memcmp(x, w1, 32) == 0);
		ATF_REQUIRE(memcmp(t2, w2, 32) == 0);
		/* And an output over the input. */
		if (inlen >= 32) {
			memcpy(x, in, 32);
			blake2s_hkdf(t1, x, NULL, ck, x, 32);
			hkdf_by_hand(w1, w2, w3, ck, in, 32);
			ATF_REQUIRE(memcmp(t1, w1, 32) == 0);
			ATF_REQUIRE(memcmp(x, w2, 32) == 0);
		}
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rfc7693_abc);
	ATF_TP_ADD_TC(tp, rfc7693_selftest);
	ATF_TP_ADD_TC(tp, keyed_kat);
	ATF_TP_ADD_TC(tp, short_output);
	ATF_TP_ADD_TC(tp, incremental);
	ATF_TP_ADD_TC(tp, final_wipes_state);
	ATF_TP_ADD_TC(tp, hmac);
	ATF_TP_ADD_TC(tp, hkdf);
	return atf_no_error();
}
