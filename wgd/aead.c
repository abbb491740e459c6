/*
 * ChaCha20-Poly1305 for transport data through libcrypto's EVP API: one
 * context per thread, initialised with the cipher once and given only a
 * nonce per packet, and the key only when it changes (a batch is mostly
 * one session's), which costs no allocation and the fewest of OpenSSL
 * 3's parameter lookups: the tag goes in and out as a parameter, not
 * through a control call that builds one.
 */

#include <endian.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aead.h"
#include "log.h"

#define AEAD_NONCE_SIZE	12

/*
 * A cipher context and the key it holds.  The copy outlives its
 * session no longer than the context's own does (until the thread's
 * next key, or its exit, when both are wiped).
 */
struct aead_ctx {
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 key[AEAD_KEY_SIZE];
	int		 keyed;		/* ctx has key, for enc */
	int		 enc;
};

/* A thread's contexts: the AEAD's, and the one-pass path's. */
struct aead_thread {
	struct aead_ctx	 aead;
	struct aead_ctx	 stream;	/* ChaCha20 alone */
	EVP_MAC_CTX	*mac;		/* Poly1305 */
};

static pthread_once_t	 aead_once = PTHREAD_ONCE_INIT;
static pthread_key_t	 aead_key;
static EVP_CIPHER	*aead_cipher;
static EVP_CIPHER	*stream_cipher;
static EVP_MAC		*mac_poly1305;

