/*
 * Provisioning of managed peers, in the container's layout:
 *
 *	STATE/IF/peer_NAME/privatekey-peer_NAME	publickey-peer_NAME
 *	STATE/IF/peer_NAME/presharedkey-peer_NAME	address-peer_NAME
 *	STATE/IF/peer_NAME/peer_NAME.conf		peer_NAME.png
 *
 * Keys are made once and never again while the peer stays in the
 * configuration; a key file that exists but does not parse stops wgd.
 * Each peer gets the lowest free host address of every subnet of its
 * interface, kept in address-peer_NAME, so adding or removing another
 * peer never moves it.  A removed peer's folder goes to
 * STATE/IF/removed/peer_NAME.TIMESTAMP, kept for recovery by hand.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clientconf.h"
#include "log.h"
#include "provision.h"
#include "qr.h"
#include "statedir.h"

#define ADDRESS_FILE_MAX	4096
#define ALLOC_TRIES_MAX		65536	/* host numbers tried per subnet */

static int
peer_dir(char *buf, size_t len, const struct wgd_config *conf,
    const struct wgd_iface_conf *ifc, const struct wgd_peer_conf *peer)
{
	if ((size_t)snprintf(buf, len, "%s/%s/peer_%s", conf->state_dir,
	    ifc->name, peer->name) >= len) {
		log_warnx("peer %s: state path too long", peer->name);
		return -1;
	}
	return 0;
}

