/*
 * wgctl doctor: the client endpoint's name, looked up within
 * DOCTOR_RESOLVE_SECS, and the probe of the router's port forward.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "probe.h"

#define DOCTOR_RESOLVE_SECS	3
#define DOCTOR_ADDRS_SHOWN	4
#define DOCTOR_PROBE_MS		2000
#define DOCTOR_PROBE_TRIES	3

/*
 * Resolves host within DOCTOR_RESOLVE_SECS.  Returns 0 with the list
 * in *res, or an EAI_ error: EAI_INPROGRESS when time ran out.  A
 * lookup still running then keeps its request, leaked on purpose: the
 * resolver's thread may still write to it.
 */
static int
resolve_bounded(const char *host, struct addrinfo **res)
{
	struct gaicb		*req;
	struct addrinfo		*hints;
	struct timespec		 now, end, ts;
	const struct gaicb	*list[1];
	int			 rv;

	*res = NULL;
	if ((req = calloc(1, sizeof(*req))) == NULL ||
	    (hints = calloc(1, sizeof(*hints))) == NULL ||
	    (req->ar_name = strdup(host)) == NULL) {
		if (req != NULL)
			free(hints);
		free(req);
		return EAI_MEMORY;
	}
	hints->ai_socktype = SOCK_DGRAM;
	req->ar_request = hints;
	list[0] = req;
	if ((rv = getaddrinfo_a(GAI_NOWAIT, (struct gaicb **)list, 1,
	    NULL)) != 0) {
		free((char *)req->ar_name);
		free(req);
		free(hints);
		return rv;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += DOCTOR_RESOLVE_SECS;
	while (gai_error(req) == EAI_INPROGRESS) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timespeccmp(&now, &end, >=)) {
			(void)gai_cancel(req);
			return EAI_INPROGRESS;
		}
		timespecsub(&end, &now, &ts);
		(void)gai_suspend(list, 1, &ts);
	}
	if ((rv = gai_error(req)) == 0)
		*res = req->ar_result;
	free((char *)req->ar_name);
	free(req);
	free(hints);
	return rv;
}

/*
 * The client endpoint: a name resolves, and not to this host.  Returns
 * 1 with its first IPv4 address in *sin when it is one to probe.
 */
int
doctor_check_endpoint(struct doctor *d, const struct doctor_iface *di,
    struct sockaddr_in *sin)
{
	struct addrinfo	*res, *ai, *prev;
	char		 list[256], a[INET6_ADDRSTRLEN], fix[DOCTOR_LINE_MAX];
	size_t		 n = 0;
	int		 rv, local = 0;

	if (di->endpoint_host[0] == '\0') {
		doctor_report(d, DOCTOR_WARN, "client endpoint \"NAME\" in "
		    "wgd.conf, with the name of your router's public address "
		    "(a dynamic DNS name)", "%s: no client endpoint: client "
		    "configurations have no Endpoint line", di->name);
		return 0;
	}
	if ((rv = resolve_bounded(di->endpoint_host, &res)) != 0) {
		snprintf(fix, sizeof(fix), "check the name in client "
		    "endpoint, and that your dynamic DNS updates it (getent "
		    "hosts %s)", di->endpoint_host);
		doctor_report(d, DOCTOR_FAIL, fix, "%s: client endpoint %s "
		    "does not resolve: %s", di->name, di->endpoint_host,
		    rv == EAI_INPROGRESS ? "no answer within a few seconds" :
		    gai_strerror(rv));
		return 0;
	}
	list[0] = '\0';
	sin->sin_family = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)
			    ai->ai_addr)->sin_addr, a, sizeof(a));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
			    ai->ai_addr)->sin6_addr, a, sizeof(a));
		else
			continue;
		for (prev = res; prev != ai; prev = prev->ai_next)
			if (prev->ai_addrlen == ai->ai_addrlen &&
			    memcmp(prev->ai_addr, ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
		if (prev != ai)
			continue;
		if (doctor_is_local(ai->ai_addr))
			local = 1;
		if (ai->ai_family == AF_INET && sin->sin_family == 0)
			memcpy(sin, ai->ai_addr, sizeof(*sin));
		if (n++ < DOCTOR_ADDRS_SHOWN) {
			if (list[0] != '\0')
				strlcat(list, ", ", sizeof(list));
			strlcat(list, a, sizeof(list));
		}
	}
	freeaddrinfo(res);
	if (local) {
		doctor_report(d, DOCTOR_WARN, "client endpoint \"NAME\" with "
		    "the name of your router's public address, unless this "
		    "host has that address itself", "%s: the endpoint is this "
		    "host: client endpoint %s resolves to %s", di->name,
		    di->endpoint_host, list);
		return 0;
	}
	doctor_report(d, DOCTOR_OK, NULL, "%s: client endpoint %s resolves "
	    "to %s", di->name, di->endpoint_host, list);
	if (sin->sin_family != AF_INET)
		doctor_report(d, DOCTOR_WARN, "try from outside the home: a "
		    "phone on mobile data, then wgctl show", "%s: the router's "
		    "port forward is not probed: the endpoint has no IPv4 "
		    "address", di->name);
	return sin->sin_family == AF_INET;
}

