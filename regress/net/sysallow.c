/*
 * sysallow engine|control|dns: reads system call names, one a line (as
 * qemu-user's QEMU_STRACE names them), or #N for a call qemu knows
 * only by its number, and prints each that the filter of that child
 * would not allow on this architecture; exits 1 if any.  Run under
 * qemu-user, where the filters cannot run, it checks what the ARM
 * children call against their lists.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "control.h"
#include "dns.h"
#include "engine.h"
#include "sandbox.h"

int
main(int argc, char *argv[])
{
	const struct sandbox_rule	*list;
	char				 line[128], *name, *end;
	long				 nr;
	size_t				 n;
	int				 bad = 0, allowed;

	if (argc != 2) {
		fprintf(stderr, "usage: sysallow engine|control|dns\n");
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
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strcspn(line, "\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		if (line[0] != '#')
			allowed = sandbox_allows(list, line);
		else {
			nr = strtol(line + 1, &end, 10);
			name = NULL;
			if (end != line + 1 && *end == '\0' && nr >= 0 &&
			    nr < 100000)
				name = seccomp_syscall_resolve_num_arch(
				    SCMP_ARCH_NATIVE, (int)nr);
			allowed = name != NULL && sandbox_allows(list, name);
			free(name);
		}
		if (allowed)
			continue;
		printf("%s\n", line);
		bad = 1;
	}
	return bad;
}
