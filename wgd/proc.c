/*
 * The privilege separation of OpenBSD's daemons, on Linux.  The parent
 * makes a socketpair per child and forks; the child re-executes wgd with
 * a hidden flag naming its role, so each child starts from a fresh
 * address space with its own randomisation and no copy of the parent's
 * memory (keys, configuration).  The child then chroots and drops to the
 * unprivileged user before it reads a single message.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <paths.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static const char *const proc_names[] = {
	[PROC_PARENT] = "parent",
	[PROC_ENGINE] = "engine",
	[PROC_CONTROL] = "control",
	[PROC_DNS] = "dns",
	[PROC_DOCTOR] = "doctor",
};

const char *
proc_name(enum wgd_proc p)
{
	return proc_names[p];
}

int
proc_from_name(const char *name, enum wgd_proc *p)
{
	if (strcmp(name, "engine") == 0)
		*p = PROC_ENGINE;
	else if (strcmp(name, "control") == 0)
		*p = PROC_CONTROL;
	else if (strcmp(name, "dns") == 0)
		*p = PROC_DNS;
	else if (strcmp(name, "doctor") == 0)
		*p = PROC_DOCTOR;
	else
		return -1;
	return 0;
}

/* A child that cannot become one: the parent hears of its death. */
static void __attribute__((__noreturn__))
proc_child_failed(const char *what)
{
	log_warn("%s", what);
	_exit(1);
}

/*
 * Forks and re-executes wgd as child p with its end of a new socketpair
 * on fd 3, and for the engine and control a dead socket on fd 4 for
 * their interface name lookups (ifname.c).  Returns the child's
 * pid and the parent's end in *fd.
 * Through /proc/self/exe, not argv[0]: that may be relative, and the
 * parent has changed directory.
 */
pid_t
proc_start(enum wgd_proc p, const char *user, int debug, int verbose,
    int *fd)
{
	char	*argv[16];
	int	 sp[2], ifs[2] = { -1, -1 }, argc = 0, i, nullfd;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if ((p == PROC_ENGINE || p == PROC_CONTROL) &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ifs) == -1)
		fatal("socketpair");
	if (ifs[1] != -1)
		close(ifs[1]);

	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		/*
		 * Until the exec, _exit() alone: exit() would run the
		 * parent's atexit handlers here, which remove its sockets
		 * and its masquerade rules.
		 */
		/* Out of fd 3's way; dup2 clears close-on-exec on a copy. */
		if (ifs[0] == WGD_CHILD_FD &&
		    (ifs[0] = fcntl(ifs[0], F_DUPFD_CLOEXEC, 10)) == -1)
			proc_child_failed("fcntl");
		if (sp[1] == WGD_CHILD_FD) {
			if (fcntl(sp[1], F_SETFD, 0) == -1)
				proc_child_failed("fcntl");
		} else if (dup2(sp[1], WGD_CHILD_FD) == -1)
			proc_child_failed("dup2");
		if (ifs[0] == WGD_IFNAME_FD) {
			if (fcntl(ifs[0], F_SETFD, 0) == -1)
				proc_child_failed("fcntl");
		} else if (ifs[0] != -1 && dup2(ifs[0], WGD_IFNAME_FD) == -1)
			proc_child_failed("dup2");
		argv[argc++] = (char *)"wgd";
		argv[argc++] = (char *)"-P";
		argv[argc++] = (char *)proc_name(p);
		argv[argc++] = (char *)"-u";
		argv[argc++] = (char *)user;
		if (debug)
			argv[argc++] = (char *)"-d";
		for (i = 0; i < verbose && i < 4; i++)
			argv[argc++] = (char *)"-v";
		argv[argc] = NULL;
		/*
		 * A daemon's children log to syslog; holding the starting
		 * terminal or pipe would keep "$(wgd)" waiting forever.
		 */
		if (!debug && (nullfd = open(_PATH_DEVNULL, O_RDWR)) != -1) {
			(void)dup2(nullfd, STDIN_FILENO);
			(void)dup2(nullfd, STDOUT_FILENO);
			(void)dup2(nullfd, STDERR_FILENO);
			if (nullfd > STDERR_FILENO)
				close(nullfd);
		}
		execv("/proc/self/exe", argv);
		/* Not exit(): the parent's stdio buffers are not ours. */
		log_warn("exec /proc/self/exe");
		_exit(1);
	}

	close(sp[1]);
	if (ifs[0] != -1)
		close(ifs[0]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	*fd = sp[0];
	return pid;
}

/*
 * The empty directory the children are locked in: created root-owned
 * 0755 if missing; one that others could write to would defeat it.
 */
void
proc_prepare_chroot(const char *dir)
{
	struct stat	 st;

	/* The mode is set apart from mkdir, which the umask would trim. */
	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) == -1)
			fatal("chmod %s", dir);
	} else if (errno != EEXIST)
		fatal("mkdir %s", dir);
	if (stat(dir, &st) == -1)
		fatal("stat %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", dir);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		fatalx("%s must be owned by root and writable only by it",
		    dir);
}

/*
 * Called by a child before it reads anything: chroot to the empty
 * directory, no supplementary groups, the user's gid and uid, no way to
 * regain privileges, and for the engine, which holds the private keys,
 * no core dumps and no ptrace by the same user.
 */
void
proc_drop(enum wgd_proc p, const char *user, const char *dir)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s: create it with \"useradd --system "
		    "--home-dir /var/empty --shell /usr/sbin/nologin %s\"",
		    user, user);
	if (pw->pw_uid == 0)
		fatalx("user %s is root: the children must not be", user);
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(0, NULL) == -1)
		fatal("setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1)
		fatal("setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("setresuid");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl no_new_privs");
	if (p == PROC_ENGINE && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl dumpable");
	explicit_bzero(pw->pw_passwd, strlen(pw->pw_passwd));
}