/* A UDP socket bound to port on every IPv4 address; -1 when taken. */
static int
udp_bound(uint16_t port)
{
	struct sockaddr_in	 sin;
	int			 s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(s);
		return -1;
	}
	return s;
}

/* Whether a datagram waiting on s is the probe. */
static int
probe_read(int s, const uint8_t *probe)
{
	uint8_t		 buf[PROBE_LEN + 1];
	ssize_t		 n;
	int		 seen = 0;

	while ((n = recv(s, buf, sizeof(buf), 0)) >= 0)
		if ((size_t)n == PROBE_LEN &&
		    memcmp(buf, probe, PROBE_LEN) == 0)
			seen = 1;
	return seen;
}

/*
 * The router's port forward, from inside: a probe to the public
 * address and port, from a fresh ephemeral socket each try (a fixed
 * one would be answered by the router's conntrack entry of the last
 * try, after the forward is gone), comes back to the listen port
 * through a router with NAT loopback.  One that comes back to the
 * public port instead, which doctor binds when it differs and is free,
 * shows the router forwards to the wrong port.  None back proves
 * nothing: many routers have no loopback.
 */
void
doctor_check_probe(struct doctor *d, const struct doctor_iface *di,
    struct sockaddr_in *to)
{
	uint8_t		 probe[PROBE_LEN];
	struct pollfd	 pfd[3];
	char		 a[INET_ADDRSTRLEN], fix[DOCTOR_LINE_MAX];
	uint16_t	 pub = di->endpoint_port != 0 ? di->endpoint_port :
			    di->listen_port;
	uint64_t	 start, now, next;
	int64_t		 wait;
	int		 lfd = -1, pubfd = -1, s, tries = 0, n, i;
	int		 on_listen = 0, on_public = 0;

	memcpy(probe, PROBE_MAGIC, PROBE_MAGIC_LEN);
	arc4random_buf(probe + PROBE_MAGIC_LEN, PROBE_TOKEN_LEN);
	if (d->running)
		d->probe_arm(d->arg, di->name, probe + PROBE_MAGIC_LEN);
	else
		lfd = udp_bound(di->listen_port);
	if (pub != di->listen_port)
		pubfd = udp_bound(pub);
	to->sin_port = htons(pub);
	inet_ntop(AF_INET, &to->sin_addr, a, sizeof(a));

	start = next = doctor_now_ms();
	for (now = start; now - start < DOCTOR_PROBE_MS && !on_listen;
	    now = doctor_now_ms()) {
		if (tries < DOCTOR_PROBE_TRIES && now >= next) {
			if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
			    0)) != -1) {
				(void)sendto(s, probe, sizeof(probe), 0,
				    (struct sockaddr *)to, sizeof(*to));
				close(s);
			}
			tries++;
			next += DOCTOR_PROBE_MS / DOCTOR_PROBE_TRIES;
		}
		wait = (int64_t)(tries < DOCTOR_PROBE_TRIES ? next :
		    start + DOCTOR_PROBE_MS) - (int64_t)now;
		n = 0;
		pfd[n].fd = d->running ? d->probe_fd : lfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = pubfd;
		pfd[n++].events = POLLIN;
		/* A try late after a stall is sent at once. */
		if (poll(pfd, (nfds_t)n, wait > 0 ? (int)wait : 0) == -1)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || !(pfd[i].revents & POLLIN))
				continue;
			if (i == 1)
				on_public |= probe_read(pubfd, probe);
			else if (d->running)
				on_listen |= d->probe_seen(d->arg, di->name,
				    probe + PROBE_MAGIC_LEN) == 1;
			else
				on_listen |= probe_read(lfd, probe);
		}
	}
	if (lfd != -1)
		close(lfd);
	if (pubfd != -1)
		close(pubfd);

	if (on_listen)
		doctor_report(d, DOCTOR_OK, NULL, "%s: the router forwards UDP "
		    "port %u here: a probe sent to %s:%u came back", di->name,
		    pub, a, pub);
	else if (on_public) {
		snprintf(fix, sizeof(fix), "in the router, forward UDP port %u "
		    "to port %u of this host; or: listen-port %u in wgd.conf",
		    pub, di->listen_port, pub);
		doctor_report(d, DOCTOR_WARN, fix, "%s: the router forwards UDP "
		    "port %u to port %u here, but wgd listens on port %u",
		    di->name, pub, pub, di->listen_port);
	} else {
		snprintf(fix, sizeof(fix), "try from outside the home: a phone "
		    "on mobile data, then wgctl show; a router without NAT "
		    "loopback never sends a probe back");
		doctor_report(d, DOCTOR_WARN, fix, "%s: the router's port "
		    "forward is inconclusive: no probe sent to %s:%u came back",
		    di->name, a, pub);
	}
}
