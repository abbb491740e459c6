/*
 * The engine's half of the userspace API: the get reply, written in
 * wireguard-go's format and key order, and set requests applied as one
 * transaction.
 *
 * Control parses a set into operations and sends them between
 * SET_BEGIN and SET_END; nothing changes before END, when the request
 * is whole.  What can still fail then is checked first (the peer limit,
 * then the new port, which the parent binds), so a request that fails
 * changes nothing; applying the operations after that cannot fail.
 * One request is in flight at a time: control sends the next only
 * after the answer.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine.h"
#include "ifname.h"
#include "log.h"
#include "uapi.h"
#include "wgd.h"

struct uapi_txn {
	int			 active;	/* between BEGIN and END */
	int			 waiting;	/* for the parent's sockets */
	uint32_t		 id;
	char			 name[IFNAMSIZ];
	struct uapi_op		*ops;
	size_t			 n;
	size_t			 cap;
	int			 fd4;
	int			 fd6;
};

static struct uapi_txn	 txn = { .fd4 = -1, .fd6 = -1 };

/* A get reply, sent to control in pieces as it grows. */
struct reply {
	uint32_t		 id;
	size_t			 len;
	char			 buf[IMSG_MAXDATA];
};

static void
reply_flush(struct reply *r)
{
	if (r->len == 0)
		return;
	engine_send_control(r->id, IMSG_UAPI_TEXT, r->buf, r->len);
	sodium_memzero(r->buf, r->len);
	r->len = 0;
}

static void __attribute__((__format__(__printf__, 2, 3)))
reply_printf(struct reply *r, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[160];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		fatalx("%s: line too long", __func__);
	if (r->len + (size_t)n > sizeof(r->buf))
		reply_flush(r);
	memcpy(r->buf + r->len, line, (size_t)n);
	r->len += (size_t)n;
	sodium_memzero(line, sizeof(line));
}

