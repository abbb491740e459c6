/*
 * LAN access for tunnel peers (`masquerade on "IF"`) and its limits
 * (`forward-to`), in the parent.
 * Three parts, each made to match the configuration on every call:
 *
 * - Sysctls: IPv4 and IPv6 forwarding on, and accept_ra 2 on IF where it
 *   was 1 (with forwarding on, the kernel ignores router advertisements
 *   at 1 and the host would lose its IPv6 default route).  Each value
 *   wgd changes is remembered and put back when no longer wanted; one
 *   that already was as wanted is left alone, then and later.  The
 *   record is also kept in /run/wgd/sysctls, written before the change:
 *   after a kill -9 the next start takes it over, so the values put
 *   back are still those from before wgd first changed them.
 * - The nftables table "inet wgd": masquerade for what comes in from the
 *   tunnel and leaves by IF, and the forward-to limits of peers (chain
 *   guard).  It is replaced whole in one transaction (nft -f), and
 *   nothing else in nftables is ever named.
 * - Docker sets the FORWARD policy to DROP, and an accept in our table
 *   cannot overrule a drop in another table's chain on the same hook.
 *   Docker leaves its DOCKER-USER chain to the admin: where it exists
 *   (iptables or ip6tables, with the backend Docker uses too), the
 *   tunnel's traffic is accepted there by rules carrying the comment
 *   "wgd", which is how they are found again and removed, those only.
 *
 * nft and iptables are Debian's programs, run by run_prog (run.c).  The
 * parent waits for each: a few milliseconds at start, reload and
 * shutdown.  The first call at start also removes what a killed wgd
 * left (the table, our DOCKER-USER rules), even when masquerading is
 * off now.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "masq.h"
#include "run.h"
#include "statedir.h"

#define MASQ_TABLE	"wgd"			/* table inet wgd */
#define MASQ_COMMENT	"wgd"			/* on our DOCKER-USER rules */
#define MASQ_CHAIN	"DOCKER-USER"
#define MASQ_ARGS_MAX	RUN_ARGS_MAX
#define MASQ_SPEC_MAX	24			/* a rule, after the chain */
#define SYSCTL_VAL_MAX	32
#define SYSCTL_IPV4_FWD	"/proc/sys/net/ipv4/ip_forward"
#define SYSCTL_IPV6_FWD	"/proc/sys/net/ipv6/conf/all/forwarding"
#define SYSCTL_IPV6_DIR	"/proc/sys/net/ipv6/conf"
#define SYSCTL_PREFIX	"/proc/sys/net/"	/* all that wgd changes */
#define SYSCTL_RECORD	"/run/wgd/sysctls"	/* PATH OLD SET a line */
#define SYSCTL_RECORD_MAX 64			/* lines */

/* A sysctl wgd changed: what it was, and what wgd wrote. */
struct masq_sysctl {
	TAILQ_ENTRY(masq_sysctl) entry;
	char			 path[PATH_MAX];
	char			 old[SYSCTL_VAL_MAX];
	char			 set[SYSCTL_VAL_MAX];
	int			 wanted;	/* scratch, in masq_apply */
};
TAILQ_HEAD(masq_sysctls, masq_sysctl);

/*
 * The parent's record of what it changed.  It outlives any one
 * configuration, so it lives here, not in struct wgd_config.
 */
static struct {
	struct masq_sysctls	 sysctls;	/* in the order changed */
	int			 active;	/* something may be set up */
	int			 lock_fd;	/* held for life by the daemon */
	int			 nft_ok;	/* the table is as last wanted */
	int			 record_ok;	/* /run/wgd/sysctls is ours */
	uint16_t		 dns_port;	/* the DNS forwarder's */
} masq = { TAILQ_HEAD_INITIALIZER(masq.sysctls), 0, -1, 0, 0, 0 };

static int	masq_cmd(const char *, const char *const [], const char *);
static int	masq_nft(const struct wgd_config *);
static int	masq_docker(const char *, const struct wgd_config *);
static int	masq_sysctls(const struct wgd_config *);
static void	sysctl_release(void);
static void	sysctl_record_load(void);
static int	sysctl_record_save(void);

