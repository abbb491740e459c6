/*
 * The helpers of the fuzz harnesses (fuzz.h): linked into each harness
 * for libFuzzer and for the replay of its corpus alike.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"

static char	 tmpdir[PATH_MAX];

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char	*base;

	if (tmpdir[0] != '\0')
		return tmpdir;
	if ((base = getenv("TMPDIR")) == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/wgd-fuzz.XXXXXX",
	    base) >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		perror("fuzz_tmpdir");
		abort();
	}
	atexit(rm_tmpdir);
	return tmpdir;
}

static const char *
path_of(const char *name)
{
	static char	 path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(),
	    name) >= sizeof(path))
		abort();
	return path;
}

void
fuzz_mkdir(const char *name)
{
	const char	*path = path_of(name);

	if (mkdir(path, 0700) == -1) {
		perror(path);
		abort();
	}
}

void
fuzz_unlink(const char *name)
{
	const char	*path = path_of(name);

	if (unlink(path) == -1 && errno != ENOENT) {
		perror(path);
		abort();
	}
}

const char *
fuzz_write_file(const char *name, const void *data, size_t len, int mode)
{
	const char	*path = path_of(name);
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1 || fchmod(fd, mode) == -1 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1) {
		perror(path);
		abort();
	}
	return path;
}

char *
fuzz_strdup(const uint8_t *data, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

size_t
fuzz_bytes(struct fuzz_in *in, void *buf, size_t len)
{
	size_t	 n = len < in->len ? len : in->len;

	memcpy(buf, in->p, n);
	memset((uint8_t *)buf + n, 0, len - n);
	in->p += n;
	in->len -= n;
	return n;
}

uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t	 v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint8_t	 b[2];

	fuzz_bytes(in, b, sizeof(b));
	return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t
fuzz_u32(struct fuzz_in *in)
{
	return fuzz_u16(in) | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t
fuzz_u64(struct fuzz_in *in)
{
	return fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
}

static void
sink(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	(void)msg;
}

void
fuzz_quiet_log(void)
{
	log_init_child(0);
	log_setsink(sink, NULL);
}