static void
reply_key(struct reply *r, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char	 hex[2 * WG_KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key, WG_KEY_LEN);
	reply_printf(r, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

static void
send_done(uint32_t id, int error)
{
	int32_t	 e = error;

	engine_send_control(id, IMSG_UAPI_DONE, &e, sizeof(e));
}

static void
get_peer(struct reply *r, const struct eng_peer *p)
{
	static const uint8_t		 zero[WG_KEY_LEN];
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 a[INET6_ADDRSTRLEN];
	char				 zone[IF_NAMESIZE];
	char				 pfx[ADDR_STRLEN];
	size_t				 i;

	reply_key(r, "public_key", p->pubkey);
	reply_key(r, "preshared_key", p->has_psk ? p->psk : zero);
	reply_printf(r, "protocol_version=1\n");
	if (p->endpoint_len != 0 && p->endpoint.ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)&p->endpoint;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		reply_printf(r, "endpoint=%s:%u\n", a, ntohs(sin->sin_port));
	} else if (p->endpoint_len != 0) {
		sin6 = (const struct sockaddr_in6 *)&p->endpoint;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		if (sin6->sin6_scope_id == 0)
			reply_printf(r, "endpoint=[%s]:%u\n", a,
			    ntohs(sin6->sin6_port));
		else if (ifname_name(sin6->sin6_scope_id, zone) != NULL)
			reply_printf(r, "endpoint=[%s%%%s]:%u\n", a, zone,
			    ntohs(sin6->sin6_port));
		else
			reply_printf(r, "endpoint=[%s%%%u]:%u\n", a,
			    sin6->sin6_scope_id, ntohs(sin6->sin6_port));
	}
	reply_printf(r, "last_handshake_time_sec=%lld\n",
	    (long long)p->state.last_handshake);
	reply_printf(r, "last_handshake_time_nsec=%lld\n",
	    (long long)p->state.last_handshake_nsec);
	reply_printf(r, "tx_bytes=%llu\n",
	    (unsigned long long)p->state.tx_bytes);
	reply_printf(r, "rx_bytes=%llu\n",
	    (unsigned long long)p->state.rx_bytes);
	reply_printf(r, "persistent_keepalive_interval=%u\n", p->keepalive);
	for (i = 0; i < p->allowed_ips.n; i++) {
		addr_format_prefix(&p->allowed_ips.v[i], pfx, sizeof(pfx));
		reply_printf(r, "allowed_ip=%s\n", pfx);
	}
}

/* get=1: the interface as wg(8) reads it; the reply ends with DONE. */
void
uapi_get(uint32_t id, struct imsg *imsg)
{
	struct msg_uapi		 m;
	struct eng_iface	*ifc;
	struct eng_peer		*p;
	struct reply		*r;

	if (imsg_get_data(imsg, &m, sizeof(m)) == -1 ||
	    !STR_TERMINATED(m.name))
		fatalx("bad IMSG_UAPI_GET");
	if ((ifc = engine_iface(m.name)) == NULL) {
		send_done(id, UAPI_EIO);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->id = id;
	if (ifc->has_privkey)
		reply_key(r, "private_key", ifc->privkey);
	if (ifc->listen_port != 0)
		reply_printf(r, "listen_port=%u\n", ifc->listen_port);
	if (ifc->fwmark != 0)
		reply_printf(r, "fwmark=%u\n", ifc->fwmark);
	TAILQ_FOREACH(p, &ifc->peers, entry)
		if (p->has_pubkey)
			get_peer(r, p);
	reply_flush(r);
	free(r);
	send_done(id, 0);
}

static void
txn_clear(void)
{
	if (txn.ops != NULL) {
		sodium_memzero(txn.ops, txn.cap * sizeof(*txn.ops));
		free(txn.ops);
	}
	if (txn.fd4 != -1)
		close(txn.fd4);
	if (txn.fd6 != -1)
		close(txn.fd6);
	memset(&txn, 0, sizeof(txn));
	txn.fd4 = txn.fd6 = -1;
}

void
uapi_set_begin(uint32_t id, struct imsg *imsg)
{
	struct msg_uapi	 m;

	if (txn.active || txn.waiting || imsg_get_data(imsg, &m,
	    sizeof(m)) == -1 || !STR_TERMINATED(m.name))
		fatalx("bad IMSG_UAPI_SET_BEGIN");
	txn.active = 1;
	txn.id = id;
	strlcpy(txn.name, m.name, sizeof(txn.name));
}

void
uapi_set_ops(uint32_t id, struct imsg *imsg)
{
	struct uapi_op	*ops;
	size_t		 len = imsg_get_len(imsg), n, i, cap;

	if (!txn.active || id != txn.id || len == 0 ||
	    len % sizeof(struct uapi_op) != 0)
		fatalx("bad IMSG_UAPI_SET_OPS");
	n = len / sizeof(struct uapi_op);
	if (txn.n + n > UAPI_OPS_MAX)
		fatalx("IMSG_UAPI_SET_OPS: more than %d operations",
		    UAPI_OPS_MAX);
	if (txn.n + n > txn.cap) {
		cap = txn.cap == 0 ? 256 : txn.cap;
		while (cap < txn.n + n)
			cap *= 2;
		if ((ops = calloc(cap, sizeof(*ops))) == NULL)
			fatal("%s", __func__);
		if (txn.ops != NULL) {
			memcpy(ops, txn.ops, txn.n * sizeof(*ops));
			sodium_memzero(txn.ops, txn.cap * sizeof(*ops));
			free(txn.ops);
		}
		txn.ops = ops;
		txn.cap = cap;
	}
	memcpy(txn.ops + txn.n, imsg->data, len);
	for (i = txn.n; i < txn.n + n; i++)
		if (!uapi_op_valid(&txn.ops[i]))
			fatalx("IMSG_UAPI_SET_OPS: invalid operation");
	txn.n += n;
}

/*
 * Whether the request would take the interface past the peer limit,
 * counting every new key as a new peer (a peer removed in the same
 * request is not subtracted: close to the limit, that errs on refusal).
 */
static int
txn_too_many_peers(struct eng_iface *ifc)
{
	struct eng_peer	*p;
	size_t		 peers = 0, i, added = 0;
	int		 replace = 0;

	for (i = 0; i < txn.n; i++) {
		if (txn.ops[i].kind == UOP_REPLACE_PEERS)
			replace = 1;
		if (txn.ops[i].kind == UOP_PUBLIC_KEY &&
		    (replace || peer_find_key(ifc, txn.ops[i].u.key) == NULL) &&
		    !(ifc->has_privkey && sodium_memcmp(txn.ops[i].u.key,
		    ifc->pubkey, WG_KEY_LEN) == 0))
			added++;
	}
	if (!replace)
		TAILQ_FOREACH(p, &ifc->peers, entry)
			peers++;
	return peers + added > UAPI_PEERS_MAX;
}

/*
 * Whether the request gives a peer limited by forward-to a prefix it
 * does not have.  The nftables guard (the parent's) knows a limited
 * peer's traffic by the sources wgd.conf gives it: one added here would
 * go unlimited.  Setting the same prefixes again (wg syncconf) is fine.
 */
static int
txn_widens_limited(struct eng_iface *ifc)
{
	struct eng_peer		*p = NULL;
	const struct uapi_op	*op;
	char			 s[ADDR_STRLEN];
	size_t			 i, k;
	int			 gone = 0;	/* a limited peer removed */

	for (i = 0; i < txn.n; i++) {
		op = &txn.ops[i];
		if (op->kind == UOP_PUBLIC_KEY) {
			p = peer_find_key(ifc, op->u.key);
			for (k = 0, gone = 0; p == NULL &&
			    k < ifc->nrt_removed_limited; k++)
				if (sodium_memcmp(ifc->rt_removed_limited[k],
				    op->u.key, WG_KEY_LEN) == 0)
					gone = 1;
		}
		if (op->kind != UOP_ALLOWED_IP ||
		    ((p == NULL || !p->limited) && !gone))
			continue;
		for (k = 0; p != NULL && k < p->allowed_ips.n; k++)
			if (addr_equal(&p->allowed_ips.v[k], &op->u.pfx))
				break;
		if (p != NULL && k < p->allowed_ips.n)
			continue;
		addr_format_prefix(&op->u.pfx, s, sizeof(s));
		log_warnx("%s: a peer limited by forward-to (%s): allowed ip "
		    "%s through the userspace API refused (add it in "
		    "wgd.conf)", ifc->name, p != NULL ? p->name :
		    "removed through wg(8)", s);
		return 1;
	}
	return 0;
}

/* A peer of wgd.conf changed: a reload will say it undid that. */
static void
rt_mark(struct eng_peer *p, unsigned int what)
{
	if (!p->runtime)
		p->rt_changed |= what;
}

/* Removes a peer, remembering a peer of wgd.conf for the next reload. */
void
uapi_peer_del(struct eng_iface *ifc, struct eng_peer *p)
{
	uint8_t	(*k)[WG_KEY_LEN];
	char	**v;

	if (!p->runtime) {
		if ((v = reallocarray(ifc->rt_removed, ifc->nrt_removed + 1,
		    sizeof(*v))) == NULL ||
		    (v[ifc->nrt_removed] = strdup(p->name)) == NULL)
			fatal("%s", __func__);
		ifc->rt_removed = v;
		ifc->nrt_removed++;
	}
	/* Added again through the API, it is still limited. */
	if (p->limited) {
		if ((k = reallocarray(ifc->rt_removed_limited,
		    ifc->nrt_removed_limited + 1, sizeof(*k))) == NULL)
			fatal("%s", __func__);
		memcpy(k[ifc->nrt_removed_limited++], p->pubkey, WG_KEY_LEN);
		ifc->rt_removed_limited = k;
	}
	iface_unroute_peer(ifc, p);
	iface_remove_peer(ifc, p);
}

static struct eng_peer *
peer_new(struct eng_iface *ifc, const uint8_t key[WG_KEY_LEN])
{
	struct eng_peer	*p;
	char		 b64[WG_KEY_LEN_BASE64];

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	/* Never a configured name: those have no parentheses. */
	key_to_base64(b64, key);
	snprintf(p->name, sizeof(p->name), "(%s)", b64);
	p->has_pubkey = 1;
	memcpy(p->pubkey, key, WG_KEY_LEN);
	p->runtime = 1;
	p->iface = ifc;
	TAILQ_INSERT_TAIL(&ifc->peers, p, entry);
	peer_start(p);
	return p;
}

/*
 * Takes pfx out of p's list.  The routing table holds each prefix's
 * place in its owner's list: the place becomes a hole, closed when the
 * set is applied (prefixes_close), so moving or re-adding 130,000
 * prefixes is not quadratic.
 */
static void
prefix_unlist(struct eng_iface *ifc, struct eng_peer *p,
    const struct wgd_prefix *pfx)
{
	uint32_t	 at;

	if (allowedips_exact(&ifc->routes, pfx, &at) != p ||
	    at >= p->allowed_ips.n)
		fatalx("%s: the routing table and the peer disagree",
		    __func__);
	memset(&p->allowed_ips.v[at], 0, sizeof(p->allowed_ips.v[at]));
	p->holes++;
}

/* The holes of the peer's list closed, the table told the new places. */
static void
prefixes_close(struct eng_iface *ifc, struct eng_peer *p)
{
	struct wgd_prefixes	*l = &p->allowed_ips;
	size_t			 i, n = 0;

	if (p->holes == 0)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].af == 0)
			continue;
		l->v[n] = l->v[i];
		if (allowedips_insert_aux(&ifc->routes, &l->v[n], p,
		    (uint32_t)n) == -1)
			fatal("%s", __func__);
		n++;
	}
	l->n = n;
	p->holes = 0;
}