/*
 * Names go into nft's language and iptables' arguments: keep to what
 * neither reads as quoting or a wildcard ("eth*", "eth+").
 */
static int
masq_name_ok(const char *name)
{
	const char	*p;

	if (*name == '\0')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return 0;
	return 1;
}

/* Whether a peer of the interface is limited by forward-to. */
static int
guard_on(const struct wgd_iface_conf *ifc)
{
	const struct wgd_peer_conf	*peer;

	TAILQ_FOREACH(peer, &ifc->peers, entry)
		if (peer->forward_to_set)
			return 1;
	return 0;
}

/*
 * "{ a, b }" of the prefixes of family af in the lists, hosts for the
 * interface's own addresses; 0 when there is none.
 */
static int
nft_set(FILE *f, int af, const struct wgd_prefixes *l1,
    const struct wgd_prefixes *l2, const struct wgd_prefixes *hosts)
{
	const struct wgd_prefixes	*lists[3] = { l1, l2, hosts };
	char				 s[ADDR_STRLEN];
	size_t				 i, k;
	int				 n = 0;

	for (k = 0; k < 3; k++) {
		if (lists[k] == NULL)
			continue;
		for (i = 0; i < lists[k]->n; i++) {
			if (lists[k]->v[i].af != af)
				continue;
			if (k == 2)
				addr_format(&lists[k]->v[i], s, sizeof(s));
			else
				addr_format_prefix(&lists[k]->v[i], s,
				    sizeof(s));
			fprintf(f, "%s%s", n++ == 0 ? "{ " : ", ", s);
		}
	}
	if (n > 0)
		fprintf(f, " }");
	return n;
}

/*
 * forward-to: a limited peer's packets (by their source, which
 * cryptokey routing vouches for) go only to its forward-to prefixes
 * and, of this host, to the interface's own tunnel addresses.  Judged
 * in prerouting before any DNAT (mangle), so a port Docker publishes
 * on the host's LAN address counts as that address.
 */
static void
nft_guard(FILE *f, const struct wgd_iface_conf *ifc)
{
	const struct wgd_peer_conf	*peer;
	const char			*fam;
	char				*src;
	size_t				 len;
	FILE				*sf;
	int				 af, k;

	TAILQ_FOREACH(peer, &ifc->peers, entry) {
		if (!peer->forward_to_set)
			continue;
		for (k = 0; k < 2; k++) {
			af = k == 0 ? AF_INET : AF_INET6;
			fam = k == 0 ? "ip" : "ip6";
			if ((sf = open_memstream(&src, &len)) == NULL)
				fatal("%s", __func__);
			if (nft_set(sf, af, &peer->allowed_ips,
			    &peer->prov_addresses, NULL) == 0) {
				fclose(sf);
				free(src);
				continue;
			}
			if (fclose(sf) != 0)
				fatal("%s", __func__);
			fprintf(f, "\t\tiifname \"%s\" %s saddr %s", ifc->name,
			    fam, src);
			free(src);
			fprintf(f, " %s daddr != ", fam);
			if (nft_set(f, af, &peer->forward_to, NULL,
			    &ifc->addresses) == 0) {
				/* Nothing allowed: all of it goes. */
				fprintf(f, "{ %s }", k == 0 ? "0.0.0.0/0" :
				    "::/0");
			}
			fprintf(f, " counter drop comment \"peer %s: "
			    "forward-to\"\n", peer->name);
		}
	}
}

/* An interface whose port 53 goes to wgd's DNS forwarder. */
static int
dns_on(const struct wgd_iface_conf *ifc)
{
	return masq.dns_port != 0 && masq_name_ok(ifc->name) &&
	    ifc->dns_redirect;
}

/*
 * Queries to the tunnel addresses' port 53 go to the forwarder's port
 * (redirect: the destination port changes, and the address becomes
 * the interface's own, where the forwarder's sockets are bound to all
 * addresses).  In nat prerouting before Docker's DNAT (dstnat), so a
 * container publishing port 53 does not take them; only the first
 * packet of a flow is looked at, conntrack does the rest both ways.
 */
