/*
 * The engine process: its event loop, the messages it takes from the
 * parent (configuration, descriptors) and from control (show), and the
 * configuration transaction.
 *
 * A configuration arrives as RECONF_BEGIN, then each interface followed
 * by its descriptors (new ones only) and its peers, then RECONF_END.  The
 * new set is built beside the running one and swapped in at END; a peer
 * whose public key is unchanged keeps its runtime state.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "childlog.h"
#include "engine.h"
#include "ifname.h"
#include "imsgev.h"
#include "log.h"
#include "sandbox.h"
#include "wgd.h"
#include "workers.h"

struct engine {
	struct imsgev		 parent;
	struct imsgev		 control;
	int			 have_control;
	struct eng_ifaces	 ifaces;
	struct eng_ifaces	 new_ifaces;
	int			 in_reconf;
	int			 threads_started;
};

/* Sources the handshake rate limiter tracks per interface, at most. */
#define RATELIMITER_ENTRIES	8192

static struct engine	*env;

static void	engine_dispatch_parent(int, short, void *);
static void	engine_dispatch_control(int, short, void *);

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

static void
peer_free(struct eng_peer *p)
{
	peer_stop(p);
	prefixes_free(&p->allowed_ips);
	sodium_memzero(p, sizeof(*p));
	free(p);
}

static void
iface_watch(struct eng_iface *ifc, struct event *ev, int fd,
    void (*cb)(int, short, void *))
{
	if (event_initialized(ev))
		event_del(ev);
	memset(ev, 0, sizeof(*ev));
	if (fd == -1)
		return;
	event_set(ev, fd, EV_READ | EV_PERSIST, cb, ifc);
	event_add(ev, NULL);
}

/* Swaps in a new descriptor, closing the one it replaces. */
static void
iface_set_fd(struct eng_iface *ifc, int *slot, struct event *ev, int fd,
    void (*cb)(int, short, void *))
{
	if (*slot != -1 && event_initialized(ev))
		event_del(ev);
	close_fd(slot);
	*slot = fd;
	iface_watch(ifc, ev, fd, cb);
}

static void
rt_removed_free(struct eng_iface *ifc)
{
	size_t	 i;

	for (i = 0; i < ifc->nrt_removed; i++)
		free(ifc->rt_removed[i]);
	free(ifc->rt_removed);
	ifc->rt_removed = NULL;
	ifc->nrt_removed = 0;
	free(ifc->rt_removed_limited);
	ifc->rt_removed_limited = NULL;
	ifc->nrt_removed_limited = 0;
}

static void
iface_free(struct eng_iface *ifc)
{
	struct eng_peer	*p;

	while ((p = TAILQ_FIRST(&ifc->peers)) != NULL) {
		TAILQ_REMOVE(&ifc->peers, p, entry);
		peer_free(p);
	}
	if (ifc->running) {
		iface_set_fd(ifc, &ifc->tun_fd, &ifc->tun_ev, -1, NULL);
		iface_set_fd(ifc, &ifc->udp4_fd, &ifc->udp4_ev, -1, NULL);
		iface_set_fd(ifc, &ifc->udp6_fd, &ifc->udp6_ev, -1, NULL);
		allowedips_free(&ifc->routes);
		ratelimiter_free(&ifc->ratelimiter);
		cookie_checker_free(&ifc->cookie);
		noise_local_clear(&ifc->noise);
	}
	close_fd(&ifc->tun_fd);
	close_fd(&ifc->udp4_fd);
	close_fd(&ifc->udp6_fd);
	rt_removed_free(ifc);
	if (ifc->fail_log_armed)
		evtimer_del(&ifc->fail_log_ev);
	sodium_memzero(ifc, sizeof(*ifc));
	free(ifc);
}

static void
ifaces_free(struct eng_ifaces *l)
{
	struct eng_iface	*ifc;

	while ((ifc = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, ifc, entry);
		iface_free(ifc);
	}
}

static struct eng_iface *
iface_find(struct eng_ifaces *l, const char *name)
{
	struct eng_iface	*ifc;

	TAILQ_FOREACH(ifc, l, entry)
		if (strcmp(ifc->name, name) == 0)
			return ifc;
	return NULL;
}

struct eng_iface *
engine_iface(const char *name)
{
	return iface_find(&env->ifaces, name);
}

void
engine_send_parent(int type, int fd, const void *data, size_t len)
{
	if (imsgev_compose(&env->parent, type, 0, 0, fd, data, len) == -1)
		fatal("%s", __func__);
}

/*
 * Takes the peer's prefixes out of the routing table, one by one: a
 * walk of the whole table per peer made removing thousands of peers
 * quadratic (11 s for 20,000).
 */
void
iface_unroute_peer(struct eng_iface *ifc, struct eng_peer *p)
{
	size_t	 i;

	for (i = 0; i < p->allowed_ips.n; i++)
		(void)allowedips_remove(&ifc->routes, &p->allowed_ips.v[i],
		    p);
}

/* Takes a peer off its interface; its routes must be gone already. */
void
iface_remove_peer(struct eng_iface *ifc, struct eng_peer *p)
{
	TAILQ_REMOVE(&ifc->peers, p, entry);
	peer_free(p);
}

