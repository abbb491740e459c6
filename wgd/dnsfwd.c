/*
 * The DNS forwarder's system side, in the parent.  The forwarder runs
 * while a client configuration names the tunnel's own addresses for DNS
 * (`client dns tunnel`, or `auto` on a host whose only resolvers are
 * local): started then, stopped when that ends, at start, at reload and
 * when the host's resolvers change.  Once started for `auto`, it stays
 * while `auto` is configured: phones that scanned the tunnel's address
 * keep a DNS that answers when the host's resolvers come and go.
 *
 * Its port is kept (in memory, and in the state dir across restarts):
 * conntrack remembers a redirected flow, and a client that asks again
 * from the same port within its timeout goes to the old port.  The parent binds its sockets on a
 * private port, never on 53, so a Pi-hole or dnsmasq on the host keeps
 * its port 53 whichever starts first; the nft table (masq.c) redirects
 * the tunnel addresses' port 53 to it.  The forwarder is told who may
 * ask (the tunnel subnets) and whom to ask (the host's resolvers).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childlog.h"
#include "clientconf.h"
#include "log.h"
#include "masq.h"
#include "parent.h"
#include "proc.h"
#include "resolvconf.h"
#include "statedir.h"
#include "wgd.h"

#define DNSFWD_SOCKS		4	/* UDP and TCP, IPv4 and IPv6 */
#define DNSFWD_BIND_TRIES	16
#define DNSFWD_PORT_FILE	"dns-port"

/* The port of the last run, or 0. */
static uint16_t
port_kept(const struct wgd *env)
{
	char		 path[PATH_MAX], buf[16];
	const char	*errstr;
	FILE		*fp;
	uint16_t	 port = 0;

	if (env->dns_port_kept != 0)
		return env->dns_port_kept;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", env->conf->state_dir,
	    DNSFWD_PORT_FILE) >= sizeof(path) ||
	    (fp = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), fp) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		port = (uint16_t)strtonum(buf, 1024, 65535, &errstr);
		if (errstr != NULL)
			port = 0;
	}
	fclose(fp);
	return port;
}

static void
port_keep(struct wgd *env, uint16_t port)
{
	char	 buf[16];
	int	 n;

	env->dns_port_kept = port;
	n = snprintf(buf, sizeof(buf), "%u\n", port);
	if (statedir_write(env->conf->state_dir, DNSFWD_PORT_FILE, buf, n) ==
	    -1)
		log_warnx("dns forwarder: cannot keep its port in %s",
		    env->conf->state_dir);
}

static int
bind_one(int af, int type, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1;

	if ((fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on)) == -1)
			goto fail;
	}
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 64) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * UDP and TCP sockets on one free port, on every address: which one a
 * query came to, the forwarder learns from it (IP_PKTINFO).  IPv6 is
 * left out where the host has none.
 */
static int
bind_socks(int fds[DNSFWD_SOCKS], uint16_t *port, uint16_t want)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 try, i, ipv6;

	for (try = 0; try < DNSFWD_BIND_TRIES; try++) {
		for (i = 0; i < DNSFWD_SOCKS; i++)
			fds[i] = -1;
		/* The kept port first; taken meanwhile, any. */
		if (try > 0 || want == 0 ||
		    (fds[0] = bind_one(AF_INET, SOCK_DGRAM, want)) == -1)
			fds[0] = bind_one(AF_INET, SOCK_DGRAM, 0);
		if (fds[0] == -1) {
			log_warn("dns forwarder: bind");
			return -1;
		}
		len = sizeof(sin);
		if (getsockname(fds[0], (struct sockaddr *)&sin, &len) == -1)
			fatal("getsockname");
		*port = ntohs(sin.sin_port);
		ipv6 = 1;
		if ((fds[1] = bind_one(AF_INET6, SOCK_DGRAM, *port)) == -1 &&
		    errno == EAFNOSUPPORT)
			ipv6 = 0;
		fds[2] = bind_one(AF_INET, SOCK_STREAM, *port);
		if (ipv6)
			fds[3] = bind_one(AF_INET6, SOCK_STREAM, *port);
		if (fds[2] != -1 && (!ipv6 || (fds[1] != -1 && fds[3] != -1)))
			return 0;
		/* Taken for another protocol or family: another port. */
		for (i = 0; i < DNSFWD_SOCKS; i++)
			if (fds[i] != -1)
				close(fds[i]);
	}
	log_warnx("dns forwarder: no port free for both UDP and TCP");
	return -1;
}