static void
nft_dns(FILE *f, const struct wgd_iface_conf *ifc)
{
	const char	*fam;
	size_t		 i;
	int		 af, k;

	for (k = 0; k < 2; k++) {
		af = k == 0 ? AF_INET : AF_INET6;
		fam = k == 0 ? "ip" : "ip6";
		for (i = 0; i < ifc->addresses.n; i++)
			if (ifc->addresses.v[i].af == af)
				break;
		if (i == ifc->addresses.n)
			continue;
		fprintf(f, "\t\tiifname \"%s\" %s daddr ", ifc->name, fam);
		(void)nft_set(f, af, NULL, NULL, &ifc->addresses);
		fprintf(f, " meta l4proto { udp, tcp } th dport 53 counter "
		    "redirect to :%u\n", masq.dns_port);
	}
}

/*
 * The forwarder's sockets listen on every address: what comes to its
 * port other than through a tunnel interface (the LAN, with a tunnel
 * client's address forged: rp_filter is loose on Debian and absent for
 * IPv6) is dropped before it.  This host's own queries come by lo:
 * wgctl doctor asks from a tunnel address, as a client would.
 */
static void
nft_dns_input(FILE *f, const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;

	fprintf(f, "\t\tmeta l4proto { udp, tcp } th dport %u iifname != { "
	    "\"lo\"", masq.dns_port);
	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		if (dns_on(ifc))
			fprintf(f, ", \"%s\"", ifc->name);
	fprintf(f, " } counter drop\n");
}

void
masq_dns_port(uint16_t port)
{
	masq.dns_port = port;
}

/* An interface that masquerades, with names masq_apply checked. */
static int
masq_on(const struct wgd_iface_conf *ifc)
{
	return ifc->masquerade[0] != '\0' && masq_name_ok(ifc->name) &&
	    masq_name_ok(ifc->masquerade);
}

/* Runs prog as masq_run; a failure is logged with what prog said. */
static int
masq_cmd(const char *prog, const char *const args[], const char *input)
{
	char	*out, *line, *last;
	int	 status;

	status = run_prog(prog, args, input, 0, &out);
	if (status > 0) {
		for (line = strtok_r(out, "\n", &last); line != NULL;
		    line = strtok_r(NULL, "\n", &last))
			log_warnx("%s: %s", prog, line);
		log_warnx("%s %s %s: exit status %d", prog, args[0],
		    args[1] != NULL ? args[1] : "", status);
	}
	free(out);
	return status == 0 ? 0 : -1;
}

/*
 * Replaces the table "inet wgd" in one transaction: made first so the
 * delete finds it, deleted, made anew (or not, when conf is NULL or
 * masquerades nothing).  Either all of it happens or none.
 */
static int
masq_nft(const struct wgd_config *conf)
{
	static const char *const args[] = { "-f", "-", NULL };
	const struct wgd_iface_conf	*ifc;
	char				 path[PATH_MAX], *text = NULL;
	size_t				 len;
	FILE				*f;
	int				 want = 0, dns_any = 0, rv;

	if (conf != NULL)
		TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
			want |= masq_on(ifc) || dns_on(ifc) ||
			    (guard_on(ifc) && masq_name_ok(ifc->name));
			dns_any |= dns_on(ifc);
		}
	if (run_which("nft", path, sizeof(path)) == -1) {
		masq.nft_ok = !want;
		if (!want)
			return 0;
		log_warnx("masquerade needs nft (Debian package nftables)");
		return -1;
	}

	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("%s", __func__);
	fprintf(f, "table inet %s\ndelete table inet %s\n", MASQ_TABLE,
	    MASQ_TABLE);
	if (want) {
		fprintf(f, "table inet %s {\n", MASQ_TABLE);
		/*
		 * Accepting here overrules no drop elsewhere (see the top):
		 * this chain counts what the tunnel forwards.
		 */
		fprintf(f, "\tchain forward {\n"
		    "\t\ttype filter hook forward priority filter; "
		    "policy accept;\n");
		TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
			if (!masq_on(ifc))
				continue;
			fprintf(f, "\t\tiifname \"%s\" counter accept\n"
			    "\t\toifname \"%s\" ct state established,related "
			    "counter accept\n", ifc->name, ifc->name);
		}
		fprintf(f, "\t}\n\tchain postrouting {\n"
		    "\t\ttype nat hook postrouting priority srcnat; "
		    "policy accept;\n");
		TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
			if (!masq_on(ifc))
				continue;
			fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" counter "
			    "masquerade\n", ifc->name, ifc->masquerade);
		}
		fprintf(f, "\t}\n\tchain guard {\n"
		    "\t\ttype filter hook prerouting priority mangle; "
		    "policy accept;\n");
		TAILQ_FOREACH(ifc, &conf->ifaces, entry)
			if (guard_on(ifc) && masq_name_ok(ifc->name))
				nft_guard(f, ifc);
		fprintf(f, "\t}\n\tchain dns {\n"
		    "\t\ttype nat hook prerouting priority dstnat - 10; "
		    "policy accept;\n");
		TAILQ_FOREACH(ifc, &conf->ifaces, entry)
			if (dns_on(ifc))
				nft_dns(f, ifc);
		fprintf(f, "\t}\n\tchain dns_input {\n"
		    "\t\ttype filter hook input priority filter; "
		    "policy accept;\n");
		if (dns_any)
			nft_dns_input(f, conf);
		fprintf(f, "\t}\n}\n");
	}
	if (fclose(f) != 0)
		fatal("%s", __func__);

	rv = masq_cmd("nft", args, text);
	masq.nft_ok = rv == 0;
	if (rv == -1)
		log_warnx("nft table inet %s: cannot %s it", MASQ_TABLE,
		    want ? "install" : "remove");
	else
		log_debug("nft table inet %s %s", MASQ_TABLE,
		    want ? "installed" : "removed");
	free(text);
	return rv;
}

