/*
 * The host's resolvers.  /etc/resolv.conf names them; when it names
 * only systemd-resolved's stub (127.0.0.53), the stub's upstreams are in
 * /run/systemd/resolve/resolv.conf.  Both files are replaced whole, by
 * rename, by resolvconf, systemd-resolved and NetworkManager, and
 * /etc/resolv.conf is often a symbolic link into /run: so the parent
 * watches the directories that hold the files and their link targets,
 * and reads both again on any change there to their names.
 *
 * A file is read a second after the last change to it, when its
 * writer is done; one that names no resolver at all (resolvconf while
 * an uplink is down) keeps the last ones, so client configurations do
 * not flap with the link.
 *
 * The tests cannot replace /etc/resolv.conf: `ip netns exec` bind-mounts
 * /etc/netns/NS/resolv.conf over it, pinning its inode.  They name other
 * files in WGD_TEST_RESOLV_CONF and WGD_TEST_RESOLVED_CONF.
 */

#include <sys/inotify.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "resolvconf.h"

#define RESOLV_CONF		"/etc/resolv.conf"
#define RESOLV_CONF_RESOLVED	"/run/systemd/resolve/resolv.conf"
#define RESOLV_WATCH_MAX	4		/* two files, two targets */
#define RESOLV_SETTLE_MS	1000

static struct {
	int		 loaded;
	struct resolv	 cur;
	int		 fd;			/* inotify, or -1 */
	char		 names[RESOLV_WATCH_MAX][NAME_MAX + 1];
	size_t		 nnames;
	struct event	 ev;
	struct event	 settle;
	void		(*changed)(void *);
	void		*arg;
} rc = { .fd = -1 };

static const char *
path_main(void)
{
	const char	*p = getenv("WGD_TEST_RESOLV_CONF");

	return p != NULL && *p == '/' ? p : RESOLV_CONF;
}

static const char *
path_resolved(void)
{
	const char	*p = getenv("WGD_TEST_RESOLVED_CONF");

	return p != NULL && *p == '/' ? p : RESOLV_CONF_RESOLVED;
}

static int
is_loopback(const struct wgd_prefix *a)
{
	return (a->af == AF_INET && a->addr.bytes[0] == 127) ||
	    (a->af == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a->addr.v6));
}

/*
 * The nameserver lines of a resolv.conf file, at most max; a line that
 * does not parse is skipped, as the resolver skips it.  A scope
 * ("fe80::1%eth0") cannot reach a tunnel client and is dropped.
 */
static size_t
read_nameservers(const char *path, struct wgd_prefix *out, size_t max)
{
	FILE			*fp;
	char			 line[512], *p, *addr;
	struct wgd_prefix	 a;
	size_t			 n = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return 0;
	}
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (strncmp(p, "nameserver", 10) != 0 ||
		    !isspace((unsigned char)p[10]))
			continue;
		for (p += 10; isspace((unsigned char)*p); p++)
			;
		addr = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		*p = '\0';
		if (strchr(addr, '%') != NULL || addr_parse(addr, &a) == -1)
			continue;
		a.plen = a.af == AF_INET ? 32 : 128;
		out[n++] = a;
	}
	fclose(fp);
	return n;
}

/* 0, or -1 when the file names no resolver at all. */
static int
resolv_read(struct resolv *r)
{
	struct wgd_prefix	 all[RESOLV_MAX];
	size_t			 n, i;

	memset(r, 0, sizeof(*r));
	n = read_nameservers(path_main(), all, RESOLV_MAX);
	for (i = 0; i < n; i++) {
		r->servers[r->nservers++] = all[i];
		if (!is_loopback(&all[i]))
			r->upstream[r->nupstream++] = all[i];
	}
	/* Only a stub on this host: what it forwards to is upstream. */
	if (r->nupstream == 0 && n > 0) {
		n = read_nameservers(path_resolved(), all, RESOLV_MAX);
		for (i = 0; i < n; i++)
			if (!is_loopback(&all[i]))
				r->upstream[r->nupstream++] = all[i];
	}
	/* No nameserver line at all: the C library asks this host. */
	if (r->nservers == 0) {
		if (addr_parse("127.0.0.1", &r->servers[0]) == -1)
			fatalx("%s", __func__);
		r->servers[0].plen = 32;
		r->nservers = 1;
		return -1;
	}
	return 0;
}

