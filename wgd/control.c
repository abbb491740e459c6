/*
 * The control process: chrooted, unprivileged, holding no key.  It
 * accepts wgctl connections on the listening sockets the parent passes
 * it, checks each request, and routes it to the engine (show) or the
 * parent (reload, log level), tagged with the connection's id so the
 * replies find their client.  On the restricted socket only show works.
 *
 * A client that sends anything malformed is disconnected with a log
 * line; a malformed message from the engine or the parent is fatal.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "childlog.h"
#include "control.h"
#include "imsgev.h"
#include "log.h"
#include "sandbox.h"
#include "uapi.h"
#include "wgd.h"

/*
 * Each socket has its own share, so users of the 0666 restricted socket
 * cannot lock root out of the main one; a connection that asks nothing
 * for CONTROL_IDLE seconds is closed.
 */
#define CONTROL_MAX_CLIENTS	32	/* per socket */
#define CONTROL_MAX_QUEUED	4096	/* replies a slow client may owe */
#define CONTROL_IDLE		10
#define CONTROL_ACCEPT_PAUSE	1	/* out of descriptors: wait */

struct listener {
	struct event		 ev;
	int			 fd;
	int			 restricted;
	int			 nconns;
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgev		 iev;
	struct event		 idle_ev;
	struct listener		*listener;
	uint32_t		 id;
	int			 restricted;
	int			 busy;		/* a request is being answered */
};

struct control {
	struct imsgev		 parent;
	struct imsgev		 engine;
	int			 have_engine;
	struct listener		 listeners[2];
	struct event		 pause_ev;
	TAILQ_HEAD(, ctl_conn)	 conns;
	uint32_t		 next_id;
};

static struct control	*env;

static void	control_dispatch_client(int, short, void *);
static void	conn_idle_reset(struct ctl_conn *);
static void	control_dispatch_engine(int, short, void *);

static void
conn_close(struct ctl_conn *c)
{
	evtimer_del(&c->idle_ev);
	imsgev_del(&c->iev);
	imsg_clear(&c->iev.ibuf);
	close(c->iev.ibuf.fd);
	TAILQ_REMOVE(&env->conns, c, entry);
	c->listener->nconns--;
	free(c);
}

static void
conn_idle(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	(void)fd;
	(void)event;
	if (c->busy) {
		conn_idle_reset(c);
		return;
	}
	log_debug("control: client %u idle, closing", c->id);
	conn_close(c);
}

