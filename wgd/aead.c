/*
 * ChaCha20-Poly1305 for transport data through libcrypto's EVP API: one
 * context per thread, initialised with the cipher once and given only a
 * key and a nonce per packet, which costs no allocation and no lookup.
 */

#include <endian.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "aead.h"
#include "log.h"

#define AEAD_NONCE_SIZE	12

static pthread_once_t	 aead_once = PTHREAD_ONCE_INIT;
static pthread_key_t	 aead_key;
static EVP_CIPHER	*aead_cipher;

static void
aead_ctx_free(void *ctx)
{
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * The explicit fetch loads libcrypto's configuration and default
 * provider now, not at the first packet inside the chroot.
 */
static void
aead_setup(void)
{
	if (pthread_key_create(&aead_key, aead_ctx_free) != 0)
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
static EVP_CIPHER_CTX *
aead_ctx(void)
{
	EVP_CIPHER_CTX	*ctx;

	pthread_once(&aead_once, aead_setup);
	if (aead_cipher == NULL)
		return NULL;
	if ((ctx = pthread_getspecific(aead_key)) != NULL)
		return ctx;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex2(ctx, aead_cipher, NULL, NULL, 1, NULL) != 1 ||
	    pthread_setspecific(aead_key, ctx) != 0) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
aead_nonce(uint8_t nonce[AEAD_NONCE_SIZE], uint64_t counter)
{
	counter = htole64(counter);
	memset(nonce, 0, 4);
	memcpy(nonce + 4, &counter, sizeof(counter));
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
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 nonce[AEAD_NONCE_SIZE];
	int		 n;

	if ((ctx = aead_ctx()) == NULL || len > INT_MAX)
		return -1;
	aead_nonce(nonce, counter);
	if (EVP_CipherInit_ex2(ctx, NULL, key, nonce, 1, NULL) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_SIZE,
	    out + len) != 1)
		return -1;
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
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 nonce[AEAD_NONCE_SIZE];
	uint8_t		 tag[AEAD_TAG_SIZE];
	size_t		 clen;
	int		 n;

	if (len < AEAD_TAG_SIZE || (ctx = aead_ctx()) == NULL ||
	    len - AEAD_TAG_SIZE > INT_MAX)
		return -1;
	clen = len - AEAD_TAG_SIZE;
	/* The control call takes a pointer it may write through. */
	memcpy(tag, in + clen, AEAD_TAG_SIZE);
	aead_nonce(nonce, counter);
	if (EVP_CipherInit_ex2(ctx, NULL, key, nonce, 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_SIZE,
	    tag) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)clen) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &n) != 1)
		return -1;
	return 0;
}
