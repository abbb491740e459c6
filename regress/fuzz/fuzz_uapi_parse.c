/*
 * The userspace API's request reader (wgd/uapi_parse.c) on any bytes
 * a client sends: lines as control's connection reads them (uapi.c's
 * states: get=1 or set=1, then lines up to an empty one).  Each line
 * of a set parses into an operation or a wg(8) errno; an operation
 * must be one the engine takes (uapi_op_valid), and written out again
 * as wg(8) would write it, it must parse into the same operation.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "fuzz.h"
#include "ifname.h"
#include "uapi.h"

enum state {
	IDLE,
	GET,
	SET,
	DISCARD
};

/* The line wg(8) would send for op, in a peer when in_peer. */
static void
format_op(const struct uapi_op *op, char *buf, size_t len)
{
	char	 hex[2 * WG_KEY_LEN + 1], addr[ADDR_STRLEN];

	switch (op->kind) {
	case UOP_PRIVATE_KEY:
	case UOP_PUBLIC_KEY:
	case UOP_PRESHARED_KEY:
		sodium_bin2hex(hex, sizeof(hex), op->u.key, WG_KEY_LEN);
		snprintf(buf, len, "%s=%s", op->kind == UOP_PRIVATE_KEY ?
		    "private_key" : op->kind == UOP_PUBLIC_KEY ?
		    "public_key" : "preshared_key", hex);
		break;
	case UOP_LISTEN_PORT:
		snprintf(buf, len, "listen_port=%u", op->num);
		break;
	case UOP_FWMARK:
		snprintf(buf, len, "fwmark=%u", op->num);
		break;
	case UOP_KEEPALIVE:
		snprintf(buf, len, "persistent_keepalive_interval=%u", op->num);
		break;
	case UOP_REPLACE_PEERS:
		snprintf(buf, len, "replace_peers=true");
		break;
	case UOP_UPDATE_ONLY:
		snprintf(buf, len, "update_only=true");
		break;
	case UOP_REMOVE:
		snprintf(buf, len, "remove=true");
		break;
	case UOP_REPLACE_ALLOWED_IPS:
		snprintf(buf, len, "replace_allowed_ips=true");
		break;
	case UOP_ENDPOINT:
		FUZZ_CHECK(inet_ntop(op->u.ep.af, op->u.ep.addr, addr,
		    sizeof(addr)) != NULL);
		if (op->u.ep.af == AF_INET)
			snprintf(buf, len, "endpoint=%s:%u", addr,
			    op->u.ep.port);
		else if (op->u.ep.scope != 0)
			snprintf(buf, len, "endpoint=[%s%%%u]:%u", addr,
			    op->u.ep.scope, op->u.ep.port);
		else
			snprintf(buf, len, "endpoint=[%s]:%u", addr,
			    op->u.ep.port);
		break;
	case UOP_ALLOWED_IP:
	case UOP_REMOVE_ALLOWED_IP:
		addr_format_prefix(&op->u.pfx, addr, sizeof(addr));
		snprintf(buf, len, "allowed_ip=%s%s",
		    op->kind == UOP_REMOVE_ALLOWED_IP ? "-" : "", addr);
		break;
	default:
		FUZZ_CHECK(!"an operation of no kind");
	}
}

/* One line of a set; -1 when it fails the set. */
static int
set_line(struct uapi_parser *p, char *line)
{
	struct uapi_parser	 again;
	struct uapi_op		 op, op2;
	char			 buf[256];
	int			 r, in_peer = p->in_peer;

	r = uapi_parse_line(p, line, &op);
	FUZZ_CHECK(r == 0 || r == 1 || r == -UAPI_EPROTO ||
	    r == -UAPI_EINVAL);
	if (r != 1)
		return r < 0 ? -1 : 0;
	FUZZ_CHECK(uapi_op_valid(&op));
	/* Device keys before the first peer, peer keys after it. */
	FUZZ_CHECK(in_peer ? op.kind >= UOP_PUBLIC_KEY :
	    op.kind <= UOP_PUBLIC_KEY);
	FUZZ_CHECK(p->in_peer == (in_peer || op.kind == UOP_PUBLIC_KEY));

	format_op(&op, buf, sizeof(buf));
	uapi_parser_init(&again);
	again.in_peer = in_peer;
	FUZZ_CHECK(uapi_parse_line(&again, buf, &op2) == 1);
	FUZZ_CHECK(op2.kind == op.kind && op2.num == op.num);
	FUZZ_CHECK(memcmp(&op2.u, &op.u, sizeof(op.u)) == 0);
	sodium_memzero(&op, sizeof(op));
	sodium_memzero(&op2, sizeof(op2));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 sv[2] = { -1, -1 };
	struct uapi_parser	 p;
	enum state		 st = IDLE;
	char			*buf, *line, *next;
	size_t			 n;

	/* A zone's name is looked up as control does: through a socket. */
	if (sv[0] == -1) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == -1)
			abort();
		close(sv[1]);
		ifname_init(sv[0]);
	}
	buf = fuzz_strdup(data, len);
	uapi_parser_init(&p);
	/* Lines up to UAPI_LINE_MAX, as control reads them; a NUL ends. */
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			break;		/* no newline: not a line yet */
		*next++ = '\0';
		if ((n = strlen(line)) > UAPI_LINE_MAX)
			break;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		switch (st) {
		case IDLE:
			if (strcmp(line, "get=1") == 0)
				st = GET;
			else if (strcmp(line, "set=1") == 0) {
				st = SET;
				uapi_parser_init(&p);
			} else
				next = NULL;	/* the connection closes */
			break;
		case GET:
			st = IDLE;
			break;
		case SET:
			if (n == 0)
				st = IDLE;
			else if (set_line(&p, line) == -1)
				st = DISCARD;
			break;
		case DISCARD:
			if (n == 0)
				st = IDLE;
			break;
		}
	}
	sodium_memzero(buf, len);
	free(buf);
	return 0;
}