/*
 * Reads of the TUN device fail with EBADFD once the device is deleted
 * (ip link del), wherever it was moved: the parent, whose netlink may
 * no longer see it, learns it here.
 */
void
iface_tun_gone(struct eng_iface *ifc)
{
	struct msg_ifname	 m;

	log_warnx("%s: the device was deleted", ifc->name);
	iface_set_fd(ifc, &ifc->tun_fd, &ifc->tun_ev, -1, NULL);
	memset(&m, 0, sizeof(m));
	strlcpy(m.name, ifc->name, sizeof(m.name));
	engine_send_parent(IMSG_TUN_GONE, -1, &m, sizeof(m));
}

/*
 * The device is down (ip link set down): the kernel refuses what we
 * write to it with EIO, in whatever namespace it lives, where the
 * parent's netlink may not see it.  Peers and sessions stay, and
 * keepalives go on, so traffic flows again the moment it is up; what
 * arrives meanwhile is dropped (io_error).  Said once each way.
 */
void
iface_link_state(struct eng_iface *ifc, int up)
{
	if (ifc->link_down == !up)
		return;
	ifc->link_down = !up;
	if (up)
		log_info("%s: the device is up again", ifc->name);
	else
		log_info("%s: the device is down: what peers send is dropped "
		    "until it is up", ifc->name);
}

/* New UDP sockets for a running interface (a new port); -1: none. */
void
iface_set_udp(struct eng_iface *ifc, int fd4, int fd6)
{
	iface_set_fd(ifc, &ifc->udp4_fd, &ifc->udp4_ev, fd4,
	    datapath_udp_read);
	iface_set_fd(ifc, &ifc->udp6_fd, &ifc->udp6_ev, fd6,
	    datapath_udp_read);
	ifc->udp4_gso = ifc->udp6_gso = 1;
}

/* The same peer in the running set: by public key, or by name if managed. */
static struct eng_peer *
peer_find_same(struct eng_iface *ifc, const struct eng_peer *np)
{
	struct eng_peer	*p;

	TAILQ_FOREACH(p, &ifc->peers, entry) {
		if (np->has_pubkey && p->has_pubkey &&
		    sodium_memcmp(p->pubkey, np->pubkey, WG_KEY_LEN) == 0)
			return p;
		if (!np->has_pubkey && !p->has_pubkey &&
		    strcmp(p->name, np->name) == 0)
			return p;
	}
	return NULL;
}

/* Cryptokey routing from scratch: cheap, and never half updated. */
static void
routes_rebuild(struct eng_iface *ifc)
{
	struct eng_peer	*p;
	size_t		 i;

	allowedips_free(&ifc->routes);
	allowedips_init(&ifc->routes);
	TAILQ_FOREACH(p, &ifc->peers, entry)
		for (i = 0; i < p->allowed_ips.n; i++)
			if (allowedips_insert_aux(&ifc->routes,
			    &p->allowed_ips.v[i], p, (uint32_t)i) == -1)
				fatalx("interface %s: cannot route %s",
				    ifc->name, p->name);
}

/*
 * The interface's own keys.  Without a private key (a standalone
 * interface before wg sets one) its public key is zero: the noise
 * state then only serves to keep the code paths alike, and no
 * handshake is made or answered.
 */
static void
iface_keys(struct eng_iface *ifc)
{
	if (!ifc->has_privkey) {
		sodium_memzero(ifc->privkey, WG_KEY_LEN);
		memset(ifc->pubkey, 0, WG_KEY_LEN);
		memset(&ifc->noise, 0, sizeof(ifc->noise));
	} else {
		if (noise_local_init(&ifc->noise, ifc->privkey) == -1)
			fatalx("interface %s: unusable private key",
			    ifc->name);
		memcpy(ifc->pubkey, ifc->noise.public, WG_KEY_LEN);
	}
	cookie_checker_init(&ifc->cookie, ifc->pubkey);
}

/*
 * A running interface takes a new private key, or none (NULL).  A peer
 * with the new public key goes, as in wireguard-go: nobody handshakes
 * with itself.  Sessions made with the old key are void.
 */
void
iface_set_privkey(struct eng_iface *ifc, const uint8_t *key)
{
	struct eng_peer	*p;
	uint8_t		 pub[WG_KEY_LEN];

	if (key == NULL ? !ifc->has_privkey : ifc->has_privkey &&
	    sodium_memcmp(ifc->privkey, key, WG_KEY_LEN) == 0)
		return;
	if (key != NULL) {
		if (key_public_from_private(pub, key) == -1)
			fatalx("interface %s: unusable private key",
			    ifc->name);
		if ((p = peer_find_key(ifc, pub)) != NULL) {
			log_info("%s: peer %s has the interface's new public "
			    "key: removed", ifc->name, p->name);
			uapi_peer_del(ifc, p);
		}
	}
	cookie_checker_free(&ifc->cookie);
	noise_local_clear(&ifc->noise);
	ifc->has_privkey = key != NULL;
	if (key != NULL)
		memcpy(ifc->privkey, key, WG_KEY_LEN);
	iface_keys(ifc);
	TAILQ_FOREACH(p, &ifc->peers, entry)
		peer_local_key_changed(p);
}

