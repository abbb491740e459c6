/*
 * wgd/sandbox.c: what a filter built from a list lets through and what
 * kills, in a child process each: the listed calls (and an argument
 * check) pass, others end in SIGSYS, threads started after the filter
 * are under it, clone3 answers ENOSYS, no executable memory, kill only
 * of oneself, the children's argument checks (ioctl, fcntl,
 * setsockopt) hold, and Landlock leaves no filesystem right.  Skipped where
 * seccomp is missing (qemu-user).
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <linux/seccomp.h>

#include "control.h"
#include "dns.h"
#include "engine.h"
#include "sandbox.h"

static const struct sandbox_rule test_rules[] = {
	SB_ARG(socket, 0, AF_INET),
	SB(openat), SB(open),
	SB_MASKED(clone, 0, CLONE_THREAD, CLONE_THREAD),
	SB(set_robust_list), SB(rseq), SB(rt_sigaction),
	SB(sched_getaffinity),		/* ASan's pthread_create */
	SB_END
};

static void
need_seccomp(void)
{
	uint32_t	 action = SECCOMP_RET_KILL_PROCESS;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
		atf_tc_skip("no seccomp here (%s): qemu-user?",
		    strerror(errno));
}

#define ARENA_THREADS	16

static pthread_barrier_t	 arena_barrier;

/* Each thread's first allocation takes a malloc arena of its own. */
static void *
thread_malloc(void *arg)
{
	void	*p;

	(void)arg;
	if ((p = malloc(1000)) == NULL)
		return arg;
	pthread_barrier_wait(&arena_barrier);
	free(p);
	return NULL;
}

static void *
thread_socket6(void *arg)
{
	(void)arg;
	(void)socket(AF_INET6, SOCK_DGRAM, 0);
	return NULL;
}

static int	 go_fd[2];

/* Started before the filter: waits for the word, then calls. */
static void *
thread_waits_then_socket6(void *arg)
{
	char	 c;

	(void)arg;
	if (read(go_fd[0], &c, 1) == 1)
		(void)socket(AF_INET6, SOCK_DGRAM, 0);
	return NULL;
}

/*
 * Runs what in a child inside the sandbox and returns its wait status.
 * The child exits 0 when every step it checks went as expected, with a
 * step's number when one did not; a call the filter refuses kills it.
 */
/*
 * Under a child's own list, a call it may make with the arguments it
 * makes it with, and the same call with others: an ioctl on the wrong
 * descriptor or of the wrong request, an fcntl that duplicates, a
 * socket option other than the dns process's one.  Returns the step
 * that failed, 0 if all passed; a call refused kills.
 */
static int
arguments(const char *what)
{
	struct ifreq	 ifr;
	int		 s, one = 1;

	/* Not the descriptor the interface's ioctls are bound to. */
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    dup2(s, WGD_IFNAME_FD + 20) == -1)
		return 70;
	close(s);
	s = WGD_IFNAME_FD + 20;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	if (strcmp(what, "args_allowed") == 0) {
		sandbox_enter("dns", dns_syscalls);
		if (fcntl(s, F_GETFL) == -1 ||
		    fcntl(s, F_SETFD, FD_CLOEXEC) == -1)
			return 71;
		if (setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one,
		    sizeof(one)) == -1)
			return 72;
		if (ioctl(s, FIONREAD, &one) == -1)
			return 73;
		return 0;
	}
	if (strcmp(what, "args_fcntl") == 0) {
		sandbox_enter("engine", engine_syscalls);
		(void)fcntl(s, F_DUPFD_CLOEXEC, 0);
	} else if (strcmp(what, "args_ioctl_request") == 0) {
		/* The right descriptor, another request. */
		if (dup2(s, WGD_IFNAME_FD) == -1)
			return 75;
		sandbox_enter("engine", engine_syscalls);
		(void)ioctl(WGD_IFNAME_FD, FIONREAD, &one);
	} else if (strcmp(what, "args_ioctl_fd") == 0) {
		sandbox_enter("control", control_syscalls);
		(void)ioctl(s, SIOCGIFINDEX, &ifr);
	} else if (strcmp(what, "args_setsockopt") == 0) {
		sandbox_enter("dns", dns_syscalls);
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	}
	return 74;
}

