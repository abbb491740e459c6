/*
 * The transport AEAD on one core: ChaCha20-Poly1305 seal of 1420-byte
 * packets (a full packet in the default MTU) through libsodium, through
 * libcrypto's AEAD and through libcrypto's ChaCha20 and Poly1305 in one
 * pass (wgd/aead.c: what the data path uses), in Gbit/s of plaintext.
 * Usage: aeadbench [seconds per implementation]
 */

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aead.h"

#define PKT	1420

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
seal_sodium(const uint8_t *key, uint64_t counter, uint8_t *buf)
{
	uint8_t	 nonce[12] = { 0 };

	counter = htole64(counter);
	memcpy(nonce + 4, &counter, sizeof(counter));
	return crypto_aead_chacha20poly1305_ietf_encrypt(buf, NULL, buf, PKT,
	    NULL, 0, NULL, nonce, key);
}

static int
seal_libcrypto(const uint8_t *key, uint64_t counter, uint8_t *buf)
{
	return aead_seal(key, counter, buf, PKT, buf);
}

/* The data path's: one pass, with room around the packet. */
static int
seal_room(const uint8_t *key, uint64_t counter, uint8_t *buf)
{
	return aead_seal_room(key, counter, buf, PKT);
}

static double
gbits(int (*seal)(const uint8_t *, uint64_t, uint8_t *), double seconds)
{
	static uint8_t	 room[AEAD_HEADROOM + PKT + AEAD_TAILROOM];
	uint8_t		*buf = room + AEAD_HEADROOM;
	uint8_t		 key[AEAD_KEY_SIZE];
	uint64_t	 n = 0;
	double		 start, t;
	int		 i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(room, sizeof(room));
	start = now();
	do {
		for (i = 0; i < 1000; i++)
			if (seal(key, n++, buf) != 0) {
				fprintf(stderr, "aeadbench: seal failed\n");
				exit(1);
			}
	} while ((t = now() - start) < seconds);
	return n * PKT * 8 / t / 1e9;
}

int
main(int argc, char *argv[])
{
	double	 seconds = argc > 1 ? atof(argv[1]) : 1.0;
	double	 so, lc, lr;

	if (sodium_init() < 0 || aead_init() == -1) {
		fprintf(stderr, "aeadbench: cannot initialise the libraries\n");
		return 1;
	}
	so = gbits(seal_sodium, seconds);
	lc = gbits(seal_libcrypto, seconds);
	lr = gbits(seal_room, seconds);
	printf("aead: ChaCha20-Poly1305, %d-byte packets, one core: "
	    "libsodium %.2f Gbit/s, libcrypto %.2f Gbit/s (%.2fx), "
	    "libcrypto in one pass (the data path's) %.2f Gbit/s (%.2fx)\n",
	    PKT, so, lc, lc / so, lr, lr / so);
	return 0;
}