/* A new interface: its protocol state, its descriptors watched. */
static void
iface_start(struct eng_iface *ifc)
{
	struct eng_peer	*p;
	int		 tun = ifc->tun_fd, u4 = ifc->udp4_fd, u6 = ifc->udp6_fd;

	iface_keys(ifc);
	if (ratelimiter_init(&ifc->ratelimiter, RATELIMITER_ENTRIES) == -1)
		fatal("%s", __func__);
	allowedips_init(&ifc->routes);
	ifc->running = 1;
	ifc->tun_fd = ifc->udp4_fd = ifc->udp6_fd = -1;
	iface_set_fd(ifc, &ifc->tun_fd, &ifc->tun_ev, tun, datapath_tun_read);
	iface_set_fd(ifc, &ifc->udp4_fd, &ifc->udp4_ev, u4, datapath_udp_read);
	iface_set_fd(ifc, &ifc->udp6_fd, &ifc->udp6_ev, u6, datapath_udp_read);
	ifc->udp4_gso = ifc->udp6_gso = 1;
	TAILQ_FOREACH(p, &ifc->peers, entry) {
		p->iface = ifc;
		peer_start(p);
	}
	routes_rebuild(ifc);
}

/* A line for wgctl reload: a change made through wg(8) it undid. */
static void __attribute__((__format__(__printf__, 1, 2)))
undone(const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("%s", __func__);
	engine_send_parent(IMSG_RECONF_UNDONE, -1, line, (size_t)n + 1);
	free(line);
}

static int
prefixes_equal(const struct wgd_prefixes *a, const struct wgd_prefixes *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!addr_equal(&a->v[i], &b->v[i]) ||
		    a->v[i].plen != b->v[i].plen)
			return 0;
	return 1;
}

/*
 * What the userspace API changed on p that wgd.conf (np) puts back:
 * said, and the endpoint it set forgotten.
 */
static void
peer_undo_runtime(struct eng_peer *p, const struct eng_peer *np)
{
	char	 what[128] = "";

	if (p->runtime)
		undone("peer %s: added through wg(8), now peer %s of the "
		    "configuration", p->name, np->name);
	p->runtime = 0;
	if (p->rt_changed == 0)
		return;
	if ((p->rt_changed & RT_PSK) && (p->has_psk != np->has_psk ||
	    sodium_memcmp(p->psk, np->psk, WG_KEY_LEN) != 0))
		strlcat(what, ", preshared key", sizeof(what));
	if (p->rt_changed & RT_ENDPOINT) {
		strlcat(what, ", endpoint", sizeof(what));
		p->endpoint_len = 0;
		if (p->usable)
			peer_configured_endpoint(p);
	}
	if ((p->rt_changed & RT_KEEPALIVE) && p->keepalive != np->keepalive)
		strlcat(what, ", persistent keepalive", sizeof(what));
	if ((p->rt_changed & RT_ALLOWED_IPS) &&
	    !prefixes_equal(&p->allowed_ips, &np->allowed_ips))
		strlcat(what, ", allowed ips", sizeof(what));
	if (what[0] != '\0')
		undone("peer %s: %s set through wg(8), back to the "
		    "configuration's", np->name, what + 2);
	p->rt_changed = 0;
}

/*
 * A running peer takes the configuration of np, keeping its sessions,
 * endpoint, timers and counters: its public key did not change.
 */
static void
peer_update(struct eng_peer *p, struct eng_peer *np)
{
	struct wgd_prefixes	 tmp;
	int			 psk_changed;

	peer_undo_runtime(p, np);
	strlcpy(p->name, np->name, sizeof(p->name));
	psk_changed = p->has_psk != np->has_psk ||
	    sodium_memcmp(p->psk, np->psk, WG_KEY_LEN) != 0;
	p->has_psk = np->has_psk;
	memcpy(p->psk, np->psk, WG_KEY_LEN);
	if (psk_changed && p->usable)
		(void)noise_remote_set_keys(&p->noise, &p->iface->noise,
		    p->has_psk ? p->psk : NULL);
	tmp = p->allowed_ips;
	p->allowed_ips = np->allowed_ips;
	np->allowed_ips = tmp;
	if (strcmp(p->endpoint_host, np->endpoint_host) != 0 ||
	    p->endpoint_port != np->endpoint_port) {
		strlcpy(p->endpoint_host, np->endpoint_host,
		    sizeof(p->endpoint_host));
		p->endpoint_port = np->endpoint_port;
		p->endpoint_len = 0;
		if (p->usable)
			peer_configured_endpoint(p);
	}
	if (p->keepalive != np->keepalive) {
		p->keepalive = np->keepalive;
		timers_set_persistent_keepalive(&p->timers, p->keepalive,
		    now_ns());
		peer_timers_update(p);
	}
	p->limited = np->limited;
	strlcpy(p->client_endpoint, np->client_endpoint,
	    sizeof(p->client_endpoint));
	/* Disabled: its session ends now; enabled: it may handshake. */
	if (p->disabled != np->disabled) {
		p->disabled = np->disabled;
		log_info("peer %s: %s", p->name, p->disabled ? "disabled" :
		    "enabled");
		peer_local_key_changed(p);
	}
}

