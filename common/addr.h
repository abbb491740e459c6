/*
 * IP addresses and prefixes, IPv4 and IPv6, as the configuration, the
 * netlink code, cryptokey routing and wgctl see them.
 */

#ifndef WGD_ADDR_H
#define WGD_ADDR_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

/* Big enough for "ffff:...:ffff/128" and a NUL. */
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + 4)

struct wgd_prefix {
	uint8_t		 af;		/* AF_INET or AF_INET6 */
	uint8_t		 plen;		/* 0-32 or 0-128 */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
		uint8_t		 bytes[16];
	}		 addr;
};

int	addr_parse(const char *, struct wgd_prefix *);
int	addr_parse_prefix(const char *, struct wgd_prefix *);
void	addr_format(const struct wgd_prefix *, char *, size_t);
void	addr_format_prefix(const struct wgd_prefix *, char *, size_t);
int	addr_maxlen(int);
void	addr_mask(struct wgd_prefix *);
int	addr_is_masked(const struct wgd_prefix *);
int	addr_contains(const struct wgd_prefix *, const struct wgd_prefix *);
int	addr_equal(const struct wgd_prefix *, const struct wgd_prefix *);
int	addr_cmp(const struct wgd_prefix *, const struct wgd_prefix *);

struct sockaddr;
int	addr_same_host(const struct sockaddr *, const struct sockaddr *);

#endif /* WGD_ADDR_H */