/*
 * allowed_ip: the prefix is p's, taken from whichever peer held it,
 * and goes last in p's list (wireguard-go's order).
 */
static void
prefix_add(struct eng_iface *ifc, struct eng_peer *p,
    const struct wgd_prefix *pfx)
{
	struct eng_peer	*owner;

	if ((owner = allowedips_exact(&ifc->routes, pfx, NULL)) != NULL) {
		prefix_unlist(ifc, owner, pfx);
		rt_mark(owner, RT_ALLOWED_IPS);
	}
	rt_mark(p, RT_ALLOWED_IPS);
	if (prefixes_add(&p->allowed_ips, pfx) == -1 ||
	    allowedips_insert_aux(&ifc->routes, pfx, p,
	    (uint32_t)(p->allowed_ips.n - 1)) == -1)
		fatal("%s", __func__);
}

static void
prefix_del(struct eng_iface *ifc, struct eng_peer *p,
    const struct wgd_prefix *pfx)
{
	if (allowedips_exact(&ifc->routes, pfx, NULL) != p)
		return;
	prefix_unlist(ifc, p, pfx);
	(void)allowedips_remove(&ifc->routes, pfx, p);
	rt_mark(p, RT_ALLOWED_IPS);
}

static void
set_endpoint(struct eng_peer *p, const struct uapi_endpoint *ep)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	struct sockaddr		*sa;
	socklen_t		 len;

	if (ep->af == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ep->port);
		memcpy(&sin.sin_addr, ep->addr, 4);
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(ep->port);
		sin6.sin6_scope_id = ep->scope;
		memcpy(&sin6.sin6_addr, ep->addr, 16);
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	}
	/* wg syncconf sends the endpoint in use: that changes nothing. */
	if (p->endpoint_len != len || memcmp(&p->endpoint, sa, len) != 0)
		rt_mark(p, RT_ENDPOINT);
	peer_set_endpoint(p, sa, len, NULL);
}

