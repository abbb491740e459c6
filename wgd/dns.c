/*
 * The DNS forwarder (`wgd: dns`): chrooted, unprivileged, alone with the
 * one parser of untrusted DNS in wgd.  The parent binds its UDP and TCP
 * sockets on a private port and redirects the tunnel addresses' port 53
 * there; it sends which sources are tunnel clients and which resolvers
 * the host uses.  Each query from a tunnel client goes, with an id of
 * our own, to the host's resolvers one after the other until one
 * answers (over TCP for a TCP query), and the answer goes back with the
 * client's id once it is checked against the question.
 *
 * Bounded: UDP_INFLIGHT queries in flight, each on its own connected
 * socket (a random port the kernel picks, answers only from the
 * resolver asked); TCP_CLIENTS connections, one query at a time each.
 * One client gets at most UDP_PER_CLIENT and TCP_PER_CLIENT of them,
 * so a guest cannot starve the others.  Past a bound, the newest query
 * is dropped or that client's oldest connection closed: the client
 * retries, memory stays flat.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>

#include <sodium.h>

#include "childlog.h"
#include "dns.h"
#include "dns_msg.h"
#include "imsgev.h"
#include "log.h"
#include "resolvconf.h"
#include "sandbox.h"
#include "wgd.h"

#define UDP_INFLIGHT		256
#define UDP_PER_CLIENT		32
#define TCP_CLIENTS		32
#define TCP_PER_CLIENT		4
#define LISTEN_MAX		4	/* UDP and TCP, IPv4 and IPv6 */
#define TRY_SECONDS		2	/* per resolver asked */
#define TRIES			3
#define BAD_ANSWERS_MAX		8	/* then the resolver is given up */
#define TCP_IDLE_SECONDS	10
#define UDP_BURST		64	/* queries read per wake-up */
#define DNS_SERVFAIL		2

struct udp_query {
	int			 used;
	int			 fd;		/* to the resolver, or -1 */
	int			 armed;		/* ev is set for fd */
	struct event		 ev;
	int			 lfd;		/* the socket it came to */
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	struct sockaddr_storage	 to;		/* where it came: the reply's */
	uint16_t		 client_id;
	struct dns_question	 q;		/* q.id: ours */
	uint8_t			*msg;
	size_t			 len;
	unsigned int		 first;		/* the resolver asked first */
	unsigned int		 tries;
	unsigned int		 bad;
	struct timeval		 deadline;	/* of this try */
};

struct tcp_client {
	TAILQ_ENTRY(tcp_client)	 entry;
	struct sockaddr_storage	 from;
	struct bufferevent	*bev;		/* the client */
	struct bufferevent	*up;		/* the resolver, while asked */
	int			 eof;		/* the client sent all */
	uint16_t		 client_id;
	struct dns_question	 q;
	uint8_t			*msg;		/* with its length prefix */
	size_t			 len;
	unsigned int		 first;
	unsigned int		 tries;
};
TAILQ_HEAD(tcp_clients, tcp_client);

struct listener {
	int			 fd;
	int			 tcp;
	int			 af;
	struct event		 ev;
};

static struct {
	struct event_base	*base;
	struct imsgev		 parent;
	struct listener		 listeners[LISTEN_MAX];
	size_t			 nlisteners;
	struct wgd_prefix	*clients;	/* the tunnel subnets */
	size_t			 nclients;
	struct wgd_prefix	 servers[RESOLV_MAX];
	size_t			 nservers;
	unsigned int		 next_server;	/* the last one that answered */
	struct udp_query	 udp[UDP_INFLIGHT];
	struct tcp_clients	 tcp;
	size_t			 ntcp;
	uint8_t			 buf[DNS_MSG_MAX + 1];
} dns;

static void	udp_try(struct udp_query *);
static void	tcp_try(struct tcp_client *);

/* Whether a source is a tunnel client: only they are answered. */
static int
client_allowed(const struct sockaddr *sa)
{
	struct wgd_prefix	 a;
	size_t			 i;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		a.af = AF_INET;
		a.plen = 32;
		a.addr.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a.af = AF_INET6;
		a.plen = 128;
		a.addr.v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else
		return 0;
	for (i = 0; i < dns.nclients; i++)
		if (addr_contains(&dns.clients[i], &a))
			return 1;
	return 0;
}

