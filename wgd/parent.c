/*
 * The parent's event loop: messages from the children, signals, the
 * configuration sent to the engine, the control sockets, supervision and
 * a clean shutdown.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "childlog.h"
#include "clientconf.h"
#include "log.h"
#include "masq.h"
#include "netlink.h"
#include "parent.h"
#include "proc.h"
#include "provision.h"
#include "resolvconf.h"
#include "uapi.h"
#include "wgd.h"

static struct wgd	*parent_env;	/* for the atexit handlers only */
static pid_t		 parent_pid;	/* and only in the parent */

static void	parent_dispatch(int, short, void *);
static void	peer_conf_reply(struct wgd *, struct imsg *);
static void	parent_shutdown(struct wgd *, int) __attribute__((__noreturn__));
static void	tun_gone(struct wgd *, struct imsg *);
static void	parent_engine_ready(struct wgd *);
static void	parent_socket_removed(struct wgd *);
static void	parent_resolvers_changed(void *);

static void
send_engine(struct wgd *env, int type, int fd, const void *data, size_t len)
{
	if (imsgev_compose(&env->engine, type, 0, 0, fd, data, len) == -1)
		fatal("%s", __func__);
}

static void
send_peer(struct wgd *env, const struct wgd_iface_conf *ifc,
    const struct wgd_peer_conf *peer)
{
	struct msg_peer		 m;
	struct wgd_client_conf	 client;
	size_t			 off, n;

	memset(&m, 0, sizeof(m));
	strlcpy(m.iface, ifc->name, sizeof(m.iface));
	strlcpy(m.name, peer->name, sizeof(m.name));
	if (peer->provisioned) {
		m.has_pubkey = m.has_psk = 1;
		memcpy(m.pubkey, peer->prov_public, WG_KEY_LEN);
		memcpy(m.psk, peer->prov_psk, WG_KEY_LEN);
	} else {
		m.has_pubkey = peer->has_pubkey;
		memcpy(m.pubkey, peer->pubkey, WG_KEY_LEN);
		m.has_psk = peer->psk_source != KEY_NONE;
		memcpy(m.psk, peer->psk, WG_KEY_LEN);
	}
	strlcpy(m.endpoint_host, peer->endpoint_host,
	    sizeof(m.endpoint_host));
	m.endpoint_port = peer->endpoint_port;
	m.keepalive = peer->keepalive;
	m.disabled = peer->disabled != 0;
	m.limited = peer->forward_to_set != 0;
	if (!peer->has_pubkey) {
		config_peer_client(ifc, peer, &client);
		if (client.endpoint_host[0] != '\0')
			snprintf(m.client_endpoint, sizeof(m.client_endpoint),
			    strchr(client.endpoint_host, ':') != NULL ?
			    "[%s]:%u" : "%s:%u", client.endpoint_host,
			    client.endpoint_port != 0 ? client.endpoint_port :
			    ifc->listen_port);
	}
	send_engine(env, IMSG_RECONF_PEER, -1, &m, sizeof(m));
	sodium_memzero(&m, sizeof(m));

	for (off = 0; off < peer->allowed_ips.n; off += n) {
		n = peer->allowed_ips.n - off;
		if (n > MSG_PREFIXES_MAX)
			n = MSG_PREFIXES_MAX;
		send_engine(env, IMSG_RECONF_ALLOWED_IPS, -1,
		    &peer->allowed_ips.v[off], n * sizeof(struct wgd_prefix));
	}
}

/*
 * The engine's crypto threads: as configured, or one per CPU in wgd's
 * affinity mask (taskset, a cgroup's cpuset), which the engine cannot
 * count itself: glibc reads /sys for it, and the chroot has none.
 */
static uint32_t
engine_threads(const struct wgd_config *conf)
{
	cpu_set_t	 set;
	int		 n;

	if (conf->engine_threads != 0)
		return conf->engine_threads;
	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n > WGD_THREADS_MAX ? WGD_THREADS_MAX : (uint32_t)n;
}

/*
 * Sends conf to the engine as one transaction.  fds holds the new
 * descriptors of some interfaces; they are passed and closed here.
 */
