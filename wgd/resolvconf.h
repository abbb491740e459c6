/*
 * The host's resolvers, as the parent reads them from resolv.conf and
 * systemd-resolved's file, kept current while wgd runs.
 */

#ifndef WGD_RESOLVCONF_H
#define WGD_RESOLVCONF_H

#include "addr.h"

#define RESOLV_MAX		8

struct resolv {
	/* Where the DNS forwarder sends queries: loopback ones included. */
	struct wgd_prefix	 servers[RESOLV_MAX];
	size_t			 nservers;
	/* client dns auto: the upstream ones; none means the tunnel. */
	struct wgd_prefix	 upstream[RESOLV_MAX];
	size_t			 nupstream;
};

const struct resolv	*resolv_current(void);
int			 resolv_reread(void);
void			 resolv_watch(void (*)(void *), void *);

#endif /* WGD_RESOLVCONF_H */