/*
 * The resolver for a query's nth try: from the one that answered
 * last, in turn.  first is taken once per query, so that the answers
 * of other queries meanwhile do not make it ask one resolver twice.
 */
static socklen_t
server_addr(unsigned int first, unsigned int try, struct sockaddr_storage *ss)
{
	const struct wgd_prefix	*p;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (dns.nservers == 0)
		return 0;
	p = &dns.servers[(first + try) % dns.nservers];
	memset(ss, 0, sizeof(*ss));
	if (p->af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		sin->sin_addr = p->addr.v4;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(53);
	sin6->sin6_addr = p->addr.v6;
	return sizeof(*sin6);
}

static void
server_answered(unsigned int first, unsigned int try)
{
	if (dns.nservers > 0)
		dns.next_server = (first + try) % dns.nservers;
}

/*
 * SERVFAIL for a query no resolver answered: the client stops waiting.
 * Its header and question, with the flags of an answer.
 */
static size_t
servfail(uint8_t *out, uint16_t id, const struct dns_question *q)
{
	memset(out, 0, DNS_HDR_LEN);
	dns_set_id(out, id);
	out[2] = 0x81;				/* QR, RD */
	out[3] = 0x80 | DNS_SERVFAIL;		/* RA */
	out[5] = 1;
	memcpy(out + DNS_HDR_LEN, q->q, q->len);
	return DNS_HDR_LEN + q->len;
}

/* The one place ids are made: unpredictable, as a resolver's must be. */
static uint16_t
new_id(void)
{
	return (uint16_t)randombytes_random();
}

/* UDP */

/* Forgets the resolver asked last: its socket and its event. */
static void
udp_unask(struct udp_query *u)
{
	if (u->armed)
		event_del(&u->ev);
	u->armed = 0;
	if (u->fd != -1)
		close(u->fd);
	u->fd = -1;
}

static void
udp_free(struct udp_query *u)
{
	udp_unask(u);
	free(u->msg);
	u->msg = NULL;
	u->used = 0;
}

/* Sends to the client from the address its query came to. */
static void
udp_reply(struct udp_query *u, const uint8_t *msg, size_t len)
{
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	}			 cm;
	struct cmsghdr		*c;
	struct in_pktinfo	 pi4;
	struct in6_pktinfo	 pi6;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	mh.msg_name = &u->from;
	mh.msg_namelen = u->fromlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	c = &cm.hdr;
	if (u->to.ss_family == AF_INET) {
		memset(&pi4, 0, sizeof(pi4));
		pi4.ipi_spec_dst = ((struct sockaddr_in *)&u->to)->sin_addr;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi4));
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi4));
		memcpy(CMSG_DATA(c), &pi4, sizeof(pi4));
	} else if (u->to.ss_family == AF_INET6) {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = ((struct sockaddr_in6 *)&u->to)->sin6_addr;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi6));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	} else
		mh.msg_control = NULL;
	if (sendmsg(u->lfd, &mh, 0) == -1)
		log_debug("dns: reply: %s", strerror(errno));
}

static void
udp_give_up(struct udp_query *u)
{
	size_t	 len;

	len = servfail(dns.buf, u->client_id, &u->q);
	udp_reply(u, dns.buf, len);
	udp_free(u);
}

/* Waits on for the answer, until the try's deadline. */
static void
udp_wait(struct udp_query *u)
{
	struct timeval	 now, left;

	evutil_gettimeofday(&now, NULL);
	if (!timercmp(&now, &u->deadline, <)) {
		u->tries++;
		udp_try(u);
		return;
	}
	timersub(&u->deadline, &now, &left);
	event_add(&u->ev, &left);
}

