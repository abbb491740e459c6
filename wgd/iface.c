/*
 * The system side of an interface, done by the parent: the TUN device,
 * its MTU, addresses, link state and routes, and the UDP sockets.  The
 * descriptors go to the engine; what was set on the device goes away
 * with it when the engine, its last holder, closes it.
 */

#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"
#include "parent.h"
#include "statedir.h"
#include "tun.h"
#include "udp.h"

void
iface_fds_init(struct iface_fds *fds, const char *name)
{
	memset(fds, 0, sizeof(*fds));
	strlcpy(fds->name, name, sizeof(fds->name));
	fds->tun = fds->udp4 = fds->udp6 = -1;
}

void
iface_fds_close(struct iface_fds *fds)
{
	if (fds->tun != -1)
		close(fds->tun);
	if (fds->udp4 != -1)
		close(fds->udp4);
	if (fds->udp6 != -1)
		close(fds->udp6);
	fds->tun = fds->udp4 = fds->udp6 = -1;
}

/* An interface without a configured key uses the state dir's. */
int
iface_load_key(const struct wgd_config *conf, struct wgd_iface_conf *ifc)
{
	if (ifc->key_source != KEY_NONE)
		return 0;
	return statedir_server_key(conf->state_dir, ifc->name, ifc->privkey);
}

/*
 * The routes an interface needs: its peers' allowed-ips outside its own
 * subnets (those the kernel routes already).  A default route is left
 * out: sending everything, the tunnel's own packets too, into the tunnel
 * would cut the host off; that needs policy routing, not a route.
 */
static void
iface_routes(const struct wgd_iface_conf *ifc, struct wgd_prefixes *out)
{
	const struct wgd_peer_conf	*peer;
	const struct wgd_prefix		*p;
	size_t				 i, j;

	memset(out, 0, sizeof(*out));
	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		for (i = 0; i < peer->allowed_ips.n; i++) {
			p = &peer->allowed_ips.v[i];
			if (p->plen == 0)
				continue;
			for (j = 0; j < ifc->addresses.n; j++)
				if (addr_contains(&ifc->addresses.v[j], p))
					break;
			if (j < ifc->addresses.n)
				continue;
			for (j = 0; j < out->n; j++)
				if (addr_equal(&out->v[j], p))
					break;
			if (j == out->n && prefixes_add(out, p) == -1)
				fatal("%s", __func__);
		}
	}
}

static int
prefixes_has(const struct wgd_prefixes *l, const struct wgd_prefix *p)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (addr_equal(&l->v[i], p))
			return 1;
	return 0;
}

static struct port_socks *
port_find(struct wgd *env, uint16_t port)
{
	struct port_socks	*ps;

	TAILQ_FOREACH(ps, &env->ports, entry)
		if (ps->port == port)
			return ps;
	return NULL;
}

static int
dup_fd(int fd)
{
	if (fd == -1)
		return -1;
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/*
 * A port the kernel chooses, free in both families: IPv4 picks it, IPv6
 * may find it taken and the pick starts again.
 */
static int
bind_any(struct port_socks *ps)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 try;

	for (try = 0; try < 16; try++) {
		if ((ps->fd4 = udp_bind(AF_INET, 0)) == -1)
			return -1;
		len = sizeof(sin);
		if (getsockname(ps->fd4, (struct sockaddr *)&sin, &len) ==
		    -1) {
			log_warn("getsockname");
			close(ps->fd4);
			return -1;
		}
		ps->port = ntohs(sin.sin_port);
		if ((ps->fd6 = udp_bind(AF_INET6, ps->port)) != -1 ||
		    errno == EAFNOSUPPORT)
			return 0;
		close(ps->fd4);
		if (errno != EADDRINUSE)
			return -1;
	}
	errno = EADDRINUSE;
	return -1;
}

/*
 * The sockets of a port, for an interface; port 0 picks a free one,
 * and fds->port says which.  The parent keeps one copy of each port's
 * sockets and hands out duplicates, so a port can pass from one
 * interface to another in a single reload (a renamed interface, two
 * swapped ports) without ever being unbound.  errno is EADDRINUSE when
 * the port is taken.
 */
static int
bind_port(struct wgd *env, uint16_t port, struct iface_fds *fds)
{
	struct port_socks	*ps;
	int			 saved_errno;

	if (port == 0 || (ps = port_find(env, port)) == NULL) {
		if ((ps = calloc(1, sizeof(*ps))) == NULL) {
			log_warn("%s", __func__);
			return -1;
		}
		ps->port = port;
		ps->fd6 = -1;
		if (port == 0) {
			if (bind_any(ps) == -1) {
				saved_errno = errno;
				free(ps);
				errno = saved_errno;
				return -1;
			}
		} else if ((ps->fd4 = udp_bind(AF_INET, port)) == -1) {
			saved_errno = errno;
			free(ps);
			errno = saved_errno;
			return -1;
		/* A host without IPv6 still serves IPv4. */
		} else if ((ps->fd6 = udp_bind(AF_INET6, port)) == -1 &&
		    errno != EAFNOSUPPORT) {
			saved_errno = errno;
			close(ps->fd4);
			free(ps);
			errno = saved_errno;
			return -1;
		}
		TAILQ_INSERT_TAIL(&env->ports, ps, entry);
	}
	fds->port = ps->port;
	if ((fds->udp4 = dup_fd(ps->fd4)) == -1 ||
	    (ps->fd6 != -1 && (fds->udp6 = dup_fd(ps->fd6)) == -1)) {
		log_warn("port %u", port);
		iface_fds_close(fds);
		return -1;
	}
	return 0;
}

