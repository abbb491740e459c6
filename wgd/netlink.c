/*
 * rtnetlink requests through libmnl.  Each request asks for an
 * acknowledgement and waits for it, so the caller learns the kernel's
 * verdict and the log gets the kernel's own explanation (extended ack).
 * Waiting does not stall the parent's event loop: the kernel handles a
 * route netlink request inside sendmsg(2), so the answer is queued before
 * we read it, and each further part of a dump is made inside recvmsg(2).
 */

#include <sys/socket.h>

#include <net/if.h>
#include <linux/ipv6_route.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "netlink.h"

/*
 * Our largest request takes under 100 bytes.  The kernel sizes each part
 * of a dump by the buffers we read with, so any size works for those.
 */
#define NL_REQSIZE	256
#define NL_RXSIZE	32768

/* Marks our routes, so deleting one never takes the kernel's own. */
#define NL_RTPROT	RTPROT_STATIC

struct nl_handle {
	struct mnl_socket	*sock;
	uint32_t		 seq;
	uint32_t		 portid;
	char			 errmsg[128];	/* the kernel's why */
	union {
		struct nlmsghdr	 hdr;
		char		 buf[NL_REQSIZE];
	}			 req;
	union {
		struct nlmsghdr	 hdr;
		char		 buf[NL_RXSIZE];
	}			 rx;
};

/* One exchange: who asked, and what the data messages go to. */
struct nl_ctx {
	struct nl_handle	*nh;
	mnl_cb_t		 cb;
	void			*arg;
	int			 kerror;	/* the kernel's answer */
	int			 error;		/* cb's first failure */
};

/* What a route dump looks for, and what it found. */
struct nl_route_match {
	struct wgd_prefix	 dst;		/* masked */
	uint32_t		 metric;
	int			 found;
	int			 oif;		/* or 0: not one device */
};

static int	nl_fail(struct nl_handle *, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/*
 * Opens a route netlink socket, or returns NULL after logging.  The
 * handle is for one thread of one process; nl_close() frees it.
 */
struct nl_handle *
nl_open(void)
{
	struct nl_handle	*nh;
	int			 on = 1;

	if ((nh = calloc(1, sizeof(*nh))) == NULL) {
		log_warn("netlink");
		return NULL;
	}
	if ((nh->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) ==
	    NULL) {
		log_warn("netlink socket");
		free(nh);
		return NULL;
	}
	if (mnl_socket_bind(nh->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("netlink bind");
		nl_close(nh);
		return NULL;
	}
	nh->portid = mnl_socket_get_portid(nh->sock);

	/*
	 * Errors without a copy of our request (Linux 4.3) but with the
	 * kernel's explanation (Linux 4.12).  Older kernels refuse these
	 * options and give plain errors, which is enough.
	 */
	(void)mnl_socket_setsockopt(nh->sock, NETLINK_CAP_ACK, &on,
	    sizeof(on));
	(void)mnl_socket_setsockopt(nh->sock, NETLINK_EXT_ACK, &on,
	    sizeof(on));
	return nh;
}

void
nl_close(struct nl_handle *nh)
{
	if (nh == NULL)
		return;
	mnl_socket_close(nh->sock);
	free(nh);
}

/*
 * Returns the index of the interface called name, or 0 with errno set if
 * there is none, as if_nametoindex(3) does; the caller logs.
 */
int
nl_ifindex(const char *name)
{
	return (int)if_nametoindex(name);
}

/* For log lines: the interface's name, or its index if it has none. */
static const char *
nl_ifname(int ifindex, char *buf)
{
	int	 saved_errno = errno;

	if (ifindex <= 0 || if_indextoname((unsigned int)ifindex, buf) ==
	    NULL)
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
	errno = saved_errno;
	return buf;
}

/*
 * Logs a failed exchange once: what we asked, the error, and the
 * kernel's explanation when it gave one.  error is the kernel's errno, or
 * -1 for a failure of our own described by errno.  Returns -1 with errno
 * set to the error.
 */
static int
nl_fail(struct nl_handle *nh, int error, const char *fmt, ...)
{
	char	 what[128];
	va_list	 ap;

	if (error == -1)
		error = errno;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nh->errmsg[0] != '\0')
		log_warnx("%s: %s (%s)", what, strerror(error), nh->errmsg);
	else
		log_warnx("%s: %s", what, strerror(error));
	errno = error;
	return -1;
}

static int
nl_extack_cb(const struct nlattr *attr, void *arg)
{
	struct nl_handle	*nh = arg;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		strlcpy(nh->errmsg, mnl_attr_get_str(attr),
		    sizeof(nh->errmsg));
	return MNL_CB_OK;
}

/* Keeps the kernel's text from the attributes at off, if it sent any. */
static void
nl_extack(struct nl_handle *nh, const struct nlmsghdr *nlh, size_t off)
{
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0 ||
	    off > mnl_nlmsg_get_payload_len(nlh))
		return;
	(void)mnl_attr_parse(nlh, (unsigned int)off, nl_extack_cb, nh);
}

