/*
 * Provisioning of managed peers, in the container's layout:
 *
 *	STATE/IF/peer_NAME/privatekey-peer_NAME	publickey-peer_NAME
 *	STATE/IF/peer_NAME/presharedkey-peer_NAME	address-peer_NAME
 *	STATE/IF/peer_NAME/peer_NAME.conf		peer_NAME.png
 *
 * Keys are made once and never again while the peer stays in the
 * configuration; a key or address file that exists but does not parse
 * stops wgd, or fails a reload.  Each peer gets the lowest free host
 * address of every subnet of its interface, kept in address-peer_NAME,
 * so adding or removing another peer never moves it.  A removed peer's
 * folder goes to STATE/IF/removed/peer_NAME.TIMESTAMP, kept for
 * recovery by hand.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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
	/*
	 * Derived, for people: written whenever it is missing or wrong, as
	 * after a crash between the private key and this file.
	 */
	snprintf(name, sizeof(name), "publickey-peer_%s", peer->name);
	key_to_base64(b64, peer->prov_public);
	strlcat(b64, "\n", sizeof(b64));
	if (statedir_write_if_changed(dir, name, b64) == -1)
		return -1;
	if (made || made_psk)
		log_info("peer %s: made its %s", peer->name, made && made_psk ?
		    "keys" : made ? "private key" : "preshared key");
	return 0;
}

