/*
 * The sandboxes of wgd's children (see sandbox.h and DESIGN.md).  Called
 * after chroot, the privilege drop and PR_SET_NO_NEW_PRIVS, once the
 * process has everything it opens for itself (its event loop, its
 * signal pipe), and before it reads a message from anyone.
 *
 * Landlock comes first and takes every filesystem right the kernel knows
 * of: the process can open, create, remove or execute nothing, even if
 * the chroot were escaped.  A kernel without Landlock is logged at debug
 * level: seccomp still stands.
 *
 * The seccomp filter is built with libseccomp for the native architecture
 * alone (a call through another ABI, i386 on amd64, kills as an unknown
 * call does), from the calls every child makes (base_rules) and the
 * process's own list.  A name that this architecture does not have
 * (open on arm64, clock_gettime64 on amd64) is skipped, so one list
 * serves amd64, arm64 and armhf.  clone3 fails with ENOSYS, and glibc
 * falls back to clone, whose flags a rule can check.  The filter applies
 * to every thread (TSYNC), those started later included.
 *
 * Under qemu-user neither Landlock nor seccomp exists.  A build with
 * WGD_SANDBOX_OPTIONAL (wgd-qemu, which the ARM suites run under qemu)
 * then logs a warning and goes on; any other stops.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

/* Rights of later ABIs than the headers this may be built with know. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif

/*
 * Once a process has more malloc arenas than glibc's arena_test (8 on
 * 64-bit, 2 on 32-bit: a 4-core Pi's armhf engine reaches it), glibc
 * counts the CPUs, by opening /sys or with sched_getaffinity, which the
 * filters refuse.  A set maximum means it never counts; the crypto
 * workers allocate once each, so sharing arenas costs nothing.
 */
#define SANDBOX_ARENA_MAX	4

/* What libc, libevent, malloc and the imsg socket need in any child. */
static const struct sandbox_rule base_rules[] = {
	SB(read), SB(readv), SB(write), SB(writev), SB(close),
	SB(recvmsg), SB(sendmsg),
	SB(epoll_wait), SB(epoll_pwait), SB(epoll_ctl),
	SB(poll), SB(ppoll), SB(ppoll_time64),
	SB(clock_gettime), SB(clock_gettime64), SB(gettimeofday),
	SB(brk), SB(munmap), SB(mremap), SB(madvise),
	/* Memory, never executable: no code is loaded after the start. */
	SB_MASKED(mmap, 2, PROT_EXEC, 0), SB_MASKED(mmap2, 2, PROT_EXEC, 0),
	SB_MASKED(mprotect, 2, PROT_EXEC, 0),
	SB(futex), SB(futex_time64),
	SB(getpid), SB(gettid), SB(getrandom),
	SB(rt_sigreturn), SB(sigreturn), SB(rt_sigprocmask),
	SB(restart_syscall), SB(exit), SB(exit_group),
	/* Descriptors from the parent are made non-blocking. */
	SB_ARG(fcntl, 1, F_GETFL), SB_ARG(fcntl, 1, F_SETFL),
	SB_ARG(fcntl, 1, F_GETFD), SB_ARG(fcntl, 1, F_SETFD),
	SB_ARG(fcntl64, 1, F_GETFL), SB_ARG(fcntl64, 1, F_SETFL),
	SB_ARG(fcntl64, 1, F_GETFD), SB_ARG(fcntl64, 1, F_SETFD),
	/* abort(3) and raise(3), of this process only. */
	SB_ARG(tgkill, 0, SANDBOX_SELF), SB_ARG(kill, 0, SANDBOX_SELF),
	SB_END
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/*
 * A build with ASan or TSan (make SANITIZE=...) runs their runtime in
 * every process: its background thread sleeps and yields, and a report
 * reads the process's maps and limits before it exits.  Landlock still
 * refuses every file.
 */
static const struct sandbox_rule sanitizer_rules[] = {
	SB(nanosleep), SB(clock_nanosleep), SB(clock_nanosleep_time64),
	SB(sched_yield), SB(sigaltstack), SB(rt_sigaction),
	SB(getrlimit), SB(prlimit64), SB(openat), SB(open), SB(readlink),
	SB(readlinkat), SB(newfstatat), SB(fstat), SB(lseek), SB(prctl),
	SB(getppid), SB(pipe2), SB(mincore),
	SB(sched_getaffinity),		/* in their pthread_create */
	SB_END
};
#endif

static void
sandbox_failed(const char *name, const char *what, int error)
{
#ifdef WGD_SANDBOX_OPTIONAL
	log_warnx("%s: %s: %s: running without a sandbox (this build "
	    "allows it, for qemu-user)", name, what, strerror(error));
#else
	errno = error;
	fatal("%s: %s (is this qemu-user? it has no seccomp)", name, what);
#endif
}

/* Every filesystem right of Landlock ABI abi. */
static uint64_t
landlock_fs_rights(int abi)
{
	uint64_t	 r;

	r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/* A ruleset that handles every right and grants none. */
static void
sandbox_landlock(const char *name)
{
	struct landlock_ruleset_attr	 attr;
	int				 abi, fd;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		log_debug("%s: no Landlock here (%s): seccomp and the chroot "
		    "only", name, strerror(errno));
		return;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = landlock_fs_rights(abi);
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0)) == -1)
		fatal("%s: landlock_create_ruleset", name);
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1)
		fatal("%s: landlock_restrict_self", name);
	close(fd);
	log_debug("%s: Landlock ABI %d, no filesystem rights", name, abi);
}

