/*
 * Building, checking and freeing a struct wgd_config.  parse.y checks
 * each statement as it reads it; config_check() does what needs the whole
 * file: duplicates, overlaps and addresses against subnets.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define KEY_FILE_MAX	1024	/* a key and white space; more is not a key */

struct wgd_config *
config_new(void)
{
	struct wgd_config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	TAILQ_INIT(&conf->ifaces);
	return conf;
}

static void
peer_free(struct wgd_peer_conf *peer)
{
	prefixes_free(&peer->client.dns);
	prefixes_free(&peer->client.allowed_ips);
	prefixes_free(&peer->forward_to);
	prefixes_free(&peer->allowed_ips);
	prefixes_free(&peer->addresses);
	prefixes_free(&peer->prov_addresses);
	free(peer->where.file);
	explicit_bzero(peer, sizeof(*peer));
	free(peer);
}

static void
iface_free(struct wgd_iface_conf *iface)
{
	struct wgd_peer_conf	*peer;

	while ((peer = TAILQ_FIRST(&iface->peers)) != NULL) {
		TAILQ_REMOVE(&iface->peers, peer, entry);
		peer_free(peer);
	}
	prefixes_free(&iface->addresses);
	prefixes_free(&iface->client.dns);
	prefixes_free(&iface->client.allowed_ips);
	free(iface->where.file);
	explicit_bzero(iface, sizeof(*iface));
	free(iface);
}

/* Frees everything, wiping the keys it holds. */
void
config_free(struct wgd_config *conf)
{
	struct wgd_iface_conf	*iface;

	if (conf == NULL)
		return;
	while ((iface = TAILQ_FIRST(&conf->ifaces)) != NULL) {
		TAILQ_REMOVE(&conf->ifaces, iface, entry);
		iface_free(iface);
	}
	free(conf);
}

struct wgd_iface_conf *
config_iface_new(struct wgd_config *conf, const char *name)
{
	struct wgd_iface_conf	*iface;

	if ((iface = calloc(1, sizeof(*iface))) == NULL)
		return NULL;
	strlcpy(iface->name, name, sizeof(iface->name));
	TAILQ_INIT(&iface->peers);
	TAILQ_INSERT_TAIL(&conf->ifaces, iface, entry);
	return iface;
}

struct wgd_peer_conf *
config_peer_new(struct wgd_iface_conf *iface, const char *name)
{
	struct wgd_peer_conf	*peer;

	if ((peer = calloc(1, sizeof(*peer))) == NULL)
		return NULL;
	strlcpy(peer->name, name, sizeof(peer->name));
	TAILQ_INSERT_TAIL(&iface->peers, peer, entry);
	return peer;
}

/*
 * The client options a managed peer's configuration is made of: its
 * own where it has them, the interface's otherwise.  out shares the
 * lists of the two; it is not freed.
 */
void
config_peer_client(const struct wgd_iface_conf *ifc,
    const struct wgd_peer_conf *peer, struct wgd_client_conf *out)
{
	const struct wgd_client_conf	*p = &peer->client;

	*out = ifc->client;
	if (p->endpoint_set) {
		strlcpy(out->endpoint_host, p->endpoint_host,
		    sizeof(out->endpoint_host));
		out->endpoint_port = p->endpoint_port;
	}
	if (p->dns_set) {
		out->dns_auto = p->dns_auto;
		out->dns_tunnel = p->dns_tunnel;
		out->dns = p->dns;
	}
	if (p->allowed_ips_set)
		out->allowed_ips = p->allowed_ips;
	if (p->keepalive_set)
		out->keepalive = p->keepalive;
}

/* What an option left out means. */
void
config_defaults(struct wgd_config *conf)
{
	struct wgd_iface_conf	*iface;
	struct wgd_prefix	 any;

	if (conf->user[0] == '\0')
		strlcpy(conf->user, WGD_USER, sizeof(conf->user));
	if (conf->socket[0] == '\0')
		strlcpy(conf->socket, WGD_SOCKET, sizeof(conf->socket));
	if (conf->state_dir[0] == '\0')
		strlcpy(conf->state_dir, WGD_STATE_DIR,
		    sizeof(conf->state_dir));
	TAILQ_FOREACH(iface, &conf->ifaces, entry) {
		if (iface->listen_port == 0)
			iface->listen_port = WGD_PORT;
		if (iface->mtu == 0)
			iface->mtu = WGD_MTU;
		if (!iface->client.allowed_ips_set &&
		    iface->client.allowed_ips.n == 0) {
			(void)addr_parse_prefix("0.0.0.0/0", &any);
			(void)prefixes_add(&iface->client.allowed_ips, &any);
			(void)addr_parse_prefix("::/0", &any);
			(void)prefixes_add(&iface->client.allowed_ips, &any);
		}
	}
}

