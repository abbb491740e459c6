/*
 * Cryptokey routing: a longest-prefix-match table from IPv4 and IPv6
 * prefixes to peers.  The engine asks it which peer a packet read from
 * the TUN device goes to (its destination), and whether a decrypted
 * packet may come from the peer that sent it (its source must map back
 * to that peer).  A peer is an opaque pointer the table never follows.
 *
 * One thread at a time; lookups neither allocate nor recurse.
 */

#ifndef WGD_ALLOWEDIPS_H
#define WGD_ALLOWEDIPS_H

#include <stdint.h>

#include "addr.h"

struct allowedips_node;

struct allowedips {
	struct allowedips_node	*root4;
	struct allowedips_node	*root6;
};

void	 allowedips_init(struct allowedips *);
void	 allowedips_free(struct allowedips *);
int	 allowedips_insert(struct allowedips *, const struct wgd_prefix *,
	    void *);
int	 allowedips_remove(struct allowedips *, const struct wgd_prefix *,
	    void *);
void	 allowedips_remove_peer(struct allowedips *, void *);
int	 allowedips_insert_aux(struct allowedips *,
	    const struct wgd_prefix *, void *, uint32_t);
void	*allowedips_exact(const struct allowedips *,
	    const struct wgd_prefix *, uint32_t *);
void	*allowedips_lookup(const struct allowedips *, int, const uint8_t *);
int	 allowedips_walk(const struct allowedips *, void *,
	    int (*)(const struct wgd_prefix *, void *, void *), void *);

#endif /* WGD_ALLOWEDIPS_H */