/*
 * Adds the rules of list to ctx.  A call this architecture lacks is
 * skipped; any other refusal is a bug in the list.
 */
static int
add_rules(scmp_filter_ctx ctx, const struct sandbox_rule *list)
{
	const struct sandbox_rule	*r;
	struct scmp_arg_cmp		 cmp[2];
	uint64_t			 v;
	unsigned int			 ncmp;
	int				 nr, rc;

	for (r = list; r->name != NULL; r++) {
		if ((nr = seccomp_syscall_resolve_name(r->name)) ==
		    __NR_SCMP_ERROR || nr < 0)
			continue;
		if (r->arg == -1) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		} else {
			v = r->value == SANDBOX_SELF ? (uint64_t)getpid() :
			    r->value;
			memset(cmp, 0, sizeof(cmp));
			cmp[0].arg = (unsigned int)r->arg;
			if (r->mask != 0) {
				cmp[0].op = SCMP_CMP_MASKED_EQ;
				cmp[0].datum_a = r->mask;
				cmp[0].datum_b = v;
			} else {
				cmp[0].op = SCMP_CMP_EQ;
				cmp[0].datum_a = v;
			}
			ncmp = 1;
			if (r->arg2 != -1) {
				cmp[1].arg = (unsigned int)r->arg2;
				cmp[1].op = SCMP_CMP_EQ;
				cmp[1].datum_a = r->value2;
				ncmp = 2;
			}
			rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr,
			    ncmp, cmp);
		}
		if (rc < 0) {
			log_warnx("seccomp rule for %s: %s", r->name,
			    strerror(-rc));
			return -1;
		}
	}
	return 0;
}

#ifdef WGD_TEST_HOOKS
/*
 * Test builds only: SIGUSR2 makes the process call what
 * WGD_TEST_FORBIDDEN names (socket, openat, execve or ptrace), which
 * its filter must answer by killing it.
 */
static long	 test_call = -1;

static void
test_forbidden(int sig)
{
	(void)sig;
	switch (test_call) {
	case SYS_socket:
		(void)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
		break;
	case SYS_openat:
		(void)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
		break;
	case SYS_execve:
		(void)syscall(SYS_execve, "/", NULL, NULL);
		break;
	case SYS_ptrace:
		(void)syscall(SYS_ptrace, 0, 0, 0, 0);
		break;
	}
	/* Still here: the call was allowed. */
	_exit(71);
}

static void
test_hook(void)
{
	const char	*c = getenv("WGD_TEST_FORBIDDEN");

	if (c == NULL)
		return;
	if (strcmp(c, "socket") == 0)
		test_call = SYS_socket;
	else if (strcmp(c, "openat") == 0)
		test_call = SYS_openat;
	else if (strcmp(c, "execve") == 0)
		test_call = SYS_execve;
	else if (strcmp(c, "ptrace") == 0)
		test_call = SYS_ptrace;
	else
		fatalx("WGD_TEST_FORBIDDEN: %s?", c);
	if (signal(SIGUSR2, test_forbidden) == SIG_ERR)
		fatal("signal");
}
#endif

/* An argument as the filter sees it: 32 bits on a 32-bit system. */
static uint64_t
word(uint64_t v)
{
	return sizeof(long) == 4 ? v & 0xffffffff : v;
}

/*
 * How the rules of list for the call name judge args (those with their
 * bit in known; self is the process's pid): 1 if one allows it, 0 if
 * none could, -1 if one might but needs an argument not known.
 */
