/*
 * wgd -i DIR: adopt a linuxserver/IOTstack WireGuard /config folder,
 *
 *	DIR/server/privatekey-server		publickey-server
 *	DIR/peer_NAME/privatekey-peer_NAME	publickey-peer_NAME
 *	DIR/peer_NAME/presharedkey-peer_NAME	peer_NAME.conf
 *	DIR/peerN/privatekey-peerN ...		(PEERS=N: peer1 ...)
 *
 * into the state dir of the configuration's first interface, in the
 * layout of provision.c, and print the peer lines for wgd.conf.  The
 * phones keep the confs and QR codes the container gave them: same keys,
 * same preshared keys, same addresses.
 *
 * Everything is read and checked before anything is written, and a key
 * already in the state dir is never replaced: a different one is a
 * refusal, the same one is left as it is.  Each new peer folder is
 * written under a temporary name and renamed into place, so a power cut
 * never leaves half a peer that wgd would complete with a new key.
 * Runs in the process of wgd -i alone; no daemon is involved.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <net/if.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "import.h"
#include "import_server.h"
#include "log.h"
#include "statedir.h"

#define IMPORT_KEY_FILE_MAX	1024	/* a key and white space */
#define IMPORT_PEER_ID_MAX	(WGD_PEER_NAME_MAX + 5)	/* peer_NAME */

/* What a container's client conf says besides keys and addresses. */
struct import_hints {
	char			 endpoint[WGD_HOST_MAX + 1];
	unsigned int		 port;
	struct wgd_prefixes	 dns;
	struct wgd_prefixes	 allowed_ips;
	int			 allowed_ips_bad;
	unsigned int		 keepalive;
};

enum import_state {
	IMPORT_NEW,		/* no folder in the state dir yet */
	IMPORT_PART,		/* a folder with some of these keys only */
	IMPORT_SAME		/* imported before: left alone */
};

struct import_peer {
	char			 name[WGD_PEER_NAME_MAX + 1];
	char			 id[IMPORT_PEER_ID_MAX + 1];	/* dir */
	uint8_t			 priv[WG_KEY_LEN];
	uint8_t			 pub[WG_KEY_LEN];
	uint8_t			 psk[WG_KEY_LEN];
	int			 no_psk;
	struct wgd_prefixes	 addrs;		/* hosts */
	struct import_hints	 hints;
	enum import_state	 state;
	int			 state_priv;	/* in the state dir */
	int			 state_psk;
	int			 in_conf;	/* already a peer line */
	const struct import_server_peer *sp;	/* its [Peer] in wg0.conf */
};

/* The keys a client conf holds, to check against the key files. */
struct import_conf_keys {
	uint8_t			 priv[WG_KEY_LEN];
	uint8_t			 psk[WG_KEY_LEN];
	uint8_t			 server[WG_KEY_LEN];
	int			 has_priv;
	int			 has_psk;
	int			 has_server;
};

/* An address somebody already has, and who, for the error message. */
struct import_used {
	struct wgd_prefix	 a;
	char			 who[WGD_PEER_NAME_MAX + 16];
};

struct import {
	const char			*dir;
	int				 dirfd;	/* dir, open */
	const struct wgd_config		*conf;
	const struct wgd_iface_conf	*ifc;
	char				 ifdir[PATH_MAX];
	uint8_t				 server_priv[WG_KEY_LEN];
	uint8_t				 server_pub[WG_KEY_LEN];
	int				 server_in_state;
	int				 server_in_conf;
	struct import_peer		*peers;
	size_t				 npeers;
	struct import_used		*used;
	size_t				 nused;
	struct import_server		 srv;
};

/*
 * Opens path, a file of the folder being imported, by rel, its path
 * inside it (import_openat: no link followed); or of the state dir,
 * wgd's own, when rel is NULL.  -1 with errno; logged but for ENOENT.
 */
static int
import_open(const struct import *imp, const char *path, const char *rel)
{
	int	 fd;

	if (rel != NULL)
		return import_openat(imp->dirfd, imp->dir, rel,
		    O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1 && errno != ENOENT)
		log_warn("%s", path);
	return fd;
}

/*
 * Reads a key file (import_open) as wg(8) does: 44 characters of
 * base64, then only white space.  Unlike conf_read_key_file() any
 * owner and mode will do: the container leaves its files 0644, or 0600
 * owned by uid 1000.  0, 1 when optional is set and the file does not
 * exist, or -1 (logged).
 */
static int
import_read_key(const struct import *imp, const char *path, const char *rel,
    uint8_t key[WG_KEY_LEN], int optional)
{
	struct stat	 st;
	char		 buf[IMPORT_KEY_FILE_MAX + 1];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rv = -1;

	if ((fd = import_open(imp, path, rel)) == -1) {
		if (errno == ENOENT && optional)
			return 1;
		if (errno == ENOENT)
			log_warn("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file", path);
		goto done;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s", path);
			goto done;
		}
		if (n == 0)
			break;
		len += n;
	}
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	if (len > IMPORT_KEY_FILE_MAX) {
		log_warnx("%s: not a key (44 characters of base64)", path);
		goto done;
	}
	buf[len] = '\0';
	if (key_from_base64(key, buf) == -1) {
		log_warnx("%s: not a key (44 characters of base64)", path);
		goto done;
	}
	rv = 0;
done:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rv;
}

/* "host:port" or "[v6]:port", with a host wgd.conf can quote. */
static int
parse_endpoint(char *v, struct import_hints *h)
{
	char		*host, *port, *end;
	unsigned long	 n;

	if (*v == '[') {
		host = v + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			return -1;
		*end = '\0';
		port = end + 2;
	} else {
		host = v;
		if ((end = strrchr(v, ':')) == NULL)
			return -1;
		*end = '\0';
		port = end + 1;
	}
	if (*host == '\0' || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(host) ||
	    strlen(host) >= sizeof(h->endpoint))
		return -1;
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || (n = strtoul(port, NULL, 10)) == 0 ||
	    n > 65535)
		return -1;
	strlcpy(h->endpoint, host, sizeof(h->endpoint));
	h->port = (unsigned int)n;
	return 0;
}

