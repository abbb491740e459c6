/*
 * sysallow engine|control|dns: reads system call names, one a line (as
 * qemu-user's QEMU_STRACE names them), and prints each that the filter
 * of that child would not allow on this architecture; exits 1 if any.
 * Run under qemu-user, where the filters cannot run, it checks what the
 * ARM children call against their lists.
 */

#include <stdio.h>
#include <string.h>

#include "control.h"
#include "dns.h"
#include "engine.h"
#include "sandbox.h"

int
main(int argc, char *argv[])
{
	const struct sandbox_rule	*list;
	char				 line[128];
	size_t				 n;
	int				 bad = 0;

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
		if (n == 0 || sandbox_allows(list, line))
			continue;
		printf("%s\n", line);
		bad = 1;
	}
	return bad;
}
