/*
 * The configuration in canonical form, for wgd -nv: every option with
 * its effective value, in a fixed order.  Secrets are never printed: a
 * key shows where it comes from, not what it is.
 */

#include <stdio.h>

#include "config.h"

static void
print_prefixes(FILE *fp, const char *kw, const struct wgd_prefixes *l,
    int bare, const char *indent)
{
	char	 s[ADDR_STRLEN];
	size_t	 i;

	if (l->n == 0)
		return;
	fprintf(fp, "%s%s ", indent, kw);
	if (l->n > 1)
		fprintf(fp, "{ ");
	for (i = 0; i < l->n; i++) {
		if (bare)
			addr_format(&l->v[i], s, sizeof(s));
		else
			addr_format_prefix(&l->v[i], s, sizeof(s));
		fprintf(fp, "%s%s", i > 0 ? ", " : "", s);
	}
	fprintf(fp, "%s\n", l->n > 1 ? " }" : "");
}

static void
print_secret(FILE *fp, const char *kw, enum key_source src,
    const char *path, const char *indent)
{
	switch (src) {
	case KEY_INLINE:
		fprintf(fp, "%s%s (inline)\n", indent, kw);
		break;
	case KEY_FILE:
		fprintf(fp, "%s%s file \"%s\"\n", indent, kw, path);
		break;
	case KEY_NONE:
		break;
	}
}

/*
 * Client options: all of the interface's (port 0 is its listen port),
 * or those a peer sets for itself.
 */
static void
print_client(FILE *fp, const struct wgd_client_conf *c, uint16_t port,
    int only_set, const char *indent)
{
	if (c->endpoint_host[0] != '\0' && (!only_set || c->endpoint_set))
		fprintf(fp, "%sclient endpoint \"%s\" port %u\n", indent,
		    c->endpoint_host,
		    c->endpoint_port != 0 ? c->endpoint_port : port);
	if (!only_set || c->dns_set) {
		if (c->dns_auto)
			fprintf(fp, "%sclient dns auto\n", indent);
		else if (c->dns_tunnel)
			fprintf(fp, "%sclient dns tunnel\n", indent);
		else
			print_prefixes(fp, "client dns", &c->dns, 1, indent);
	}
	if (!only_set || c->allowed_ips_set)
		print_prefixes(fp, "client allowed-ips", &c->allowed_ips, 0,
		    indent);
	if ((!only_set && c->keepalive != 0) || (only_set && c->keepalive_set))
		fprintf(fp, "%sclient persistent-keepalive %u\n", indent,
		    c->keepalive);
}

static void
print_peer(FILE *fp, const struct wgd_peer_conf *peer, uint16_t port)
{
	const struct wgd_client_conf	*c = &peer->client;
	char				 pub[WG_KEY_LEN_BASE64];

	/* A managed peer without options is one line, as written. */
	if (!peer->has_pubkey && peer->addresses.n == 0 &&
	    peer->allowed_ips.n == 0 && peer->endpoint_host[0] == '\0' &&
	    peer->keepalive == 0 && !peer->disabled &&
	    !peer->forward_to_set && !c->endpoint_set &&
	    !c->dns_set && !c->allowed_ips_set && !c->keepalive_set) {
		fprintf(fp, "\tpeer \"%s\"\n", peer->name);
		return;
	}
	fprintf(fp, "\tpeer \"%s\" {\n", peer->name);
	if (peer->has_pubkey) {
		key_to_base64(pub, peer->pubkey);
		fprintf(fp, "\t\tpublic-key \"%s\"\n", pub);
	}
	print_secret(fp, "preshared-key", peer->psk_source, peer->psk_file,
	    "\t\t");
	print_prefixes(fp, "address", &peer->addresses, 1, "\t\t");
	print_prefixes(fp, "allowed-ips", &peer->allowed_ips, 0, "\t\t");
	if (peer->endpoint_host[0] != '\0')
		fprintf(fp, "\t\tendpoint \"%s\" port %u\n",
		    peer->endpoint_host, peer->endpoint_port);
	if (peer->keepalive != 0)
		fprintf(fp, "\t\tpersistent-keepalive %u\n", peer->keepalive);
	print_client(fp, c, port, 1, "\t\t");
	print_prefixes(fp, "forward-to", &peer->forward_to, 0, "\t\t");
	if (peer->disabled)
		fprintf(fp, "\t\tdisable\n");
	fprintf(fp, "\t}\n");
}

void
print_config(FILE *fp, const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*iface;
	const struct wgd_peer_conf	*peer;

	fprintf(fp, "user \"%s\"\n", conf->user);
	fprintf(fp, "socket \"%s\"\n", conf->socket);
	if (conf->rsocket[0] != '\0')
		fprintf(fp, "socket \"%s\" restricted\n", conf->rsocket);
	fprintf(fp, "state-dir \"%s\"\n", conf->state_dir);
	fprintf(fp, "engine-threads %u\n", conf->engine_threads);

	TAILQ_FOREACH(iface, &conf->ifaces, entry) {
		fprintf(fp, "\ninterface \"%s\" {\n", iface->name);
		if (iface->key_source == KEY_NONE)
			fprintf(fp, "\t# private-key generated in %s/%s/server\n",
			    conf->state_dir, iface->name);
		else
			print_secret(fp, "private-key", iface->key_source,
			    iface->key_file, "\t");
		fprintf(fp, "\tlisten-port %u\n", iface->listen_port);
		print_prefixes(fp, "address", &iface->addresses, 0, "\t");
		fprintf(fp, "\tmtu %u\n", iface->mtu);
		if (iface->masquerade[0] != '\0')
			fprintf(fp, "\tmasquerade on \"%s\"\n",
			    iface->masquerade);
		print_client(fp, &iface->client, iface->listen_port, 0, "\t");
		TAILQ_FOREACH(peer, &iface->peers, entry)
			print_peer(fp, peer, iface->listen_port);
		fprintf(fp, "}\n");
	}
}
