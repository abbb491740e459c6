/*
 * wgd -i: the container's server conf, wg_confs/wg0.conf (wg0.conf in
 * containers before 2023-10), which its generator writes from the
 * server template and, per peer, a [Peer] block:
 *
 *	[Interface]
 *	Address = 10.13.13.1			(INTERNAL_SUBNET's .1, a /24)
 *	ListenPort = 51820
 *	PrivateKey = ...
 *	PostUp = iptables ... -j MASQUERADE	(and PostDown undoing it)
 *
 *	[Peer]
 *	# peer_phone
 *	PublicKey = ...
 *	PresharedKey = ...
 *	AllowedIPs = 10.13.13.3/32,192.168.77.0/24  (SERVER_ALLOWEDIPS_PEER_x)
 *	PersistentKeepalive = 25		(PERSISTENTKEEPALIVE_PEERS)
 *
 * What wgd.conf can say of it is kept; every other line is remembered
 * word for word, so that wgd -i names what it does not carry.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "import_server.h"
#include "log.h"

/* The commands of the container's own PostUp and PostDown. */
static const char *const known_cmds[] = {
	"iptables -A FORWARD -i %i -j ACCEPT",
	"iptables -A FORWARD -o %i -j ACCEPT",
	"iptables -t nat -A POSTROUTING -o eth+ -j MASQUERADE",
	"iptables -D FORWARD -i %i -j ACCEPT",
	"iptables -D FORWARD -o %i -j ACCEPT",
	"iptables -t nat -D POSTROUTING -o eth+ -j MASQUERADE",
};

/* s without the white space around it; shared with import.c. */
char *
import_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
dropped(struct import_server *srv, int line, const char *key,
    const char *val)
{
	char	**v;

	if ((v = reallocarray(srv->dropped, srv->ndropped + 1,
	    sizeof(*v))) == NULL)
		fatal("%s", __func__);
	srv->dropped = v;
	if (asprintf(&v[srv->ndropped++], "%s:%d: %s = %s", srv->path, line,
	    key, val) == -1)
		fatal("%s", __func__);
}

/*
 * PostUp/PostDown: the container's commands are understood (one of
 * them masquerades); any other is named, not run.
 */
static void
commands(struct import_server *srv, int line, const char *key, char *val)
{
	char	*cmd, *c;
	size_t	 i;

	while ((cmd = strsep(&val, ";")) != NULL) {
		c = import_trim(cmd);
		if (*c == '\0')
			continue;
		for (i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++)
			if (strcmp(c, known_cmds[i]) == 0)
				break;
		if (i == sizeof(known_cmds) / sizeof(known_cmds[0]))
			dropped(srv, line, key, c);
		else if (strstr(c, "-A POSTROUTING") != NULL &&
		    strstr(c, "MASQUERADE") != NULL)
			srv->masquerade = 1;
	}
}

static int
prefix_list(struct import_server *srv, int line, char *val,
    struct wgd_prefixes *out)
{
	struct wgd_prefix	 a;
	char			*s;

	while ((s = strsep(&val, ",")) != NULL) {
		s = import_trim(s);
		if (*s == '\0')
			continue;
		if (addr_parse_prefix(s, &a) == -1) {
			log_warnx("%s:%d: \"%s\" is not a prefix", srv->path,
			    line, s);
			return -1;
		}
		if (prefixes_add(out, &a) == -1)
			fatal("%s", __func__);
	}
	return 0;
}

/*
 * The interface's addresses: the container writes the bare .1 of its
 * /24; an address with a length is taken as written.
 */
static int
addresses(struct import_server *srv, int line, char *val)
{
	struct wgd_prefix	 a;
	char			*s;

	while ((s = strsep(&val, ",")) != NULL) {
		s = import_trim(s);
		if (*s == '\0')
			continue;
		if (strchr(s, '/') == NULL && addr_parse(s, &a) == 0)
			a.plen = a.af == AF_INET ? 24 : 64;
		else if (addr_parse_prefix(s, &a) == -1) {
			log_warnx("%s:%d: Address \"%s\": not an address",
			    srv->path, line, s);
			return -1;
		}
		if (prefixes_add(&srv->addresses, &a) == -1)
			fatal("%s", __func__);
	}
	return 0;
}