static void
conn_idle_reset(struct ctl_conn *c)
{
	struct timeval	 tv = { CONTROL_IDLE, 0 };

	evtimer_add(&c->idle_ev, &tv);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
accept_resume(int fd, short event, void *arg)
{
	int	 i;

	(void)fd;
	(void)event;
	(void)arg;
	for (i = 0; i < 2; i++)
		if (env->listeners[i].fd != -1)
			event_add(&env->listeners[i].ev, NULL);
}

static void
accept_pause(void)
{
	struct timeval	 tv = { CONTROL_ACCEPT_PAUSE, 0 };
	int		 i;

	for (i = 0; i < 2; i++)
		if (env->listeners[i].fd != -1)
			event_del(&env->listeners[i].ev);
	evtimer_add(&env->pause_ev, &tv);
}

static struct ctl_conn *
conn_find(uint32_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &env->conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

/* Refuses a request; -1 when even that fails and c must go. */
static int
reply_error(struct ctl_conn *c, const char *msg)
{
	struct ctl_end	 end;

	memset(&end, 0, sizeof(end));
	end.status = 1;
	if (imsgev_compose(&c->iev, IMSG_CTL_ERROR, 0, 0, -1, msg,
	    strlen(msg) + 1) == -1 ||
	    imsgev_compose(&c->iev, IMSG_CTL_END, 0, 0, -1, &end,
	    sizeof(end)) == -1)
		return -1;
	return 0;
}

static void
control_accept(int lfd, short event, void *arg)
{
	struct listener	*l = arg;
	struct ctl_conn	*c;
	int		 fd;

	(void)event;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("control: accept (pausing)");
			accept_pause();
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (l->nconns >= CONTROL_MAX_CLIENTS) {
		log_debug("control: more than %d clients on the %s socket, "
		    "refusing one", CONTROL_MAX_CLIENTS,
		    l->restricted ? "restricted" : "control");
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control: accept");
		close(fd);
		return;
	}
	c->id = ++env->next_id;
	if (c->id == 0)
		c->id = ++env->next_id;
	c->restricted = l->restricted;
	c->listener = l;
	TAILQ_INSERT_TAIL(&env->conns, c, entry);
	l->nconns++;
	imsgev_init(&c->iev, fd, control_dispatch_client, c);
	evtimer_set(&c->idle_ev, conn_idle, c);
	conn_idle_reset(c);
	log_debug("control: client %u connected%s", c->id,
	    c->restricted ? " (restricted)" : "");
}

/*
 * Checks one request and passes it on.  Returns -1 when the client must
 * be disconnected.
 */
static int
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	struct ctl_show		 req;
	struct ctl_peer_req	 preq;
	struct ctl_doctor	 dreq;
	int			 verbose;
	size_t			 len = imsg_get_len(imsg);

	if (c->busy) {
		log_warnx("control: client %u: a second request before the "
		    "first was answered", c->id);
		return -1;
	}
	if (imsg->hdr.flags & IMSGF_HASFD) {
		log_warnx("control: client %u: passed a descriptor", c->id);
		return -1;
	}
	switch (imsg->hdr.type) {
	case IMSG_CTL_SHOW:
		if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
		    !STR_TERMINATED(req.name) || req.what > SHOW_PEER) {
			log_warnx("control: client %u: malformed show "
			    "request", c->id);
			return -1;
		}
		if (!env->have_engine)
			return reply_error(c, "the engine is not running");
		c->busy = 1;
		if (imsgev_compose(&env->engine, IMSG_CTL_SHOW, c->id, 0, -1,
		    &req, sizeof(req)) == -1)
			fatal("%s", __func__);
		return 0;
	case IMSG_CTL_RELOAD:
		if (len != 0) {
			log_warnx("control: client %u: malformed reload "
			    "request", c->id);
			return -1;
		}
		if (c->restricted)
			return reply_error(c, "reload is not allowed on the "
			    "restricted socket");
		c->busy = 1;
		if (imsgev_compose(&env->parent, IMSG_CTL_RELOAD, c->id, 0, -1,
		    NULL, 0) == -1)
			fatal("%s", __func__);
		return 0;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &verbose, sizeof(verbose)) == -1 ||
		    verbose < 0 || verbose > 4) {
			log_warnx("control: client %u: malformed log "
			    "request", c->id);
			return -1;
		}
		if (c->restricted)
			return reply_error(c, "log is not allowed on the "
			    "restricted socket");
		c->busy = 1;
		if (imsgev_compose(&env->parent, IMSG_CTL_LOG_VERBOSE, c->id,
		    0, -1, &verbose, sizeof(verbose)) == -1)
			fatal("%s", __func__);
		return 0;
	case IMSG_CTL_PEER_CONF:
		if (imsg_get_data(imsg, &preq, sizeof(preq)) == -1 ||
		    !STR_TERMINATED(preq.name)) {
			log_warnx("control: client %u: malformed peer "
			    "request", c->id);
			return -1;
		}
		/* The reply carries a private key. */
		if (c->restricted)
			return reply_error(c, "peer configurations are not "
			    "given out on the restricted socket");
		c->busy = 1;
		if (imsgev_compose(&env->parent, IMSG_CTL_PEER_CONF, c->id, 0,
		    -1, &preq, sizeof(preq)) == -1)
			fatal("%s", __func__);
		explicit_bzero(&preq, sizeof(preq));
		return 0;
	case IMSG_CTL_DOCTOR:
		if (imsg_get_data(imsg, &dreq, sizeof(dreq)) == -1 ||
		    !STR_TERMINATED(dreq.name)) {
			log_warnx("control: client %u: malformed doctor "
			    "request", c->id);
			return -1;
		}
		if (c->restricted)
			return reply_error(c, "doctor is not allowed on the "
			    "restricted socket");
		c->busy = 1;
		if (imsgev_compose(&env->parent, IMSG_CTL_DOCTOR, c->id, 0,
		    -1, &dreq, sizeof(dreq)) == -1)
			fatal("%s", __func__);
		return 0;
	default:
		log_warnx("control: client %u: unknown request type %u",
		    c->id, imsg->hdr.type);
		return -1;
	}
}