/* Peers of wgd.conf that wg(8) removed come back with n: say so. */
static void
iface_undo_removals(struct eng_iface *o, const struct eng_iface *n)
{
	const struct eng_peer	*np;
	size_t			 i;

	for (i = 0; i < o->nrt_removed; i++)
		TAILQ_FOREACH(np, &n->peers, entry)
			if (strcmp(np->name, o->rt_removed[i]) == 0) {
				undone("peer %s: removed through wg(8), back",
				    np->name);
				break;
			}
	rt_removed_free(o);
}

/*
 * A running interface takes the configuration of n, which is freed.
 * Peers whose key is unchanged keep their state; new descriptors (a new
 * port) replace the old.
 */
static void
iface_update(struct eng_iface *o, struct eng_iface *n)
{
	struct eng_peers	 merged;
	struct eng_peer		*np, *op;

	if (n->tun_fd != -1) {
		iface_set_fd(o, &o->tun_fd, &o->tun_ev, n->tun_fd,
		    datapath_tun_read);
		o->tun_offload = n->tun_offload;
		n->tun_fd = -1;
	}
	if (n->listen_port != o->listen_port || n->udp4_fd != -1 ||
	    n->udp6_fd != -1) {
		iface_set_fd(o, &o->udp4_fd, &o->udp4_ev, n->udp4_fd,
		    datapath_udp_read);
		iface_set_fd(o, &o->udp6_fd, &o->udp6_ev, n->udp6_fd,
		    datapath_udp_read);
		o->udp4_gso = o->udp6_gso = 1;
		n->udp4_fd = n->udp6_fd = -1;
	}
	o->listen_port = n->listen_port;
	o->fwmark = n->fwmark;
	o->mtu = n->mtu;
	if (o->has_privkey != n->has_privkey ||
	    sodium_memcmp(o->privkey, n->privkey, WG_KEY_LEN) != 0) {
		if (o->rt_privkey)
			undone("interface %s: private key set through wg(8), "
			    "back to the configuration's", o->name);
		iface_set_privkey(o, n->has_privkey ? n->privkey : NULL);
	}
	o->rt_privkey = 0;
	iface_undo_removals(o, n);

	TAILQ_INIT(&merged);
	while ((np = TAILQ_FIRST(&n->peers)) != NULL) {
		TAILQ_REMOVE(&n->peers, np, entry);
		if ((op = peer_find_same(o, np)) != NULL) {
			TAILQ_REMOVE(&o->peers, op, entry);
			peer_update(op, np);
			peer_free(np);
		} else {
			op = np;
			op->iface = o;
			peer_start(op);
		}
		TAILQ_INSERT_TAIL(&merged, op, entry);
	}
	while ((op = TAILQ_FIRST(&o->peers)) != NULL) {
		TAILQ_REMOVE(&o->peers, op, entry);
		if (op->runtime)
			undone("peer %s: added through wg(8), removed",
			    op->name);
		peer_free(op);
	}
	TAILQ_CONCAT(&o->peers, &merged, entry);
	routes_rebuild(o);
	iface_free(n);
}

/*
 * RECONF_END: the staged set becomes the running one.  Interfaces and
 * peers that stay are updated in place, so the index table, the timers
 * and the sessions never point at freed memory; those that are gone are
 * freed, which closes their descriptors and so removes their devices.
 */
static void
reconf_commit(void)
{
	struct eng_ifaces	 running;
	struct eng_iface	*nifc, *oifc;

	TAILQ_INIT(&running);
	while ((nifc = TAILQ_FIRST(&env->new_ifaces)) != NULL) {
		TAILQ_REMOVE(&env->new_ifaces, nifc, entry);
		if ((oifc = iface_find(&env->ifaces, nifc->name)) == NULL) {
			if (nifc->tun_fd == -1 || (nifc->udp4_fd == -1 &&
			    nifc->udp6_fd == -1))
				fatalx("interface %s: configured without its "
				    "descriptors", nifc->name);
			iface_start(nifc);
			TAILQ_INSERT_TAIL(&running, nifc, entry);
			continue;
		}
		TAILQ_REMOVE(&env->ifaces, oifc, entry);
		iface_update(oifc, nifc);
		TAILQ_INSERT_TAIL(&running, oifc, entry);
	}
	ifaces_free(&env->ifaces);
	TAILQ_CONCAT(&env->ifaces, &running, entry);
	env->in_reconf = 0;
	log_debug("configuration applied");
	engine_send_parent(IMSG_RECONF_DONE, -1, NULL, 0);
}

