/* The DNS forwarder process, `wgd: dns`. */

#ifndef WGD_DNS_H
#define WGD_DNS_H

#include "sandbox.h"

extern const struct sandbox_rule dns_syscalls[];

void	dns_main(int, int) __attribute__((__noreturn__));

#endif /* WGD_DNS_H */
