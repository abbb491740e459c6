/*
 * The system checks of wgctl doctor, one interface at a time.  Each
 * reads what the kernel shows in /proc, or asks a program that lists it
 * (nft), and is bounded in time: a name that does not resolve costs
 * DOCTOR_RESOLVE_SECS at most.  Nothing here changes the system.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "doctor.h"
#include "dns_msg.h"
#include "doctor_fw.h"
#include "probe.h"
#include "run.h"

#define DOCTOR_RESOLVE_SECS	3
#define DOCTOR_ADDRS_SHOWN	4
#define DOCTOR_SOCKS_MAX	16
#define DOCTOR_PROBE_MS		2000
#define DOCTOR_PROBE_TRIES	3
#define DOCTOR_DNS_MS		3000
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_REFUSED	5
#define SYSCTL_IPV4_FWD		"/proc/sys/net/ipv4/ip_forward"
#define SYSCTL_IPV6_FWD		"/proc/sys/net/ipv6/conf/all/forwarding"

static void	default_dev(char *, size_t);

/*
 * Has wgd (the program at path) check file: each error it finds is a
 * FAIL, each warning a warning.  Returns what wgd -nv printed when the
 * file parses, for the caller to free; NULL when not.
 */
char *
doctor_check_conf(struct doctor *d, const char *wgd, const char *file)
{
	const char	*args[] = { "-nv", "-f", file, NULL };
	char		*out, *copy, *line, *last, fix[DOCTOR_LINE_MAX];
	int		 status, nfail = d->nfail;

	if ((status = run_prog(wgd, args, NULL, 0, &out)) == -1) {
		doctor_report(d, DOCTOR_FAIL, "install wgd", "cannot run wgd "
		    "to check %s", file);
		free(out);
		return NULL;
	}
	if ((copy = strdup(out)) == NULL) {
		free(out);
		return NULL;
	}
	if (d->running)
		snprintf(fix, sizeof(fix), "correct %s: wgctl reload and a "
		    "restart refuse it until then", file);
	else
		snprintf(fix, sizeof(fix), "correct %s, then check it with "
		    "wgd -n -f %s", file, file);
	/* wgd -n's lines are "file:line: message", warnings marked. */
	for (line = strtok_r(copy, "\n", &last); line != NULL;
	    line = strtok_r(NULL, "\n", &last)) {
		if (strncmp(line, file, strlen(file)) != 0 ||
		    line[strlen(file)] != ':')
			continue;
		if (strstr(line, ": warning: ") != NULL)
			doctor_report(d, DOCTOR_WARN, "correct that line",
			    "the configuration: %s", line);
		else if (status != 0)
			doctor_report(d, DOCTOR_FAIL, fix, "the configuration: "
			    "%s", line);
	}
	free(copy);
	if (status != 0) {
		/* Not a line of the file: it cannot be read at all. */
		if (d->nfail == nfail)
			doctor_report(d, DOCTOR_FAIL, fix, "the configuration: "
			    "%.*s", (int)strcspn(out, "\n"), out);
		free(out);
		return NULL;
	}
	doctor_report(d, DOCTOR_OK, NULL, "the configuration %s parses",
	    file);
	return out;
}