static void
reconf_iface(struct imsg *imsg)
{
	struct msg_iface	 m;
	struct eng_iface	*ifc;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 || !STR_TERMINATED(m.name))
		fatalx("bad IMSG_RECONF_IFACE");
	if (iface_find(&env->new_ifaces, m.name) != NULL)
		fatalx("IMSG_RECONF_IFACE: %s twice", m.name);
	if ((ifc = calloc(1, sizeof(*ifc))) == NULL)
		fatal("%s", __func__);
	strlcpy(ifc->name, m.name, sizeof(ifc->name));
	ifc->has_privkey = m.has_privkey != 0;
	memcpy(ifc->privkey, m.privkey, WG_KEY_LEN);
	if (ifc->has_privkey &&
	    key_public_from_private(ifc->pubkey, ifc->privkey) == -1)
		fatalx("interface %s: unusable private key", m.name);
	ifc->listen_port = m.listen_port;
	ifc->fwmark = m.fwmark;
	ifc->mtu = m.mtu;
	ifc->tun_fd = ifc->udp4_fd = ifc->udp6_fd = -1;
	TAILQ_INIT(&ifc->peers);
	TAILQ_INSERT_TAIL(&env->new_ifaces, ifc, entry);
	sodium_memzero(&m, sizeof(m));
}

static struct eng_iface *
reconf_last_iface(const char *what)
{
	struct eng_iface	*ifc;

	if ((ifc = TAILQ_LAST(&env->new_ifaces, eng_ifaces)) == NULL)
		fatalx("%s before any interface", what);
	return ifc;
}

static void
reconf_peer(struct imsg *imsg)
{
	struct msg_peer		 m;
	struct eng_iface	*ifc;
	struct eng_peer		*p;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.iface) || !STR_TERMINATED(m.name) ||
	    !STR_TERMINATED(m.endpoint_host) ||
	    !STR_TERMINATED(m.client_endpoint))
		fatalx("bad IMSG_RECONF_PEER");
	ifc = reconf_last_iface("IMSG_RECONF_PEER");
	if (strcmp(ifc->name, m.iface) != 0)
		fatalx("IMSG_RECONF_PEER: peer %s of %s after %s", m.name,
		    m.iface, ifc->name);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	strlcpy(p->name, m.name, sizeof(p->name));
	p->has_pubkey = m.has_pubkey != 0;
	memcpy(p->pubkey, m.pubkey, WG_KEY_LEN);
	p->has_psk = m.has_psk != 0;
	memcpy(p->psk, m.psk, WG_KEY_LEN);
	strlcpy(p->endpoint_host, m.endpoint_host, sizeof(p->endpoint_host));
	strlcpy(p->client_endpoint, m.client_endpoint,
	    sizeof(p->client_endpoint));
	p->endpoint_port = m.endpoint_port;
	p->keepalive = m.keepalive;
	p->disabled = m.disabled != 0;
	p->limited = m.limited != 0;
	TAILQ_INSERT_TAIL(&ifc->peers, p, entry);
	sodium_memzero(&m, sizeof(m));
}

static void
reconf_allowed_ips(struct imsg *imsg)
{
	struct eng_iface	*ifc;
	struct eng_peer		*p;
	struct wgd_prefix	 pfx;
	size_t			 len = imsg_get_len(imsg), i;

	ifc = reconf_last_iface("IMSG_RECONF_ALLOWED_IPS");
	if ((p = TAILQ_LAST(&ifc->peers, eng_peers)) == NULL)
		fatalx("IMSG_RECONF_ALLOWED_IPS before any peer");
	if (len == 0 || len % sizeof(pfx) != 0)
		fatalx("bad IMSG_RECONF_ALLOWED_IPS");
	for (i = 0; i < len / sizeof(pfx); i++) {
		memcpy(&pfx, (uint8_t *)imsg->data + i * sizeof(pfx),
		    sizeof(pfx));
		if ((pfx.af != AF_INET && pfx.af != AF_INET6) ||
		    pfx.plen > addr_maxlen(pfx.af))
			fatalx("IMSG_RECONF_ALLOWED_IPS: bad prefix");
		if (prefixes_add(&p->allowed_ips, &pfx) == -1)
			fatal("%s", __func__);
	}
}

static void
reconf_fd(struct imsg *imsg)
{
	struct eng_iface	*ifc;
	struct msg_udp		 u;
	struct msg_tun		 t;
	int			 fd, *slot;

	ifc = reconf_last_iface("descriptor");
	if (imsg->hdr.type == IMSG_TUN_FD) {
		if (imsg_get_data(imsg, &t, sizeof(t)) == -1 ||
		    !STR_TERMINATED(t.name) || strcmp(t.name, ifc->name) != 0)
			fatalx("bad IMSG_TUN_FD");
		slot = &ifc->tun_fd;
		ifc->tun_offload = t.offload;
		log_debug("%s: TUN offloads 0x%x", ifc->name, t.offload);
	} else {
		if (imsg_get_data(imsg, &u, sizeof(u)) == -1 ||
		    !STR_TERMINATED(u.name) || strcmp(u.name, ifc->name) != 0 ||
		    (u.af != AF_INET && u.af != AF_INET6))
			fatalx("bad IMSG_UDP_FD");
		slot = u.af == AF_INET ? &ifc->udp4_fd : &ifc->udp6_fd;
	}
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("descriptor message without a descriptor");
	close_fd(slot);
	*slot = fd;
}

