/*
 * wgd/aead.c: transport-data ChaCha20-Poly1305 through libcrypto, against
 * the keepalive of a handshake checked live with wireguard-go, and
 * against libsodium's implementation on random keys, counters and
 * every length of a packet; in place and not, refusing every forgery,
 * and from several threads at once (each has its own context).  The
 * data path's one-pass seal and open the same, in buffers of exactly
 * the room they claim (so ASan sees a byte past it), keeping what they
 * promise to keep.
 */

#include <endian.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "aead.h"

/* ../shared/vectors/wg-handshake.json: the initiator's send key and its
 * first transport message, an empty keepalive with counter 0. */
#define V_I_SEND_KEY \
	"248a29611829aaf7ee8bc8e87df805c1019f08f82d80eb79b7625821ba0a1317"
#define V_KEEPALIVE_TAG	"c7401bed732b18f3c0e395fc3f7435fa"

#define MAXLEN		(65536 + 16)

static void
hex(uint8_t *out, size_t len, const char *s)
{
	size_t	 n;

	ATF_REQUIRE(sodium_hex2bin(out, len, s, strlen(s), NULL, &n,
	    NULL) == 0 && n == len);
}

/* What libsodium makes of the same key, counter and plaintext. */
static void
sodium_seal(const uint8_t *key, uint64_t counter, const uint8_t *in,
    size_t len, uint8_t *out)
{
	uint8_t	 nonce[12] = { 0 };
	uint64_t le = htole64(counter);

	memcpy(nonce + 4, &le, sizeof(le));
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, NULL, 0,
	    NULL, nonce, key);
}

/*
 * A buffer of exactly the room the one-pass path claims around len
 * bytes: returns the message's place in it.
 */
static uint8_t *
room_new(size_t len)
{
	uint8_t	*b;

	ATF_REQUIRE((b = malloc(AEAD_HEADROOM + len + AEAD_TAILROOM)) !=
	    NULL);
	randombytes_buf(b, AEAD_HEADROOM + len + AEAD_TAILROOM);
	return b + AEAD_HEADROOM;
}

static void
room_free(uint8_t *data)
{
	free(data - AEAD_HEADROOM);
}

/*
 * Seals plain in place with the one-pass path and opens the result into
 * a buffer of its own: both must be what libsodium makes, the bytes
 * before the sealed message kept, the opened input untouched and the
 * bytes before the plaintext zeroed.  0, or -1 with why in *why.
 */
static int
room_round_trip(const uint8_t *key, uint64_t counter, const uint8_t *plain,
    size_t len, const uint8_t *theirs, const char **why)
{
	static const uint8_t	 zero[AEAD_HEADROOM];
	uint8_t			 head[AEAD_HEADROOM];
	uint8_t			*sealed, *out, *copy;
	size_t			 clen = len + AEAD_TAG_SIZE;
	int			 rv = -1;

	/* The tag, and what open reads past it, lie in the tailroom. */
	sealed = room_new(len);
	out = room_new(len);
	ATF_REQUIRE((copy = malloc(AEAD_HEADROOM + len +
	    AEAD_TAILROOM)) != NULL);
	memcpy(sealed, plain, len);
	memcpy(head, sealed - AEAD_HEADROOM, sizeof(head));
	if (aead_seal_room(key, counter, sealed, len) != 0)
		*why = "seal failed";
	else if (memcmp(sealed, theirs, clen) != 0)
		*why = "seal differs from libsodium";
	else if (memcmp(sealed - AEAD_HEADROOM, head, sizeof(head)) != 0)
		*why = "seal changed the bytes before the message";
	else {
		memcpy(copy, sealed - AEAD_HEADROOM, AEAD_HEADROOM + len +
		    AEAD_TAILROOM);
		if (aead_open_room(key, counter, sealed, clen, out) != 0)
			*why = "open failed";
		else if (memcmp(out, plain, len) != 0)
			*why = "open differs";
		else if (memcmp(copy, sealed - AEAD_HEADROOM, AEAD_HEADROOM +
		    len + AEAD_TAILROOM) != 0)
			*why = "open changed its input";
		else if (memcmp(out - AEAD_HEADROOM, zero, sizeof(zero)) != 0)
			*why = "open left key stream before the plaintext";
		else
			rv = 0;
	}
	room_free(sealed);
	room_free(out);
	free(copy);
	return rv;
}

