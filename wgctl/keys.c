/*
 * The key commands, byte for byte compatible with wg genkey, genpsk and
 * pubkey: 44 characters of base64 and a newline on stdout.  Each returns
 * the exit status; errors are one line on stderr.
 */

#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "keys.h"

/* A secret written into a file others can read deserves a word. */
static void
warn_if_world_readable(void)
{
	struct stat	 st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		warnx("writing a secret key to a file others can read: "
		    "set the umask to 077 and try again");
}

static int
print_key(const uint8_t key[WG_KEY_LEN])
{
	char	 b64[WG_KEY_LEN_BASE64];
	int	 rv = 0;

	key_to_base64(b64, key);
	if (printf("%s\n", b64) < 0 || fflush(stdout) == EOF) {
		warn("stdout");
		rv = 1;
	}
	sodium_memzero(b64, sizeof(b64));
	return rv;
}

static int
generate(void (*gen)(uint8_t [WG_KEY_LEN]))
{
	uint8_t	 key[WG_KEY_LEN];
	int	 rv;

	warn_if_world_readable();
	gen(key);
	rv = print_key(key);
	sodium_memzero(key, sizeof(key));
	return rv;
}

int
keys_genkey(void)
{
	return generate(key_generate_private);
}

int
keys_genpsk(void)
{
	return generate(key_generate_preshared);
}

/*
 * Reads a private key on stdin as wg pubkey does: exactly 44 characters
 * first, then nothing but white space or NUL bytes up to end of file.
 */
int
keys_pubkey(void)
{
	char	 b64[WG_KEY_LEN_BASE64];
	uint8_t	 priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	int	 c, rv = 1;

	if (fread(b64, 1, sizeof(b64) - 1, stdin) != sizeof(b64) - 1) {
		warnx("key is not the correct length or format");
		goto done;
	}
	b64[sizeof(b64) - 1] = '\0';
	while ((c = getchar()) != EOF) {
		if (c != '\0' && c != ' ' && (c < '\t' || c > '\r')) {
			warnx("trailing characters found after key");
			goto done;
		}
	}
	if (ferror(stdin)) {
		warn("stdin");
		goto done;
	}
	if (key_from_base64(priv, b64) == -1) {
		warnx("key is not the correct length or format");
		goto done;
	}
	if (key_public_from_private(pub, priv) == -1) {
		warnx("cannot compute the public key");
		goto done;
	}
	rv = print_key(pub);
done:
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(priv, sizeof(priv));
	return rv;
}
