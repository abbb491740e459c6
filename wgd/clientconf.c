/*
 * The client configuration of a managed peer: a wg-quick file made from
 * the interface's client options.  One function makes the text for the
 * state dir's peer_NAME.conf and for wgctl peer NAME conf alike.
 */

#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "clientconf.h"
#include "log.h"

#define RESOLV_CONF		"/etc/resolv.conf"
#define RESOLV_CONF_RESOLVED	"/run/systemd/resolve/resolv.conf"
#define DNS_MAX			8

/* The non-loopback nameservers of a resolv.conf file. */
static size_t
read_nameservers(const char *path, struct wgd_prefix *out, size_t max,
    int *loopback)
{
	FILE			*fp;
	char			 line[512], *p, *addr;
	struct wgd_prefix	 a;
	size_t			 n = 0;

	*loopback = 0;
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (strncmp(p, "nameserver", 10) != 0 ||
		    !isspace((unsigned char)p[10]))
			continue;
		for (p += 10; isspace((unsigned char)*p); p++)
			;
		addr = p;
		while (*p != '\0' && !isspace((unsigned char)*p) && *p != '%')
			p++;
		*p = '\0';
		if (addr_parse(addr, &a) == -1)
			continue;
		if ((a.af == AF_INET && a.addr.bytes[0] == 127) ||
		    (a.af == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a.addr.v6))) {
			*loopback = 1;
			continue;
		}
		out[n++] = a;
	}
	fclose(fp);
	return n;
}

/*
 * client dns auto: the host's own upstream resolvers.  When resolv.conf
 * names only a local stub (systemd-resolved), the stub's upstreams.
 */
static size_t
dns_auto(struct wgd_prefix *out, size_t max)
{
	size_t	 n;
	int	 loopback;

	n = read_nameservers(RESOLV_CONF, out, max, &loopback);
	if (n == 0 && loopback)
		n = read_nameservers(RESOLV_CONF_RESOLVED, out, max,
		    &loopback);
	return n;
}

static void
append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *nbuf;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (n == -1 || (nbuf = realloc(*buf, *len + n + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(nbuf + *len, more, n + 1);
	*len += n;
	*buf = nbuf;
	sodium_memzero(more, n);
	free(more);
}

static void
append_list(char **buf, size_t *len, const char *key,
    const struct wgd_prefix *v, size_t n, int host)
{
	char	 s[ADDR_STRLEN];
	size_t	 i;

	append(buf, len, "%s = ", key);
	for (i = 0; i < n; i++) {
		if (host)
			addr_format(&v[i], s, sizeof(s));
		else
			addr_format_prefix(&v[i], s, sizeof(s));
		append(buf, len, "%s%s", i > 0 ? ", " : "", s);
	}
	append(buf, len, "\n");
}

/*
 * Whether the client would reach a DNS server through the tunnel: its
 * AllowedIPs must hold the address.
 */
static int
dns_routed(const struct wgd_client_conf *c, const struct wgd_prefix *dns)
{
	size_t	 i;

	for (i = 0; i < c->allowed_ips.n; i++)
		if (addr_contains(&c->allowed_ips.v[i], dns))
			return 1;
	return 0;
}

/*
 * Whether a peer limited by forward-to may reach a DNS server: listed,
 * or one of the interface's own addresses.
 */
static int
dns_allowed(const struct wgd_iface_conf *ifc,
    const struct wgd_peer_conf *peer, const struct wgd_prefix *dns)
{
	size_t	 i;

	for (i = 0; i < peer->forward_to.n; i++)
		if (addr_contains(&peer->forward_to.v[i], dns))
			return 1;
	for (i = 0; i < ifc->addresses.n; i++)
		if (ifc->addresses.v[i].af == dns->af &&
		    memcmp(&ifc->addresses.v[i].addr, &dns->addr,
		    dns->af == AF_INET ? 4 : 16) == 0)
			return 1;
	return 0;
}

/*
 * The wg-quick text of a provisioned managed peer, malloc'd: the caller
 * wipes it (it holds the peer's private key) and frees it.  Warnings go
 * to the log when warn is set (the state-dir writer), not for wgctl.
 */
char *
clientconf_text(const struct wgd_iface_conf *ifc,
    const struct wgd_peer_conf *peer, int warn)
{
	struct wgd_client_conf		 merged;
	const struct wgd_client_conf	*c = &merged;
	struct wgd_prefix		 dns[DNS_MAX], hosts[16];
	const struct wgd_prefix		*dnsv;
	char				 b64[WG_KEY_LEN_BASE64];
	char				*buf = NULL;
	uint8_t				 pub[WG_KEY_LEN];
	size_t				 len = 0, ndns, i, nhosts;

	config_peer_client(ifc, peer, &merged);
	nhosts = peer->prov_addresses.n < 16 ? peer->prov_addresses.n : 16;
	for (i = 0; i < nhosts; i++)
		hosts[i] = peer->prov_addresses.v[i];
	append(&buf, &len, "[Interface]\n");
	append_list(&buf, &len, "Address", hosts, nhosts, 0);
	key_to_base64(b64, peer->prov_private);
	append(&buf, &len, "PrivateKey = %s\n", b64);

	if (c->dns_auto) {
		ndns = dns_auto(dns, DNS_MAX);
		dnsv = dns;
		if (ndns == 0 && warn)
			log_warnx("interface %s: client dns auto found no "
			    "nameserver in %s: client configurations have no "
			    "DNS line", ifc->name, RESOLV_CONF);
	} else {
		ndns = c->dns.n;
		dnsv = c->dns.v;
	}
	if (ndns > 0)
		append_list(&buf, &len, "DNS", dnsv, ndns, 1);
	for (i = 0; warn && i < ndns; i++) {
		if (!dns_routed(c, &dnsv[i])) {
			addr_format(&dnsv[i], b64, sizeof(b64));
			log_warnx("peer %s: DNS %s is outside its client "
			    "allowed-ips: it cannot reach it through the "
			    "tunnel", peer->name, b64);
		}
		if (peer->forward_to_set && !dns_allowed(ifc, peer, &dnsv[i])) {
			addr_format(&dnsv[i], b64, sizeof(b64));
			log_warnx("peer %s: DNS %s is outside its forward-to: "
			    "its queries will be dropped", peer->name, b64);
		}
	}

	append(&buf, &len, "\n[Peer]\n");
	if (key_public_from_private(pub, ifc->privkey) == -1)
		fatalx("interface %s: unusable private key", ifc->name);
	key_to_base64(b64, pub);
	append(&buf, &len, "PublicKey = %s\n", b64);
	key_to_base64(b64, peer->prov_psk);
	append(&buf, &len, "PresharedKey = %s\n", b64);
	if (c->endpoint_host[0] != '\0')
		append(&buf, &len, strchr(c->endpoint_host, ':') != NULL ?
		    "Endpoint = [%s]:%u\n" : "Endpoint = %s:%u\n",
		    c->endpoint_host, c->endpoint_port != 0 ?
		    c->endpoint_port : ifc->listen_port);
	else if (warn)
		log_warnx("interface %s: no client endpoint: client "
		    "configurations have no Endpoint line", ifc->name);
	append_list(&buf, &len, "AllowedIPs", c->allowed_ips.v,
	    c->allowed_ips.n, 0);
	if (c->keepalive != 0)
		append(&buf, &len, "PersistentKeepalive = %u\n", c->keepalive);
	sodium_memzero(b64, sizeof(b64));
	return buf;
}
