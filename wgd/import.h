/*
 * wgd -i: adopt the keys, preshared keys and addresses of an existing
 * linuxserver/IOTstack WireGuard /config folder, so that the phones set
 * up with the container keep working without a new QR code.
 */

#ifndef WGD_IMPORT_H
#define WGD_IMPORT_H

#include "config.h"

int	import_container(const char *, const struct wgd_config *);

#endif /* WGD_IMPORT_H */