void
parent_send_config(struct wgd *env, const struct wgd_config *conf,
    struct iface_fds *fds, size_t nfds)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	struct msg_iface		 mi;
	struct msg_reconf		 mr;
	struct msg_tun			 mt;
	struct msg_udp			 mu;
	size_t				 i;

	memset(&mr, 0, sizeof(mr));
	mr.engine_threads = engine_threads(conf);
	send_engine(env, IMSG_RECONF_BEGIN, -1, &mr, sizeof(mr));
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		memset(&mi, 0, sizeof(mi));
		strlcpy(mi.name, ifc->name, sizeof(mi.name));
		/* A standalone interface waits for wg(8) to give it one. */
		mi.has_privkey = !env->standalone;
		memcpy(mi.privkey, ifc->privkey, WG_KEY_LEN);
		mi.listen_port = ifc->listen_port;
		mi.mtu = ifc->mtu;
		send_engine(env, IMSG_RECONF_IFACE, -1, &mi, sizeof(mi));
		sodium_memzero(&mi, sizeof(mi));

		for (i = 0; i < nfds; i++) {
			if (strcmp(fds[i].name, ifc->name) != 0)
				continue;
			memset(&mt, 0, sizeof(mt));
			strlcpy(mt.name, ifc->name, sizeof(mt.name));
			mt.offload = fds[i].tun_offload;
			memset(&mu, 0, sizeof(mu));
			strlcpy(mu.name, ifc->name, sizeof(mu.name));
			if (fds[i].tun != -1)
				send_engine(env, IMSG_TUN_FD, fds[i].tun, &mt,
				    sizeof(mt));
			mu.af = AF_INET;
			if (fds[i].udp4 != -1)
				send_engine(env, IMSG_UDP_FD, fds[i].udp4, &mu,
				    sizeof(mu));
			mu.af = AF_INET6;
			if (fds[i].udp6 != -1)
				send_engine(env, IMSG_UDP_FD, fds[i].udp6, &mu,
				    sizeof(mu));
			/* imsg closes them once sent. */
			fds[i].tun = fds[i].udp4 = fds[i].udp6 = -1;
		}
		TAILQ_FOREACH(peer, &ifc->peers, entry)
			send_peer(env, ifc, peer);
	}
	send_engine(env, IMSG_RECONF_END, -1, NULL, 0);
}

/* A line for a wgctl client (id != 0), or for the log (SIGHUP). */
void
parent_reply(struct wgd *env, uint32_t id, int error, const char *text)
{
	if (id == 0) {
		if (error)
			log_warnx("%s", text);
		else
			log_info("%s", text);
		return;
	}
	if (imsgev_compose(&env->control, error ? IMSG_CTL_ERROR :
	    IMSG_CTL_LINE, id, 0, -1, text, strlen(text) + 1) == -1)
		fatal("%s", __func__);
}

void
parent_reply_end(struct wgd *env, uint32_t id, int status)
{
	struct ctl_end	 end;

	if (id == 0)
		return;
	memset(&end, 0, sizeof(end));
	end.status = status;
	if (imsgev_compose(&env->control, IMSG_CTL_END, id, 0, -1, &end,
	    sizeof(end)) == -1)
		fatal("%s", __func__);
}