static void
udp_answer(int fd, short event, void *arg)
{
	struct udp_query	*u = arg;
	ssize_t			 n;

	if (event & EV_TIMEOUT) {
		u->tries++;
		udp_try(u);
		return;
	}
	if ((n = recv(fd, dns.buf, sizeof(dns.buf), 0)) == -1) {
		if (errno == EAGAIN || errno == EINTR) {
			udp_wait(u);
			return;
		}
		/* ECONNREFUSED: nothing listens there; ask the next one. */
		u->tries++;
		udp_try(u);
		return;
	}
	if (dns_answer_check(dns.buf, n, &u->q) == -1) {
		if (++u->bad >= BAD_ANSWERS_MAX) {
			u->tries++;
			udp_try(u);
		} else
			udp_wait(u);
		return;
	}
	server_answered(u->first, u->tries);
	/* Truncated or not, as it is: a UDP client then asks over TCP. */
	dns_set_id(dns.buf, u->client_id);
	udp_reply(u, dns.buf, n);
	udp_free(u);
}

/* Asks the resolver of this try, or gives up after the last. */
static void
udp_try(struct udp_query *u)
{
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { TRY_SECONDS, 0 };
	socklen_t		 sslen;

	for (; u->tries < TRIES && u->tries < dns.nservers * 2; u->tries++) {
		udp_unask(u);
		if ((sslen = server_addr(u->first, u->tries, &ss)) == 0)
			break;
		u->bad = 0;
		if ((u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			log_warn("dns: socket");
			break;
		}
		if (connect(u->fd, (struct sockaddr *)&ss, sslen) == -1 ||
		    send(u->fd, u->msg, u->len, 0) == -1) {
			log_debug("dns: resolver %u: %s", u->tries,
			    strerror(errno));
			continue;
		}
		event_set(&u->ev, u->fd, EV_READ, udp_answer, u);
		event_add(&u->ev, &tv);
		u->armed = 1;
		evutil_gettimeofday(&u->deadline, NULL);
		u->deadline.tv_sec += TRY_SECONDS;
		return;
	}
	udp_give_up(u);
}

/* A free slot for a query of from, unless it has its share in flight. */
static struct udp_query *
udp_slot(const struct sockaddr_storage *from)
{
	struct udp_query	*free_slot = NULL;
	size_t			 i, mine = 0;

	for (i = 0; i < UDP_INFLIGHT; i++) {
		if (!dns.udp[i].used) {
			if (free_slot == NULL)
				free_slot = &dns.udp[i];
		} else if (addr_same_host(
		    (const struct sockaddr *)&dns.udp[i].from,
		    (const struct sockaddr *)from) && ++mine >= UDP_PER_CLIENT)
			return NULL;
	}
	return free_slot;
}

/* The local address a datagram came to, from its IP_PKTINFO. */
static void
local_addr(struct msghdr *mh, struct sockaddr_storage *to)
{
	struct cmsghdr		*c;
	struct in_pktinfo	 pi4;
	struct in6_pktinfo	 pi6;

	memset(to, 0, sizeof(*to));
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi4))) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			to->ss_family = AF_INET;
			((struct sockaddr_in *)to)->sin_addr = pi4.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			to->ss_family = AF_INET6;
			((struct sockaddr_in6 *)to)->sin6_addr = pi6.ipi6_addr;
		}
	}
}

static void
udp_query(int fd, short event, void *arg)
{
	struct udp_query	*u;
	struct dns_question	 q;
	struct sockaddr_storage	 from;
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 cm;
	ssize_t			 n;
	int			 i;

	(void)event;
	(void)arg;
	for (i = 0; i < UDP_BURST; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = dns.buf;
		iov.iov_len = sizeof(dns.buf);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		if ((n = recvmsg(fd, &mh, 0)) == -1)
			return;
		if (!client_allowed((struct sockaddr *)&from))
			continue;
		if (dns_query_check(dns.buf, n, &q) == -1) {
			log_debug("dns: a malformed query dropped");
			continue;
		}
		if ((u = udp_slot(&from)) == NULL) {
			log_debug("dns: too many queries in flight: one "
			    "dropped");
			continue;
		}
		if ((u->msg = malloc(n)) == NULL) {
			log_warn("dns");
			continue;
		}
		memcpy(u->msg, dns.buf, n);
		u->len = n;
		u->lfd = fd;
		u->from = from;
		u->fromlen = mh.msg_namelen;
		local_addr(&mh, &u->to);
		u->client_id = q.id;
		u->q = q;
		u->q.id = new_id();
		dns_set_id(u->msg, u->q.id);
		u->first = dns.next_server;
		u->tries = 0;
		u->used = 1;
		udp_try(u);
	}
}