void
engine_send_control(uint32_t id, int type, const void *data, size_t len)
{
	if (imsgev_compose(&env->control, type, id, 0, -1, data, len) == -1)
		fatal("%s", __func__);
}

static void
send_ctl_end(uint32_t id, int status)
{
	struct ctl_end	 end;

	memset(&end, 0, sizeof(end));
	end.status = status;
	engine_send_control(id, IMSG_CTL_END, &end, sizeof(end));
}

static void
ctl_fail(struct ctl_fail *c, const struct fail_seen *f)
{
	if (f->when == 0)
		return;
	c->when = f->when;
	c->count = f->count;
	engine_format_addr(&f->from, c->from, sizeof(c->from));
}

static void
show_iface(uint32_t id, const struct eng_iface *ifc)
{
	struct ctl_iface	 ci;
	size_t			 i;

	memset(&ci, 0, sizeof(ci));
	strlcpy(ci.name, ifc->name, sizeof(ci.name));
	memcpy(ci.pubkey, ifc->pubkey, WG_KEY_LEN);
	ci.listen_port = ifc->listen_port;
	memcpy(ci.drops, ifc->drops, sizeof(ci.drops));
	for (i = 0; i < IFACE_FAIL_MAX; i++)
		ctl_fail(&ci.fails[i], &ifc->fails[i]);
	ci.handshakes_sent = ifc->handshakes_sent;
	ci.handshakes_received = ifc->handshakes_received;
	ci.handshakes_failed = ifc->handshakes_failed;
	engine_send_control(id, IMSG_CTL_IFACE, &ci, sizeof(ci));
}

/* 192.0.2.1:51820 or [2001:db8::1]:51820, as wg show writes them. */
void
engine_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;
	char				 a[INET6_ADDRSTRLEN];
	char				 zone[IF_NAMESIZE];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		/* A link-local address names its interface, as wg show. */
		if (sin6->sin6_scope_id != 0 &&
		    ifname_name(sin6->sin6_scope_id, zone) != NULL)
			snprintf(buf, len, "[%s%%%s]:%u", a, zone,
			    ntohs(sin6->sin6_port));
		else if (sin6->sin6_scope_id != 0)
			snprintf(buf, len, "[%s%%%u]:%u", a,
			    sin6->sin6_scope_id, ntohs(sin6->sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", a,
			    ntohs(sin6->sin6_port));
	}
}

static void
show_peer(uint32_t id, const struct eng_iface *ifc, const struct eng_peer *p)
{
	struct ctl_peer	 cp;
	size_t		 off, n, i;

	memset(&cp, 0, sizeof(cp));
	strlcpy(cp.iface, ifc->name, sizeof(cp.iface));
	if (!p->runtime)
		strlcpy(cp.name, p->name, sizeof(cp.name));
	cp.runtime = p->runtime;
	cp.disabled = p->disabled;
	cp.has_pubkey = p->has_pubkey;
	memcpy(cp.pubkey, p->pubkey, WG_KEY_LEN);
	if (p->endpoint_len != 0)
		engine_format_addr(&p->endpoint, cp.endpoint,
		    sizeof(cp.endpoint));
	else if (p->endpoint_host[0] != '\0')
		snprintf(cp.endpoint, sizeof(cp.endpoint),
		    strchr(p->endpoint_host, ':') != NULL ? "[%s]:%u" :
		    "%s:%u", p->endpoint_host, p->endpoint_port);
	cp.keepalive = p->keepalive;
	cp.last_handshake = p->state.last_handshake;
	cp.rx_bytes = p->state.rx_bytes;
	cp.tx_bytes = p->state.tx_bytes;
	cp.rx_any = p->rx_any;
	cp.unresolved = p->unresolved;
	strlcpy(cp.endpoint_host, p->endpoint_host, sizeof(cp.endpoint_host));
	strlcpy(cp.client_endpoint, p->client_endpoint,
	    sizeof(cp.client_endpoint));
	for (i = 0; i < PEER_FAIL_MAX; i++)
		ctl_fail(&cp.fails[i], &p->fails[i]);
	/* Failures that name no peer are its own from its endpoint. */
	for (i = 0; p->endpoint_len != 0 && i < IFACE_FAIL_MAX; i++)
		if (ifc->fails[i].when != 0 &&
		    addr_same_host((const struct sockaddr *)&ifc->fails[i].from,
		    (const struct sockaddr *)&p->endpoint))
			ctl_fail(&cp.iface_fails[i], &ifc->fails[i]);
	engine_send_control(id, IMSG_CTL_PEER, &cp, sizeof(cp));
	for (off = 0; off < p->allowed_ips.n; off += n) {
		n = p->allowed_ips.n - off;
		if (n > MSG_PREFIXES_MAX)
			n = MSG_PREFIXES_MAX;
		engine_send_control(id, IMSG_CTL_ALLOWED_IPS,
		    &p->allowed_ips.v[off], n * sizeof(struct wgd_prefix));
	}
}