/* A comma-separated list: addresses (hosts) or, with prefixes, prefixes. */
static int
parse_list(char *v, struct wgd_prefixes *out, int prefixes, int skip_bad)
{
	struct wgd_prefix	 a;
	char			*s;

	while ((s = strsep(&v, ",")) != NULL) {
		s = import_trim(s);
		if (*s == '\0')
			continue;
		if ((prefixes ? addr_parse_prefix(s, &a) :
		    addr_parse(s, &a)) == -1) {
			if (skip_bad)
				continue;
			return -1;
		}
		if (prefixes_add(out, &a) == -1)
			fatal("%s", __func__);
	}
	return 0;
}

/* Address = 10.13.13.2, 10.13.13.2/32, or several of them. */
static int
parse_addresses(const char *path, int line, char *v, struct wgd_prefixes *out)
{
	struct wgd_prefix	 a;
	char			*s, *slash;

	while ((s = strsep(&v, ",")) != NULL) {
		s = import_trim(s);
		if (*s == '\0')
			continue;
		if (addr_parse_prefix(s, &a) == -1) {
			log_warnx("%s:%d: Address \"%s\": not an address",
			    path, line, s);
			return -1;
		}
		/* The tunnel address itself: 10.13.13.2/24 is 10.13.13.2. */
		if ((slash = strchr(s, '/')) != NULL)
			*slash = '\0';
		if (addr_parse(s, &a) == -1)
			fatalx("%s", __func__);
		if (prefixes_add(out, &a) == -1)
			fatal("%s", __func__);
	}
	return 0;
}

static int
conf_key(const char *path, int line, const char *what, const char *v,
    uint8_t key[WG_KEY_LEN], int *has)
{
	if (key_from_base64(key, v) == -1) {
		log_warnx("%s:%d: %s: not a key (44 characters of base64)",
		    path, line, what);
		return -1;
	}
	*has = 1;
	return 0;
}

/*
 * The peer's wg-quick file, as the container wrote it from its
 * templates: its addresses, the keys the phone has, and the client
 * options for the hints.
 */
static int
import_read_conf(const struct import *imp, const char *path, const char *rel,
    struct import_peer *p, struct import_conf_keys *k)
{
	enum { NONE, IFACE, PEER }	 section = NONE;
	FILE				*fp;
	char				*buf = NULL, *s, *key, *val, *eq;
	size_t				 cap = 0;
	const char			*errstr;
	int				 fd, line = 0, npeers = 0, rv = -1;

	if ((fd = import_open(imp, path, rel)) == -1) {
		if (errno == ENOENT)
			log_warnx("%s: missing: it holds the peer's address",
			    path);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("%s", path);
		close(fd);
		return -1;
	}
	while (getline(&buf, &cap, fp) != -1) {
		line++;
		if ((s = strchr(buf, '#')) != NULL)
			*s = '\0';
		s = import_trim(buf);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			if (strcasecmp(s, "[Interface]") == 0)
				section = IFACE;
			else if (strcasecmp(s, "[Peer]") == 0) {
				section = PEER;
				if (++npeers > 1) {
					log_warnx("%s:%d: a second [Peer]: not "
					    "a client conf of the container",
					    path, line);
					goto done;
				}
			} else {
				log_warnx("%s:%d: unknown section", path, line);
				goto done;
			}
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			log_warnx("%s:%d: not \"key = value\"", path, line);
			goto done;
		}
		*eq = '\0';
		key = import_trim(s);
		val = import_trim(eq + 1);
		if (section == IFACE && strcasecmp(key, "Address") == 0) {
			if (parse_addresses(path, line, val, &p->addrs) == -1)
				goto done;
		} else if (section == IFACE &&
		    strcasecmp(key, "PrivateKey") == 0) {
			if (conf_key(path, line, key, val, k->priv,
			    &k->has_priv) == -1)
				goto done;
		} else if (section == IFACE && strcasecmp(key, "DNS") == 0) {
			/* Search domains are no addresses: skipped. */
			parse_list(val, &p->hints.dns, 0, 1);
		} else if (section == PEER &&
		    strcasecmp(key, "PublicKey") == 0) {
			if (conf_key(path, line, key, val, k->server,
			    &k->has_server) == -1)
				goto done;
		} else if (section == PEER &&
		    strcasecmp(key, "PresharedKey") == 0) {
			if (conf_key(path, line, key, val, k->psk,
			    &k->has_psk) == -1)
				goto done;
		} else if (section == PEER && strcasecmp(key, "Endpoint") == 0)
			(void)parse_endpoint(val, &p->hints);
		else if (section == PEER &&
		    strcasecmp(key, "AllowedIPs") == 0) {
			if (parse_list(val, &p->hints.allowed_ips, 1, 0) == -1)
				p->hints.allowed_ips_bad = 1;
		} else if (section == PEER &&
		    strcasecmp(key, "PersistentKeepalive") == 0) {
			p->hints.keepalive = (unsigned int)strtonum(val, 0,
			    65535, &errstr);
		}
	}
	if (ferror(fp)) {
		log_warn("%s", path);
		goto done;
	}
	if (p->addrs.n == 0) {
		log_warnx("%s: no Address line", path);
		goto done;
	}
	rv = 0;
done:
	if (buf != NULL) {
		sodium_memzero(buf, cap);
		free(buf);
	}
	fclose(fp);
	return rv;
}

static int
key_equal(const uint8_t a[WG_KEY_LEN], const uint8_t b[WG_KEY_LEN])
{
	return sodium_memcmp(a, b, WG_KEY_LEN) == 0;
}

static int
path_of(char *buf, size_t len, const char *dir, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, a, b) >= len) {
		log_warnx("%s/%s%s: path too long", dir, a, b);
		return -1;
	}
	return 0;
}

/*
 * One peer folder of the container.  The key files and the conf must
 * agree: the conf is what the phone scanned, the files what the
 * container serves.
 */