static void
set_psk(struct eng_peer *p, const uint8_t psk[WG_KEY_LEN])
{
	if (p->has_psk != !key_is_zero(psk) ||
	    sodium_memcmp(p->psk, psk, WG_KEY_LEN) != 0)
		rt_mark(p, RT_PSK);
	p->has_psk = !key_is_zero(psk);
	memcpy(p->psk, psk, WG_KEY_LEN);
	if (p->usable)
		(void)noise_remote_set_keys(&p->noise, &p->iface->noise,
		    p->has_psk ? p->psk : NULL);
}

/*
 * The end of one peer's lines: a persistent keepalive just turned on
 * sends one at once, as wireguard-go does.
 */
static void
peer_finish(struct eng_peer *p, int keepalive_on)
{
	if (p == NULL)
		return;
	if (keepalive_on && p->usable && p->endpoint_len != 0)
		peer_send_keepalive(p);
	peer_timers_update(p);
}

/* The operations, in order, with wireguard-go's semantics. */
static void
txn_apply(struct eng_iface *ifc)
{
	struct eng_peer		*p = NULL, *next;
	const struct uapi_op	*op;
	uint8_t			 key[WG_KEY_LEN];
	size_t			 i;
	int			 created = 0, keepalive_on = 0;

	for (i = 0; i < txn.n; i++) {
		op = &txn.ops[i];
		switch (op->kind) {
		case UOP_PRIVATE_KEY:
			memcpy(key, op->u.key, WG_KEY_LEN);
			key_clamp(key);
			iface_set_privkey(ifc, key_is_zero(op->u.key) ? NULL :
			    key);
			ifc->rt_privkey = 1;
			sodium_memzero(key, sizeof(key));
			break;
		case UOP_LISTEN_PORT:
		case UOP_FWMARK:
			break;		/* the parent's, done before */
		case UOP_REPLACE_PEERS:
			for (p = TAILQ_FIRST(&ifc->peers); p != NULL;
			    p = next) {
				next = TAILQ_NEXT(p, entry);
				uapi_peer_del(ifc, p);
			}
			p = NULL;
			break;
		case UOP_PUBLIC_KEY:
			peer_finish(p, keepalive_on);
			keepalive_on = created = 0;
			/* The interface's own key: its lines do nothing. */
			if (ifc->has_privkey && sodium_memcmp(op->u.key,
			    ifc->pubkey, WG_KEY_LEN) == 0) {
				p = NULL;
				break;
			}
			if ((p = peer_find_key(ifc, op->u.key)) == NULL) {
				p = peer_new(ifc, op->u.key);
				created = 1;
			}
			break;
		case UOP_UPDATE_ONLY:
			if (p != NULL && created) {
				uapi_peer_del(ifc, p);
				p = NULL;
			}
			break;
		case UOP_REMOVE:
			if (p != NULL) {
				uapi_peer_del(ifc, p);
				p = NULL;
			}
			break;
		case UOP_PRESHARED_KEY:
			if (p != NULL)
				set_psk(p, op->u.key);
			break;
		case UOP_ENDPOINT:
			if (p != NULL)
				set_endpoint(p, &op->u.ep);
			break;
		case UOP_KEEPALIVE:
			if (p == NULL)
				break;
			keepalive_on = p->keepalive == 0 && op->num != 0;
			if (p->keepalive != op->num)
				rt_mark(p, RT_KEEPALIVE);
			p->keepalive = (uint16_t)op->num;
			timers_set_persistent_keepalive(&p->timers,
			    p->keepalive, now_ns());
			break;
		case UOP_REPLACE_ALLOWED_IPS:
			if (p != NULL) {
				iface_unroute_peer(ifc, p);
				if (p->allowed_ips.n > 0)
					rt_mark(p, RT_ALLOWED_IPS);
				p->allowed_ips.n = 0;
				p->holes = 0;
			}
			break;
		case UOP_ALLOWED_IP:
			if (p != NULL)
				prefix_add(ifc, p, &op->u.pfx);
			break;
		case UOP_REMOVE_ALLOWED_IP:
			if (p != NULL)
				prefix_del(ifc, p, &op->u.pfx);
			break;
		}
	}
	peer_finish(p, keepalive_on);
}

