/*
 * Interface names and indexes (an IPv6 link-local endpoint's zone) in
 * processes that may not open a socket: through one the parent gave.
 */

#ifndef WGD_IFNAME_H
#define WGD_IFNAME_H

#include <net/if.h>
#include <stdint.h>

void		 ifname_init(int);
uint32_t	 ifname_index(const char *);
char		*ifname_name(uint32_t, char [IF_NAMESIZE]);

#endif /* WGD_IFNAME_H */
