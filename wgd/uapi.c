/*
 * The control process's half of the userspace API: one listening
 * socket per interface (made by the parent), the text protocol's
 * framing, and each request routed to the engine as imsgs.
 *
 * A connection reads one request at a time: "get=1" and a blank line,
 * or "set=1", key=value lines and a blank line; anything else as the
 * first line closes it without a word, as wireguard-go does.  A set is
 * parsed whole before the engine sees any of it, so one with a bad line
 * reaches the engine not at all; the error is answered at once and the
 * rest of the request read and dropped.  The sets being read share a
 * budget of operations, which bounds their memory; a reply must be read
 * before the next request is, which bounds what a client that never
 * reads can make us hold.  The engine takes one set at a time (it may
 * wait for the parent to bind a port): complete sets queue for it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event.h>
#include <sodium.h>

#include "imsgev.h"
#include "log.h"
#include "uapi.h"
#include "wgd.h"

#define UAPI_MAX_CLIENTS	32	/* per interface */
#define UAPI_IDLE		10	/* seconds without a byte either way */

enum conn_state {
	CONN_IDLE,		/* waiting for "get=1" or "set=1" */
	CONN_GET,		/* the blank line after get=1 */
	CONN_SET,		/* reading a set's lines */
	CONN_DISCARD,		/* a bad set: up to its blank line */
	CONN_WAIT,		/* the engine has the request */
	CONN_QUEUED		/* a whole set, for the engine after others */
};

struct uapi_listener {
	TAILQ_ENTRY(uapi_listener) entry;
	char			 name[IFNAMSIZ];
	int			 fd;
	struct event		 ev;
	int			 nconns;
};

struct uapi_conn {
	TAILQ_ENTRY(uapi_conn)	 entry;
	TAILQ_ENTRY(uapi_conn)	 queue;		/* CONN_QUEUED */
	struct uapi_listener	*l;
	struct bufferevent	*bev;
	uint32_t		 id;
	enum conn_state		 state;
	struct uapi_parser	 parser;
	struct uapi_op		*ops;
	size_t			 nops;
	size_t			 cap;
	int			 closing;	/* once the reply is out */
};

static struct {
	struct event_base	*base;
	struct imsgev		*engine;
	TAILQ_HEAD(, uapi_listener) listeners;
	TAILQ_HEAD(, uapi_conn)	 conns;
	size_t			 ops_total;	/* of every set being read */
	TAILQ_HEAD(, uapi_conn)	 set_queue;
	uint32_t		 set_inflight;	/* client id; 0: none */
	uint32_t		 next_id;
} u;

static void	conn_read(struct bufferevent *, void *);

static void
ops_free(struct uapi_conn *c)
{
	if (c->ops != NULL) {
		sodium_memzero(c->ops, c->cap * sizeof(*c->ops));
		free(c->ops);
	}
	u.ops_total -= c->nops;
	c->ops = NULL;
	c->nops = c->cap = 0;
}

/* A request cut short applies nothing: its operations just go. */
static void
conn_close(struct uapi_conn *c)
{
	if (c->state == CONN_QUEUED)
		TAILQ_REMOVE(&u.set_queue, c, queue);
	TAILQ_REMOVE(&u.conns, c, entry);
	c->l->nconns--;
	bufferevent_free(c->bev);
	ops_free(c);
	free(c);
}

static void
conn_errno(struct uapi_conn *c, int error)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev), "errno=%d\n\n",
	    -error);
}

static int
ops_add(struct uapi_conn *c, const struct uapi_op *op)
{
	struct uapi_op	*v;
	size_t		 cap, n;

	if (u.ops_total >= UAPI_OPS_MAX)
		return -1;
	if (c->nops == c->cap) {
		cap = c->cap == 0 ? 64 : c->cap * 2;
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return -1;
		n = c->nops;
		if (c->ops != NULL)
			memcpy(v, c->ops, n * sizeof(*v));
		ops_free(c);
		c->ops = v;
		c->nops = n;
		c->cap = cap;
		u.ops_total += n;
	}
	c->ops[c->nops++] = *op;
	u.ops_total++;
	return 0;
}