/*
 * The DOCKER-USER rule for interface wg and its LAN interface lan, in
 * (0) or out (1), as iptables -S prints it after "-A DOCKER-USER".
 * Peers go to the LAN only, never to Docker's bridges; replies only go
 * out to the tunnel, as in the forward chain of our table.
 */
static void
docker_rule(const char *wg, const char *lan, int out,
    const char *spec[MASQ_ARGS_MAX])
{
	size_t	 i = 0;

	spec[i++] = out ? "-o" : "-i";
	spec[i++] = wg;
	if (!out) {
		spec[i++] = "-o";
		spec[i++] = lan;
	} else {
		spec[i++] = "-m";
		spec[i++] = "conntrack";
		spec[i++] = "--ctstate";
		spec[i++] = "RELATED,ESTABLISHED";
	}
	spec[i++] = "-m";
	spec[i++] = "comment";
	spec[i++] = "--comment";
	spec[i++] = MASQ_COMMENT;
	spec[i++] = "-j";
	spec[i++] = "ACCEPT";
	spec[i] = NULL;
}

static int
spec_equal(const char *const a[], const char *const b[])
{
	size_t	 i;

	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return a[i] == NULL && b[i] == NULL;
}

/* Is spec one of the rules conf wants? */
static int
docker_wanted(const struct wgd_config *conf, const char *const spec[])
{
	const struct wgd_iface_conf	*ifc;
	const char			*want[MASQ_ARGS_MAX];
	int				 out;

	if (conf == NULL)
		return 0;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if (!masq_on(ifc))
			continue;
		for (out = 0; out <= 1; out++) {
			docker_rule(ifc->name, ifc->masquerade, out, want);
			if (spec_equal(spec, want))
				return 1;
		}
	}
	return 0;
}

/* Runs tool -w 5 op DOCKER-USER spec... */
static int
docker_run(const char *tool, const char *op, const char *const spec[],
    int quiet)
{
	const char	*args[MASQ_ARGS_MAX + 1];
	char		*out, *line, *last;
	size_t		 i = 0, j;
	int		 status;

	args[i++] = "-w";
	args[i++] = "5";
	args[i++] = op;
	args[i++] = MASQ_CHAIN;
	for (j = 0; spec[j] != NULL && i < MASQ_ARGS_MAX; j++)
		args[i++] = spec[j];
	args[i] = NULL;
	if (quiet) {
		status = run_prog(tool, args, NULL, 1, &out);
		free(out);
		return status;
	}
	status = run_prog(tool, args, NULL, 0, &out);
	if (status > 0) {
		for (line = strtok_r(out, "\n", &last); line != NULL;
		    line = strtok_r(NULL, "\n", &last))
			log_warnx("%s: %s", tool, line);
	}
	free(out);
	return status;
}