static int
import_read_peer(struct import *imp, struct import_peer *p)
{
	struct import_conf_keys	 k;
	char			 dir[PATH_MAX], path[PATH_MAX], rel[PATH_MAX];
	uint8_t			 pub[WG_KEY_LEN];
	int			 r, rv = -1;

	memset(&k, 0, sizeof(k));
	if (path_of(dir, sizeof(dir), imp->dir, p->id, "") == -1)
		return -1;

	if (path_of(path, sizeof(path), dir, p->id, ".conf") == -1 ||
	    path_of(rel, sizeof(rel), p->id, p->id, ".conf") == -1 ||
	    import_read_conf(imp, path, rel, p, &k) == -1)
		goto done;

	if (path_of(path, sizeof(path), dir, "privatekey-", p->id) == -1 ||
	    path_of(rel, sizeof(rel), p->id, "privatekey-", p->id) == -1 ||
	    (r = import_read_key(imp, path, rel, p->priv, 1)) == -1)
		goto done;
	if (r == 1 && !k.has_priv) {
		log_warnx("%s: missing", path);
		goto done;
	}
	if (r == 1)
		memcpy(p->priv, k.priv, WG_KEY_LEN);
	else if (k.has_priv && !key_equal(k.priv, p->priv)) {
		log_warnx("%s/%s.conf: its PrivateKey is not the one in %s",
		    dir, p->id, path);
		goto done;
	}
	if (key_public_from_private(p->pub, p->priv) == -1) {
		log_warnx("%s: not a usable private key", path);
		goto done;
	}

	if (path_of(path, sizeof(path), dir, "publickey-", p->id) == -1 ||
	    path_of(rel, sizeof(rel), p->id, "publickey-", p->id) == -1 ||
	    (r = import_read_key(imp, path, rel, pub, 1)) == -1)
		goto done;
	if (r == 0 && !key_equal(pub, p->pub)) {
		log_warnx("%s: not the public key of privatekey-%s", path,
		    p->id);
		goto done;
	}

	if (path_of(path, sizeof(path), dir, "presharedkey-", p->id) == -1 ||
	    path_of(rel, sizeof(rel), p->id, "presharedkey-", p->id) == -1 ||
	    (r = import_read_key(imp, path, rel, p->psk, 1)) == -1)
		goto done;
	if (r == 1 && k.has_psk)
		memcpy(p->psk, k.psk, WG_KEY_LEN);
	else if (r == 1)
		/*
		 * An older container made no preshared key and the phone
		 * has none.  All zeros is what WireGuard uses then, so the
		 * phone keeps working as it is.
		 */
		p->no_psk = 1;
	else if (k.has_psk && !key_equal(k.psk, p->psk)) {
		log_warnx("%s/%s.conf: its PresharedKey is not the one in %s",
		    dir, p->id, path);
		goto done;
	}

	if (k.has_server && !key_equal(k.server, imp->server_pub)) {
		log_warnx("%s/%s.conf: its [Peer] PublicKey is not the "
		    "server's (%s/server/privatekey-server)", dir, p->id,
		    imp->dir);
		goto done;
	}
	rv = 0;
done:
	sodium_memzero(&k, sizeof(k));
	return rv;
}

static int
import_read_server(struct import *imp)
{
	char	 path[PATH_MAX];
	uint8_t	 pub[WG_KEY_LEN];
	int	 r;

	if (path_of(path, sizeof(path), imp->dir, "server/",
	    "privatekey-server") == -1)
		return -1;
	if ((r = import_read_key(imp, path, "server/privatekey-server",
	    imp->server_priv, 1)) == -1)
		return -1;
	if (r == 1) {
		log_warnx("%s has no server/privatekey-server: not the "
		    "/config folder of a linuxserver/IOTstack WireGuard "
		    "container", imp->dir);
		return -1;
	}
	if (key_public_from_private(imp->server_pub, imp->server_priv) ==
	    -1) {
		log_warnx("%s: not a usable private key", path);
		return -1;
	}
	if (path_of(path, sizeof(path), imp->dir, "server/",
	    "publickey-server") == -1 ||
	    (r = import_read_key(imp, path, "server/publickey-server", pub,
	    1)) == -1)
		return -1;
	if (r == 0 && !key_equal(pub, imp->server_pub)) {
		log_warnx("%s: not the public key of privatekey-server", path);
		return -1;
	}
	return 0;
}