void
doctor_report(struct doctor *d, enum doctor_level level, const char *fix,
    const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warn", "FAIL" };
	char		 line[DOCTOR_LINE_MAX];
	va_list		 ap;
	int		 n;

	n = snprintf(line, sizeof(line), "%s: ", names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	d->line(d->arg, line);
	if (level != DOCTOR_OK && fix != NULL) {
		snprintf(line, sizeof(line), "  fix: %s", fix);
		d->line(d->arg, line);
	}
	if (level == DOCTOR_FAIL)
		d->nfail++;
}

void
doctor_iface_free(struct doctor_iface *di)
{
	prefixes_free(&di->addresses);
	prefixes_free(&di->dns);
	prefixes_free(&di->client_allowed);
}

/* A process's name from /proc/PID/comm, "?" when it is gone. */
static void
proc_comm(pid_t pid, char *buf, size_t len)
{
	char	 path[64];
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	strlcpy(buf, "?", len);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		strlcpy(buf, "?", len);
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The process holding socket inode, found through /proc/PID/fd; 0: none. */
static pid_t
sock_owner(unsigned long inode)
{
	DIR		*proc, *fds;
	struct dirent	*p, *fd;
	char		 path[PATH_MAX], link[64], want[64];
	ssize_t		 n;
	pid_t		 pid = 0;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while (pid == 0 && (p = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		while ((fd = readdir(fds)) != NULL) {
			if (snprintf(path, sizeof(path), "/proc/%s/fd/%s",
			    p->d_name, fd->d_name) >= (int)sizeof(path))
				continue;
			if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0) {
				pid = (pid_t)strtol(p->d_name, NULL, 10);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return pid;
}

/*
 * The inodes of the UDP sockets bound to port, from /proc/net/udp and
 * udp6 (this network namespace's); returns how many, at most max.
 */
static size_t
udp_port_inodes(uint16_t port, unsigned long *inodes, size_t max)
{
	static const char *const files[] = { "/proc/net/udp", "/proc/net/udp6" };
	char		 line[512], laddr[64];
	unsigned int	 lport;
	unsigned long	 inode;
	size_t		 i, n = 0;
	FILE		*f;

	for (i = 0; i < 2; i++) {
		if ((f = fopen(files[i], "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL && n < max) {
			/* sl local rem st tx:rx tr:when retr uid timeout inode */
			if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*s %*s %*s "
			    "%*s %*s %*s %*s %lu", laddr, &lport, &inode) != 3)
				continue;
			if (lport == port && inode != 0)
				inodes[n++] = inode;
		}
		fclose(f);
	}
	return n;
}

static int
is_wgd(const struct doctor *d, pid_t pid)
{
	return d->running && pid != 0 &&
	    (pid == d->wgd_pids[0] || pid == d->wgd_pids[1]);
}

/*
 * Who else holds the listen port.  With wgd stopped, anyone is in its
 * way; with wgd running, a second socket on the port (bound to one
 * address, or by SO_REUSEPORT) takes some of its packets.
 */
static void
check_port(struct doctor *d, const struct doctor_iface *di)
{
	unsigned long	 inodes[DOCTOR_SOCKS_MAX];
	char		 comm[32], fix[256];
	size_t		 n, i;
	pid_t		 pid;
	int		 ours = 0, others = 0;

	n = udp_port_inodes(di->listen_port, inodes, DOCTOR_SOCKS_MAX);
	for (i = 0; i < n; i++) {
		pid = sock_owner(inodes[i]);
		if (is_wgd(d, pid)) {
			ours++;
			continue;
		}
		others++;
		if (pid != 0)
			proc_comm(pid, comm, sizeof(comm));
		snprintf(fix, sizeof(fix), "stop it (an old WireGuard "
		    "container: docker stop NAME), or choose another port: "
		    "listen-port N in wgd.conf and the router's forward");
		if (pid != 0)
			doctor_report(d, DOCTOR_FAIL, fix, "%s: UDP port %u is "
			    "%s by %s (pid %d)", di->name, di->listen_port,
			    d->running ? "also bound" : "taken", comm,
			    (int)pid);
		else
			doctor_report(d, DOCTOR_FAIL, fix, "%s: UDP port %u is "
			    "%s by a socket that no process here holds (one "
			    "in another PID namespace?)", di->name,
			    di->listen_port, d->running ? "also bound" :
			    "taken");
	}
	if (d->running && ours == 0)
		doctor_report(d, DOCTOR_FAIL, "wgctl reload, or restart wgd",
		    "%s: wgd holds no socket on UDP port %u", di->name,
		    di->listen_port);
	else if (others == 0)
		doctor_report(d, DOCTOR_OK, NULL, "%s: UDP port %u is %s",
		    di->name, di->listen_port, d->running ? "wgd's alone" :
		    "free for wgd");
}

/* The running interface exists and is up. */
static void
check_up(struct doctor *d, const struct doctor_iface *di)
{
	struct ifreq	 ifr;
	char		 fix[64];
	int		 s;

	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, di->name, sizeof(ifr.ifr_name));
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		doctor_report(d, DOCTOR_FAIL, "restart wgd",
		    "%s: no such network interface: %s", di->name,
		    strerror(errno));
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		snprintf(fix, sizeof(fix), "ip link set dev %s up", di->name);
		doctor_report(d, DOCTOR_FAIL, fix, "%s: the interface is down",
		    di->name);
	} else
		doctor_report(d, DOCTOR_OK, NULL, "%s: up", di->name);
	if (s != -1)
		close(s);
}

static int
sysctl_is_one(const char *path)
{
	char	 buf[16];
	FILE	*f;
	int	 on;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	on = fgets(buf, sizeof(buf), f) != NULL && strtol(buf, NULL, 10) == 1;
	fclose(f);
	return on;
}

static int
has_af(const struct wgd_prefixes *l, int af)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].af == af)
			return 1;
	return 0;
}