static void
engine_send(uint32_t id, int type, const void *data, size_t len)
{
	if (imsgev_compose(u.engine, type, id, 0, -1, data, len) == -1)
		fatal("%s", __func__);
}

/* The whole set, valid: to the engine, which answers with DONE. */
static void
set_send(struct uapi_conn *c)
{
	struct msg_uapi	 m;
	size_t		 off, n, max = IMSG_MAXDATA / sizeof(struct uapi_op);

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, c->l->name, sizeof(m.name));
	engine_send(c->id, IMSG_UAPI_SET_BEGIN, &m, sizeof(m));
	for (off = 0; off < c->nops; off += n) {
		n = c->nops - off < max ? c->nops - off : max;
		engine_send(c->id, IMSG_UAPI_SET_OPS, c->ops + off,
		    n * sizeof(struct uapi_op));
	}
	engine_send(c->id, IMSG_UAPI_SET_END, NULL, 0);
	ops_free(c);
	u.set_inflight = c->id;
	c->state = CONN_WAIT;
}

/* A whole set: to the engine now, or after the one it has. */
static void
set_ready(struct uapi_conn *c)
{
	if (u.set_inflight == 0) {
		set_send(c);
		return;
	}
	c->state = CONN_QUEUED;
	TAILQ_INSERT_TAIL(&u.set_queue, c, queue);
}

/* The engine answered a set: the next may go. */
static void
set_next(void)
{
	struct uapi_conn	*c;

	u.set_inflight = 0;
	if ((c = TAILQ_FIRST(&u.set_queue)) == NULL)
		return;
	TAILQ_REMOVE(&u.set_queue, c, queue);
	set_send(c);
}

static void
set_fail(struct uapi_conn *c, int error)
{
	conn_errno(c, error);
	ops_free(c);
	c->state = CONN_DISCARD;
}

/* One line of a request, its newline gone.  -1: close the connection. */
static int
conn_line(struct uapi_conn *c, char *line)
{
	struct msg_uapi	 m;
	struct uapi_op	 op;
	size_t		 len = strlen(line);
	int		 r;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	switch (c->state) {
	case CONN_IDLE:
		if (strcmp(line, "get=1") == 0) {
			c->state = CONN_GET;
			return 0;
		}
		if (strcmp(line, "set=1") != 0)
			return -1;
		c->state = CONN_SET;
		uapi_parser_init(&c->parser);
		return 0;
	case CONN_GET:
		if (len != 0) {
			conn_errno(c, UAPI_EINVAL);
			c->state = CONN_IDLE;
			return 0;
		}
		memset(&m, 0, sizeof(m));
		strlcpy(m.name, c->l->name, sizeof(m.name));
		engine_send(c->id, IMSG_UAPI_GET, &m, sizeof(m));
		c->state = CONN_WAIT;
		return 0;
	case CONN_SET:
		if (len == 0) {
			set_ready(c);
			return 0;
		}
		if ((r = uapi_parse_line(&c->parser, line, &op)) < 0) {
			log_debug("uapi %s: client %u: bad line (errno %d)",
			    c->l->name, c->id, r);
			set_fail(c, -r);
		} else if (r == 1 && ops_add(c, &op) == -1) {
			log_warnx("uapi %s: client %u: the sets being read "
			    "hold %d lines: refused", c->l->name, c->id,
			    UAPI_OPS_MAX);
			set_fail(c, UAPI_ENOMEM);
		}
		sodium_memzero(&op, sizeof(op));
		return 0;
	case CONN_DISCARD:
		if (len == 0)
			c->state = CONN_IDLE;
		return 0;
	default:
		fatalx("%s: a line in state %d", __func__, c->state);
	}
}

/*
 * The next line of in, its newline gone, in memory of our own, the
 * bytes it had in libevent's buffer wiped first: a set carries keys.
 * NULL when no whole line is there.
 */