/* peer_NAME/ is peer "NAME"; peerN/ (PEERS=N) is peer "peerN". */
static int
import_scan(struct import *imp)
{
	DIR			*d;
	struct dirent		*de;
	struct stat		 st;
	struct import_peer	*p;
	const char		*n, *name;
	char			 path[PATH_MAX];
	size_t			 i;
	int			 fd, rv = -1;

	/* A descriptor of its own: closedir() closes it. */
	if ((fd = openat(imp->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("%s", imp->dir);
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				log_warn("%s", imp->dir);
				goto done;
			}
			break;
		}
		n = de->d_name;
		if (strncmp(n, "peer_", 5) == 0)
			name = n + 5;
		else if (strncmp(n, "peer", 4) == 0 && n[4] != '\0' &&
		    strspn(n + 4, "0123456789") == strlen(n + 4))
			name = n;
		else
			continue;
		if (path_of(path, sizeof(path), imp->dir, n, "") == -1)
			goto done;
		if (fstatat(imp->dirfd, n, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			log_warn("%s", path);
			goto done;
		}
		if (S_ISLNK(st.st_mode)) {
			log_warnx("%s: %s", path, IMPORT_LINK_REFUSED);
			goto done;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (!conf_valid_peer_name(name)) {
			log_warnx("%s: \"%s\" is not a peer name wgd takes "
			    "(1-%d characters of A-Za-z0-9._-)", path, name,
			    WGD_PEER_NAME_MAX);
			goto done;
		}
		for (i = 0; i < imp->npeers; i++)
			if (strcmp(imp->peers[i].name, name) == 0) {
				log_warnx("%s/%s and %s are both peer \"%s\"",
				    imp->dir, imp->peers[i].id, path, name);
				goto done;
			}
		p = reallocarray(imp->peers, imp->npeers + 1, sizeof(*p));
		if (p == NULL)
			fatal("%s", __func__);
		imp->peers = p;
		p = &imp->peers[imp->npeers++];
		memset(p, 0, sizeof(*p));
		strlcpy(p->name, name, sizeof(p->name));
		strlcpy(p->id, n, sizeof(p->id));
	}
	rv = 0;
done:
	closedir(d);
	return rv;
}

/* The container's order: by address, as it handed them out. */
static int
peer_cmp(const void *a, const void *b)
{
	const struct import_peer	*p = a, *q = b;
	int				 c;

	if ((c = addr_cmp(&p->addrs.v[0], &q->addrs.v[0])) != 0)
		return c;
	return strcmp(p->name, q->name);
}

/* Whether every host bit of a, past plen, is one (or zero). */
static int
host_bits(const struct wgd_prefix *a, int plen, int one)
{
	int	 i, max = addr_maxlen(a->af);

	for (i = plen; i < max; i++)
		if (((a->addr.bytes[i / 8] >> (7 - i % 8)) & 1) != one)
			return 0;
	return 1;
}

static int
same_host(const struct wgd_prefix *a, const struct wgd_prefix *b)
{
	return a->af == b->af && memcmp(&a->addr, &b->addr,
	    a->af == AF_INET ? 4 : 16) == 0;
}

/* "address 10.99.0.1/24": an interface address whose subnet holds a. */
static void
suggest_subnet(const struct wgd_prefix *a, char *buf, size_t len)
{
	struct wgd_prefix	 s = *a;

	s.plen = a->af == AF_INET ? 24 : 64;
	addr_mask(&s);
	s.addr.bytes[a->af == AF_INET ? 3 : 15] = 1;
	addr_format_prefix(&s, buf, len);
}

/* a is taken: by peer name, or by the server when name is NULL. */
static void
use(struct import *imp, const struct wgd_prefix *a, const char *name)
{
	struct import_used	*u;

	u = reallocarray(imp->used, imp->nused + 1, sizeof(*u));
	if (u == NULL)
		fatal("%s", __func__);
	imp->used = u;
	u = &imp->used[imp->nused++];
	u->a = *a;
	u->a.plen = (uint8_t)addr_maxlen(a->af);
	if (name == NULL)
		strlcpy(u->who, "the server", sizeof(u->who));
	else
		snprintf(u->who, sizeof(u->who), "peer \"%s\"", name);
}

static struct import_peer *
imported(struct import *imp, const char *name)
{
	size_t	 i;

	for (i = 0; i < imp->npeers; i++)
		if (strcmp(imp->peers[i].name, name) == 0)
			return &imp->peers[i];
	return NULL;
}

/*
 * The addresses a managed peer keeps in the state dir (provision.c):
 * one that does not read would stop wgd, so it stops the import first.
 */
static int
use_kept(struct import *imp, const char *name)
{
	struct wgd_prefixes	 kept;
	char			 path[PATH_MAX];
	size_t			 i;

	if ((size_t)snprintf(path, sizeof(path), "%s/peer_%s/address-peer_%s",
	    imp->ifdir, name, name) >= sizeof(path)) {
		log_warnx("%s: path too long", imp->ifdir);
		return -1;
	}
	if (statedir_read_addresses(path, &kept) == -1)
		return -1;
	for (i = 0; i < kept.n; i++)
		use(imp, &kept.v[i], name);
	prefixes_free(&kept);
	return 0;
}

/*
 * The configuration side: the interface's key, peers of the same name,
 * and every address wgd would give to someone else.
 */
static int
import_check_conf(struct import *imp)
{
	const struct wgd_iface_conf	*ifc = imp->ifc, *oifc;
	const struct wgd_peer_conf	*cp;
	const struct wgd_prefix		*a, *s;
	struct import_peer		*p;
	char				 as[ADDR_STRLEN], ss[ADDR_STRLEN];
	size_t				 i, j, k;
	int				 max;

	if (ifc->key_source != KEY_NONE) {
		if (!key_equal(ifc->privkey, imp->server_priv)) {
			log_warnx("%s:%d: interface \"%s\" has a private-key "
			    "that is not the container's: remove it to use "
			    "the imported one", ifc->where.file,
			    ifc->where.line, ifc->name);
			return -1;
		}
		imp->server_in_conf = 1;
	}

	for (i = 0; i < ifc->addresses.n; i++)
		use(imp, &ifc->addresses.v[i], NULL);
	TAILQ_FOREACH(oifc, &imp->conf->ifaces, entry)
		TAILQ_FOREACH(cp, &oifc->peers, entry) {
			if ((p = imported(imp, cp->name)) == NULL) {
				if (oifc != ifc)
					continue;
				for (i = 0; i < cp->addresses.n; i++)
					use(imp, &cp->addresses.v[i],
					    cp->name);
				for (i = 0; i < cp->allowed_ips.n; i++) {
					a = &cp->allowed_ips.v[i];
					if (a->plen == addr_maxlen(a->af))
						use(imp, a, cp->name);
				}
				if (cp->managed &&
				    use_kept(imp, cp->name) == -1)
					return -1;
				continue;
			}
			if (oifc != ifc || !cp->managed) {
				log_warnx("%s:%d: peer \"%s\" is already there"
				    "%s: a peer name may be used once",
				    cp->where.file, cp->where.line, cp->name,
				    oifc != ifc ? ", on another interface" :
				    ", with its own public-key");
				return -1;
			}
			p->in_conf = 1;
			/* A fixed address would win over the container's. */
			for (i = 0; i < cp->addresses.n; i++) {
				for (j = 0; j < p->addrs.n; j++)
					if (same_host(&cp->addresses.v[i],
					    &p->addrs.v[j]))
						break;
				if (j == p->addrs.n) {
					addr_format(&cp->addresses.v[i], as,
					    sizeof(as));
					log_warnx("%s:%d: peer \"%s\" has "
					    "address %s, not the container's: "
					    "remove it", cp->where.file,
					    cp->where.line, cp->name, as);
					return -1;
				}
			}
		}

	for (k = 0; k < imp->npeers; k++) {
		p = &imp->peers[k];
		for (i = 0; i < p->addrs.n; i++) {
			a = &p->addrs.v[i];
			addr_format(a, as, sizeof(as));
			max = addr_maxlen(a->af);
			for (j = 0; j < ifc->addresses.n; j++)
				if (addr_contains(&ifc->addresses.v[j], a))
					break;
			if (j == ifc->addresses.n) {
				suggest_subnet(a, ss, sizeof(ss));
				log_warnx("peer \"%s\": address %s is in no "
				    "subnet of interface \"%s\": add one to "
				    "it, such as \"address %s\"", p->name, as,
				    ifc->name, ss);
				return -1;
			}
			s = &ifc->addresses.v[j];
			if (s->plen < max - 1 && (host_bits(a, s->plen, 0) ||
			    (a->af == AF_INET && host_bits(a, s->plen, 1)))) {
				addr_format_prefix(s, ss, sizeof(ss));
				log_warnx("peer \"%s\": address %s is the "
				    "network or broadcast address of %s",
				    p->name, as, ss);
				return -1;
			}
			for (j = 0; j < i; j++)
				if (addr_contains(s, &p->addrs.v[j])) {
					addr_format_prefix(s, ss, sizeof(ss));
					log_warnx("peer \"%s\": two addresses "
					    "in %s: wgd gives a peer one per "
					    "subnet", p->name, ss);
					return -1;
				}
			for (j = 0; j < imp->nused; j++)
				if (same_host(&imp->used[j].a, a)) {
					log_warnx("peer \"%s\": address %s is "
					    "%s's already", p->name, as,
					    imp->used[j].who);
					return -1;
				}
		}
		for (i = 0; i < p->addrs.n; i++)
			use(imp, &p->addrs.v[i], p->name);
	}
	return 0;
}

/*
 * The state dir side.  0 when nothing there stands in the way: no key
 * of ours, or the same keys; -1 (logged) for a different key.
 */
static int
import_check_state(struct import *imp)
{
	struct import_peer	*p;
	struct stat		 st;
	char			 dir[PATH_MAX], path[PATH_MAX];
	uint8_t			 key[WG_KEY_LEN];
	size_t			 i;
	int			 r, rv = -1;

	if (path_of(path, sizeof(path), imp->ifdir,
	    "server/", "privatekey-server") == -1 ||
	    (r = import_read_key(imp, path, NULL, key, 1)) == -1)
		goto done;
	/* With the key in the configuration, the state dir's is unused. */
	if (r == 0 && !key_equal(key, imp->server_priv) &&
	    !imp->server_in_conf) {
		log_warnx("%s holds another server key: move %s/server aside "
		    "to import the container's (clients set up by wgd then "
		    "need new QR codes)", path, imp->ifdir);
		goto done;
	}
	imp->server_in_state = r == 0 && key_equal(key, imp->server_priv);

	for (i = 0; i < imp->npeers; i++) {
		p = &imp->peers[i];
		if (path_of(dir, sizeof(dir), imp->ifdir, "peer_", p->name) ==
		    -1)
			goto done;
		if (lstat(dir, &st) == -1) {
			if (errno != ENOENT) {
				log_warn("%s", dir);
				goto done;
			}
			p->state = IMPORT_NEW;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			log_warnx("%s is not a directory", dir);
			goto done;
		}
		if (path_of(path, sizeof(path), dir, "/privatekey-peer_",
		    p->name) == -1 ||
		    (r = import_read_key(imp, path, NULL, key, 1)) == -1)
			goto done;
		if (r == 0 && !key_equal(key, p->priv))
			goto other;
		p->state_priv = r == 0;
		if (path_of(path, sizeof(path), dir, "/presharedkey-peer_",
		    p->name) == -1 ||
		    (r = import_read_key(imp, path, NULL, key, 1)) == -1)
			goto done;
		if (r == 0 && !key_equal(key, p->psk))
			goto other;
		p->state_psk = r == 0;
		p->state = p->state_priv && p->state_psk ? IMPORT_SAME :
		    IMPORT_PART;
		continue;
other:
		log_warnx("%s holds other keys than %s/%s: move it aside to "
		    "import the container's (a client set up by wgd then "
		    "needs a new QR code)", dir, imp->dir, p->id);
		goto done;
	}
	rv = 0;
done:
	sodium_memzero(key, sizeof(key));
	return rv;
}

static int
write_key(const char *dir, const char *name, const char *id,
    const uint8_t key[WG_KEY_LEN])
{
	char	 file[PATH_MAX], b64[WG_KEY_LEN_BASE64 + 1];
	int	 rv;

	if ((size_t)snprintf(file, sizeof(file), "%s%s", name, id) >=
	    sizeof(file))
		return -1;
	key_to_base64(b64, key);
	strlcat(b64, "\n", sizeof(b64));
	rv = statedir_write(dir, file, b64, strlen(b64));
	sodium_memzero(b64, sizeof(b64));
	return rv;
}

/*
 * A new peer is written in .import.peer_NAME and renamed into place:
 * wgd finds all of its files or none.
 */
static int
import_write_peer(struct import *imp, const struct import_peer *p)
{
	char	 final[PATH_MAX], dir[PATH_MAX], file[PATH_MAX];
	char	 s[ADDR_STRLEN], *buf = NULL;
	size_t	 len = 0, i;
	FILE	*fp;
	int	 rv;

	if (path_of(final, sizeof(final), imp->ifdir, "peer_", p->name) ==
	    -1 ||
	    path_of(dir, sizeof(dir), imp->ifdir, p->state == IMPORT_NEW ?
	    ".import.peer_" : "peer_", p->name) == -1)
		return -1;
	snprintf(file, sizeof(file), "address-peer_%s", p->name);

	if (statedir_mkdir(dir) == -1)
		return -1;
	if (!p->state_psk &&
	    write_key(dir, "presharedkey-peer_", p->name, p->psk) == -1)
		return -1;
	if (!p->state_priv &&
	    write_key(dir, "privatekey-peer_", p->name, p->priv) == -1)
		return -1;
	if (write_key(dir, "publickey-peer_", p->name, p->pub) == -1)
		return -1;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < p->addrs.n; i++) {
		addr_format(&p->addrs.v[i], s, sizeof(s));
		fprintf(fp, "%s\n", s);
	}
	fclose(fp);
	rv = statedir_write(dir, file, buf, len);
	free(buf);
	if (rv == -1 || p->state != IMPORT_NEW)
		return rv;

	if (rename(dir, final) == -1) {
		log_warn("rename %s to %s", dir, final);
		return -1;
	}
	return statedir_sync(imp->ifdir);
}

static int
import_write(struct import *imp)
{
	char	 dir[PATH_MAX];
	size_t	 i;

	if (statedir_mkdir(imp->conf->state_dir) == -1 ||
	    statedir_mkdir(imp->ifdir) == -1)
		return -1;
	if (!imp->server_in_state && !imp->server_in_conf) {
		if (path_of(dir, sizeof(dir), imp->ifdir, "server", "") == -1 ||
		    statedir_mkdir(dir) == -1 ||
		    write_key(dir, "privatekey-server", "",
		    imp->server_priv) == -1 ||
		    write_key(dir, "publickey-server", "",
		    imp->server_pub) == -1)
			return -1;
	}
	for (i = 0; i < imp->npeers; i++)
		if (imp->peers[i].state != IMPORT_SAME &&
		    import_write_peer(imp, &imp->peers[i]) == -1)
			return -1;
	return 0;
}

/* A path or name in a comment line: no control character may end it. */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t	 i;

	strlcpy(buf, s, len);
	for (i = 0; buf[i] != '\0'; i++)
		if (iscntrl((unsigned char)buf[i]))
			buf[i] = '?';
	return buf;
}

