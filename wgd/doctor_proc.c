/*
 * wgctl doctor against a running wgd.  The system checks take seconds
 * (a name that does not resolve, programs that list the firewall), and
 * the parent must not wait that long, so a process of their own runs
 * them: "wgd: doctor", re-executed like the other children, but kept
 * root with the few capabilities its checks need (nft and iptables list
 * rules only for root, and it looks at every process's sockets).  It
 * gets what it checks as imsgs, never the keys,
 * sends its lines back one by one and exits.  The parent passes them on
 * to wgctl; one doctor runs at a time.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childlog.h"
#include "clientconf.h"
#include "doctor.h"
#include "log.h"
#include "parent.h"
#include "proc.h"
#include "resolvconf.h"
#include "wgd.h"

/* Longer than every bounded check together: a few seconds each. */
#define DOCTOR_TIMEOUT_SECS	30
#define DOCTOR_IFACE_SECS	30

static void	doctor_dispatch(int, short, void *);
static void	doctor_timeout(int, short, void *);

static void
doctor_done(struct wgd *env, int status, const char *error)
{
	if (error != NULL)
		parent_reply(env, env->doctor_client, 1, error);
	parent_reply_end(env, env->doctor_client, status);
	evtimer_del(&env->doctor_timer);
	imsgev_del(&env->doctor);
	imsg_clear(&env->doctor.ibuf);
	close(env->doctor.ibuf.fd);
	/* SIGCHLD reaps it; one reaped already is no pid of ours now. */
	if (error != NULL && !env->doctor_reaped)
		kill(env->doctor_pid, SIGKILL);
	env->doctor_pid = 0;
}

/* A list of prefixes, in as many messages as it takes (none if empty). */
static void
doctor_send_prefixes(struct wgd *env, uint32_t type,
    const struct wgd_prefix *v, size_t n)
{
	size_t	 off, k;

	for (off = 0; off < n; off += k) {
		k = n - off < MSG_PREFIXES_MAX ? n - off : MSG_PREFIXES_MAX;
		if (imsgev_compose(&env->doctor, type, 0, 0, -1, &v[off],
		    k * sizeof(*v)) == -1)
			fatal("%s", __func__);
	}
}

static void
doctor_send_iface(struct wgd *env, const struct wgd_iface_conf *ifc)
{
	struct msg_doctor_iface	 m;
	const struct wgd_client_conf *c = &ifc->client;
	struct wgd_prefix	 dns[RESOLV_MAX];
	size_t			 ndns;
	int			 tunnel;

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, ifc->name, sizeof(m.name));
	m.listen_port = ifc->listen_port;
	strlcpy(m.masquerade, ifc->masquerade, sizeof(m.masquerade));
	if (c->endpoint_set) {
		strlcpy(m.endpoint_host, c->endpoint_host,
		    sizeof(m.endpoint_host));
		m.endpoint_port = c->endpoint_port;
	}
	/* What the client configurations say now, auto decided. */
	ndns = clientconf_dns(ifc, c, dns, RESOLV_MAX, &tunnel);
	m.dns_tunnel = tunnel != 0;
	m.dns_port = ifc->dns_redirect ? env->dns_port : 0;
	if (imsgev_compose(&env->doctor, IMSG_DOCTOR_IFACE, 0, 0, -1, &m,
	    sizeof(m)) == -1)
		fatal("%s", __func__);
	doctor_send_prefixes(env, IMSG_DOCTOR_ADDRS, ifc->addresses.v,
	    ifc->addresses.n);
	doctor_send_prefixes(env, IMSG_DOCTOR_DNS, dns, ndns);
	doctor_send_prefixes(env, IMSG_DOCTOR_CLIENT_ALLOWED,
	    c->allowed_ips.v, c->allowed_ips.n);
}