/*
 * masquerade on "IF": the LAN interface exists, and with wgd running,
 * forwarding is on and wgd's nftables table masquerades.  Stopped, wgd
 * sets both up when it starts.
 */
static void
check_masquerade(struct doctor *d, const struct doctor_iface *di)
{
	static const char *const list[] = { "list", "table", "inet", "wgd",
	    NULL };
	static const struct {
		const char	*path;
		int		 af;
		const char	*name;
	} fwd[] = {
		{ SYSCTL_IPV4_FWD, AF_INET, "IPv4" },
		{ SYSCTL_IPV6_FWD, AF_INET6, "IPv6" }
	};
	char		*out = NULL, fix[128], dev[IFNAMSIZ];
	size_t		 i;
	int		 ok = 1;

	if (di->masquerade[0] == '\0')
		return;
	if (if_nametoindex(di->masquerade) == 0) {
		default_dev(dev, sizeof(dev));
		snprintf(fix, sizeof(fix), "masquerade on \"%s\" in wgd.conf: "
		    "the interface of the default route", dev[0] != '\0' ? dev :
		    "IF");
		doctor_report(d, DOCTOR_FAIL, fix, "%s: masquerade on \"%s\": "
		    "no such interface", di->name, di->masquerade);
		ok = 0;
	}
	if (!d->running) {
		if (ok)
			doctor_report(d, DOCTOR_OK, NULL, "%s: masquerade out "
			    "of %s (wgd turns forwarding on when it starts)",
			    di->name, di->masquerade);
		return;
	}
	for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++) {
		if (sysctl_is_one(fwd[i].path) == 1 ||
		    !has_af(&di->addresses, fwd[i].af))
			continue;
		doctor_report(d, DOCTOR_FAIL, "wgctl reload (wgd turns it on "
		    "again); find what turned it off in /etc/sysctl.d",
		    "%s: %s forwarding is off: peers reach this host only",
		    di->name, fwd[i].name);
		ok = 0;
	}
	if (run_prog("nft", list, NULL, 1, &out) != 0 ||
	    strstr(out, "masquerade") == NULL) {
		doctor_report(d, DOCTOR_FAIL, "wgctl reload; if that does not "
		    "bring it back, see wgd's log", "%s: the nftables table "
		    "\"inet wgd\" that masquerades the tunnel is missing",
		    di->name);
		ok = 0;
	}
	free(out);
	if (ok)
		doctor_report(d, DOCTOR_OK, NULL, "%s: forwarding on, "
		    "masquerading out of %s", di->name, di->masquerade);
}

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

/* Whether sa is an address of one of this host's interfaces. */
static int
is_local(const struct sockaddr *sa)
{
	struct ifaddrs	*ifa, *i;
	int		 found = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && !found; i = i->ifa_next)
		if (i->ifa_addr != NULL && addr_same_host(i->ifa_addr, sa))
			found = 1;
	freeifaddrs(ifa);
	return found;
}

/*
 * The client endpoint: a name resolves, and not to this host.  Returns
 * 1 with its first IPv4 address in *sin when it is one to probe.
 */
