/*
 * Address and prefix parsing, formatting and comparison.  Parsing is
 * strict: inet_pton(3) for the address, a decimal length without sign or
 * leading zeros, nothing after it.
 */

#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"

int
addr_maxlen(int af)
{
	return af == AF_INET ? 32 : 128;
}

static size_t
addr_bytes(int af)
{
	return af == AF_INET ? 4 : 16;
}

/* A bare address: "10.0.0.1" or "fd00::1", taken as a host prefix. */
int
addr_parse(const char *s, struct wgd_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, s, &p->addr.v4) == 1)
		p->af = AF_INET;
	else if (inet_pton(AF_INET6, s, &p->addr.v6) == 1)
		p->af = AF_INET6;
	else
		return -1;
	p->plen = (uint8_t)addr_maxlen(p->af);
	return 0;
}

/* "addr/len", or a bare address meaning a host prefix. */
int
addr_parse_prefix(const char *s, struct wgd_prefix *p)
{
	char		 buf[ADDR_STRLEN];
	const char	*slash, *d;
	unsigned int	 len = 0;

	if ((slash = strchr(s, '/')) == NULL)
		return addr_parse(s, p);
	if ((size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (addr_parse(buf, p) == -1)
		return -1;

	d = slash + 1;
	if (*d == '\0' || (d[0] == '0' && d[1] != '\0'))
		return -1;
	for (; *d != '\0'; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		len = len * 10 + (unsigned int)(*d - '0');
		if (len > 128)
			return -1;
	}
	if (len > (unsigned int)addr_maxlen(p->af))
		return -1;
	p->plen = (uint8_t)len;
	return 0;
}

void
addr_format(const struct wgd_prefix *p, char *buf, size_t len)
{
	if (inet_ntop(p->af, &p->addr, buf, len) == NULL && len > 0)
		buf[0] = '\0';
}

void
addr_format_prefix(const struct wgd_prefix *p, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	addr_format(p, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
}

/* Clears the host bits: 10.0.0.5/24 becomes 10.0.0.0/24. */
void
addr_mask(struct wgd_prefix *p)
{
	size_t	 i, n = addr_bytes(p->af);

	for (i = 0; i < n; i++) {
		if (p->plen >= (i + 1) * 8)
			continue;
		if (p->plen <= i * 8)
			p->addr.bytes[i] = 0;
		else
			p->addr.bytes[i] &= (uint8_t)(0xff << (8 - p->plen % 8));
	}
}

int
addr_is_masked(const struct wgd_prefix *p)
{
	struct wgd_prefix	 m = *p;

	addr_mask(&m);
	return memcmp(&m.addr, &p->addr, sizeof(m.addr)) == 0;
}

/* Whether prefix inner lies inside prefix outer (or equals it). */
int
addr_contains(const struct wgd_prefix *outer, const struct wgd_prefix *inner)
{
	struct wgd_prefix	 a = *outer, b = *inner;

	if (a.af != b.af || b.plen < a.plen)
		return 0;
	b.plen = a.plen;
	addr_mask(&a);
	addr_mask(&b);
	return memcmp(&a.addr, &b.addr, addr_bytes(a.af)) == 0;
}

int
addr_equal(const struct wgd_prefix *a, const struct wgd_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	    memcmp(&a->addr, &b->addr, addr_bytes(a->af)) == 0;
}

/* Orders IPv4 before IPv6, then by address, then by length. */
int
addr_cmp(const struct wgd_prefix *a, const struct wgd_prefix *b)
{
	int	 c;

	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;
	if ((c = memcmp(&a->addr, &b->addr, addr_bytes(a->af))) != 0)
		return c;
	return (int)a->plen - (int)b->plen;
}

/* The same address, whatever the port. */
int
addr_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}
