/*
 * The state directory (SPEC "Files wgd writes"): generated keys, kept
 * across restarts, written so that a power cut never leaves half a key.
 */

#ifndef WGD_STATEDIR_H
#define WGD_STATEDIR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "key.h"

int	statedir_mkdir(const char *);
int	statedir_sync(const char *);
int	statedir_write(const char *, const char *, const void *, size_t);
int	statedir_write_dated(const char *, const char *, const void *, size_t,
	    const struct timespec *);
int	statedir_write_if_changed(const char *, const char *, const char *);
int	statedir_sweep(const char *);
const char	*statedir_error(void);
void	statedir_error_clear(void);
int	statedir_server_key(const char *, const char *, uint8_t [WG_KEY_LEN]);
int	statedir_read_addresses(const char *, struct wgd_prefixes *);

#endif /* WGD_STATEDIR_H */