static int
check_endpoint(struct doctor *d, const struct doctor_iface *di,
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
		if (is_local(ai->ai_addr))
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

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
static void
check_probe(struct doctor *d, const struct doctor_iface *di,
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

	start = next = now_ms();
	for (now = start; now - start < DOCTOR_PROBE_MS && !on_listen;
	    now = now_ms()) {
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

/* One route of the main table, from /proc/net/route or ipv6_route. */
struct route {
	char			 dev[IFNAMSIZ];
	struct wgd_prefix	 dst;
};

static int
route_next_v4(FILE *f, struct route *r)
{
	char		 line[512], dev[IFNAMSIZ + 1];
	unsigned long	 dst, mask;

	while (fgets(line, sizeof(line), f) != NULL) {
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask */
		if (sscanf(line, "%16s %lx %*x %*x %*d %*d %*d %lx", dev, &dst,
		    &mask) != 3)
			continue;
		memset(r, 0, sizeof(*r));
		strlcpy(r->dev, dev, sizeof(r->dev));
		r->dst.af = AF_INET;
		/* The kernel prints the address as it is in memory. */
		r->dst.addr.v4.s_addr = (uint32_t)dst;
		r->dst.plen = (uint8_t)__builtin_popcountl(mask);
		return 1;
	}
	return 0;
}

static int
route_next_v6(FILE *f, struct route *r)
{
	char		 line[512], dst[33], dev[IFNAMSIZ + 1];
	unsigned int	 plen, i, byte;

	while (fgets(line, sizeof(line), f) != NULL) {
		/* dst plen src srcplen nexthop metric refcnt use flags dev */
		if (sscanf(line, "%32[0-9a-f] %x %*s %*x %*s %*x %*x %*x %*x "
		    "%16s", dst, &plen, dev) != 3 || strlen(dst) != 32 ||
		    plen > 128)
			continue;
		memset(r, 0, sizeof(*r));
		strlcpy(r->dev, dev, sizeof(r->dev));
		r->dst.af = AF_INET6;
		r->dst.plen = (uint8_t)plen;
		for (i = 0; i < 16; i++) {
			sscanf(dst + 2 * i, "%2x", &byte);
			r->dst.addr.bytes[i] = (uint8_t)byte;
		}
		return 1;
	}
	return 0;
}

/*
 * A tunnel subnet that overlaps a route of this host through another
 * interface (a LAN, Docker's bridge): replies to one side go to the
 * other.  The default route overlaps everything and is left out.
 */
static void
check_overlap(struct doctor *d, const struct doctor_iface *di)
{
	struct wgd_prefix	 net;
	struct route		 r;
	char			 a[ADDR_STRLEN], b[ADDR_STRLEN];
	size_t			 i;
	FILE			*f;
	int			 bad = 0, v6;

	for (i = 0; i < di->addresses.n; i++) {
		net = di->addresses.v[i];
		addr_mask(&net);
		v6 = net.af == AF_INET6;
		if ((f = fopen(v6 ? "/proc/net/ipv6_route" : "/proc/net/route",
		    "re")) == NULL)
			continue;
		while (v6 ? route_next_v6(f, &r) : route_next_v4(f, &r)) {
			if (r.dst.plen == 0 || strcmp(r.dev, di->name) == 0 ||
			    strcmp(r.dev, "lo") == 0 ||
			    (v6 && r.dst.addr.bytes[0] == 0xfe &&
			    (r.dst.addr.bytes[1] & 0xc0) == 0x80))
				continue;
			if (!addr_contains(&net, &r.dst) &&
			    !addr_contains(&r.dst, &net))
				continue;
			addr_format_prefix(&net, a, sizeof(a));
			addr_format_prefix(&r.dst, b, sizeof(b));
			doctor_report(d, DOCTOR_FAIL, v6 ? "address with a "
			    "ULA prefix no LAN here uses, e.g. address "
			    "fd13:13:13::1/64" : "address with a subnet no LAN "
			    "here uses, e.g. address 10.13.13.1/24",
			    "%s: the tunnel subnet %s overlaps the route %s "
			    "on %s", di->name, a, b, r.dev);
			bad = 1;
		}
		fclose(f);
	}
	if (!bad && di->addresses.n > 0)
		doctor_report(d, DOCTOR_OK, NULL, "%s: the tunnel subnet "
		    "overlaps no other route", di->name);
}

/* The interface of the IPv4 default route, where phones come in; "". */
static void
default_dev(char *dev, size_t len)
{
	struct route	 r;
	FILE		*f;

	dev[0] = '\0';
	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return;
	while (route_next_v4(f, &r))
		if (r.dst.plen == 0) {
			strlcpy(dev, r.dev, len);
			break;
		}
	fclose(f);
}

/*
 * The rules of nftables (native and iptables-nft's) and of
 * iptables-legacy, when its tables exist: listing them would load
 * its module otherwise.  NULL when neither could be read.
 */
static struct fw *
firewall_read(void)
{
	static const char *const nft[] = { "list", "ruleset", NULL };
	static const char *const none[] = { NULL };
	struct fw	*fw;
	char		*out, path[PATH_MAX], names[64];
	FILE		*f;
	int		 legacy = 0, any = 0;

	if ((fw = fw_new()) == NULL)
		return NULL;
	if (run_which("nft", path, sizeof(path)) == 0) {
		if (run_prog("nft", nft, NULL, 1, &out) == 0)
			any = fw_parse_nft(fw, out) == 0;
		free(out);
	} else if (run_which("iptables-nft-save", path, sizeof(path)) == 0) {
		/* No nft: iptables-nft's rules (Docker's) through it. */
		if (run_prog("iptables-nft-save", none, NULL, 1, &out) == 0)
			any = fw_parse_iptables(fw, out, 0) == 0;
		free(out);
	}
	if ((f = fopen("/proc/net/ip_tables_names", "re")) != NULL) {
		legacy = fgets(names, sizeof(names), f) != NULL;
		fclose(f);
	}
	if (legacy && run_which("iptables-legacy-save", path,
	    sizeof(path)) == 0) {
		if (run_prog("iptables-legacy-save", none, NULL, 1, &out) == 0)
			any = fw_parse_iptables(fw, out, 1) == 0;
		free(out);
	}
	if (!any) {
		fw_free(fw);
		return NULL;
	}
	return fw;
}

/*
 * A DNAT to an address of this host and the listen port itself (a
 * rule that only names wgd's own socket) takes nothing away.
 */
static int
dnat_to_self(const char *to, uint16_t port)
{
	struct sockaddr_in	 sin;
	char			 host[INET_ADDRSTRLEN];
	const char		*colon;
	size_t			 len;

	if ((colon = strchr(to, ':')) == NULL ||
	    (len = (size_t)(colon - to)) >= sizeof(host) ||
	    strtoul(colon + 1, NULL, 10) != port)
		return 0;
	memcpy(host, to, len);
	host[len] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	return inet_pton(AF_INET, host, &sin.sin_addr) == 1 &&
	    is_local((struct sockaddr *)&sin);
}

/* "nftables table ip filter chain INPUT (its policy)" */
static void
fw_where(char *buf, size_t len, const struct fw_result *r)
{
	snprintf(buf, len, "%s %s%s%s chain %s%s", r->legacy ?
	    "iptables-legacy table" : "nftables table", r->legacy ? "" :
	    r->family, r->legacy ? "" : " ", r->table, r->chain, r->policy ?
	    ", its policy" : "");
}

/* The command that accepts what the rule at r drops. */
static void
fw_accept_cmd(char *buf, size_t len, const struct fw_result *r,
    const char *match)
{
	if (r->iptables)
		snprintf(buf, len, "%s -I %s %s -j ACCEPT", r->legacy ?
		    "iptables-legacy" : "iptables", r->chain, match);
	else
		snprintf(buf, len, "nft insert rule %s %s %s %s accept",
		    r->family, r->table, r->chain, match);
}

/*
 * What the firewall does to a handshake coming in (a DNAT of the port
 * elsewhere: the old container; a drop), and to what peers send on.
 */
static void
check_firewall(struct doctor *d, const struct doctor_iface *di)
{
	struct fw		*fw;
	struct fw_packet	 pkt;
	struct fw_result	 r;
	char			 where[256], fix[DOCTOR_LINE_MAX], cmd[256];
	char			 match[64], dev[IFNAMSIZ];
	const char		*out;

	if ((fw = firewall_read()) == NULL) {
		doctor_report(d, DOCTOR_WARN, "install nftables (apt-get "
		    "install nftables), or run wgctl doctor as root",
		    "%s: cannot read the firewall's rules", di->name);
		return;
	}
	default_dev(dev, sizeof(dev));

	memset(&pkt, 0, sizeof(pkt));
	pkt.hook = FW_HOOK_PREROUTING;
	strlcpy(pkt.iif, dev, sizeof(pkt.iif));
	pkt.proto = IPPROTO_UDP;
	pkt.dport = di->listen_port;
	fw_eval(fw, &pkt, &r);
	fw_where(where, sizeof(where), &r);
	if (r.verdict == FW_DNAT && !dnat_to_self(r.to, di->listen_port))
		doctor_report(d, DOCTOR_FAIL, "an old WireGuard container? "
		    "docker ps -a, then docker rm -f NAME; or delete that rule",
		    "%s: a DNAT rule sends UDP port %u to %s (%s): another "
		    "program gets wgd's packets", di->name, di->listen_port,
		    r.to, where);
	else if (r.verdict == FW_UNKNOWN)
		doctor_report(d, DOCTOR_WARN, "check that no rule of that "
		    "chain sends the port elsewhere (an old container's DNAT)",
		    "%s: cannot tell whether a DNAT takes UDP port %u away: a "
		    "rule in %s matches on %s, which doctor does not read",
		    di->name, di->listen_port, where, r.unread);

	pkt.hook = FW_HOOK_INPUT;
	pkt.oif_known = 1;
	fw_eval(fw, &pkt, &r);
	fw_where(where, sizeof(where), &r);
	snprintf(match, sizeof(match), r.iptables ? "-p udp --dport %u" :
	    "udp dport %u", di->listen_port);
	fw_accept_cmd(cmd, sizeof(cmd), &r, match);
	if (r.verdict == FW_DROP)
		doctor_report(d, DOCTOR_FAIL, cmd, "%s: the firewall drops UDP "
		    "port %u coming in (%s)", di->name, di->listen_port, where);
	else if (r.verdict == FW_UNKNOWN) {
		snprintf(fix, sizeof(fix), "check that this chain lets UDP "
		    "port %u in, or add: %s", di->listen_port, cmd);
		doctor_report(d, DOCTOR_WARN, fix, "%s: cannot tell whether "
		    "the firewall lets UDP port %u in: a rule in %s matches "
		    "on %s, which doctor does not read", di->name,
		    di->listen_port, where, r.unread);
	} else
		doctor_report(d, DOCTOR_OK, NULL, "%s: the firewall lets UDP "
		    "port %u in", di->name, di->listen_port);

	out = di->masquerade[0] != '\0' ? di->masquerade : dev;
	memset(&pkt, 0, sizeof(pkt));
	pkt.hook = FW_HOOK_FORWARD;
	strlcpy(pkt.iif, di->name, sizeof(pkt.iif));
	strlcpy(pkt.oif, out, sizeof(pkt.oif));
	pkt.oif_known = out[0] != '\0';
	fw_eval(fw, &pkt, &r);
	/* Stopped, wgd has not yet put its accept into Docker's chain. */
	if (!d->running && r.verdict != FW_ACCEPT &&
	    di->masquerade[0] != '\0' && fw_has_chain(fw, "DOCKER-USER")) {
		doctor_report(d, DOCTOR_OK, NULL, "%s: wgd accepts the tunnel "
		    "in Docker's DOCKER-USER chain when it starts", di->name);
		fw_free(fw);
		return;
	}
	fw_where(where, sizeof(where), &r);
	snprintf(match, sizeof(match), r.iptables ? "-i %s" : "iifname "
	    "\"%s\"", di->name);
	fw_accept_cmd(cmd, sizeof(cmd), &r, match);
	if (r.verdict == FW_DROP) {
		if (di->masquerade[0] == '\0' && out[0] != '\0')
			snprintf(fix, sizeof(fix), "masquerade on \"%s\" in "
			    "wgd.conf%s; or: %s", out,
			    fw_has_chain(fw, "DOCKER-USER") ? " (wgd then "
			    "accepts the tunnel in Docker's DOCKER-USER chain)" :
			    "", cmd);
		else
			snprintf(fix, sizeof(fix), "wgctl reload puts wgd's "
			    "rules back; if it still drops: %s", cmd);
		doctor_report(d, DOCTOR_FAIL, fix, "%s: the firewall drops "
		    "what peers send on to %s (%s)", di->name,
		    out[0] != '\0' ? out : "the LAN", where);
	} else if (r.verdict == FW_UNKNOWN) {
		snprintf(fix, sizeof(fix), "check that this chain forwards "
		    "the tunnel, or add: %s", cmd);
		doctor_report(d, DOCTOR_WARN, fix, "%s: cannot tell whether "
		    "the firewall forwards what peers send: a rule in %s "
		    "matches on %s, which doctor does not read", di->name,
		    where, r.unread);
	} else
		doctor_report(d, DOCTOR_OK, NULL, "%s: the firewall forwards "
		    "what peers send on to %s", di->name,
		    out[0] != '\0' ? out : "the LAN");
	fw_free(fw);
}

/*
 * Asks server:port for name's A record, from src when not NULL, within
 * DOCTOR_DNS_MS.  Returns the answer's rcode, or -1 with none.
 */
static int
dns_ask(const struct sockaddr_storage *src,
    const struct sockaddr_storage *server, socklen_t slen, const char *name)
{
	struct dns_question	 q;
	struct pollfd		 pfd;
	uint8_t			 msg[DNS_HDR_LEN + DNS_NAME_MAX + 4];
	uint8_t			 ans[1500];
	const char		*label, *dot;
	size_t			 len = DNS_HDR_LEN, l;
	uint64_t		 end;
	ssize_t			 n;
	int			 s, rcode = -1;

	memset(msg, 0, sizeof(msg));
	arc4random_buf(msg, 2);
	msg[2] = 0x01;				/* RD */
	msg[5] = 1;				/* one question */
	for (label = name; *label != '\0'; label = dot + 1) {
		dot = strchr(label, '.');
		l = dot != NULL ? (size_t)(dot - label) : strlen(label);
		if (l == 0 || l > 63 || len + l + 6 > sizeof(msg))
			return -1;
		msg[len++] = (uint8_t)l;
		memcpy(msg + len, label, l);
		len += l;
		if (dot == NULL || dot[1] == '\0')
			break;
	}
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 1;				/* A */
	msg[len++] = 0;
	msg[len++] = 1;				/* IN */
	if (dns_query_check(msg, len, &q) == -1)
		return -1;

	if ((s = socket(server->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1)
		return -1;
	if ((src != NULL && bind(s, (const struct sockaddr *)src, slen) ==
	    -1) || connect(s, (const struct sockaddr *)server, slen) == -1 ||
	    send(s, msg, len, 0) == -1) {
		close(s);
		return -1;
	}
	pfd.fd = s;
	pfd.events = POLLIN;
	for (end = now_ms() + DOCTOR_DNS_MS; rcode == -1 && now_ms() < end;) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		/* Refused (ICMP): nobody listens there. */
		if ((n = recv(s, ans, sizeof(ans), 0)) == -1)
			break;
		if (dns_answer_check(ans, (size_t)n, &q) == 0)
			rcode = ans[3] & 0x0f;
	}
	close(s);
	return rcode;
}

/* What a DNS answer, or none, says: NULL when it is an answer. */
static const char *
dns_trouble(int rcode)
{
	if (rcode == 0 || rcode == DNS_RCODE_NXDOMAIN)
		return NULL;
	if (rcode == -1)
		return "no answer within 3 seconds";
	if (rcode == DNS_RCODE_SERVFAIL)
		return "it answers SERVFAIL: its own upstream does not answer";
	if (rcode == DNS_RCODE_REFUSED)
		return "it refuses the query";
	return "an error answer";
}

static int
is_private(const struct wgd_prefix *a)
{
	static const char *const nets[] = { "10.0.0.0/8", "172.16.0.0/12",
	    "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7",
	    "fe80::/10" };
	struct wgd_prefix	 p;
	size_t			 i;

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (addr_parse_prefix(nets[i], &p) == 0 && addr_contains(&p, a))
			return 1;
	return 0;
}

static int
in_list(const struct wgd_prefixes *l, const struct wgd_prefix *a)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (addr_contains(&l->v[i], a))
			return 1;
	return 0;
}

/* Whether a is one of the interface's own addresses. */
static int
is_own(const struct doctor_iface *di, const struct wgd_prefix *a)
{
	struct wgd_prefix	 host;
	size_t			 i;

	for (i = 0; i < di->addresses.n; i++) {
		host = di->addresses.v[i];
		host.plen = (uint8_t)addr_maxlen(host.af);
		if (addr_contains(&host, a))
			return 1;
	}
	return 0;
}

static socklen_t
sa_of(struct sockaddr_storage *ss, const struct wgd_prefix *a, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->af == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->addr.v6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_addr = a->addr.v4;
	sin->sin_port = htons(port);
	return sizeof(*sin);
}

/* The first nameserver of /etc/resolv.conf, for a fix line; "SERVER". */
static void
first_resolver(char *buf, size_t len)
{
	char	 line[256], addr[INET6_ADDRSTRLEN];
	FILE	*f;

	strlcpy(buf, "SERVER", len);
	if ((f = fopen("/etc/resolv.conf", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " nameserver %45s", addr) == 1) {
			strlcpy(buf, addr, len);
			break;
		}
	fclose(f);
}

/*
 * DNS through the tunnel: wgd's forwarder, asked as a client would ask
 * it (from a tunnel address), and the redirect of port 53 to it.
 */
static void
check_dns_tunnel(struct doctor *d, const struct doctor_iface *di,
    const char *name)
{
	static const char *const chain[] = { "list", "chain", "inet", "wgd",
	    "dns", NULL };
	struct sockaddr_storage	 src, to;
	const struct wgd_prefix	*a = NULL;
	const char		*trouble;
	char			*out = NULL, want[32], s[ADDR_STRLEN];
	char			 server[INET6_ADDRSTRLEN], fix[DOCTOR_LINE_MAX];
	socklen_t		 slen;

	if (!d->running) {
		doctor_report(d, DOCTOR_OK, NULL, "%s: client dns tunnel: wgd's "
		    "forwarder answers once wgd runs", di->name);
		return;
	}
	if (di->dns_port == 0) {
		doctor_report(d, DOCTOR_FAIL, "wgctl reload; if it does not "
		    "start, see wgd's log", "%s: clients use DNS through the "
		    "tunnel, but wgd's forwarder is not running", di->name);
		return;
	}
	snprintf(want, sizeof(want), "redirect to :%u", di->dns_port);
	if (run_prog("nft", chain, NULL, 1, &out) != 0 ||
	    strstr(out, want) == NULL)
		doctor_report(d, DOCTOR_FAIL, "wgctl reload", "%s: port 53 of "
		    "the tunnel addresses is not redirected to wgd's DNS "
		    "forwarder (port %u)", di->name, di->dns_port);
	free(out);
	if (di->addresses.n == 0)
		return;
	a = &di->addresses.v[0];
	addr_format(a, s, sizeof(s));
	(void)sa_of(&src, a, 0);
	slen = sa_of(&to, a, di->dns_port);
	first_resolver(server, sizeof(server));
	snprintf(fix, sizeof(fix), "check that the resolvers in "
	    "/etc/resolv.conf answer (is Pi-hole running?): dig @%s %s",
	    server, name);
	if ((trouble = dns_trouble(dns_ask(&src, &to, slen, name))) != NULL)
		doctor_report(d, DOCTOR_FAIL, fix, "%s: DNS through the tunnel "
		    "(%s) fails: %s", di->name, s, trouble);
	else
		doctor_report(d, DOCTOR_OK, NULL, "%s: DNS through the tunnel "
		    "(%s) answers", di->name, s);
}

/* The default route's device, or the route's that holds a; "". */
static void
route_dev(const struct wgd_prefix *a, char *dev, size_t len)
{
	struct route	 r;
	FILE		*f;
	int		 best = -1;

	dev[0] = '\0';
	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return;
	while (route_next_v4(f, &r))
		if (addr_contains(&r.dst, a) && r.dst.plen > best) {
			best = r.dst.plen;
			strlcpy(dev, r.dev, len);
		}
	fclose(f);
}

/*
 * The client configurations' DNS servers, each as a phone away from
 * home reaches it: this host's tunnel address, through the tunnel and
 * on from here (which takes masquerade), or outside the tunnel.
 */
static void
check_dns(struct doctor *d, const struct doctor_iface *di)
{
	struct sockaddr_storage	 to;
	socklen_t		 slen;
	const struct wgd_prefix	*a;
	const char		*trouble, *name;
	char			 s[ADDR_STRLEN], fix[DOCTOR_LINE_MAX];
	char			 dev[IFNAMSIZ];
	size_t			 i;

	/* A name that exists for sure: the one phones resolve to get here. */
	name = di->endpoint_host[0] != '\0' && !isdigit((unsigned char)
	    di->endpoint_host[0]) && strchr(di->endpoint_host, ':') == NULL ?
	    di->endpoint_host : "localhost";
	if (di->dns_tunnel) {
		check_dns_tunnel(d, di, name);
		return;
	}
	if (di->dns_auto && !d->running) {
		doctor_report(d, DOCTOR_OK, NULL, "%s: client dns auto: wgd "
		    "chooses the servers when it runs", di->name);
		return;
	}
	for (i = 0; i < di->dns.n; i++) {
		a = &di->dns.v[i];
		addr_format(a, s, sizeof(s));
		if (!in_list(&di->client_allowed, a)) {
			if (is_private(a)) {
				snprintf(fix, sizeof(fix), "client allowed-ips "
				    "with %s added, or: client dns tunnel", s);
				doctor_report(d, DOCTOR_FAIL, fix, "%s: client "
				    "dns %s is a private address outside the "
				    "client allowed-ips: away from home, a "
				    "phone cannot reach it", di->name, s);
			} else
				doctor_report(d, DOCTOR_OK, NULL, "%s: client "
				    "dns %s is reached outside the tunnel",
				    di->name, s);
			continue;
		}
		if (!is_own(di, a) && di->masquerade[0] == '\0') {
			route_dev(a, dev, sizeof(dev));
			snprintf(fix, sizeof(fix), "masquerade on \"%s\" in "
			    "wgd.conf, or: client dns tunnel",
			    dev[0] != '\0' ? dev : "IF");
			doctor_report(d, DOCTOR_FAIL, fix, "%s: client dns %s is "
			    "reached through the tunnel and on from this host, "
			    "which forwards nothing for peers without "
			    "masquerade", di->name, s);
			continue;
		}
		slen = sa_of(&to, a, 53);
		if ((trouble = dns_trouble(dns_ask(NULL, &to, slen, name))) !=
		    NULL) {
			snprintf(fix, sizeof(fix), "check that server (dig @%s "
			    "%s), or: client dns tunnel", s, name);
			doctor_report(d, DOCTOR_FAIL, fix, "%s: client dns %s "
			    "does not answer: %s", di->name, s, trouble);
		} else
			doctor_report(d, DOCTOR_OK, NULL, "%s: client dns %s "
			    "answers", di->name, s);
	}
}

void
doctor_check_iface(struct doctor *d, const struct doctor_iface *di)
{
	struct sockaddr_in	 ep;

	if (d->running)
		check_up(d, di);
	check_port(d, di);
	check_masquerade(d, di);
	check_firewall(d, di);
	if (check_endpoint(d, di, &ep))
		check_probe(d, di, &ep);
	check_overlap(d, di);
	check_dns(d, di);
}