/* IMSG_CTL_DOCTOR from control: start a doctor for client id. */
void
doctor_start(struct wgd *env, struct imsg *imsg)
{
	struct ctl_doctor		 req;
	struct msg_doctor_run		 run;
	struct timeval			 tv = { DOCTOR_TIMEOUT_SECS, 0 };
	int				 n = 0;
	const struct wgd_iface_conf	*ifc;
	char				 msg[64];
	uint32_t			 id = imsg->hdr.peerid;
	int				 fd, found = 0;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    !STR_TERMINATED(req.name))
		fatalx("bad IMSG_CTL_DOCTOR from control");
	if (env->doctor_pid != 0) {
		parent_reply(env, id, 1, "a doctor is running already: try "
		    "again in a minute");
		parent_reply_end(env, id, 1);
		return;
	}
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		if (req.name[0] == '\0' || strcmp(req.name, ifc->name) == 0)
			found = 1;
	if (!found) {
		snprintf(msg, sizeof(msg), "no interface named \"%s\"",
		    req.name);
		parent_reply(env, id, 1, msg);
		parent_reply_end(env, id, 1);
		return;
	}

	env->doctor_pid = proc_start(PROC_DOCTOR, env->conf->user,
	    env->debug, env->verbose, &fd);
	env->doctor_reaped = 0;
	env->doctor_client = id;
	imsgev_init(&env->doctor, fd, doctor_dispatch, env);
	TAILQ_FOREACH(ifc, &env->conf->ifaces, entry)
		if (req.name[0] == '\0' || strcmp(req.name, ifc->name) == 0) {
			doctor_send_iface(env, ifc);
			n++;
		}
	tv.tv_sec += n * DOCTOR_IFACE_SECS;
	memset(&run, 0, sizeof(run));
	run.wgd_pids[0] = getpid();
	run.wgd_pids[1] = env->engine_pid;
	strlcpy(run.conffile, env->conffile, sizeof(run.conffile));
	if (imsgev_compose(&env->doctor, IMSG_DOCTOR_RUN, 0, 0, -1, &run,
	    sizeof(run)) == -1)
		fatal("%s", __func__);
	evtimer_set(&env->doctor_timer, doctor_timeout, env);
	evtimer_add(&env->doctor_timer, &tv);
}

static void
doctor_timeout(int fd, short event, void *arg)
{
	struct wgd	*env = arg;

	(void)fd;
	(void)event;
	log_warnx("doctor process took too long: killed");
	doctor_done(env, 1, "the checks did not end in time");
}

/* The engine is armed, or saw the probe come back: for the doctor. */
void
doctor_probe_seen(struct wgd *env, struct imsg *imsg)
{
	struct msg_probe	 m;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1)
		fatalx("bad probe message from the engine");
	if (env->doctor_pid != 0 && imsgev_compose(&env->doctor,
	    imsg->hdr.type, 0, 0, -1, &m, sizeof(m)) == -1)
		fatal("%s", __func__);
}

/* Its lines go to wgctl as they come; a line it should not send ends it. */
static void
doctor_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct wgd	*env = iev->data;
	struct imsg	 imsg;
	struct ctl_end	 end;
	size_t		 len;
	ssize_t		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		doctor_done(env, 1, "the doctor process died");
		return;
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		if (childlog_relay("doctor", &imsg)) {
			imsg_free(&imsg);
			continue;
		}
		len = imsg_get_len(&imsg);
		switch (imsg.hdr.type) {
		case IMSG_DOCTOR_LINE:
			if (len == 0 || len > DOCTOR_LINE_MAX ||
			    memchr(imsg.data, '\0', len) !=
			    (char *)imsg.data + len - 1)
				goto bad;
			parent_reply(env, env->doctor_client, 0, imsg.data);
			break;
		case IMSG_PROBE_ARM:
			/* The engine takes no malformed message for a fault. */
			if (len != sizeof(struct msg_probe) ||
			    !STR_TERMINATED(((struct msg_probe *)
			    imsg.data)->iface))
				goto bad;
			if (imsgev_compose(&env->engine, IMSG_PROBE_ARM, 0, 0,
			    -1, imsg.data, len) == -1)
				fatal("%s", __func__);
			break;
		case IMSG_DOCTOR_END:
			if (imsg_get_data(&imsg, &end, sizeof(end)) == -1 ||
			    (end.status != 0 && end.status != 1))
				goto bad;
			imsg_free(&imsg);
			doctor_done(env, end.status, NULL);
			return;
		default:
			goto bad;
		}
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("imsg_get from the doctor");
	imsgev_add(iev);
	return;
bad:
	imsg_free(&imsg);
	log_warnx("bad message %u from the doctor process", imsg.hdr.type);
	doctor_done(env, 1, "the doctor process failed");
}