int
prefixes_add(struct wgd_prefixes *l, const struct wgd_prefix *p)
{
	struct wgd_prefix	*v;

	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	l->v[l->n++] = *p;
	return 0;
}

void
prefixes_free(struct wgd_prefixes *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* SPEC: 1-64 characters of A-Za-z0-9._- */
int
conf_valid_peer_name(const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len > WGD_PEER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return 0;
	return 1;
}

/*
 * wgd ifname: one interface that wg(8) configures, with wireguard-go's
 * defaults: MTU 1420, any free port, no key, no address, no peer; the
 * user _wgd, or nobody where there is no _wgd.
 */
struct wgd_config *
config_standalone(const char *name)
{
	struct wgd_config	*conf;
	struct wgd_iface_conf	*iface;

	if (!conf_valid_ifname(name) || (conf = config_new()) == NULL)
		return NULL;
	if ((iface = config_iface_new(conf, name)) == NULL) {
		config_free(conf);
		return NULL;
	}
	iface->mtu = WGD_MTU;
	strlcpy(conf->user, getpwnam(WGD_USER) != NULL ? WGD_USER : "nobody",
	    sizeof(conf->user));
	conf->engine_threads = 0;
	return conf;
}

/* What Linux accepts as a device name (dev_valid_name()). */
int
conf_valid_ifname(const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' ||
		    isspace((unsigned char)name[i]))
			return 0;
	return 1;
}

/*
 * Reads a key file as wg(8) reads one: a base64 key, then only white
 * space.  The file must be a regular file owned by root or by us, and
 * neither group nor others may read it.  Returns 0, or -1 with why in
 * err.
 */
int
conf_read_key_file(const char *path, uint8_t key[WG_KEY_LEN], char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 buf[KEY_FILE_MAX + 1];
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) ==
	    -1) {
		snprintf(err, errlen, "key file \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "key file \"%s\": %s", path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file \"%s\" is not a regular file",
		    path);
		goto done;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "key file \"%s\" is owned by uid %u, "
		    "not root", path, (unsigned int)st.st_uid);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "key file \"%s\" is readable by group "
		    "or others (chmod 600 it)", path);
		goto done;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "key file \"%s\": %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += n;
	}
	while (len > 0 && (isspace((unsigned char)buf[len - 1]) ||
	    buf[len - 1] == '\0'))
		len--;
	if (len > KEY_FILE_MAX) {
		snprintf(err, errlen, "key file \"%s\" does not hold a key",
		    path);
		goto done;
	}
	buf[len] = '\0';
	if (key_from_base64(key, buf) == -1) {
		snprintf(err, errlen, "key file \"%s\" does not hold a key "
		    "(44 characters of base64)", path);
		goto done;
	}
	rv = 0;
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rv;
}

void
conf_msg(struct conf_msgs *msgs, int warning, const struct conf_where *w,
    const char *fmt, ...)
{
	struct conf_msg	*m;
	va_list		 ap;
	char		*text;
	int		 rv;

	va_start(ap, fmt);
	rv = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (rv == -1 || (m = calloc(1, sizeof(*m))) == NULL)
		goto fail;
	m->warning = warning;
	if (asprintf(&m->text, "%s:%d: %s%s", w->file, w->line,
	    warning ? "warning: " : "", text) == -1) {
		free(m);
		goto fail;
	}
	free(text);
	TAILQ_INSERT_TAIL(msgs, m, entry);
	return;
fail:
	if (rv != -1)
		free(text);
	/* Better a generic line than a silently accepted bad file. */
	if ((m = calloc(1, sizeof(*m))) != NULL &&
	    (m->text = strdup("out of memory")) != NULL) {
		m->warning = warning;
		TAILQ_INSERT_TAIL(msgs, m, entry);
	} else
		free(m);
}

int
conf_msgs_errors(const struct conf_msgs *msgs)
{
	const struct conf_msg	*m;
	int			 n = 0;

	TAILQ_FOREACH(m, msgs, entry)
		if (!m->warning)
			n++;
	return n;
}

void
conf_msgs_print(const struct conf_msgs *msgs, FILE *fp)
{
	const struct conf_msg	*m;

	TAILQ_FOREACH(m, msgs, entry)
		fprintf(fp, "%s\n", m->text);
}

void
conf_msgs_free(struct conf_msgs *msgs)
{
	struct conf_msg	*m;

	while ((m = TAILQ_FIRST(msgs)) != NULL) {
		TAILQ_REMOVE(msgs, m, entry);
		free(m->text);
		free(m);
	}
}