ATF_TC_WITHOUT_HEAD(keepalive_vector);
ATF_TC_BODY(keepalive_vector, tc)
{
	uint8_t	 key[AEAD_KEY_SIZE], tag[AEAD_TAG_SIZE], out[AEAD_TAG_SIZE];

	ATF_REQUIRE(aead_init() == 0);
	hex(key, sizeof(key), V_I_SEND_KEY);
	hex(tag, sizeof(tag), V_KEEPALIVE_TAG);
	ATF_REQUIRE(aead_seal(key, 0, NULL, 0, out) == 0);
	ATF_CHECK(memcmp(out, tag, sizeof(tag)) == 0);
	ATF_CHECK(aead_open(key, 0, out, sizeof(out), NULL) == 0);
	ATF_CHECK(aead_open(key, 1, out, sizeof(out), NULL) == -1);
}

ATF_TC_WITHOUT_HEAD(same_as_libsodium);
ATF_TC_BODY(same_as_libsodium, tc)
{
	uint8_t		*plain, *ours, *theirs, *back;
	uint8_t		 key[AEAD_KEY_SIZE];
	uint64_t	 counter;
	size_t		 len;
	const char	*why;

	ATF_REQUIRE(sodium_init() >= 0);
	ATF_REQUIRE((plain = malloc(MAXLEN)) != NULL);
	ATF_REQUIRE((ours = malloc(MAXLEN + AEAD_TAG_SIZE)) != NULL);
	ATF_REQUIRE((theirs = malloc(MAXLEN + AEAD_TAG_SIZE)) != NULL);
	ATF_REQUIRE((back = malloc(MAXLEN)) != NULL);
	/* Every length of a packet, then large ones and the extremes. */
	for (len = 0; len <= MAXLEN; len += len < 1600 ? 1 :
	    1 + randombytes_uniform(4096)) {
		randombytes_buf(key, sizeof(key));
		randombytes_buf(plain, len);
		randombytes_buf(&counter, sizeof(counter));
		if (len % 3 == 0)
			counter >>= 40;	/* small ones too */
		sodium_seal(key, counter, plain, len, theirs);
		ATF_REQUIRE(aead_seal(key, counter, plain, len, ours) == 0);
		if (memcmp(ours, theirs, len + AEAD_TAG_SIZE) != 0)
			atf_tc_fail("seal differs from libsodium at length "
			    "%zu", len);
		ATF_REQUIRE(aead_open(key, counter, theirs, len +
		    AEAD_TAG_SIZE, back) == 0);
		if (memcmp(back, plain, len) != 0)
			atf_tc_fail("open differs at length %zu", len);
		/* In place, as the data path does it. */
		memcpy(back, plain, len);
		ATF_REQUIRE(aead_seal(key, counter, back, len, ours) == 0);
		memcpy(ours, plain, len);
		ATF_REQUIRE(aead_seal(key, counter, ours, len, ours) == 0);
		ATF_REQUIRE(memcmp(ours, theirs, len + AEAD_TAG_SIZE) == 0);
		ATF_REQUIRE(aead_open(key, counter, ours, len + AEAD_TAG_SIZE,
		    ours) == 0);
		ATF_REQUIRE(memcmp(ours, plain, len) == 0);
		/* The data path's one pass, in exactly its room. */
		if (room_round_trip(key, counter, plain, len, theirs,
		    &why) == -1)
			atf_tc_fail("one pass: %s at length %zu", why, len);
	}
	free(plain);
	free(ours);
	free(theirs);
	free(back);
}