static void
control_dispatch_client(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct ctl_conn	*c = iev->data;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (event & EV_READ) {
		n = imsg_read(&iev->ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN)) {
			if (n == -1)
				log_warn("control: client %u", c->id);
			conn_close(c);
			return;
		}
		/* A client has no descriptor to give us; keep none. */
		imsg_close_fds(&iev->ibuf);
	}
	if (imsgev_write(iev, event) == -1) {
		conn_close(c);
		return;
	}
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1) {
			log_warnx("control: client %u: malformed message",
			    c->id);
			conn_close(c);
			return;
		}
		if (n == 0)
			break;
		if (control_request(c, &imsg) == -1) {
			imsg_free(&imsg);
			conn_close(c);
			return;
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/* A reply from the engine or the parent, checked, for its client. */
static void
control_reply(struct imsg *imsg, const char *from)
{
	struct ctl_conn	*c;
	size_t		 len = imsg_get_len(imsg), want = 0;
	const char	*text = imsg->data;

	switch (imsg->hdr.type) {
	case IMSG_CTL_IFACE:
		want = sizeof(struct ctl_iface);
		break;
	case IMSG_CTL_PEER:
		want = sizeof(struct ctl_peer);
		break;
	case IMSG_CTL_END:
		want = sizeof(struct ctl_end);
		break;
	case IMSG_CTL_ALLOWED_IPS:
		if (len == 0 || len % sizeof(struct wgd_prefix) != 0)
			fatalx("bad IMSG_CTL_ALLOWED_IPS from %s", from);
		break;
	case IMSG_CTL_LINE:
	case IMSG_CTL_ERROR:
	case IMSG_CTL_CONF:
		if (len == 0 || text[len - 1] != '\0')
			fatalx("unterminated text from %s", from);
		break;
	default:
		fatalx("unexpected message %u from %s", imsg->hdr.type, from);
	}
	if (want != 0 && len != want)
		fatalx("message %u from %s: %zu bytes, not %zu",
		    imsg->hdr.type, from, len, want);

	if ((c = conn_find(imsg->hdr.peerid)) == NULL)
		return;		/* the client left before its answer */
	if (imsg->hdr.type == IMSG_CTL_END) {
		c->busy = 0;
		conn_idle_reset(c);
	}
	if (c->iev.ibuf.queued > CONTROL_MAX_QUEUED) {
		log_warnx("control: client %u reads too slowly, closing",
		    c->id);
		conn_close(c);
		return;
	}
	if (imsgev_compose(&c->iev, imsg->hdr.type, 0, 0, -1, imsg->data,
	    len) == -1)
		conn_close(c);
}

static void
control_listen(struct imsg *imsg)
{
	struct msg_control_fd	 m;
	struct listener		*l;
	int			 fd;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    m.kind > CONTROL_RESTRICTED || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("bad IMSG_CONTROL_FD");
	l = &env->listeners[m.kind];
	if (l->fd != -1)
		fatalx("IMSG_CONTROL_FD: a second %s socket",
		    m.kind == CONTROL_RESTRICTED ? "restricted" : "control");
	l->fd = fd;
	l->restricted = m.kind == CONTROL_RESTRICTED;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, control_accept, l);
	event_add(&l->ev, NULL);
}

static void
control_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 verbose, efd;

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
		case IMSG_CONTROL_FD:
			control_listen(&imsg);
			break;
		case IMSG_UAPI_FD:
			uapi_listen(&imsg);
			break;
		case IMSG_UAPI_CLOSE:
			uapi_unlisten(&imsg);
			break;
		case IMSG_CHILD_SOCKET:
			if (env->have_engine || imsg_get_len(&imsg) != 0 ||
			    (efd = imsg_get_fd(&imsg)) == -1)
				fatalx("bad IMSG_CHILD_SOCKET");
			imsgev_init(&env->engine, efd, control_dispatch_engine,
			    NULL);
			env->have_engine = 1;
			break;
		case IMSG_LOG_VERBOSE:
			if (imsg_get_data(&imsg, &verbose, sizeof(verbose)) ==
			    -1)
				fatalx("bad IMSG_LOG_VERBOSE");
			log_setverbose(verbose);
			break;
		default:
			control_reply(&imsg, "the parent");
			break;
		}
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

static void
control_dispatch_engine(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1)
		fatalx("the engine closed the connection");
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("imsg_get");
		if (n == 0)
			break;
		if (imsg.hdr.type == IMSG_UAPI_TEXT ||
		    imsg.hdr.type == IMSG_UAPI_DONE)
			uapi_engine_reply(&imsg);
		else
			control_reply(&imsg, "the engine");
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/*
 * What control calls beyond every child's (sandbox.c): it accepts
 * wgctl's and wg's connections on the sockets the parent bound, and
 * libevent asks how much a UAPI connection has to read.
 */
const struct sandbox_rule control_syscalls[] = {
	SB(accept4),
	SB_ARG(ioctl, 1, FIONREAD),
	/* An endpoint's zone, on the socket for nothing else (ifname.c). */
	SB_ARGS(ioctl, 0, WGD_IFNAME_FD, 1, SIOCGIFINDEX),
	SB_END
};

/*
 * Runs the control process until the parent goes away.  Called after
 * the process has chrooted and dropped its privileges.
 */
void
control_main(int fd, int verbose)
{
	struct control	 c;

	memset(&c, 0, sizeof(c));
	env = &c;
	TAILQ_INIT(&env->conns);
	env->listeners[0].fd = env->listeners[1].fd = -1;
	log_setverbose(verbose);

	uapi_init(event_init(), &env->engine);
	evtimer_set(&env->pause_ev, accept_resume, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	imsgev_init(&env->parent, fd, control_dispatch_parent, NULL);
	childlog_init(&env->parent);
	sandbox_enter("control", control_syscalls);
	event_dispatch();
	fatalx("event loop ended");
}
