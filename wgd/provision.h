/*
 * Managed peers (SPEC, DESIGN "Provisioning"): their keys, preshared key
 * and addresses, made once and kept in the state dir, and the client
 * files made from them.  Run by the parent.
 */

#ifndef WGD_PROVISION_H
#define WGD_PROVISION_H

#include "config.h"

int	provision(struct wgd_config *);
int	provision_write_clients(const struct wgd_config *, const char *);
void	provision_commit(const struct wgd_config *);

#endif /* WGD_PROVISION_H */
