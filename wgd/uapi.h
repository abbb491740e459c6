/*
 * The cross-platform userspace API (wg(8)'s "get=1" / "set=1" text
 * protocol, as wireguard-go serves it), in three parts: control reads
 * requests and parses each line of a set into an operation
 * (uapi_parse.c), the engine applies a request's operations as one
 * transaction and writes the get reply (eng_uapi.c), and control's
 * connection handling (uapi.c) ties them to the socket.
 */

#ifndef WGD_UAPI_H
#define WGD_UAPI_H

#include <stdint.h>

#include "addr.h"
#include "key.h"

/* The errno values wg(8) expects, as the negative numbers it prints. */
#define UAPI_EPERM		1
#define UAPI_EIO		5
#define UAPI_ENOMEM		12
#define UAPI_EINVAL		22
#define UAPI_EPROTO		71
#define UAPI_EADDRINUSE		98

/* wireguard-go's limits: a line, and peers per interface. */
#define UAPI_LINE_MAX		65536
#define UAPI_PEERS_MAX		65536
/* Operations of the set requests being read, at most: bounded memory. */
#define UAPI_OPS_MAX		(1 << 20)

enum uapi_op_kind {
	UOP_PRIVATE_KEY,		/* key; all zeros: none */
	UOP_LISTEN_PORT,		/* num */
	UOP_FWMARK,			/* num */
	UOP_REPLACE_PEERS,
	UOP_PUBLIC_KEY,			/* key: the peer the next ops change */
	UOP_UPDATE_ONLY,
	UOP_REMOVE,
	UOP_PRESHARED_KEY,		/* key */
	UOP_ENDPOINT,			/* ep */
	UOP_KEEPALIVE,			/* num */
	UOP_REPLACE_ALLOWED_IPS,
	UOP_ALLOWED_IP,			/* pfx, host bits cleared */
	UOP_REMOVE_ALLOWED_IP,		/* pfx, host bits cleared */
	UOP_MAX
};

struct uapi_endpoint {
	uint8_t			 af;
	uint16_t		 port;		/* host order */
	uint8_t			 addr[16];
	uint32_t		 scope;		/* IPv6 zone: an ifindex */
};

/* One line of a set request, parsed; sent to the engine in arrays. */
struct uapi_op {
	uint8_t			 kind;		/* enum uapi_op_kind */
	uint32_t		 num;
	union {
		uint8_t			 key[WG_KEY_LEN];
		struct wgd_prefix	 pfx;
		struct uapi_endpoint	 ep;
	}			 u;
};

/* Where a set request is: device lines come before the first peer. */
struct uapi_parser {
	int			 in_peer;
};

void	uapi_parser_init(struct uapi_parser *);
int	uapi_parse_line(struct uapi_parser *, char *, struct uapi_op *);
int	uapi_op_valid(const struct uapi_op *);

/* uapi.c: control's connections */
struct event_base;
struct imsg;
struct imsgev;
void	uapi_init(struct event_base *, struct imsgev *);
void	uapi_listen(struct imsg *);
void	uapi_unlisten(struct imsg *);
void	uapi_engine_reply(struct imsg *);

#endif /* WGD_UAPI_H */