static void
aead_thread_free(void *arg)
{
	struct aead_thread	*t = arg;

	EVP_CIPHER_CTX_free(t->aead.ctx);
	EVP_CIPHER_CTX_free(t->stream.ctx);
	EVP_MAC_CTX_free(t->mac);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

/*
 * The explicit fetch loads libcrypto's configuration and default
 * provider now, not at the first packet inside the chroot.
 */
static void
aead_setup(void)
{
	if (pthread_key_create(&aead_key, aead_thread_free) != 0)
		return;
	aead_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	stream_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	mac_poly1305 = EVP_MAC_fetch(NULL, "Poly1305", NULL);
	if (aead_cipher == NULL || stream_cipher == NULL ||
	    mac_poly1305 == NULL) {
		EVP_CIPHER_free(aead_cipher);
		EVP_CIPHER_free(stream_cipher);
		EVP_MAC_free(mac_poly1305);
		aead_cipher = stream_cipher = NULL;
		mac_poly1305 = NULL;
	}
}

int
aead_init(void)
{
	pthread_once(&aead_once, aead_setup);
	if (aead_cipher == NULL) {
		log_warnx("libcrypto has no ChaCha20-Poly1305, ChaCha20 or "
		    "Poly1305");
		return -1;
	}
	return 0;
}

/* The calling thread's context, primed with the cipher; NULL on error. */
static struct aead_thread *
aead_thread(void)
{
	struct aead_thread	*t;

	pthread_once(&aead_once, aead_setup);
	if (aead_cipher == NULL)
		return NULL;
	if ((t = pthread_getspecific(aead_key)) != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->aead.ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(t->aead.ctx, aead_cipher, NULL, NULL, 1,
	    NULL) != 1 || (t->stream.ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(t->stream.ctx, stream_cipher, NULL, NULL, 1,
	    NULL) != 1 || (t->mac = EVP_MAC_CTX_new(mac_poly1305)) == NULL ||
	    pthread_setspecific(aead_key, t) != 0) {
		EVP_CIPHER_CTX_free(t->aead.ctx);
		EVP_CIPHER_CTX_free(t->stream.ctx);
		EVP_MAC_CTX_free(t->mac);
		free(t);
		return NULL;
	}
	return t;
}

static void
aead_nonce(uint8_t nonce[AEAD_NONCE_SIZE], uint64_t counter)
{
	counter = htole64(counter);
	memset(nonce, 0, 4);
	memcpy(nonce + 4, &counter, sizeof(counter));
}

/*
 * Starts a message on c: the IV, the key only if the context does not
 * hold it already for this direction, and params.  A failure forgets
 * the key, so the next message sets it again.
 */
static int
ctx_start(struct aead_ctx *c, const uint8_t key[AEAD_KEY_SIZE],
    const uint8_t *iv, int enc, const OSSL_PARAM *params)
{
	int	 same;

	/* Not in constant time: only how alike two of our keys are shows. */
	same = c->keyed && c->enc == enc &&
	    memcmp(c->key, key, AEAD_KEY_SIZE) == 0;
	if (EVP_CipherInit_ex2(c->ctx, NULL, same ? NULL : key, iv, enc,
	    params) != 1) {
		c->keyed = 0;
		return -1;
	}
	if (!same) {
		memcpy(c->key, key, AEAD_KEY_SIZE);
		c->keyed = 1;
		c->enc = enc;
	}
	return 0;
}

/* Starts a packet of the AEAD: the nonce of counter. */
static int
aead_start(struct aead_thread *t, const uint8_t key[AEAD_KEY_SIZE],
    uint64_t counter, int enc, const OSSL_PARAM *params)
{
	uint8_t	 nonce[AEAD_NONCE_SIZE];

	aead_nonce(nonce, counter);
	return ctx_start(&t->aead, key, nonce, enc, params);
}

/*
 * Encrypts len bytes at in to out (which may be in) and writes the tag
 * after them: out needs len + AEAD_TAG_SIZE bytes.  Returns 0, or -1 if
 * libcrypto fails (out is then garbage).
 */
int
aead_seal(const uint8_t key[AEAD_KEY_SIZE], uint64_t counter,
    const uint8_t *in, size_t len, uint8_t *out)
{
	struct aead_thread	*t;
	OSSL_PARAM		 tag[2];
	int			 n;

	if ((t = aead_thread()) == NULL || len > INT_MAX)
		return -1;
	tag[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
	    out + len, AEAD_TAG_SIZE);
	tag[1] = OSSL_PARAM_construct_end();
	if (aead_start(t, key, counter, 1, NULL) == -1 ||
	    EVP_CipherUpdate(t->aead.ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(t->aead.ctx, out + n, &n) != 1 ||
	    EVP_CIPHER_CTX_get_params(t->aead.ctx, tag) != 1) {
		t->aead.keyed = 0;
		return -1;
	}
	return 0;
}

/*
 * Checks and decrypts len bytes at in (the ciphertext and its tag) to
 * out (which may be in): len - AEAD_TAG_SIZE bytes of plaintext.
 * Returns -1 if the tag does not match; out is then garbage that the
 * caller must not use.
 */
int
aead_open(const uint8_t key[AEAD_KEY_SIZE], uint64_t counter,
    const uint8_t *in, size_t len, uint8_t *out)
{
	struct aead_thread	*t;
	OSSL_PARAM		 params[2];
	uint8_t			 tag[AEAD_TAG_SIZE];
	size_t			 clen;
	int			 n;

	if (len < AEAD_TAG_SIZE || (t = aead_thread()) == NULL ||
	    len - AEAD_TAG_SIZE > INT_MAX)
		return -1;
	clen = len - AEAD_TAG_SIZE;
	/* The parameter takes a pointer it could write through. */
	memcpy(tag, in + clen, AEAD_TAG_SIZE);
	params[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_CIPHER_PARAM_AEAD_TAG, tag, AEAD_TAG_SIZE);
	params[1] = OSSL_PARAM_construct_end();
	if (aead_start(t, key, counter, 0, params) == -1)
		return -1;
	if (EVP_CipherUpdate(t->aead.ctx, out, &n, in, (int)clen) != 1) {
		t->aead.keyed = 0;
		return -1;
	}
	/* A forgery is no fault of the context: its key stays. */
	if (EVP_CipherFinal_ex(t->aead.ctx, out + n, &n) != 1)
		return -1;
	return 0;
}

/*
 * The one-pass path.  libcrypto's AEAD makes the Poly1305 key from
 * ChaCha20's block 0 in a call of its own, and the last part-block of a
 * message in another: each a full run of its vector code for one block,
 * which on AVX-512 costs as much as 16 blocks.  Of a 1420-byte seal the
 * two took a third of the time.  Here one call of ChaCha20 from block 0
 * covers the 64 bytes before the message and the message rounded up to
 * whole blocks, so the key comes out of the same pass; Poly1305 then
 * runs over the ciphertext as RFC 8439 lays out (no associated data).
 */

#define AEAD_BLOCK	64

_Static_assert(AEAD_HEADROOM == AEAD_BLOCK, "block 0 is the headroom");
_Static_assert(AEAD_TAILROOM >= AEAD_BLOCK - 1, "a block's rest");

/*
 * ChaCha20 from block 0 of key and counter's nonce over [in - 64,
 * in + len rounded up to a block) into out likewise; out may be in.
 * Leaves the Poly1305 key in polykey, and the 64 bytes before out as
 * they were (in place) or zero, whatever happens.
 */
static int
aead_stream(struct aead_thread *t, const uint8_t key[AEAD_KEY_SIZE],
    uint64_t counter, const uint8_t *in, size_t len, uint8_t *out,
    uint8_t polykey[AEAD_KEY_SIZE])
{
	uint8_t		 before[AEAD_HEADROOM], iv[4 + AEAD_NONCE_SIZE];
	size_t		 span, i;
	int		 n, rv = -1;

	span = AEAD_HEADROOM + (len + AEAD_BLOCK - 1) / AEAD_BLOCK *
	    AEAD_BLOCK;
	if (len > INT_MAX - 2 * AEAD_BLOCK)
		return -1;
	/* libcrypto's IV: the block counter (0), then the nonce. */
	memset(iv, 0, 4);
	aead_nonce(iv + 4, counter);
	memcpy(before, in - AEAD_HEADROOM, sizeof(before));
	if (ctx_start(&t->stream, key, iv, 1, NULL) == -1 ||
	    EVP_CipherUpdate(t->stream.ctx, out - AEAD_HEADROOM, &n,
	    in - AEAD_HEADROOM, (int)span) != 1 || (size_t)n != span)
		t->stream.keyed = 0;
	else {
		/* Block 0's key stream is what it made of those bytes. */
		for (i = 0; i < AEAD_KEY_SIZE; i++)
			polykey[i] = out[i - AEAD_HEADROOM] ^ before[i];
		rv = 0;
	}
	if (in == out)
		memcpy(out - AEAD_HEADROOM, before, sizeof(before));
	else
		OPENSSL_cleanse(out - AEAD_HEADROOM, AEAD_HEADROOM);
	OPENSSL_cleanse(before, sizeof(before));
	return rv;
}

/* Poly1305 of ct as the AEAD lays it out, with no associated data. */
static int
aead_mac(struct aead_thread *t, const uint8_t polykey[AEAD_KEY_SIZE],
    const uint8_t *ct, size_t len, uint8_t tag[AEAD_TAG_SIZE])
{
	static const uint8_t	 zeros[15];
	uint8_t			 lens[16];
	uint64_t		 v;
	size_t			 n;

	memset(lens, 0, 8);
	v = htole64((uint64_t)len);
	memcpy(lens + 8, &v, sizeof(v));
	if (EVP_MAC_init(t->mac, polykey, AEAD_KEY_SIZE, NULL) != 1 ||
	    EVP_MAC_update(t->mac, ct, len) != 1 ||
	    (len % 16 != 0 && EVP_MAC_update(t->mac, zeros,
	    16 - len % 16) != 1) ||
	    EVP_MAC_update(t->mac, lens, sizeof(lens)) != 1 ||
	    EVP_MAC_final(t->mac, tag, &n, AEAD_TAG_SIZE) != 1 ||
	    n != AEAD_TAG_SIZE)
		return -1;
	return 0;
}

/*
 * Seals the len bytes at data in place and writes the tag after them.
 * See aead.h for the room around them.  Returns 0, or -1 if libcrypto
 * fails.
 */
int
aead_seal_room(const uint8_t key[AEAD_KEY_SIZE], uint64_t counter,
    uint8_t *data, size_t len)
{
	struct aead_thread	*t;
	uint8_t			 polykey[AEAD_KEY_SIZE];
	int			 rv;

	if ((t = aead_thread()) == NULL ||
	    aead_stream(t, key, counter, data, len, data, polykey) == -1)
		return -1;
	rv = aead_mac(t, polykey, data, len, data + len);
	OPENSSL_cleanse(polykey, sizeof(polykey));
	return rv;
}

/*
 * Opens len bytes of ciphertext and tag at in into the plaintext at out
 * (len - AEAD_TAG_SIZE bytes), leaving in as it was.  See aead.h for
 * the room around both.  Returns 0, or -1 if the message does not
 * authenticate (out then holds nothing of use) or libcrypto fails.
 */
int
aead_open_room(const uint8_t key[AEAD_KEY_SIZE], uint64_t counter,
    const uint8_t *in, size_t len, uint8_t *out)
{
	struct aead_thread	*t;
	uint8_t			 polykey[AEAD_KEY_SIZE];
	uint8_t			 tag[AEAD_TAG_SIZE];
	size_t			 clen;
	int			 rv;

	if (len < AEAD_TAG_SIZE || (t = aead_thread()) == NULL)
		return -1;
	clen = len - AEAD_TAG_SIZE;
	/*
	 * What it checks must stay whole: the spans of the pass over in
	 * and out, each [ -64, clen rounded up to a block ), are apart.
	 */
	if ((uintptr_t)out < (uintptr_t)in + clen + AEAD_TAILROOM +
	    AEAD_HEADROOM && (uintptr_t)in < (uintptr_t)out + clen +
	    AEAD_TAILROOM + AEAD_HEADROOM)
		return -1;
	if (aead_stream(t, key, counter, in, clen, out, polykey) == -1)
		return -1;
	rv = aead_mac(t, polykey, in, clen, tag);
	if (rv == 0 && CRYPTO_memcmp(tag, in + clen, AEAD_TAG_SIZE) != 0)
		rv = -1;
	OPENSSL_cleanse(polykey, sizeof(polykey));
	OPENSSL_cleanse(tag, sizeof(tag));
	return rv;
}