/*
 * Makes tool's DOCKER-USER chain hold the accept rules conf wants (none
 * when conf is NULL): ours that are no longer wanted leave first, then
 * what is missing is put at the top (Docker's own chain may end in
 * RETURN).  No chain, or no iptables at all, means no Docker: nothing
 * to do.
 */
static int
masq_docker(const char *tool, const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	const char			*list[] = { "-w", "5", "-S",
					    MASQ_CHAIN, NULL };
	const char			*spec[MASQ_ARGS_MAX];
	char				 path[PATH_MAX], *out, *line, *last;
	char				*tok, *tlast;
	size_t				 n;
	int				 i, rv = 0, mine, bad;

	if (run_which(tool, path, sizeof(path)) == -1)
		return 0;
	if (run_prog(tool, list, NULL, 1, &out) != 0) {
		free(out);
		return 0;
	}

	for (line = strtok_r(out, "\n", &last); line != NULL;
	    line = strtok_r(NULL, "\n", &last)) {
		if (strncmp(line, "-A " MASQ_CHAIN " ",
		    strlen("-A " MASQ_CHAIN " ")) != 0)
			continue;
		/* A quoted argument is nobody's we made: never split it. */
		if (strchr(line, '"') != NULL || strchr(line, '\'') != NULL)
			continue;
		n = 0;
		mine = bad = 0;
		tok = strtok_r(line + strlen("-A " MASQ_CHAIN " "), " \t",
		    &tlast);
		for (; tok != NULL; tok = strtok_r(NULL, " \t", &tlast)) {
			if (n == MASQ_SPEC_MAX) {
				bad = 1;
				break;
			}
			if (n > 0 && strcmp(spec[n - 1], "--comment") == 0 &&
			    strcmp(tok, MASQ_COMMENT) == 0)
				mine = 1;
			spec[n++] = tok;
		}
		spec[n] = NULL;
		if (!mine || bad || docker_wanted(conf, spec))
			continue;
		if (docker_run(tool, "-D", spec, 0) != 0) {
			log_warnx("%s: cannot remove a rule of ours from %s",
			    tool, MASQ_CHAIN);
			rv = -1;
		} else
			log_debug("%s: rule removed from %s", tool,
			    MASQ_CHAIN);
	}
	free(out);

	if (conf == NULL)
		return rv;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if (!masq_on(ifc))
			continue;
		for (i = 1; i >= 0; i--) {
			docker_rule(ifc->name, ifc->masquerade, i, spec);
			if (docker_run(tool, "-C", spec, 1) == 0)
				continue;
			if (docker_run(tool, "-I", spec, 0) != 0) {
				log_warnx("%s: cannot accept %s's traffic in "
				    "%s", tool, ifc->name, MASQ_CHAIN);
				rv = -1;
			} else
				log_info("%s: %s's traffic accepted in %s",
				    tool, ifc->name, MASQ_CHAIN);
		}
	}
	return rv;
}

/* A sysctl's value, without its newline; -1 (errno set) if none. */
static int
sysctl_read(const char *path, char *val, size_t len)
{
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, val, len - 1);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	val[n] = '\0';
	while (n > 0 && (val[n - 1] == '\n' || val[n - 1] == ' ' ||
	    val[n - 1] == '\t'))
		val[--n] = '\0';
	return 0;
}