/* Turns the kernel's negative errno into ours. */
static int
nl_errno(int error)
{
	return error < 0 && error > -4096 ? -error : EPROTO;
}

/* The answer to a request: an ack (error 0) or the kernel's error. */
static int
nl_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_ctx		*ctx = arg;
	const struct nlmsgerr	*err;
	size_t			 off = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	err = mnl_nlmsg_get_payload(nlh);
	if (err->error == 0)
		return MNL_CB_STOP;

	/* Unless capped, our request comes back before the attributes. */
	if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) {
		if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
			off = SIZE_MAX;
		else
			off += MNL_ALIGN(err->msg.nlmsg_len -
			    sizeof(struct nlmsghdr));
	}
	nl_extack(ctx->nh, nlh, off);
	ctx->kerror = nl_errno(err->error);
	return MNL_CB_STOP;
}

/* The end of a dump, which says whether the dump failed part way. */
static int
nl_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_ctx	*ctx = arg;
	int		 error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error < 0) {
		nl_extack(ctx->nh, nlh, sizeof(error));
		ctx->kerror = nl_errno(error);
	}
	return MNL_CB_STOP;
}

/*
 * After a bad message, reads on without looking, so the rest of a dump
 * does not wait in the socket for the next request.
 */
static int
nl_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_ctx	*ctx = arg;

	if (ctx->cb == NULL || ctx->error != 0)
		return MNL_CB_OK;
	if (ctx->cb(nlh, ctx->arg) == MNL_CB_ERROR)
		ctx->error = errno != 0 ? errno : EBADMSG;
	return MNL_CB_OK;
}

/*
 * Sends the request in nh->req and reads up to its end: the ack, the
 * error, or the last part of a dump, passing each data message to cb.
 * Returns 0 on success, the kernel's errno (> 0) if it refused, or -1
 * with errno set when the exchange itself failed.
 */