static void
set_verbose(struct wgd *env, int verbose)
{
	env->verbose = verbose;
	log_setverbose(verbose);
	if (imsgev_compose(&env->engine, IMSG_LOG_VERBOSE, 0, 0, -1,
	    &verbose, sizeof(verbose)) == -1 ||
	    imsgev_compose(&env->control, IMSG_LOG_VERBOSE, 0, 0, -1,
	    &verbose, sizeof(verbose)) == -1)
		fatal("%s", __func__);
	if (env->dns_pid != 0 && imsgev_compose(&env->dnsfwd,
	    IMSG_LOG_VERBOSE, 0, 0, -1, &verbose, sizeof(verbose)) == -1)
		fatal("%s", __func__);
	log_info("log level %s", verbose ? "verbose" : "brief");
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct wgd	*env = iev->data;
	struct imsg	 imsg;
	const char	*from = iev == &env->engine ? "engine" : "control";
	ssize_t		 n;
	int		 verbose;

	(void)fd;
	if (event & EV_READ) {
		if ((n = imsg_read(&iev->ibuf)) == -1 && errno != EAGAIN)
			fatal("imsg_read from %s", from);
		if (n == 0) {
			/* SIGCHLD says why; this only stops the loop. */
			imsgev_del(iev);
			return;
		}
	}
	if (imsgev_write(iev, event) == -1 && errno != EPIPE)
		fatal("imsg_write to %s", from);

	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("imsg_get from %s", from);
		if (n == 0)
			break;
		if (childlog_relay(from, &imsg)) {
			imsg_free(&imsg);
			continue;
		}
		if (iev == &env->engine && imsg.hdr.type == IMSG_UAPI_BIND) {
			uapi_bind(env, &imsg);
			imsg_free(&imsg);
			continue;
		}
		if (iev == &env->engine &&
		    imsg.hdr.type == IMSG_RECONF_DONE) {
			if (imsg_get_len(&imsg) != 0)
				fatalx("bad IMSG_RECONF_DONE");
			parent_engine_ready(env);
			imsg_free(&imsg);
			continue;
		}
		if (iev == &env->engine &&
		    imsg.hdr.type == IMSG_RECONF_UNDONE) {
			if (imsg_get_len(&imsg) == 0 || ((char *)imsg.data)
			    [imsg_get_len(&imsg) - 1] != '\0')
				fatalx("bad IMSG_RECONF_UNDONE");
			reload_undone(env, imsg.data);
			imsg_free(&imsg);
			continue;
		}
		if (iev == &env->engine && (imsg.hdr.type == IMSG_PROBE_SEEN ||
		    imsg.hdr.type == IMSG_PROBE_ARMED)) {
			doctor_probe_seen(env, &imsg);
			imsg_free(&imsg);
			continue;
		}
		if (iev == &env->engine && imsg.hdr.type == IMSG_TUN_GONE) {
			tun_gone(env, &imsg);
			imsg_free(&imsg);
			continue;
		}
		if (iev != &env->control)
			fatalx("unexpected message %u from the %s",
			    imsg.hdr.type, from);
		switch (imsg.hdr.type) {
		case IMSG_CTL_RELOAD:
			if (imsg_get_len(&imsg) != 0)
				fatalx("bad IMSG_CTL_RELOAD from control");
			(void)reload(env, imsg.hdr.peerid);
			break;
		case IMSG_CTL_PEER_CONF:
			peer_conf_reply(env, &imsg);
			break;
		case IMSG_CTL_DOCTOR:
			doctor_start(env, &imsg);
			break;
		case IMSG_CTL_LOG_VERBOSE:
			if (imsg_get_data(&imsg, &verbose, sizeof(verbose)) ==
			    -1 || verbose < 0 || verbose > 4)
				fatalx("bad IMSG_CTL_LOG_VERBOSE from control");
			set_verbose(env, verbose);
			parent_reply_end(env, imsg.hdr.peerid, 0);
			break;
		default:
			fatalx("unexpected message %u from control",
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/* wgctl peer NAME conf|qr|png: the text, made now from the running config. */
static void
peer_conf_reply(struct wgd *env, struct imsg *imsg)
{
	struct ctl_peer_req		 req;
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	char				 msg[128], *text;
	uint32_t			 id = imsg->hdr.peerid;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    !STR_TERMINATED(req.name))
		fatalx("bad IMSG_CTL_PEER_CONF from control");
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry)
			if (strcmp(peer->name, req.name) == 0)
				goto found;
	snprintf(msg, sizeof(msg), "no peer named \"%s\"", req.name);
	parent_reply(env, id, 1, msg);
	parent_reply_end(env, id, 1);
	return;
found:
	if (!peer->provisioned) {
		snprintf(msg, sizeof(msg), "peer \"%s\" brings its own key: "
		    "wgd has no configuration for it", req.name);
		parent_reply(env, id, 1, msg);
		parent_reply_end(env, id, 1);
		return;
	}
	text = clientconf_text(ifc, peer, 0);
	if (imsgev_compose(&env->control, IMSG_CTL_CONF, id, 0, -1, text,
	    strlen(text) + 1) == -1)
		fatal("%s", __func__);
	sodium_memzero(text, strlen(text));
	free(text);
	parent_reply_end(env, id, 0);
}

/*
 * Someone deleted an interface's device (ip link del).  A standalone
 * interface ends there, as wireguard-go does; a configured one cannot
 * serve wgd.conf any more: wgd exits with an error, for the service
 * manager to start it again.
 */
static void
tun_gone(struct wgd *env, struct imsg *imsg)
{
	struct msg_ifname	 m;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.name))
		fatalx("bad IMSG_TUN_GONE");
	log_warnx("interface %s was deleted: shutting down", m.name);
	parent_shutdown(env, env->standalone ? 0 : 1);
}