static struct import_server_peer *
new_peer(struct import_server *srv)
{
	struct import_server_peer	*p;

	if ((p = reallocarray(srv->peers, srv->npeers + 1,
	    sizeof(*p))) == NULL)
		fatal("%s", __func__);
	srv->peers = p;
	p = &srv->peers[srv->npeers++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int
read_file(struct import_server *srv, FILE *fp)
{
	enum { NONE, IFACE, PEER }	 section = NONE;
	struct import_server_peer	*p = NULL;
	char				*buf = NULL, *s, *key, *val, *eq, *hash;
	size_t				 cap = 0;
	const char			*errstr;
	int				 line = 0, rv = -1;

	while (getline(&buf, &cap, fp) != -1) {
		line++;
		s = import_trim(buf);
		/* The generator names each peer in a comment: "# peer_x". */
		if (*s == '#') {
			if (section == PEER && p->label[0] == '\0')
				strlcpy(p->label, import_trim(s + 1),
				    sizeof(p->label));
			continue;
		}
		if ((hash = strchr(s, '#')) != NULL)
			*hash = '\0';
		s = import_trim(s);
		if (*s == '\0')
			continue;
		if (strcasecmp(s, "[Interface]") == 0) {
			section = IFACE;
			continue;
		}
		if (strcasecmp(s, "[Peer]") == 0) {
			section = PEER;
			p = new_peer(srv);
			p->line = line;
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL || section == NONE) {
			log_warnx("%s:%d: not a wg-quick file", srv->path,
			    line);
			goto done;
		}
		*eq = '\0';
		key = import_trim(s);
		val = import_trim(eq + 1);
		if (section == IFACE) {
			if (strcasecmp(key, "Address") == 0) {
				if (addresses(srv, line, val) == -1)
					goto done;
			} else if (strcasecmp(key, "ListenPort") == 0) {
				srv->listen_port = (unsigned int)strtonum(val,
				    1, 65535, &errstr);
				if (errstr != NULL) {
					log_warnx("%s:%d: ListenPort %s",
					    srv->path, line, errstr);
					goto done;
				}
			} else if (strcasecmp(key, "PrivateKey") == 0) {
				/* The key files are what is imported. */
			} else if (strcasecmp(key, "PostUp") == 0 ||
			    strcasecmp(key, "PostDown") == 0)
				commands(srv, line, key, val);
			else
				dropped(srv, line, key, val);
			continue;
		}
		if (strcasecmp(key, "PublicKey") == 0) {
			if (key_from_base64(p->pub, val) == -1) {
				log_warnx("%s:%d: PublicKey: not a key",
				    srv->path, line);
				goto done;
			}
			p->has_pub = 1;
		} else if (strcasecmp(key, "PresharedKey") == 0) {
			/* The peer folder's file is what is imported. */
		} else if (strcasecmp(key, "AllowedIPs") == 0) {
			if (prefix_list(srv, line, val, &p->allowed_ips) == -1)
				goto done;
		} else if (strcasecmp(key, "PersistentKeepalive") == 0) {
			p->keepalive = (unsigned int)strtonum(val, 0, 65535,
			    &errstr);
			if (errstr != NULL) {
				log_warnx("%s:%d: PersistentKeepalive %s",
				    srv->path, line, errstr);
				goto done;
			}
		} else
			dropped(srv, line, key, val);
	}
	if (ferror(fp)) {
		log_warn("%s", srv->path);
		goto done;
	}
	rv = 0;
done:
	if (buf != NULL) {
		/* It held the server's private key. */
		sodium_memzero(buf, cap);
		free(buf);
	}
	return rv;
}

/*
 * Opens rel, a path inside the folder being imported (dirfd, named dir
 * in messages), following no symbolic link on the way.  The folder is
 * the container's, writable by its uid, and wgd -i runs as root: a link
 * could have it read a file of root's from anywhere and copy it into
 * the state dir, or print what it says.  Links in the folder are
 * refused, not skipped: the import is all or nothing, and the fix
 * (copy the file itself in) is easy.  The folder itself may be a link:
 * the user named it.  Returns the descriptor, or -1 with errno; all but
 * ENOENT (which only the caller can judge) is logged.
 */
int
import_openat(int dirfd, const char *dir, const char *rel, int flags)
{
	struct stat	 st;
	char		 buf[PATH_MAX], *comp, *slash;
	int		 fd = dirfd, next, saved;

	if (strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf)) {
		log_warnx("%s/%s: path too long", dir, rel);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (comp = buf;; comp = slash + 1) {
		if ((slash = strchr(comp, '/')) != NULL)
			*slash = '\0';
		next = openat(fd, comp, O_NOFOLLOW | O_CLOEXEC |
		    (slash != NULL ? O_RDONLY | O_DIRECTORY : flags));
		saved = errno;
		/* O_NOFOLLOW says ELOOP, or ENOTDIR with O_DIRECTORY. */
		if (next == -1 && (saved == ELOOP || saved == ENOTDIR) &&
		    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			log_warnx("%s/%.*s: %s", dir,
			    (int)(comp - buf + strlen(comp)), rel,
			    IMPORT_LINK_REFUSED);
			saved = ELOOP;
		} else if (next == -1 && saved != ENOENT)
			log_warnx("%s/%.*s: %s", dir,
			    (int)(comp - buf + strlen(comp)), rel,
			    strerror(saved));
		if (fd != dirfd)
			close(fd);
		if (next == -1) {
			errno = saved;
			return -1;
		}
		if (slash == NULL)
			return next;
		fd = next;
	}
}

/*
 * Reads DIR/wg_confs/wg0.conf, or DIR/wg0.conf of an older container,
 * through dirfd, the open DIR.  0 with srv->path empty when there is
 * neither, 0 when read, -1 (logged) when one does not read as the
 * container's.
 */
int
import_server_read(int dirfd, const char *dir, struct import_server *srv)
{
	static const char *const names[] = { "wg_confs/wg0.conf", "wg0.conf" };
	FILE	*fp;
	size_t	 i;
	int	 fd, rv;

	memset(srv, 0, sizeof(*srv));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((size_t)snprintf(srv->path, sizeof(srv->path), "%s/%s",
		    dir, names[i]) >= sizeof(srv->path)) {
			log_warnx("%s: path too long", dir);
			return -1;
		}
		if ((fd = import_openat(dirfd, dir, names[i],
		    O_RDONLY | O_NONBLOCK | O_NOCTTY)) != -1)
			break;
		if (errno != ENOENT)
			return -1;
	}
	if (i == sizeof(names) / sizeof(names[0])) {
		srv->path[0] = '\0';
		return 0;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("%s", srv->path);
		close(fd);
		return -1;
	}
	rv = read_file(srv, fp);
	fclose(fp);
	return rv;
}

void
import_server_free(struct import_server *srv)
{
	size_t	 i;

	for (i = 0; i < srv->npeers; i++)
		prefixes_free(&srv->peers[i].allowed_ips);
	free(srv->peers);
	for (i = 0; i < srv->ndropped; i++)
		free(srv->dropped[i]);
	free(srv->dropped);
	prefixes_free(&srv->addresses);
	memset(srv, 0, sizeof(*srv));
}