static int
nl_talk(struct nl_handle *nh, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	struct nl_ctx	 ctx = { .nh = nh, .cb = cb, .arg = arg };
	mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_error_cb,
		[NLMSG_DONE] = nl_done_cb,
	};
	ssize_t		 n;
	int		 ret;

	nh->errmsg[0] = '\0';
	if (++nh->seq == 0)	/* libmnl does not check sequence 0 */
		nh->seq = 1;
	nlh->nlmsg_seq = nh->seq;
	if (mnl_socket_sendto(nh->sock, nlh, nlh->nlmsg_len) == -1)
		return -1;

	for (;;) {
		n = mnl_socket_recvfrom(nh->sock, nh->rx.buf,
		    sizeof(nh->rx.buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		ret = mnl_cb_run2(nh->rx.buf, (size_t)n, nh->seq, nh->portid,
		    nl_data_cb, &ctx, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return -1;
		if (ret == MNL_CB_STOP)
			break;
	}
	if (ctx.kerror != 0)
		return ctx.kerror;
	if (ctx.error != 0) {
		errno = ctx.error;
		return -1;
	}
	return 0;
}

static struct nlmsghdr *
nl_msg(struct nl_handle *nh, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*nlh;

	nlh = mnl_nlmsg_put_header(nh->req.buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int
nl_check(const struct wgd_prefix *p)
{
	if ((p->af != AF_INET && p->af != AF_INET6) ||
	    p->plen > addr_maxlen(p->af)) {
		log_warnx("netlink: bad prefix (family %u, length %u)",
		    p->af, p->plen);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Stops the kernel from giving the interface an IPv6 link-local address,
 * as WireGuard's own devices have none: without one, the kernel sends
 * no router solicitations or MLD reports into the tunnel.  Must come
 * before the link goes up.  A host without IPv6 refuses, which is fine.
 */
int
nl_link_no_linklocal(struct nl_handle *nh, int ifindex)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nlattr		*spec, *inet6;
	char			 name[IF_NAMESIZE];
	int			 error;

	nlh = nl_msg(nh, RTM_NEWLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE,
	    IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);

	if ((error = nl_talk(nh, nlh, NULL, NULL)) != 0) {
		if (error == EAFNOSUPPORT)
			return 0;
		return nl_fail(nh, error, "%s: turn off IPv6 link-local "
		    "addresses", nl_ifname(ifindex, name));
	}
	return 0;
}

/*
 * Sets the MTU of the interface, unless mtu is 0, and brings it up or
 * down.  A route through the interface can only be added while it is up.
 * Taking the link down drops its IPv6 addresses (unless the sysctl
 * keep_addr_on_down says otherwise), and an MTU below 1280 turns IPv6
 * off on it: add the addresses again after either.
 */
int
nl_link_set(struct nl_handle *nh, int ifindex, unsigned int mtu, int up)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	char			 name[IF_NAMESIZE];
	int			 error;

	nlh = nl_msg(nh, RTM_NEWLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);

	if ((error = nl_talk(nh, nlh, NULL, NULL)) != 0) {
		if (mtu != 0)
			return nl_fail(nh, error, "%s: set mtu %u and link %s",
			    nl_ifname(ifindex, name), mtu, up ? "up" : "down");
		return nl_fail(nh, error, "%s: set link %s",
		    nl_ifname(ifindex, name), up ? "up" : "down");
	}
	return 0;
}

static int
nl_addr(struct nl_handle *nh, uint16_t type, int ifindex,
    const struct wgd_prefix *p)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	size_t			 len = (size_t)addr_maxlen(p->af) / 8;

	nlh = nl_msg(nh, type, type == RTM_NEWADDR ?
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_ACK);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->af;
	ifa->ifa_prefixlen = p->plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/*
	 * Duplicate address detection would keep an IPv6 address unusable
	 * ("tentative") for a while after a start or a reload; in a tunnel
	 * wgd owns the addresses, so there is nothing to detect.
	 */
	if (p->af == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	/*
	 * On a point-to-point device IFA_ADDRESS names the far end; the
	 * same address as IFA_LOCAL says there is none, so the kernel
	 * routes the whole prefix to the device, as on a LAN.
	 */
	mnl_attr_put(nlh, IFA_LOCAL, len, &p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, &p->addr);
	return nl_talk(nh, nlh, NULL, NULL);
}

/*
 * Adds the address p (with its prefix length, which makes the kernel
 * route the prefix to the interface).  An address that is already there
 * counts as added, so a reload can add everything again.  IPv6 addresses
 * skip duplicate address detection and are usable at once.
 */
int
nl_addr_add(struct nl_handle *nh, int ifindex, const struct wgd_prefix *p)
{
	char	 name[IF_NAMESIZE], a[ADDR_STRLEN];
	int	 error;

	if (nl_check(p) == -1)
		return -1;
	error = nl_addr(nh, RTM_NEWADDR, ifindex, p);
	if (error == 0 || error == EEXIST)
		return 0;
	addr_format_prefix(p, a, sizeof(a));
	return nl_fail(nh, error, "%s: add address %s",
	    nl_ifname(ifindex, name), a);
}

/*
 * Removes the address p.  An address that is already gone (or whose
 * interface is) counts as removed, so teardown can run after a partial
 * setup or after the device went away.
 */
int
nl_addr_del(struct nl_handle *nh, int ifindex, const struct wgd_prefix *p)
{
	char	 name[IF_NAMESIZE], a[ADDR_STRLEN];
	int	 error;

	if (nl_check(p) == -1)
		return -1;
	error = nl_addr(nh, RTM_DELADDR, ifindex, p);
	if (error == 0 || error == EADDRNOTAVAIL || error == ENOENT ||
	    error == ESRCH || error == ENODEV)
		return 0;
	addr_format_prefix(p, a, sizeof(a));
	return nl_fail(nh, error, "%s: delete address %s",
	    nl_ifname(ifindex, name), a);
}

/* The kernel's default metrics, the ones `ip route add` gets. */
static uint32_t
nl_metric(int af)
{
	return af == AF_INET ? 0 : IP6_RT_PRIO_USER;
}

static int
nl_route(struct nl_handle *nh, uint16_t type, int ifindex,
    const struct wgd_prefix *p)
{
	struct nlmsghdr		*nlh;
	struct rtmsg		*rtm;
	struct wgd_prefix	 dst = *p;

	/* IPv4 refuses a destination with host bits set. */
	addr_mask(&dst);
	nlh = nl_msg(nh, type, type == RTM_NEWROUTE ?
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_ACK);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst.af;
	rtm->rtm_dst_len = dst.plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = NL_RTPROT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, (size_t)addr_maxlen(dst.af) / 8,
	    &dst.addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, nl_metric(dst.af));
	return nl_talk(nh, nlh, NULL, NULL);
}

static int
nl_route_attr_cb(const struct nlattr *attr, void *arg)
{
	const struct nlattr	**tb = arg;
	uint16_t		 type = mnl_attr_get_type(attr);

	switch (type) {
	case RTA_DST:
		break;
	case RTA_OIF:
	case RTA_PRIORITY:
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == -1)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

/* Looks for the route that keeps ours out of the main table. */
static int
nl_route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_route_match	*m = arg;
	const struct nlattr	*tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg	*rtm;
	size_t			 len = (size_t)addr_maxlen(m->dst.af) / 8;
	uint32_t		 table, metric = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != m->dst.af || rtm->rtm_dst_len != m->dst.plen ||
	    rtm->rtm_tos != 0)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), nl_route_attr_cb, tb) ==
	    MNL_CB_ERROR)
		return MNL_CB_ERROR;

	table = tb[RTA_TABLE] != NULL ? mnl_attr_get_u32(tb[RTA_TABLE]) :
	    rtm->rtm_table;
	if (tb[RTA_PRIORITY] != NULL)
		metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (table != RT_TABLE_MAIN || metric != m->metric)
		return MNL_CB_OK;
	if (tb[RTA_DST] == NULL) {
		if (m->dst.plen != 0)
			return MNL_CB_OK;
	} else {
		if (mnl_attr_get_payload_len(tb[RTA_DST]) != len) {
			errno = EBADMSG;
			return MNL_CB_ERROR;
		}
		if (memcmp(mnl_attr_get_payload(tb[RTA_DST]), &m->dst.addr,
		    len) != 0)
			return MNL_CB_OK;
	}

	m->found = 1;
	m->oif = tb[RTA_OIF] != NULL ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	return MNL_CB_OK;
}