static int
is_net_or_broadcast(const struct wgd_prefix *subnet,
    const struct wgd_prefix *a)
{
	struct wgd_prefix	 host = *a, net = *subnet;
	int			 max = addr_maxlen(a->af), i, allones = 1;

	if (subnet->plen >= max - 1)
		return 0;	/* /31, /32, /127, /128 have neither */
	net.plen = subnet->plen;
	addr_mask(&net);
	host.plen = max;
	if (memcmp(&net.addr, &host.addr, sizeof(net.addr)) == 0)
		return 1;
	if (a->af != AF_INET)
		return 0;	/* IPv6 has no broadcast */
	for (i = subnet->plen; i < max; i++)
		if (!(a->addr.bytes[i / 8] & (0x80 >> (i % 8))))
			allones = 0;
	return allones;
}

/* A managed peer's fixed address: inside a subnet, not taken. */
static void
check_fixed_address(struct wgd_iface_conf *iface, struct wgd_peer_conf *peer,
    const struct wgd_prefix *a, struct conf_msgs *msgs)
{
	const struct wgd_prefix	*subnet = NULL;
	struct wgd_peer_conf	*other;
	char			 s[ADDR_STRLEN];
	size_t			 i;

	addr_format(a, s, sizeof(s));
	for (i = 0; i < iface->addresses.n; i++) {
		if (addr_contains(&iface->addresses.v[i], a) &&
		    (subnet == NULL ||
		    iface->addresses.v[i].plen > subnet->plen))
			subnet = &iface->addresses.v[i];
		if (iface->addresses.v[i].af == a->af &&
		    memcmp(&iface->addresses.v[i].addr, &a->addr,
		    sizeof(a->addr)) == 0) {
			conf_msg(msgs, 0, &peer->where, "peer \"%s\": address "
			    "%s is the interface's own", peer->name, s);
			return;
		}
	}
	if (subnet == NULL) {
		conf_msg(msgs, 0, &peer->where, "peer \"%s\": address %s is "
		    "outside every subnet of interface \"%s\"", peer->name, s,
		    iface->name);
		return;
	}
	if (is_net_or_broadcast(subnet, a)) {
		conf_msg(msgs, 0, &peer->where, "peer \"%s\": address %s is "
		    "the network or broadcast address of its subnet",
		    peer->name, s);
		return;
	}
	TAILQ_FOREACH(other, &iface->peers, entry) {
		if (other == peer)
			break;
		for (i = 0; i < other->addresses.n; i++)
			if (addr_equal(&other->addresses.v[i], a))
				conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
				    "address %s is already peer \"%s\"'s",
				    peer->name, s, other->name);
		/*
		 * The address is routed to its peer as a host prefix: the
		 * same prefix in another peer's allowed-ips would take its
		 * packets (the table keeps one peer per prefix).
		 */
		for (i = 0; i < other->allowed_ips.n; i++)
			if (addr_equal(&other->allowed_ips.v[i], a))
				conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
				    "address %s is already routed to peer "
				    "\"%s\" (its allowed-ips %s/%u)",
				    peer->name, s, other->name, s, a->plen);
	}
}

/*
 * The routes of one interface: every allowed-ips prefix and fixed
 * address of its peers.  Two peers may not claim the same one; nested
 * prefixes are fine (the longest prefix wins).
 */
static void
check_routes(struct wgd_iface_conf *iface, struct wgd_peer_conf *peer,
    const struct wgd_prefix *p, struct conf_msgs *msgs)
{
	struct wgd_peer_conf	*other;
	char			 s[ADDR_STRLEN];
	size_t			 i;

	TAILQ_FOREACH(other, &iface->peers, entry) {
		if (other == peer)
			break;
		for (i = 0; i < other->allowed_ips.n; i++) {
			if (!addr_equal(&other->allowed_ips.v[i], p))
				continue;
			addr_format_prefix(p, s, sizeof(s));
			conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
			    "allowed-ips %s is already peer \"%s\"'s",
			    peer->name, s, other->name);
		}
		/* A fixed address is its peer's host prefix. */
		for (i = 0; i < other->addresses.n; i++) {
			if (!addr_equal(&other->addresses.v[i], p))
				continue;
			addr_format_prefix(p, s, sizeof(s));
			conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
			    "allowed-ips %s is already peer \"%s\"'s address",
			    peer->name, s, other->name);
		}
	}
}

/*
 * A prefix of peer on iface that an earlier interface's peer routes
 * too.  Default routes are never installed, so they may repeat.
 */
