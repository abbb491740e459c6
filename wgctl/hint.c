/*
 * The hint wgctl show gives a peer that does not connect (SPEC's
 * "`wgctl show` layout"), from what the engine saw of its packets, in
 * words a home user can act on.  A pure function of the structs: the
 * same for the text and the JSON output, and for the unit tests.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* How long a failure that names no peer stays worth a mention. */
#define HINT_RECENT_SECS	600

/* "198.51.100.7" of an inner source, which has no port. */
static void
host_of(char *buf, size_t len, const char *from)
{
	size_t	 n;

	strlcpy(buf, from[0] == '[' ? from + 1 : from, len);
	n = strlen(buf);
	if (n >= 2 && strcmp(buf + n - 2, ":0") == 0)
		buf[n -= 2] = '\0';
	if (n >= 1 && buf[n - 1] == ']')
		buf[n - 1] = '\0';
}

/*
 * A failed handshake of the interface that names no peer, recent: a
 * peer never heard from may be its client, with an old key or conf.
 */
static const char *
unnamed(const struct ctl_iface *iface, int64_t now, char *buf, size_t len)
{
	const struct ctl_fail	*f = NULL;
	size_t			 i;

	for (i = 0; i < IFACE_FAIL_MAX; i++)
		if (iface->fails[i].when != 0 &&
		    now - iface->fails[i].when < HINT_RECENT_SECS &&
		    (f == NULL || iface->fails[i].when > f->when))
			f = &iface->fails[i];
	if (f == NULL)
		return "";
	snprintf(buf, len, " (handshakes from %s fail: %s)", f->from,
	    f == &iface->fails[IFACE_FAIL_MAC1] ?
	    "a client with another server key" :
	    "a client with a key no peer has");
	return buf;
}

int
output_hint(char *buf, size_t len, const struct ctl_iface *iface,
    const struct ctl_peer *peer, int64_t now)
{
	const struct ctl_fail	*f = NULL;
	char			 host[sizeof(f->from)], note[160];
	int64_t			 since;
	size_t			 i;
	int			 connected;

	buf[0] = '\0';
	if (peer->disabled) {
		strlcpy(buf, "disabled in wgd.conf", len);
		return 1;
	}
	/* Connected, but what it sends comes from the wrong address. */
	f = &peer->fails[PEER_FAIL_SOURCE];
	if (f->when != 0 && now - f->when < OUTPUT_CONNECTED_SECS) {
		host_of(host, sizeof(host), f->from);
		snprintf(buf, len, "it sends from %s, which is not one of its "
		    "allowed ips: its conf has another Address (scan its QR "
		    "code again)", host);
		return 1;
	}
	/* The latest failure since the last handshake says most. */
	since = peer->last_handshake;
	f = NULL;
	for (i = 0; i < IFACE_FAIL_MAX; i++)
		if (peer->iface_fails[i].when > since &&
		    (f == NULL || peer->iface_fails[i].when > f->when))
			f = &peer->iface_fails[i];
	for (i = 0; i < PEER_FAIL_MAX; i++)
		if (i != PEER_FAIL_SOURCE && peer->fails[i].when > since &&
		    (f == NULL || peer->fails[i].when > f->when))
			f = &peer->fails[i];
	if (f == &peer->iface_fails[IFACE_FAIL_MAC1])
		snprintf(buf, len, "handshakes arrive from %s but fail: the "
		    "client's conf has another server key (scan its QR code "
		    "again)", f->from);
	else if (f == &peer->iface_fails[IFACE_FAIL_UNKNOWN_KEY])
		snprintf(buf, len, "handshakes arrive from %s but fail: the "
		    "client has an old key (scan its QR code again)", f->from);
	else if (f == &peer->fails[PEER_FAIL_REPLAYED])
		snprintf(buf, len, "handshakes from %s are replayed or older "
		    "than the last one: does another device use this peer's "
		    "conf, or is its clock wrong?", f->from);
	else if (f == &peer->fails[PEER_FAIL_NO_CONFIRM])
		snprintf(buf, len, "handshakes from %s are answered, but "
		    "nothing comes back: the answers do not reach it (does "
		    "the router send them back to the port they came from?)",
		    f->from);
	else if (f == &peer->fails[PEER_FAIL_DECRYPT])
		snprintf(buf, len, "data from %s does not decrypt: restart "
		    "the tunnel on the client", f->from);
	if (buf[0] != '\0')
		return 1;
	connected = peer->last_handshake != 0 &&
	    now - peer->last_handshake < OUTPUT_CONNECTED_SECS;
	if (connected)
		return 0;
	if (peer->unresolved && peer->endpoint_host[0] != '\0') {
		snprintf(buf, len, "its endpoint name %s does not resolve: is "
		    "the name right, and does this host's DNS answer?",
		    peer->endpoint_host);
		return 1;
	}
	if (!peer->rx_any && peer->endpoint[0] != '\0')
		/* Not learned, so configured: wgd is the one calling. */
		snprintf(buf, len, "no answer from %s since wgd started: "
		    "is the peer up, and its UDP port open to this host?",
		    peer->endpoint);
	else if (!peer->rx_any && peer->client_endpoint[0] != '\0')
		snprintf(buf, len, "no packet from this peer since wgd "
		    "started: its conf sends to %s; is that this host, with "
		    "the port forwarded to UDP port %u here?%s",
		    peer->client_endpoint, iface->listen_port,
		    unnamed(iface, now, note, sizeof(note)));
	else if (!peer->rx_any)
		snprintf(buf, len, "no packet from this peer since wgd "
		    "started: is UDP port %u forwarded to this host?%s",
		    iface->listen_port, unnamed(iface, now, note,
		    sizeof(note)));
	return buf[0] != '\0';
}