ATF_TC_WITHOUT_HEAD(forgeries);
ATF_TC_BODY(forgeries, tc)
{
	uint8_t	 key[AEAD_KEY_SIZE], plain[300], sealed[300 + AEAD_TAG_SIZE];
	uint8_t	 back[300];
	size_t	 i;
	int	 bit;

	ATF_REQUIRE(sodium_init() >= 0);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	ATF_REQUIRE(aead_seal(key, 7, plain, sizeof(plain), sealed) == 0);
	for (i = 0; i < sizeof(sealed); i++) {
		bit = 1 << (i % 8);
		sealed[i] ^= bit;
		if (aead_open(key, 7, sealed, sizeof(sealed), back) != -1)
			atf_tc_fail("a flipped bit in byte %zu passed", i);
		sealed[i] ^= bit;
	}
	/* The key a forgery was tried with still opens what is real. */
	ATF_CHECK(aead_open(key, 7, sealed, sizeof(sealed), back) == 0);
	ATF_CHECK(aead_open(key, 8, sealed, sizeof(sealed), back) == -1);
	ATF_CHECK(aead_open(key, 7, sealed, sizeof(sealed) - 1, back) == -1);
	ATF_CHECK(aead_open(key, 7, sealed, AEAD_TAG_SIZE - 1, back) == -1);
	key[31] ^= 0x80;
	ATF_CHECK(aead_open(key, 7, sealed, sizeof(sealed), back) == -1);
	key[31] ^= 0x80;
	/* A failure leaves the context fit for the next packet. */
	ATF_CHECK(aead_open(key, 7, sealed, sizeof(sealed), back) == 0);
	ATF_CHECK(memcmp(back, plain, sizeof(plain)) == 0);
}

/*
 * A thread's context keeps the last key: seals in a row, then opens in
 * a row, with the key changing among three at random and staying the
 * same for runs, must each be what libsodium makes.
 */
ATF_TC_WITHOUT_HEAD(key_changes);
ATF_TC_BODY(key_changes, tc)
{
	uint8_t		 keys[3][AEAD_KEY_SIZE], plain[200], back[200];
	uint8_t		 ours[200 + AEAD_TAG_SIZE];
	uint8_t		 theirs[200 + AEAD_TAG_SIZE];
	unsigned int	 which[600];
	int		 i, dir;

	ATF_REQUIRE(sodium_init() >= 0);
	randombytes_buf(keys, sizeof(keys));
	randombytes_buf(plain, sizeof(plain));
	for (i = 0; i < 600; i++)
		which[i] = i > 0 && randombytes_uniform(2) ? which[i - 1] :
		    randombytes_uniform(3);
	for (dir = 0; dir < 2; dir++)
		for (i = 0; i < 600; i++) {
			sodium_seal(keys[which[i]], i, plain, i % 200, theirs);
			if (dir == 0) {
				ATF_REQUIRE(aead_seal(keys[which[i]], i, plain,
				    i % 200, ours) == 0);
				if (memcmp(ours, theirs, i % 200 +
				    AEAD_TAG_SIZE) != 0)
					atf_tc_fail("seal %d differs", i);
			} else if (aead_open(keys[which[i]], i, theirs,
			    i % 200 + AEAD_TAG_SIZE, back) != 0 ||
			    memcmp(back, plain, i % 200) != 0)
				atf_tc_fail("open %d failed", i);
		}
	/* A key changed in the same buffer is a new key. */
	memcpy(ours, keys[0], AEAD_KEY_SIZE);
	sodium_seal(keys[0], 3, plain, sizeof(plain), theirs);
	ATF_CHECK(aead_open(ours, 3, theirs, sizeof(theirs), back) == 0);
	memcpy(ours, keys[1], AEAD_KEY_SIZE);
	ATF_CHECK(aead_open(ours, 3, theirs, sizeof(theirs), back) == -1);
	/* The right key after a wrong one, and the other way round. */
	sodium_seal(keys[0], 9, plain, sizeof(plain), theirs);
	ATF_CHECK(aead_open(keys[1], 9, theirs, sizeof(theirs), back) == -1);
	ATF_CHECK(aead_open(keys[0], 9, theirs, sizeof(theirs), back) == 0);
	ATF_CHECK(aead_open(keys[2], 9, theirs, sizeof(theirs), back) == -1);
}

