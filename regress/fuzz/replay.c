/*
 * replay FILE|DIR ...: runs a fuzz harness's LLVMFuzzerTestOneInput()
 * once on each file named and on each file of each folder named (in
 * the order of their names), as libFuzzer would, without libFuzzer:
 * linked with a harness by the compiler of the normal build, plain and
 * with ASan and UBSan, so that make check replays every corpus and a
 * crash found once stays fixed.  A crash, a sanitizer's report or a
 * failed check aborts; otherwise it says how many inputs ran.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static size_t	 nrun;

static void
run_file(const char *path)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		err(1, "%s", path);
	/* One byte more than it holds: malloc(0) is no buffer. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		err(1, NULL);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	if (len != (size_t)st.st_size)
		errx(1, "%s: short read", path);
	close(fd);
	/* libFuzzer's copy is exactly as long: so is the one it gets. */
	if ((buf = realloc(buf, len > 0 ? len : 1)) == NULL)
		err(1, NULL);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	nrun++;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static void
run_dir(const char *dir)
{
	struct dirent	**names;
	char		  path[PATH_MAX];
	int		  i, n;

	if ((n = scandir(dir, &names, not_dot, name_cmp)) == -1)
		err(1, "%s", dir);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= sizeof(path))
			errx(1, "%s/%s: path too long", dir, names[i]->d_name);
		run_file(path);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char *argv[])
{
	struct stat	 st;
	int		 i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", getprogname());
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1)
			err(1, "%s", argv[i]);
		if (S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_file(argv[i]);
	}
	printf("%zu inputs replayed\n", nrun);
	return 0;
}