/* wireguard-go's rule: whoever removes the socket file ends us. */
static void
parent_socket_removed(struct wgd *env)
{
	log_info("%s was removed: shutting down",
	    uapi_socket_path(TAILQ_FIRST(&env->conf->ifaces)->name));
	parent_shutdown(env, 0);
}

/*
 * What client dns auto means may have changed with the host's
 * resolvers, and the forwarder asks them.
 */
static void
parent_resolvers_changed(void *arg)
{
	struct wgd	*env = arg;

	(void)provision_write_clients(env->conf,
	    "the host's resolvers changed");
	dnsfwd_apply(env);
	if (masq_apply(env->conf) == -1)
		log_warnx("masquerade: not fully set up (see above)");
}

static void
sig_reload(int sig, short event, void *arg)
{
	struct wgd	*env = arg;

	(void)sig;
	(void)event;
	if (env->standalone) {
		log_info("SIGHUP: nothing to reload (wg(8) configures %s)",
		    TAILQ_FIRST(&env->conf->ifaces)->name);
		return;
	}
	log_info("SIGHUP: reloading %s", env->conffile);
	(void)reload(arg, 0);
}

static void
sig_term(int sig, short event, void *arg)
{
	(void)event;
	log_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	parent_shutdown(arg, 0);
}

static const char *
child_name(struct wgd *env, pid_t pid)
{
	if (pid == env->engine_pid)
		return "engine";
	if (pid == env->control_pid)
		return "control";
	if (pid == env->dns_pid)
		return "dns";
	return NULL;
}

static void
report_death(const char *name, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s process was killed by signal %d (%s)",
		    name, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		log_warnx("%s process exited with status %d", name,
		    WEXITSTATUS(status));
}

/* A child died: the daemon goes down with it, the OpenBSD way. */
static void
sig_child(int sig, short event, void *arg)
{
	struct wgd	*env = arg;
	const char	*name;
	pid_t		 pid;
	int		 status;

	(void)sig;
	(void)event;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == env->doctor_pid) {
			env->doctor_reaped = 1;
			continue;
		}
		if (pid == env->dns_stopped) {
			env->dns_stopped = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				report_death("dns", status);
			continue;
		}
		if ((name = child_name(env, pid)) == NULL)
			continue;
		report_death(name, status);
		if (pid == env->engine_pid)
			env->engine_pid = 0;
		else if (pid == env->control_pid)
			env->control_pid = 0;
		else
			env->dns_pid = 0;
		parent_shutdown(env, 1);
	}
}

/*
 * Waits for a child told to stop.  One that died of something else
 * than that SIGTERM, or failed, is reported: when one child is killed,
 * the other may notice first and exit, and the log must still name
 * the signal that started it.
 */
static void
reap(struct wgd *env, pid_t *pid)
{
	struct timespec	 t = { 0, 10 * 1000 * 1000 };
	const char	*name = child_name(env, *pid);
	pid_t		 r;
	int		 i, status = 0;

	if (*pid == 0)
		return;
	for (i = 0; i < 100; i++) {
		if ((r = waitpid(*pid, &status, WNOHANG)) != 0)
			break;
		nanosleep(&t, NULL);
	}
	if (i == 100) {
		log_warnx("%s process did not stop: killing it", name);
		kill(*pid, SIGKILL);
		waitpid(*pid, &status, 0);
	} else if (r == *pid && ((WIFSIGNALED(status) &&
	    WTERMSIG(status) != SIGTERM) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) != 0)))
		report_death(name, status);
	*pid = 0;
}

/*
 * The control socket files go with the parent however it exits, a
 * fatal() included.
 */
static void
remove_sockets(void)
{
	struct wgd	*env = parent_env;

	if (env == NULL || !env->sockets_made)
		return;
	if (unlink(env->conf->socket) == -1 && errno != ENOENT)
		log_warn("unlink %s", env->conf->socket);
	if (env->conf->rsocket[0] != '\0' &&
	    unlink(env->conf->rsocket) == -1 && errno != ENOENT)
		log_warn("unlink %s", env->conf->rsocket);
	env->sockets_made = 0;
}

