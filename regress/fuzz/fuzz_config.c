/*
 * The wgd.conf parser (wgd/parse.y, wgd/config.c) on any file, as wgd
 * -nv runs it: parse_config(), the messages written out, the
 * configuration printed (printconf.c) and everything freed.
 *
 * The input is the file wgd.conf of a folder of the harness's own,
 * beside the key files and included files of regress/config's cases
 * (keys/wg0.key and the rest, include/peers.inc), so the seeds can be
 * those cases.  While it parses, no other file opens: the link wraps
 * open64() (make: LINK_FLAGS), and a path outside the folder is not
 * found, so an include of /dev/stdin or a file under /proc cannot hang
 * it or read what is not its own.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int	__real_open64(const char *, int, ...);
int	__wrap_open64(const char *, int, ...);

static char	 dir[PATH_MAX];
static size_t	 dirlen;
static int	 confined;	/* while parse_config runs */

/* Under the folder, and with no ".." to climb out of it. */
static int
inside(const char *path)
{
	const char	*p;

	if (strncmp(path, dir, dirlen) != 0 || path[dirlen] != '/')
		return 0;
	for (p = path + dirlen; (p = strstr(p, "/..")) != NULL; p++)
		if (p[3] == '/' || p[3] == '\0')
			return 0;
	return 1;
}

int
__wrap_open64(const char *path, int flags, ...)
{
	va_list	 ap;
	int	 mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (confined && !inside(path)) {
		errno = ENOENT;
		return -1;
	}
	return __real_open64(path, flags, mode);
}

static void
setup(void)
{
	/* Keys of the published handshake vectors. */
	static const char key1[] =
	    "AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH2A=\n";
	static const char key2[] =
	    "ICIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=\n";
	static const char psk[] =
	    "gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A=\n";
	static const char peers[] =
	    "# included: an interface of its own\n"
	    "interface \"wg0\" {\n\taddress 10.0.0.1/24\n"
	    "\tpeer \"laptop\"\n}\n";
	static const char broken[] =
	    "interface \"wg0\" {\n\taddress 10.0.0.1/24\n\tmtu lots\n}\n";
	strlcpy(dir, fuzz_tmpdir(), sizeof(dir));
	dirlen = strlen(dir);
	fuzz_mkdir("keys");
	fuzz_mkdir("keys/dir.key");
	fuzz_mkdir("include");
	fuzz_write_file("keys/wg0.key", key1, strlen(key1), 0600);
	fuzz_write_file("keys/wg1.key", key2, strlen(key2), 0600);
	fuzz_write_file("keys/office.psk", psk, strlen(psk), 0600);
	fuzz_write_file("keys/open.key", key1, strlen(key1), 0644);
	fuzz_write_file("keys/notakey.key", "this is not a key\n", 18, 0600);
	fuzz_write_file("include/peers.inc", peers, strlen(peers), 0600);
	fuzz_write_file("include/broken.inc", broken, strlen(broken), 0600);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_msgs	 msgs = TAILQ_HEAD_INITIALIZER(msgs);
	struct wgd_config	*conf;
	const char		*path;
	FILE			*out;
	char			*text = NULL;
	size_t			 textlen = 0;

	if (dir[0] == '\0')
		setup();
	path = fuzz_write_file("wgd.conf", data, len, 0600);
	if ((out = open_memstream(&text, &textlen)) == NULL)
		abort();
	confined = 1;
	conf = parse_config(path, &msgs);
	confined = 0;
	FUZZ_CHECK((conf == NULL) == (conf_msgs_errors(&msgs) > 0));
	conf_msgs_print(&msgs, out);
	conf_msgs_free(&msgs);
	if (conf != NULL) {
		print_config(out, conf);
		config_free(conf);
	}
	fclose(out);
	free(text);
	return 0;
}