static int
sysctl_write(const char *path, const char *val)
{
	char	 buf[SYSCTL_VAL_MAX + 1];
	int	 fd, n, saved;

	n = snprintf(buf, sizeof(buf), "%s\n", val);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	if (write(fd, buf, (size_t)n) != n) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

static struct masq_sysctl *
sysctl_find(const char *path)
{
	struct masq_sysctl	*s;

	TAILQ_FOREACH(s, &masq.sysctls, entry)
		if (strcmp(s->path, path) == 0)
			return s;
	return NULL;
}

/*
 * Wants path at val.  When wgd changes it, the value it had is
 * remembered; a later change by someone else is overwritten, but the
 * value from before wgd stays the one put back.
 */
static int
sysctl_want(const char *path, const char *val)
{
	struct masq_sysctl	*s;
	char			 cur[SYSCTL_VAL_MAX];
	int			 created = 0, unrecorded = 0;

	if (sysctl_read(path, cur, sizeof(cur)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if ((s = sysctl_find(path)) != NULL)
		s->wanted = 1;
	if (strcmp(cur, val) == 0)
		return 0;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		strlcpy(s->path, path, sizeof(s->path));
		strlcpy(s->old, cur, sizeof(s->old));
		strlcpy(s->set, val, sizeof(s->set));
		s->wanted = 1;
		TAILQ_INSERT_TAIL(&masq.sysctls, s, entry);
		created = 1;
		/* Recorded first: a kill -9 must not lose the old value. */
		unrecorded = sysctl_record_save() == -1 && !masq.record_ok;
	}
	if (sysctl_write(path, val) == -1) {
		log_warn("%s: cannot set %s", path, val);
		if (created) {
			TAILQ_REMOVE(&masq.sysctls, s, entry);
			free(s);
			(void)sysctl_record_save();
		}
		return -1;
	}
	log_info("%s: %s (was %s)", path, val, cur);
	if (unrecorded)
		log_warnx("%s: %s is not recorded (see above): after a crash "
		    "it stays %s", path, cur, val);
	return 0;
}

/*
 * Puts back, newest first, each sysctl no longer wanted, unless someone
 * else has changed it since: then theirs stays.
 */
static void
sysctl_release(void)
{
	struct masq_sysctl	*s, *prev;
	char			 cur[SYSCTL_VAL_MAX];
	int			 released = 0;

	for (s = TAILQ_LAST(&masq.sysctls, masq_sysctls); s != NULL;
	    s = prev) {
		prev = TAILQ_PREV(s, masq_sysctls, entry);
		if (s->wanted)
			continue;
		released = 1;
		if (sysctl_read(s->path, cur, sizeof(cur)) == -1) {
			if (errno != ENOENT)
				log_warn("%s", s->path);
		} else if (strcmp(cur, s->set) != 0)
			log_info("%s: left at %s, set since wgd set it",
			    s->path, cur);
		else if (sysctl_write(s->path, s->old) == -1)
			log_warn("%s: cannot put back %s", s->path, s->old);
		else
			log_info("%s: %s again", s->path, s->old);
		TAILQ_REMOVE(&masq.sysctls, s, entry);
		free(s);
	}
	if (released)
		(void)sysctl_record_save();
}

static const char *
sysctl_record_path(void)
{
	const char	*p = getenv("WGD_TEST_SYSCTL_RECORD");

	return p != NULL && *p == '/' ? p : SYSCTL_RECORD;
}

/*
 * The record's folder into dir; returns the record's name within it,
 * or NULL for a path with no folder.
 */
static const char *
record_dir(char *dir, size_t len)
{
	char	*slash;

	strlcpy(dir, sysctl_record_path(), len);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return NULL;
	*slash = '\0';
	return sysctl_record_path() + (slash - dir) + 1;
}

/* A record's word: a sysctl path of ours, or a value. */
static int
record_word_ok(const char *w, int is_path)
{
	const char	*p;

	if (*w == '\0')
		return 0;
	if (is_path && (strncmp(w, SYSCTL_PREFIX, strlen(SYSCTL_PREFIX)) !=
	    0 || strstr(w, "/..") != NULL))
		return 0;
	for (p = w; *p != '\0'; p++)
		if (*p < '!' || *p > '~')
			return 0;
	return 1;
}

/*
 * Takes over the record a killed wgd left: its values from before are
 * the ones to put back.  A record that does not read is left as it is,
 * for the admin, and not written again by this wgd.
 */
static void
sysctl_record_load(void)
{
	struct masq_sysctl	*s;
	const char		*path = sysctl_record_path();
	char			 line[PATH_MAX + 2 * SYSCTL_VAL_MAX + 8];
	char			*w[3], *last;
	FILE			*fp;
	int			 n = 0, i;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT) {
			log_warn("%s", path);
			return;
		}
		masq.record_ok = 1;
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (++n > SYSCTL_RECORD_MAX || strchr(line, '\n') == NULL)
			goto bad;
		w[0] = strtok_r(line, " \n", &last);
		for (i = 1; i < 3; i++)
			w[i] = strtok_r(NULL, " \n", &last);
		if (w[2] == NULL || strtok_r(NULL, " \n", &last) != NULL ||
		    !record_word_ok(w[0], 1) || !record_word_ok(w[1], 0) ||
		    !record_word_ok(w[2], 0) ||
		    strlen(w[0]) >= sizeof(s->path) ||
		    strlen(w[1]) >= sizeof(s->old) ||
		    strlen(w[2]) >= sizeof(s->set) || sysctl_find(w[0]) != NULL)
			goto bad;
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		strlcpy(s->path, w[0], sizeof(s->path));
		strlcpy(s->old, w[1], sizeof(s->old));
		strlcpy(s->set, w[2], sizeof(s->set));
		TAILQ_INSERT_TAIL(&masq.sysctls, s, entry);
		log_info("%s: %s before wgd set it to %s, as an earlier wgd "
		    "recorded in %s", s->path, s->old, s->set, path);
	}
	if (ferror(fp)) {
		log_warn("%s", path);
		goto drop;
	}
	fclose(fp);
	masq.record_ok = 1;
	return;
bad:
	log_warnx("%s:%d: not a record of wgd's: left alone; the sysctls "
	    "it names are not put back", path, n);
drop:
	fclose(fp);
	while ((s = TAILQ_FIRST(&masq.sysctls)) != NULL) {
		TAILQ_REMOVE(&masq.sysctls, s, entry);
		free(s);
	}
}

