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
 * A thread's context and the key it holds.  The copy outlives its
 * session no longer than the context's own does (until the thread's
 * next key, or its exit, when both are wiped).
 */
struct aead_thread {
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 key[AEAD_KEY_SIZE];
	int		 keyed;		/* ctx has key, for enc */
	int		 enc;
};

static pthread_once_t	 aead_once = PTHREAD_ONCE_INIT;
static pthread_key_t	 aead_key;
static EVP_CIPHER	*aead_cipher;

static void
aead_thread_free(void *arg)
{
	struct aead_thread	*t = arg;

	EVP_CIPHER_CTX_free(t->ctx);
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
}

int
aead_init(void)
{
	pthread_once(&aead_once, aead_setup);
	if (aead_cipher == NULL) {
		log_warnx("libcrypto has no ChaCha20-Poly1305");
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
	if ((t->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(t->ctx, aead_cipher, NULL, NULL, 1,
	    NULL) != 1 || pthread_setspecific(aead_key, t) != 0) {
		EVP_CIPHER_CTX_free(t->ctx);
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
 * Starts a packet: the nonce of counter, the key only if the context
 * does not hold it already for this direction, and params.  A failure
 * forgets the key, so the next packet sets it again.
 */
static int
aead_start(struct aead_thread *t, const uint8_t key[AEAD_KEY_SIZE],
    uint64_t counter, int enc, const OSSL_PARAM *params)
{
	uint8_t	 nonce[AEAD_NONCE_SIZE];
	int	 same;

	aead_nonce(nonce, counter);
	/* Not in constant time: only how alike two of our keys are shows. */
	same = t->keyed && t->enc == enc &&
	    memcmp(t->key, key, AEAD_KEY_SIZE) == 0;
	if (EVP_CipherInit_ex2(t->ctx, NULL, same ? NULL : key, nonce, enc,
	    params) != 1) {
		t->keyed = 0;
		return -1;
	}
	if (!same) {
		memcpy(t->key, key, AEAD_KEY_SIZE);
		t->keyed = 1;
		t->enc = enc;
	}
	return 0;
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
	    EVP_CipherUpdate(t->ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(t->ctx, out + n, &n) != 1 ||
	    EVP_CIPHER_CTX_get_params(t->ctx, tag) != 1) {
		t->keyed = 0;
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
	if (EVP_CipherUpdate(t->ctx, out, &n, in, (int)clen) != 1) {
		t->keyed = 0;
		return -1;
	}
	/* A forgery is no fault of the context: its key stays. */
	if (EVP_CipherFinal_ex(t->ctx, out + n, &n) != 1)
		return -1;
	return 0;
}