static int
sandboxed(const char *what)
{
	pthread_t	 t, ts[ARENA_THREADS];
	void		*page, *ret;
	int		 i;
	pid_t		 pid, parent = getpid();
	int		 status, fd;

	if ((pid = fork()) == -1)
		atf_tc_fail("fork: %s", strerror(errno));
	if (pid > 0) {
		if (waitpid(pid, &status, 0) == -1)
			atf_tc_fail("waitpid: %s", strerror(errno));
		return status;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		_exit(2);
	if (strcmp(what, "thread_before") == 0) {
		/* The filter reaches a thread that was already there. */
		if (pipe(go_fd) == -1 || pthread_create(&t, NULL,
		    thread_waits_then_socket6, NULL) != 0)
			_exit(60);
		sandbox_enter("t_sandbox", test_rules);
		if (write(go_fd[1], "x", 1) != 1)
			_exit(61);
		pthread_join(t, NULL);
		_exit(62);
	}
	if (strcmp(what, "engine_arenas") == 0) {
		/*
		 * The engine's own list, and more threads allocating at
		 * once than glibc's arena_test: it must not count CPUs.
		 */
		sandbox_enter("engine", engine_syscalls);
		if (pthread_barrier_init(&arena_barrier, NULL,
		    ARENA_THREADS) != 0)
			_exit(50);
		for (i = 0; i < ARENA_THREADS; i++)
			if (pthread_create(&ts[i], NULL, thread_malloc,
			    NULL) != 0)
				_exit(51);
		for (i = 0; i < ARENA_THREADS; i++)
			if (pthread_join(ts[i], &ret) != 0 || ret != NULL)
				_exit(52);
		_exit(0);
	}
	if (strncmp(what, "args_", 5) == 0)
		_exit(arguments(what));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		_exit(3);
	sandbox_enter("t_sandbox", test_rules);

	/* Allowed by the list and the base. */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		_exit(10);
	close(fd);
	if (kill(getpid(), 0) == -1)
		_exit(11);
	if (mprotect(page, 4096, PROT_READ) == -1)
		_exit(12);

	if (strcmp(what, "allowed") == 0)
		_exit(0);
	if (strcmp(what, "socket6") == 0)
		(void)socket(AF_INET6, SOCK_DGRAM, 0);
	else if (strcmp(what, "execve") == 0)
		(void)execl("/bin/true", "true", (char *)NULL);
	else if (strcmp(what, "kill_parent") == 0)
		(void)kill(parent, 0);
	else if (strcmp(what, "exec_memory") == 0)
		(void)mprotect(page, 4096, PROT_READ | PROT_EXEC);
	else if (strcmp(what, "fork") == 0)
		(void)fork();
	else if (strcmp(what, "thread") == 0) {
		/* Started after the filter, through clone (clone3 fails). */
		if (pthread_create(&t, NULL, thread_socket6, NULL) != 0)
			_exit(20);
		pthread_join(t, NULL);
	} else if (strcmp(what, "clone3") == 0) {
		if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
			_exit(30);
		_exit(0);
	} else if (strcmp(what, "landlock") == 0) {
		/* seccomp lets openat through; Landlock must not. */
		if (open("/", O_RDONLY | O_DIRECTORY) != -1)
			_exit(40);
		_exit(errno == EACCES ? 0 : 41);
	}
	_exit(1);
}

static void
check_exit(const char *what)
{
	int	 st;

	need_seccomp();
	st = sandboxed(what);
	ATF_REQUIRE_MSG(WIFEXITED(st), "%s: killed by signal %d", what,
	    WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	ATF_REQUIRE_EQ_MSG(WEXITSTATUS(st), 0, "%s: step %d", what,
	    WEXITSTATUS(st));
}

static void
check_killed(const char *what)
{
	int	 st;

	need_seccomp();
	st = sandboxed(what);
	ATF_REQUIRE_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "%s: %s %d, not SIGSYS", what,
	    WIFSIGNALED(st) ? "signal" : "exit status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

ATF_TC_WITHOUT_HEAD(allowed);
ATF_TC_BODY(allowed, tc)
{
	check_exit("allowed");
}

ATF_TC_WITHOUT_HEAD(killed);
ATF_TC_BODY(killed, tc)
{
	check_killed("socket6");
	check_killed("execve");
	check_killed("kill_parent");
	check_killed("exec_memory");
	check_killed("fork");
}

ATF_TC_WITHOUT_HEAD(arguments);
ATF_TC_BODY(arguments, tc)
{
	check_exit("args_allowed");
	check_killed("args_fcntl");
	check_killed("args_ioctl_request");
	check_killed("args_ioctl_fd");
	check_killed("args_setsockopt");
}

ATF_TC_WITHOUT_HEAD(threads);
ATF_TC_BODY(threads, tc)
{
	check_killed("thread");
	check_killed("thread_before");
	check_exit("clone3");
}

ATF_TC_WITHOUT_HEAD(engine_arenas);
ATF_TC_BODY(engine_arenas, tc)
{
	check_exit("engine_arenas");
}

/* Every name in the lists is a call of amd64, arm64 or armhf. */
ATF_TC_WITHOUT_HEAD(names);
ATF_TC_BODY(names, tc)
{
	const char	*n;

	if ((n = sandbox_misnamed(engine_syscalls)) != NULL)
		atf_tc_fail("engine: %s", n);
	if ((n = sandbox_misnamed(control_syscalls)) != NULL)
		atf_tc_fail("control: %s", n);
	if ((n = sandbox_misnamed(dns_syscalls)) != NULL)
		atf_tc_fail("dns: %s", n);
}

ATF_TC_WITHOUT_HEAD(landlock);
ATF_TC_BODY(landlock, tc)
{
	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1) < 0)
		atf_tc_skip("no Landlock in this kernel");
	check_exit("landlock");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, allowed);
	ATF_TP_ADD_TC(tp, killed);
	ATF_TP_ADD_TC(tp, arguments);
	ATF_TP_ADD_TC(tp, threads);
	ATF_TP_ADD_TC(tp, engine_arenas);
	ATF_TP_ADD_TC(tp, names);
	ATF_TP_ADD_TC(tp, landlock);
	return atf_no_error();
}