static int
judged(const struct sandbox_rule *list, const char *name,
    const uint64_t args[SANDBOX_ARGS], unsigned int known, uint64_t self)
{
	const struct sandbox_rule	*r;
	uint64_t			 v, a;
	int				 verdict = 0;

	for (r = list; r->name != NULL; r++) {
		if (strcmp(r->name, name) != 0)
			continue;
		if (r->arg == -1)
			return 1;
		if (!(known & 1U << r->arg) ||
		    (r->arg2 != -1 && !(known & 1U << r->arg2))) {
			verdict = -1;
			continue;
		}
		v = word(r->value == SANDBOX_SELF ? self : r->value);
		a = word(args[r->arg]);
		if (r->mask != 0 ? (a & r->mask) != v : a != v)
			continue;
		if (r->arg2 != -1 && word(args[r->arg2]) != word(r->value2))
			continue;
		return 1;
	}
	return verdict;
}

/*
 * Whether the filter of the process self with list allows the call name
 * with args, of which known says which were seen: 1 yes (clone3 too: it
 * fails without killing), 0 no, -1 if that depends on an argument not
 * known.  For the test that checks, under qemu-user where no filter can
 * run, each call a child makes there against its list.
 */
int
sandbox_allows(const struct sandbox_rule *list, const char *name,
    const uint64_t args[SANDBOX_ARGS], unsigned int known, uint64_t self)
{
	int	 verdict, v = 0;

	if (strcmp(name, "clone3") == 0)
		return 1;
	if ((verdict = judged(base_rules, name, args, known, self)) == 1 ||
	    (v = judged(list, name, args, known, self)) == 1)
		return 1;
	if (v == -1)
		verdict = -1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	if ((v = judged(sanitizer_rules, name, args, known, self)) == 1)
		return 1;
	if (v == -1)
		verdict = -1;
#endif
	return verdict;
}

/* The first name of list that none of wgd's architectures knows. */
static const char *
misnamed(const struct sandbox_rule *list)
{
	const struct sandbox_rule	*r;

	for (r = list; r->name != NULL; r++)
		if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64,
		    r->name) < 0 &&
		    seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64,
		    r->name) < 0 &&
		    seccomp_syscall_resolve_name_arch(SCMP_ARCH_ARM,
		    r->name) < 0)
			return r->name;
	return NULL;
}

/*
 * For the tests: a name in list or the base that is no system call of
 * amd64, arm64 or armhf (a typo, which add_rules would skip), or NULL.
 */
const char *
sandbox_misnamed(const struct sandbox_rule *list)
{
	const char	*name;

	if ((name = misnamed(base_rules)) != NULL ||
	    (name = misnamed(list)) != NULL)
		return name;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return misnamed(sanitizer_rules);
#else
	return NULL;
#endif
}

/*
 * Locks the calling process (all its threads) into Landlock and a
 * seccomp filter of base_rules and list.  name is the process's, for
 * messages.
 */
void
sandbox_enter(const char *name, const struct sandbox_rule *list)
{
	scmp_filter_ctx	 ctx;
	int		 rc, nr;

#ifdef WGD_TEST_HOOKS
	test_hook();
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* (A sanitizer's allocator has no arenas, nor mallopt.) */
	if (mallopt(M_ARENA_MAX, SANDBOX_ARENA_MAX) != 1)
		fatalx("%s: mallopt M_ARENA_MAX failed", name);
#endif
	/* proc_drop set it; Landlock and seccomp both insist. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("%s: no_new_privs is not set", name);
	sandbox_landlock(name);

	/* libseccomp asks the kernel what it has: under qemu, nothing. */
	errno = 0;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		sandbox_failed(name, "seccomp_init", errno != 0 ? errno :
		    ENOSYS);
		return;
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		seccomp_release(ctx);
		sandbox_failed(name, "seccomp_attr_set", -rc);
		return;
	}
	if (add_rules(ctx, base_rules) == -1 || add_rules(ctx, list) == -1)
		fatalx("%s: cannot build the seccomp filter", name);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	if (add_rules(ctx, sanitizer_rules) == -1)
		fatalx("%s: cannot build the seccomp filter", name);
#endif
	if ((nr = seccomp_syscall_resolve_name("clone3")) != __NR_SCMP_ERROR &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) < 0)
		fatalx("%s: seccomp rule for clone3: %s", name, strerror(-rc));
	if ((rc = seccomp_load(ctx)) < 0) {
		seccomp_release(ctx);
		sandbox_failed(name, "seccomp_load", -rc);
		return;
	}
	seccomp_release(ctx);
	log_debug("%s: seccomp filter on", name);
}