/* The doctor process: a blocking loop, no events. */

/*
 * Root, but only with what its checks need: nft and iptables-save
 * (CAP_NET_ADMIN, CAP_NET_RAW), other users' /proc/PID/fd
 * (CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE), a public port under 1024
 * (CAP_NET_BIND_SERVICE).  The bounding set goes too, so the programs
 * it runs get no more.
 */
static void
doctor_caps(void)
{
	static const int		 keep[] = { CAP_NET_ADMIN, CAP_NET_RAW,
	    CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_NET_BIND_SERVICE };
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 have[2], data[2];
	size_t				 i;
	uint32_t			 bit;
	int				 cap, kept;

	/* wgd itself may run with fewer (a container): keep those it has. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, have) == -1)
		fatal("capget");
	memset(data, 0, sizeof(data));
	for (cap = 0; cap <= 63; cap++) {
		bit = 1U << (cap % 32);
		for (i = 0, kept = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (keep[i] == cap)
				kept = 1;
		if (kept && (have[cap / 32].permitted & bit)) {
			data[cap / 32].effective |= bit;
			data[cap / 32].permitted |= bit;
		} else if (!kept && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) ==
		    -1 && errno != EINVAL && errno != EPERM)
			fatal("prctl capbset_drop %d", cap);
	}
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("capset");
}

static void
doctor_line(void *arg, const char *line)
{
	struct imsgbuf	*ibuf = arg;

	if (imsg_compose(ibuf, IMSG_DOCTOR_LINE, 0, 0, -1, line,
	    strlen(line) + 1) == -1 || imsg_flush(ibuf) == -1)
		fatal("%s", __func__);
}

/*
 * What the parent sent about the probe with token: 1 when the engine
 * saw it come back (or, want_armed, when it is armed for it), 0 when
 * not that, -1 at EOF.
 */
static int
doctor_probe_news(struct imsgbuf *ibuf, const char *iface,
    const uint8_t *token, int want_armed)
{
	struct imsg		 imsg;
	struct msg_probe	 m;
	ssize_t			 n;
	int			 yes = 0;

	if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
		fatal("imsg_read");
	if (n == 0)
		return -1;
	while ((n = imsg_get(ibuf, &imsg)) > 0) {
		if ((imsg.hdr.type != IMSG_PROBE_SEEN &&
		    imsg.hdr.type != IMSG_PROBE_ARMED) ||
		    imsg_get_data(&imsg, &m, sizeof(m)) == -1 ||
		    !STR_TERMINATED(m.iface))
			fatalx("unexpected imsg %u", imsg.hdr.type);
		/* The interface's own socket, not another one's port. */
		if (strcmp(m.iface, iface) == 0 &&
		    memcmp(m.token, token, sizeof(m.token)) == 0 &&
		    (imsg.hdr.type == IMSG_PROBE_ARMED) == want_armed)
			yes = 1;
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("imsg_get");
	return yes;
}

/* Arms the engine, and returns once it is: no probe meets it unarmed. */
static void
doctor_probe_arm(void *arg, const char *iface, const uint8_t *token)
{
	struct imsgbuf		*ibuf = arg;
	struct msg_probe	 m;
	int			 rv;

	memset(&m, 0, sizeof(m));
	strlcpy(m.iface, iface, sizeof(m.iface));
	memcpy(m.token, token, sizeof(m.token));
	if (imsg_compose(ibuf, IMSG_PROBE_ARM, 0, 0, -1, &m, sizeof(m)) ==
	    -1 || imsg_flush(ibuf) == -1)
		fatal("%s", __func__);
	/* The socket blocks: the parent answers or closes. */
	while ((rv = doctor_probe_news(ibuf, iface, token, 1)) == 0)
		;
	if (rv == -1)
		exit(0);
}

static int
doctor_probe_read(void *arg, const char *iface, const uint8_t *token)
{
	return doctor_probe_news(arg, iface, token, 0);
}

static void
doctor_prefixes(struct imsg *imsg, struct wgd_prefixes *l)
{
	const struct wgd_prefix	*p = imsg->data;
	size_t			 len = imsg_get_len(imsg), i;

	if (len % sizeof(*p) != 0)
		fatalx("bad prefixes from the parent");
	for (i = 0; i < len / sizeof(*p); i++) {
		if ((p[i].af != AF_INET && p[i].af != AF_INET6) ||
		    p[i].plen > addr_maxlen(p[i].af))
			fatalx("bad prefixes from the parent");
		if (prefixes_add(l, &p[i]) == -1)
			fatal("%s", __func__);
	}
}

static void
doctor_iface_from(struct doctor_iface *di, struct imsg *imsg)
{
	struct msg_doctor_iface	 m;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.name) || !STR_TERMINATED(m.masquerade) ||
	    !STR_TERMINATED(m.endpoint_host))
		fatalx("bad IMSG_DOCTOR_IFACE");
	memset(di, 0, sizeof(*di));
	memcpy(di->name, m.name, sizeof(di->name));
	di->listen_port = m.listen_port;
	memcpy(di->masquerade, m.masquerade, sizeof(di->masquerade));
	memcpy(di->endpoint_host, m.endpoint_host, sizeof(di->endpoint_host));
	di->endpoint_port = m.endpoint_port;
	di->dns_tunnel = m.dns_tunnel;
	di->dns_port = m.dns_port;
}