/* Writes the record anew, or removes it when nothing is left to undo. */
static int
sysctl_record_save(void)
{
	struct masq_sysctl	*s;
	const char		*path = sysctl_record_path(), *name;
	char			 dir[PATH_MAX], *text = NULL;
	size_t			 len = 0;
	FILE			*f;
	int			 rv;

	if (!masq.record_ok || (name = record_dir(dir, sizeof(dir))) == NULL)
		return -1;
	if (TAILQ_EMPTY(&masq.sysctls)) {
		if (unlink(path) == -1 && errno != ENOENT) {
			log_warn("%s", path);
			return -1;
		}
		return 0;
	}
	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("%s", __func__);
	TAILQ_FOREACH(s, &masq.sysctls, entry)
		fprintf(f, "%s %s %s\n", s->path, s->old, s->set);
	if (fclose(f) != 0)
		fatal("%s", __func__);
	rv = statedir_mkdir(dir) == 0 &&
	    statedir_write(dir, name, text, len) == 0 ? 0 : -1;
	if (rv == -1)
		log_warnx("%s: cannot record the sysctls wgd changed: after "
		    "a crash they stay as wgd set them", path);
	free(text);
	return rv;
}

/*
 * Router advertisements first, forwarding after: RAs on IF never go
 * unheard.  Putting back runs newest first, the other way round.
 */
static int
masq_sysctls(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	struct masq_sysctl		*s;
	char				 path[PATH_MAX], cur[SYSCTL_VAL_MAX];
	int				 ipv6, rv = 0, masq_any = 0;

	TAILQ_FOREACH(s, &masq.sysctls, entry)
		s->wanted = 0;
	ipv6 = access(SYSCTL_IPV6_FWD, F_OK) == 0;
	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if (!masq_on(ifc))
			continue;
		masq_any = 1;
		if (if_nametoindex(ifc->masquerade) == 0)
			log_warnx("masquerade on %s: no such interface (yet)",
			    ifc->masquerade);
		if (!ipv6)
			continue;
		snprintf(path, sizeof(path), "%s/%s/accept_ra",
		    SYSCTL_IPV6_DIR, ifc->masquerade);
		/* 2 where it was 1: an admin's 0 means no RAs at all. */
		if (sysctl_find(path) != NULL || (sysctl_read(path, cur,
		    sizeof(cur)) == 0 && strcmp(cur, "1") == 0)) {
			if (sysctl_want(path, "2") == -1)
				rv = -1;
		}
	}
	/* forward-to alone forwards nothing new: routing is the admin's. */
	if (masq_any && sysctl_want(SYSCTL_IPV4_FWD, "1") == -1)
		rv = -1;
	if (masq_any && ipv6 && sysctl_want(SYSCTL_IPV6_FWD, "1") == -1)
		rv = -1;
	sysctl_release();
	return rv;
}

