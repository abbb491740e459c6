/* Client configuration files of managed peers (wg-quick format). */

#ifndef WGD_CLIENTCONF_H
#define WGD_CLIENTCONF_H

#include "config.h"

char	*clientconf_text(const struct wgd_iface_conf *,
	    const struct wgd_peer_conf *, int);

#endif /* WGD_CLIENTCONF_H */