/* Reads dir/name as a key, or makes one with gen and writes it. */
static int
key_file(const char *dir, const char *name, uint8_t key[WG_KEY_LEN],
    void (*gen)(uint8_t [WG_KEY_LEN]), int *made)
{
	char	 path[PATH_MAX], err[PATH_MAX + 128];
	char	 b64[WG_KEY_LEN_BASE64 + 1];
	int	 rv;

	*made = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -1;
	if (access(path, F_OK) == 0) {
		if (conf_read_key_file(path, key, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	gen(key);
	key_to_base64(b64, key);
	strlcat(b64, "\n", sizeof(b64));
	rv = statedir_write(dir, name, b64, strlen(b64));
	sodium_memzero(b64, sizeof(b64));
	*made = 1;
	return rv;
}

static int
peer_keys(const char *dir, struct wgd_peer_conf *peer)
{
	char	 name[PATH_MAX], b64[WG_KEY_LEN_BASE64 + 1];
	int	 made, made_psk;

	snprintf(name, sizeof(name), "privatekey-peer_%s", peer->name);
	if (key_file(dir, name, peer->prov_private, key_generate_private,
	    &made) == -1)
		return -1;
	snprintf(name, sizeof(name), "presharedkey-peer_%s", peer->name);
	if (key_file(dir, name, peer->prov_psk, key_generate_preshared,
	    &made_psk) == -1)
		return -1;
	if (key_public_from_private(peer->prov_public, peer->prov_private) ==
	    -1) {
		log_warnx("peer %s: unusable private key", peer->name);
		return -1;
	}
	snprintf(name, sizeof(name), "publickey-peer_%s", peer->name);
	key_to_base64(b64, peer->prov_public);
	strlcat(b64, "\n", sizeof(b64));
	if (made && statedir_write(dir, name, b64, strlen(b64)) == -1)
		return -1;
	if (made)
		log_info("peer %s: made its keys", peer->name);
	return 0;
}

/* address-peer_NAME: one address a line, as the peer last had them. */
static void
read_addresses(const char *dir, const struct wgd_peer_conf *peer,
    struct wgd_prefixes *out)
{
	char			 path[PATH_MAX], line[128], *nl;
	struct wgd_prefix	 a;
	FILE			*fp;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/address-peer_%s", dir, peer->name);
	if ((fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (addr_parse(line, &a) == 0 && prefixes_add(out, &a) == -1)
			fatal("%s", __func__);
	}
	fclose(fp);
}

static int
taken(const struct wgd_prefixes *l, const struct wgd_prefix *a)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].af == a->af && memcmp(&l->v[i].addr, &a->addr,
		    sizeof(a->addr)) == 0)
			return 1;
	return 0;
}

/* The host number i of subnet s, as an address. */
static void
subnet_host(const struct wgd_prefix *s, uint64_t i, struct wgd_prefix *a)
{
	int	 b, bytes = s->af == AF_INET ? 4 : 16;
	uint16_t carry;

	*a = *s;
	addr_mask(a);
	for (b = bytes - 1; b >= 0 && i > 0; b--) {
		carry = a->addr.bytes[b] + (i & 0xff);
		a->addr.bytes[b] = carry & 0xff;
		i = (i >> 8) + (carry >> 8);
	}
	a->plen = (uint8_t)addr_maxlen(s->af);
}

/*
 * Whether a may be a peer's address in subnet s: inside it, not its
 * network or (IPv4) broadcast address.
 */
static int
usable_host(const struct wgd_prefix *s, const struct wgd_prefix *a)
{
	struct wgd_prefix	 net, last;
	int			 max = addr_maxlen(s->af);

	if (!addr_contains(s, a))
		return 0;
	if (s->plen >= max - 1)
		return 1;
	subnet_host(s, 0, &net);
	if (addr_equal(&net, a))
		return 0;
	if (s->af == AF_INET) {
		subnet_host(s, ((uint64_t)1 << (max - s->plen)) - 1, &last);
		if (addr_equal(&last, a))
			return 0;
	}
	return 1;
}

/* The lowest free host address of subnet s, or -1 when it is full. */
static int
allocate(const struct wgd_prefix *s, const struct wgd_prefixes *used,
    struct wgd_prefix *out)
{
	uint64_t	 i, hosts;
	int		 bits = addr_maxlen(s->af) - s->plen;

	hosts = bits >= 32 ? ALLOC_TRIES_MAX : ((uint64_t)1 << bits);
	if (hosts > ALLOC_TRIES_MAX)
		hosts = ALLOC_TRIES_MAX;
	for (i = 1; i < hosts; i++) {
		subnet_host(s, i, out);
		if (usable_host(s, out) && !taken(used, out))
			return 0;
	}
	return -1;
}

static int
write_addresses(const char *dir, const struct wgd_peer_conf *peer)
{
	char	 name[PATH_MAX], s[ADDR_STRLEN], *buf = NULL;
	size_t	 len = 0, i;
	int	 rv;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < peer->prov_addresses.n; i++) {
		addr_format(&peer->prov_addresses.v[i], s, sizeof(s));
		fprintf(fp, "%s\n", s);
	}
	fclose(fp);
	snprintf(name, sizeof(name), "address-peer_%s", peer->name);
	rv = statedir_write(dir, name, buf, len);
	free(buf);
	return rv;
}

/*
 * The addresses of the managed peers of one interface: fixed ones from
 * the configuration first, then each peer's kept ones, then the lowest
 * free address of each subnet for what is missing.
 */