/* Applies the request, after the parent bound its port if it had one. */
static void
txn_commit(struct eng_iface *ifc)
{
	struct eng_peer	*p;

	txn_apply(ifc);
	TAILQ_FOREACH(p, &ifc->peers, entry)
		prefixes_close(ifc, p);
	log_debug("%s: set through the userspace API (%zu operations)",
	    ifc->name, txn.n);
	send_done(txn.id, 0);
	txn_clear();
}

void
uapi_set_end(uint32_t id, struct imsg *imsg)
{
	struct msg_uapi_bind	 b;
	struct eng_iface	*ifc;
	size_t			 i;

	if (!txn.active || id != txn.id || imsg_get_len(imsg) != 0)
		fatalx("bad IMSG_UAPI_SET_END");
	txn.active = 0;
	if ((ifc = engine_iface(txn.name)) == NULL) {
		send_done(id, UAPI_EIO);
		txn_clear();
		return;
	}
	if (txn_too_many_peers(ifc)) {
		log_warnx("%s: a set through the userspace API would make "
		    "more than %d peers: refused", ifc->name, UAPI_PEERS_MAX);
		send_done(id, UAPI_EINVAL);
		txn_clear();
		return;
	}
	if (txn_widens_limited(ifc)) {
		send_done(id, UAPI_EPERM);
		txn_clear();
		return;
	}
	memset(&b, 0, sizeof(b));
	for (i = 0; i < txn.n; i++) {
		if (txn.ops[i].kind == UOP_LISTEN_PORT) {
			b.set_port = 1;
			b.port = (uint16_t)txn.ops[i].num;
		} else if (txn.ops[i].kind == UOP_FWMARK) {
			b.set_fwmark = 1;
			b.fwmark = txn.ops[i].num;
		}
	}
	if (!b.set_port && !b.set_fwmark) {
		txn_commit(ifc);
		return;
	}
	strlcpy(b.name, ifc->name, sizeof(b.name));
	txn.waiting = 1;
	engine_send_parent(IMSG_UAPI_BIND, -1, &b, sizeof(b));
}

