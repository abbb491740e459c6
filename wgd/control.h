/* The control process: wgctl's connections, routed to engine or parent. */

#ifndef WGD_CONTROL_H
#define WGD_CONTROL_H

#include "sandbox.h"

extern const struct sandbox_rule control_syscalls[];

void	control_main(int, int) __attribute__((__noreturn__));

#endif /* WGD_CONTROL_H */