/* A list as wgd.conf writes it: "a" or "{ a, b }". */
static void
format_list(char *buf, size_t len, const struct wgd_prefixes *l,
    int prefixes)
{
	char	 s[ADDR_STRLEN];
	size_t	 i;

	strlcpy(buf, l->n > 1 ? "{ " : "", len);
	for (i = 0; i < l->n; i++) {
		if (prefixes)
			addr_format_prefix(&l->v[i], s, sizeof(s));
		else
			addr_format(&l->v[i], s, sizeof(s));
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, s, len);
	}
	if (l->n > 1)
		strlcat(buf, " }", len);
}

static int
lists_same(const struct wgd_prefixes *a, const struct wgd_prefixes *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!addr_equal(&a->v[i], &b->v[i]))
			return 0;
	return 1;
}

/* Whether the DNS of a conf is exactly the server's own addresses. */
static int
dns_is_tunnel(const struct wgd_prefixes *dns, const struct wgd_prefixes *srv)
{
	size_t	 i, j;

	if (dns->n == 0 || srv->n == 0)
		return 0;
	for (i = 0; i < dns->n; i++) {
		for (j = 0; j < srv->n; j++)
			if (same_host(&dns->v[i], &srv->v[j]))
				break;
		if (j == srv->n)
			return 0;
	}
	return 1;
}

