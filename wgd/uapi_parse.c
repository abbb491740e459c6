/*
 * One line of a userspace API set request, parsed into an operation
 * with the checks and errno values of wireguard-go's device/uapi.go:
 * every syntax and range error is found here, so that the engine,
 * given only valid operations, can apply a request whole or not at all.
 *
 * No I/O and no state but the parser's (an endpoint's IPv6 zone name
 * is looked up): the unit tests drive it directly.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ifname.h"
#include "uapi.h"

void
uapi_parser_init(struct uapi_parser *p)
{
	memset(p, 0, sizeof(*p));
}

/* Decimal digits only, as Go's strconv.ParseUint(s, 10, bits). */
static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* 64 hex digits, either case. */
static int
parse_key(const char *s, uint8_t key[WG_KEY_LEN])
{
	size_t	 len;

	if (strlen(s) != 2 * WG_KEY_LEN ||
	    sodium_hex2bin(key, WG_KEY_LEN, s, 2 * WG_KEY_LEN, NULL, &len,
	    NULL) != 0 || len != WG_KEY_LEN)
		return -1;
	return 0;
}

static int
parse_true(const char *s)
{
	return strcmp(s, "true") == 0 ? 0 : -1;
}

/*
 * An IP literal and a port: 192.0.2.1:51820 or [2001:db8::1]:51820.
 * No names: wg(8) resolves them before it sends.
 */
static int
parse_endpoint(char *s, struct uapi_endpoint *ep)
{
	char		*colon, *host = s, *zone;
	uint32_t	 port;

	memset(ep, 0, sizeof(*ep));
	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (parse_uint(colon + 1, 65535, &port) == -1)
		return -1;
	if (host[0] == '[') {
		size_t	 n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return -1;
		host[n - 1] = '\0';
		host++;
		/* fe80::1%eth0, as wg(8) writes a link-local endpoint. */
		if ((zone = strchr(host, '%')) != NULL) {
			*zone++ = '\0';
			if (parse_uint(zone, UINT32_MAX, &ep->scope) == -1 &&
			    (ep->scope = ifname_index(zone)) == 0)
				return -1;
			if (ep->scope == 0)
				return -1;
		}
		if (inet_pton(AF_INET6, host, ep->addr) != 1)
			return -1;
		ep->af = AF_INET6;
	} else if (inet_pton(AF_INET, host, ep->addr) == 1)
		ep->af = AF_INET;
	else
		return -1;
	ep->port = (uint16_t)port;
	return 0;
}

/* ADDRESS/LENGTH, the length required; host bits are cleared. */
static int
parse_prefix(const char *s, struct wgd_prefix *pfx)
{
	if (strchr(s, '/') == NULL || addr_parse_prefix(s, pfx) == -1)
		return -1;
	addr_mask(pfx);
	return 0;
}

/*
 * Parses one line (its newline already gone) of a set request.
 * Returns 1 with *op filled, 0 for a valid line with nothing to do
 * (protocol_version=1), or a negative errno: -EPROTO for a line without
 * "=", -EINVAL for anything else wrong.  The line is modified.
 */
int
uapi_parse_line(struct uapi_parser *p, char *line, struct uapi_op *op)
{
	char		*key = line, *value;
	uint32_t	 num;

	memset(op, 0, sizeof(*op));
	if ((value = strchr(line, '=')) == NULL)
		return -UAPI_EPROTO;
	*value++ = '\0';

	if (!p->in_peer) {
		if (strcmp(key, "private_key") == 0) {
			op->kind = UOP_PRIVATE_KEY;
			return parse_key(value, op->u.key) == 0 ? 1 :
			    -UAPI_EINVAL;
		}
		if (strcmp(key, "listen_port") == 0 ||
		    strcmp(key, "fwmark") == 0) {
			op->kind = key[0] == 'l' ? UOP_LISTEN_PORT : UOP_FWMARK;
			if (parse_uint(value, op->kind == UOP_LISTEN_PORT ?
			    65535 : UINT32_MAX, &num) == -1)
				return -UAPI_EINVAL;
			op->num = num;
			return 1;
		}
		if (strcmp(key, "replace_peers") == 0) {
			op->kind = UOP_REPLACE_PEERS;
			return parse_true(value) == 0 ? 1 : -UAPI_EINVAL;
		}
	}
	if (strcmp(key, "public_key") == 0) {
		p->in_peer = 1;
		op->kind = UOP_PUBLIC_KEY;
		return parse_key(value, op->u.key) == 0 ? 1 : -UAPI_EINVAL;
	}
	if (!p->in_peer)
		return -UAPI_EINVAL;

	if (strcmp(key, "update_only") == 0 || strcmp(key, "remove") == 0 ||
	    strcmp(key, "replace_allowed_ips") == 0) {
		op->kind = key[0] == 'u' ? UOP_UPDATE_ONLY : key[2] == 'm' ?
		    UOP_REMOVE : UOP_REPLACE_ALLOWED_IPS;
		return parse_true(value) == 0 ? 1 : -UAPI_EINVAL;
	}
	if (strcmp(key, "preshared_key") == 0) {
		op->kind = UOP_PRESHARED_KEY;
		return parse_key(value, op->u.key) == 0 ? 1 : -UAPI_EINVAL;
	}
	if (strcmp(key, "endpoint") == 0) {
		op->kind = UOP_ENDPOINT;
		return parse_endpoint(value, &op->u.ep) == 0 ? 1 :
		    -UAPI_EINVAL;
	}
	if (strcmp(key, "persistent_keepalive_interval") == 0) {
		op->kind = UOP_KEEPALIVE;
		if (parse_uint(value, 65535, &num) == -1)
			return -UAPI_EINVAL;
		op->num = num;
		return 1;
	}
	if (strcmp(key, "allowed_ip") == 0) {
		op->kind = UOP_ALLOWED_IP;
		if (value[0] == '-') {
			op->kind = UOP_REMOVE_ALLOWED_IP;
			value++;
		}
		return parse_prefix(value, &op->u.pfx) == 0 ? 1 :
		    -UAPI_EINVAL;
	}
	if (strcmp(key, "protocol_version") == 0)
		return strcmp(value, "1") == 0 ? 0 : -UAPI_EINVAL;
	return -UAPI_EINVAL;
}

/*
 * Whether an operation could have come from uapi_parse_line: the
 * engine checks what control sends it.
 */
int
uapi_op_valid(const struct uapi_op *op)
{
	const struct wgd_prefix	*pfx = &op->u.pfx;

	switch (op->kind) {
	case UOP_LISTEN_PORT:
	case UOP_KEEPALIVE:
		return op->num <= 65535;
	case UOP_ENDPOINT:
		return op->u.ep.af == AF_INET || op->u.ep.af == AF_INET6;
	case UOP_ALLOWED_IP:
	case UOP_REMOVE_ALLOWED_IP:
		return (pfx->af == AF_INET || pfx->af == AF_INET6) &&
		    pfx->plen <= addr_maxlen(pfx->af) && addr_is_masked(pfx);
	default:
		return op->kind < UOP_MAX;
	}
}