/*
 * Stops the children and waits for them: the engine holds the TUN
 * devices, so they (with their addresses and routes) are gone when it
 * is.  Also run at exit, so that a fatal() in the parent leaves no
 * interface behind either; a child between fork and exec inherits the
 * handler and must not act on it.
 */
static void
stop_children(void)
{
	struct wgd	*env = parent_env;

	if (env == NULL || getpid() != parent_pid)
		return;
	if (env->engine_pid != 0)
		kill(env->engine_pid, SIGTERM);
	if (env->control_pid != 0)
		kill(env->control_pid, SIGTERM);
	if (env->dns_pid != 0)
		kill(env->dns_pid, SIGTERM);
	reap(env, &env->engine_pid);
	reap(env, &env->control_pid);
	reap(env, &env->dns_pid);
}

/* The children first, then what the parent set up for them. */
static void
parent_shutdown(struct wgd *env, int status)
{
	stop_children();
	masq_teardown();
	remove_sockets();
	if (env->nl != NULL)
		nl_close(env->nl);
	parent_env = NULL;
	config_free(env->conf);
	log_info("terminated");
	exit(status);
}

/*
 * Binds a control socket with its mode set before anyone can connect.
 * A socket file that answers belongs to a running wgd: refuse to steal
 * it.  One that does not is stale and replaced.
 */
int
control_socket(const char *path, mode_t mode)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old_umask;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("%s: path too long", path);
		return -1;
	}
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		log_warnx("%s is in use: is wgd already running?", path);
		return -1;
	}
	close(probe);
	/* Stale sockets only: a typo must not delete a real file. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket", path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("socket");
		return -1;
	}
	old_umask = umask(0777 & ~mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old_umask);
		log_warn("bind %s", path);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (chmod(path, mode) == -1 || chown(path, 0, 0) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		log_warn("%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* Makes the control sockets and hands them to the control process. */
static int
parent_control_sockets(struct wgd *env)
{
	struct msg_control_fd	 m;
	int			 fd;

	if ((fd = control_socket(env->conf->socket, 0660)) == -1)
		return -1;
	env->sockets_made = 1;
	memset(&m, 0, sizeof(m));
	m.kind = CONTROL_MAIN;
	if (imsgev_compose(&env->control, IMSG_CONTROL_FD, 0, 0, fd, &m,
	    sizeof(m)) == -1)
		fatal("%s", __func__);
	if (env->conf->rsocket[0] == '\0')
		return 0;
	if ((fd = control_socket(env->conf->rsocket, 0666)) == -1)
		return -1;
	m.kind = CONTROL_RESTRICTED;
	if (imsgev_compose(&env->control, IMSG_CONTROL_FD, 0, 0, fd, &m,
	    sizeof(m)) == -1)
		fatal("%s", __func__);
	return 0;
}

/*
 * The engine applied a configuration.  The first time, the control and
 * API sockets are made, so that no request reaches the engine before
 * the interfaces it asks about, and the daemon is ready; after a
 * reload, new interfaces get their API socket.
 */
static void
parent_engine_ready(struct wgd *env)
{
	struct wgd_iface_conf	*ifc;
	void			(*ready)(void) = env->ready;

	if (ready == NULL) {
		reload_applied(env);
		TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
			if (uapi_socket_path(ifc->name) == NULL &&
			    uapi_socket_add(env, ifc->name) == -1)
				log_warnx("interface %s: no userspace API "
				    "socket", ifc->name);
		return;
	}
	/* A standalone interface has wg(8) and its socket only. */
	if (!env->standalone && parent_control_sockets(env) == -1)
		parent_shutdown(env, 1);
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		if (uapi_socket_add(env, ifc->name) == -1)
			parent_shutdown(env, 1);
	if (env->standalone)
		uapi_watch_socket(env, TAILQ_FIRST(&env->conf->ifaces)->name,
		    parent_socket_removed);
	env->ready = NULL;
	ready();
}

/*
 * Starts the children, sets up every interface, sends the engine its
 * configuration and runs the event loop for good; ready() is called
 * once the engine has it and the sockets are made.  Any failure before
 * ready is fatal: the children see EOF and exit, and the devices made
 * so far go with the engine.
 */