enum line_state {
	LINE_NEW,		/* printed to be pasted */
	LINE_HAVE,		/* the configuration says the same */
	LINE_OTHER		/* the configuration says otherwise */
};

/* One line of the interface block, commented out unless it is new. */
static void
iface_line(enum line_state st, const char *why, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
iface_line(enum line_state st, const char *why, const char *fmt, ...)
{
	va_list	 ap;

	if (st != LINE_NEW)
		printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (st == LINE_HAVE)
		printf("\t# so already%s%s\n", why != NULL ? ": " : "",
		    why != NULL ? why : "");
	else if (st == LINE_OTHER)
		printf("\t# the container's; the configuration "
		    "says otherwise%s%s\n", why != NULL ? ": " : "",
		    why != NULL ? why : "");
	else if (why != NULL)
		printf("\t# %s\n", why);
	else
		printf("\n");
}

/*
 * The interface on which this host reaches the world (its default
 * route), which the container's "-o eth+" stood for.
 */
static int
default_route_ifname(char *buf, size_t len)
{
	FILE		*fp;
	char		 line[256], name[IFNAMSIZ];
	unsigned long	 dst, mask;
	int		 found = 0;

	if ((fp = fopen("/proc/net/route", "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%15s %lx %*x %*x %*d %*d %*d %lx", name, &dst,
		    &mask) == 3 && dst == 0 && mask == 0 &&
		    conf_valid_ifname(name))
			found = 1;
	fclose(fp);
	if (!found)
		return -1;
	strlcpy(buf, name, len);
	return 0;
}

/* The container's server side of the interface, as wgd.conf lines. */
static void
print_iface(const struct import *imp, const struct import_hints *h)
{
	const struct wgd_iface_conf	*ifc = imp->ifc;
	const struct wgd_client_conf	*c = &ifc->client;
	const struct import_server	*srv = &imp->srv;
	enum line_state			 st;
	char				 s[1024], why[1200], lan[IFNAMSIZ];
	size_t				 i, j;
	unsigned int			 port;

	for (i = 0; i < srv->addresses.n; i++) {
		st = LINE_NEW;
		for (j = 0; j < ifc->addresses.n; j++)
			if (addr_equal(&ifc->addresses.v[j],
			    &srv->addresses.v[i]))
				st = LINE_HAVE;
		addr_format_prefix(&srv->addresses.v[i], s, sizeof(s));
		iface_line(st, NULL, "address %s", s);
	}

	port = srv->listen_port != 0 ? srv->listen_port : 51820;
	iface_line(ifc->listen_port == port ? LINE_HAVE : LINE_OTHER,
	    "the container's own port", "listen-port %u", port);

	if (h != NULL && h->endpoint[0] != '\0') {
		st = !c->endpoint_set ? LINE_NEW :
		    strcmp(c->endpoint_host, h->endpoint) == 0 &&
		    (c->endpoint_port != 0 ? c->endpoint_port :
		    ifc->listen_port) == h->port ? LINE_HAVE : LINE_OTHER;
		snprintf(why, sizeof(why), "SERVERURL and SERVERPORT: the "
		    "router forwards UDP port %u to this host's port %u",
		    h->port, ifc->listen_port);
		iface_line(st, why, "client endpoint \"%s\" port %u",
		    h->endpoint, h->port);
	}
	/* Without the server conf, the interface's are the tunnel's. */
	if (h != NULL && dns_is_tunnel(&h->dns, srv->addresses.n > 0 ?
	    &srv->addresses : &ifc->addresses)) {
		st = !c->dns_set ? LINE_NEW : c->dns_tunnel ? LINE_HAVE :
		    LINE_OTHER;
		format_list(s, sizeof(s), &h->dns, 0);
		snprintf(why, sizeof(why), "PEERDNS=auto: phones ask %s, "
		    "where wgd answers", s);
		iface_line(st, why, "client dns tunnel");
	} else if (h != NULL && h->dns.n > 0) {
		st = !c->dns_set ? LINE_NEW : !c->dns_auto && !c->dns_tunnel &&
		    lists_same(&c->dns, &h->dns) ? LINE_HAVE : LINE_OTHER;
		format_list(s, sizeof(s), &h->dns, 0);
		iface_line(st, "PEERDNS", "client dns %s", s);
	}
	if (h != NULL && h->allowed_ips.n > 0 && !h->allowed_ips_bad) {
		st = !c->allowed_ips_set ? LINE_NEW :
		    lists_same(&c->allowed_ips, &h->allowed_ips) ? LINE_HAVE :
		    LINE_OTHER;
		format_list(s, sizeof(s), &h->allowed_ips, 1);
		iface_line(st, "ALLOWEDIPS", "client allowed-ips %s", s);
	}
	if (h != NULL && h->keepalive > 0)
		iface_line(c->keepalive_set ? (c->keepalive == h->keepalive ?
		    LINE_HAVE : LINE_OTHER) : LINE_NEW, NULL,
		    "client persistent-keepalive %u", h->keepalive);
	if (srv->masquerade) {
		if (ifc->masquerade[0] != '\0')
			iface_line(LINE_HAVE, NULL, "masquerade on \"%s\"",
			    ifc->masquerade);
		else if (default_route_ifname(lan, sizeof(lan)) == 0)
			iface_line(LINE_NEW, "the container masqueraded: "
			    "phones reach the Internet and the LAN through "
			    "this host's default route", "masquerade on \"%s\"",
			    lan);
		else
			printf("# masquerade on \"eth0\"\t# the container "
			    "masqueraded: name this host's LAN interface\n");
	}
}

/*
 * A peer's line, or block when the container's server conf gave it
 * more than its address (SERVER_ALLOWEDIPS_PEER_x, a LAN behind it;
 * PERSISTENTKEEPALIVE_PEERS) or its conf differs from the first
 * peer's, whose client options the interface takes.
 */
static void
print_peer(const struct import_peer *p, const struct import_hints *h)
{
	struct wgd_prefixes	 extra = { NULL, 0 };
	const char		*c = p->in_conf ? "# " : "";
	char			 s[1024];
	size_t			 i, j;
	int			 block = 0;

	for (i = 0; p->sp != NULL && i < p->sp->allowed_ips.n; i++) {
		for (j = 0; j < p->addrs.n; j++)
			if (same_host(&p->sp->allowed_ips.v[i],
			    &p->addrs.v[j]) &&
			    p->sp->allowed_ips.v[i].plen ==
			    addr_maxlen(p->addrs.v[j].af))
				break;
		if (j == p->addrs.n &&
		    prefixes_add(&extra, &p->sp->allowed_ips.v[i]) == -1)
			fatal("%s", __func__);
	}
	block = extra.n > 0 || (p->sp != NULL && p->sp->keepalive > 0) ||
	    (h != NULL && (strcmp(p->hints.endpoint, h->endpoint) != 0 ||
	    p->hints.port != h->port || !lists_same(&p->hints.dns, &h->dns) ||
	    !lists_same(&p->hints.allowed_ips, &h->allowed_ips)));
	printf("%speer \"%s\"%s%s\n", c, p->name, block ? " {" : "",
	    p->in_conf ? "\t# in the configuration already" : "");
	if (!block)
		return;
	if (extra.n > 0) {
		format_list(s, sizeof(s), &extra, 1);
		printf("%s\tallowed-ips %s\t# SERVER_ALLOWEDIPS_PEER_%s\n", c,
		    s, p->id[4] == '_' ? p->id + 5 : p->id + 4);
	}
	if (p->sp != NULL && p->sp->keepalive > 0)
		printf("%s\tpersistent-keepalive %u\t# "
		    "PERSISTENTKEEPALIVE_PEERS\n", c, p->sp->keepalive);
	if (h != NULL && p->hints.endpoint[0] != '\0' &&
	    (strcmp(p->hints.endpoint, h->endpoint) != 0 ||
	    p->hints.port != h->port))
		printf("%s\tclient endpoint \"%s\" port %u\n", c,
		    p->hints.endpoint, p->hints.port);
	if (h != NULL && p->hints.dns.n > 0 &&
	    !lists_same(&p->hints.dns, &h->dns)) {
		format_list(s, sizeof(s), &p->hints.dns, 0);
		printf("%s\tclient dns %s\n", c, s);
	}
	if (h != NULL && p->hints.allowed_ips.n > 0 &&
	    !p->hints.allowed_ips_bad &&
	    !lists_same(&p->hints.allowed_ips, &h->allowed_ips)) {
		format_list(s, sizeof(s), &p->hints.allowed_ips, 1);
		printf("%s\tclient allowed-ips %s\n", c, s);
	}
	printf("%s}\n", c);
	prefixes_free(&extra);
}

/*
 * What the user pastes into the interface block: the container's
 * settings (those the configuration has already commented out), notes,
 * then each imported peer.
 */
static void
import_print(const struct import *imp)
{
	const struct wgd_iface_conf	*ifc = imp->ifc;
	const struct import_peer	*p;
	const struct import_hints	*h = NULL;
	struct wgd_prefix		 sub;
	char				 b1[PATH_MAX], b2[PATH_MAX];
	char				 s[ADDR_STRLEN];
	size_t				 i, j, k;

	printf("# wgd -i %s: add these lines to interface \"%s\" in %s.\n",
	    printable(imp->dir, b1, sizeof(b1)), ifc->name,
	    printable(ifc->where.file, b2, sizeof(b2)));
	printf("# Phones keep the confs they have; wgd writes new ones, with "
	    "the same\n# keys, in %s.\n", printable(imp->ifdir, b1,
	    sizeof(b1)));
	if (imp->npeers > 0)
		h = &imp->peers[0].hints;
	if (imp->srv.path[0] != '\0')
		printf("# The container's settings, from %s and the peer "
		    "confs:\n", printable(imp->srv.path, b1, sizeof(b1)));
	else
		printf("# The container's settings, from the peer confs (no "
		    "wg_confs/wg0.conf:\n# the server side's AllowedIPs and "
		    "PersistentKeepalive are unknown):\n");
	print_iface(imp, h);
	if (imp->server_in_conf)
		printf("# The server key is the interface's private-key "
		    "already.\n");
	else if (imp->server_in_state)
		printf("# The server key was imported before.\n");

	for (k = 0; k < imp->npeers; k++) {
		p = &imp->peers[k];
		if (p->state == IMPORT_SAME)
			printf("# peer \"%s\" was imported before, with the "
			    "same keys: left as it is.\n", p->name);
		if (p->no_psk)
			printf("# peer \"%s\" has no preshared key (an older "
			    "container): imported as none,\n# so its phone "
			    "keeps working.  To give it one, remove\n# %s/"
			    "peer_%s/presharedkey-peer_%s,\n# restart wgd "
			    "and scan its new QR code.\n", p->name,
			    printable(imp->ifdir, b1, sizeof(b1)), p->name,
			    p->name);
		for (i = 0; i < ifc->addresses.n; i++) {
			for (j = 0; j < p->addrs.n; j++)
				if (addr_contains(&ifc->addresses.v[i],
				    &p->addrs.v[j]))
					break;
			if (j < p->addrs.n)
				continue;
			sub = ifc->addresses.v[i];
			addr_mask(&sub);
			addr_format_prefix(&sub, s, sizeof(s));
			printf("# peer \"%s\" also gets an address in %s; "
			    "its present conf\n# works without it.\n", p->name,
			    s);
		}
	}
	for (k = 0; k < imp->npeers; k++)
		print_peer(&imp->peers[k], h);
}

/*
 * The server conf's peers are matched to the peer folders by key.
 * What wgd.conf cannot say, and peers without a folder, are named on
 * stderr: nothing the container configured is dropped silently.
 */
static void
import_match_server(struct import *imp)
{
	struct import_server_peer	*sp;
	size_t				 i, k;

	for (i = 0; i < imp->srv.npeers; i++) {
		sp = &imp->srv.peers[i];
		for (k = 0; sp->has_pub && k < imp->npeers; k++)
			if (key_equal(sp->pub, imp->peers[k].pub)) {
				imp->peers[k].sp = sp;
				sp->matched = 1;
			}
	}
}

static void
import_name_dropped(const struct import *imp)
{
	const struct import_server_peer	*sp;
	char				 b[PATH_MAX], b2[128];
	size_t				 i;

	for (i = 0; i < imp->srv.ndropped; i++)
		fprintf(stderr, "wgd -i: not carried over: %s\n",
		    printable(imp->srv.dropped[i], b, sizeof(b)));
	for (i = 0; i < imp->srv.npeers; i++) {
		sp = &imp->srv.peers[i];
		if (sp->matched)
			continue;
		fprintf(stderr, "wgd -i: not carried over: %s:%d: [Peer]%s%s: "
		    "no peer folder has its key\n",
		    printable(imp->srv.path, b, sizeof(b)), sp->line,
		    sp->label[0] != '\0' ? " " : "",
		    printable(sp->label, b2, sizeof(b2)));
	}
}

static void
import_free(struct import *imp)
{
	size_t	 i;

	for (i = 0; i < imp->npeers; i++) {
		prefixes_free(&imp->peers[i].addrs);
		prefixes_free(&imp->peers[i].hints.dns);
		prefixes_free(&imp->peers[i].hints.allowed_ips);
	}
	if (imp->peers != NULL)
		sodium_memzero(imp->peers, imp->npeers * sizeof(*imp->peers));
	free(imp->peers);
	free(imp->used);
	import_server_free(&imp->srv);
	if (imp->dirfd != -1)
		close(imp->dirfd);
	sodium_memzero(imp, sizeof(*imp));
}

/*
 * wgd -i: reads and checks dir, writes the state dir of conf's first
 * interface, prints the peer lines.  Returns the exit status: 0, or 1
 * after one line on stderr that says why.  The caller has called
 * sodium_init().
 */
int
import_container(const char *dir, const struct wgd_config *conf)
{
	struct import	 imp;
	char		 s[ADDR_STRLEN];
	size_t		 i;
	int		 rv = 1;

	memset(&imp, 0, sizeof(imp));
	imp.dir = dir;
	imp.conf = conf;
	if ((imp.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		log_warn("%s", dir);
		goto done;
	}
	if (import_read_server(&imp) == -1 ||
	    import_server_read(imp.dirfd, dir, &imp.srv) == -1 ||
	    import_scan(&imp) == -1)
		goto done;
	for (i = 0; i < imp.npeers; i++)
		if (import_read_peer(&imp, &imp.peers[i]) == -1)
			goto done;
	if (imp.npeers > 1)
		qsort(imp.peers, imp.npeers, sizeof(*imp.peers), peer_cmp);
	import_match_server(&imp);

	if ((imp.ifc = TAILQ_FIRST(&conf->ifaces)) == NULL) {
		if (imp.npeers > 0)
			suggest_subnet(&imp.peers[0].addrs.v[0], s, sizeof(s));
		else
			strlcpy(s, "10.13.13.1/24", sizeof(s));
		log_warnx("the configuration has no interface: add one, such "
		    "as interface \"wg0\" { address %s }, and run wgd -i "
		    "again", s);
		goto done;
	}
	if ((size_t)snprintf(imp.ifdir, sizeof(imp.ifdir), "%s/%s",
	    conf->state_dir, imp.ifc->name) >= sizeof(imp.ifdir)) {
		log_warnx("%s: path too long", conf->state_dir);
		goto done;
	}
	if (import_check_conf(&imp) == -1 || import_check_state(&imp) == -1 ||
	    import_write(&imp) == -1)
		goto done;
	import_print(&imp);
	import_name_dropped(&imp);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("stdout");
		goto done;
	}
	rv = 0;
done:
	import_free(&imp);
	return rv;
}
