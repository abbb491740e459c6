/*
 * The children's sandboxes: Landlock without filesystem rights, then a
 * seccomp filter that allows only the system calls a process makes and
 * kills it for any other.  Each process keeps its list next to its main
 * function.
 */

#ifndef WGD_SANDBOX_H
#define WGD_SANDBOX_H

#include <stdint.h>

/*
 * One allowed system call.  With arg -1 any arguments do; otherwise
 * argument arg, masked with mask when that is not 0, must equal value
 * (SANDBOX_SELF: the caller's pid), and when arg2 is not -1 argument
 * arg2 must equal value2 too.  Several entries for one call allow any
 * of them.
 */
struct sandbox_rule {
	const char	*name;
	int		 arg;
	uint64_t	 mask;
	uint64_t	 value;
	int		 arg2;
	uint64_t	 value2;
};

#define SANDBOX_SELF		UINT64_MAX
#define SANDBOX_ARGS		6	/* a system call's, as seccomp sees them */

#define SB(call)		{ #call, -1, 0, 0, -1, 0 }
#define SB_ARG(call, i, v)	{ #call, (i), 0, (v), -1, 0 }
#define SB_ARGS(call, i, v, j, w) { #call, (i), 0, (v), (j), (w) }
#define SB_MASKED(call, i, m, v) { #call, (i), (m), (v), -1, 0 }
#define SB_MASKED_ARGS(call, i, m, v, j, w) { #call, (i), (m), (v), (j), (w) }
#define SB_END			{ NULL, 0, 0, 0, -1, 0 }

void	sandbox_enter(const char *, const struct sandbox_rule *);
int	sandbox_allows(const struct sandbox_rule *, const char *,
	    const uint64_t [SANDBOX_ARGS], unsigned int, uint64_t);
const char *sandbox_misnamed(const struct sandbox_rule *);

#endif /* WGD_SANDBOX_H */