static void
show(uint32_t id, struct imsg *imsg)
{
	struct ctl_show		 req;
	struct eng_iface	*ifc;
	struct eng_peer		*p;
	char			 msg[128];
	int			 found = 0;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    !STR_TERMINATED(req.name) || req.what > SHOW_PEER)
		fatalx("bad IMSG_CTL_SHOW from control");

	TAILQ_FOREACH(ifc, &env->ifaces, entry) {
		if (req.what == SHOW_IFACE && strcmp(ifc->name, req.name) != 0)
			continue;
		if (req.what != SHOW_PEER) {
			found = 1;
			show_iface(id, ifc);
		}
		TAILQ_FOREACH(p, &ifc->peers, entry) {
			if (req.what == SHOW_PEER &&
			    strcmp(p->name, req.name) != 0)
				continue;
			if (req.what == SHOW_PEER) {
				found = 1;
				show_iface(id, ifc);
			}
			show_peer(id, ifc, p);
		}
	}
	if (!found && req.what != SHOW_ALL) {
		snprintf(msg, sizeof(msg), "no %s named \"%s\"",
		    req.what == SHOW_IFACE ? "interface" : "peer", req.name);
		engine_send_control(id, IMSG_CTL_ERROR, msg, strlen(msg) + 1);
		send_ctl_end(id, 1);
		return;
	}
	send_ctl_end(id, 0);
}

/*
 * wgctl doctor's probe of an interface: the token it was armed with,
 * taken whenever it comes (the later tries too), reported once.  Any
 * other datagram, a probe with another token too, goes on to be
 * counted as what it is.  The doctor sends its probes once it knows
 * the engine is armed; an interface gone since is armed for nothing.
 */
static void
probe_arm(struct imsg *imsg)
{
	struct msg_probe	 m;
	struct eng_iface	*ifc;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.iface))
		fatalx("bad IMSG_PROBE_ARM");
	if ((ifc = iface_find(&env->ifaces, m.iface)) != NULL) {
		memcpy(ifc->probe_token, m.token, sizeof(ifc->probe_token));
		ifc->probe_armed = 1;
		ifc->probe_reported = 0;
	}
	engine_send_parent(IMSG_PROBE_ARMED, -1, &m, sizeof(m));
}

int
engine_probe(struct eng_iface *ifc, const uint8_t *buf, size_t len)
{
	struct msg_probe	 m;
	const uint8_t		*token;

	if (!ifc->probe_armed || (token = probe_token(buf, len)) == NULL ||
	    sodium_memcmp(token, ifc->probe_token, PROBE_TOKEN_LEN) != 0)
		return 0;
	if (ifc->probe_reported)
		return 1;
	ifc->probe_reported = 1;
	memset(&m, 0, sizeof(m));
	strlcpy(m.iface, ifc->name, sizeof(m.iface));
	memcpy(m.token, token, sizeof(m.token));
	m.port = ifc->listen_port;
	engine_send_parent(IMSG_PROBE_SEEN, -1, &m, sizeof(m));
	return 1;
}

/* The parent resolved a peer's endpoint name to a new address. */
static void
peer_endpoint(struct imsg *imsg)
{
	struct msg_endpoint	 m;
	struct eng_iface	*ifc;
	struct eng_peer		*p;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.iface) || !STR_TERMINATED(m.peer) ||
	    !((m.ss.ss_family == AF_INET &&
	    m.len == sizeof(struct sockaddr_in)) ||
	    (m.ss.ss_family == AF_INET6 &&
	    m.len == sizeof(struct sockaddr_in6)) ||
	    (m.ss.ss_family == 0 && m.len == 0)))
		fatalx("bad IMSG_PEER_ENDPOINT");
	if ((ifc = iface_find(&env->ifaces, m.iface)) == NULL)
		return;		/* gone in a reload since */
	TAILQ_FOREACH(p, &ifc->peers, entry)
		if (strcmp(p->name, m.peer) == 0)
			p->unresolved = m.len == 0;
	if (m.len == 0)
		return;
	TAILQ_FOREACH(p, &ifc->peers, entry)
		/* An endpoint set through wg(8) holds until a reload. */
		if (strcmp(p->name, m.peer) == 0 && p->usable &&
		    !(p->rt_changed & RT_ENDPOINT)) {
			peer_set_endpoint(p, (struct sockaddr *)&m.ss, m.len,
			    NULL);
			log_debug("peer %s: endpoint from its name", p->name);
			/* Keepalives wait for an address to go to. */
			if (p->keepalive != 0 && !timers_armed(&p->timers,
			    TIMER_PERSISTENT_KEEPALIVE)) {
				timers_set_persistent_keepalive(&p->timers,
				    p->keepalive, now_ns());
				peer_timers_update(p);
			}
		}
}

