/*
 * wgctl doctor, wgctl's part: the peers, from what wgctl show reads,
 * and, when no wgd runs, the system checks run here on what wgd -nv
 * prints of the file.  wgctl has no configuration parser: wgd checks
 * the file, and its canonical print is all that is read of it.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "doctor.h"
#include "key.h"
#include "log.h"
#include "output.h"
#include "run.h"

static void
print_line(void *arg, const char *line)
{
	fprintf(arg, "%s\n", line);
}

static void
doctor_head(struct output_ctx *ctx)
{
	(void)ctx;
}

static void
doctor_iface(struct output_ctx *ctx, const struct ctl_iface *iface)
{
	ctx->iface = *iface;
}

/*
 * A peer is ok when connected or disabled on purpose; else a warning (a
 * phone may just be off), with the hint as what to look at.
 */
static void
doctor_peer(struct output_ctx *ctx, const struct ctl_peer *peer,
    const struct wgd_prefix *aips, size_t naips)
{
	struct doctor	 d;
	char		 name[WG_KEY_LEN_BASE64 + 16], ago[128], hint[512];
	const char	*fix;

	(void)aips;
	(void)naips;
	memset(&d, 0, sizeof(d));
	d.line = print_line;
	d.arg = ctx->f;
	if (peer->runtime) {
		key_to_base64(name, peer->pubkey);
		strlcat(name, " (runtime)", sizeof(name));
	} else
		strlcpy(name, peer->name, sizeof(name));
	if (peer->last_handshake != 0)
		output_ago(ago, sizeof(ago), ctx->now, peer->last_handshake);
	if (peer->disabled) {
		doctor_report(&d, DOCTOR_OK, NULL, "%s: peer %s: disabled in "
		    "wgd.conf", ctx->iface.name, name);
		return;
	}
	if (peer->last_handshake != 0 &&
	    ctx->now - peer->last_handshake < OUTPUT_CONNECTED_SECS &&
	    !output_hint(hint, sizeof(hint), &ctx->iface, peer, ctx->now)) {
		doctor_report(&d, DOCTOR_OK, NULL, "%s: peer %s: connected, "
		    "latest handshake: %s", ctx->iface.name, name, ago);
		return;
	}
	if (output_hint(hint, sizeof(hint), &ctx->iface, peer, ctx->now))
		fix = hint;
	else
		fix = "wgd sees nothing wrong: is the client on, with its "
		    "tunnel active?";
	if (peer->last_handshake != 0)
		doctor_report(&d, DOCTOR_WARN, fix, "%s: peer %s: latest "
		    "handshake: %s", ctx->iface.name, name, ago);
	else
		doctor_report(&d, DOCTOR_WARN, fix, "%s: peer %s: no handshake "
		    "since wgd started", ctx->iface.name, name);
}

static void
doctor_tail(struct output_ctx *ctx)
{
	(void)ctx;
}

const struct output output_doctor = {
	doctor_head, doctor_iface, doctor_peer, doctor_tail
};

/* A quoted word of wgd -nv's print: "NAME" into buf. */
static int
quoted(const char *s, char *buf, size_t len)
{
	const char	*end;

	if (*s++ != '"' || (end = strchr(s, '"')) == NULL ||
	    (size_t)(end - s) >= len)
		return -1;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	return 0;
}

/* "A" or "{ A, B }" of wgd -nv's print. */
static int
prefix_list(char *s, struct wgd_prefixes *l, int bare)
{
	struct wgd_prefix	 p;
	char			*w, *last;

	for (w = strtok_r(s, "{}, ", &last); w != NULL;
	    w = strtok_r(NULL, "{}, ", &last)) {
		if ((bare ? addr_parse(w, &p) : addr_parse_prefix(w, &p)) ==
		    -1 || prefixes_add(l, &p) == -1)
			return -1;
	}
	return 0;
}

/*
 * The interfaces of wgd -nv's print: the lines of an interface block
 * that start with one tab (a peer's own start with two).
 */