const struct resolv *
resolv_current(void)
{
	if (!rc.loaded) {
		(void)resolv_read(&rc.cur);
		rc.loaded = 1;
	}
	return &rc.cur;
}

/* Reads the files again; 1 when what they say changed. */
int
resolv_reread(void)
{
	struct resolv	 r;

	if (resolv_read(&r) == -1 && rc.loaded) {
		log_debug("%s names no resolver: the last ones are kept",
		    path_main());
		return 0;
	}
	if (rc.loaded && memcmp(&r, &rc.cur, sizeof(r)) == 0)
		return 0;
	rc.cur = r;
	rc.loaded = 1;
	return 1;
}

static void
watch_name(const char *name)
{
	size_t	 i;

	for (i = 0; i < rc.nnames; i++)
		if (strcmp(rc.names[i], name) == 0)
			return;
	if (rc.nnames < RESOLV_WATCH_MAX)
		strlcpy(rc.names[rc.nnames++], name, sizeof(rc.names[0]));
}

#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_CREATE | IN_DELETE)

static void
watch_dir_of(const char *path)
{
	char	 dir[PATH_MAX], base[PATH_MAX];

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    strlcpy(base, path, sizeof(base)) >= sizeof(base))
		return;
	watch_name(basename(base));
	if (inotify_add_watch(rc.fd, dirname(dir), WATCH_MASK) == -1 &&
	    errno != ENOENT)
		log_warn("inotify %s", dir);
}

/* Watches the directory of path, and of where a link there leads. */
static void
watch_path(const char *path)
{
	char	*real;

	watch_dir_of(path);
	if ((real = realpath(path, NULL)) != NULL) {
		if (strcmp(real, path) != 0)
			watch_dir_of(real);
		free(real);
	}
}

static void
watch_all(void)
{
	rc.nnames = 0;
	watch_path(path_main());
	watch_path(path_resolved());
}

static void
watch_read(int fd, short event, void *arg)
{
	char				 buf[4096]
	    __attribute__((__aligned__(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	struct timeval			 settle = { RESOLV_SETTLE_MS / 1000,
					    (RESOLV_SETTLE_MS % 1000) * 1000 };
	ssize_t				 n;
	size_t				 off, i;
	int				 hit = 0;

	(void)event;
	(void)arg;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (off = 0; off + sizeof(*ie) <= (size_t)n;
		    off += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)(buf + off);
			if (off + sizeof(*ie) + ie->len > (size_t)n)
				break;
			for (i = 0; ie->len > 0 && i < rc.nnames; i++)
				if (strcmp(ie->name, rc.names[i]) == 0)
					hit = 1;
		}
	if (hit)
		evtimer_add(&rc.settle, &settle);
}

static void
settled(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	/* A link may now lead elsewhere: watch where it leads. */
	watch_all();
	if (resolv_reread()) {
		log_info("the host's resolvers changed");
		rc.changed(rc.arg);
	}
}

/*
 * Calls changed(arg) from the event loop whenever what the files say
 * changes.  Without inotify the resolvers stay as read at start.
 */
void
resolv_watch(void (*changed)(void *), void *arg)
{
	if (rc.fd != -1)
		return;
	rc.changed = changed;
	rc.arg = arg;
	if ((rc.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify: the host's resolvers are read once");
		return;
	}
	watch_all();
	(void)resolv_reread();
	event_set(&rc.ev, rc.fd, EV_READ | EV_PERSIST, watch_read, NULL);
	event_add(&rc.ev, NULL);
	evtimer_set(&rc.settle, settled, NULL);
}