static char *
line_take(struct evbuffer *in, size_t *lenp)
{
	struct evbuffer_ptr	 eol;
	struct evbuffer_iovec	*v;
	size_t			 len, eol_len, left, n;
	char			*line;
	int			 nv, i;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1)
		return NULL;
	len = (size_t)eol.pos;
	if ((line = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	if (evbuffer_copyout(in, line, len) != (ev_ssize_t)len)
		fatalx("%s: evbuffer_copyout", __func__);
	line[len] = '\0';
	if ((nv = evbuffer_peek(in, (ev_ssize_t)len + 1, NULL, NULL, 0)) <= 0 ||
	    (v = calloc((size_t)nv, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	nv = evbuffer_peek(in, (ev_ssize_t)len + 1, NULL, v, nv);
	for (i = 0, left = len + 1; i < nv && left > 0; i++) {
		n = v[i].iov_len < left ? v[i].iov_len : left;
		sodium_memzero(v[i].iov_base, n);
		left -= n;
	}
	free(v);
	evbuffer_drain(in, len + 1);
	*lenp = len;
	return line;
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct uapi_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer		*out = bufferevent_get_output(bev);
	char			*line;
	size_t			 len;
	int			 r;

	while (c->state != CONN_WAIT && c->state != CONN_QUEUED) {
		/* An answer of ours waits to be read: so does the rest. */
		if ((c->state == CONN_IDLE || c->state == CONN_DISCARD) &&
		    evbuffer_get_length(out) > 0)
			break;
		if ((line = line_take(in, &len)) == NULL) {
			if (evbuffer_get_length(in) > UAPI_LINE_MAX) {
				log_debug("uapi %s: client %u: a line longer "
				    "than %d bytes", c->l->name, c->id,
				    UAPI_LINE_MAX);
				if (c->state == CONN_SET)
					set_fail(c, UAPI_EIO);
				else
					conn_errno(c, UAPI_EIO);
				/* Say why, then go. */
				c->closing = 1;
				evbuffer_drain(in, evbuffer_get_length(in));
				bufferevent_disable(bev, EV_READ);
			}
			return;
		}
		/* A NUL inside a line: nothing a client means. */
		r = memchr(line, '\0', len) != NULL ? -1 : conn_line(c, line);
		sodium_memzero(line, len);
		free(line);
		if (r == -1) {
			conn_close(c);
			return;
		}
	}
	bufferevent_disable(bev, EV_READ);
}

/*
 * The output is written out: close if that was the last word, or read
 * the next request once the reply to the last one is gone.
 */
static void
conn_written(struct bufferevent *bev, void *arg)
{
	struct uapi_conn	*c = arg;

	if (c->closing) {
		conn_close(c);
		return;
	}
	if (c->state == CONN_IDLE || c->state == CONN_DISCARD) {
		bufferevent_enable(bev, EV_READ);
		conn_read(bev, c);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct uapi_conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("uapi %s: client %u: idle, closing", c->l->name,
		    c->id);
	conn_close(c);
}

/* A connection that has no request under way, the oldest first. */
static struct uapi_conn *
conn_idle_oldest(struct uapi_listener *l)
{
	struct uapi_conn	*c;

	TAILQ_FOREACH(c, &u.conns, entry)
		if (c->l == l && c->state == CONN_IDLE &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			return c;
	return NULL;
}

static void
uapi_accept(int lfd, short event, void *arg)
{
	struct uapi_listener	*l = arg;
	struct uapi_conn	*c, *old;
	struct timeval		 idle = { UAPI_IDLE, 0 };
	int			 fd;

	(void)event;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("uapi %s: accept", l->name);
		return;
	}
	/* Full: an idle connection makes room, so wg always gets in. */
	if (l->nconns >= UAPI_MAX_CLIENTS) {
		if ((old = conn_idle_oldest(l)) == NULL) {
			log_debug("uapi %s: %d busy clients, refusing one",
			    l->name, UAPI_MAX_CLIENTS);
			close(fd);
			return;
		}
		conn_close(old);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(u.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warn("uapi %s: accept", l->name);
		free(c);
		close(fd);
		return;
	}
	/* 0 means no set at the engine: never an id. */
	if ((c->id = ++u.next_id) == 0)
		c->id = ++u.next_id;
	c->l = l;
	c->state = CONN_IDLE;
	l->nconns++;
	TAILQ_INSERT_TAIL(&u.conns, c, entry);
	bufferevent_setcb(c->bev, conn_read, conn_written, conn_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ);
}

/* The parent made an interface's socket: listen on it. */
void
uapi_listen(struct imsg *imsg)
{
	struct msg_uapi		 m;
	struct uapi_listener	*l;
	int			 fd;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.name) || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("bad IMSG_UAPI_FD");
	TAILQ_FOREACH(l, &u.listeners, entry)
		if (strcmp(l->name, m.name) == 0)
			fatalx("IMSG_UAPI_FD: %s twice", m.name);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	strlcpy(l->name, m.name, sizeof(l->name));
	l->fd = fd;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, uapi_accept, l);
	event_add(&l->ev, NULL);
	TAILQ_INSERT_TAIL(&u.listeners, l, entry);
}

/* The interface is gone: its socket and connections go. */
void
uapi_unlisten(struct imsg *imsg)
{
	struct msg_uapi		 m;
	struct uapi_listener	*l;
	struct uapi_conn	*c, *next;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.name))
		fatalx("bad IMSG_UAPI_CLOSE");
	TAILQ_FOREACH(l, &u.listeners, entry)
		if (strcmp(l->name, m.name) == 0)
			break;
	if (l == NULL)
		return;
	for (c = TAILQ_FIRST(&u.conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->l == l)
			conn_close(c);
	}
	event_del(&l->ev);
	close(l->fd);
	TAILQ_REMOVE(&u.listeners, l, entry);
	free(l);
}

static struct uapi_conn *
conn_find(uint32_t id)
{
	struct uapi_conn	*c;

	TAILQ_FOREACH(c, &u.conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static void
text_wipe(const void *data, size_t len, void *arg)
{
	(void)arg;
	sodium_memzero((void *)(uintptr_t)data, len);
	free((void *)(uintptr_t)data);
}

/* A get reply holds the private key: its memory is wiped when sent. */
static void
text_add(struct uapi_conn *c, const void *data, size_t len)
{
	void	*copy;

	if ((copy = malloc(len)) == NULL)
		fatal("%s", __func__);
	memcpy(copy, data, len);
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), copy, len,
	    text_wipe, NULL) == -1) {
		text_wipe(copy, len, NULL);
		c->closing = 1;
	}
}

/* The engine's answer: text of a get, then DONE with the errno. */
void
uapi_engine_reply(struct imsg *imsg)
{
	struct uapi_conn	*c;
	int32_t			 error;
	size_t			 len = imsg_get_len(imsg);

	if (imsg->hdr.type == IMSG_UAPI_DONE) {
		if (imsg_get_data(imsg, &error, sizeof(error)) == -1 ||
		    error < 0 || error > 255)
			fatalx("bad IMSG_UAPI_DONE");
	} else if (len == 0)
		fatalx("bad IMSG_UAPI_TEXT");
	/* Even for a client gone since, the engine is free again. */
	if (imsg->hdr.type == IMSG_UAPI_DONE &&
	    imsg->hdr.peerid == u.set_inflight)
		set_next();
	if ((c = conn_find(imsg->hdr.peerid)) == NULL)
		return;		/* gone before its answer */
	if (c->state != CONN_WAIT)
		fatalx("uapi: an answer for client %u, which asked nothing",
		    c->id);
	if (imsg->hdr.type == IMSG_UAPI_TEXT) {
		text_add(c, imsg->data, len);
		return;
	}
	conn_errno(c, error);
	c->state = CONN_IDLE;
}

void
uapi_init(struct event_base *base, struct imsgev *engine)
{
	memset(&u, 0, sizeof(u));
	u.base = base;
	u.engine = engine;
	TAILQ_INIT(&u.listeners);
	TAILQ_INIT(&u.conns);
	TAILQ_INIT(&u.set_queue);
}
