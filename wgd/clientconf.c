/*
 * The client configuration of a managed peer: a wg-quick file made from
 * the interface's client options.  One function makes the text for the
 * state dir's peer_NAME.conf and for wgctl peer NAME conf alike.
 */

#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "clientconf.h"
#include "log.h"
#include "resolvconf.h"

#define DNS_MAX			RESOLV_MAX

/*
 * The DNS servers that a client configuration names, at most max:
 * its addresses; with tunnel, the interface's own addresses, where
 * wgd's forwarder answers; with auto, the host's upstream resolvers, or
 * the tunnel when the host has none but local ones (Pi-hole here).
 */
size_t
clientconf_dns(const struct wgd_iface_conf *ifc,
    const struct wgd_client_conf *c, struct wgd_prefix *out, size_t max,
    int *tunnel)
{
	const struct resolv	*r;
	const struct wgd_prefix	*v = NULL;
	size_t			 n = 0, i;

	*tunnel = c->dns_tunnel;
	if (c->dns_auto) {
		r = resolv_current();
		if (r->nupstream > 0) {
			v = r->upstream;
			n = r->nupstream;
		} else
			*tunnel = 1;
	} else {
		v = c->dns.v;
		n = c->dns.n;
	}
	if (*tunnel) {
		v = ifc->addresses.v;
		n = ifc->addresses.n;
	}
	for (i = 0; i < n && i < max; i++)
		out[i] = v[i];
	return i;
}

/* Whether wgd's forwarder answers for a client of this interface. */
int
clientconf_dns_tunnel(const struct wgd_iface_conf *ifc)
{
	const struct wgd_peer_conf	*peer;
	struct wgd_client_conf		 c;
	struct wgd_prefix		 dns[DNS_MAX];
	int				 tunnel;

	(void)clientconf_dns(ifc, &ifc->client, dns, DNS_MAX, &tunnel);
	if (tunnel)
		return 1;
	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (peer->has_pubkey)
			continue;
		config_peer_client(ifc, peer, &c);
		(void)clientconf_dns(ifc, &c, dns, DNS_MAX, &tunnel);
		if (tunnel)
			return 1;
	}
	return 0;
}

/* Whether a client configuration of this interface says dns auto. */
int
clientconf_dns_auto(const struct wgd_iface_conf *ifc)
{
	const struct wgd_peer_conf	*peer;
	struct wgd_client_conf		 c;

	if (ifc->client.dns_auto)
		return 1;
	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (peer->has_pubkey)
			continue;
		config_peer_client(ifc, peer, &c);
		if (c.dns_auto)
			return 1;
	}
	return 0;
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
	char				 b64[WG_KEY_LEN_BASE64];
	char				*buf = NULL;
	uint8_t				 pub[WG_KEY_LEN];
	size_t				 len = 0, ndns, i, nhosts;
	int				 tunnel;

	config_peer_client(ifc, peer, &merged);
	nhosts = peer->prov_addresses.n < 16 ? peer->prov_addresses.n : 16;
	for (i = 0; i < nhosts; i++)
		hosts[i] = peer->prov_addresses.v[i];
	append(&buf, &len, "[Interface]\n");
	append_list(&buf, &len, "Address", hosts, nhosts, 0);
	key_to_base64(b64, peer->prov_private);
	append(&buf, &len, "PrivateKey = %s\n", b64);

	ndns = clientconf_dns(ifc, c, dns, DNS_MAX, &tunnel);
	if (ndns > 0)
		append_list(&buf, &len, "DNS", dns, ndns, 1);
	for (i = 0; warn && i < ndns; i++) {
		if (!dns_routed(c, &dns[i])) {
			addr_format(&dns[i], b64, sizeof(b64));
			log_warnx("peer %s: DNS %s is outside its client "
			    "allowed-ips: it cannot reach it through the "
			    "tunnel", peer->name, b64);
		}
		if (peer->forward_to_set && !dns_allowed(ifc, peer, &dns[i])) {
			addr_format(&dns[i], b64, sizeof(b64));
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