static void
engine_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev		*iev = arg;
	struct imsg		 imsg;
	struct msg_reconf	 mr;
	ssize_t			 n;
	int			 verbose, cfd;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		/* The parent is gone: so is the reason to run. */
		log_debug("parent closed the connection");
		exit(0);
	}
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("imsg_get");
		if (n == 0)
			break;
		switch (imsg.hdr.type) {
		case IMSG_CHILD_SOCKET:
			if (env->have_control || imsg_get_len(&imsg) != 0 ||
			    (cfd = imsg_get_fd(&imsg)) == -1)
				fatalx("bad IMSG_CHILD_SOCKET");
			imsgev_init(&env->control, cfd,
			    engine_dispatch_control, NULL);
			env->have_control = 1;
			break;
		case IMSG_RECONF_BEGIN:
			if (env->in_reconf || imsg_get_data(&imsg, &mr,
			    sizeof(mr)) == -1 || mr.engine_threads < 1 ||
			    mr.engine_threads > WGD_THREADS_MAX)
				fatalx("bad IMSG_RECONF_BEGIN");
			/* The first one says how many; later ones repeat. */
			if (!env->threads_started) {
				if (workers_start(mr.engine_threads) == -1)
					fatalx("cannot start the crypto "
					    "workers");
				log_debug("%u crypto threads",
				    workers_count());
				env->threads_started = 1;
			}
			env->in_reconf = 1;
			break;
		case IMSG_RECONF_IFACE:
		case IMSG_RECONF_PEER:
		case IMSG_RECONF_ALLOWED_IPS:
		case IMSG_TUN_FD:
		case IMSG_UDP_FD:
		case IMSG_RECONF_END:
			if (!env->in_reconf)
				fatalx("configuration message outside "
				    "RECONF_BEGIN/END");
			if (imsg.hdr.type == IMSG_RECONF_IFACE)
				reconf_iface(&imsg);
			else if (imsg.hdr.type == IMSG_RECONF_PEER)
				reconf_peer(&imsg);
			else if (imsg.hdr.type == IMSG_RECONF_ALLOWED_IPS)
				reconf_allowed_ips(&imsg);
			else if (imsg.hdr.type == IMSG_RECONF_END) {
				if (imsg_get_len(&imsg) != 0)
					fatalx("bad IMSG_RECONF_END");
				reconf_commit();
			} else
				reconf_fd(&imsg);
			break;
		case IMSG_LOG_VERBOSE:
			if (imsg_get_data(&imsg, &verbose, sizeof(verbose)) ==
			    -1)
				fatalx("bad IMSG_LOG_VERBOSE");
			log_setverbose(verbose);
			break;
		case IMSG_PEER_ENDPOINT:
			peer_endpoint(&imsg);
			break;
		case IMSG_PROBE_ARM:
			probe_arm(&imsg);
			break;
		case IMSG_UAPI_BIND_FD:
			uapi_bind_fd(&imsg);
			break;
		case IMSG_UAPI_BOUND:
			uapi_bound(&imsg);
			break;
		default:
			fatalx("%s: unexpected message %u from the parent",
			    __func__, imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

static void
engine_dispatch_control(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1)
		fatalx("control process closed the connection");
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("imsg_get");
		if (n == 0)
			break;
		switch (imsg.hdr.type) {
		case IMSG_CTL_SHOW:
			show(imsg.hdr.peerid, &imsg);
			break;
		case IMSG_UAPI_GET:
			uapi_get(imsg.hdr.peerid, &imsg);
			break;
		case IMSG_UAPI_SET_BEGIN:
			uapi_set_begin(imsg.hdr.peerid, &imsg);
			break;
		case IMSG_UAPI_SET_OPS:
			uapi_set_ops(imsg.hdr.peerid, &imsg);
			break;
		case IMSG_UAPI_SET_END:
			uapi_set_end(imsg.hdr.peerid, &imsg);
			break;
		default:
			fatalx("%s: unexpected message %u from control",
			    __func__, imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/*
 * What the engine calls beyond every child's (sandbox.c): datagrams on
 * the sockets the parent opened, packets on the TUN descriptor it
 * passed (read and writev), and its crypto workers, which are threads.
 * No open, socket, bind or connect: nothing the engine uses comes from
 * anywhere but the parent.
 */
const struct sandbox_rule engine_syscalls[] = {
	SB(recvmmsg), SB(recvmmsg_time64), SB(sendmmsg), SB(sendto),
	SB(recvfrom),
	SB_MASKED(clone, 0, CLONE_THREAD, CLONE_THREAD),
	SB(set_robust_list), SB(rseq), SB(rt_sigaction), SB(sched_yield),
	/* An endpoint's zone, on the socket for nothing else (ifname.c). */
	SB_ARGS(ioctl, 0, WGD_IFNAME_FD, 1, SIOCGIFNAME),
	SB_END
};

/*
 * Runs the engine until the parent goes away.  Called after the process
 * has chrooted and dropped its privileges; fd is the parent's socket.
 */
void
engine_main(int fd, int verbose)
{
	struct engine	 e;

	memset(&e, 0, sizeof(e));
	env = &e;
	TAILQ_INIT(&env->ifaces);
	TAILQ_INIT(&env->new_ifaces);
	log_setverbose(verbose);
	index_init();
	peer_keys_init();
	datapath_init();

	event_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* The parent ends us; a terminal's ^C is for the parent only. */
	signal(SIGINT, SIG_IGN);
	imsgev_init(&env->parent, fd, engine_dispatch_parent, NULL);
	childlog_init(&env->parent);
	sandbox_enter("engine", engine_syscalls);
	event_dispatch();
	fatalx("event loop ended");
}
