/*
 * sysallow engine|control|dns PID: reads the system calls of that child
 * (PID, for the calls that may only name the process itself), one a
 * line, as qemu-user's QEMU_STRACE prints them: "name(arguments)", or
 * "name", or "#N" for a call qemu knows only by its number; arguments
 * that another thread's output cut into (see call()), a name alone and
 * a number are judged by the name.  Prints each that the child's seccomp
 * filter on this architecture would kill it for, and each whose verdict
 * hangs on an argument this cannot read, and then exits 1.  Run under
 * qemu-user, where the filters cannot run, it checks the ARM children's
 * calls, their arguments included, against their lists.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "control.h"
#include "dns.h"
#include "engine.h"
#include "sandbox.h"

/*
 * The names qemu prints for the arguments that the lists check: memory
 * protections, fcntl commands, clone flags, socket families and types,
 * ioctl requests.
 * The values are this architecture's, as the filter's.
 */
static const struct {
	const char	*name;
	uint64_t	 value;
} symbols[] = {
	{ "PROT_NONE", PROT_NONE }, { "PROT_READ", PROT_READ },
	{ "PROT_WRITE", PROT_WRITE }, { "PROT_EXEC", PROT_EXEC },
	{ "F_DUPFD", F_DUPFD }, { "F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC },
	{ "F_GETFD", F_GETFD }, { "F_SETFD", F_SETFD },
	{ "F_GETFL", F_GETFL }, { "F_SETFL", F_SETFL },
	{ "F_GETLK", F_GETLK }, { "F_SETLK", F_SETLK },
	{ "F_SETLKW", F_SETLKW }, { "F_GETOWN", F_GETOWN },
	{ "F_SETOWN", F_SETOWN }, { "F_GETSIG", F_GETSIG },
	{ "F_SETSIG", F_SETSIG },
	{ "CLONE_VM", CLONE_VM }, { "CLONE_FS", CLONE_FS },
	{ "CLONE_FILES", CLONE_FILES }, { "CLONE_SIGHAND", CLONE_SIGHAND },
	{ "CLONE_PIDFD", CLONE_PIDFD }, { "CLONE_PTRACE", CLONE_PTRACE },
	{ "CLONE_VFORK", CLONE_VFORK }, { "CLONE_PARENT", CLONE_PARENT },
	{ "CLONE_THREAD", CLONE_THREAD }, { "CLONE_NEWNS", CLONE_NEWNS },
	{ "CLONE_SYSVSEM", CLONE_SYSVSEM }, { "CLONE_SETTLS", CLONE_SETTLS },
	{ "CLONE_PARENT_SETTID", CLONE_PARENT_SETTID },
	{ "CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID },
	{ "CLONE_DETACHED", CLONE_DETACHED },
	{ "CLONE_UNTRACED", CLONE_UNTRACED },
	{ "CLONE_CHILD_SETTID", CLONE_CHILD_SETTID },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
	{ "CLONE_NEWUTS", CLONE_NEWUTS }, { "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWUSER", CLONE_NEWUSER }, { "CLONE_NEWPID", CLONE_NEWPID },
	{ "CLONE_NEWNET", CLONE_NEWNET }, { "CLONE_IO", CLONE_IO },
	{ "PF_UNIX", PF_UNIX }, { "PF_LOCAL", PF_LOCAL },
	{ "PF_INET", PF_INET }, { "PF_INET6", PF_INET6 },
	{ "PF_NETLINK", PF_NETLINK }, { "PF_PACKET", PF_PACKET },
	{ "SOCK_STREAM", SOCK_STREAM }, { "SOCK_DGRAM", SOCK_DGRAM },
	{ "SOCK_RAW", SOCK_RAW }, { "SOCK_SEQPACKET", SOCK_SEQPACKET },
	{ "SOCK_CLOEXEC", SOCK_CLOEXEC }, { "SOCK_NONBLOCK", SOCK_NONBLOCK },
	{ "FIONREAD", FIONREAD }, { "SIOCGIFNAME", SIOCGIFNAME },
	{ "SIOCGIFINDEX", SIOCGIFINDEX },
};

/*
 * One argument as qemu prints it: a number, NULL, "name=value" (clone's
 * pointers), or flags joined by '|', each a name above or a number.
 * Returns -1 for anything else.
 */
static int
argument(char *s, uint64_t *v)
{
	char	*part, *end, *eq;
	size_t	 i;

	if ((eq = strchr(s, '=')) != NULL)
		s = eq + 1;
	if (strcmp(s, "NULL") == 0) {
		*v = 0;
		return 0;
	}
	*v = 0;
	for (part = strsep(&s, "|"); part != NULL; part = strsep(&s, "|")) {
		if (*part == '\0')
			return -1;
		errno = 0;
		if (*part == '-') {
			*v |= (uint64_t)strtoll(part, &end, 10);
			if (*end != '\0' || errno != 0)
				return -1;
			continue;
		}
		if (*part >= '0' && *part <= '9') {
			*v |= strtoull(part, &end, 0);
			if (*end != '\0' || errno != 0)
				return -1;
			continue;
		}
		for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
			if (strcmp(symbols[i].name, part) == 0)
				break;
		if (i == sizeof(symbols) / sizeof(symbols[0]))
			return -1;
		*v |= symbols[i].value;
	}
	return 0;
}

/*
 * Splits "name(a,b,...)" in place: the name stays in line, and each
 * argument that can be read sets its bit in *known; returns 0.  Returns
 * 1 for "name" alone, and for arguments with a space in them: qemu
 * prints them in pieces, and another thread's result (" = 0") can land
 * between two.  Returns -1 for a line that is neither.
 */
static int
call(char *line, uint64_t args[SANDBOX_ARGS], unsigned int *known)
{
	char		*paren, *a, *list;
	unsigned int	 i;
	size_t		 n;

	*known = 0;
	memset(args, 0, SANDBOX_ARGS * sizeof(args[0]));
	if ((paren = strchr(line, '(')) == NULL)
		return strpbrk(line, ")=, ") == NULL ? 1 : -1;
	n = strlen(paren);
	if (n < 2 || paren[n - 1] != ')' || strchr(paren + 1, '(') != NULL)
		return -1;
	*paren = '\0';
	if (strchr(paren + 1, ' ') != NULL)
		return 1;
	paren[n - 1] = '\0';
	list = paren + 1;
	for (i = 0; (a = strsep(&list, ",")) != NULL; i++)
		if (i < SANDBOX_ARGS && argument(a, &args[i]) == 0)
			*known |= 1U << i;
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct sandbox_rule	*list;
	char				 line[512], shown[512], *name, *end;
	uint64_t			 args[SANDBOX_ARGS];
	unsigned long long		 self;
	unsigned int			 known;
	long				 nr;
	size_t				 n;
	int				 bad = 0, form, verdict;

	if (argc != 3) {
		fprintf(stderr, "usage: sysallow engine|control|dns pid\n");
		return 2;
	}
	if (strcmp(argv[1], "engine") == 0)
		list = engine_syscalls;
	else if (strcmp(argv[1], "control") == 0)
		list = control_syscalls;
	else if (strcmp(argv[1], "dns") == 0)
		list = dns_syscalls;
	else {
		fprintf(stderr, "sysallow: %s?\n", argv[1]);
		return 2;
	}
	errno = 0;
	self = strtoull(argv[2], &end, 10);
	if (*end != '\0' || errno != 0 || self == 0) {
		fprintf(stderr, "sysallow: pid %s?\n", argv[2]);
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strcspn(line, "\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		memcpy(shown, line, n + 1);
		if (line[0] == '#') {
			nr = strtol(line + 1, &end, 10);
			name = NULL;
			if (end != line + 1 && *end == '\0' && nr >= 0 &&
			    nr < 100000)
				name = seccomp_syscall_resolve_num_arch(
				    SCMP_ARCH_NATIVE, (int)nr);
			/* The number alone: judged by the name. */
			verdict = name == NULL ? 0 : sandbox_allows(list, name,
			    args, 0, self) != 0;
			free(name);
		} else if ((form = call(line, args, &known)) == -1)
			verdict = -2;
		else {
			verdict = sandbox_allows(list, line, args, known, self);
			/* A call not seen whole is judged by its name. */
			if (form == 1 && verdict == -1)
				verdict = 1;
		}
		if (verdict == 1)
			continue;
		printf("%s%s\n", shown, verdict == -1 ?
		    " (an argument it checks is unreadable here)" :
		    verdict == -2 ? " (not a call)" : "");
		bad = 1;
	}
	return bad;
}
