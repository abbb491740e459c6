/* Client configuration files of managed peers (wg-quick format). */

#ifndef WGD_CLIENTCONF_H
#define WGD_CLIENTCONF_H

#include "config.h"

char	*clientconf_text(const struct wgd_iface_conf *,
	    const struct wgd_peer_conf *, int);
size_t	 clientconf_dns(const struct wgd_iface_conf *,
	    const struct wgd_client_conf *, struct wgd_prefix *, size_t, int *);
int	 clientconf_dns_tunnel(const struct wgd_iface_conf *);
int	 clientconf_dns_auto(const struct wgd_iface_conf *);

#endif /* WGD_CLIENTCONF_H */
