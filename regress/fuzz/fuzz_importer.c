/*
 * The readers of wgd -i (wgd/import.c, wgd/import_server.c) on any
 * file: the container's server conf and a peer's wg-quick conf.  The
 * harness keeps a container's /config folder of its own, with the
 * server's key and one peer folder, peer_phone, and writes the input
 * into it:
 *
 *	flags (1 byte)	bit 0: the server conf is there,
 *			bit 1: as wg0.conf (older containers), not
 *			       wg_confs/wg0.conf,
 *			bit 2: the peer's key files are there,
 *			bit 3: its conf is there
 *	text		the server conf, a NUL, the peer's conf (without
 *			a NUL, the same text is both)
 *
 * then runs import_container() with a configuration that has no
 * interface: everything is read and checked, and nothing is written
 * (it stops before the state dir, "the configuration has no
 * interface").  The keys are the handshake vectors' (server: the
 * responder's, phone: the initiator's), so a conf that names them is
 * read to the end.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "import.h"

#define SERVER_PRIV	"ICIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=\n"
#define SERVER_PUB	"WGmv9FBUlzLLqu1eXfmzCm2jHLDldCutWtShp2jxpns=\n"
#define PHONE_PRIV	"AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=\n"
#define PHONE_PUB	"B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=\n"
#define PHONE_PSK	"gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A=\n"

static char	 dir[PATH_MAX], state[PATH_MAX];

static void
setup(void)
{
	fuzz_quiet_log();
	fuzz_mkdir("config");
	fuzz_mkdir("config/server");
	fuzz_mkdir("config/wg_confs");
	fuzz_mkdir("config/peer_phone");
	fuzz_write_file("config/server/privatekey-server", SERVER_PRIV,
	    strlen(SERVER_PRIV), 0600);
	fuzz_write_file("config/server/publickey-server", SERVER_PUB,
	    strlen(SERVER_PUB), 0644);
	snprintf(dir, sizeof(dir), "%s/config", fuzz_tmpdir());
	/* Never used, as there is no interface; but ours all the same. */
	snprintf(state, sizeof(state), "%s/state", fuzz_tmpdir());
}

/* The file name of the folder: there with these bytes, or not there. */
static void
file(const char *name, int there, const void *data, size_t len)
{
	if (there)
		fuzz_write_file(name, data, len, 0644);
	else
		fuzz_unlink(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct wgd_config	*conf;
	const uint8_t		*text, *nul;
	size_t			 tlen, slen, plen;
	uint8_t			 flags;

	if (len < 1)
		return 0;
	if (dir[0] == '\0')
		setup();
	flags = data[0];
	text = data + 1;
	tlen = len - 1;
	if ((nul = memchr(text, '\0', tlen)) != NULL) {
		slen = (size_t)(nul - text);
		plen = tlen - slen - 1;
	} else
		slen = plen = tlen;

	file("config/wg_confs/wg0.conf", (flags & 3) == 1, text, slen);
	file("config/wg0.conf", (flags & 3) == 3, text, slen);
	file("config/peer_phone/peer_phone.conf", flags & 8,
	    nul != NULL ? nul + 1 : text, plen);
	file("config/peer_phone/privatekey-peer_phone", flags & 4,
	    PHONE_PRIV, strlen(PHONE_PRIV));
	file("config/peer_phone/publickey-peer_phone", flags & 4,
	    PHONE_PUB, strlen(PHONE_PUB));
	file("config/peer_phone/presharedkey-peer_phone", flags & 4,
	    PHONE_PSK, strlen(PHONE_PSK));

	if ((conf = config_new()) == NULL)
		abort();
	strlcpy(conf->state_dir, state, sizeof(conf->state_dir));
	config_defaults(conf);
	/* No interface: it reads everything, then stops, writing nothing. */
	FUZZ_CHECK(import_container(dir, conf) == 1);
	config_free(conf);
	return 0;
}