/* address-peer_NAME: -1 (logged) when it does not read. */
static int
read_addresses(const char *dir, const struct wgd_peer_conf *peer,
    struct wgd_prefixes *out)
{
	char	 path[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(path, sizeof(path), "%s/address-peer_%s", dir,
	    peer->name) >= sizeof(path)) {
		log_warnx("peer %s: state path too long", peer->name);
		return -1;
	}
	return statedir_read_addresses(path, out);
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
/* Inside one of the prefixes other peers route: not ours to give. */
static int
routed(const struct wgd_prefixes *blocked, const struct wgd_prefix *a)
{
	size_t	 i;

	for (i = 0; i < blocked->n; i++)
		if (addr_contains(&blocked->v[i], a))
			return 1;
	return 0;
}

static int
allocate(const struct wgd_prefix *s, const struct wgd_prefixes *used,
    const struct wgd_prefixes *blocked, struct wgd_prefix *out)
{
	uint64_t	 i, hosts;
	int		 bits = addr_maxlen(s->af) - s->plen;

	hosts = bits >= 32 ? ALLOC_TRIES_MAX : ((uint64_t)1 << bits);
	if (hosts > ALLOC_TRIES_MAX)
		hosts = ALLOC_TRIES_MAX;
	/* A /31 or /127 has no network address: host 0 is a host. */
	for (i = bits <= 1 ? 0 : 1; i < hosts; i++) {
		subnet_host(s, i, out);
		if (usable_host(s, out) && !taken(used, out) &&
		    !routed(blocked, out))
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
	struct wgd_prefixes	 used, kept, blocked;
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
	/* External peers' allowed ips: their routes must stay theirs. */
	memset(&blocked, 0, sizeof(blocked));
	TAILQ_FOREACH(peer, &ifc->peers, entry)
		for (i = 0; !peer->managed && i < peer->allowed_ips.n; i++)
			if (peer->allowed_ips.v[i].plen > 0 &&
			    prefixes_add(&blocked, &peer->allowed_ips.v[i]) == -1)
				fatal("%s", __func__);

	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (!peer->managed || peer_dir(dir, sizeof(dir), conf, ifc,
		    peer) == -1)
			continue;
		prefixes_free(&peer->prov_addresses);
		if (read_addresses(dir, peer, &kept) == -1)
			goto done;
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
				    !taken(&used, &kept.v[j]) &&
				    !routed(&blocked, &kept.v[j]))
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
		if (read_addresses(dir, peer, &kept) == -1)
			goto done;
		for (i = 0; i < ifc->addresses.n; i++) {
			const struct wgd_prefix *sub = &ifc->addresses.v[i];

			for (j = 0; j < peer->prov_addresses.n; j++)
				if (addr_contains(sub,
				    &peer->prov_addresses.v[j]))
					break;
			if (j < peer->prov_addresses.n)
				continue;
			if (allocate(sub, &used, &blocked, &a) == -1) {
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
	prefixes_free(&blocked);
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

	statedir_error_clear();
	if (statedir_mkdir(conf->state_dir) == -1)
		return -1;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if ((size_t)snprintf(ifdir, sizeof(ifdir), "%s/%s",
		    conf->state_dir, ifc->name) >= sizeof(ifdir) ||
		    statedir_mkdir(ifdir) == -1 || statedir_sweep(ifdir) == -1)
			return -1;
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (!peer->managed)
				continue;
			if (peer_dir(dir, sizeof(dir), conf, ifc, peer) == -1 ||
			    statedir_mkdir(dir) == -1 ||
			    statedir_sweep(dir) == -1 ||
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

/* A QR code's time until png_seal: no conf has it. */
static const struct timespec unsealed = { 0, 0 };

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
	rv = statedir_write_dated(dir, name, buf, len, &unsealed);
	sodium_memzero(buf, len);
	free(buf);
	return rv;
}

/*
 * Whether the QR code may not show the conf: missing, or not sealed to
 * it.  Both are written PNG first, dated at the epoch, then the PNG is
 * given the conf's modification time (png_seal), so a PNG whose time
 * differs is one whose conf a crash kept from being written, or one
 * written before the seal existed.  Only equality is asked: a Pi
 * without a clock may start in the past, and an order of times would
 * mislead.
 */
static int
png_stale(const char *png, const char *conf)
{
	struct stat	 ps, cs;

	if (*png == '\0' || lstat(png, &ps) == -1 || lstat(conf, &cs) == -1)
		return 1;
	return ps.st_mtim.tv_sec != cs.st_mtim.tv_sec ||
	    ps.st_mtim.tv_nsec != cs.st_mtim.tv_nsec;
}

/* The PNG now shows the conf: it gets the conf's modification time. */
static void
png_seal(const char *png, const char *conf)
{
	struct timespec	 ts[2];
	struct stat	 cs;

	if (lstat(conf, &cs) == -1) {
		log_warn("%s", conf);
		return;
	}
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = cs.st_mtim;
	/* Unsealed, it is merely written again at the next start or reload. */
	if (utimensat(AT_FDCWD, png, ts, AT_SYMLINK_NOFOLLOW) == -1)
		log_warn("%s", png);
}

/*
 * peer_NAME.conf and its QR code, rewritten only when the text changed.
 * With why, a change outside wgd.conf (the host's resolvers, for client
 * dns auto): the device does not know, so each peer that needs its new
 * QR code is named at warning level.  -1 when a file could not be
 * written: logged, statedir_error() says why, and the old files stay.
 */
int
provision_write_clients(const struct wgd_config *conf, const char *why)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	char				 dir[PATH_MAX], name[PATH_MAX];
	char				 path[PATH_MAX], old[8192];
	char				 png[PATH_MAX];
	char				*text;
	ssize_t				 n = -1;
	FILE				*fp;
	int				 changed, rv = 0;

	statedir_error_clear();
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
			changed = n >= 0 && ((size_t)n != strlen(text) ||
			    memcmp(old, text, n) != 0);
			if (n < 0 || changed || png_stale(png, path)) {
				/* The PNG first: a failed one is retried. */
				if (write_png(dir, peer->name, text) == 0 &&
				    statedir_write(dir, name, text,
				    strlen(text)) == 0) {
					if (*png != '\0')
						png_seal(png, path);
					log_info("peer %s: wrote %s and its QR "
					    "code", peer->name, path);
				} else {
					changed = 0;
					rv = -1;
				}
				if (why != NULL && changed)
					log_warnx("peer %s: %s: its client "
					    "configuration changed: scan its new "
					    "QR code (wgctl peer %s qr)",
					    peer->name, why, peer->name);
			}
			sodium_memzero(old, sizeof(old));
			sodium_memzero(text, strlen(text));
			free(text);
		}
	return rv;
}

/*
 * Moves a managed peer's folder to removed/peer_NAME.TIMESTAMP, a name
 * never used before, durably: a power cut must not bring the keys of a
 * lost phone back.
 */
static void
retire(const struct wgd_config *conf, const struct wgd_iface_conf *ifc,
    const char *name, const char *dir, time_t now)
{
	char	 ifdir[PATH_MAX], rdir[PATH_MAX], to[PATH_MAX];
	int	 n;

	if ((size_t)snprintf(ifdir, sizeof(ifdir), "%s/%s", conf->state_dir,
	    ifc->name) >= sizeof(ifdir) ||
	    (size_t)snprintf(rdir, sizeof(rdir), "%s/removed", ifdir) >=
	    sizeof(rdir) || statedir_mkdir(rdir) == -1)
		return;
	for (n = 0; n < 1000; n++) {
		if ((n == 0 ? (size_t)snprintf(to, sizeof(to),
		    "%s/peer_%s.%lld", rdir, name, (long long)now) :
		    (size_t)snprintf(to, sizeof(to), "%s/peer_%s.%lld.%d",
		    rdir, name, (long long)now, n)) >= sizeof(to))
			return;
		if (access(to, F_OK) == -1 && errno == ENOENT)
			break;
	}
	if (rename(dir, to) == -1) {
		log_warn("peer %s: cannot move %s aside", name, dir);
		return;
	}
	(void)statedir_sync(ifdir);
	(void)statedir_sync(rdir);
	log_info("peer %s: removed, its keys kept in %s", name, to);
}

static int
managed_in(const struct wgd_iface_conf *ifc, const char *name)
{
	const struct wgd_peer_conf	*peer;

	TAILQ_FOREACH(peer, &ifc->peers, entry)
		if (peer->managed && strcmp(peer->name, name) == 0)
			return 1;
	return 0;
}

/*
 * After a start or a reload: the peers of an interface's
 * managed-peers list that the configuration no longer has are retired,
 * even when they went while wgd was stopped; then the list is written
 * anew.  A folder no list ever named (one wgd -i just imported) is left
 * alone.
 */
void
provision_commit(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	char				 ifdir[PATH_MAX], path[PATH_MAX];
	char				 dir[PATH_MAX], line[128], *nl, *buf;
	size_t				 len;
	time_t				 now = time(NULL);
	FILE				*fp;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if ((size_t)snprintf(ifdir, sizeof(ifdir), "%s/%s",
		    conf->state_dir, ifc->name) >= sizeof(ifdir) ||
		    (size_t)snprintf(path, sizeof(path), "%s/managed-peers",
		    ifdir) >= sizeof(path))
			continue;
		if ((fp = fopen(path, "re")) != NULL) {
			while (fgets(line, sizeof(line), fp) != NULL) {
				if ((nl = strchr(line, '\n')) != NULL)
					*nl = '\0';
				if (!conf_valid_peer_name(line) ||
				    managed_in(ifc, line))
					continue;
				if ((size_t)snprintf(dir, sizeof(dir),
				    "%s/peer_%s", ifdir, line) < sizeof(dir) &&
				    access(dir, F_OK) == 0)
					retire(conf, ifc, line, dir, now);
			}
			fclose(fp);
		}
		buf = NULL;
		len = 0;
		if ((fp = open_memstream(&buf, &len)) == NULL)
			fatal("%s", __func__);
		TAILQ_FOREACH(peer, &ifc->peers, entry)
			if (peer->managed)
				fprintf(fp, "%s\n", peer->name);
		fclose(fp);
		/* Said why already; and what it means for later. */
		if (statedir_write(ifdir, "managed-peers", buf, len) == -1)
			log_warnx("%s: managed-peers not updated: a peer added "
			    "now keeps its folder when it is removed",
			    ifc->name);
		free(buf);
	}
}