/* TCP */

static void
tcp_up_free(struct tcp_client *t)
{
	if (t->up != NULL)
		bufferevent_free(t->up);
	t->up = NULL;
	free(t->msg);
	t->msg = NULL;
}

static void
tcp_close(struct tcp_client *t)
{
	tcp_up_free(t);
	bufferevent_free(t->bev);
	TAILQ_REMOVE(&dns.tcp, t, entry);
	dns.ntcp--;
	free(t);
}

/* An answer, or SERVFAIL, to the client; then its next query. */
static void
tcp_send(struct tcp_client *t, uint8_t *msg, size_t len)
{
	uint8_t	 pre[2] = { len >> 8, len & 0xff };

	dns_set_id(msg, t->client_id);
	tcp_up_free(t);
	if (bufferevent_write(t->bev, pre, 2) == -1 ||
	    bufferevent_write(t->bev, msg, len) == -1) {
		tcp_close(t);
		return;
	}
	/* Sent all it will (a half close): closed once this is out. */
	if (t->eof)
		return;
	bufferevent_enable(t->bev, EV_READ);
	/* A query that came meanwhile is read from the loop, not here. */
	if (evbuffer_get_length(bufferevent_get_input(t->bev)) > 0)
		bufferevent_trigger(t->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

/* The answer to a client that half closed is out: now close. */
static void
tcp_written(struct bufferevent *bev, void *arg)
{
	struct tcp_client	*t = arg;

	(void)bev;
	if (t->eof && t->up == NULL)
		tcp_close(t);
}

static void
tcp_up_read(struct bufferevent *bev, void *arg)
{
	struct tcp_client	*t = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	uint8_t			 pre[2];
	size_t			 len;

	if (evbuffer_copyout(in, pre, 2) != 2)
		return;
	len = (size_t)pre[0] << 8 | pre[1];
	if (evbuffer_get_length(in) < 2 + len)
		return;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, dns.buf, len);
	if (dns_answer_check(dns.buf, len, &t->q) == -1) {
		t->tries++;
		tcp_try(t);
		return;
	}
	server_answered(t->first, t->tries);
	tcp_send(t, dns.buf, len);
}

static void
tcp_up_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_client	*t = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	t->tries++;
	tcp_try(t);
}