/*
 * Adds a route for the prefix p through the interface to the main table,
 * scope link, protocol static, the kernel's default metric.  A route for
 * p with that metric through this interface counts as added, so a reload
 * can add everything again: ours from before, or the kernel's own for
 * the prefix of an interface address.  One through another interface is
 * an error (EEXIST): taking it over could cut the host off its LAN.
 * The interface must be up.
 */
int
nl_route_add(struct nl_handle *nh, int ifindex, const struct wgd_prefix *p)
{
	struct nlmsghdr		*nlh;
	struct rtmsg		*rtm;
	struct nl_route_match	 m;
	char			 name[IF_NAMESIZE], other[IF_NAMESIZE];
	char			 a[ADDR_STRLEN];
	int			 error;

	if (nl_check(p) == -1)
		return -1;
	addr_format_prefix(p, a, sizeof(a));
	if ((error = nl_route(nh, RTM_NEWROUTE, ifindex, p)) == 0)
		return 0;
	if (error != EEXIST)
		return nl_fail(nh, error, "%s: add route %s",
		    nl_ifname(ifindex, name), a);

	memset(&m, 0, sizeof(m));
	m.dst = *p;
	addr_mask(&m.dst);
	m.metric = nl_metric(p->af);
	nlh = nl_msg(nh, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = p->af;
	if ((error = nl_talk(nh, nlh, nl_route_cb, &m)) != 0)
		return nl_fail(nh, error, "%s: add route %s: read routes",
		    nl_ifname(ifindex, name), a);
	if (m.found && m.oif == ifindex)
		return 0;

	if (m.found && m.oif != 0)
		log_warnx("%s: add route %s: already routed through %s",
		    nl_ifname(ifindex, name), a, nl_ifname(m.oif, other));
	else
		log_warnx("%s: add route %s: already routed elsewhere",
		    nl_ifname(ifindex, name), a);
	errno = EEXIST;
	return -1;
}

/*
 * Removes our route for p through the interface; the kernel's own route
 * for the prefix of an address stays.  A route that is already gone (or
 * whose interface is) counts as removed, so teardown can run after a
 * partial setup or after the device went away.
 */
int
nl_route_del(struct nl_handle *nh, int ifindex, const struct wgd_prefix *p)
{
	char	 name[IF_NAMESIZE], a[ADDR_STRLEN];
	int	 error;

	if (nl_check(p) == -1)
		return -1;
	error = nl_route(nh, RTM_DELROUTE, ifindex, p);
	if (error == 0 || error == ESRCH || error == ENOENT ||
	    error == EADDRNOTAVAIL || error == ENODEV)
		return 0;
	addr_format_prefix(p, a, sizeof(a));
	return nl_fail(nh, error, "%s: delete route %s",
	    nl_ifname(ifindex, name), a);
}