/*
 * Marks a port's sockets (SO_MARK, 0 for none), so policy routing can
 * keep the tunnel's own packets out of the tunnel.  The engine's
 * duplicates share the sockets: they are marked too.  Only a change
 * is made: a socket starts unmarked, and where SO_MARK is refused
 * (qemu-user) a port without a mark still works.
 */
int
port_mark(struct wgd *env, uint16_t port, uint32_t mark)
{
	struct port_socks	*ps;

	if ((ps = port_find(env, port)) == NULL || ps->mark == mark)
		return 0;
	if (setsockopt(ps->fd4, SOL_SOCKET, SO_MARK, &mark,
	    sizeof(mark)) == -1 || (ps->fd6 != -1 && setsockopt(ps->fd6,
	    SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1)) {
		log_warn("port %u: SO_MARK", port);
		return -1;
	}
	ps->mark = mark;
	return 0;
}

/* Unbinds the ports no interface of conf listens on any more. */
void
ports_prune(struct wgd *env, const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	struct port_socks		*ps, *next;

	for (ps = TAILQ_FIRST(&env->ports); ps != NULL; ps = next) {
		next = TAILQ_NEXT(ps, entry);
		TAILQ_FOREACH(ifc, &conf->ifaces, entry)
			if (ifc->listen_port == ps->port)
				break;
		if (ifc != NULL)
			continue;
		TAILQ_REMOVE(&env->ports, ps, entry);
		close(ps->fd4);
		if (ps->fd6 != -1)
			close(ps->fd6);
		free(ps);
	}
}

/*
 * Makes an interface from nothing: UDP sockets first (a port in use is
 * the likeliest failure and the cheapest to undo), then the device with
 * its addresses.  Its routes come with iface_update(env, NULL, ifc, 1),
 * once those of interfaces going away are gone.  On failure everything
 * made is closed again and -1 returned.
 */
int
iface_create(struct wgd *env, const struct wgd_iface_conf *ifc,
    struct iface_fds *fds)
{
	int			 ifindex;
	size_t			 i;

	iface_fds_init(fds, ifc->name);
	if (bind_port(env, ifc->listen_port, fds) == -1)
		goto fail;
	if ((fds->tun = tun_open(ifc->name,
	    &fds->tun_offload)) == -1)
		goto fail;
	if ((ifindex = nl_ifindex(ifc->name)) == 0) {
		log_warn("interface %s", ifc->name);
		goto fail;
	}
	if (nl_link_no_linklocal(env->nl, ifindex) == -1)
		goto fail;
	for (i = 0; i < ifc->addresses.n; i++)
		if (nl_addr_add(env->nl, ifindex, &ifc->addresses.v[i]) == -1)
			goto fail;
	/*
	 * A standalone interface stays down, as wireguard-go's: wg-quick
	 * or the user brings it up.
	 */
	if (nl_link_set(env->nl, ifindex, ifc->mtu, !env->standalone) == -1)
		goto fail;
	log_info("interface %s: up, port %u", ifc->name, fds->port);
	return 0;
fail:
	iface_fds_close(fds);
	return -1;
}

/* A changed listen port: new sockets, bound before anything changes. */
int
iface_rebind(struct wgd *env, const struct wgd_iface_conf *ifc,
    struct iface_fds *fds)
{
	iface_fds_init(fds, ifc->name);
	return bind_port(env, ifc->listen_port, fds);
}

/* A port for a running interface, from a userspace API set. */
int
iface_bind(struct wgd *env, const char *name, uint16_t port,
    struct iface_fds *fds)
{
	iface_fds_init(fds, name);
	return bind_port(env, port, fds);
}

/*
 * Brings an interface from old to new in two steps, so that what moves
 * (a route to another interface, an address to another prefix length)
 * is removed everywhere before it is added anywhere: first
 * iface_update(..., 0) on every interface, then (..., 1).  old is NULL
 * for an interface just made (its addresses are set), new is NULL for
 * one going away (its routes go now, the device with the engine).
 * Failures are logged; the rest still goes on.
 */
void
iface_update(struct wgd *env, const struct wgd_iface_conf *old,
    const struct wgd_iface_conf *new, int add)
{
	static const struct wgd_iface_conf	 none;
	const struct wgd_prefixes		*from, *to;
	struct wgd_prefixes			 oroutes, nroutes;
	const char				*name;
	int					 ifindex;
	size_t					 i;

	name = new != NULL ? new->name : old->name;
	if ((ifindex = nl_ifindex(name)) == 0) {
		log_warn("interface %s", name);
		return;
	}
	if (old == NULL) {
		old = new;
		iface_routes(&none, &oroutes);
	} else
		iface_routes(old, &oroutes);
	if (new == NULL) {
		new = old;
		iface_routes(&none, &nroutes);
	} else
		iface_routes(new, &nroutes);

	if (add && old->mtu != new->mtu)
		(void)nl_link_set(env->nl, ifindex, new->mtu, 1);
	from = add ? &old->addresses : &new->addresses;
	to = add ? &new->addresses : &old->addresses;
	for (i = 0; i < to->n; i++) {
		if (prefixes_has(from, &to->v[i]))
			continue;
		if (add)
			(void)nl_addr_add(env->nl, ifindex, &to->v[i]);
		else
			(void)nl_addr_del(env->nl, ifindex, &to->v[i]);
	}

	from = add ? &oroutes : &nroutes;
	to = add ? &nroutes : &oroutes;
	for (i = 0; i < to->n; i++) {
		if (prefixes_has(from, &to->v[i]))
			continue;
		if (add)
			(void)nl_route_add(env->nl, ifindex, &to->v[i]);
		else
			(void)nl_route_del(env->nl, ifindex, &to->v[i]);
	}
	prefixes_free(&oroutes);
	prefixes_free(&nroutes);
}