static void
tcp_try(struct tcp_client *t)
{
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { TRY_SECONDS, 0 };
	socklen_t		 sslen;
	size_t			 len;

	if (t->up != NULL) {
		bufferevent_free(t->up);
		t->up = NULL;
	}
	for (; t->tries < TRIES && t->tries < dns.nservers * 2; t->tries++) {
		if ((sslen = server_addr(t->first, t->tries, &ss)) == 0)
			break;
		if ((t->up = bufferevent_socket_new(dns.base, -1,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			break;
		bufferevent_setcb(t->up, tcp_up_read, NULL, tcp_up_event, t);
		bufferevent_setwatermark(t->up, EV_READ, 0, 2 + DNS_MSG_MAX);
		bufferevent_set_timeouts(t->up, &tv, &tv);
		if (bufferevent_socket_connect(t->up, (struct sockaddr *)&ss,
		    sslen) == 0 &&
		    bufferevent_write(t->up, t->msg, t->len) == 0 &&
		    bufferevent_enable(t->up, EV_READ | EV_WRITE) == 0)
			return;
		bufferevent_free(t->up);
		t->up = NULL;
	}
	len = servfail(dns.buf, t->client_id, &t->q);
	tcp_send(t, dns.buf, len);
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_client	*t = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct dns_question	 q;
	uint8_t			 pre[2];
	size_t			 len;

	if (t->up != NULL || t->msg != NULL)
		return;
	if (evbuffer_copyout(in, pre, 2) != 2)
		return;
	len = (size_t)pre[0] << 8 | pre[1];
	if (len > DNS_QUERY_MAX) {
		log_debug("dns: a query of %zu bytes over TCP: closing", len);
		tcp_close(t);
		return;
	}
	if (evbuffer_get_length(in) < 2 + len)
		return;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, dns.buf, len);
	if (dns_query_check(dns.buf, len, &q) == -1) {
		log_debug("dns: a malformed query over TCP: closing");
		tcp_close(t);
		return;
	}
	if ((t->msg = malloc(2 + len)) == NULL) {
		log_warn("dns");
		tcp_close(t);
		return;
	}
	/* One query at a time: the next is read after this answer. */
	bufferevent_disable(bev, EV_READ);
	t->client_id = q.id;
	t->q = q;
	t->q.id = new_id();
	dns_set_id(dns.buf, t->q.id);
	memcpy(t->msg, pre, 2);
	memcpy(t->msg + 2, dns.buf, len);
	t->len = 2 + len;
	t->first = dns.next_server;
	t->tries = 0;
	/* TCP for a TCP query: the answer may not fit a datagram. */
	tcp_try(t);
}

/*
 * An error, a timeout, or the end of what the client sends: a client
 * may half close after its query (RFC 7766), so its answer still goes.
 */
static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_client	*t = arg;

	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    (t->up != NULL ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		t->eof = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	tcp_close(t);
}

static void
tcp_accept(int fd, short event, void *arg)
{
	struct sockaddr_storage	 from;
	struct tcp_client	*t, *oldest;
	struct timeval		 idle = { TCP_IDLE_SECONDS, 0 };
	socklen_t		 len = sizeof(from);
	size_t			 mine;
	int			 s;

	(void)event;
	(void)arg;
	if ((s = accept4(fd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return;
	if (!client_allowed((struct sockaddr *)&from)) {
		close(s);
		return;
	}
	/* Room from the client's own oldest, or else anyone's oldest. */
	mine = 0;
	oldest = NULL;
	TAILQ_FOREACH(t, &dns.tcp, entry)
		if (addr_same_host((const struct sockaddr *)&t->from,
		    (const struct sockaddr *)&from) && mine++ == 0)
			oldest = t;
	if (mine >= TCP_PER_CLIENT)
		tcp_close(oldest);
	else if (dns.ntcp >= TCP_CLIENTS)
		tcp_close(TAILQ_FIRST(&dns.tcp));
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->bev = bufferevent_socket_new(dns.base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warn("dns");
		free(t);
		close(s);
		return;
	}
	TAILQ_INSERT_TAIL(&dns.tcp, t, entry);
	dns.ntcp++;
	t->from = from;
	bufferevent_setcb(t->bev, tcp_read, tcp_written, tcp_event, t);
	bufferevent_setwatermark(t->bev, EV_READ, 0, 2 + DNS_QUERY_MAX);
	bufferevent_set_timeouts(t->bev, &idle, &idle);
	bufferevent_enable(t->bev, EV_READ);
}

/* From the parent */

static void
dns_listen(struct imsg *imsg)
{
	struct msg_dns_fd	 m;
	struct listener		*l;
	int			 fd, on = 1;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    (m.af != AF_INET && m.af != AF_INET6) ||
	    (fd = imsg_get_fd(imsg)) == -1 || dns.nlisteners == LISTEN_MAX)
		fatalx("bad IMSG_DNS_FD");
	l = &dns.listeners[dns.nlisteners++];
	l->fd = fd;
	l->tcp = m.tcp;
	l->af = m.af;
	if (!m.tcp && setsockopt(fd, m.af == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6, m.af == AF_INET ? IP_PKTINFO : IPV6_RECVPKTINFO,
	    &on, sizeof(on)) == -1)
		fatal("dns: pktinfo");
	event_set(&l->ev, fd, EV_READ | EV_PERSIST,
	    m.tcp ? tcp_accept : udp_query, l);
	event_add(&l->ev, NULL);
}

static size_t
get_prefixes(struct imsg *imsg, struct wgd_prefix **v, size_t max,
    const char *what)
{
	size_t	 len = imsg_get_len(imsg), n, i;

	n = len / sizeof(**v);
	if (len % sizeof(**v) != 0 || n > max)
		fatalx("bad %s", what);
	if ((*v = calloc(n > 0 ? n : 1, sizeof(**v))) == NULL)
		fatal("%s", __func__);
	if (n > 0 && imsg_get_data(imsg, *v, n * sizeof(**v)) == -1)
		fatalx("bad %s", what);
	for (i = 0; i < n; i++)
		if (((*v)[i].af != AF_INET && (*v)[i].af != AF_INET6) ||
		    (*v)[i].plen > addr_maxlen((*v)[i].af))
			fatalx("bad %s", what);
	return n;
}

static void
dns_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev		*iev = arg;
	struct imsg		 imsg;
	struct wgd_prefix	*v;
	ssize_t			 n;
	size_t			 k;
	int			 verbose;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		log_debug("parent closed the connection");
		exit(0);
	}
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("imsg_get");
		if (n == 0)
			break;
		switch (imsg.hdr.type) {
		case IMSG_DNS_FD:
			dns_listen(&imsg);
			break;
		case IMSG_DNS_CLIENTS:
			k = get_prefixes(&imsg, &v, MSG_PREFIXES_MAX,
			    "IMSG_DNS_CLIENTS");
			free(dns.clients);
			dns.clients = v;
			dns.nclients = k;
			break;
		case IMSG_DNS_SERVERS:
			k = get_prefixes(&imsg, &v, RESOLV_MAX,
			    "IMSG_DNS_SERVERS");
			memcpy(dns.servers, v, k * sizeof(*v));
			dns.nservers = k;
			dns.next_server = 0;
			free(v);
			break;
		case IMSG_LOG_VERBOSE:
			if (imsg_get_data(&imsg, &verbose, sizeof(verbose)) ==
			    -1)
				fatalx("bad IMSG_LOG_VERBOSE");
			log_setverbose(verbose);
			break;
		default:
			fatalx("unexpected imsg %u from the parent",
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/*
 * What the dns process calls beyond every child's (sandbox.c): its own
 * socket to a resolver for each query (IPv4 or IPv6, UDP or TCP), and
 * the TCP clients of the sockets the parent bound.
 */
/* A socket's type, without SOCK_NONBLOCK and SOCK_CLOEXEC. */
#define SOCK_TYPE_BITS	0xf

const struct sandbox_rule dns_syscalls[] = {
	SB_MASKED_ARGS(socket, 1, SOCK_TYPE_BITS, SOCK_DGRAM, 0, AF_INET),
	SB_MASKED_ARGS(socket, 1, SOCK_TYPE_BITS, SOCK_DGRAM, 0, AF_INET6),
	SB_MASKED_ARGS(socket, 1, SOCK_TYPE_BITS, SOCK_STREAM, 0, AF_INET),
	SB_MASKED_ARGS(socket, 1, SOCK_TYPE_BITS, SOCK_STREAM, 0, AF_INET6),
	SB(connect), SB(sendto), SB(recvfrom), SB(accept4),
	SB(send), SB(recv),		/* what send(2) and recv(2) are on armhf */
	/*
	 * How libevent learns that a TCP connect finished, and how much
	 * a TCP connection has to read.
	 */
	SB_ARGS(getsockopt, 1, SOL_SOCKET, 2, SO_ERROR),
	SB_ARG(ioctl, 1, FIONREAD),
	/* Each datagram's local address, on the listeners it is given. */
	SB_ARGS(setsockopt, 1, IPPROTO_IP, 2, IP_PKTINFO),
	SB_ARGS(setsockopt, 1, IPPROTO_IPV6, 2, IPV6_RECVPKTINFO),
	SB_END
};

void
dns_main(int fd, int verbose)
{
	size_t	 i;

	log_setverbose(verbose);
	for (i = 0; i < UDP_INFLIGHT; i++)
		dns.udp[i].fd = -1;
	TAILQ_INIT(&dns.tcp);
	dns.base = event_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	imsgev_init(&dns.parent, fd, dns_dispatch_parent, NULL);
	childlog_init(&dns.parent);
	sandbox_enter("dns", dns_syscalls);
	event_dispatch();
	fatalx("event loop ended");
}
