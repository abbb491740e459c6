/*
 * The system checks of wgctl doctor, one interface at a time, and the
 * ones of its own: the configuration, the port, the interface,
 * forwarding and masquerading, the tunnel subnet against the routes.
 * Each reads what the kernel shows in /proc, or asks a program that
 * lists it (nft), and is bounded in time.  Nothing here changes the
 * system.  The endpoint and the probe, the firewall and DNS have files
 * of their own.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "doctor.h"
#include "run.h"

#define DOCTOR_SOCKS_MAX	16
#define SYSCTL_IPV4_FWD		"/proc/sys/net/ipv4/ip_forward"
#define SYSCTL_IPV6_FWD		"/proc/sys/net/ipv6/conf/all/forwarding"

/*
 * Has wgd (the program at path) check file: each error it finds is a
 * FAIL, each warning a warning.  Returns what wgd -nv printed when the
 * file parses, for the caller to free; NULL when not.
 */
char *
doctor_check_conf(struct doctor *d, const char *wgd, const char *file)
{
	/* The print (-v) is read only when no wgd runs. */
	const char	*args[] = { d->running ? "-n" : "-nv", "-f", file, NULL };
	char		*out, *copy, *line, *last, fix[DOCTOR_LINE_MAX];
	int		 status, nfail = d->nfail, lineno, at;

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
	/*
	 * wgd -n's lines are "file:line: message", warnings marked; the
	 * file may be one that wgd.conf includes.
	 */
	for (line = strtok_r(copy, "\n", &last); line != NULL;
	    line = strtok_r(NULL, "\n", &last)) {
		at = 0;
		if (sscanf(line, "%*[^:]:%d: %n", &lineno, &at) != 1 || at == 0)
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
		doctor_default_dev(dev, sizeof(dev));
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

/* Whether sa is an address of one of this host's interfaces. */
int
doctor_is_local(const struct sockaddr *sa)
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

uint64_t
doctor_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
doctor_route_next_v4(FILE *f, struct doctor_route *r)
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
route_next_v6(FILE *f, struct doctor_route *r)
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
	struct doctor_route		 r;
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
		while (v6 ? route_next_v6(f, &r) : doctor_route_next_v4(f, &r)) {
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
void
doctor_default_dev(char *dev, size_t len)
{
	struct doctor_route	 r;
	FILE		*f;

	dev[0] = '\0';
	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return;
	while (doctor_route_next_v4(f, &r))
		if (r.dst.plen == 0) {
			strlcpy(dev, r.dev, len);
			break;
		}
	fclose(f);
}

void
doctor_check_iface(struct doctor *d, const struct doctor_iface *di)
{
	struct sockaddr_in	 ep;

	if (d->running)
		check_up(d, di);
	check_port(d, di);
	check_masquerade(d, di);
	doctor_check_firewall(d, di);
	if (doctor_check_endpoint(d, di, &ep))
		doctor_check_probe(d, di, &ep);
	check_overlap(d, di);
	doctor_check_dns(d, di);
}