static int
provision_addresses(const struct wgd_config *conf, struct wgd_iface_conf *ifc)
{
	struct wgd_peer_conf	*peer;
	struct wgd_prefixes	 used, kept;
	struct wgd_prefix	 a;
	char			 dir[PATH_MAX], s[ADDR_STRLEN];
	size_t			 i, j;
	int			 changed, rv = -1;

	memset(&used, 0, sizeof(used));
	for (i = 0; i < ifc->addresses.n; i++) {
		a = ifc->addresses.v[i];
		a.plen = addr_maxlen(a.af);
		if (prefixes_add(&used, &a) == -1)
			fatal("%s", __func__);
	}
	TAILQ_FOREACH(peer, &ifc->peers, entry)
		for (i = 0; i < peer->addresses.n; i++)
			if (prefixes_add(&used, &peer->addresses.v[i]) == -1)
				fatal("%s", __func__);

	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (!peer->managed || peer_dir(dir, sizeof(dir), conf, ifc,
		    peer) == -1)
			continue;
		prefixes_free(&peer->prov_addresses);
		read_addresses(dir, peer, &kept);
		for (i = 0; i < ifc->addresses.n; i++) {
			const struct wgd_prefix *sub = &ifc->addresses.v[i];

			/* A fixed address in this subnet wins. */
			for (j = 0; j < peer->addresses.n; j++)
				if (addr_contains(sub, &peer->addresses.v[j]))
					break;
			if (j < peer->addresses.n) {
				if (prefixes_add(&peer->prov_addresses,
				    &peer->addresses.v[j]) == -1)
					fatal("%s", __func__);
				continue;
			}
			for (j = 0; j < kept.n; j++)
				if (usable_host(sub, &kept.v[j]) &&
				    !taken(&used, &kept.v[j]))
					break;
			if (j < kept.n) {
				if (prefixes_add(&peer->prov_addresses,
				    &kept.v[j]) == -1 ||
				    prefixes_add(&used, &kept.v[j]) == -1)
					fatal("%s", __func__);
			}
		}
		prefixes_free(&kept);
	}

	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (!peer->managed || peer_dir(dir, sizeof(dir), conf, ifc,
		    peer) == -1)
			continue;
		changed = 0;
		read_addresses(dir, peer, &kept);
		for (i = 0; i < ifc->addresses.n; i++) {
			const struct wgd_prefix *sub = &ifc->addresses.v[i];

			for (j = 0; j < peer->prov_addresses.n; j++)
				if (addr_contains(sub,
				    &peer->prov_addresses.v[j]))
					break;
			if (j < peer->prov_addresses.n)
				continue;
			if (allocate(sub, &used, &a) == -1) {
				a = *sub;
				addr_mask(&a);
				addr_format_prefix(&a, s, sizeof(s));
				log_warnx("interface %s: subnet %s is full: no "
				    "address for peer %s", ifc->name, s,
				    peer->name);
				prefixes_free(&kept);
				goto done;
			}
			if (prefixes_add(&peer->prov_addresses, &a) == -1 ||
			    prefixes_add(&used, &a) == -1)
				fatal("%s", __func__);
		}
		/* Rewrite only what differs from what was kept. */
		if (kept.n != peer->prov_addresses.n)
			changed = 1;
		for (i = 0; !changed && i < kept.n; i++)
			if (!taken(&peer->prov_addresses, &kept.v[i]))
				changed = 1;
		prefixes_free(&kept);
		if (changed && write_addresses(dir, peer) == -1)
			goto done;
	}
	rv = 0;
done:
	prefixes_free(&used);
	return rv;
}

/*
 * Fills in every managed peer of conf: keys from the state dir (made
 * when missing), addresses, and the host routes of those addresses in
 * the peer's allowed-ips.  -1 (logged) when wgd must not go on.
 */
int
provision(struct wgd_config *conf)
{
	struct wgd_iface_conf	*ifc;
	struct wgd_peer_conf	*peer;
	char			 dir[PATH_MAX], ifdir[PATH_MAX];
	size_t			 i;

	if (statedir_mkdir(conf->state_dir) == -1)
		return -1;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if ((size_t)snprintf(ifdir, sizeof(ifdir), "%s/%s",
		    conf->state_dir, ifc->name) >= sizeof(ifdir) ||
		    statedir_mkdir(ifdir) == -1)
			return -1;
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (!peer->managed)
				continue;
			if (peer_dir(dir, sizeof(dir), conf, ifc, peer) == -1 ||
			    statedir_mkdir(dir) == -1 ||
			    peer_keys(dir, peer) == -1)
				return -1;
		}
		if (provision_addresses(conf, ifc) == -1)
			return -1;
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (!peer->managed)
				continue;
			for (i = 0; i < peer->prov_addresses.n; i++)
				if (prefixes_add(&peer->allowed_ips,
				    &peer->prov_addresses.v[i]) == -1)
					fatal("%s", __func__);
			peer->provisioned = 1;
		}
	}
	return 0;
}