/* The new sockets of a set's listen_port, before IMSG_UAPI_BOUND. */
void
uapi_bind_fd(struct imsg *imsg)
{
	struct msg_udp	 u;
	int		 fd, *slot;

	if (!txn.waiting || imsg_get_data(imsg, &u, sizeof(u)) == -1 ||
	    !STR_TERMINATED(u.name) || strcmp(u.name, txn.name) != 0 ||
	    (u.af != AF_INET && u.af != AF_INET6) ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("bad IMSG_UAPI_BIND_FD");
	slot = u.af == AF_INET ? &txn.fd4 : &txn.fd6;
	if (*slot != -1)
		fatalx("IMSG_UAPI_BIND_FD: two sockets of one family");
	*slot = fd;
}

void
uapi_bound(struct imsg *imsg)
{
	struct msg_uapi_bind	 b;
	struct eng_iface	*ifc;

	if (!txn.waiting || imsg_get_data(imsg, &b, sizeof(b)) == -1 ||
	    !STR_TERMINATED(b.name) || strcmp(b.name, txn.name) != 0 ||
	    b.error < 0)
		fatalx("bad IMSG_UAPI_BOUND");
	txn.waiting = 0;
	if (b.error != 0 || (ifc = engine_iface(txn.name)) == NULL) {
		send_done(txn.id, b.error != 0 ? b.error : UAPI_EIO);
		txn_clear();
		return;
	}
	if (b.set_port) {
		if (txn.fd4 == -1 && txn.fd6 == -1 && b.port !=
		    ifc->listen_port)
			fatalx("IMSG_UAPI_BOUND: a new port without sockets");
		if (txn.fd4 != -1 || txn.fd6 != -1)
			iface_set_udp(ifc, txn.fd4, txn.fd6);
		txn.fd4 = txn.fd6 = -1;
		ifc->listen_port = b.port;
	}
	if (b.set_fwmark)
		ifc->fwmark = b.fwmark;
	txn_commit(ifc);
}
