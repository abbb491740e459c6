/*
 * The parent's half of the userspace API: the socket of each
 * interface, /var/run/wireguard/NAME.sock (root's alone: it carries
 * the private key), handed to control; and the port and fwmark a set
 * asks for, applied to the sockets the parent owns.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "parent.h"
#include "uapi.h"
#include "wgd.h"

struct uapi_sock {
	TAILQ_ENTRY(uapi_sock)	 entry;
	char			 name[IFNAMSIZ];
	char			 path[sizeof(WGD_UAPI_DIR) + IFNAMSIZ + 8];
};

static TAILQ_HEAD(, uapi_sock)	 socks = TAILQ_HEAD_INITIALIZER(socks);

static void
send_control(struct wgd *env, int type, int fd, const char *name)
{
	struct msg_uapi	 m;

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, name, sizeof(m.name));
	if (imsgev_compose(&env->control, type, 0, 0, fd, &m,
	    sizeof(m)) == -1)
		fatal("%s", __func__);
}

/*
 * Makes the interface's socket and gives it to control.  One that a
 * live process answers (wireguard-go, another wgd) is an error; a
 * stale one is replaced.
 */
int
uapi_socket_add(struct wgd *env, const char *name)
{
	struct uapi_sock	*us;
	struct stat		 st;
	int			 fd;

	/* wireguard-go's mode; the umask must not narrow it. */
	if (mkdir(WGD_UAPI_DIR, 0755) == 0)
		(void)chmod(WGD_UAPI_DIR, 0755);
	else if (errno != EEXIST) {
		log_warn("mkdir %s", WGD_UAPI_DIR);
		return -1;
	}
	if (lstat(WGD_UAPI_DIR, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("%s is not a directory", WGD_UAPI_DIR);
		return -1;
	}
	if ((us = calloc(1, sizeof(*us))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	strlcpy(us->name, name, sizeof(us->name));
	(void)snprintf(us->path, sizeof(us->path), "%s/%s.sock",
	    WGD_UAPI_DIR, name);
	if ((fd = control_socket(us->path, 0700)) == -1) {
		free(us);
		return -1;
	}
	TAILQ_INSERT_TAIL(&socks, us, entry);
	send_control(env, IMSG_UAPI_FD, fd, name);
	return 0;
}

/* The interface is gone: so is its socket. */
void
uapi_socket_remove(struct wgd *env, const char *name)
{
	struct uapi_sock	*us;

	TAILQ_FOREACH(us, &socks, entry)
		if (strcmp(us->name, name) == 0)
			break;
	if (us == NULL)
		return;
	if (unlink(us->path) == -1 && errno != ENOENT)
		log_warn("unlink %s", us->path);
	TAILQ_REMOVE(&socks, us, entry);
	free(us);
	if (env != NULL)
		send_control(env, IMSG_UAPI_CLOSE, -1, name);
}

/* At exit, however it comes: no socket file outlives wgd. */
void
uapi_sockets_remove(void)
{
	struct uapi_sock	*us;

	while ((us = TAILQ_FIRST(&socks)) != NULL)
		uapi_socket_remove(NULL, us->name);
}

/* The socket file of an interface, for the watch on its removal. */
const char *
uapi_socket_path(const char *name)
{
	struct uapi_sock	*us;

	TAILQ_FOREACH(us, &socks, entry)
		if (strcmp(us->name, name) == 0)
			return us->path;
	return NULL;
}

/*
 * Calls gone() when the socket file of interface name is unlinked or
 * renamed away: inotify on the directory, which sees the name go
 * whoever holds the inode.
 */
static struct {
	struct wgd	*env;
	char		 file[IFNAMSIZ + 8];
	void		(*gone)(struct wgd *);
	struct event	 ev;
	int		 fd;
} watch = { .fd = -1 };

static void
watch_read(int fd, short event, void *arg)
{
	char				 buf[4096] __attribute__((aligned(
					    __alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	size_t				 off;

	(void)event;
	(void)arg;
	if ((n = read(fd, buf, sizeof(buf))) <= 0)
		return;
	for (off = 0; off + sizeof(*ie) <= (size_t)n;
	    off += sizeof(*ie) + ie->len) {
		ie = (const struct inotify_event *)(buf + off);
		if (off + sizeof(*ie) + ie->len > (size_t)n)
			break;
		if ((ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) ||
		    (ie->len > 0 && strcmp(ie->name, watch.file) == 0)) {
			watch.gone(watch.env);
			return;
		}
	}
}

void
uapi_watch_socket(struct wgd *env, const char *name,
    void (*gone)(struct wgd *))
{
	watch.env = env;
	watch.gone = gone;
	(void)snprintf(watch.file, sizeof(watch.file), "%s.sock", name);
	if ((watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(watch.fd, WGD_UAPI_DIR, IN_DELETE |
	    IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF) == -1) {
		log_warn("inotify %s", WGD_UAPI_DIR);
		return;
	}
	event_set(&watch.ev, watch.fd, EV_READ | EV_PERSIST, watch_read,
	    NULL);
	event_add(&watch.ev, NULL);
}

static struct wgd_iface_conf *
conf_iface(struct wgd *env, const char *name)
{
	struct wgd_iface_conf	*ifc;

	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		if (strcmp(ifc->name, name) == 0)
			return ifc;
	return NULL;
}

/* Whether another interface listens on port (its sockets are shared). */
static int
port_taken(struct wgd *env, const struct wgd_iface_conf *ifc, uint16_t port)
{
	const struct wgd_iface_conf	*o;

	TAILQ_FOREACH(o, &env->conf->ifaces, entry)
		if (o != ifc && o->listen_port == port)
			return 1;
	return 0;
}

static void
send_bind_fd(struct wgd *env, const char *name, int af, int fd)
{
	struct msg_udp	 mu;

	memset(&mu, 0, sizeof(mu));
	strlcpy(mu.name, name, sizeof(mu.name));
	mu.af = (uint8_t)af;
	if (imsgev_compose(&env->engine, IMSG_UAPI_BIND_FD, 0, 0, fd, &mu,
	    sizeof(mu)) == -1)
		fatal("%s", __func__);
}

/*
 * A set's listen_port and fwmark, asked by the engine before it applies
 * the rest: new sockets bound and marked before anything changes (a
 * port in use, or a mark refused, is -98 as in wireguard-go, and leaves
 * all as it was), then the port and mark are the interface's, until a
 * reload puts wgd.conf's back.
 */
void
uapi_bind(struct wgd *env, struct imsg *imsg)
{
	struct msg_uapi_bind	 b;
	struct wgd_iface_conf	*ifc;
	struct iface_fds	 fds;
	uint16_t		 port;
	uint32_t		 mark;

	if (imsg_get_data(imsg, &b, sizeof(b)) == -1 ||
	    !STR_TERMINATED(b.name))
		fatalx("bad IMSG_UAPI_BIND");
	b.error = 0;
	iface_fds_init(&fds, b.name);
	if ((ifc = conf_iface(env, b.name)) == NULL) {
		b.error = UAPI_EIO;
		goto reply;
	}
	port = ifc->listen_port;
	mark = b.set_fwmark ? b.fwmark : ifc->fwmark;
	if (b.set_port && (b.port == 0 || b.port != ifc->listen_port)) {
		if (b.port != 0 && port_taken(env, ifc, b.port)) {
			b.error = UAPI_EADDRINUSE;
			goto reply;
		}
		if (iface_bind(env, b.name, b.port, &fds) == -1) {
			b.error = errno == EADDRINUSE ? UAPI_EADDRINUSE :
			    UAPI_EIO;
			goto reply;
		}
		port = fds.port;
	}
	if (port_mark(env, port, mark) == -1) {
		b.error = UAPI_EADDRINUSE;
		goto reply;
	}
	if (port != ifc->listen_port) {
		log_info("interface %s: port %u (was %u), through the "
		    "userspace API", b.name, port, ifc->listen_port);
		if (!ifc->rt_port && !env->standalone) {
			ifc->rt_port = 1;
			ifc->file_port = ifc->listen_port;
		}
		ifc->listen_port = port;
	}
	ifc->fwmark = mark;
	b.port = port;
	if (fds.udp4 != -1)
		send_bind_fd(env, b.name, AF_INET, fds.udp4);
	if (fds.udp6 != -1)
		send_bind_fd(env, b.name, AF_INET6, fds.udp6);
	fds.udp4 = fds.udp6 = -1;
reply:
	iface_fds_close(&fds);
	if (imsgev_compose(&env->engine, IMSG_UAPI_BOUND, 0, 0, -1, &b,
	    sizeof(b)) == -1)
		fatal("%s", __func__);
	/* The old port, or a new one refused, is unbound. */
	ports_prune(env, env->conf);
}
