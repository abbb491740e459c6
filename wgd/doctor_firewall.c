/*
 * wgctl doctor: what the firewall does to WireGuard's packets, read by
 * doctor_fw.c from what nft and iptables-save list.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "doctor_fw.h"
#include "run.h"

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
	int		 legacy = 0, ok = 0;

	if ((fw = fw_new()) == NULL)
		return NULL;
	/*
	 * Its standard error too: "# Warning: table ip filter is managed by
	 * iptables-nft" says whose a table is.  A listing that fails makes
	 * the whole unknown: half the rules could say "ok" wrongly.
	 */
	if (run_which("nft", path, sizeof(path)) == 0) {
		if (run_prog("nft", nft, NULL, 0, &out) == 0)
			ok = fw_parse_nft(fw, out) == 0;
		free(out);
	} else if (run_which("iptables-nft-save", path, sizeof(path)) == 0) {
		/* No nft: iptables-nft's rules (Docker's) through it. */
		if (run_prog("iptables-nft-save", none, NULL, 1, &out) == 0)
			ok = fw_parse_iptables(fw, out, 0) == 0;
		free(out);
	}
	if ((f = fopen("/proc/net/ip_tables_names", "re")) != NULL) {
		legacy = fgets(names, sizeof(names), f) != NULL;
		fclose(f);
	}
	if (ok && legacy && run_which("iptables-legacy-save", path,
	    sizeof(path)) == 0) {
		ok = run_prog("iptables-legacy-save", none, NULL, 1, &out) ==
		    0 && fw_parse_iptables(fw, out, 1) == 0;
		free(out);
	}
	if (!ok) {
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

	/* nft's "redirect to :P", iptables' "REDIRECT --to-ports P" */
	if (strncmp(to, "this host:", 10) == 0)
		return strtoul(to + 10, NULL, 10) == port;
	if (strspn(to, "0123456789") == strlen(to) && to[0] != '\0')
		return strtoul(to, NULL, 10) == port;
	/* "ADDRESS": the port unchanged */
	if ((colon = strchr(to, ':')) == NULL)
		colon = to + strlen(to);
	else if (strtoul(colon + 1, NULL, 10) != port)
		return 0;
	if ((len = (size_t)(colon - to)) >= sizeof(host))
		return 0;
	memcpy(host, to, len);
	host[len] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	return inet_pton(AF_INET, host, &sin.sin_addr) == 1 &&
	    doctor_is_local((struct sockaddr *)&sin);
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
void
doctor_check_firewall(struct doctor *d, const struct doctor_iface *di)
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
	doctor_default_dev(dev, sizeof(dev));

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
