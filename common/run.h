/*
 * Running a helper program and reading what it prints (run.c).
 */

#ifndef WGD_RUN_H
#define WGD_RUN_H

#include <stddef.h>

#define RUN_ARGS_MAX	32

/*
 * Finds a bare name in /usr/sbin, /sbin, /usr/bin, /bin, or takes a
 * name with a '/' as a path: 0 or -1.
 */
int	run_which(const char *, char *, size_t);

/*
 * Runs prog (a bare name, looked up as run_which does) with args (NULL
 * ended), input on its standard input (NULL: /dev/null), and waits for
 * it.  Its standard output, and its standard error unless quiet, come
 * back in *outp, NUL-terminated, for the caller to free.  Returns the
 * exit status, or -1 (logged) when it did not run, was killed, ran
 * longer than 20 seconds or printed more than 1 MiB.
 */
int	run_prog(const char *, const char *const [], const char *, int,
	    char **);

#endif /* WGD_RUN_H */