static int
read_print(char *text, struct doctor_iface **ifacesp, size_t *np)
{
	struct doctor_iface	*ifaces = NULL, *di = NULL;
	char			*line, *last, host[WGD_HOST_MAX + 1];
	unsigned int		 port;
	size_t			 n = 0;
	int			 rv = 0;

	for (line = strtok_r(text, "\n", &last); line != NULL && rv == 0;
	    line = strtok_r(NULL, "\n", &last)) {
		if (strncmp(line, "interface ", 10) == 0) {
			if ((ifaces = reallocarray(ifaces, n + 1,
			    sizeof(*ifaces))) == NULL)
				err(1, NULL);
			di = &ifaces[n++];
			memset(di, 0, sizeof(*di));
			rv = quoted(line + 10, di->name, sizeof(di->name));
		} else if (di == NULL || line[0] != '\t' || line[1] == '\t')
			continue;
		else if (sscanf(line, "\tlisten-port %u", &port) == 1)
			di->listen_port = (uint16_t)port;
		else if (strncmp(line, "\taddress ", 9) == 0)
			rv = prefix_list(line + 9, &di->addresses, 0);
		else if (strncmp(line, "\tmasquerade on ", 15) == 0)
			rv = quoted(line + 15, di->masquerade,
			    sizeof(di->masquerade));
		else if (strncmp(line, "\tclient endpoint ", 17) == 0) {
			rv = quoted(line + 17, host, sizeof(host));
			if (rv == 0 && sscanf(strchr(line + 18, '"'),
			    "\" port %u", &port) == 1) {
				strlcpy(di->endpoint_host, host,
				    sizeof(di->endpoint_host));
				di->endpoint_port = (uint16_t)port;
			} else
				rv = -1;
		} else if (strcmp(line, "\tclient dns auto") == 0)
			di->dns_auto = 1;
		else if (strcmp(line, "\tclient dns tunnel") == 0)
			di->dns_tunnel = 1;
		else if (strncmp(line, "\tclient dns ", 12) == 0)
			rv = prefix_list(line + 12, &di->dns, 1);
		else if (strncmp(line, "\tclient allowed-ips ", 20) == 0)
			rv = prefix_list(line + 20, &di->client_allowed, 0);
	}
	*ifacesp = ifaces;
	*np = n;
	return rv;
}

/*
 * wgd is not running: say so, have wgd check the file, and run the
 * checks that need no daemon on what it printed.
 */
int
doctor_offline(const char *sockpath, const char *file, const char *ifname)
{
	const char		*wgd;
	struct doctor		 d;
	struct doctor_iface	*ifaces = NULL;
	char			*out;
	size_t			 n = 0, i;
	int			 found = 0;

	memset(&d, 0, sizeof(d));
	d.line = print_line;
	d.arg = stdout;
	log_init(1, 0);
	doctor_report(&d, DOCTOR_FAIL, "systemctl start wgd (wgd -d shows "
	    "why it stops)", "wgd is not running: no control socket at %s",
	    sockpath);

	/* Tests run the wgd they built, not one installed. */
	if ((wgd = getenv("WGD_TEST_WGD")) == NULL)
		wgd = "wgd";
	if ((out = doctor_check_conf(&d, wgd, file)) == NULL)
		return 1;
	if (read_print(out, &ifaces, &n) == -1)
		errx(1, "cannot read what wgd -nv printed of %s", file);
	free(out);
	for (i = 0; i < n; i++) {
		if (ifname != NULL && strcmp(ifname, ifaces[i].name) != 0)
			continue;
		found = 1;
		doctor_check_iface(&d, &ifaces[i]);
	}
	for (i = 0; i < n; i++)
		doctor_iface_free(&ifaces[i]);
	free(ifaces);
	if (ifname != NULL && !found)
		doctor_report(&d, DOCTOR_FAIL, "wgctl doctor without an "
		    "interface checks them all", "%s has no interface named "
		    "\"%s\"", file, ifname);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 1;
}