void
parent_main(struct wgd *env, void (*ready)(void))
{
	struct event		 ev_hup, ev_term, ev_int, ev_chld;
	struct wgd_iface_conf	*ifc;
	struct iface_fds	*fds;
	size_t			 n = 0, i;
	int			 efd, cfd, sp[2];

	proc_prepare_chroot(WGD_CHROOT);
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry) {
		if (!env->standalone && iface_load_key(env->conf, ifc) == -1)
			fatalx("interface %s: no private key", ifc->name);
		n++;
	}
	if (!env->standalone) {
		if (provision(env->conf) == -1)
			fatalx("cannot provision the managed peers");
		/* A guest unlimited would be worse than no start. */
		if (masq_guard_possible(env->conf) == -1)
			fatalx("not starting: forward-to cannot be enforced");
		if (provision_write_clients(env->conf, NULL) == -1)
			fatalx("cannot write the managed peers' client "
			    "configurations");
		provision_commit(env->conf);
	}

	/* Signals first: a child that dies at once is not missed. */
	env->base = event_init();
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_hup, SIGHUP, sig_reload, env);
	signal_set(&ev_term, SIGTERM, sig_term, env);
	signal_set(&ev_int, SIGINT, sig_term, env);
	signal_set(&ev_chld, SIGCHLD, sig_child, env);
	signal_add(&ev_hup, NULL);
	signal_add(&ev_term, NULL);
	signal_add(&ev_int, NULL);
	signal_add(&ev_chld, NULL);
	parent_env = env;
	parent_pid = getpid();
	/* Run last to first: the children go before what they used. */
	atexit(remove_sockets);
	atexit(uapi_sockets_remove);
	atexit(masq_teardown);
	atexit(stop_children);

	env->engine_pid = proc_start(PROC_ENGINE, env->conf->user,
	    env->debug, env->verbose, &efd);
	env->control_pid = proc_start(PROC_CONTROL, env->conf->user,
	    env->debug, env->verbose, &cfd);
	imsgev_init(&env->engine, efd, parent_dispatch, env);
	imsgev_init(&env->control, cfd, parent_dispatch, env);

	/* The engine and control talk directly; the parent only links them. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sp) == -1)
		fatal("socketpair");
	if (imsgev_compose(&env->engine, IMSG_CHILD_SOCKET, 0, 0, sp[0], NULL,
	    0) == -1 || imsgev_compose(&env->control, IMSG_CHILD_SOCKET, 0, 0,
	    sp[1], NULL, 0) == -1)
		fatal("%s", __func__);

	if ((env->nl = nl_open()) == NULL)
		fatalx("cannot talk to the kernel's routing socket");
	if ((fds = calloc(n > 0 ? n : 1, sizeof(*fds))) == NULL)
		fatal("%s", __func__);
	i = 0;
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry) {
		if (iface_create(env, ifc, &fds[i++]) == -1) {
			log_warnx("interface %s: cannot set it up", ifc->name);
			while (i > 0)
				iface_fds_close(&fds[--i]);
			parent_shutdown(env, 1);
		}
		ifc->listen_port = fds[i - 1].port;
	}
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		iface_update(env, NULL, ifc, 1);
	if (!env->standalone) {
		resolv_watch(parent_resolvers_changed, env);
		dnsfwd_apply(env);
	}
	/*
	 * LAN access is a convenience: without it the tunnel still works.
	 * forward-to is not: its peers must not get through unlimited.
	 */
	if (!env->standalone)
		masq_takeover();
	if (masq_apply(env->conf) == -1) {
		if (masq_guard_failed(env->conf))
			fatalx("not starting: forward-to was not set up");
		log_warnx("masquerade: not fully set up (see above)");
	}
	parent_send_config(env, env->conf, fds, n);
	free(fds);

	/* Everything is queued for the children: hand it over first. */
	if (imsg_flush(&env->engine.ibuf) == -1 ||
	    imsg_flush(&env->control.ibuf) == -1)
		fatal("cannot reach the children");
	imsgev_add(&env->engine);
	imsgev_add(&env->control);

	resolve_init(env);
	resolve_all(env, 0);
	/* The sockets and ready() wait for the engine: parent_engine_ready. */
	env->ready = ready;
	event_dispatch();
	fatalx("event loop ended");
}