void
doctor_main(int fd)
{
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	struct doctor		 d;
	struct doctor_iface	*ifaces = NULL, *di = NULL;
	struct msg_doctor_run	 run;
	struct ctl_end		 end;
	size_t			 n = 0, i;
	ssize_t			 r;
	int			 go = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl no_new_privs");
	doctor_caps();
	imsg_init(&ibuf, fd);
	childlog_init_ibuf(&ibuf);
	memset(&d, 0, sizeof(d));
	while (!go) {
		if ((r = imsg_get(&ibuf, &imsg)) == -1)
			fatal("imsg_get");
		if (r == 0) {
			if ((r = imsg_read(&ibuf)) == -1 && errno != EAGAIN)
				fatal("imsg_read");
			if (r == 0)
				exit(0);
			continue;
		}
		switch (imsg.hdr.type) {
		case IMSG_DOCTOR_IFACE:
			if ((ifaces = reallocarray(ifaces, n + 1,
			    sizeof(*ifaces))) == NULL)
				fatal(NULL);
			di = &ifaces[n++];
			doctor_iface_from(di, &imsg);
			break;
		case IMSG_DOCTOR_ADDRS:
			if (di == NULL)
				fatalx("prefixes before an interface");
			doctor_prefixes(&imsg, &di->addresses);
			break;
		case IMSG_DOCTOR_DNS:
			if (di == NULL)
				fatalx("prefixes before an interface");
			doctor_prefixes(&imsg, &di->dns);
			break;
		case IMSG_DOCTOR_CLIENT_ALLOWED:
			if (di == NULL)
				fatalx("prefixes before an interface");
			doctor_prefixes(&imsg, &di->client_allowed);
			break;
		case IMSG_DOCTOR_RUN:
			if (imsg_get_data(&imsg, &run, sizeof(run)) == -1)
				fatalx("bad IMSG_DOCTOR_RUN");
			d.wgd_pids[0] = run.wgd_pids[0];
			d.wgd_pids[1] = run.wgd_pids[1];
			go = 1;
			break;
		default:
			fatalx("unexpected imsg %u", imsg.hdr.type);
		}
		imsg_free(&imsg);
	}

	d.running = 1;
	d.line = doctor_line;
	d.arg = &ibuf;
	d.probe_arm = doctor_probe_arm;
	d.probe_seen = doctor_probe_read;
	d.probe_fd = fd;
	/* The file on disk: what a reload or a restart would read. */
	if (!STR_TERMINATED(run.conffile))
		fatalx("bad IMSG_DOCTOR_RUN");
	free(doctor_check_conf(&d, "/proc/self/exe", run.conffile));
	for (i = 0; i < n; i++) {
		doctor_check_iface(&d, &ifaces[i]);
		doctor_iface_free(&ifaces[i]);
	}
	free(ifaces);
	memset(&end, 0, sizeof(end));
	end.status = d.nfail > 0;
	if (imsg_compose(&ibuf, IMSG_DOCTOR_END, 0, 0, -1, &end,
	    sizeof(end)) == -1 || imsg_flush(&ibuf) == -1)
		fatal("%s", __func__);
	exit(0);
}