static void
check_route_elsewhere(struct wgd_config *conf, struct wgd_iface_conf *iface,
    struct wgd_peer_conf *peer, const struct wgd_prefix *p,
    struct conf_msgs *msgs)
{
	struct wgd_iface_conf	*other;
	struct wgd_peer_conf	*op;
	char			 s[ADDR_STRLEN];
	size_t			 i;

	if (p->plen == 0)
		return;
	TAILQ_FOREACH(other, &conf->ifaces, entry) {
		if (other == iface)
			return;
		TAILQ_FOREACH(op, &other->peers, entry)
			for (i = 0; i < op->allowed_ips.n; i++) {
				if (!addr_equal(&op->allowed_ips.v[i], p))
					continue;
				addr_format_prefix(p, s, sizeof(s));
				conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
				    "allowed-ips %s is already routed to peer "
				    "\"%s\" of interface \"%s\"", peer->name,
				    s, op->name, other->name);
			}
	}
}

/* Whether a peer earlier in the file has the same name. */
static int
peer_named_before(struct wgd_config *conf, const struct wgd_peer_conf *peer)
{
	struct wgd_iface_conf	*iface;
	struct wgd_peer_conf	*p;

	TAILQ_FOREACH(iface, &conf->ifaces, entry)
		TAILQ_FOREACH(p, &iface->peers, entry) {
			if (p == peer)
				return 0;
			if (strcmp(p->name, peer->name) == 0)
				return 1;
		}
	return 0;
}

int
config_check(struct wgd_config *conf, struct conf_msgs *msgs)
{
	struct wgd_iface_conf	*iface, *i2;
	struct wgd_peer_conf	*peer, *p2;
	char			 pub[WG_KEY_LEN_BASE64];
	size_t			 i;
	int			 has_v6;

	TAILQ_FOREACH(iface, &conf->ifaces, entry) {
		TAILQ_FOREACH(i2, &conf->ifaces, entry) {
			if (i2 == iface)
				break;
			if (strcmp(i2->name, iface->name) == 0)
				conf_msg(msgs, 0, &iface->where, "duplicate "
				    "interface \"%s\"", iface->name);
			else if (i2->listen_port == iface->listen_port)
				conf_msg(msgs, 0, &iface->where, "interface "
				    "\"%s\": listen-port %u is already "
				    "interface \"%s\"'s", iface->name,
				    iface->listen_port, i2->name);
		}
		has_v6 = 0;
		for (i = 0; i < iface->addresses.n; i++)
			if (iface->addresses.v[i].af == AF_INET6)
				has_v6 = 1;
		if (has_v6 && iface->mtu < WGD_MTU_MIN_IPV6)
			conf_msg(msgs, 0, &iface->where, "interface \"%s\": "
			    "mtu %u is too small for IPv6 (at least %d)",
			    iface->name, iface->mtu, WGD_MTU_MIN_IPV6);

		TAILQ_FOREACH(peer, &iface->peers, entry) {
			if (peer->managed && iface->addresses.n == 0)
				conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
				    "interface \"%s\" has no address to give a "
				    "managed peer one", peer->name, iface->name);
			for (i = 0; i < peer->addresses.n; i++)
				check_fixed_address(iface, peer,
				    &peer->addresses.v[i], msgs);
			for (i = 0; i < peer->allowed_ips.n; i++)
				check_routes(iface, peer,
				    &peer->allowed_ips.v[i], msgs);
			TAILQ_FOREACH(p2, &iface->peers, entry) {
				if (p2 == peer)
					break;
				if (!peer->has_pubkey || !p2->has_pubkey ||
				    memcmp(peer->pubkey, p2->pubkey,
				    WG_KEY_LEN) != 0)
					continue;
				key_to_base64(pub, peer->pubkey);
				conf_msg(msgs, 0, &peer->where, "peer \"%s\": "
				    "public-key %s is already peer \"%s\"'s",
				    peer->name, pub, p2->name);
			}
		}
	}

	/* One prefix routed through two interfaces: the kernel has one. */
	TAILQ_FOREACH(iface, &conf->ifaces, entry)
		TAILQ_FOREACH(peer, &iface->peers, entry)
			for (i = 0; i < peer->allowed_ips.n; i++)
				check_route_elsewhere(conf, iface, peer,
				    &peer->allowed_ips.v[i], msgs);

	/* Peer names are unique across all interfaces (SPEC). */
	TAILQ_FOREACH(iface, &conf->ifaces, entry)
		TAILQ_FOREACH(peer, &iface->peers, entry)
			if (peer_named_before(conf, peer))
				conf_msg(msgs, 0, &peer->where,
				    "duplicate peer \"%s\"", peer->name);
	return conf_msgs_errors(msgs) == 0 ? 0 : -1;
}