/* Whether conf limits a peer with forward-to and nft refused it. */
int
masq_guard_failed(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry)
		if (guard_on(ifc))
			return !masq.nft_ok;
	return 0;
}

int
masq_guard_possible(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	char				 path[PATH_MAX];
	int				 rv = 0, want = 0;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if (!guard_on(ifc))
			continue;
		want = 1;
		if (!masq_name_ok(ifc->name)) {
			log_warnx("interface %s: forward-to cannot be enforced: "
			    "only letters, digits, '-', '_' and '.' can go "
			    "into firewall rules", ifc->name);
			rv = -1;
		}
	}
	if (want && run_which("nft", path, sizeof(path)) == -1) {
		log_warnx("forward-to cannot be enforced without nft (Debian "
		    "package nftables)");
		rv = -1;
	}
	return rv;
}

int
masq_apply(const struct wgd_config *conf)
{
	const struct wgd_iface_conf	*ifc;
	int				 want = 0, rv = 0;

	TAILQ_FOREACH(ifc, &conf->ifaces, entry) {
		if (dns_on(ifc))
			want = 1;
		else if (masq.dns_port != 0 && ifc->dns_redirect) {
			log_warnx("interface %s: DNS through the tunnel: only "
			    "letters, digits, '-', '_' and '.' can go into "
			    "firewall rules", ifc->name);
			rv = -1;
		}
		if (guard_on(ifc)) {
			if (!masq_name_ok(ifc->name)) {
				log_warnx("interface %s: forward-to: only "
				    "letters, digits, '-', '_' and '.' can go "
				    "into firewall rules", ifc->name);
				rv = -1;
			} else
				want = 1;
		}
		if (ifc->masquerade[0] == '\0')
			continue;
		if (!masq_on(ifc)) {
			log_warnx("interface %s: masquerade on %s: only "
			    "letters, digits, '-', '_' and '.' can go into "
			    "firewall rules", ifc->name, ifc->masquerade);
			rv = -1;
			continue;
		}
		want = 1;
	}
	if (!want) {
		masq_teardown();
		return rv;
	}

	/* The rules before forwarding, so nothing leaves un-NATed. */
	masq.active = 1;
	if (masq_nft(conf) == -1)
		rv = -1;
	if (masq_docker("iptables", conf) == -1)
		rv = -1;
	if (masq_docker("ip6tables", conf) == -1)
		rv = -1;
	if (masq_sysctls(conf) == -1)
		rv = -1;
	return rv;
}

/*
 * What a wgd killed before its teardown left is taken over: its record
 * of the sysctls, and the table and rules, removed at the next
 * masq_apply when not wanted.  Only by the daemon that holds the lock
 * beside the record (a second one, or wgd IFNAME, must not undo the
 * first's), and only once.
 */
void
masq_takeover(void)
{
	char		 dir[PATH_MAX], lock[PATH_MAX];

	if (masq.lock_fd != -1 || record_dir(dir, sizeof(dir)) == NULL)
		return;
	if ((size_t)snprintf(lock, sizeof(lock), "%s/lock", dir) >=
	    sizeof(lock) || statedir_mkdir(dir) == -1)
		return;
	if ((masq.lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", lock);
		return;
	}
	if (flock(masq.lock_fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("%s is held by another wgd: what it set up for "
		    "masquerade is left to it", lock);
		close(masq.lock_fd);
		masq.lock_fd = -1;
		return;
	}
	masq.active = 1;
	sysctl_record_load();
}

void
masq_teardown(void)
{
	struct masq_sysctl	*s;

	if (!masq.active)
		return;
	/* Cleared first: a fatal() on the way does not come back here. */
	masq.active = 0;
	/* Forwarding off first, then the rules. */
	TAILQ_FOREACH(s, &masq.sysctls, entry)
		s->wanted = 0;
	sysctl_release();
	(void)masq_nft(NULL);
	(void)masq_docker("iptables", NULL);
	(void)masq_docker("ip6tables", NULL);
}
