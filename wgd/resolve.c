/*
 * Endpoint names (endpoint "office.example.org" port 51820) are
 * resolved by the parent with libevent's asynchronous resolver, so a
 * slow DNS never stalls it: at start, after each reload, and every
 * RESOLVE_INTERVAL seconds, as a home router's dynamic address moves.
 * A name that resolves to a new address is logged and the address sent
 * to the engine; the peer's endpoint follows.  The resolver reads
 * /etc/hosts and /etc/resolv.conf as the parent sees them.
 */

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <event2/dns.h>
#include <event2/util.h>

#include "log.h"
#include "parent.h"
#include "wgd.h"

#define RESOLVE_INTERVAL	60

struct resolve_req {
	struct wgd	*env;
	char		 iface[IFNAMSIZ];
	char		 peer[WGD_PEER_NAME_MAX + 1];
	char		 host[WGD_HOST_MAX + 1];
	uint16_t	 port;
};

static void	resolve_tick(int, short, void *);

static int
is_literal(const char *host)
{
	struct in6_addr	 a;

	return inet_pton(AF_INET, host, &a) == 1 ||
	    inet_pton(AF_INET6, host, &a) == 1;
}

static struct resolved *
resolved_find(struct wgd *env, const char *iface, const char *peer)
{
	struct resolved	*r;

	TAILQ_FOREACH(r, &env->resolved, entry)
		if (strcmp(r->iface, iface) == 0 && strcmp(r->peer, peer) == 0)
			return r;
	return NULL;
}

static void
resolve_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve_req	*req = arg;
	struct wgd		*env = req->env;
	struct resolved		*r;
	struct msg_endpoint	 m;
	char			 a[INET6_ADDRSTRLEN];

	if (result != 0 || res == NULL) {
		if (result == EVUTIL_EAI_CANCEL)
			goto done;
		log_warnx("peer %s: cannot resolve %s: %s", req->peer,
		    req->host, evutil_gai_strerror(result));
		/* For wgctl show's hint; the last address stays in use. */
		memset(&m, 0, sizeof(m));
		strlcpy(m.iface, req->iface, sizeof(m.iface));
		strlcpy(m.peer, req->peer, sizeof(m.peer));
		if (imsgev_compose(&env->engine, IMSG_PEER_ENDPOINT, 0, 0, -1,
		    &m, sizeof(m)) == -1)
			fatal("%s", __func__);
		goto done;
	}
	if (res->ai_addrlen > sizeof(m.ss))
		goto done;
	if ((r = resolved_find(env, req->iface, req->peer)) != NULL &&
	    r->len == res->ai_addrlen &&
	    memcmp(&r->ss, res->ai_addr, r->len) == 0)
		goto done;	/* the same as before */
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal("%s", __func__);
		strlcpy(r->iface, req->iface, sizeof(r->iface));
		strlcpy(r->peer, req->peer, sizeof(r->peer));
		strlcpy(r->host, req->host, sizeof(r->host));
		r->port = req->port;
		TAILQ_INSERT_TAIL(&env->resolved, r, entry);
	}
	memcpy(&r->ss, res->ai_addr, res->ai_addrlen);
	r->len = res->ai_addrlen;

	if (r->ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&r->ss)->sin_addr,
		    a, sizeof(a));
	else
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)&r->ss)->sin6_addr, a, sizeof(a));
	log_info("peer %s: %s is %s", req->peer, req->host, a);

	memset(&m, 0, sizeof(m));
	strlcpy(m.iface, req->iface, sizeof(m.iface));
	strlcpy(m.peer, req->peer, sizeof(m.peer));
	m.len = r->len;
	memcpy(&m.ss, &r->ss, r->len);
	if (imsgev_compose(&env->engine, IMSG_PEER_ENDPOINT, 0, 0, -1, &m,
	    sizeof(m)) == -1)
		fatal("%s", __func__);
done:
	if (res != NULL)
		evutil_freeaddrinfo(res);
	free(req);
}

/*
 * Forgets what a peer resolved to when it is gone or its endpoint
 * changed: the engine then has no address for it until the next answer,
 * which must be sent even if it is the same address as before.
 */
static void
resolved_prune(struct wgd *env)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	struct resolved			*r, *next;
	int				 keep;

	for (r = TAILQ_FIRST(&env->resolved); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		keep = 0;
		TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
			TAILQ_FOREACH(peer, &ifc->peers, entry)
				if (strcmp(ifc->name, r->iface) == 0 &&
				    strcmp(peer->name, r->peer) == 0 &&
				    strcmp(peer->endpoint_host, r->host) == 0 &&
				    peer->endpoint_port == r->port)
					keep = 1;
		if (!keep) {
			TAILQ_REMOVE(&env->resolved, r, entry);
			free(r);
		}
	}
}

/*
 * Starts a lookup for every endpoint given as a name.  Answers that
 * repeat what a peer already has are not sent: the engine keeps the
 * address the peer roamed to.
 */
void
resolve_all(struct wgd *env, int forget)
{
	const struct wgd_iface_conf	*ifc;
	const struct wgd_peer_conf	*peer;
	struct evutil_addrinfo		 hints;
	struct resolve_req		*req;
	struct resolved			*r;
	char				 port[8];

	/*
	 * After a reload the engine may have started a peer afresh (a new
	 * key), without the address it had: send every answer again.
	 */
	while (forget && (r = TAILQ_FIRST(&env->resolved)) != NULL) {
		TAILQ_REMOVE(&env->resolved, r, entry);
		free(r);
	}
	resolved_prune(env);
	/*
	 * A fresh resolver each round reads /etc/hosts and resolv.conf as
	 * they are now (libevent only ever adds to its hosts table).
	 * Lookups still running from the last round are cancelled.
	 */
	if (env->dns != NULL)
		evdns_base_free(env->dns, 1);
	if ((env->dns = evdns_base_new(env->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL)
		fatalx("cannot start the resolver");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		TAILQ_FOREACH(peer, &ifc->peers, entry) {
			if (peer->endpoint_host[0] == '\0' ||
			    is_literal(peer->endpoint_host))
				continue;
			if ((req = calloc(1, sizeof(*req))) == NULL)
				fatal("%s", __func__);
			req->env = env;
			strlcpy(req->iface, ifc->name, sizeof(req->iface));
			strlcpy(req->peer, peer->name, sizeof(req->peer));
			strlcpy(req->host, peer->endpoint_host,
			    sizeof(req->host));
			req->port = peer->endpoint_port;
			snprintf(port, sizeof(port), "%u",
			    peer->endpoint_port);
			(void)evdns_getaddrinfo(env->dns, req->host, port,
			    &hints, resolve_done, req);
		}
}

static void
resolve_tick(int fd, short event, void *arg)
{
	struct wgd	*env = arg;
	struct timeval	 tv = { RESOLVE_INTERVAL, 0 };

	(void)fd;
	(void)event;
	resolve_all(env, 0);
	evtimer_add(&env->resolve_ev, &tv);
}

/* After event_init(): the resolver, and the periodic re-resolution. */
void
resolve_init(struct wgd *env)
{
	struct timeval	 tv = { RESOLVE_INTERVAL, 0 };

	TAILQ_INIT(&env->resolved);
	env->dns = NULL;
	evtimer_set(&env->resolve_ev, resolve_tick, env);
	evtimer_add(&env->resolve_ev, &tv);
}