ATF_TC_WITHOUT_HEAD(room_keepalive_vector);
ATF_TC_BODY(room_keepalive_vector, tc)
{
	uint8_t	 key[AEAD_KEY_SIZE], tag[AEAD_TAG_SIZE];
	uint8_t	*sealed, *out;

	ATF_REQUIRE(sodium_init() >= 0);
	ATF_REQUIRE(aead_init() == 0);
	hex(key, sizeof(key), V_I_SEND_KEY);
	hex(tag, sizeof(tag), V_KEEPALIVE_TAG);
	sealed = room_new(0);
	out = room_new(0);
	ATF_REQUIRE(aead_seal_room(key, 0, sealed, 0) == 0);
	ATF_CHECK(memcmp(sealed, tag, sizeof(tag)) == 0);
	ATF_CHECK(aead_open_room(key, 0, sealed, AEAD_TAG_SIZE, out) == 0);
	ATF_CHECK(aead_open_room(key, 1, sealed, AEAD_TAG_SIZE, out) == -1);
	/* Out of place only: in place it would destroy what it checks. */
	ATF_CHECK(aead_open_room(key, 0, sealed, AEAD_TAG_SIZE, sealed) == -1);
	ATF_CHECK(aead_open_room(key, 0, sealed, AEAD_TAG_SIZE,
	    sealed + 8) == -1);
	ATF_CHECK(aead_open_room(key, 0, sealed + 8, AEAD_TAG_SIZE,
	    sealed) == -1);
	ATF_CHECK(aead_open_room(key, 0, sealed, AEAD_TAG_SIZE - 1,
	    out) == -1);
	room_free(sealed);
	room_free(out);
}

ATF_TC_WITHOUT_HEAD(room_forgeries);
ATF_TC_BODY(room_forgeries, tc)
{
	uint8_t	 key[AEAD_KEY_SIZE], plain[300];
	uint8_t	*sealed, *out;
	size_t	 i, clen = sizeof(plain) + AEAD_TAG_SIZE;
	int	 bit;

	ATF_REQUIRE(sodium_init() >= 0);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	sealed = room_new(sizeof(plain));
	out = room_new(sizeof(plain));
	memcpy(sealed, plain, sizeof(plain));
	ATF_REQUIRE(aead_seal_room(key, 7, sealed, sizeof(plain)) == 0);
	for (i = 0; i < clen; i++) {
		bit = 1 << (i % 8);
		sealed[i] ^= bit;
		if (aead_open_room(key, 7, sealed, clen, out) != -1)
			atf_tc_fail("a flipped bit in byte %zu passed", i);
		sealed[i] ^= bit;
	}
	/* What lies around the message is not part of it. */
	sealed[-1] ^= 1;
	sealed[clen] ^= 1;
	ATF_CHECK(aead_open_room(key, 7, sealed, clen, out) == 0);
	ATF_CHECK(memcmp(out, plain, sizeof(plain)) == 0);
	ATF_CHECK(aead_open_room(key, 8, sealed, clen, out) == -1);
	ATF_CHECK(aead_open_room(key, 7, sealed, clen - 1, out) == -1);
	key[31] ^= 0x80;
	ATF_CHECK(aead_open_room(key, 7, sealed, clen, out) == -1);
	key[31] ^= 0x80;
	ATF_CHECK(aead_open_room(key, 7, sealed, clen, out) == 0);
	ATF_CHECK(memcmp(out, plain, sizeof(plain)) == 0);
	room_free(sealed);
	room_free(out);
}