static void
dnsfwd_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	/* At its end: the SIGCHLD handler says why. */
	if (imsgev_io(iev, event) == -1) {
		imsgev_del(iev);
		return;
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		if (!childlog_relay("dns", &imsg))
			fatalx("unexpected imsg %u from the dns process",
			    imsg.hdr.type);
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("imsg_get");
	imsgev_add(iev);
}

static int
dnsfwd_start(struct wgd *env)
{
	struct msg_dns_fd	 m;
	int			 fds[DNSFWD_SOCKS], fd, i;
	uint16_t		 port;

	if (bind_socks(fds, &port, port_kept(env)) == -1)
		return -1;
	if (port != env->dns_port_kept)
		port_keep(env, port);
	env->dns_pid = proc_start(PROC_DNS, env->conf->user, env->debug,
	    env->verbose, &fd);
	imsgev_init(&env->dnsfwd, fd, dnsfwd_dispatch, env);
	for (i = 0; i < DNSFWD_SOCKS; i++) {
		if (fds[i] == -1)
			continue;
		memset(&m, 0, sizeof(m));
		m.af = i % 2 == 0 ? AF_INET : AF_INET6;
		m.tcp = i >= 2;
		if (imsgev_compose(&env->dnsfwd, IMSG_DNS_FD, 0, 0, fds[i], &m,
		    sizeof(m)) == -1)
			fatal("%s", __func__);
	}
	env->dns_port = port;
	log_info("dns forwarder on port %u, for the tunnel's port 53", port);
	return 0;
}

/* Closing its socket ends it: it exits at EOF. */
void
dnsfwd_stop(struct wgd *env)
{
	if (env->dns_pid == 0)
		return;
	imsgev_del(&env->dnsfwd);
	imsg_clear(&env->dnsfwd.ibuf);
	close(env->dnsfwd.ibuf.fd);
	env->dns_stopped = env->dns_pid;
	env->dns_pid = 0;
	env->dns_port = 0;
	log_info("dns forwarder stopped: no client uses it");
}

/*
 * Whether the forwarder is wanted, and what it must know; then the
 * redirect follows (masq_apply, which the caller runs next).
 */
void
dnsfwd_apply(struct wgd *env)
{
	struct wgd_iface_conf		*ifc;
	const struct resolv		*r;
	struct wgd_prefix		*nets = NULL, *p;
	size_t				 n = 0, i;

	if (!env->standalone)
		TAILQ_FOREACH(ifc, &env->conf->ifaces, entry) {
			ifc->dns_redirect = clientconf_dns_tunnel(ifc) ||
			    (env->dns_pid != 0 && clientconf_dns_auto(ifc));
			if (!ifc->dns_redirect)
				continue;
			if ((p = reallocarray(nets, n + ifc->addresses.n,
			    sizeof(*nets))) == NULL)
				fatal("%s", __func__);
			nets = p;
			for (i = 0; i < ifc->addresses.n; i++) {
				nets[n] = ifc->addresses.v[i];
				addr_mask(&nets[n++]);
			}
		}
	if (n == 0) {
		dnsfwd_stop(env);
		masq_dns_port(0);
		free(nets);
		return;
	}
	if (n > MSG_PREFIXES_MAX)
		n = MSG_PREFIXES_MAX;
	if (env->dns_pid == 0 && dnsfwd_start(env) == -1) {
		masq_dns_port(0);
		free(nets);
		return;
	}
	r = resolv_current();
	if (imsgev_compose(&env->dnsfwd, IMSG_DNS_CLIENTS, 0, 0, -1, nets,
	    n * sizeof(*nets)) == -1 ||
	    imsgev_compose(&env->dnsfwd, IMSG_DNS_SERVERS, 0, 0, -1, r->servers,
	    r->nservers * sizeof(r->servers[0])) == -1)
		fatal("%s", __func__);
	masq_dns_port(env->dns_port);
	free(nets);
}