/* peer_NAME.png: the QR code of exactly the text of peer_NAME.conf. */
static int
write_png(const char *dir, const char *peer, const char *text)
{
	char	 name[PATH_MAX], *buf = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 rv;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("%s", __func__);
	rv = qr_write_png(text, fp);
	if (fclose(fp) == EOF)
		rv = -1;
	if (rv == -1) {
		log_warn("peer %s: QR code", peer);
		free(buf);
		return -1;
	}
	snprintf(name, sizeof(name), "peer_%s.png", peer);
	rv = statedir_write(dir, name, buf, len);
	sodium_memzero(buf, len);
	free(buf);
	return rv;
}

/* peer_NAME.conf and its QR code, rewritten only when the text changed. */
void
provision_write_clients(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	char				 dir[PATH_MAX], name[PATH_MAX];
	char				 path[PATH_MAX], old[8192];
	char				 png[PATH_MAX];
	char				*text;
	ssize_t				 n = -1;
	FILE				*fp;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (!peer->provisioned || peer_dir(dir, sizeof(dir),
			    conf, ifc, peer) == -1)
				continue;
			text = clientconf_text(ifc, peer, 1);
			snprintf(name, sizeof(name), "peer_%s.conf",
			    peer->name);
			n = -1;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    name) < sizeof(path) &&
			    (fp = fopen(path, "re")) != NULL) {
				n = fread(old, 1, sizeof(old), fp);
				fclose(fp);
			}
			if ((size_t)snprintf(png, sizeof(png), "%s/peer_%s.png",
			    dir, peer->name) >= sizeof(png))
				png[0] = '\0';
			if (n < 0 || (size_t)n != strlen(text) ||
			    memcmp(old, text, n) != 0 ||
			    access(png, F_OK) == -1) {
				if (statedir_write(dir, name, text,
				    strlen(text)) == 0 &&
				    write_png(dir, peer->name, text) == 0)
					log_info("peer %s: wrote %s and its QR "
					    "code", peer->name, path);
			}
			sodium_memzero(old, sizeof(old));
			sodium_memzero(text, strlen(text));
			free(text);
		}
}

/*
 * Moves the folders of managed peers that old has and new has not to
 * removed/peer_NAME.TIMESTAMP: never reused, kept for recovery by hand.
 */
void
provision_retire(const struct wgd_config *old, const struct wgd_config *new)
{
	const struct wgd_iface_conf	*ifc, *nifc;
	const struct wgd_peer_conf	*peer, *np;
	char				 dir[PATH_MAX], rdir[PATH_MAX];
	char				 to[PATH_MAX];
	time_t				 now = time(NULL);

	TAILQ_FOREACH(ifc, &old->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (!peer->managed)
				continue;
			np = NULL;
			TAILQ_FOREACH(nifc, &new->ifaces, entry) {
				if (strcmp(nifc->name, ifc->name) != 0)
					continue;
				TAILQ_FOREACH(np, &nifc->peers, entry)
					if (np->managed &&
					    strcmp(np->name, peer->name) == 0)
						break;
				break;
			}
			if (np != NULL)
				continue;
			if (peer_dir(dir, sizeof(dir), old, ifc, peer) == -1)
				continue;
			if ((size_t)snprintf(rdir, sizeof(rdir), "%s/%s/removed",
			    old->state_dir, ifc->name) >= sizeof(rdir) ||
			    (size_t)snprintf(to, sizeof(to), "%s/peer_%s.%lld",
			    rdir, peer->name, (long long)now) >= sizeof(to) ||
			    statedir_mkdir(rdir) == -1)
				continue;
			if (rename(dir, to) == -1)
				log_warn("peer %s: cannot move %s aside",
				    peer->name, dir);
			else
				log_info("peer %s: removed, its keys kept in %s",
				    peer->name, to);
		}
}
