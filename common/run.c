/*
 * Runs Debian's programs (nft, iptables, wgd -nv) for the parent and
 * wgctl: found in fixed directories, run with a fixed environment, their
 * arguments an argv, never through a shell.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "run.h"

#define RUN_OUT_MAX	(1024 * 1024)		/* output kept from a program */
#define RUN_TIMEOUT_SECS	20

static const char *const run_dirs[] = {
	"/usr/sbin", "/sbin", "/usr/bin", "/bin"
};
#define RUN_QEMU_VAR	"QEMU_LD_PREFIX="

/*
 * A fixed environment, and QEMU_LD_PREFIX where it is set: under
 * qemu-user (make check ARCH=...) the wgd that wgd runs is an ARM
 * program too, and finds its libraries through it.  Set up before a
 * fork, read by the child.
 */
static char	*run_envp[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL, NULL
};

static void
run_env_init(void)
{
	extern char	**environ;
	char		**e;

	if (run_envp[2] != NULL)
		return;
	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, RUN_QEMU_VAR, strlen(RUN_QEMU_VAR)) == 0) {
			run_envp[2] = *e;
			return;
		}
}

int
run_which(const char *name, char *path, size_t len)
{
	size_t	 i;

	if (strchr(name, '/') != NULL) {
		strlcpy(path, name, len);
		return access(path, X_OK);
	}
	for (i = 0; i < sizeof(run_dirs) / sizeof(run_dirs[0]); i++) {
		snprintf(path, len, "%s/%s", run_dirs[i], name);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Moves fd out of 0-2, where the child's own standard fds go. */
static int
run_child_fd(int fd)
{
	return fd == -1 ? -1 : fcntl(fd, F_DUPFD, 3);
}

static void __attribute__((__noreturn__))
run_child(const char *path, const char *argv[], int in, int out, int quiet)
{
	sigset_t	 set;
	int		 null;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_DFL);
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    (null = run_child_fd(null)) == -1 ||
	    (in != -1 && (in = run_child_fd(in)) == -1) ||
	    (out = run_child_fd(out)) == -1)
		_exit(127);
	if (dup2(in != -1 ? in : null, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(quiet ? null : out, 2) == -1)
		_exit(127);
	closefrom(3);
	execve(path, (char *const *)argv, (char *const *)run_envp);
	_exit(127);
}

static long long
run_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* See run.h. */
int
run_prog(const char *prog, const char *const args[], const char *input,
    int quiet, char **outp)
{
	const char	*argv[RUN_ARGS_MAX + 2];
	char		 path[PATH_MAX], chunk[4096], *buf = NULL, *nbuf;
	size_t		 i, len = 0, cap = 0, inlen;
	struct pollfd	 pfd;
	long long	 end, now;
	ssize_t		 n;
	pid_t		 pid;
	int		 in = -1, p[2] = { -1, -1 }, status, rv = -1, cut = 0;
	int		 late = 0;

	*outp = NULL;
	if (run_which(prog, path, sizeof(path)) == -1) {
		log_warnx("%s: not found in /usr/sbin, /sbin, /usr/bin, /bin",
		    prog);
		return -1;
	}
	argv[0] = prog;
	for (i = 0; args[i] != NULL; i++) {
		if (i == RUN_ARGS_MAX)
			fatalx("%s: too many arguments", __func__);
		argv[i + 1] = args[i];
	}
	argv[i + 1] = NULL;

	/* A memory file is all read before the program ends: no deadlock. */
	if (input != NULL) {
		if ((in = memfd_create("wgd-run", MFD_CLOEXEC)) == -1) {
			log_warn("memfd_create");
			goto done;
		}
		for (inlen = strlen(input); inlen > 0; inlen -= (size_t)n) {
			if ((n = write(in, input, inlen)) == -1) {
				log_warn("%s: write", __func__);
				goto done;
			}
			input += n;
		}
		if (lseek(in, 0, SEEK_SET) == -1) {
			log_warn("%s: lseek", __func__);
			goto done;
		}
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe2");
		goto done;
	}
	run_env_init();
	if ((pid = fork()) == -1) {
		log_warn("fork");
		goto done;
	}
	if (pid == 0)
		run_child(path, argv, in, p[1], quiet);
	close(p[1]);
	p[1] = -1;

	pfd.fd = p[0];
	pfd.events = POLLIN;
	end = run_now() + RUN_TIMEOUT_SECS * 1000;
	for (;;) {
		if ((now = run_now()) >= end ||
		    (n = poll(&pfd, 1, (int)(end - now))) == 0) {
			/* A program stuck (nft on a hung netlink) ends here. */
			log_warnx("%s: no end after %d seconds: killed", prog,
			    RUN_TIMEOUT_SECS);
			kill(pid, SIGKILL);
			late = 1;
			break;
		}
		if (n == -1 || (n = read(p[0], chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", prog);
			break;
		}
		if (n == 0)
			break;
		if (len + (size_t)n + 1 > cap && cap < RUN_OUT_MAX) {
			cap = cap == 0 ? sizeof(chunk) * 2 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL)
				fatal("%s", __func__);
			buf = nbuf;
		}
		/* Past the cap the rest is drained, never spliced in. */
		if (!cut && len + (size_t)n + 1 <= cap) {
			memcpy(buf + len, chunk, (size_t)n);
			len += (size_t)n;
		} else
			cut = 1;
	}
	/* Its output closed, it may still hang: the same deadline. */
	while ((n = waitpid(pid, &status, WNOHANG)) == 0) {
		if (run_now() >= end && !late) {
			log_warnx("%s: no end after %d seconds: killed", prog,
			    RUN_TIMEOUT_SECS);
			kill(pid, SIGKILL);
			late = 1;
		}
		(void)poll(NULL, 0, 10);
	}
	if (n == -1) {
		log_warn("%s: waitpid", prog);
		goto done;
	}
	if (WIFEXITED(status)) {
		rv = WEXITSTATUS(status);
		if (rv == 127)
			log_warnx("%s: cannot run it", path);
	} else if (!late)
		log_warnx("%s: killed by signal %d", prog, WTERMSIG(status));
	/* Output read in part is no output to act on. */
	if (late)
		rv = -1;
	else if (cut && rv == 0) {
		log_warnx("%s: more output than %d bytes", prog, RUN_OUT_MAX);
		rv = -1;
	}

done:
	if (in != -1)
		close(in);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (buf == NULL && (buf = strdup("")) == NULL)
		fatal("%s", __func__);
	buf[len] = '\0';
	*outp = buf;
	return rv;
}