/*
 * The one-pass path keeps a key of its own beside the AEAD's: the two
 * interleaved, with the key changing at random, stay what libsodium
 * makes.
 */
ATF_TC_WITHOUT_HEAD(room_key_changes);
ATF_TC_BODY(room_key_changes, tc)
{
	uint8_t		 keys[3][AEAD_KEY_SIZE], plain[200];
	uint8_t		 ours[200 + AEAD_TAG_SIZE];
	uint8_t		 theirs[200 + AEAD_TAG_SIZE];
	const char	*why;
	unsigned int	 k;
	int		 i;

	ATF_REQUIRE(sodium_init() >= 0);
	randombytes_buf(keys, sizeof(keys));
	randombytes_buf(plain, sizeof(plain));
	for (i = 0, k = 0; i < 600; i++) {
		if (randombytes_uniform(2))
			k = randombytes_uniform(3);
		sodium_seal(keys[k], i, plain, i % 200, theirs);
		if (i % 3 == 0) {
			ATF_REQUIRE(aead_seal(keys[k], i, plain, i % 200,
			    ours) == 0);
			if (memcmp(ours, theirs, i % 200 + AEAD_TAG_SIZE) != 0)
				atf_tc_fail("seal %d differs", i);
		} else if (room_round_trip(keys[k], i, plain, i % 200, theirs,
		    &why) == -1)
			atf_tc_fail("%s at %d", why, i);
	}
}

#define THREADS		4
#define ROUNDS		2000

struct job {
	uint8_t		 key[AEAD_KEY_SIZE];
	int		 ok;
};

static void *
worker(void *arg)
{
	struct job	*j = arg;
	uint8_t		 plain[1420], ours[1420 + AEAD_TAG_SIZE];
	uint8_t		 theirs[1420 + AEAD_TAG_SIZE];
	const char	*why;
	size_t		 len;
	int		 i;

	j->ok = 1;
	for (i = 0; i < ROUNDS; i++) {
		len = (size_t)i * 7 % sizeof(plain);
		memset(plain, i, len);
		sodium_seal(j->key, i, plain, len, theirs);
		if (i % 2 == 0 && room_round_trip(j->key, i, plain, len,
		    theirs, &why) == -1)
			j->ok = 0;
		if (aead_seal(j->key, i, plain, len, ours) != 0 ||
		    memcmp(ours, theirs, len + AEAD_TAG_SIZE) != 0 ||
		    aead_open(j->key, i, ours, len + AEAD_TAG_SIZE,
		    ours) != 0 || memcmp(ours, plain, len) != 0)
			j->ok = 0;
	}
	return NULL;
}

ATF_TC_WITHOUT_HEAD(threads);
ATF_TC_BODY(threads, tc)
{
	pthread_t	 t[THREADS];
	struct job	 j[THREADS];
	int		 i;

	ATF_REQUIRE(sodium_init() >= 0);
	ATF_REQUIRE(aead_init() == 0);
	for (i = 0; i < THREADS; i++) {
		randombytes_buf(j[i].key, sizeof(j[i].key));
		ATF_REQUIRE(pthread_create(&t[i], NULL, worker, &j[i]) == 0);
	}
	for (i = 0; i < THREADS; i++) {
		ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
		ATF_CHECK_MSG(j[i].ok, "thread %d got a wrong result", i);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, keepalive_vector);
	ATF_TP_ADD_TC(tp, same_as_libsodium);
	ATF_TP_ADD_TC(tp, forgeries);
	ATF_TP_ADD_TC(tp, key_changes);
	ATF_TP_ADD_TC(tp, room_keepalive_vector);
	ATF_TP_ADD_TC(tp, room_forgeries);
	ATF_TP_ADD_TC(tp, room_key_changes);
	ATF_TP_ADD_TC(tp, threads);
	return atf_no_error();
}
