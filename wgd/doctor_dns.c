/*
 * wgctl doctor: the DNS servers of the client configurations, as a
 * phone away from home reaches them, and wgd's forwarder.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "dns_msg.h"
#include "doctor.h"
#include "run.h"

#define DOCTOR_DNS_MS		3000
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_REFUSED	5

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
	uint64_t		 end, now;
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
	for (end = doctor_now_ms() + DOCTOR_DNS_MS; rcode == -1 && doctor_now_ms() < end;) {
		now = doctor_now_ms();
		if (poll(&pfd, 1, now < end ? (int)(end - now) : 0) <= 0)
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
	struct doctor_route	 r;
	FILE		*f;
	int		 best = -1;

	dev[0] = '\0';
	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return;
	while (doctor_route_next_v4(f, &r))
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
void
doctor_check_dns(struct doctor *d, const struct doctor_iface *di)
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
